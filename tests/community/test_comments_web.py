"""Comments through the web, on SQLite and PostgreSQL: the JSON API (cookie with CSRF,
and bearer tokens), the paper page's section and its plain-form fallback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.community import comments
from paperwire.config import Settings
from paperwire.store import Store
from tests.community.helpers import api_token, bearer, make_user, signed_in


@pytest.fixture
def client(settings: Settings, sample_store: Store) -> Iterator[TestClient]:
    app = create_app(settings, store=sample_store)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def paper_id(sample_store: Store) -> str:
    return sample_store.latest_papers(limit=1)[0].id


def stats_count(store: Store, paper_id: str) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT comments FROM paper_stats WHERE paper_id = ?", (paper_id,))
    return int(row["comments"]) if row else 0


def post(client: TestClient, paper_id: str, body: str, headers: dict[str, str]) -> Any:
    return client.post(f"/api/papers/{paper_id}/comments", json={"body": body}, headers=headers)


def without_csrf(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "X-CSRF-Token"}


def test_create_list_edit_delete(client: TestClient, sample_store: Store, paper_id: str) -> None:
    alice = signed_in(client, sample_store, "alice@example.org")
    r = post(client, paper_id, "Hello **world** <script>x</script>", alice)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["body"] == "Hello **world** <script>x</script>" and made["author"] == "alice"
    assert made["html"] == "<p>Hello <strong>world</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
    assert made["mine"] is True and made["edited_at"] is None and "hidden" not in made

    listed = client.get(f"/api/papers/{paper_id}/comments")
    assert listed.status_code == 200 and listed.headers["cache-control"] == "no-store"
    assert [c["id"] for c in listed.json()["comments"]] == [made["id"]]
    assert "mine" not in listed.json()["comments"][0]  # a signed-out reader
    assert listed.json()["next_after"] is None
    # An old-style or versioned id reaches the same paper.
    assert client.get(f"/api/papers/{paper_id}v1/comments").json()["paper_id"] == paper_id

    r = client.patch(f"/api/comments/{made['id']}", json={"body": "Edited"}, headers=alice)
    assert r.status_code == 200 and r.json()["body"] == "Edited" and r.json()["edited_at"]
    assert stats_count(sample_store, paper_id) == 1
    r = client.delete(f"/api/comments/{made['id']}", headers=alice)
    assert r.status_code == 204
    assert client.get(f"/api/papers/{paper_id}/comments").json()["comments"] == []
    assert stats_count(sample_store, paper_id) == 0
    assert client.delete(f"/api/comments/{made['id']}", headers=alice).status_code == 404


def test_paging(client: TestClient, sample_store: Store, paper_id: str) -> None:
    token = api_token(sample_store, make_user(sample_store, "bot@example.org"))
    ids = [post(client, paper_id, f"n{i}", bearer(token)).json()["id"] for i in range(3)]
    page = client.get(f"/api/papers/{paper_id}/comments", params={"limit": 2}).json()
    assert [c["id"] for c in page["comments"]] == ids[:2] and page["next_after"] == ids[1]
    rest = client.get(
        f"/api/papers/{paper_id}/comments", params={"limit": 2, "after": page["next_after"]}
    ).json()
    assert [c["id"] for c in rest["comments"]] == ids[2:] and rest["next_after"] is None
    for bad in ({"limit": 0}, {"limit": 201}, {"after": -1}, {"after": 2**64}, {"after": "x"}):
        r = client.get(f"/api/papers/{paper_id}/comments", params=bad)
        assert r.status_code == 400 and r.json()["status"] == 400, bad
    assert client.get("/api/papers/2101.99999/comments").status_code == 404
    assert client.get("/api/papers/not-an-id/comments").status_code == 400


def test_another_user_cannot_edit_or_delete(
    client: TestClient, sample_store: Store, paper_id: str
) -> None:
    alice = signed_in(client, sample_store, "alice@example.org")
    mallory = signed_in(client, sample_store, "mallory@example.org")
    made = post(client, paper_id, "mine", alice).json()
    r = client.patch(f"/api/comments/{made['id']}", json={"body": "pwned"}, headers=mallory)
    assert r.status_code == 403 and r.json() == {
        "error": "you can only edit your own comments",
        "status": 403,
    }
    assert client.delete(f"/api/comments/{made['id']}", headers=mallory).status_code == 403
    # Nor through the plain forms.
    form = {"body": "pwned", "csrf_token": mallory["X-CSRF-Token"]}
    cookie = {"Cookie": mallory["Cookie"]}
    r = client.post(
        f"/comments/{made['id']}/edit", data=form, headers=cookie, follow_redirects=False
    )
    assert r.status_code == 403
    r = client.post(
        f"/comments/{made['id']}/delete", data=form, headers=cookie, follow_redirects=False
    )
    assert r.status_code == 403
    [kept] = client.get(f"/api/papers/{paper_id}/comments").json()["comments"]
    assert kept["body"] == "mine" and kept["edited_at"] is None
    # Nor may an ordinary user hide it.
    assert client.post(f"/api/comments/{made['id']}/hide", headers=mallory).status_code == 403


def test_signed_out_and_csrf(client: TestClient, sample_store: Store, paper_id: str) -> None:
    r = post(client, paper_id, "anonymous", {})
    assert r.status_code == 401 and r.json()["status"] == 401
    alice = signed_in(client, sample_store, "alice@example.org")
    r = post(client, paper_id, "no token", without_csrf(alice))
    assert r.status_code == 403 and "CSRF" in r.json()["error"]
    r = post(client, paper_id, "bad token", {**alice, "X-CSRF-Token": "forged"})
    assert r.status_code == 403
    r = post(client, paper_id, "from elsewhere", {**alice, "Origin": "https://evil.example"})
    assert r.status_code == 403
    made = post(client, paper_id, "ok", alice).json()
    for method, path, body in (
        ("PATCH", f"/api/comments/{made['id']}", {"body": "x"}),
        ("DELETE", f"/api/comments/{made['id']}", None),
        ("POST", f"/api/comments/{made['id']}/flag", {"reason": "x"}),
    ):
        r = client.request(method, path, json=body, headers=without_csrf(alice))
        assert r.status_code == 403, (method, path)
    # The plain form without its csrf_token field is refused too.
    r = client.post(
        f"/papers/{paper_id}/comments",
        data={"body": "form without token"},
        headers={"Cookie": alice["Cookie"]},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert [
        c["body"] for c in client.get(f"/api/papers/{paper_id}/comments").json()["comments"]
    ] == ["ok"]


def test_bearer_token_needs_no_csrf(client: TestClient, sample_store: Store, paper_id: str) -> None:
    user = make_user(sample_store, "script@example.org", name="Script")
    token = bearer(api_token(sample_store, user))
    made = post(client, paper_id, "from a script", token)
    assert made.status_code == 201 and made.json()["author"] == "Script"
    cid = made.json()["id"]
    assert (
        client.patch(f"/api/comments/{cid}", json={"body": "v2"}, headers=token).status_code == 200
    )
    listed = client.get(f"/api/papers/{paper_id}/comments", headers=token).json()["comments"]
    assert listed[0]["mine"] is True and listed[0]["body"] == "v2"
    assert client.delete(f"/api/comments/{cid}", headers=token).status_code == 204
    assert post(client, paper_id, "x", bearer("pw_not-a-real-token")).status_code == 401


def test_bad_bodies_are_400(client: TestClient, sample_store: Store, paper_id: str) -> None:
    token = bearer(api_token(sample_store, make_user(sample_store, "a@example.org")))
    for body in ("", "   ", "x" * 5001, "bell\x07", "nul\x00"):
        r = post(client, paper_id, body, token)
        assert r.status_code == 400 and r.json()["error"].startswith("body: "), (body[:10], r.text)
    r = client.post(f"/api/papers/{paper_id}/comments", json={"text": "wrong field"}, headers=token)
    assert r.status_code == 400
    r = client.post(f"/api/papers/{paper_id}/comments", content=b"not json", headers=token)
    assert r.status_code == 400
    for path in ("/api/comments/0", f"/api/comments/{2**64}", "/api/comments/abc"):
        assert client.patch(path, json={"body": "x"}, headers=token).status_code == 400, path
    assert (
        client.patch("/api/comments/999999", json={"body": "x"}, headers=token).status_code == 404
    )
    assert stats_count(sample_store, paper_id) == 0


def test_moderator_hides_and_flags_queue(
    client: TestClient, sample_store: Store, paper_id: str
) -> None:
    alice = signed_in(client, sample_store, "alice@example.org")
    bob = signed_in(client, sample_store, "bob@example.org")
    make_user(sample_store, "mod@example.org", role="moderator")
    mod = signed_in(client, sample_store, "mod@example.org")
    rude = post(client, paper_id, "rude", alice).json()
    post(client, paper_id, "kind", bob)

    r = client.post(f"/api/comments/{rude['id']}/flag", json={"reason": "insulting"}, headers=bob)
    assert r.status_code == 200 and r.json() == {
        "id": rude["id"],
        "flagged": True,
        "already_flagged": False,
    }
    again = client.post(f"/api/comments/{rude['id']}/flag", headers=bob).json()
    assert again["already_flagged"] is True
    assert client.post(f"/api/comments/{rude['id']}/flag", headers=alice).status_code == 400
    [queued] = comments.flagged_comments(sample_store)
    assert queued.comment.id == rude["id"] and queued.reasons == ("insulting",)

    r = client.post(f"/api/comments/{rude['id']}/hide", headers=mod)
    assert r.status_code == 200 and r.json()["hidden"] is True
    assert stats_count(sample_store, paper_id) == 1
    assert comments.flagged_comments(sample_store) == []
    for headers in ({}, alice, bob):
        shown = client.get(f"/api/papers/{paper_id}/comments", headers=headers).json()["comments"]
        assert [c["body"] for c in shown] == ["kind"]
        assert "hidden" not in shown[0]
    modlist = client.get(f"/api/papers/{paper_id}/comments", headers=mod).json()["comments"]
    assert [(c["body"], c["hidden"]) for c in modlist] == [("rude", True), ("kind", False)]
    # Gone for its author too; on the page, readers no longer see it.
    assert (
        client.patch(f"/api/comments/{rude['id']}", json={"body": "x"}, headers=alice).status_code
        == 404
    )
    assert "rude" not in client.get(f"/papers/{paper_id}").text
    modpage = client.get(f"/papers/{paper_id}", headers={"Cookie": mod["Cookie"]}).text
    assert (
        "Hidden by a moderator" in modpage and f'action="/comments/{rude["id"]}/unhide"' in modpage
    )

    r = client.post(f"/api/comments/{rude['id']}/unhide", headers=mod)
    assert r.status_code == 200 and r.json()["hidden"] is False
    assert stats_count(sample_store, paper_id) == 2
    actions = [e.action for e in sample_store.audit_entries(limit=2)]
    assert actions == ["unhide", "hide"]


def test_rate_limit_answers_429(client: TestClient, sample_store: Store, paper_id: str) -> None:
    token = bearer(api_token(sample_store, make_user(sample_store, "fast@example.org")))
    codes = [
        post(client, paper_id, f"c{i}", token).status_code
        for i in range(comments.COMMENT_LIMIT + 1)
    ]
    # The limit's window may turn over mid-test (windows are aligned to the clock):
    # then one more gets through, never fewer.
    if codes[-1] == 201:
        codes.append(post(client, paper_id, "one more", token).status_code)
    assert codes[: comments.COMMENT_LIMIT] == [201] * comments.COMMENT_LIMIT
    r = post(client, paper_id, "again", token)
    assert r.status_code == 429 and r.json()["status"] == 429
    assert 1 <= int(r.headers["retry-after"]) <= comments.RATE_WINDOW.total_seconds()


def test_paper_page_section_and_forms(
    client: TestClient, sample_store: Store, paper_id: str
) -> None:
    page = client.get(f"/papers/{paper_id}").text
    assert 'id="comments"' in page and "No comments yet." in page
    assert '<a href="/sign-in">Sign in</a> to comment.' in page
    assert 'name="body"' not in page  # no form for a signed-out reader

    alice = signed_in(client, sample_store, "alice@example.org")
    cookie = {"Cookie": alice["Cookie"]}
    page = client.get(f"/papers/{paper_id}", headers=cookie).text
    assert '<label for="comment-body">Your comment</label>' in page
    assert f'name="csrf_token" value="{alice["X-CSRF-Token"]}"' in page

    r = client.post(
        f"/papers/{paper_id}/comments",
        data={
            "body": "Via the *form* [x](javascript:alert(1))",
            "csrf_token": alice["X-CSRF-Token"],
        },
        headers=cookie,
        follow_redirects=False,
    )
    assert r.status_code == 303
    match = re.fullmatch(rf"/papers/{re.escape(paper_id)}#comment-(\d+)", r.headers["location"])
    assert match, r.headers["location"]
    cid = int(match[1])
    page = client.get(f"/papers/{paper_id}", headers=cookie).text
    assert f'<li id="comment-{cid}" class="comment">' in page
    assert "Via the <em>form</em> [x](javascript:alert(1))" in page
    assert 'href="javascript' not in page
    assert f'<label for="edit-{cid}">Edit your comment</label>' in page
    assert (
        f'action="/comments/{cid}/delete"' in page and f'action="/comments/{cid}/flag"' not in page
    )

    bob = signed_in(client, sample_store, "bob@example.org")
    bob_page = client.get(f"/papers/{paper_id}", headers={"Cookie": bob["Cookie"]}).text
    assert (
        f'action="/comments/{cid}/flag"' in bob_page
        and f'action="/comments/{cid}/edit"' not in bob_page
    )
    assert f'action="/comments/{cid}/hide"' not in bob_page

    # Signed-out readers see the comment, without any control, and no one else's token.
    anon = client.get(f"/papers/{paper_id}").text
    assert "Via the <em>form</em>" in anon and 'name="csrf_token"' not in anon

    r = client.post(
        f"/comments/{cid}/edit",
        data={"body": "Edited by form", "csrf_token": alice["X-CSRF-Token"]},
        headers=cookie,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith(f"#comment-{cid}")
    assert "Edited by form" in client.get(f"/papers/{paper_id}").text
    r = client.post(
        f"/comments/{cid}/delete",
        data={"csrf_token": alice["X-CSRF-Token"]},
        headers=cookie,
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("#comments")
    assert "Edited by form" not in client.get(f"/papers/{paper_id}").text
    # A bad form body is an error page, not a 500.
    r = client.post(
        f"/papers/{paper_id}/comments",
        data={"body": " ", "csrf_token": alice["X-CSRF-Token"]},
        headers=cookie,
    )
    assert r.status_code == 400 and "must not be empty" in r.text


def test_page_is_fresh_after_a_comment(
    client: TestClient, sample_store: Store, paper_id: str
) -> None:
    """The paper page answers 304 to a current validator; a new comment changes it."""
    first = client.get(f"/papers/{paper_id}")
    etag = first.headers["etag"]
    assert client.get(f"/papers/{paper_id}", headers={"If-None-Match": etag}).status_code == 304
    token = bearer(api_token(sample_store, make_user(sample_store, "a@example.org")))
    post(client, paper_id, "news", token)
    again = client.get(f"/papers/{paper_id}", headers={"If-None-Match": etag})
    assert again.status_code == 200 and "news" in again.text


def test_page_paging_of_comments(client: TestClient, sample_store: Store, paper_id: str) -> None:
    users = [make_user(sample_store, f"u{i}@example.org") for i in range(6)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [
        comments.post_comment(
            sample_store, users[i % 6], paper_id, f"number {i}", now=start + timedelta(minutes=i)
        )
        for i in range(comments.PAGE_SIZE + 1)
    ]
    page = client.get(f"/papers/{paper_id}").text
    assert "number 0" in page and f"number {comments.PAGE_SIZE}<" not in page
    more = re.search(r'<a href="([^"]+)">Later comments</a>', page)
    assert more is not None
    later = client.get(more[1].replace("&amp;", "&")).text
    assert f"number {comments.PAGE_SIZE}<" in later and "First comments" in later
    assert f'id="comment-{made[0].id}"' not in later
