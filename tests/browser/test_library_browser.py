"""The library in real Chromium under the real server and its strict CSP: a signed-in
reader reaches it from the header, changes a saved paper's tags and note through the
page's plain forms, imports pasted BibTeX and downloads the export; the page, with
its forms open and an import's result shown, is free of axe-core violations in light
and dark colours."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperwire.community import accounts, library
from paperwire.store import open_store
from paperwire.web import auth
from tests.browser.axe import axe_missing, axe_violations, describe
from tests.browser.conftest import new_page
from tests.conftest import migrated_sqlite

pytestmark = pytest.mark.browser

SECRET_KEY = "library-browser-test-key-" + "x" * 32
SCHEMES = ("light", "dark")
SAVED = ("2104.12255", "hep-ph/0301050")


@dataclass(frozen=True)
class LibrarySite:
    base: str
    cookies: dict[str, str]  # colour scheme -> its reader's session cookie


@pytest.fixture(scope="module")
def library_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LibrarySite]:
    """Its own server and database, with a known secret key so sessions made here sign
    the browser in; one reader per colour scheme, each with two saved papers."""
    from paperwire.ingest.sample import load_sample
    from tests.live_server import live_server

    folder = tmp_path_factory.mktemp("library")
    url = migrated_sqlite(folder, fill=load_sample)
    store = open_store(url)
    now = datetime.now(UTC)
    cookies: dict[str, str] = {}
    try:
        for scheme in SCHEMES:
            user = accounts.add_user(store, f"{scheme}@example.org", now=now)
            for n, paper_id in enumerate(SAVED):
                paper = store.get_paper(paper_id)
                assert paper is not None
                library.save_paper(
                    store, user, paper, tags=["to read"], note="", now=now + timedelta(seconds=n)
                )
            session = accounts.start_session(store, user, now=now, days=1)
            cookies[scheme] = auth.cookie_value(SECRET_KEY.encode(), session.token)
    finally:
        store.close()
    env = {
        "PAPERWIRE_EMBEDDER": "hash",
        "PAPERWIRE_DATA_DIR": str(Path(folder) / "data"),
        "PAPERWIRE_SECRET_KEY": SECRET_KEY,
    }
    with live_server(url, extra_env=env) as base:
        yield LibrarySite(base, cookies)


def assert_accessible(page: object, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}:\n{describe(violations)}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_edit_import_and_export_in_the_browser(
    scheme: str, browser: object, library_site: LibrarySite, artifacts_dir: Path
) -> None:
    reason = axe_missing()
    if reason:
        pytest.skip(reason)
    pages = new_page(browser, library_site.base, scheme)
    pg = next(pages)
    try:
        pg.context.add_cookies(  # type: ignore[attr-defined]
            [
                {
                    "name": "paperwire_session",
                    "value": library_site.cookies[scheme],
                    "url": library_site.base,
                }
            ]
        )
        pg.goto("/")  # type: ignore[attr-defined]
        pg.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()  # type: ignore[attr-defined]
        pg.wait_for_url(re.compile(r"/library$"))  # type: ignore[attr-defined]
        assert pg.locator("h1").inner_text() == "Your library"  # type: ignore[attr-defined]
        items = pg.locator("li.library-item")  # type: ignore[attr-defined]
        assert items.count() == 2

        first = items.first  # the last saved: hep-ph/0301050
        first.locator("summary").click()
        assert_accessible(pg, f"/library ({scheme}), edit form open")
        first.get_by_label(re.compile("^Tags")).fill("Vision, pruning")
        first.get_by_label("Private note").fill("Compare with Table 3.\nThen the appendix.")
        first.get_by_role("button", name="Save changes").click()
        pg.wait_for_url(re.compile(r"/library$"))  # type: ignore[attr-defined]
        first = pg.locator("li.library-item").first  # type: ignore[attr-defined]
        assert (
            first.locator(".library-note").inner_text()
            == "Compare with Table 3.\nThen the appendix."
        )
        assert [t.strip() for t in first.locator(".chip").all_inner_texts()] == [
            "vision",
            "pruning",
        ]

        pg.get_by_role("link", name="vision (1)").click()  # type: ignore[attr-defined]
        pg.wait_for_url(re.compile(r"tag=vision"))  # type: ignore[attr-defined]
        assert pg.locator("li.library-item").count() == 1  # type: ignore[attr-defined]

        pg.get_by_label("or paste BibTeX").fill(  # type: ignore[attr-defined]
            "@misc{known, url = {https://arxiv.org/abs/2604.03438}}\n@book{nothing, title = {No ids}}\n"
        )
        pg.get_by_role("button", name="Import").click()  # type: ignore[attr-defined]
        pg.wait_for_load_state()  # type: ignore[attr-defined]
        result = pg.locator(".library-import-result")  # type: ignore[attr-defined]
        assert "Import: 1 matched, 1 not" in result.inner_text()
        assert "no arXiv id, arXiv URL or DOI" in result.inner_text()
        assert pg.locator("li.library-item").count() == 3  # type: ignore[attr-defined]
        assert_accessible(pg, f"/library ({scheme}), after an import")
        pg.screenshot(path=str(artifacts_dir / f"library-{scheme}.png"), full_page=True)  # type: ignore[attr-defined]

        bib = pg.request.get("/api/me/library.bib")  # type: ignore[attr-defined]
        assert bib.ok and bib.text().count("@") == 3 and "Table 3" not in bib.text()

        pg.locator("li.library-item").first.get_by_role(
            "button", name=re.compile("^Remove")
        ).click()  # type: ignore[attr-defined]
        pg.wait_for_url(re.compile(r"/library$"))  # type: ignore[attr-defined]
        assert pg.locator("li.library-item").count() == 2  # type: ignore[attr-defined]
        problems = pg.problems  # type: ignore[attr-defined]
        assert problems.dialogs == [] and problems.console_errors == []
    finally:
        pages.close()
