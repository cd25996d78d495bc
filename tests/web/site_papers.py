"""Small hand-made papers for page tests: hostile ones (everything in them must stay
text) and dated ones spread over announcement days (for day/week/month navigation).
Made up for the tests; no licence concerns."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from paperwire.models import Author, Link, Paper

HOSTILE_ID = "2611.00666"
HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_ABSTRACT = (
    "</textarea><img src=x onerror=alert(1)> We study $x^2 + y^2 = z^2$ and "
    "$\\href{javascript:alert(3)}{click}$ while <b onmouseover=alert(4)>bold</b> stays text."
)
HOSTILE_AUTHOR = '<img src=x onerror=alert(2)>"'
HOSTILE_CODE = "javascript:alert(1)"

# Announcement days used by the dated papers: a Monday..Friday week, newer than every
# sample paper, and one earlier Friday; the Saturday after has no announcement.
NEWEST_DAY = date(2026, 11, 20)  # Friday
DAYS = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 18), date(2026, 11, 19), NEWEST_DAY]
EARLIER_DAY = date(2026, 10, 30)  # Friday
SATURDAY = date(2026, 11, 21)


def hostile_papers() -> list[Paper]:
    return [
        Paper(
            id=HOSTILE_ID,
            title=HOSTILE_TITLE,
            abstract=HOSTILE_ABSTRACT,
            authors=[Author(HOSTILE_AUTHOR), Author("Ada Lovelace")],
            categories=["cs.CR", "cs.LG"],
            version=1,
            submitted=datetime(2026, 11, 19, 12, tzinfo=UTC),
            announced=NEWEST_DAY,
            announce_type="new",
            doi='10.1000/"><script>alert(5)</script>',
            comments="<iframe src=javascript:alert(6)></iframe>",
            links=[
                Link("code", HOSTILE_CODE),
                Link("code", "https://github.com/example/safe-repo"),
                Link("project", "data:text/html,<script>alert(7)</script>"),
            ],
        )
    ]


def dated_papers() -> list[Paper]:
    papers: list[Paper] = []
    for i, day in enumerate([EARLIER_DAY, *DAYS]):
        for j in range(3):
            n = i * 10 + j + 1
            papers.append(
                Paper(
                    id=f"2611.{n:05d}",
                    title=f"Dated paper {n} on {day.isoformat()} about sparse attention",
                    abstract=(
                        f"Paper number {n}. We prune tokens in vision transformers with "
                        f"$O(n \\log n)$ cost and report accuracy."
                    ),
                    authors=[Author(f"Author {n}"), Author("Grace Hopper")],
                    categories=["cs.CV" if j % 2 == 0 else "cs.CL", "cs.LG"],
                    version=1,
                    submitted=datetime.combine(day - timedelta(days=1), datetime.min.time(), UTC),
                    announced=day,
                    announce_type="new",
                    links=[Link("code", f"https://github.com/example/repo-{n}")] if j == 0 else [],
                )
            )
    return papers
