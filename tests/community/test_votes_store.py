"""Votes in the domain and the store, on SQLite and PostgreSQL: the toggle, exact
counts under concurrent voters, one account's vote untouched by another's, the
address kept only as a salted hash, burst marking, and the card stats every card
reads in one query."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from paperwire.community import votes
from paperwire.community.votes import PaperNotFound, hash_address, set_vote
from paperwire.models import CardStats
from paperwire.store import Store
from tests.community.votes_helpers import NEWEST, NOW, account, add_papers

KEY = b"k" * 40


def community_version(store: Store) -> int:
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT version FROM data_versions WHERE name = 'community'")
    assert row is not None
    return int(row["version"])


def counted(store: Store, paper_id: str) -> tuple[int, int]:
    """(paper_stats.upvotes, the number of vote rows) of a paper."""
    with store._reading() as db:  # type: ignore[attr-defined]
        stats = db.fetchone("SELECT upvotes FROM paper_stats WHERE paper_id = ?", (paper_id,))
        rows = db.fetchone("SELECT COUNT(*) AS n FROM votes WHERE paper_id = ?", (paper_id,))
    assert rows is not None
    return (int(stats["upvotes"]) if stats else 0), int(rows["n"])


@pytest.fixture
def paper_ids(store: Store) -> list[str]:
    return add_papers(store, {NEWEST: 3})


def test_vote_toggles_idempotently(store: Store, paper_ids: list[str]) -> None:
    alice = account(store, "alice@example.org")
    pid = paper_ids[0]
    v0 = community_version(store)

    assert set_vote(store, alice, pid, voted=True, now=NOW) == votes.VoteResult(1, True)
    v1 = community_version(store)
    assert v1 > v0
    # Voting again changes nothing: same count, no new version (caches stay valid).
    assert set_vote(store, alice, pid, voted=True, now=NOW) == votes.VoteResult(1, True)
    assert community_version(store) == v1

    assert set_vote(store, alice, pid, voted=False, now=NOW) == votes.VoteResult(0, False)
    v2 = community_version(store)
    assert v2 > v1
    assert set_vote(store, alice, pid, voted=False, now=NOW) == votes.VoteResult(0, False)
    assert community_version(store) == v2
    assert counted(store, pid) == (0, 0)


def test_unknown_paper_is_not_found(store: Store, paper_ids: list[str]) -> None:
    alice = account(store, "alice@example.org")
    v0 = community_version(store)
    for voted in (True, False):
        with pytest.raises(PaperNotFound):
            set_vote(store, alice, "2603.99999", voted=voted, now=NOW)
    assert community_version(store) == v0


def test_one_account_never_changes_anothers_vote(store: Store, paper_ids: list[str]) -> None:
    alice = account(store, "alice@example.org")
    bob = account(store, "bob@example.org")
    pid = paper_ids[0]
    set_vote(store, alice, pid, voted=True, now=NOW)
    # Bob withdrawing a vote he never cast leaves Alice's in place.
    assert set_vote(store, bob, pid, voted=False, now=NOW) == votes.VoteResult(1, False)
    assert store.card_stats([pid], alice.id)[pid].voted
    assert not store.card_stats([pid], bob.id)[pid].voted
    assert set_vote(store, bob, pid, voted=True, now=NOW) == votes.VoteResult(2, True)
    assert set_vote(store, alice, pid, voted=False, now=NOW) == votes.VoteResult(1, False)
    assert store.card_stats([pid], bob.id)[pid].voted


def test_concurrent_votes_from_many_accounts_are_exact(store: Store, paper_ids: list[str]) -> None:
    """60 accounts vote at once (each twice, racing itself too), then half withdraw at
    once: the counter always equals the rows, on both backends."""
    users = [account(store, f"voter{i}@example.org") for i in range(60)]
    pid = paper_ids[0]
    barrier = threading.Barrier(30)
    errors: list[BaseException] = []

    def run(chunk: list, voted: bool) -> None:
        try:
            barrier.wait()
            for user in chunk:
                set_vote(store, user, pid, voted=voted, now=NOW, address_hash="same", burst_limit=5)
                set_vote(store, user, pid, voted=voted, now=NOW)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def wave(selected: list, voted: bool) -> None:
        threads = [threading.Thread(target=run, args=(selected[i::30], voted)) for i in range(30)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors

    wave(users, True)
    assert counted(store, pid) == (60, 60)
    assert store.card_stats([pid])[pid].upvotes == 60
    wave(users[::2], False)
    assert counted(store, pid) == (30, 30)
    assert store.card_stats([pid])[pid].upvotes == 30


def test_address_is_kept_only_as_a_salted_hash(store: Store, paper_ids: list[str]) -> None:
    alice = account(store, "alice@example.org")
    hashed = hash_address(KEY, "203.0.113.7")
    assert hashed and "203.0.113.7" not in hashed
    assert hashed != hash_address(b"x" * 40, "203.0.113.7")  # salted by the site's key
    assert hash_address(KEY, None) == "" and hash_address(KEY, "") == ""
    set_vote(store, alice, paper_ids[0], voted=True, now=NOW, address_hash=hashed)
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT ip_hash FROM votes WHERE user_id = ?", (alice.id,))
    assert row is not None and row["ip_hash"] == hashed


def test_votes_past_the_burst_limit_are_marked(store: Store, paper_ids: list[str]) -> None:
    pid, other = paper_ids[0], paper_ids[1]
    users = [account(store, f"u{i}@example.org") for i in range(5)]
    for i, user in enumerate(users[:4]):
        set_vote(
            store,
            user,
            pid,
            voted=True,
            now=NOW + timedelta(minutes=i),
            address_hash="lab",
            burst_limit=3,
        )
    # A vote on another paper, or from another address, is no burst.
    set_vote(store, users[4], other, voted=True, now=NOW, address_hash="lab", burst_limit=3)
    set_vote(
        store,
        users[4],
        pid,
        voted=True,
        now=NOW + timedelta(minutes=5),
        address_hash="home",
        burst_limit=3,
    )
    with store._reading() as db:  # type: ignore[attr-defined]
        rows = db.fetchall("SELECT user_id, paper_id, burst FROM votes")
    burst = {(r["user_id"], r["paper_id"]): int(r["burst"]) for r in rows}
    assert [burst[(u.id, pid)] for u in users] == [0, 0, 0, 1, 0]
    assert burst[(users[4].id, other)] == 0
    # An hour later the address starts afresh.
    late = account(store, "late@example.org")
    set_vote(
        store,
        late,
        pid,
        voted=True,
        now=NOW + timedelta(minutes=64),
        address_hash="lab",
        burst_limit=3,
    )
    with store._reading() as db:  # type: ignore[attr-defined]
        row = db.fetchone("SELECT burst FROM votes WHERE user_id = ?", (late.id,))
    assert row is not None and int(row["burst"]) == 0


def test_card_stats_in_one_read(store: Store, paper_ids: list[str]) -> None:
    alice = account(store, "alice@example.org")
    bob = account(store, "bob@example.org")
    mod = account(store, "mod@example.org", role="moderator")
    carol = account(store, "carol.reader@example.org")
    first, second, third = paper_ids
    set_vote(store, alice, first, voted=True, now=NOW)
    set_vote(store, bob, first, voted=True, now=NOW)
    store.save_library_item(alice.id, second, tags=[], note="", now=NOW, max_items=100)
    made = store.add_submission(first, carol.id, at=NOW, daily_limit=0)
    assert made is not None
    pending = store.add_submission(third, bob.id, at=NOW, daily_limit=0)
    assert pending is not None
    store.decide_submission(made[0].id, status="approved", moderator_id=mod.id, at=NOW)

    shown = store.card_stats([first, second, third, "2603.99999"], alice.id)
    assert set(shown) == {first, second, third}  # an unknown id is left out
    assert shown[first] == CardStats(upvotes=2, submitted_by="carol.reader", voted=True)
    assert shown[second] == CardStats(saves=1, saved=True)
    assert shown[third] == CardStats()  # a pending submission credits no one yet
    anonymous = store.card_stats([first, second])
    assert anonymous[first] == CardStats(upvotes=2, submitted_by="carol.reader")
    assert anonymous[second] == CardStats(saves=1)
    assert store.card_stats([]) == {}
    # The domain's view gives every asked id an entry.
    cards = votes.card_stats_for(store, [third, "2603.99999"], None)
    assert cards == {third: CardStats(), "2603.99999": CardStats()}


def test_trusting_an_account_is_audited(store: Store, paper_ids: list[str]) -> None:
    mod = account(store, "mod@example.org", role="moderator")
    fresh = account(store, "fresh@example.org", created=NOW)
    votes.trust_voter(store, fresh, trusted=True, now=NOW, actor=mod)
    trusted = store.get_user(fresh.id)
    assert trusted is not None and trusted.trusted_at == NOW
    votes.trust_voter(store, fresh, trusted=False, now=NOW, actor=mod)
    untrusted = store.get_user(fresh.id)
    assert untrusted is not None and untrusted.trusted_at is None
    actions = [(e.action, e.target, e.actor_id) for e in store.audit_entries(limit=10)]
    assert ("trust", f"user:{fresh.id}", mod.id) in actions
    assert ("distrust", f"user:{fresh.id}", mod.id) in actions
