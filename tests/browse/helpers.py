"""Papers placed on known days, for listing tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from paperwire.models import Author, Link, Paper


def paper_on(
    day: date,
    number: int,
    *,
    categories: tuple[str, ...] = ("cs.LG",),
    authors: tuple[str, ...] = ("Ada Lovelace",),
    code: bool = False,
    title: str | None = None,
    announced: bool = True,
) -> Paper:
    """A paper announced on ``day`` (or, with ``announced=False``, first submitted then)."""
    pid = f"{day:%y%m}.{number:05d}"
    return Paper(
        id=pid,
        title=title or f"Paper {pid}",
        abstract=f"Abstract of {pid}.",
        authors=[Author(name=a) for a in authors],
        categories=list(categories),
        version=1,
        submitted=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        updated=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
        announced=day if announced else None,
        announce_type="new" if announced else None,
        links=[Link("code", f"https://github.com/example/{number}")] if code else [],
    )


# Mon 2024-01-08, Tue 01-09 (3 papers), Thu 01-11, Mon 01-15 (next ISO week), Thu 02-01.
DAYS = {
    date(2024, 1, 8): 2,
    date(2024, 1, 9): 3,
    date(2024, 1, 11): 1,
    date(2024, 1, 15): 2,
    date(2024, 2, 1): 4,
}


def calendar_papers() -> list[Paper]:
    """12 papers on the days of ``DAYS``; every third has code, the first of each day is
    also in math.OC, and one author writes on two different days."""
    papers: list[Paper] = []
    number = 0
    for day, count in DAYS.items():
        for i in range(count):
            number += 1
            cats = ("cs.LG", "math.OC") if i == 0 else ("cs.CV",)
            authors = ("Grace Hopper",) if number in (2, 9) else ("Ada Lovelace", f"Author {number}")
            papers.append(paper_on(day, number, categories=cats, authors=authors, code=number % 3 == 0))
    return papers
