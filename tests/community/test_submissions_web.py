"""Submissions and moderation through the real app on SQLite and PostgreSQL: the JSON
API (cookie with CSRF, and bearer tokens), the "Submit a paper" page, the moderation
queue and the audit log; a paper fetched from a loopback server replaying recorded
arXiv answers; an approved paper on its day's list, "submitted by" its submitter, on
the page, in /api/daily and in the Hugging Face–compatible API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.community import audit, comments
from paperwire.config import Settings
from paperwire.models import Paper
from paperwire.store import Store
from tests.community.helpers import api_token, bearer, make_user, signed_in
from tests.ingest.netfakes import load_api_recordings
from tests.replay import ReplayServer


def now() -> datetime:
    return datetime.now(UTC)


def recent_paper(ident: str, *, days: int = 3, title: str = "") -> Paper:
    first = now() - timedelta(days=days)
    return Paper(
        id=ident,
        title=title or f"Recent paper {ident}",
        abstract="An abstract.",
        categories=["cs.LG"],
        version=1,
        submitted=first,
        updated=first,
        announced=first.date(),
    )


@pytest.fixture
def replay_settings(settings: Settings, replay: ReplayServer) -> Settings:
    return settings.model_copy(
        update={"arxiv_api_url": replay.base_url + "/api/query", "arxiv_api_delay": 0.0}
    )


def client_for(settings: Settings, store: Store) -> TestClient:
    return TestClient(create_app(settings, store=store), raise_server_exceptions=False)


@pytest.fixture
def client(replay_settings: Settings, store: Store) -> Iterator[TestClient]:
    store.upsert_papers([recent_paper("2603.00101"), recent_paper("2603.00102")])
    with client_for(replay_settings, store) as c:
        yield c


def submit(client: TestClient, text: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post("/api/submissions", json={"arxiv_id": text}, headers=headers)


def error_of(response) -> str:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error", "status"} and body["status"] == response.status_code
    return str(body["error"])


# --- the JSON API ----------------------------------------------------------------------


def test_submit_by_id_or_url_and_duplicates_merge(client: TestClient, store: Store) -> None:
    alice = signed_in(client, store, "alice@example.org")
    made = submit(client, "https://arxiv.org/abs/2603.00101v1", alice)
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    body = made.json()
    assert body["status"] == "pending" and body["paper_id"] == "2603.00101"
    assert isinstance(body["id"], int) and body["submitted_by"] == "alice"
    # Another reader, another spelling: the same submission, 200 instead of 201.
    bob = bearer(api_token(store, make_user(store, "bob@example.org")))
    again = submit(client, "arXiv:2603.00101", bob)
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert store.count_submissions() == 1


def test_submit_a_paper_fetched_from_arxiv(
    replay_settings: Settings, store: Store, replay: ReplayServer
) -> None:
    load_api_recordings(replay, "id_1707.08567_*.json")
    settings = replay_settings.model_copy(update={"submission_max_age_days": 0})
    with client_for(settings, store) as client:
        alice = bearer(api_token(store, make_user(store, "alice@example.org")))
        made = submit(client, "https://arxiv.org/pdf/1707.08567v1.pdf", alice)
        assert made.status_code == 201, made.text
        assert made.json()["paper_id"] == "1707.08567"
        assert made.json()["title"].startswith("Proceedings of Workshop AEW10")
        assert len(replay.requests) == 1
        paper = client.get("/api/papers/1707.08567")
        assert paper.status_code == 200 and paper.json()["categories"] == ["cs.IT"]


def test_refusals_are_clear(replay_settings: Settings, store: Store, replay: ReplayServer) -> None:
    from tests.ingest.test_arxiv_api import route_ids

    load_api_recordings(replay, "id_1605.08386_*.json")
    route_ids(replay, "2603.99999", "id_0000.0000_*.json")  # arXiv's empty feed
    store.upsert_papers([recent_paper(f"2603.0020{i}") for i in range(3)])
    settings = replay_settings.model_copy(update={"submissions_per_day": 2})
    with client_for(settings, store) as client:
        assert client.post("/api/submissions", json={"arxiv_id": "2603.00200"}).status_code == 401
        alice = bearer(api_token(store, make_user(store, "alice@example.org")))

        bad = submit(client, "not a paper", alice)
        assert bad.status_code == 400 and error_of(bad).startswith("arxiv_id: ")
        unknown = submit(client, "https://arxiv.org/abs/2603.99999", alice)
        assert unknown.status_code == 404
        assert error_of(unknown) == "arXiv has no paper with id '2603.99999'"
        old = submit(client, "1605.08386", alice)
        assert old.status_code == 400
        assert "2016-05-26" in error_of(old) and "14 days" in error_of(old)
        assert store.get_paper("1605.08386") is None

        assert submit(client, "2603.00200", alice).status_code == 201
        assert submit(client, "2603.00201", alice).status_code == 201
        limited = submit(client, "2603.00202", alice)
        assert limited.status_code == 429 and "2 submissions today" in error_of(limited)
        assert 0 < int(limited.headers["retry-after"]) <= 86400
        assert submit(client, "2603.00200", alice).status_code == 200  # a merge still answers


def test_csrf_and_cross_site_posts_are_refused(client: TestClient, store: Store) -> None:
    alice = signed_in(client, store, "alice@example.org")
    cookie_only = {"Cookie": alice["Cookie"]}
    refused = submit(client, "2603.00101", cookie_only)
    assert refused.status_code == 403 and "CSRF" in error_of(refused)
    wrong = submit(client, "2603.00101", {**cookie_only, "X-CSRF-Token": "x" * 43})
    assert wrong.status_code == 403
    cross = submit(client, "2603.00101", {**alice, "Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert store.count_submissions() == 0
    assert submit(client, "2603.00101", alice).status_code == 201

    mod = signed_in(client, store, "mod@example.org")
    store.set_user_role(store.get_user_by_email("mod@example.org").id, "moderator")  # type: ignore[union-attr]
    [pending] = store.list_submissions()
    no_token = client.post(
        f"/api/submissions/{pending.id}/approve", headers={"Cookie": mod["Cookie"]}
    )
    assert no_token.status_code == 403
    assert store.get_submission(pending.id).status == "pending"  # type: ignore[union-attr]


def test_only_moderators_decide_and_each_decision_is_audited(
    client: TestClient, store: Store
) -> None:
    alice = bearer(api_token(store, make_user(store, "alice@example.org", name="Alice")))
    mod = bearer(api_token(store, make_user(store, "mod@example.org", role="moderator", name="Mo")))
    one = submit(client, "2603.00101", alice).json()["id"]
    two = submit(client, "2603.00102", alice).json()["id"]

    assert client.post(f"/api/submissions/{one}/approve", headers=alice).status_code == 403
    assert (
        client.post(
            f"/api/submissions/{one}/reject", json={"reason": "no"}, headers=alice
        ).status_code
        == 403
    )
    assert client.post(f"/api/submissions/{one}/approve").status_code == 401

    approved = client.post(f"/api/submissions/{one}/approve", headers=mod)
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved" and approved.json()["decided_by"] == "Mo"
    assert client.post(f"/api/submissions/{one}/approve", headers=mod).status_code == 409

    for body in (None, {}, {"reason": "   "}):
        missing = client.post(f"/api/submissions/{two}/reject", json=body, headers=mod)
        assert missing.status_code == 400 and error_of(missing).startswith("reason: ")
    rejected = client.post(
        f"/api/submissions/{two}/reject", json={"reason": "Off topic"}, headers=mod
    )
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected" and rejected.json()["reason"] == "Off topic"
    assert client.post("/api/submissions/999999/approve", headers=mod).status_code == 404
    assert client.post("/api/submissions/0/approve", headers=mod).status_code == 400

    log = audit.list_entries(store)
    assert [(e.action, e.target, e.actor_name) for e in log[:2]] == [
        ("reject", f"submission:{two}", "Mo"),
        ("approve", f"submission:{one}", "Mo"),
    ]


def test_listing_submissions(client: TestClient, store: Store) -> None:
    alice = bearer(api_token(store, make_user(store, "alice@example.org")))
    bob = bearer(api_token(store, make_user(store, "bob@example.org")))
    mod = bearer(api_token(store, make_user(store, "mod@example.org", role="admin")))
    a = submit(client, "2603.00101", alice).json()["id"]
    b = submit(client, "2603.00102", bob).json()["id"]
    client.post(f"/api/submissions/{b}/approve", headers=mod)

    def ids(headers: dict[str, str], query: str = "") -> list[int]:
        answer = client.get(f"/api/submissions{query}", headers=headers)
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
        return [s["id"] for s in answer.json()["submissions"]]

    assert ids(alice) == [a] and ids(bob) == [b]
    assert ids(mod) == [b, a]
    assert ids(mod, "?status=pending") == [a] and ids(mod, "?status=approved") == [b]
    assert ids(alice, "?status=approved") == []
    page = client.get("/api/submissions?limit=1", headers=mod).json()
    assert [s["id"] for s in page["submissions"]] == [b] and page["next_before"] == b
    assert ids(mod, f"?limit=1&before={b}") == [a]
    assert client.get("/api/submissions?status=everything", headers=mod).status_code == 400
    assert client.get("/api/submissions").status_code == 401
    assert client.get(f"/api/submissions/{a}", headers=alice).json()["status"] == "pending"
    assert client.get(f"/api/submissions/{a}", headers=bob).status_code == 404


def test_an_approved_paper_is_on_its_day_submitted_by_its_submitter(
    client: TestClient, store: Store
) -> None:
    store.upsert_papers([recent_paper("2603.00111", days=5, title="Brought by the community")])
    alice = bearer(api_token(store, make_user(store, "alice@example.org", name="Alice Liddell")))
    mod = bearer(api_token(store, make_user(store, "mod@example.org", role="moderator")))
    today = now().date().isoformat()
    made = submit(client, "2603.00111", alice).json()
    assert made["submitted_day"] == today

    before_page = client.get(f"/?date={today}")
    before_api = client.get(f"/api/daily?date={today}")
    assert "Brought by the community" not in before_page.text
    assert [p["id"] for p in before_api.json()["papers"]] == []
    etag = before_api.headers["etag"]

    assert client.post(f"/api/submissions/{made['id']}/approve", headers=mod).status_code == 200

    # The cached answers follow: the community data version moved.
    assert (
        client.get(f"/api/daily?date={today}", headers={"If-None-Match": etag}).status_code == 200
    )
    page = client.get(f"/?date={today}")
    assert page.status_code == 200
    assert "Brought by the community" in page.text and "submitted by Alice Liddell" in page.text
    daily = client.get(f"/api/daily?date={today}").json()
    assert [(p["id"], p["submitted_by"]) for p in daily["papers"]] == [
        ("2603.00111", "Alice Liddell")
    ]
    assert daily["total"] == 1 and daily["state"] == "papers"
    # Its own day still lists it, credited too; the newest day is today.
    own_day = (now() - timedelta(days=5)).date().isoformat()
    assert "2603.00111" in [
        p["id"] for p in client.get(f"/api/daily?date={own_day}").json()["papers"]
    ]

    hf = client.get("/hf/api/daily_papers", params={"submitter": "Alice Liddell"})
    assert hf.status_code == 200
    [item] = hf.json()
    assert (
        item["paper"]["id"] == "2603.00111" and item["submittedBy"]["fullname"] == "Alice Liddell"
    )
    assert (
        client.get(
            "/hf/api/daily_papers", params={"submitter": "Alice Liddell", "date": own_day}
        ).json()
        == []
    )
    assert client.get("/hf/api/daily_papers", params={"submitter": "alice"}).json() == []
    assert client.get("/hf/api/daily_papers", params={"submitter": " "}).status_code == 400


# --- the pages -------------------------------------------------------------------------


def csrf_field(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_the_submit_page(client: TestClient, store: Store) -> None:
    signed_out = client.get("/submit", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"] == "/sign-in"
    make_user(store, "alice@example.org", name="Alice")
    alice = signed_in(client, store, "alice@example.org")
    cookie = {"Cookie": alice["Cookie"]}
    page = client.get("/submit", headers=cookie)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert (
        '<label for="submit-id">' in page.text and "You have submitted no papers yet." in page.text
    )
    token = csrf_field(page.text)

    assert (
        client.post("/submit", data={"arxiv_id": "2603.00101"}, headers=cookie).status_code == 403
    )
    assert store.count_submissions() == 0
    done = client.post(
        "/submit", data={"arxiv_id": "2603.00101", "csrf_token": token}, headers=cookie
    )
    assert done.status_code == 201 and "Submitted:" in done.text
    assert "Recent paper 2603.00101" in done.text and "pending" in done.text
    again = client.post(
        "/submit", data={"arxiv_id": "arXiv:2603.00101", "csrf_token": token}, headers=cookie
    )
    assert again.status_code == 200 and "You already submitted" in again.text
    bad = client.post(
        "/submit", data={"arxiv_id": "<b>nope</b>", "csrf_token": token}, headers=cookie
    )
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.text
    assert "<b>nope</b>" not in bad.text and "&lt;b&gt;nope&lt;/b&gt;" in bad.text


def test_the_moderation_queue_and_log(client: TestClient, store: Store) -> None:
    alice_user = make_user(store, "alice@example.org", name="Alice")
    alice = bearer(api_token(store, alice_user))
    one = submit(client, "2603.00101", alice).json()["id"]
    two = submit(client, "2603.00102", alice).json()["id"]
    paper = store.get_paper("2603.00101")
    assert paper is not None
    comment = comments.post_comment(store, alice_user, paper.id, "Buy <cheap> pills", now=now())
    flagger = make_user(store, "flagger@example.org")
    comments.flag_comment(store, flagger, comment.id, "spam", now=now())

    assert client.get("/moderation", follow_redirects=False).headers["location"] == "/sign-in"
    reader = {"Cookie": signed_in(client, store, "reader@example.org")["Cookie"]}
    assert client.get("/moderation", headers=reader).status_code == 403
    assert client.get("/moderation/log", headers=reader).status_code == 403

    make_user(store, "mod@example.org", role="moderator", name="Mo")
    mod = {"Cookie": signed_in(client, store, "mod@example.org")["Cookie"]}
    queue = client.get("/moderation", headers=mod)
    assert queue.status_code == 200 and queue.headers["cache-control"] == "no-store"
    assert "Pending submissions (2)" in queue.text
    assert f'action="/moderation/submissions/{one}/approve"' in queue.text
    assert f'action="/moderation/submissions/{two}/reject"' in queue.text
    assert f'<label for="reason-{two}">' in queue.text
    assert (
        "Buy &lt;cheap&gt; pills" in queue.text and "1 flag" in queue.text and "spam" in queue.text
    )
    assert f'action="/comments/{comment.id}/hide"' in queue.text
    token = csrf_field(queue.text)

    no_csrf = client.post(f"/moderation/submissions/{one}/approve", headers=mod)
    assert no_csrf.status_code == 403
    approved = client.post(
        f"/moderation/submissions/{one}/approve", data={"csrf_token": token}, headers=mod,
        follow_redirects=False,
    )  # fmt: skip
    assert approved.status_code == 303 and approved.headers["location"] == "/moderation"
    no_reason = client.post(
        f"/moderation/submissions/{two}/reject",
        data={"csrf_token": token, "reason": ""},
        headers=mod,
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.text
    rejected = client.post(
        f"/moderation/submissions/{two}/reject",
        data={"csrf_token": token, "reason": "Not <b>research</b>"},
        headers=mod,
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    assert [s.status for s in store.list_submissions()] == ["rejected", "approved"]
    assert "Pending submissions (0)" in client.get("/moderation", headers=mod).text

    log = client.get("/moderation/log", headers=mod)
    assert log.status_code == 200
    rows = re.findall(
        r"<tr>\s*<td><time[^>]*>[^<]*</time></td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>",
        log.text,
    )
    assert rows[:2] == [
        ("Mo", "reject", f"submission:{two}", "paper 2603.00102: Not &lt;b&gt;research&lt;/b&gt;"),
        ("Mo", "approve", f"submission:{one}", "paper 2603.00101"),
    ]


def test_the_audit_log_pages_newest_first(client: TestClient, store: Store) -> None:
    mod_user = make_user(store, "mod@example.org", role="moderator")
    for i in range(audit.PAGE_SIZE + 3):
        audit.record(store, mod_user, "test", f"thing:{i}", now=now())
    mod = {"Cookie": signed_in(client, store, "mod@example.org")["Cookie"]}
    first = client.get("/moderation/log", headers=mod).text
    targets = re.findall(r"<td>(thing:\d+)</td>", first)
    assert len(targets) == audit.PAGE_SIZE and targets[0] == f"thing:{audit.PAGE_SIZE + 2}"
    older = re.search(r'href="(/moderation/log\?before=\d+)"', first)
    assert older is not None
    rest = re.findall(r"<td>(thing:\d+)</td>", client.get(older.group(1), headers=mod).text)
    assert rest == ["thing:2", "thing:1", "thing:0"]
