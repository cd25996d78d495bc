"""The digest outbox on both backends: planning is rerun-safe, a row is claimed by one
sender at a time, a lapsed or dead sender's claim is taken over, and a sent row
records its papers so they are never sent again."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

from paperwire.models import SubscriptionPrefs
from paperwire.store import Store, new_owner
from tests.browse.helpers import paper_on

T0 = datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)
KEY = "daily:2026-12-04"


def subscribe(store: Store, email: str, *, frequency: str = "daily", confirmed: bool = True) -> int:
    sub, _ = store.save_subscription(
        email,
        SubscriptionPrefs(frequency=frequency),
        now=T0,
        confirmed=confirmed,  # type: ignore[arg-type]
    )
    return sub.id


def dead_owner() -> str:
    """The owner name of a process of this machine that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}:deadbeef"


def test_planning_covers_confirmed_subscribers_of_the_frequency_once(store: Store) -> None:
    a = subscribe(store, "a@example.org")
    b = subscribe(store, "b@example.org")
    subscribe(store, "pending@example.org", confirmed=False)
    subscribe(store, "weekly@example.org", frequency="weekly")
    assert store.plan_digests("daily", KEY, now=T0) == 2
    assert store.plan_digests("daily", KEY, now=T0) == 0
    assert store.outbox_statuses(KEY) == {a: "pending", b: "pending"}
    assert store.outbox_counts(KEY)["pending"] == 2
    assert store.latest_digest_period("daily") == KEY
    assert store.latest_digest_period("weekly") is None
    c = subscribe(store, "c@example.org")
    assert store.plan_digests("daily", KEY, now=T0) == 1
    assert set(store.outbox_statuses(KEY)) == {a, b, c}


def test_one_claim_at_a_time_and_a_lapsed_claim_is_taken_over(store: Store) -> None:
    subscribe(store, "a@example.org")
    store.plan_digests("daily", KEY, now=T0)
    [entry] = store.due_digests("daily", now=T0)
    first, second = new_owner(), new_owner()
    claimed = store.claim_digest(entry.id, first, now=T0, lease=LEASE)
    assert claimed is not None and claimed.status == "sending" and claimed.attempts == 1
    assert store.claim_digest(entry.id, second, now=T0 + timedelta(minutes=5), lease=LEASE) is None
    # The first sender's claim ran out (it hangs, or runs elsewhere): the row is free.
    again = store.claim_digest(entry.id, second, now=T0 + timedelta(minutes=11), lease=LEASE)
    assert again is not None and again.claimed_by == second and again.attempts == 2


def test_a_killed_senders_claim_is_taken_over_at_once(store: Store) -> None:
    subscribe(store, "a@example.org")
    store.plan_digests("daily", KEY, now=T0)
    [entry] = store.due_digests("daily", now=T0)
    assert store.claim_digest(entry.id, dead_owner(), now=T0, lease=LEASE) is not None
    mine = new_owner()
    taken = store.claim_digest(entry.id, mine, now=T0 + timedelta(seconds=1), lease=LEASE)
    assert taken is not None and taken.claimed_by == mine


def test_sent_records_papers_and_the_row_is_done(store: Store) -> None:
    papers = [paper_on(date(2026, 12, 4), n) for n in (1, 2, 3)]
    store.upsert_papers(papers)
    sid = subscribe(store, "a@example.org")
    store.plan_digests("daily", KEY, now=T0)
    [entry] = store.due_digests("daily", now=T0)
    assert store.claim_digest(entry.id, new_owner(), now=T0, lease=LEASE)
    store.finish_digest_sent(
        entry.id,
        sent_at=T0,
        message_id="<m@x>",
        paper_ids=[papers[0].id, papers[1].id, "gone.00001"],
    )
    done = store.outbox_entry(sid, KEY)
    assert done is not None and done.status == "sent" and done.message_id == "<m@x>"
    assert done.sent_at == T0 and done.papers == 3
    assert store.sent_digest_papers(sid, [p.id for p in papers]) == {papers[0].id, papers[1].id}
    assert store.due_digests("daily", now=T0 + timedelta(days=1)) == []
    assert store.claim_digest(entry.id, new_owner(), now=T0, lease=LEASE) is None
    assert store.next_digest_attempt("daily") is None


def test_retry_waits_and_a_server_failure_does_not_count(store: Store) -> None:
    sid = subscribe(store, "a@example.org")
    store.plan_digests("daily", KEY, now=T0)
    [entry] = store.due_digests("daily", now=T0)
    store.claim_digest(entry.id, new_owner(), now=T0, lease=LEASE)
    later = T0 + timedelta(minutes=5)
    store.retry_digest(entry.id, error="451 try later", next_attempt_at=later)
    assert store.due_digests("daily", now=T0) == []
    assert store.next_digest_attempt("daily") == later
    row = store.outbox_entry(sid, KEY)
    assert row is not None and row.status == "pending" and row.attempts == 1
    assert row.last_error == "451 try later"
    assert store.claim_digest(entry.id, new_owner(), now=T0, lease=LEASE) is None
    assert store.claim_digest(entry.id, new_owner(), now=later, lease=LEASE) is not None
    store.retry_digest(entry.id, error="refused", next_attempt_at=later, count_attempt=False)
    row = store.outbox_entry(sid, KEY)
    assert row is not None and row.attempts == 1


def test_failed_and_skipped_rows_are_never_due_again(store: Store) -> None:
    a = subscribe(store, "a@example.org")
    b = subscribe(store, "b@example.org")
    store.plan_digests("daily", KEY, now=T0)
    first, second = store.due_digests("daily", now=T0)
    owner = new_owner()
    store.claim_digest(first.id, owner, now=T0, lease=LEASE)
    store.finish_digest_failed(first.id, error="550 no such user")
    store.claim_digest(second.id, owner, now=T0, lease=LEASE)
    store.finish_digest_skipped(second.id, reason="empty digest")
    assert store.outbox_statuses(KEY) == {a: "failed", b: "skipped"}
    assert store.due_digests("daily", now=T0 + timedelta(days=30)) == []
    assert store.claim_digest(first.id, owner, now=T0 + timedelta(days=30), lease=LEASE) is None
