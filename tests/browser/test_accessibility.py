"""Every kind of page the site serves is free of axe-core violations (WCAG 2 A/AA), in
light and in dark colours, under the real server and the strict CSP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.browser.axe import axe_missing, axe_violations, describe
from tests.browser.conftest import new_page

pytestmark = pytest.mark.browser

# One path per kind of page: listings, trending, search, the about page, the public
# forms (sign-in, subscribe) and an error page (papers, authors and categories are
# reached through links below; the pages of a signed-in reader are checked along the
# community's flow in test_community_browser.py). The API docs
# page is left out: its markup is Swagger UI's own (it nests buttons in its operation
# rows), not the site's.
PAGES = [
    "/",
    "/?date=2026-11-19",
    "/trending?period=month",
    "/search?q=transformer",
    "/about",
    "/sign-in",
    "/subscribe",
    "/digests/daily/2026-11-19",
    "/digests/weekly/2026-W47",
    "/does-not-exist",
]


@pytest.fixture(params=["light", "dark"])
def scheme_page(
    request: pytest.FixtureRequest, browser: object, live_server: str
) -> Iterator[object]:
    reason = axe_missing()
    if reason:
        pytest.skip(reason)
    yield from new_page(browser, live_server, request.param)


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_axe_violations(scheme_page: object, path: str) -> None:
    scheme_page.goto(path)  # type: ignore[attr-defined]
    violations = axe_violations(scheme_page)
    assert violations == [], f"{path}:\n{describe(violations)}"


def test_paper_author_and_category_pages_have_no_axe_violations(scheme_page: object) -> None:
    """Reached by following links, as a reader does, so the test needs no ids."""
    pg = scheme_page
    pg.goto("/")  # type: ignore[attr-defined]
    for link in (
        "article.card .card-title a",
        "article.card .card-authors a",
        "article.card .chip",
    ):
        pg.goto("/")  # type: ignore[attr-defined]
        target = pg.locator(link).first  # type: ignore[attr-defined]
        href = target.get_attribute("href")
        assert href, f"no link {link!r} on /"
        pg.goto(href)  # type: ignore[attr-defined]
        violations = axe_violations(pg)
        assert violations == [], f"{href}:\n{describe(violations)}"
