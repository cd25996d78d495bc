"""What a reader sees, in real headless Chromium against the real server (see
conftest.py). Screenshots of every path go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.web.site_papers import HOSTILE_ABSTRACT, HOSTILE_CODE, HOSTILE_ID, HOSTILE_TITLE

pytestmark = pytest.mark.browser


def shot(page: object, artifacts_dir: Path, name: str) -> None:
    page.screenshot(path=str(artifacts_dir / f"browser-{name}.png"), full_page=True)  # type: ignore[attr-defined]


def assert_clean(page: object) -> None:
    """No dialog, no console error (a CSP violation is one), no failed request."""
    problems = page.problems  # type: ignore[attr-defined]
    assert problems.dialogs == []
    assert problems.console_errors == []
    assert problems.failed_requests == []


def test_open_today_and_page_to_previous_day(page: object, artifacts_dir: Path) -> None:
    page.goto("/")
    assert page.locator("h1").inner_text() == "Latest papers"
    assert page.locator("article.card").count() == 50  # the newest day, then the days before
    newest = page.locator("section.day-group").first
    assert newest.locator("h2").inner_text() == "Friday, 20 November 2026"
    assert newest.locator("article.card").count() == 4  # three dated papers + the hostile one
    assert page.locator("article.card .badge-code").count() >= 1
    shot(page, artifacts_dir, "daily-light")

    # Keyboard: the first Tab reaches the skip link, which moves focus to <main>.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    newest.get_by_role("link", name="Friday, 20 November 2026").click()
    page.wait_for_url(re.compile(r"date=2026-11-20"))
    assert page.locator("h1").inner_text() == "Friday, 20 November 2026"
    assert page.locator("article.card").count() == 4
    page.get_by_role("link", name="← Previous day").click()
    page.wait_for_url(re.compile(r"date=2026-11-19"))
    assert page.locator("h1").inner_text() == "Thursday, 19 November 2026"
    assert page.locator("article.card").count() == 3
    shot(page, artifacts_dir, "previous-day")

    page.get_by_role("link", name="Week", exact=True).click()
    page.wait_for_url(re.compile(r"week=2026-W47"))
    assert page.locator("article.card").count() == 16
    page.get_by_role("link", name="← Previous week").click()
    page.wait_for_url(re.compile(r"week=2026-W44"))
    assert page.locator("article.card").count() == 3
    assert_clean(page)


def test_day_without_announcement(page: object, artifacts_dir: Path) -> None:
    page.goto("/?date=2026-11-21")
    assert "arXiv did not announce on this day" in page.locator(".empty-state").inner_text()
    shot(page, artifacts_dir, "no-announcement")
    page.get_by_role("link", name="See the papers of the previous announcement").click()
    page.wait_for_url(re.compile(r"date=2026-11-20"))
    assert_clean(page)


def test_filter_by_category_and_code(page: object, artifacts_dir: Path) -> None:
    page.goto("/?week=2026-W47")
    page.get_by_label("Category").select_option("cs.CV")  # submits on change
    page.wait_for_url(re.compile(r"category=cs\.CV"))
    cards = page.locator("article.card")
    assert cards.count() == 10  # papers 1 and 3 of each of the five days
    for i in range(cards.count()):
        assert "cs.CV" in cards.nth(i).locator(".chips").inner_text()
    page.get_by_label("With code only").check()
    page.wait_for_url(re.compile(r"code=1"))
    assert page.locator("article.card").count() == 5
    assert page.locator("article.card .badge-code").count() == 5
    shot(page, artifacts_dir, "filtered")
    assert_clean(page)


def test_open_paper_render_math_and_copy_bibtex(page: object, artifacts_dir: Path) -> None:
    page.goto("/?date=2026-11-19")
    first = page.locator("article.card h2 a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/papers/2611\."))
    assert page.locator("h1").inner_text() == title
    # TeX in the abstract is typeset by KaTeX (same-origin script and fonts, CSP intact).
    assert page.locator("#abstract .katex").count() >= 1
    # (Not wait_for_function: its polling evaluates a string, which our CSP forbids.)
    assert page.evaluate("document.fonts.ready.then(() => document.fonts.status)") == "loaded"
    # Authors link to their pages.
    page.get_by_role("link", name="Grace Hopper").first.wait_for()
    bibtex = page.locator("#bibtex").inner_text()
    assert bibtex.startswith("@misc{") and "archivePrefix = {arXiv}" in bibtex
    page.get_by_role("button", name="Copy BibTeX").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == bibtex
    shot(page, artifacts_dir, "paper")

    page.get_by_role("link", name="Grace Hopper").first.click()
    page.wait_for_url(re.compile(r"/authors/Grace%20Hopper"))
    assert page.locator("article.card").count() == 18
    shot(page, artifacts_dir, "author")
    assert_clean(page)


def test_hostile_paper_stays_text(page: object, artifacts_dir: Path) -> None:
    page.goto(f"/papers/{HOSTILE_ID}")
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    abstract = page.locator("#abstract").inner_text()
    assert abstract.startswith("</textarea><img src=x onerror=alert(1)>")
    assert "<b onmouseover=alert(4)>bold</b>" in abstract
    assert page.locator("main img, main iframe, main script, main textarea, main b").count() == 0
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert not [h for h in hrefs if not h.startswith(("/", "https://", "http://", "#"))]
    assert page.locator(".unsafe-link").inner_text() == HOSTILE_CODE
    # \href inside TeX is not trusted: no link, the TeX is shown as an error, not HTML.
    assert page.locator("#abstract a").count() == 0
    assert page.get_by_role("link", name="https://github.com/example/safe-repo").count() == 1
    page.locator(".paper-comments").hover()
    shot(page, artifacts_dir, "hostile-paper")

    page.goto("/")  # the same paper as a card on the daily page
    card = page.locator("article.card", has_text="alert(1)</script>")
    assert card.locator(".card-title").inner_text() == HOSTILE_TITLE
    assert HOSTILE_ABSTRACT[:20] in card.inner_text()
    assert_clean(page)


def test_dark_mode(dark_page: object, artifacts_dir: Path) -> None:
    dark_page.goto("/")
    background = dark_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 17, 21)"
    shot(dark_page, artifacts_dir, "daily-dark")
    dark_page.goto(f"/papers/{HOSTILE_ID}")
    shot(dark_page, artifacts_dir, "paper-dark")
    dark_page.goto("/trending?period=week")
    assert dark_page.locator("ol.card-list > li").count() == 16
    shot(dark_page, artifacts_dir, "trending-dark")
    dark_page.goto("/papers/2101.99999")
    assert "We could not find that page" in dark_page.locator("h1").inner_text()
    shot(dark_page, artifacts_dir, "not-found-dark")
    assert dark_page.problems.dialogs == []  # type: ignore[attr-defined]


def test_follow_feed_link(page: object, artifacts_dir: Path) -> None:
    import feedparser

    page.goto("/categories/cs.CV")
    hrefs = page.eval_on_selector_all(
        'link[rel="alternate"][type="application/atom+xml"]', "els => els.map(e => e.href)"
    )
    assert hrefs and hrefs[0].endswith("/feeds/categories/cs.CV.atom")
    # The visible link a reader clicks leads to the same feed.
    page.get_by_role("link", name="Subscribe to cs.CV").click()
    page.wait_for_url(re.compile(r"/feeds/categories/cs\.CV\.atom$"))
    shot(page, artifacts_dir, "feed")
    response = page.request.get(hrefs[0])
    assert response.ok and "atom" in response.headers["content-type"]
    feed = feedparser.parse(response.body())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and feed.feed.title and feed.feed.id
    titles = [e.title for e in feed.entries]
    assert any(t.startswith("Dated paper") for t in titles)
    assert all(e.link.startswith("http") and e.id for e in feed.entries)
    daily = feedparser.parse(page.request.get("/feeds/daily.atom").body())
    assert not daily.bozo and len(daily.entries) == 4
    # The hostile title arrives in the feed as text, not markup.
    assert "<script>alert(1)</script>" in [e.title for e in daily.entries]


def test_search_and_filter(page: object, artifacts_dir: Path) -> None:
    page.goto("/")
    page.get_by_label("Search papers").fill("sparse attention")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=sparse\+attention"))
    assert page.locator("article.card").count() >= 18
    assert page.locator(".facets li").count() >= 3
    page.get_by_label("Category").select_option("cs.CV")
    page.get_by_label("With code only").check()
    page.get_by_role("button", name="Search", exact=True).last.click()
    page.wait_for_url(re.compile(r"category=cs\.CV"))
    cards = page.locator("article.card")
    assert cards.count() >= 1
    for i in range(cards.count()):
        assert "cs.CV" in cards.nth(i).locator(".chips").inner_text()
        assert cards.nth(i).locator(".badge-code").count() == 1
    shot(page, artifacts_dir, "search")
    assert_clean(page)
