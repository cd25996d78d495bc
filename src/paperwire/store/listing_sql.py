"""Listings for the site and API: papers of a day range with filters, keyset pages, day
navigation, category counts, and the data version that web caching validates against.

Every listing is ordered by ``(listed_day DESC, id DESC)`` — the order of the
``papers_listed_day`` index — so a page after a key is an index range scan, and pages
never overlap or skip a paper however deep a reader goes. Papers without any date
(``listed_day IS NULL``) have no place in a day-ordered listing and are left out.

An approved community submission lists its paper on the day it was submitted as well
(``submissions.submitted_day``). Each paper appears once in a listing, under the latest
of its own day and its submission's day that the listing's range holds: a day's page
shows it on each of its days, a week or the front page once, on the later day. That
day and the id are the paper's key there (``Paper.listed_on``), so keyset pages stay
exact across both sources. When the range holds no approved submission (one index
probe) the listing is the papers query alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Protocol

from paperwire.models import DataVersion, Paper, SearchFilters
from paperwire.store.codec import date_or_none, row_to_paper, to_date, to_datetime
from paperwire.store.dialect import Dialect
from paperwire.store.filters import NO_FILTER, category_match, filter_sql
from paperwire.store.sql import Connections, Db, Part, fetch_count

MEMO_ENTRIES = 256  # counts kept per store object

ListingKey = tuple[date, str]  # (listed_day, id) of the last paper of a page


class ListingStore(Protocol):
    """What the site and API may ask about listings."""

    def list_papers(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        filters: SearchFilters | None = None,
        after: ListingKey | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Paper]:
        """Papers listed on ``start..end`` (inclusive; open when None) matching
        ``filters``, newest day first, then id descending; strictly after ``after``."""
        ...

    def count_listed(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        filters: SearchFilters | None = None,
    ) -> int: ...

    def listed_category_counts(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        filters: SearchFilters | None = None,
    ) -> dict[str, int]:
        """Papers per category (primary and cross-lists), most first."""
        ...

    def newest_listed_day(self) -> date | None: ...

    def adjacent_listed_days(self, start: date, end: date | None = None) -> tuple[date | None, date | None]:
        """The latest day with papers before ``start`` and the earliest after ``end``."""
        ...

    def data_version(self) -> DataVersion:
        """A counter bumped by triggers on every write to papers, and when it changed."""
        ...


def _as_utc(value: Any) -> datetime:
    moment = to_datetime(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # SQLite's CURRENT_TIMESTAMP is UTC
    return moment.astimezone(UTC)


def listing_bounds(
    start: date | None, end: date | None, filters: SearchFilters | None
) -> tuple[date | None, date | None]:
    """The days a listing covers: ``start..end`` narrowed by the filters' own dates."""
    f = filters or SearchFilters()
    lower = max((d for d in (start, f.date_from) if d is not None), default=None)
    upper = min((d for d in (end, f.date_until) if d is not None), default=None)
    return lower, upper


def _day_range(column: str, lower: date | None, upper: date | None) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if lower is not None:
        clauses.append(f"{column} >= ?")
        params.append(lower)
    if upper is not None:
        clauses.append(f"{column} <= ?")
        params.append(upper)
    return clauses, params


# The papers approved submissions list (alias ``s`` for the submission, ``papers``).
SUBMITTED_FROM = "submissions s JOIN papers ON papers.id = s.paper_id"
_APPROVED_IN_RANGE = "SELECT 1 AS n FROM submissions WHERE status = 'approved'"


def submitted_where(
    dialect: Dialect,
    *,
    start: date | None,
    end: date | None,
    filters: SearchFilters | None,
    after: ListingKey | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE clause over ``SUBMITTED_FROM`` of the papers approved submissions
    list in a listing: submitted on a day it covers, matching the other filters, and
    not listed in it by their own day on that day or later (that entry stands; the
    papers query leaves out those listed earlier, ``later_submissions``)."""
    lower, upper = listing_bounds(start, end, filters)
    clauses, params = _day_range("s.submitted_day", lower, upper)
    clauses.insert(0, "s.status = 'approved'")
    # Its own day, when in the range, is not before its submission's (so not below it).
    own, own_params = _day_range("papers.listed_day", None, upper)
    own = ["papers.listed_day IS NOT NULL", "papers.listed_day >= s.submitted_day", *own]
    clauses.append(f"NOT ({' AND '.join(own)})")
    params.extend(own_params)
    rest = replace(filters, date_from=None, date_until=None) if filters else None
    where, rest_params = filter_sql(rest, dialect, alias="papers", by_author_index=True)
    if where != NO_FILTER:
        clauses.append(where)
        params.extend(rest_params)
    if after is not None:
        clauses.append("(s.submitted_day, papers.id) < (?, ?)")
        params.extend(after)
    return " AND ".join(clauses), params


def listing_where(
    dialect: Dialect,
    *,
    start: date | None,
    end: date | None,
    filters: SearchFilters | None,
    after: ListingKey | None = None,
    table: str = "papers",
    drive_from_categories: bool = False,
    later_submissions: bool = False,
) -> tuple[str, list[Any]]:
    """The WHERE clause (always non-empty) shared by listings, counts and facets: the
    day range ``start..end`` narrowed by the filters' own dates, then the filters in
    the one filter language (``filters.py``). The author filter is looked up in its
    index: an author has few papers, so collecting them beats walking the days.
    ``later_submissions``: leave out papers an approved submission lists later in the
    range (``submitted_where`` lists them there); needed when the range holds any."""
    f = filters or SearchFilters()
    lower, upper = listing_bounds(start, end, filters)
    where, params = filter_sql(
        replace(f, date_from=lower, date_until=upper),
        dialect,
        alias=table,
        by_category_index=drive_from_categories,
        by_author_index=True,
    )
    clauses = [f"{table}.listed_day IS NOT NULL"]
    if where != NO_FILTER:
        clauses.append(where)
    if later_submissions:
        # The submission's UNIQUE (paper_id) index answers this per row.
        later, later_params = _day_range("ls.submitted_day", None, upper)
        clauses.append(
            "NOT EXISTS (SELECT 1 FROM submissions ls WHERE ls.paper_id = "
            f"{table}.id AND ls.status = 'approved' AND ls.submitted_day > {table}.listed_day"
            + "".join(f" AND {c}" for c in later)
            + ")"
        )
        params = [*params, *later_params]
    if after is not None:
        # Row-value comparison: one index range on (listed_day, id), both dialects.
        clauses.append(f"({table}.listed_day, {table}.id) < (?, ?)")
        params = [*params, after[0], after[1]]
    return " AND ".join(clauses), params


def _listed(row: dict[str, Any], day_column: str) -> Paper:
    paper = row_to_paper(row)
    paper.listed_on = date_or_none(row[day_column])
    return paper


class Listings(Part):
    """Listings, written once for both backends."""

    # At most this many papers: an all-time category page starts from the category's rows.
    few_in_category = 2000

    def __init__(self, connections: Connections, dialect: Dialect) -> None:
        super().__init__(connections, dialect)
        self._memo_cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._memo_lock = threading.Lock()

    def list_papers(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        filters: SearchFilters | None = None,
        after: ListingKey | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Paper]:
        with self.connections.reading() as db:
            few = self._few_in_categories(db, start=start, end=end, filters=filters)
            submitted = self._any_submitted(db, start=start, end=end, filters=filters)
        where, params = listing_where(
            self.dialect,
            start=start, end=end, filters=filters, after=after, drive_from_categories=few,
            later_submissions=submitted,
        )  # fmt: skip
        sql = (
            f"SELECT * FROM papers WHERE {where} "  # clauses are constants
            "ORDER BY papers.listed_day DESC, papers.id DESC LIMIT ? OFFSET ?"
        )
        if not submitted:
            with self.connections.reading() as db:
                rows = db.fetchall(sql, [*params, limit, offset])
            return [_listed(r, "listed_day") for r in rows]
        # Both sources in listing order, each cut at the page's end, merged here.
        s_where, s_params = submitted_where(
            self.dialect, start=start, end=end, filters=filters, after=after
        )
        with self.connections.reading() as db:
            rows = db.fetchall(sql, [*params, limit + offset, 0])
            extra = db.fetchall(
                f"SELECT papers.*, s.submitted_day AS submission_day FROM {SUBMITTED_FROM} "
                f"WHERE {s_where} "  # clauses are constants
                "ORDER BY s.submitted_day DESC, papers.id DESC LIMIT ?",
                [*s_params, limit + offset],
            )
        papers = [_listed(r, "listed_day") for r in rows]
        papers += [_listed(r, "submission_day") for r in extra]
        papers.sort(key=lambda p: (p.listed_on or date.min, p.id), reverse=True)
        return papers[offset : offset + limit]

    def _any_submitted(
        self,
        db: Db,
        *,
        start: date | None,
        end: date | None,
        filters: SearchFilters | None,
    ) -> bool:
        """Whether any approved submission was made on a day the listing covers (the
        ``submissions_day`` index answers it)."""
        clauses, params = _day_range("submitted_day", *listing_bounds(start, end, filters))
        sql = " AND ".join([_APPROVED_IN_RANGE, *clauses]) + " LIMIT 1"
        return db.fetchone(sql, params) is not None

    def _few_in_categories(
        self,
        db: Db,
        *,
        start: date | None,
        end: date | None,
        filters: SearchFilters | None,
        counting: bool = False,
    ) -> bool:
        """Whether to drive an all-time category query from the category's own rows: always
        when counting (every paper of the category is visited anyway), and for a page of a
        small category, where walking the days newest-first would scan most of the table
        before filling a page. A bounded day range is always walked by day."""
        if not filters or not filters.categories or start is not None or end is not None:
            return False
        if filters.date_from is not None or filters.date_until is not None:
            return False
        if counting:
            return True
        cond, params = category_match(filters.categories, self.dialect, column="category")
        found = fetch_count(
            db,
            f"SELECT COUNT(*) AS n FROM (SELECT 1 FROM paper_categories WHERE {cond} "
            f"LIMIT {int(self.few_in_category) + 1}) AS t",
            params,
        )
        return found <= self.few_in_category

    def _memo(self, key: tuple[Any, ...], compute: Any) -> Any:
        """Counts are costly on a month of a big database and change only with the data:
        keep the last few per data version (read from the database, so every worker
        process sees a write at once)."""
        cache = self._memo_cache
        full_key = (self.data_version().version, *key)
        with self._memo_lock:
            if full_key in cache:
                return cache[full_key]
        value = compute()
        with self._memo_lock:
            cache[full_key] = value
            while len(cache) > MEMO_ENTRIES:
                cache.popitem(last=False)
        return value

    def count_listed(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        filters: SearchFilters | None = None,
    ) -> int:
        def compute() -> int:
            with self.connections.reading() as db:
                few = self._few_in_categories(
                    db, start=start, end=end, filters=filters, counting=True
                )
                submitted = self._any_submitted(db, start=start, end=end, filters=filters)
                where, params = listing_where(
                    self.dialect,
                    start=start, end=end, filters=filters, drive_from_categories=few,
                    later_submissions=submitted,
                )  # fmt: skip
                n = fetch_count(db, f"SELECT COUNT(*) AS n FROM papers WHERE {where}", params)
                if submitted:
                    s_where, s_params = submitted_where(
                        self.dialect, start=start, end=end, filters=filters
                    )
                    n += fetch_count(
                        db, f"SELECT COUNT(*) AS n FROM {SUBMITTED_FROM} WHERE {s_where}", s_params
                    )
                return n

        return int(self._memo(("count", start, end, filters), compute))

    def listed_category_counts(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        filters: SearchFilters | None = None,
    ) -> dict[str, int]:
        def compute() -> dict[str, int]:
            with self.connections.reading() as db:
                few = self._few_in_categories(
                    db, start=start, end=end, filters=filters, counting=True
                )
                submitted = self._any_submitted(db, start=start, end=end, filters=filters)
                where, params = listing_where(
                    self.dialect,
                    start=start, end=end, filters=filters, drive_from_categories=few,
                    later_submissions=submitted,
                )  # fmt: skip
                rows = db.fetchall(
                    "SELECT pc.category AS category, COUNT(*) AS n FROM paper_categories pc "
                    f"JOIN papers ON papers.id = pc.paper_id WHERE {where} "
                    "GROUP BY pc.category ORDER BY n DESC, pc.category",
                    params,
                )
                counts = {r["category"]: int(r["n"]) for r in rows}
                if not submitted:
                    return counts
                s_where, s_params = submitted_where(
                    self.dialect, start=start, end=end, filters=filters
                )
                for r in db.fetchall(
                    f"SELECT pc.category AS category, COUNT(*) AS n FROM {SUBMITTED_FROM} "
                    f"JOIN paper_categories pc ON pc.paper_id = papers.id WHERE {s_where} "
                    "GROUP BY pc.category",
                    s_params,
                ):
                    counts[r["category"]] = counts.get(r["category"], 0) + int(r["n"])
            return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

        return dict(self._memo(("categories", start, end, filters), compute))

    # Days with papers: the papers' own listing days and approved submissions' days.
    _DAY_SOURCES = (
        ("listed_day", "papers", ""),
        ("submitted_day", "submissions", "status = 'approved' AND "),
    )

    def _days(self, db: Db, pick: str, condition: str, params: tuple[Any, ...]) -> list[date]:
        found = []
        for column, table, approved in self._DAY_SOURCES:
            row = db.fetchone(
                f"SELECT {pick}({column}) AS d FROM {table} "  # constants
                f"WHERE {approved}{column} {condition}",
                params,
            )
            if row and row["d"] is not None:
                found.append(to_date(row["d"]))
        return found

    def newest_listed_day(self) -> date | None:
        with self.connections.reading() as db:
            days = self._days(db, "MAX", "IS NOT NULL", ())
        return max(days, default=None)

    def adjacent_listed_days(
        self, start: date, end: date | None = None
    ) -> tuple[date | None, date | None]:
        with self.connections.reading() as db:
            before = self._days(db, "MAX", "< ?", (start,))
            after = self._days(db, "MIN", "> ?", (end or start,))
        return max(before, default=None), min(after, default=None)

    def data_version(self) -> DataVersion:
        with self.connections.reading() as db:
            row = db.fetchone(
                "SELECT COALESCE(SUM(version), 0) AS v, MAX(changed_at) AS t FROM data_versions"
            )
        if row is None or row["t"] is None:
            return DataVersion(0, datetime(1970, 1, 1, tzinfo=UTC))
        return DataVersion(int(row["v"]), _as_utc(row["t"]))
