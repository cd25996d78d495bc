"""Votes through the web, on SQLite and PostgreSQL: the JSON API (cookie with CSRF, and
bearer tokens), exact counts under 60 concurrent voters through the ASGI app, the
paper answer's community fields and their caching, the cards and the paper page, the
plain-form fallback, the Hugging Face–compatible fields as ``huggingface_hub`` parses
them, and /about's formula."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from huggingface_hub.hf_api import PaperInfo

from paperwire.app import create_app
from paperwire.community import comments
from paperwire.config import Settings
from paperwire.store import Store
from tests.community.helpers import api_token, bearer, make_user, signed_in
from tests.community.votes_helpers import NEWEST, NOW, add_papers

HOSTILE_NAME = '<script>alert("n")</script>'


@pytest.fixture
def app(settings: Settings, store: Store) -> FastAPI:
    return create_app(settings, store=store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def paper_ids(store: Store) -> list[str]:
    return add_papers(store, {NEWEST: 3})


def vote(client: TestClient, paper_id: str, headers: dict[str, str], method: str = "POST") -> Any:
    return client.request(method, f"/api/papers/{paper_id}/vote", headers=headers)


def without_csrf(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "X-CSRF-Token"}


def test_vote_toggles_with_a_bearer_token(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    token = bearer(api_token(store, make_user(store, "bot@example.org")))
    pid = paper_ids[0]
    assert vote(client, pid, token).json() == {"upvotes": 1, "voted": True}
    assert vote(client, pid, token).json() == {"upvotes": 1, "voted": True}
    assert vote(client, f"arXiv:{pid}v2", token).json() == {"upvotes": 1, "voted": True}
    assert vote(client, pid, token, "DELETE").json() == {"upvotes": 0, "voted": False}
    r = vote(client, pid, token, "DELETE")
    assert r.status_code == 200 and r.json() == {"upvotes": 0, "voted": False}


def test_cookie_votes_need_the_csrf_token(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    pid = paper_ids[0]
    alice = signed_in(client, store, "alice@example.org")
    r = vote(client, pid, without_csrf(alice))
    assert r.status_code == 403 and r.json()["status"] == 403
    r = vote(client, pid, {**alice, "X-CSRF-Token": "forged"})
    assert r.status_code == 403
    r = vote(client, pid, {**alice, "Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403
    r = vote(client, pid, {**alice, "Origin": "https://evil.example"})
    assert r.status_code == 403
    assert client.get(f"/api/papers/{pid}").json()["upvotes"] == 0
    assert vote(client, pid, alice).json() == {"upvotes": 1, "voted": True}
    assert vote(client, pid, without_csrf(alice), "DELETE").status_code == 403
    assert vote(client, pid, alice, "DELETE").json() == {"upvotes": 0, "voted": False}


def test_signed_out_unknown_and_malformed(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    r = vote(client, paper_ids[0], {})
    assert r.status_code == 401 and r.json()["status"] == 401
    r = vote(client, paper_ids[0], bearer("not-a-token"))
    assert r.status_code == 401
    token = bearer(api_token(store, make_user(store, "bot@example.org")))
    r = vote(client, "2603.99999", token)
    assert r.status_code == 404 and "2603.99999" in r.json()["error"]
    assert vote(client, "2603.99999", token, "DELETE").status_code == 404
    r = vote(client, "not an id", token)
    assert r.status_code == 400 and r.json()["status"] == 400
    assert client.get(f"/api/papers/{paper_ids[0]}/vote").status_code in (400, 404, 405)


def test_a_reader_never_changes_anothers_vote(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    pid = paper_ids[0]
    alice = bearer(api_token(store, make_user(store, "alice@example.org")))
    bob = signed_in(client, store, "bob@example.org")
    vote(client, pid, alice)
    # Bob's DELETE withdraws Bob's vote (none), never Alice's.
    assert vote(client, pid, bob, "DELETE").json() == {"upvotes": 1, "voted": False}
    assert client.get(f"/api/papers/{pid}", headers=alice).json()["voted"] is True
    assert client.get(f"/api/papers/{pid}", headers=bob).json()["voted"] is False


def run_async(coro: Any) -> Any:
    # On a thread of its own: a running event loop (the browser suite's) refuses another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_sixty_concurrent_voters_are_counted_exactly(
    app: FastAPI, store: Store, paper_ids: list[str]
) -> None:
    pid = paper_ids[0]
    tokens = [api_token(store, make_user(store, f"v{i}@example.org")) for i in range(60)]

    async def all_at_once(method: str, chosen: list[str]) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            requests = [
                c.request(method, f"/api/papers/{pid}/vote", headers=bearer(t))
                for t in chosen
                for _ in range(2)  # each account twice at once: still one vote
            ]
            return await asyncio.gather(*requests)

    answers = run_async(all_at_once("POST", tokens))
    assert all(r.status_code == 200 and r.json()["voted"] for r in answers)
    assert max(r.json()["upvotes"] for r in answers) == 60
    with TestClient(app) as c:
        assert c.get(f"/api/papers/{pid}").json()["upvotes"] == 60
        answers = run_async(all_at_once("DELETE", tokens[:25]))
        assert all(r.status_code == 200 and not r.json()["voted"] for r in answers)
        assert c.get(f"/api/papers/{pid}").json()["upvotes"] == 35
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT COUNT(*) AS n FROM votes WHERE paper_id = ?", (pid,))
    assert row is not None and int(row["n"]) == 35


def approve(store: Store, paper_id: str, submitter_email: str, name: str = "") -> None:
    submitter = make_user(store, submitter_email, name=name)
    mod = store.get_user_by_email("mod@example.org") or make_user(
        store, "mod@example.org", role="moderator"
    )
    # Submitted on the papers' own day, so it stays listed there.
    made = store.add_submission(paper_id, submitter.id, at=NOW, daily_limit=0)
    assert made is not None
    store.decide_submission(made[0].id, status="approved", moderator_id=mod.id, at=NOW)


def test_the_paper_answer_carries_the_community(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    pid = paper_ids[0]
    alice = signed_in(client, store, "alice@example.org")
    vote(client, pid, alice)
    user = store.get_user_by_email("alice@example.org")
    assert user is not None
    comments.post_comment(store, user, pid, "Nice", now=datetime.now(UTC))
    approve(store, pid, "carol@example.org", name="Carol C.")

    anonymous = client.get(f"/api/papers/{pid}")
    data = anonymous.json()
    assert (data["upvotes"], data["num_comments"], data["saves"], data["submitted_by"]) == (
        1,
        1,
        0,
        "Carol C.",
    )
    assert "voted" not in data and "saved" not in data
    assert anonymous.headers["cache-control"].startswith("public")

    mine = client.get(f"/api/papers/{pid}", headers=alice)
    assert mine.json()["voted"] is True and mine.json()["saved"] is False
    assert mine.headers["cache-control"].startswith("private")
    bob = bearer(api_token(store, make_user(store, "bob@example.org")))
    theirs = client.get(f"/api/papers/{pid}", headers=bob)
    assert theirs.json()["voted"] is False
    assert theirs.headers["cache-control"].startswith("private")
    # One reader's validator never gets another reader a 304 of the first one's answer.
    assert len({anonymous.headers["etag"], mine.headers["etag"], theirs.headers["etag"]}) == 3
    again = client.get(f"/api/papers/{pid}", headers={**bob, "If-None-Match": mine.headers["etag"]})
    assert again.status_code == 200 and again.json()["voted"] is False
    # A vote changes the data version: the old validator is stale.
    vote(client, pid, bob)
    fresh = client.get(f"/api/papers/{pid}", headers={"If-None-Match": anonymous.headers["etag"]})
    assert fresh.status_code == 200 and fresh.json()["upvotes"] == 2


def test_cards_show_counts_and_the_readers_state(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    voted_id, other_id, _ = paper_ids
    approve(store, voted_id, "eve@example.org", name=HOSTILE_NAME)
    alice = signed_in(client, store, "alice@example.org")
    vote(client, voted_id, alice)

    for path in ("/", "/trending", "/trending?period=week"):
        page = client.get(path, headers=alice).text
        form = re.search(
            rf'<form class="vote-form" method="post" action="/papers/{voted_id}/vote"'
            rf".*?</form>",
            page,
            re.S,
        )
        assert form, path
        assert 'aria-pressed="true"' in form[0] and 'name="voted" value="0"' in form[0]
        assert f'name="csrf_token" value="{alice["X-CSRF-Token"]}"' in form[0]
        assert '<span class="vote-count">1</span>' in form[0]
        other = re.search(rf'action="/papers/{other_id}/vote".*?</form>', page, re.S)
        assert other and 'aria-pressed="false"' in other[0] and 'name="voted" value="1"' in other[0]
        assert "submitted by &lt;script&gt;alert(&#34;n&#34;)&lt;/script&gt;" in page
        assert HOSTILE_NAME not in page
        assert f'href="/papers/{voted_id}#comments">0 comments</a>' in page

    # A signed-out reader sees the counts and a way to sign in, and no form; the page
    # kept for signed-out readers never holds a signed-in reader's state.
    for _ in range(2):
        page = client.get("/").text
        assert "vote-form" not in page and 'aria-pressed="true"' not in page
        assert re.search(
            r'<a class="vote-button" href="/sign-in">.*?<span class="vote-count">1</span>',
            page,
            re.S,
        )
        assert "sign in to vote" in page
    token = bearer(api_token(store, store.get_user_by_email("alice@example.org")))  # type: ignore[arg-type]
    assert 'aria-pressed="true"' in client.get("/", headers=token).text
    assert 'aria-pressed="true"' not in client.get("/").text

    paper_page = client.get(f"/papers/{voted_id}", headers=alice).text
    assert re.search(
        rf'<header class="paper-head">.*action="/papers/{voted_id}/vote".*aria-pressed="true".*</header>',
        paper_page,
        re.S,
    )


def test_the_plain_form_votes_and_returns(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    pid = paper_ids[0]
    alice = signed_in(client, store, "alice@example.org")
    cookie = {"Cookie": alice["Cookie"]}
    form = {"csrf_token": alice["X-CSRF-Token"], "voted": "1", "next": "/trending?period=week"}
    r = client.post(f"/papers/{pid}/vote", data=form, headers=cookie, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/trending?period=week"
    assert client.get(f"/api/papers/{pid}").json()["upvotes"] == 1
    # Another site cannot be the way back; without the token nothing happens.
    for bad in ("//evil.example/x", "/\\evil.example", "https://evil.example/"):
        r = client.post(
            f"/papers/{pid}/vote",
            data={**form, "voted": "0", "next": bad},
            headers=cookie,
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"] == f"/papers/{pid}"
        client.post(f"/papers/{pid}/vote", data=form, headers=cookie, follow_redirects=False)
    r = client.post(
        f"/papers/{pid}/vote", data={"voted": "0"}, headers=cookie, follow_redirects=False
    )
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    r = client.post(
        f"/papers/{pid}/vote", data={**form, "voted": "2"}, headers=cookie, follow_redirects=False
    )
    assert r.status_code == 400
    assert client.get(f"/api/papers/{pid}").json()["upvotes"] == 1
    r = client.post(
        f"/papers/{pid}/vote", data={**form, "voted": "0"}, headers=cookie, follow_redirects=False
    )
    assert r.status_code == 303
    assert client.get(f"/api/papers/{pid}").json()["upvotes"] == 0


def test_hugging_face_fields_as_the_client_reads_them(
    client: TestClient, store: Store, paper_ids: list[str]
) -> None:
    first, second, third = paper_ids
    for i in range(2):
        vote(client, second, bearer(api_token(store, make_user(store, f"v{i}@example.org"))))
    user = store.get_user_by_email("v0@example.org")
    assert user is not None
    comments.post_comment(store, user, second, "Good", now=datetime.now(UTC))
    approve(store, second, "carol@example.org", name="Carol")

    info = PaperInfo(**client.get(f"/hf/api/papers/{second}").json())
    assert (info.upvotes, info.comments) == (2, 1)
    assert info.submitted_by is not None and info.submitted_by.username == "Carol"
    plain = PaperInfo(**client.get(f"/hf/api/papers/{first}").json())
    assert not plain.upvotes and plain.comments == 0 and plain.submitted_by is None

    daily = {
        p.id: p for p in (PaperInfo(**item) for item in client.get("/hf/api/daily_papers").json())
    }
    assert daily[second].upvotes == 2 and daily[second].comments == 1
    assert daily[second].submitted_by is not None and daily[second].submitted_by.fullname == "Carol"
    assert daily[third].submitted_by is None
    # Trending: the voted paper first, then the rest newest first (ids descending).
    ranked = client.get(
        "/hf/api/daily_papers", params={"sort": "trending", "date": NEWEST.isoformat()}
    )
    assert [item["paper"]["id"] for item in ranked.json()] == [second, first, third]
    by_date = client.get("/hf/api/daily_papers", params={"date": NEWEST.isoformat()})
    assert [item["paper"]["id"] for item in by_date.json()] == [first, second, third]
    page = client.get("/hf/api/daily_papers", params={"sort": "trending", "p": 1, "limit": 2})
    assert [item["paper"]["id"] for item in page.json()] == [third]


def test_about_explains_the_formula(settings: Settings, store: Store) -> None:
    custom = settings.model_copy(update={"vote_trust_hours": 36, "vote_burst_limit": 4})
    with TestClient(create_app(custom, store=store)) as c:
        page = c.get("/about").text
        assert "(age + 2)^1.5" in page and "36 hours" in page and "more than 4 votes" in page
        ranking = c.get("/api/trending").json()["ranking"]
        assert "36 hours" in ranking and "0.5 per reader who saved it" in ranking
