"""Comments in real Chromium under the real server and its strict CSP: a signed-in
reader posts and edits through the page's plain forms, and the section — the reader's
own comment with its open forms, another's with the flag form, a moderator's view with
a hidden comment — is free of axe-core violations in light and dark colours."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperwire.community import accounts, comments
from paperwire.store import open_store
from paperwire.web import auth
from tests.browser.axe import axe_missing, axe_violations, describe
from tests.browser.conftest import new_page
from tests.conftest import migrated_sqlite

pytestmark = pytest.mark.browser

SECRET_KEY = "comments-browser-test-key-" + "x" * 32


@dataclass(frozen=True)
class CommentSite:
    base: str
    paper_id: str
    cookies: dict[str, str]  # email -> session cookie value


@pytest.fixture(scope="module")
def comment_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CommentSite]:
    """Its own server and database (the shared browser site stays free of comments),
    with a known secret key, so sessions made here sign the browser in."""
    from paperwire.ingest.sample import load_sample
    from tests.live_server import live_server

    folder = tmp_path_factory.mktemp("comments")
    url = migrated_sqlite(folder, fill=load_sample)
    store = open_store(url)
    now = datetime.now(UTC)
    try:
        paper_id = store.latest_papers(limit=1)[0].id
        cookies: dict[str, str] = {}
        users = {}
        for email, role in (
            ("alice@example.org", "user"),
            ("bob@example.org", "user"),
            ("mod@example.org", "moderator"),
        ):
            user = accounts.add_user(store, email, now=now, role=role)
            users[email] = user
            session = accounts.start_session(store, user, now=now, days=1)
            cookies[email] = auth.cookie_value(SECRET_KEY.encode(), session.token)
        comments.post_comment(
            store, users["bob@example.org"], paper_id, "Bob's *view*:\n\n> a quote", now=now
        )
        rude = comments.post_comment(store, users["bob@example.org"], paper_id, "rude", now=now)
        comments.set_hidden(store, users["mod@example.org"], rude.id, hidden=True, now=now)
    finally:
        store.close()
    env = {
        "PAPERWIRE_EMBEDDER": "hash",
        "PAPERWIRE_DATA_DIR": str(Path(folder) / "data"),
        "PAPERWIRE_SECRET_KEY": SECRET_KEY,
    }
    with live_server(url, extra_env=env) as base:
        yield CommentSite(base, paper_id, cookies)


@pytest.fixture(params=["light", "dark"])
def scheme_page(
    request: pytest.FixtureRequest, browser: object, comment_site: CommentSite
) -> Iterator[object]:
    reason = axe_missing()
    if reason:
        pytest.skip(reason)
    yield from new_page(browser, comment_site.base, request.param)


def sign_in(page: object, site: CommentSite, email: str) -> None:
    page.context.add_cookies(  # type: ignore[attr-defined]
        [{"name": "paperwire_session", "value": site.cookies[email], "url": site.base}]
    )


def assert_accessible(page: object, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}:\n{describe(violations)}"


def test_post_edit_and_moderate_in_the_browser(
    scheme_page: object, comment_site: CommentSite
) -> None:
    pg = scheme_page
    sign_in(pg, comment_site, "alice@example.org")
    pg.goto(f"/papers/{comment_site.paper_id}")  # type: ignore[attr-defined]
    assert "rude" not in pg.locator("#comments").inner_text()  # type: ignore[attr-defined]

    pg.get_by_label("Your comment", exact=True).fill("Posted from *Chromium*")  # type: ignore[attr-defined]
    pg.get_by_role("button", name="Post comment").click()  # type: ignore[attr-defined]
    pg.wait_for_url(re.compile(r"#comment-\d+$"))  # type: ignore[attr-defined]
    mine = pg.locator("li.comment").last  # type: ignore[attr-defined]
    assert mine.locator(".comment-body em").inner_text() == "Chromium"

    # The reader's own comment with its forms open, and Bob's with the flag form open.
    mine.locator("summary", has_text="Edit").click()
    mine.locator("summary", has_text="Delete").click()
    pg.locator("li.comment").first.locator("summary", has_text="Flag").click()  # type: ignore[attr-defined]
    assert_accessible(pg, "the paper page signed in, forms open")

    mine.get_by_label("Edit your comment").fill("Edited in *Chromium*")
    mine.get_by_role("button", name="Save changes").click()
    pg.wait_for_load_state()  # type: ignore[attr-defined]
    edited = pg.locator("li.comment").last  # type: ignore[attr-defined]
    assert edited.locator(".comment-body").inner_text().strip() == "Edited in Chromium"
    assert "(edited)" in edited.inner_text()

    problems = pg.problems  # type: ignore[attr-defined]
    assert problems.dialogs == [] and problems.console_errors == [], problems.console_errors
    assert problems.failed_requests == []


def test_moderator_view_is_accessible(scheme_page: object, comment_site: CommentSite) -> None:
    pg = scheme_page
    sign_in(pg, comment_site, "mod@example.org")
    pg.goto(f"/papers/{comment_site.paper_id}")  # type: ignore[attr-defined]
    hidden = pg.locator("li.comment-hidden")  # type: ignore[attr-defined]
    assert "Hidden by a moderator" in hidden.inner_text()
    assert hidden.get_by_role("button", name=re.compile("^Show again")).count() == 1
    assert_accessible(pg, "the paper page for a moderator")
    problems = pg.problems  # type: ignore[attr-defined]
    assert problems.console_errors == [], problems.console_errors
