"""The public archive of digests: each period's trending digest as the site shows it
(``/digests/daily/YYYY-MM-DD``, ``/digests/weekly/YYYY-Www``) and in Atom feeds, so a
digest's "view in browser" link works and a reader can look back.

An archived digest is the trending section alone, composed by the same function as
the mail (``compose.compose_digest``) for a subscriber who asked only for trending:
no personal section, nothing already sent, nothing excluded.
"""

from __future__ import annotations

from datetime import date, datetime

from paperwire.community.trending import DEFAULT_TRUST_HOURS
from paperwire.digest.candidates import CandidateFinder
from paperwire.digest.compose import Digest, compose_digest
from paperwire.digest.period import DigestPeriod, choose_period, period_announced, period_for_day
from paperwire.models import Frequency, SubscriptionPrefs
from paperwire.store import Store

FEED_PERIODS = 20  # digests an archive feed lists, newest first


def archive_digest(
    store: Store,
    period: DigestPeriod,
    *,
    now: datetime,
    trust_hours: int = DEFAULT_TRUST_HOURS,
    finder: CandidateFinder | None = None,
) -> Digest | None:
    """The trending digest of ``period``; None when it holds no paper."""
    prefs = SubscriptionPrefs(frequency=period.frequency, trending=True)
    finder = finder or CandidateFinder(store, now=now, trust_hours=trust_hours)
    return compose_digest(
        prefs,
        finder.candidates(prefs, period),
        period=period,
        already_sent=frozenset(),
        announced=period_announced(store, period.period),
    )


def recent_periods(
    store: Store, frequency: Frequency, *, today: date, limit: int = FEED_PERIODS
) -> list[DigestPeriod]:
    """The newest ``limit`` periods that have papers, newest first, starting at the
    period a send would cover now (a week still under way is not listed)."""
    newest = choose_period(store, frequency, day=None, today=today)
    periods: list[DigestPeriod] = []
    if newest is None:
        return periods
    current: DigestPeriod | None = newest
    if store.count_listed(start=newest.period.start, end=newest.period.end) == 0:
        current = _earlier(store, newest)
    while current is not None and len(periods) < limit:
        periods.append(current)
        current = _earlier(store, current)
    return periods


def _earlier(store: Store, period: DigestPeriod) -> DigestPeriod | None:
    before, _ = store.adjacent_listed_days(period.period.start, period.period.end)
    return period_for_day(period.frequency, before) if before is not None else None


def adjacent_periods(
    store: Store, period: DigestPeriod, *, today: date
) -> tuple[DigestPeriod | None, DigestPeriod | None]:
    """The nearest earlier and later periods with papers (the later one not past
    today), for an archive page's navigation."""
    before, after = store.adjacent_listed_days(period.period.start, period.period.end)
    earlier = period_for_day(period.frequency, before) if before is not None else None
    later = period_for_day(period.frequency, after) if after is not None else None
    if later is not None and later.period.start > today:
        later = None
    return earlier, later


def is_future(period: DigestPeriod, today: date) -> bool:
    return period.period.start > today
