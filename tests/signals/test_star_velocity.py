"""Star velocity in the trending score, on both backends: the stars a paper's GitHub
repository gained over 7 days of daily snapshots weigh 0.5 × their square root, beside
votes, saves and submissions, in the one formula /about describes."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from paperwire.community import votes
from paperwire.community.trending import describe_trending, points, trending_papers
from paperwire.models import Link
from paperwire.store import Store
from tests.community.votes_helpers import NEWEST, NOW, account, paper_on


def starred(store: Store, name: str, history: list[tuple[int, int]]) -> None:
    """Snapshots of ``name``: (days before today, stars), oldest first."""
    repo = store.get_repository(name)
    assert repo is not None
    for days_ago, stars in history:
        store.save_repository(
            replace(repo, status="ok", stars=stars, checked_at=NOW - timedelta(days=days_ago)),
            day=NOW.date() - timedelta(days=days_ago),
        )


def test_the_formula_takes_the_square_root_of_star_velocity() -> None:
    assert points({"stars": 100}) == pytest.approx(5.0)
    assert points({"stars": 400, "votes": 2}) == pytest.approx(12.0)
    assert points({"stars": 0}) == 0
    assert "square root of the stars its GitHub repository gained over the last 7 days" in " ".join(
        describe_trending()
    )


def test_rising_repositories_lift_their_papers(store: Store) -> None:
    papers = [
        replace(paper_on(NEWEST, 1), links=[Link("code", "https://github.com/lab/rising")]),
        replace(paper_on(NEWEST, 2), links=[Link("code", "https://github.com/lab/slow")]),
        paper_on(NEWEST, 3),
        replace(paper_on(NEWEST, 4), links=[Link("code", "https://github.com/lab/old-fame")]),
        paper_on(NEWEST, 5),
    ]
    store.upsert_papers(papers)
    # 400 stars in the week: 10 points. 4 stars: 1 point. A famous repository that
    # gained nothing this week: no points, whatever its total.
    starred(store, "lab/rising", [(9, 0), (7, 100), (3, 300), (0, 500)])
    starred(store, "lab/slow", [(6, 10), (0, 14)])
    starred(store, "lab/old-fame", [(7, 90000), (0, 90000)])
    assert store.get_repository("lab/rising").stars_week == 400  # type: ignore[union-attr]
    for i in range(2):  # two votes: 2 points
        votes.set_vote(
            store, account(store, f"v{i}@example.org"), "2603.00003", voted=True, now=NOW
        )
    day = trending_papers(store, "day", now=NOW)
    assert [p.id for p in day.papers] == [
        "2603.00001",  # 10 points
        "2603.00003",  # 2
        "2603.00002",  # 1
        "2603.00005",  # no points: newest first after those with points
        "2603.00004",
    ]
