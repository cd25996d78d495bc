"""Upvotes in real Chromium under the real server and its strict CSP: a signed-in
reader votes from a card (site.js sends the API request and updates every card of the
paper in place, with ``aria-pressed``), withdraws it again, and the same works without
JavaScript through the plain form; the signed-in and signed-out cards, the paper page
with a submitter and the save toggle, are free of axe-core violations in light and dark."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperwire.community import accounts
from paperwire.store import Store, open_store
from paperwire.web import auth
from tests.browser.axe import axe_missing, axe_violations, describe
from tests.browser.conftest import new_page
from tests.conftest import migrated_sqlite

pytestmark = pytest.mark.browser

SECRET_KEY = "votes-browser-test-key-" + "x" * 32


@dataclass(frozen=True)
class VoteSite:
    base: str
    paper_id: str  # on the newest day: the first card of /
    title: str  # its title, whitespace collapsed
    cookie: str
    store_url: str


@pytest.fixture(scope="module")
def vote_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoteSite]:
    """Its own server and database (the shared browser site stays without votes), with
    a known secret key, so a session made here signs the browser in."""
    from paperwire.ingest.sample import load_sample
    from tests.live_server import live_server

    folder = tmp_path_factory.mktemp("votes")
    url = migrated_sqlite(folder, fill=load_sample)
    store = open_store(url)
    now = datetime.now(UTC)
    try:
        newest = store.list_papers(limit=1)[0]
        reader = accounts.add_user(store, "reader@example.org", now=now)
        curator = accounts.add_user(store, "curator@example.org", now=now, name="Ada <Curator>")
        mod = accounts.add_user(store, "mod@example.org", now=now, role="moderator")
        made = store.add_submission(newest.id, curator.id, at=now, daily_limit=0)
        assert made is not None
        store.decide_submission(made[0].id, status="approved", moderator_id=mod.id, at=now)
        session = accounts.start_session(store, reader, now=now, days=1)
        cookie = auth.cookie_value(SECRET_KEY.encode(), session.token)
    finally:
        store.close()
    env = {
        "PAPERWIRE_EMBEDDER": "hash",
        "PAPERWIRE_DATA_DIR": str(Path(folder) / "data"),
        "PAPERWIRE_SECRET_KEY": SECRET_KEY,
    }
    with live_server(url, extra_env=env) as base:
        yield VoteSite(base, newest.id, " ".join(newest.title.split()), cookie, url)


@pytest.fixture(params=["light", "dark"])
def scheme_page(
    request: pytest.FixtureRequest, browser: object, vote_site: VoteSite
) -> Iterator[object]:
    reason = axe_missing()
    if reason:
        pytest.skip(reason)
    yield from new_page(browser, vote_site.base, request.param)


def sign_in(page: object, site: VoteSite) -> None:
    page.context.add_cookies(  # type: ignore[attr-defined]
        [{"name": "paperwire_session", "value": site.cookie, "url": site.base}]
    )


def assert_accessible(page: object, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}:\n{describe(violations)}"


def stored_votes(site: VoteSite) -> int:
    store: Store = open_store(site.store_url)
    try:
        return store.card_stats([site.paper_id])[site.paper_id].upvotes
    finally:
        store.close()


def test_vote_in_place_and_accessible(scheme_page: object, vote_site: VoteSite) -> None:
    pg = scheme_page
    pg.goto("/")  # type: ignore[attr-defined]
    assert_accessible(pg, "/ signed out")
    assert pg.locator("a.vote-button").count() > 0  # type: ignore[attr-defined]

    sign_in(pg, vote_site)
    pg.goto("/")  # type: ignore[attr-defined]
    form = pg.locator(f'form.vote-form[action="/papers/{vote_site.paper_id}/vote"]').first  # type: ignore[attr-defined]
    button = form.locator("button.vote-button")
    assert button.get_attribute("aria-pressed") == "false"
    # The toggle's name names its paper, and it is the same pressed or not.
    upvote = pg.get_by_role("button", name=f"Upvote: {vote_site.title}", exact=True)  # type: ignore[attr-defined]
    assert upvote.first.get_attribute("aria-pressed") == "false"
    before = int(form.locator(".vote-count").inner_text())
    assert "submitted by Ada <Curator>" in pg.locator("article.card").first.inner_text()  # type: ignore[attr-defined]
    assert pg.locator(".save-button:visible").count() > 0  # type: ignore[attr-defined]
    for control in ("vote-button", "save-button"):  # every card's button says which paper
        names = pg.locator(f"button.{control}").evaluate_all(  # type: ignore[attr-defined]
            "els => els.map(e => e.getAttribute('aria-label'))"
        )
        assert len(names) > 1 and len(set(names)) == len(names), names
    assert_accessible(pg, "/ signed in")

    pg.evaluate("window.stillThisPage = true")  # type: ignore[attr-defined]
    button.click()
    pg.wait_for_function(  # type: ignore[attr-defined]
        "el => el.getAttribute('aria-pressed') === 'true'", arg=button.element_handle()
    )
    # No page load: the script sent the vote and changed the count in place.
    assert pg.evaluate("window.stillThisPage === true")  # type: ignore[attr-defined]
    assert int(form.locator(".vote-count").inner_text()) == before + 1
    assert stored_votes(vote_site) == before + 1
    assert upvote.first.get_attribute("aria-pressed") == "true"
    assert_accessible(pg, "/ signed in, voted")

    button.click()
    pg.wait_for_function(  # type: ignore[attr-defined]
        "el => el.getAttribute('aria-pressed') === 'false'", arg=button.element_handle()
    )
    assert int(form.locator(".vote-count").inner_text()) == before
    assert stored_votes(vote_site) == before

    # Saving: the text stays "Save" (and the name "Save: <title>"); aria-pressed and
    # the pressed style tell the state. Pressed twice, so the other scheme starts alike.
    save = pg.get_by_role("button", name=f"Save: {vote_site.title}", exact=True).first  # type: ignore[attr-defined]
    for pressed in ("true", "false"):
        save.click()
        pg.wait_for_function(  # type: ignore[attr-defined]
            f"el => el.getAttribute('aria-pressed') === '{pressed}'", arg=save.element_handle()
        )
        assert save.inner_text() == "Save"
        if pressed == "true":
            assert_accessible(pg, "/ signed in, saved")

    pg.goto(f"/papers/{vote_site.paper_id}")  # type: ignore[attr-defined]
    assert_accessible(pg, "the paper page signed in")
    problems = pg.problems  # type: ignore[attr-defined]
    assert problems.dialogs == [] and problems.console_errors == [], problems.console_errors
    assert problems.failed_requests == []


def test_vote_without_javascript(browser: object, vote_site: VoteSite) -> None:
    context = browser.new_context(base_url=vote_site.base, java_script_enabled=False)  # type: ignore[attr-defined]
    try:
        context.add_cookies(
            [{"name": "paperwire_session", "value": vote_site.cookie, "url": vote_site.base}]
        )
        pg = context.new_page()
        pg.goto("/trending")
        form = pg.locator(f'form.vote-form[action="/papers/{vote_site.paper_id}/vote"]').first
        before = int(form.locator(".vote-count").inner_text())
        form.locator("button.vote-button").click()
        pg.wait_for_load_state()
        assert pg.url.endswith("/trending")
        form = pg.locator(f'form.vote-form[action="/papers/{vote_site.paper_id}/vote"]').first
        assert form.locator("button.vote-button").get_attribute("aria-pressed") == "true"
        assert int(form.locator(".vote-count").inner_text()) == before + 1
        form.locator("button.vote-button").click()
        pg.wait_for_load_state()
        form = pg.locator(f'form.vote-form[action="/papers/{vote_site.paper_id}/vote"]').first
        assert int(form.locator(".vote-count").inner_text()) == before
    finally:
        context.close()
