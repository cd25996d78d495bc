"""Announcement days: whether arXiv announced in a category on a day (``announced``) or
not at all (``none``: weekend, holiday), so a day page can say "arXiv did not announce
on this day" instead of looking like missing data; and which papers each listing
held, replacements included.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, Protocol

from paperwire.models import AnnouncementDay, AnnouncementEntry, Paper, UpsertCounts
from paperwire.store.codec import datetime_or_none, to_date
from paperwire.store.dialect import Dialect
from paperwire.store.papers_sql import Papers
from paperwire.store.sql import Connections, Part

# Listing order of a day's entries, as on arXiv's own pages.
_TYPE_ORDER = "CASE announce_type WHEN 'new' THEN 0 WHEN 'cross' THEN 1 WHEN 'replace' THEN 2 ELSE 3 END"


class AnnouncementStore(Protocol):
    """What arXiv announced, per category and day."""

    def record_announcement_day(
        self,
        day: AnnouncementDay,
        *,
        papers: Iterable[Paper] = (),
        entries: Sequence[AnnouncementEntry] = (),
    ) -> UpsertCounts:
        """Store one category's listing for one day in one transaction: its papers
        (through ``upsert_papers``, so a paper keeps its first announcement day), the
        listing's entries (replacing what an earlier fetch of the same day stored) and
        the day's status. Returns the paper counts. Idempotent."""
        ...

    def announcement_status(self, day: date, categories: Sequence[str] | None = None) -> str | None:
        """``"announced"`` if arXiv announced on ``day`` (in any of ``categories``, or
        any category when None), ``"none"`` if we fetched that day and it had no
        announcement, ``None`` if we know nothing about that day."""
        ...

    def announcement_days(
        self,
        *,
        category: str | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int = 100,
    ) -> list[AnnouncementDay]:
        """Fetched (category, day) rows, newest day first."""
        ...

    def announcement_entries(self, day: date, *, category: str | None = None) -> list[AnnouncementEntry]:
        """A day's listing: new, then cross-lists, then replacements."""
        ...


def _row_to_day(row: dict[str, Any]) -> AnnouncementDay:
    return AnnouncementDay(
        category=row["category"],
        day=to_date(row["day"]),
        status=row["status"],
        papers=int(row["papers"]),
        fetched_at=datetime_or_none(row["fetched_at"]),
    )


class Announcements(Part):
    """Announcement days, written once for both backends; a day's papers are written
    by the papers part, in the same transaction."""

    def __init__(self, connections: Connections, dialect: Dialect, *, papers: Papers) -> None:
        super().__init__(connections, dialect)
        self.papers = papers

    def record_announcement_day(
        self,
        day: AnnouncementDay,
        *,
        papers: Iterable[Paper] = (),
        entries: Sequence[AnnouncementEntry] = (),
    ) -> UpsertCounts:
        with self.connections.writing() as db:
            # Papers first (joins this transaction), so entries can reference them.
            counts = self.papers.upsert_papers(papers) if papers else UpsertCounts()
            db.execute(
                "DELETE FROM announcement_entries WHERE day = ? AND category = ?",
                (day.day, day.category),
            )
            self.dialect.insert_rows(
                db,
                "announcement_entries",
                ("day", "category", "paper_id", "announce_type", "version"),
                [(day.day, day.category, e.paper_id, e.announce_type, e.version) for e in entries],
                on_conflict="ON CONFLICT DO NOTHING",
            )
            db.execute(
                "INSERT INTO announcement_days (category, day, status, papers, fetched_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (category, day) DO UPDATE SET "
                "status = excluded.status, papers = excluded.papers, fetched_at = excluded.fetched_at",
                (day.category, day.day, day.status, day.papers, day.fetched_at),
            )
        return counts

    def announcement_status(self, day: date, categories: Sequence[str] | None = None) -> str | None:
        sql = "SELECT status FROM announcement_days WHERE day = ?"
        params: list[Any] = [day]
        if categories:
            sql += f" AND category IN ({', '.join('?' * len(categories))})"
            params.extend(categories)
        with self.connections.reading() as db:
            statuses = {row["status"] for row in db.fetchall(sql, params)}
        if not statuses:
            return None
        return "announced" if "announced" in statuses else "none"

    def announcement_days(
        self,
        *,
        category: str | None = None,
        since: date | None = None,
        until: date | None = None,
        limit: int = 100,
    ) -> list[AnnouncementDay]:
        where: list[str] = []
        params: list[object] = []
        if category is not None:
            where.append("category = ?")
            params.append(category)
        if since is not None:
            where.append("day >= ?")
            params.append(since)
        if until is not None:
            where.append("day <= ?")
            params.append(until)
        sql = "SELECT * FROM announcement_days"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY day DESC, category LIMIT ?"
        with self.connections.reading() as db:
            rows = db.fetchall(sql, [*params, limit])
        return [_row_to_day(r) for r in rows]

    def announcement_entries(self, day: date, *, category: str | None = None) -> list[AnnouncementEntry]:
        sql = "SELECT * FROM announcement_entries WHERE day = ?"
        params: list[Any] = [day]
        if category is not None:
            sql += " AND category = ?"
            params.append(category)
        sql += f" ORDER BY category, {_TYPE_ORDER}, paper_id"  # constant
        with self.connections.reading() as db:
            rows = db.fetchall(sql, params)
        return [
            AnnouncementEntry(
                paper_id=r["paper_id"],
                announce_type=r["announce_type"],
                version=r["version"],
                category=r["category"],
                day=to_date(r["day"]),
            )
            for r in rows
        ]
