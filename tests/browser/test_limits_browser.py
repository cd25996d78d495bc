"""The API docs and TeX from papers in real Chromium: Swagger UI runs from our own
files under the strict CSP, and KaTeX output stays within its limits."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from paperwire.models import Author, Paper
from tests.browser.conftest import new_page
from tests.conftest import migrated_sqlite

pytestmark = pytest.mark.browser

# TeX that, unbounded, covers the page (a huge rule) or makes it millions of pixels
# tall (negative sizes, which KaTeX's maxSize does not cap).
BOMBS = {
    "2612.00001": r"\rule{100000em}{100000em}",
    "2612.00002": r"\raisebox{-100000em}{x}",
    "2612.00003": r"\rule[-100000em]{1em}{1em}",
}
NORMAL = "2612.00009"


def tex_paper(paper_id: str, tex: str) -> Paper:
    return Paper(
        id=paper_id,
        title=f"On ${tex}$ and more",
        abstract=f"Before ${tex}$ after the math, and $x^2 + y^2 = z^2$ too.",
        authors=[Author("Ada Lovelace")],
        categories=["cs.CR"],
        submitted=datetime(2026, 12, 1, tzinfo=UTC),
        announced=date(2026, 12, 2),
    )


@pytest.fixture(scope="module")
def tex_server() -> Iterator[str]:
    from tests.live_server import live_server

    folder = Path(tempfile.mkdtemp(prefix="paperwire-tex-"))
    url = migrated_sqlite(folder, "tex.db", fill=lambda store: store.upsert_papers(
        [*(tex_paper(i, tex) for i, tex in BOMBS.items()),
         tex_paper(NORMAL, r"\frac{a}{b} \sum_{i=1}^n \begin{pmatrix}1\\2\\3\end{pmatrix}")]
    ))
    env = {"PAPERWIRE_EMBEDDER": "hash", "PAPERWIRE_DATA_DIR": str(folder / "data")}
    with live_server(url, extra_env=env) as base:
        yield base


@pytest.fixture
def tex_page(browser: object, tex_server: str) -> Iterator[object]:
    yield from new_page(browser, tex_server, "light")


def test_api_docs_run_from_our_own_files_under_the_strict_csp(tex_page: object, tex_server: str) -> None:
    origins: list[str] = []
    tex_page.on("request", lambda r: origins.append(urlsplit(r.url).netloc))  # type: ignore[attr-defined]
    response = tex_page.goto("/api/docs")  # type: ignore[attr-defined]
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "https:" not in csp and "script-src 'self';" in csp
    # Swagger UI fetched the schema and drew the operations.
    tex_page.locator(".swagger-ui .info .title").wait_for()  # type: ignore[attr-defined]
    assert "paperwire" in tex_page.locator(".swagger-ui .info .title").inner_text()  # type: ignore[attr-defined]
    tex_page.locator(".opblock-summary-path", has_text="/api/daily").first.wait_for()  # type: ignore[attr-defined]
    assert set(origins) == {urlsplit(tex_server).netloc}
    problems = tex_page.problems  # type: ignore[attr-defined]
    assert problems.console_errors == [] and problems.failed_requests == []


def test_api_docs_page_names_only_same_origin_files(tex_server: str) -> None:
    r = httpx.get(f"{tex_server}/api/docs")
    assert r.status_code == 200
    assert "<script>" not in r.text and "https://" not in r.text


@pytest.mark.parametrize("paper_id", sorted(BOMBS))
def test_tex_cannot_cover_or_stretch_the_page(tex_page: object, paper_id: str) -> None:
    tex_page.goto(f"/papers/{paper_id}")  # type: ignore[attr-defined]
    # The ordinary formula beside the bomb is still typeset.
    assert tex_page.locator("#abstract .katex").count() >= 1  # type: ignore[attr-defined]
    sizes = tex_page.evaluate(  # type: ignore[attr-defined]
        """() => {
          const page = document.documentElement;
          const boxes = Array.from(document.querySelectorAll('.katex-html > span'))
            .map(e => e.getBoundingClientRect());
          return {height: page.scrollHeight, width: page.scrollWidth,
                  tallest: Math.max(0, ...boxes.map(b => b.height)),
                  widest: Math.max(0, ...boxes.map(b => b.width)),
                  viewport: [innerWidth, innerHeight]};
        }"""
    )
    width, height = sizes["viewport"]
    assert sizes["width"] <= width, sizes  # nothing wider than the window
    assert sizes["tallest"] < 25 * 20 and sizes["widest"] < width / 2, sizes
    assert sizes["height"] < 3 * height, sizes
    abstract = tex_page.locator("#abstract").inner_text()  # type: ignore[attr-defined]
    assert "Before" in abstract and "after the math" in abstract
    if "-100000em" in BOMBS[paper_id]:  # too tall even capped: shown as its TeX, as text
        assert f"${BOMBS[paper_id]}$" in abstract


def test_ordinary_tex_is_typeset_whole(tex_page: object) -> None:
    tex_page.goto(f"/papers/{NORMAL}")  # type: ignore[attr-defined]
    assert tex_page.locator("#abstract .katex").count() == 2  # type: ignore[attr-defined]
    assert tex_page.locator("#paper-title .katex").count() == 1  # type: ignore[attr-defined]
    assert "$" not in tex_page.locator("#abstract").inner_text()  # type: ignore[attr-defined]
    assert tex_page.problems.console_errors == []  # type: ignore[attr-defined]
