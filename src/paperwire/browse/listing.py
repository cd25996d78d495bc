"""Day semantics, in one place, for the site, the feeds and both JSON APIs.

A paper is listed under ``papers.listed_day``: its arXiv announcement day when known,
else the date of its first version (``Paper.day``). A day listing shows that day's
papers; a week is an ISO week (Monday..Sunday), a month a calendar month. With no day
given, the newest day that has papers is shown. Navigation jumps to the nearest
earlier/later period that has papers, so a reader never pages through empty weekends.

An approved community submission also lists its paper on the day it was submitted
(``Paper.listed_on`` says the day a listing placed each paper by).

A day without papers is in one of three states: ``future`` (after today, UTC),
``no_announcement`` (arXiv did not announce: recorded by the announcements harvest, or a
Saturday/Sunday, when arXiv never announces), or ``empty`` (we simply hold nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

from paperwire.browse.cursor import (
    decode_cursor,
    decode_rank_cursor,
    encode_cursor,
    encode_rank_cursor,
)
from paperwire.browse.filters import check_author_name
from paperwire.browse.periods import Period, day_period, period_of
from paperwire.browse.taxonomy import validate_category
from paperwire.errors import InvalidParameter
from paperwire.limits import LISTING_MAX, check_limit, check_offset
from paperwire.models import Paper, SearchFilters
from paperwire.store import Store

DayState = Literal["papers", "no_announcement", "empty", "future"]
# How a day, week or month is ordered: ``date``, the daily list's order (newest day
# first, keyset pages), or ``stars``, most GitHub stars first (pages by position).
ListingSort = Literal["date", "stars"]
LISTING_SORTS: tuple[ListingSort, ...] = ("date", "stars")

DEFAULT_LIMIT = 50


@dataclass(slots=True)
class Listing:
    """One page of a listing plus what a page or API needs around it."""

    papers: list[Paper]
    next_cursor: str | None = None  # None on the last page
    total: int | None = None  # papers in the whole listing (all pages)
    category_counts: dict[str, int] = field(default_factory=dict)  # ignoring the category filter
    period: Period | None = None  # None for author/category listings over all time
    state: DayState = "papers"
    previous: Period | None = None  # nearest earlier period with papers
    next: Period | None = None  # nearest later period with papers


def utc_today() -> date:
    return datetime.now(UTC).date()


def fetch_page(
    store: Store,
    *,
    start: date | None,
    end: date | None,
    filters: SearchFilters | None,
    limit: int,
    cursor: str | None,
    offset: int = 0,
) -> tuple[list[Paper], str | None]:
    """One page in listing order and the cursor of the next (None on the last page)."""
    check_limit(limit, maximum=LISTING_MAX)
    check_offset(offset)
    after = decode_cursor(cursor) if cursor else None
    rows = store.list_papers(
        start=start, end=end, filters=filters, after=after, offset=offset, limit=limit + 1
    )
    papers = rows[:limit]
    more = len(rows) > limit
    last = papers[-1] if papers else None
    # The key the listing placed it by: its day there (an approved submission's day
    # for a paper it brought to the list), which is not always ``Paper.day``.
    day = listed_day(last) if last else None
    next_cursor = encode_cursor((day, last.id)) if more and last and day else None
    return papers, next_cursor


def check_sort(sort: str, *, parameter: str = "sort") -> ListingSort:
    if sort not in LISTING_SORTS:
        raise InvalidParameter(parameter, f"must be one of {', '.join(LISTING_SORTS)}, got {sort[:40]!r}")
    return sort  # type: ignore[return-value]


def fetch_stars_page(
    store: Store,
    *,
    start: date,
    end: date,
    filters: SearchFilters | None,
    limit: int,
    cursor: str | None,
    offset: int = 0,
) -> tuple[list[Paper], str | None]:
    """One page of ``start..end`` with the most GitHub stars first (a paper's most
    starred repository as the last GitHub run saw it; ties newest first), then the
    papers without stars in the daily list's order. Pages are positions: ``cursor`` is
    the ``next_cursor`` of the page before."""
    check_limit(limit, maximum=LISTING_MAX)
    position = check_offset(offset) + (decode_rank_cursor(cursor) if cursor else 0)
    check_offset(position, parameter="cursor")
    ranked = sorted(
        store.starred_papers(start=start, end=end, filters=filters),
        key=lambda row: (row[2] is not None, row[2] or 0, row[1], row[0]),
        reverse=True,
    )
    head = ranked[position : position + limit + 1]
    days = {paper_id: day for paper_id, day, _ in head}
    papers = store.get_papers([paper_id for paper_id, _, _ in head])
    for paper in papers:
        paper.listed_on = days[paper.id]
    if len(papers) <= limit:
        papers += store.trending_tail(
            start=start,
            end=end,
            filters=filters,
            exclude=[paper_id for paper_id, _, _ in ranked],
            offset=max(0, position - len(ranked)),
            limit=limit + 1 - len(papers),
        )
    more = len(papers) > limit
    return papers[:limit], encode_rank_cursor(position + limit) if more else None


def day_navigation(store: Store, day: date) -> tuple[date | None, date | None]:
    """The nearest earlier and later days that have papers."""
    return store.adjacent_listed_days(day, day)


def period_navigation(store: Store, period: Period) -> tuple[Period | None, Period | None]:
    """The nearest earlier and later periods of the same kind that have papers."""
    before, after = store.adjacent_listed_days(period.start, period.end)
    return (
        period_of(period.kind, before) if before else None,
        period_of(period.kind, after) if after else None,
    )


def announced_nothing(store: Store, day: date) -> bool:
    """Whether arXiv made no announcement on ``day``: the announcements harvest's record
    (``Store.announcement_status``) when it has one, else the rule that arXiv never
    announces on Saturdays and Sundays."""
    recorded = store.announcement_status(day)
    if recorded is not None:
        return recorded == "none"
    return day.weekday() >= 5


def day_state(store: Store, day: date, *, has_papers: bool, today: date | None = None) -> DayState:
    if has_papers:
        return "papers"
    if day > (today or utc_today()):
        return "future"
    return "no_announcement" if announced_nothing(store, day) else "empty"


def papers_for_range(
    store: Store,
    period: Period,
    *,
    filters: SearchFilters | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    offset: int = 0,
    today: date | None = None,
    with_counts: bool = True,
    sort: str = "date",
) -> Listing:
    """The papers of a day, ISO week or month, with counts, state and navigation, in
    the order ``sort`` names (``ListingSort``)."""
    fetch = fetch_stars_page if check_sort(sort) == "stars" else fetch_page
    papers, next_cursor = fetch(
        store, start=period.start, end=period.end, filters=filters, limit=limit,
        cursor=cursor, offset=offset,
    )
    total: int | None = None
    counts: dict[str, int] = {}
    if with_counts:
        total = store.count_listed(start=period.start, end=period.end, filters=filters)
        facet_filters = replace(filters, categories=()) if filters else None
        counts = store.listed_category_counts(start=period.start, end=period.end, filters=facet_filters)
    has_papers = bool(papers) or bool(total) or cursor is not None or offset > 0
    if not has_papers and filters is not None and not filters.empty:
        # The filter may hide everything: the day still counts as announced.
        has_papers = store.count_listed(start=period.start, end=period.end) > 0
    previous, following = period_navigation(store, period)
    if period.kind == "day":
        state = day_state(store, period.start, has_papers=has_papers, today=today)
    else:
        state = "papers" if has_papers else ("future" if period.start > (today or utc_today()) else "empty")
    return Listing(
        papers=papers, next_cursor=next_cursor, total=total, category_counts=counts,
        period=period, state=state, previous=previous, next=following,
    )


def papers_for_day(
    store: Store,
    day: date | None = None,
    *,
    filters: SearchFilters | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    offset: int = 0,
    today: date | None = None,
    with_counts: bool = True,
    sort: str = "date",
) -> Listing:
    """The papers listed on ``day``; the newest day that has papers when ``day`` is None
    (today, empty, when the database holds nothing dated)."""
    if day is None:
        day = store.newest_listed_day() or (today or utc_today())
    return papers_for_range(
        store, day_period(day), filters=filters, limit=limit, cursor=cursor, offset=offset,
        today=today, with_counts=with_counts, sort=sort,
    )


def listed_day(paper: Paper) -> date | None:
    """The day a listing placed ``paper`` under (an approved submission's day, for a
    paper it brought to the list), else its own day."""
    return paper.listed_on or paper.day


def newest_papers(
    store: Store,
    *,
    filters: SearchFilters | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    today: date | None = None,
    with_counts: bool = True,
) -> Listing:
    """The newest papers across days: the newest day's, then the days before it, until
    the page is full, in listing order, so a page is never nearly empty on a day with
    few papers. One listing query over all days (an index range in listing order, not
    a query per day); ``cursor`` continues where a page stopped. The ``period`` is the
    range of days the page shows (the newest day when it shows nothing); category
    counts are of that range."""
    papers, next_cursor = fetch_page(
        store, start=None, end=None, filters=filters, limit=limit, cursor=cursor
    )
    days = [d for d in (listed_day(p) for p in papers) if d is not None]
    if days:
        period = Period("range", min(days), max(days))
    else:
        period = day_period(store.newest_listed_day() or (today or utc_today()))
    counts: dict[str, int] = {}
    if with_counts and days:
        facet_filters = replace(filters, categories=()) if filters else None
        counts = store.listed_category_counts(start=period.start, end=period.end, filters=facet_filters)
    return Listing(
        papers=papers,
        next_cursor=next_cursor,
        category_counts=counts,
        period=period,
        state="papers" if papers else "empty",
    )


def papers_for_period(
    store: Store,
    period: Period | None,
    **kwargs: Any,
) -> Listing:
    """``papers_for_day`` for None (the newest day), else ``papers_for_range``."""
    if period is None:
        return papers_for_day(store, None, **kwargs)
    return papers_for_range(store, period, **kwargs)


def _all_time(
    store: Store,
    filters: SearchFilters,
    *,
    limit: int,
    cursor: str | None,
    offset: int,
    with_counts: bool,
) -> Listing:
    papers, next_cursor = fetch_page(
        store, start=None, end=None, filters=filters, limit=limit, cursor=cursor, offset=offset
    )
    total = store.count_listed(filters=filters) if with_counts else None
    counts = store.listed_category_counts(filters=filters) if with_counts else {}
    state: DayState = "papers" if papers or total or cursor else "empty"
    return Listing(
        papers=papers, next_cursor=next_cursor, total=total, category_counts=counts, state=state
    )


def papers_by_author(
    store: Store,
    name: str,
    *,
    filters: SearchFilters | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    offset: int = 0,
    with_counts: bool = True,
) -> Listing:
    """Papers with an author of this name (case and spacing ignored), newest first."""
    if not name.strip():
        raise InvalidParameter("name", "an author name is required")
    check_author_name(name, parameter="name")
    merged = replace(filters or SearchFilters(), author=name)
    return _all_time(store, merged, limit=limit, cursor=cursor, offset=offset, with_counts=with_counts)


def papers_in_category(
    store: Store,
    category: str,
    *,
    filters: SearchFilters | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    offset: int = 0,
    with_counts: bool = True,
) -> Listing:
    """Papers listed in ``category`` (primary or cross-list), newest first."""
    validate_category(category)
    merged = replace(filters or SearchFilters(), categories=(category,))
    return _all_time(store, merged, limit=limit, cursor=cursor, offset=offset, with_counts=with_counts)
