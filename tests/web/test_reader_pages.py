"""Signed-in readers' pages made from the page kept for all of them (web/reader_pages.py),
on SQLite and PostgreSQL: each is byte for byte the page rendered for that reader
alone (an app that keeps no pages renders it so, over the same store and secret key);
no reader ever sees another's name, token, votes or saves; a reader's own vote changes
their validator; a cookie that signs no one in gets the signed-out page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.community import comments, library
from paperwire.config import Settings
from paperwire.models import User
from paperwire.store import Store
from paperwire.web.reader_pages import PageSlots
from tests.community.helpers import make_user, signed_in
from tests.community.votes_helpers import NEWEST, NOW, add_papers

HOSTILE = '<b>"Al&ice"</b>'
# Every route declared Cache.PAGE, with a filter, a page of a period and an error.
PAGES = (
    "/",
    "/?category=cs.LG",
    f"/?date={NEWEST.isoformat()}",
    "/trending",
    "/trending?period=week",
    "/authors/Author%201",
    "/categories/cs.LG",
    "/about",
    f"/digests/daily/{NEWEST.isoformat()}",
    "/digests/weekly/{}-W{:02d}".format(*NEWEST.isocalendar()[:2]),
    "/trending?period=decade",  # a 400 page
)


@pytest.fixture
def paper_ids(store: Store) -> list[str]:
    return add_papers(store, {NEWEST: 6})


@pytest.fixture
def app(settings: Settings, store: Store) -> FastAPI:
    return create_app(settings, store=store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def fresh(settings: Settings, store: Store) -> Iterator[TestClient]:
    """The same site keeping no pages: every page rendered for its request alone."""
    app = create_app(settings.model_copy(update={"page_cache_pages": 0}), store=store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def user(store: Store, email: str) -> User:
    found = store.get_user_by_email(email)
    assert found is not None
    return found


def cookie(headers: dict[str, str]) -> dict[str, str]:
    return {"Cookie": headers["Cookie"]}


def vote_form(page: str, paper_id: str) -> str:
    form = re.search(rf'action="/papers/{re.escape(paper_id)}/vote".*?</form>', page, re.S)
    assert form, paper_id
    return form[0]


def save_button(page: str, paper_id: str) -> str:
    button = re.search(
        rf'data-library-url="/api/me/library/{re.escape(paper_id)}".*?</button>(\s*<span class="saved-note">)?',
        page,
        re.S,
    )
    assert button, paper_id
    return button[0]


def voted(page: str, paper_id: str) -> bool:
    form = vote_form(page, paper_id)
    pressed = 'aria-pressed="true"' in form
    assert ('name="voted" value="0"' in form) is pressed
    return pressed


def saved(page: str, paper_id: str) -> bool:
    button = save_button(page, paper_id)
    is_saved = 'aria-pressed="true"' in button
    assert is_saved is ('class="saved-note"' in button)
    assert is_saved or 'aria-pressed="false"' in button
    assert '">Save</button>' in button  # the text stays; aria-pressed tells the state
    return is_saved


def test_a_filled_page_is_the_page_rendered_for_the_reader_alone(
    client: TestClient, fresh: TestClient, store: Store, paper_ids: list[str]
) -> None:
    pages = client.app.state.reader_pages  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    alice = make_user(store, "alice@example.org", name=HOSTILE)
    bob = make_user(store, "bob@example.org", name="Bob")
    mod = make_user(store, "mod@example.org", role="moderator", name="Mo")
    first, second, third = paper_ids[:3]
    for paper in (first, second):
        store.vote(alice.id, paper, now=now)
    store.vote(bob.id, third, now=now)
    papers = {p.id: p for p in store.get_papers(paper_ids)}
    library.save_paper(store, alice, papers[second], now=now)
    comments.post_comment(store, bob, first, "Nice", now=now)
    made = store.add_submission(third, bob.id, at=NOW, daily_limit=0)
    assert made is not None
    store.decide_submission(made[0].id, status="approved", moderator_id=mod.id, at=NOW)

    for email in ("alice@example.org", "mod@example.org"):
        reader = cookie(signed_in(client, store, email))
        for url in PAGES:
            kept_before = len(pages)
            first_answer = client.get(url, headers=reader)  # renders the shared page
            again = client.get(url, headers=reader)  # from the kept page
            alone = fresh.get(url, headers=reader)
            assert first_answer.status_code == alone.status_code, url
            assert again.content == first_answer.content == alone.content, url
            assert b"pw-slot" not in again.content
            assert again.headers["content-length"] == str(len(again.content))
            if first_answer.status_code == 200:
                assert len(pages) == kept_before + 1, url  # kept once, served again
            else:
                assert len(pages) == kept_before, url  # errors are never kept

    page = client.get("/", headers=cookie(signed_in(client, store, "alice@example.org"))).text
    assert (
        '<a class="header-account" href="/account">&lt;b&gt;&#34;Al&amp;ice&#34;&lt;/b&gt;</a>'
        in page
    )
    assert HOSTILE not in page
    assert [voted(page, p) for p in (first, second, third)] == [True, True, False]
    assert [saved(page, p) for p in (first, second, third)] == [False, True, False]
    assert f'href="/papers/{first}#comments">1 comment</a>' in page
    assert "submitted by Bob" in page
    assert ">Moderation</a>" not in page
    moderator = client.get("/", headers=cookie(signed_in(client, store, "mod@example.org"))).text
    assert ">Moderation</a>" in moderator and ">Mo</a>" in moderator


def test_readers_never_see_each_others_state(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    alice = signed_in(client, store, "alice@example.org")
    bob = signed_in(client, store, "bob@example.org")
    a, b = user(store, "alice@example.org"), user(store, "bob@example.org")
    now = datetime.now(UTC)
    first, second = paper_ids[:2]
    store.vote(a.id, first, now=now)
    papers = {p.id: p for p in store.get_papers(paper_ids)}
    library.save_paper(store, b, papers[second], now=now)

    for _ in range(2):  # the second round is served from the kept page
        for url in ("/", "/trending"):
            mine = client.get(url, headers=cookie(alice)).text
            theirs = client.get(url, headers=cookie(bob)).text
            assert voted(mine, first) and not saved(mine, second)
            assert not voted(theirs, first) and saved(theirs, second)
            assert mine.count(alice["X-CSRF-Token"]) == 1 + len(paper_ids)  # meta + forms
            assert bob["X-CSRF-Token"] not in mine and alice["X-CSRF-Token"] not in theirs
            assert f'<meta name="csrf-token" content="{bob["X-CSRF-Token"]}">' in theirs
            assert ">alice</a>" in mine and ">bob</a>" not in mine
            assert ">bob</a>" in theirs and ">alice</a>" not in theirs
    # The shared pages for a listing hold no reader's state: one per page (plain readers).
    assert len(client.app.state.reader_pages) == 2  # type: ignore[attr-defined]
    # The page signed-out readers share holds none either.
    signed_out = client.get("/").text
    assert "csrf-token" not in signed_out and 'aria-pressed="true"' not in signed_out


def test_a_readers_own_vote_changes_their_validator_and_their_page(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    alice = signed_in(client, store, "alice@example.org")
    bob = signed_in(client, store, "bob@example.org")
    pid = paper_ids[0]
    before = client.get("/", headers=cookie(alice))
    assert before.headers["cache-control"] == "private, no-cache"
    tag = before.headers["etag"]
    assert client.get("/", headers={**cookie(alice), "If-None-Match": tag}).status_code == 304
    # Another reader's validator is another: one reader's 304 never answers another.
    assert client.get("/", headers=cookie(bob)).headers["etag"] != tag

    r = client.post(f"/api/papers/{pid}/vote", headers=alice)
    assert r.status_code == 200 and r.json() == {"upvotes": 1, "voted": True}
    after = client.get("/", headers={**cookie(alice), "If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert voted(after.text, pid) and '<span class="vote-count">1</span>' in vote_form(
        after.text, pid
    )
    others = client.get("/", headers=cookie(bob)).text
    assert not voted(others, pid) and '<span class="vote-count">1</span>' in vote_form(others, pid)

    r = client.put(f"/api/me/library/{pid}", headers=alice, json={})
    assert r.status_code in (200, 201)
    assert saved(client.get("/", headers=cookie(alice)).text, pid)
    assert not saved(client.get("/", headers=cookie(bob)).text, pid)


def test_head_and_a_cookie_that_signs_no_one_in(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    kept = client.app.state.page_cache  # type: ignore[attr-defined]
    alice = signed_in(client, store, "alice@example.org")
    get = client.get("/trending", headers=cookie(alice))
    head = client.head("/trending", headers=cookie(alice))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(get.content))

    signed_out = client.get("/trending")
    size = len(kept)
    # Signed out (ended session), not ours, or forged: the page kept for everyone.
    assert client.post("/api/auth/sign-out", headers=alice).status_code in (200, 204)
    for headers in (
        cookie(alice),
        {"Cookie": "theme=dark"},
        {"Cookie": "paperwire_session=forged.signature"},
    ):
        r = client.get("/trending", headers=headers)
        assert r.status_code == 200 and r.content == signed_out.content
        assert r.headers["cache-control"] == "private, no-cache"
    assert len(kept) == size
    assert ">Sign in</a>" in signed_out.text and "csrf-token" not in signed_out.text


def test_a_shared_reader_has_a_name_and_a_role_only() -> None:
    reader = PageSlots(moderator=False, nonce="n").reader
    assert reader.is_moderator is False and "pw-slot" in reader.display_name
    with pytest.raises(RuntimeError, match="email"):
        _ = reader.email
