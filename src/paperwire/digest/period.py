"""Which papers a digest covers: one announcement day (daily) or one ISO week (weekly),
named by a key the outbox stores (``daily:2026-12-04``, ``weekly:2026-W49``).

Without a day given, a send covers the latest period there is to tell about:

- daily: the newest day with papers (on a live site, the latest arXiv announcement);
  but when arXiv made no announcement today (recorded by the announcements harvest,
  or a Saturday/Sunday), today itself, so subscribers who asked for it get a one-line
  note and nobody gets yesterday's papers twice.
- weekly: the ISO week of the newest day with papers once that week's announcements
  are complete (arXiv's last announcement of a week is on Friday: the newest day is a
  Friday or later, or today is past that Friday), else the week before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from paperwire.browse.listing import announced_nothing
from paperwire.browse.periods import Period, day_period, parse_day, parse_week, week_period
from paperwire.errors import InvalidParameter
from paperwire.models import FREQUENCIES, Frequency
from paperwire.store import Store

FRIDAY = 4


@dataclass(frozen=True, slots=True)
class DigestPeriod:
    """A digest's frequency and the days it covers."""

    frequency: Frequency
    period: Period

    @property
    def key(self) -> str:
        """``daily:2026-12-04`` or ``weekly:2026-W49``: one outbox row per subscriber
        and key."""
        return f"{self.frequency}:{self.period.label}"

    @property
    def label(self) -> str:
        return self.period.label


def check_frequency(frequency: str, *, parameter: str = "frequency") -> Frequency:
    if frequency not in FREQUENCIES:
        raise InvalidParameter(parameter, f"must be daily or weekly, got {frequency[:40]!r}")
    return frequency  # type: ignore[return-value]


def period_for_day(frequency: Frequency, day: date) -> DigestPeriod:
    """The period of ``frequency`` that holds ``day``."""
    return DigestPeriod(frequency, day_period(day) if frequency == "daily" else week_period(day))


def parse_period_key(key: str) -> DigestPeriod:
    """``daily:YYYY-MM-DD`` | ``weekly:YYYY-Www`` → the period (``InvalidParameter``
    otherwise)."""
    frequency, _, label = key.partition(":")
    if frequency == "daily":
        return DigestPeriod("daily", day_period(parse_day(label, parameter="period")))
    if frequency == "weekly":
        return DigestPeriod("weekly", parse_week(label, parameter="period"))
    raise InvalidParameter(
        "period", f"expected daily:YYYY-MM-DD or weekly:YYYY-Www, got {key[:40]!r}"
    )


def choose_period(
    store: Store, frequency: Frequency, *, day: date | None, today: date
) -> DigestPeriod | None:
    """The period a send covers (see the module's docstring); ``day`` picks the period
    that holds it. None when the database holds no dated paper."""
    if day is not None:
        if day > today:
            raise InvalidParameter(
                "date", f"{day.isoformat()} has not come yet (today is {today.isoformat()})"
            )
        return period_for_day(frequency, day)
    newest = store.newest_listed_day()
    if frequency == "daily":
        if (newest is None or newest < today) and announced_nothing(store, today):
            return period_for_day("daily", today)
        return period_for_day("daily", newest) if newest is not None else None
    if newest is None:
        return None
    week = week_period(newest)
    friday = week.start + timedelta(days=FRIDAY)
    if newest >= friday or today > friday:
        return DigestPeriod("weekly", week)
    return period_for_day("weekly", week.start - timedelta(days=1))


def period_announced(store: Store, period: Period) -> bool:
    """Whether arXiv announced anything in ``period``: papers are listed in it, or one
    of its days is not known to be without an announcement."""
    if store.count_listed(start=period.start, end=period.end) > 0:
        return True
    day = period.start
    while day <= period.end:
        if not announced_nothing(store, day):
            return True
        day += timedelta(days=1)
    return False
