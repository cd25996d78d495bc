"""Papers on chosen announcement days and accounts of chosen ages, for the vote and
trending tests (made up for the tests)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from paperwire.community import accounts
from paperwire.models import Author, Paper, User
from paperwire.store import Store

NEWEST = date(2026, 3, 6)  # a Friday
# Noon on the newest day: every account made a week before is trusted by then.
NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=7)


def paper_on(day: date, n: int, **changes: object) -> Paper:
    fields: dict[str, object] = {
        "id": f"2603.{n:05d}",
        "title": f"Paper {n} of {day.isoformat()}",
        "abstract": f"Abstract of paper {n}.",
        "authors": [Author(f"Author {n}")],
        "categories": ["cs.LG"],
        "version": 1,
        "submitted": datetime.combine(day, datetime.min.time(), tzinfo=UTC) - timedelta(days=1),
        "announced": day,
        "announce_type": "new",
    }
    fields.update(changes)
    return Paper(**fields)  # type: ignore[arg-type]


def add_papers(store: Store, days: dict[date, int]) -> list[str]:
    """``days[d]`` papers announced on each day ``d``; their ids, newest day first and
    within a day by id descending (the daily list's order)."""
    papers = []
    n = 0
    for day, count in sorted(days.items()):
        for _ in range(count):
            n += 1
            papers.append(paper_on(day, n))
    store.upsert_papers(papers)
    papers.sort(key=lambda p: (p.announced, p.id), reverse=True)
    return [p.id for p in papers]


def account(store: Store, email: str, *, created: datetime = OLD, role: str = "user") -> User:
    """An account created at ``created`` (a week before ``NOW`` by default: trusted)."""
    return accounts.add_user(store, email, now=created, role=role)
