"""Trending papers: the one place the ranking formula lives (shown on /about).

Windows end at the newest day that has papers (on a live site, the latest arXiv
announcement), so "today" means the latest announcement day even at 00:05 UTC or on a
weekend: ``day`` = that day, ``week`` = it and the 6 days before, ``month`` = it and the
29 days before.

Until the community features record votes, papers are ranked by recency alone: newest
listing day first, then newest arXiv id (arXiv numbers papers in submission order).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from paperwire.browse.listing import DEFAULT_LIMIT, Listing, fetch_page
from paperwire.browse.periods import Period, days_before
from paperwire.errors import InvalidParameter
from paperwire.models import SearchFilters
from paperwire.store import Store

TrendingPeriod = Literal["day", "week", "month"]
TRENDING_PERIODS: tuple[TrendingPeriod, ...] = ("day", "week", "month")
WINDOW_DAYS: dict[str, int] = {"day": 1, "week": 7, "month": 30}

TRENDING_DESCRIPTION = (
    "Trending ranks the papers of a window that ends at the latest announcement day: "
    "today (that day), this week (the 7 days ending on it) or this month (the 30 days "
    "ending on it). Until readers can vote, papers are ranked by recency: the newest "
    "announcement day first, then the newest arXiv number."
)


def check_period(period: str, *, parameter: str = "period") -> TrendingPeriod:
    if period not in TRENDING_PERIODS:
        raise InvalidParameter(parameter, f"must be one of day, week, month; got {period[:40]!r}")
    return period  # type: ignore[return-value]


def trending_window(store: Store, period: TrendingPeriod) -> Period | None:
    """The days the ranking looks at; None when no paper has a day."""
    newest: date | None = store.newest_listed_day()
    if newest is None:
        return None
    start = days_before(newest, WINDOW_DAYS[period] - 1)
    return Period("day" if period == "day" else "range", start, newest)


def trending_papers(
    store: Store,
    period: str = "day",
    *,
    filters: SearchFilters | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    offset: int = 0,
) -> Listing:
    """One page of trending papers for ``period`` (see ``TRENDING_DESCRIPTION``)."""
    window = trending_window(store, check_period(period))
    if window is None:
        return Listing(papers=[], state="empty", total=0)
    # Recency ranking is the listing order itself, so keyset pages apply unchanged.
    papers, next_cursor = fetch_page(
        store, start=window.start, end=window.end, filters=filters, limit=limit,
        cursor=cursor, offset=offset,
    )
    total = store.count_listed(start=window.start, end=window.end, filters=filters)
    return Listing(
        papers=papers, next_cursor=next_cursor, total=total, period=window,
        state="papers" if total else "empty",
    )
