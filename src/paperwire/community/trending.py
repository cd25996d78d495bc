"""Trending papers: the one place the ranking formula lives (shown on /about).

Windows end at the newest day that has papers (on a live site, the latest arXiv
announcement), so "today" means the latest announcement day even at 00:05 UTC or on a
weekend: ``day`` = that day, ``week`` = it and the 6 days before, ``month`` = it and the
29 days before. A window holds what the daily list of those days holds: papers listed
on them, and papers an approved submission put on them.

The score of a paper in a window::

    points = Σ weight × signal      (SIGNAL_WEIGHTS: votes 1, saves 0.5,
                                     an approved submission 1,
                                     0.5 × √(GitHub stars gained in 7 days))
    score  = points / (age_days + 2) ** 1.5

Star velocity is the one external signal: what a paper's GitHub repository gained over
the 7 days before its last check (``signals/github.py`` snapshots stars daily), so a
site with few readers still has a trending list on day one. It counts with diminishing
returns (its square root: 4 stars a week make 1 point, 100 make 5, 400 make 10), so a
paper that links a popular library does not outweigh its readers' votes by hundreds.

``age_days`` runs from 00:00 UTC of the day the paper is listed under (arXiv's
announcement goes out then) to now, in fractions of a day. Papers arrive in daily
batches, so a day is the natural unit: in one day's window every paper has the same
age and the ranking is by points alone; in a week's, a six-day-old paper needs eight
times the points of a new one to stand level, in a month's a four-week-old one about
sixty times. The gravity of 1.5 and the offset of 2 are Hacker News's, with days for
hours. Papers with no points follow those with points, newest first (as the daily
list orders them), so trending is never empty.

Votes weigh only when their account is trusted (the rule in ``describe_trending``);
the count a card shows is every vote. A signal is a weight here (and, when it should
count with diminishing returns, a scale) and a term in ``store/trending_sql.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from paperwire.browse.cursor import decode_rank_cursor, encode_rank_cursor
from paperwire.browse.listing import DEFAULT_LIMIT, Listing
from paperwire.browse.periods import Period, days_before
from paperwire.errors import InvalidParameter
from paperwire.limits import LISTING_MAX, check_limit, check_offset
from paperwire.models import Hit, Paper, PaperSignals, SearchFilters
from paperwire.store import Store

TrendingPeriod = Literal["day", "week", "month"]
TRENDING_PERIODS: tuple[TrendingPeriod, ...] = ("day", "week", "month")
WINDOW_DAYS: dict[str, int] = {"day": 1, "week": 7, "month": 30}

# The formula. Every name here is a term of store/trending_sql.py's SIGNAL_TERMS.
SIGNAL_WEIGHTS: Mapping[str, float] = {
    "votes": 1.0,
    "saves": 0.5,
    "submission": 1.0,
    "stars": 0.5,
}
# Signals counted with diminishing returns: the weight applies to the scaled value.
SIGNAL_SCALES: Mapping[str, Callable[[float], float]] = {"stars": math.sqrt}
GRAVITY = 1.5
AGE_OFFSET_DAYS = 2.0

# The trust rule's defaults (settings PAPERWIRE_VOTE_TRUST_HOURS, _VOTE_BURST_LIMIT).
DEFAULT_TRUST_HOURS = 24
DEFAULT_BURST_LIMIT = 5


def describe_trending(
    *, trust_hours: int = DEFAULT_TRUST_HOURS, burst_limit: int = DEFAULT_BURST_LIMIT
) -> list[str]:
    """The ranking in words, paragraph by paragraph, for /about and the API."""
    trust = (
        "Every vote counts in the score at once."
        if trust_hours == 0
        else f"A vote counts in the score once its account is trusted: {trust_hours} hours "
        "after it was created, or earlier when a moderator verifies it (moderators' own "
        "votes count at once)."
    )
    burst = (
        ""
        if burst_limit == 0
        else f" When more than {burst_limit} votes for one paper come from the same "
        f"address within an hour, the first {burst_limit} count as usual and the rest "
        "only once a moderator has verified their accounts."
    )
    return [
        "Trending ranks the papers of a window that ends at the latest announcement day: "
        "today (that day), this week (the 7 days ending on it) or this month (the 30 days "
        "ending on it), including papers the community submitted on those days.",
        "Each paper earns points: 1 per upvote, 0.5 per reader who saved it, 1 for an "
        "approved community submission, and 0.5 × the square root of the stars its GitHub "
        "repository gained over the last 7 days (4 stars make 1 point, 100 make 5, 400 "
        "make 10; stars are counted daily by the site's GitHub job, and a paper with "
        "several repositories counts the fastest rising). Its score is points / (age + 2)^1.5, where age is "
        "the number of days since the paper was listed (from 00:00 UTC of its announcement "
        "day). Within a day every paper has the same age, so the most points win; over a "
        "week or a month a newer paper needs fewer points than an older one. Papers without "
        "points follow, newest first.",
        trust + burst + " The upvote count shown beside a paper is always every vote.",
    ]


TRENDING_DESCRIPTION = " ".join(describe_trending())


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


def age_decay(day: date, now: datetime) -> float:
    """``1 / (age_days + 2) ** 1.5`` for a paper listed on ``day``."""
    listed = datetime.combine(day, time(0), tzinfo=UTC)
    age_days = max(0.0, (now - listed).total_seconds() / 86400)
    return float((age_days + AGE_OFFSET_DAYS) ** -GRAVITY)


def points(values: Mapping[str, float]) -> float:
    total = 0.0
    for name, value in values.items():
        scale = SIGNAL_SCALES.get(name)
        total += SIGNAL_WEIGHTS.get(name, 0.0) * (scale(value) if scale else value)
    return total


def score_signals(signals: Sequence[PaperSignals], *, now: datetime) -> list[Hit]:
    """The papers with points, best first; ties go to the newer day, then the higher
    id (the daily list's order)."""
    scored = [(points(s.values) * age_decay(s.day, now), s.day, s.paper_id) for s in signals]
    scored = [entry for entry in scored if entry[0] > 0]
    scored.sort(key=lambda e: (e[0], e[1], e[2]), reverse=True)
    return [Hit(paper_id=pid, score=score) for score, _, pid in scored]


def trending_ranking(
    store: Store,
    start: date,
    end: date,
    *,
    filters: SearchFilters | None = None,
    now: datetime,
    trust_hours: int = DEFAULT_TRUST_HOURS,
) -> tuple[list[Hit], dict[str, date]]:
    """The window's papers with points, best first, and the day each is listed under.
    The trust cutoff moves by whole minutes, so the store can keep the signals it read
    until the data or the minute changes."""
    cutoff = (now - timedelta(hours=trust_hours)).replace(second=0, microsecond=0)
    signals = store.trending_signals(start=start, end=end, filters=filters, trusted_before=cutoff)
    return score_signals(signals, now=now), {s.paper_id: s.day for s in signals}


def ranked_papers(
    store: Store,
    start: date,
    end: date,
    *,
    filters: SearchFilters | None = None,
    now: datetime,
    trust_hours: int = DEFAULT_TRUST_HOURS,
    offset: int = 0,
    limit: int = DEFAULT_LIMIT,
) -> tuple[list[Paper], int]:
    """Papers ``offset .. offset + limit`` of the window in trending order, and how many
    of the window's papers have points."""
    hits, days = trending_ranking(
        store, start, end, filters=filters, now=now, trust_hours=trust_hours
    )
    head = [h.paper_id for h in hits[offset : offset + limit]]
    papers = store.get_papers(head)
    for paper in papers:
        paper.listed_on = days.get(paper.id)
    if len(papers) < limit:
        papers += store.trending_tail(
            start=start,
            end=end,
            filters=filters,
            exclude=[h.paper_id for h in hits],
            offset=max(0, offset - len(hits)),
            limit=limit - len(papers),
        )
    return papers, len(hits)


def trending_papers(
    store: Store,
    period: str = "day",
    *,
    filters: SearchFilters | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
    offset: int = 0,
    now: datetime,
    trust_hours: int = DEFAULT_TRUST_HOURS,
) -> Listing:
    """One page of trending papers for ``period`` (see ``describe_trending``). Pages
    are positions in the ranking: ``cursor`` is the ``next_cursor`` of the page before
    (or give ``offset``)."""
    window = trending_window(store, check_period(period))
    check_limit(limit, maximum=LISTING_MAX)
    position = check_offset(offset) + (decode_rank_cursor(cursor) if cursor else 0)
    check_offset(position, parameter="cursor")
    if window is None:
        return Listing(papers=[], state="empty", total=0)
    papers, _ = ranked_papers(
        store,
        window.start,
        window.end,
        filters=filters,
        now=now,
        trust_hours=trust_hours,
        offset=position,
        limit=limit,
    )
    total = store.count_listed(start=window.start, end=window.end, filters=filters)
    following = position + len(papers)
    next_cursor = encode_rank_cursor(following) if papers and following < total else None
    return Listing(
        papers=papers,
        next_cursor=next_cursor,
        total=total,
        period=window,
        state="papers" if total else "empty",
    )
