"""The trending ranking on SQLite and PostgreSQL: points from votes, saves and
approved submissions with the age decay (``now`` controlled), papers without points
after them by recency, pages by position, and the trust rule (new accounts and bursts
from one address count in the shown number but not in the score until trusted)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from paperwire.community import trending, votes
from paperwire.community.trending import (
    age_decay,
    describe_trending,
    score_signals,
    trending_papers,
)
from paperwire.errors import InvalidParameter
from paperwire.models import PaperSignals, SearchFilters
from paperwire.store import Store
from tests.community.votes_helpers import NEWEST, NOW, account, add_papers, paper_on

TWO_DAYS_BEFORE = NEWEST - timedelta(days=2)


def upvote(store: Store, paper_id: str, voters: int, *, prefix: str, **kwargs: object) -> None:
    for i in range(voters):
        user = account(store, f"{prefix}{i}@example.org", **kwargs)  # type: ignore[arg-type]
        votes.set_vote(store, user, paper_id, voted=True, now=NOW)


def ids(listing: trending.Listing) -> list[str]:
    return [p.id for p in listing.papers]


def test_the_formula() -> None:
    """points / (age_days + 2) ** 1.5, age from 00:00 UTC of the listed day."""
    assert age_decay(NEWEST, NOW) == pytest.approx((0.5 + 2) ** -1.5)
    assert age_decay(NEWEST, NOW - timedelta(days=1)) == pytest.approx(2**-1.5)  # not negative
    signals = [
        PaperSignals("a", NEWEST, {"votes": 2, "saves": 1, "submission": 0}),
        PaperSignals("b", TWO_DAYS_BEFORE, {"votes": 4, "saves": 0, "submission": 1}),
        PaperSignals("c", NEWEST, {"votes": 0, "saves": 0, "submission": 0}),
        PaperSignals("d", NEWEST, {"votes": 2, "saves": 1, "submission": 0}),
    ]
    hits = score_signals(signals, now=NOW)
    assert [h.paper_id for h in hits] == ["d", "a", "b"]  # no points: left out; ties by id
    assert hits[1].score == pytest.approx(2.5 / 2.5**1.5)
    assert hits[2].score == pytest.approx(5 / 4.5**1.5)


def test_votes_rank_with_the_decay(store: Store) -> None:
    ids_ = add_papers(store, {NEWEST: 3, TWO_DAYS_BEFORE: 3})
    new_a, new_b, new_c, old_a, old_b, old_c = ids_
    upvote(store, new_c, 1, prefix="n")
    upvote(store, old_c, 2, prefix="o")
    # A week: the new paper's 1 vote beats the two-day-older paper's 2
    # (1/2.5^1.5 = 0.253 > 2/4.5^1.5 = 0.210); the rest follow newest first.
    week = trending_papers(store, "week", now=NOW)
    assert ids(week) == [new_c, old_c, new_a, new_b, old_a, old_b]
    assert week.total == 6
    # A third vote lifts the older paper above it (3/4.5^1.5 = 0.314).
    upvote(store, old_c, 1, prefix="o3-")
    assert ids(trending_papers(store, "week", now=NOW))[:2] == [old_c, new_c]
    # Today's window holds the newest day only, ranked by points.
    assert ids(trending_papers(store, "day", now=NOW)) == [new_c, new_a, new_b]


def test_saves_and_submissions_are_signals(store: Store) -> None:
    new_a, new_b, new_c = add_papers(store, {NEWEST: 3})
    older = paper_on(NEWEST - timedelta(days=20), 90)
    store.upsert_papers([older])
    saver = account(store, "saver@example.org")
    store.save_library_item(saver.id, new_c, tags=[], note="", now=NOW, max_items=100)
    submitter = account(store, "sub@example.org")
    mod = account(store, "mod@example.org", role="moderator")
    made = store.add_submission(older.id, submitter.id, at=NOW, daily_limit=0)
    assert made is not None
    day = trending_papers(store, "day", now=NOW)
    assert older.id not in ids(day)  # pending: not on today's list, no signal
    store.decide_submission(made[0].id, status="approved", moderator_id=mod.id, at=NOW)
    # Approved, it is on today's list (submitted today) with 1 point, above the save's 0.5.
    day = trending_papers(store, "day", now=NOW)
    assert ids(day) == [older.id, new_c, new_a, new_b]
    assert day.total == 4
    assert day.papers[0].listed_on == NEWEST


def test_pages_by_position_cover_every_paper_once(store: Store) -> None:
    all_ids = add_papers(store, {NEWEST: 4, TWO_DAYS_BEFORE: 4, NEWEST - timedelta(days=3): 3})
    for n, pid in enumerate(all_ids[5:9]):
        upvote(store, pid, n + 1, prefix=f"p{n}-")
    expected = ids(trending_papers(store, "week", now=NOW, limit=50))
    assert sorted(expected) == sorted(all_ids)
    seen: list[str] = []
    cursor = None
    while True:
        page = trending_papers(store, "week", now=NOW, limit=3, cursor=cursor)
        seen += ids(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected
    # The offset form, and a filter that keeps one category.
    assert ids(trending_papers(store, "week", now=NOW, limit=3, offset=3)) == expected[3:6]
    none = trending_papers(store, "week", now=NOW, filters=SearchFilters(categories=("math.AG",)))
    assert none.papers == [] and none.total == 0 and none.state == "empty"
    with pytest.raises(InvalidParameter):
        trending_papers(store, "week", now=NOW, cursor="bm90IGEgY3Vyc29y")
    with pytest.raises(InvalidParameter):
        trending_papers(store, "year", now=NOW)


def test_new_accounts_count_in_the_number_not_the_score(store: Store) -> None:
    a, b, c = add_papers(store, {NEWEST: 3})
    upvote(store, c, 1, prefix="old")  # one trusted vote
    fresh = [
        account(store, f"fresh{i}@example.org", created=NOW - timedelta(hours=1)) for i in range(3)
    ]
    for user in fresh:
        votes.set_vote(store, user, b, voted=True, now=NOW)
    assert store.card_stats([b])[b].upvotes == 3  # every vote is shown
    # Not trusted yet: b has no points and stays behind c (and ranks by recency).
    assert ids(trending_papers(store, "day", now=NOW, trust_hours=24)) == [c, a, b]
    # A day later the accounts are trusted by age; with no trust period, at once.
    later = NOW + timedelta(hours=24)
    assert ids(trending_papers(store, "day", now=later, trust_hours=24))[0] == b
    assert ids(trending_papers(store, "day", now=NOW, trust_hours=0))[0] == b
    # A moderator's verification counts at once: two verified votes beat c's one.
    for user in fresh[:2]:
        votes.trust_voter(store, user, trusted=True, now=NOW)
    assert ids(trending_papers(store, "day", now=NOW, trust_hours=24))[0] == b


def test_a_burst_from_one_address_waits_for_verification(store: Store) -> None:
    a, b, c = add_papers(store, {NEWEST: 3})
    upvote(store, c, 2, prefix="home")  # two ordinary votes
    lab = [account(store, f"lab{i}@example.org") for i in range(4)]  # old accounts
    for i, user in enumerate(lab):
        votes.set_vote(
            store,
            user,
            b,
            voted=True,
            now=NOW + timedelta(minutes=i),
            address_hash="lab",
            burst_limit=1,
        )
    assert store.card_stats([b])[b].upvotes == 4
    # Only the first vote from the address weighs: b has 1 point against c's 2,
    # however old the accounts are.
    later = NOW + timedelta(days=30)
    assert ids(trending_papers(store, "day", now=later))[:2] == [c, b]
    for user in lab[1:3]:
        votes.trust_voter(store, user, trusted=True, now=NOW)
    assert ids(trending_papers(store, "day", now=later))[:2] == [b, c]


def test_the_description_states_the_rule() -> None:
    text = " ".join(describe_trending(trust_hours=48, burst_limit=3))
    assert "48 hours" in text and "more than 3 votes" in text and "(age + 2)^1.5" in text
    assert "every vote" in text
    assert "at once" in " ".join(describe_trending(trust_hours=0, burst_limit=0))
    assert trending.TRENDING_DESCRIPTION.startswith("Trending ranks")


def test_an_empty_site_has_an_empty_trending(store: Store) -> None:
    listing = trending_papers(store, "month", now=NOW)
    assert listing.papers == [] and listing.state == "empty" and listing.total == 0


def test_newest_day_is_the_window_end(store: Store) -> None:
    add_papers(store, {date(2026, 2, 2): 1})
    window = trending.trending_window(store, "week")
    assert window is not None and window.end == date(2026, 2, 2)
    assert window.start == date(2026, 1, 27)
