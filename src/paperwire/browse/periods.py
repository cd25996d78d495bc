"""Days, ISO weeks and months as closed date ranges, parsed strictly from user input."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from paperwire.errors import InvalidParameter

PeriodKind = Literal["day", "week", "month", "range"]

# ASCII digits only: ``\d`` would also take "２０２４" and make a second spelling of a day.
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_YEAR = re.compile(r"[0-9]{4}")


@dataclass(frozen=True, slots=True)
class Period:
    """A closed range of listing days: one day, an ISO week (Monday..Sunday), a month, or
    any other range (``range``, e.g. a trending window)."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def label(self) -> str:
        """``2024-01-15`` | ``2024-W03`` | ``2024-01`` (the form URLs and the API take) |
        ``2024-01-09..2024-01-15``."""
        if self.kind == "range":
            return f"{self.start.isoformat()}..{self.end.isoformat()}"
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start.year}-{self.start.month:02d}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end


def day_period(day: date) -> Period:
    return Period("day", day, day)


def week_period(day: date) -> Period:
    """The ISO week (Monday to Sunday) holding ``day``. The last week of 9999 ends in a
    year Python cannot hold, so it ends at ``date.max`` (0001-01-01 is a Monday, so no
    week starts before ``date.min``)."""
    monday = day - timedelta(days=day.weekday())
    days_left = (date.max - monday).days
    return Period("week", monday, monday + timedelta(days=min(6, days_left)))


def month_period(day: date) -> Period:
    last = calendar.monthrange(day.year, day.month)[1]
    return Period("month", day.replace(day=1), day.replace(day=last))


def days_before(day: date, days: int) -> date:
    """``day`` minus ``days``, stopping at ``date.min``: windows and navigation that
    reach back from a stored or typed day must not fail at the calendar's start."""
    return day - timedelta(days=max(0, min(days, (day - date.min).days)))


def period_of(kind: PeriodKind, day: date) -> Period:
    """The period of ``kind`` that holds ``day`` (a ``range`` kind is taken as a day)."""
    return {"range": day_period, "day": day_period, "week": week_period, "month": month_period}[kind](day)


def parse_day(text: str, *, parameter: str = "date") -> date:
    """``YYYY-MM-DD`` in ASCII digits, a real calendar day: the one grammar of a day
    wherever a user types one (pages, both APIs, feeds, search, the CLI).
    ``date.fromisoformat`` alone would also take ``20240305`` and ``2024-W10-2``."""
    if not _DAY.fullmatch(text):
        raise InvalidParameter(parameter, f"expected a day as YYYY-MM-DD, got {text[:40]!r}")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidParameter(parameter, f"{text!r} is not a calendar day ({exc})") from exc


def parse_week(text: str, *, parameter: str = "week") -> Period:
    """``YYYY-Www``, an ISO week (``2024-W01`` … ``2024-W52``, W53 in long years)."""
    match = _WEEK.fullmatch(text)
    if not match:
        raise InvalidParameter(parameter, f"expected an ISO week as YYYY-Www, got {text[:40]!r}")
    year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError as exc:
        raise InvalidParameter(parameter, f"{text!r} is not an ISO week ({exc})") from exc
    return week_period(monday)


def parse_month(text: str, *, parameter: str = "month") -> Period:
    """``YYYY-MM``."""
    match = _MONTH.fullmatch(text)
    if not match:
        raise InvalidParameter(parameter, f"expected a month as YYYY-MM, got {text[:40]!r}")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < 1:
        raise InvalidParameter(parameter, f"{text!r} is not a month")
    return month_period(date(year, month, 1))


def parse_year(text: str, *, parameter: str = "year") -> Period:
    """``YYYY``, as the range of its days."""
    if not _YEAR.fullmatch(text) or int(text) < 1:
        raise InvalidParameter(parameter, f"expected a year as YYYY, got {text[:40]!r}")
    year = int(text)
    return Period("range", date(year, 1, 1), date(year, 12, 31))


def parse_span(text: str, *, parameter: str) -> Period:
    """A day (``2024-03-05``), a month (``2024-03``) or a year (``2024``), each in its one
    grammar above: what a date filter's ``from`` (its first day) and ``until`` (its
    last) take."""
    if _DAY.fullmatch(text):
        return day_period(parse_day(text, parameter=parameter))
    if _MONTH.fullmatch(text):
        return parse_month(text, parameter=parameter)
    if _YEAR.fullmatch(text):
        return parse_year(text, parameter=parameter)
    raise InvalidParameter(parameter, f"expected a date like 2024-03-05, 2024-03 or 2024, got {text[:40]!r}")


def parse_period(
    *, day: str | None = None, week: str | None = None, month: str | None = None
) -> Period | None:
    """At most one of ``date``/``week``/``month`` (as the API names them); None when none."""
    given = [(name, value) for name, value in (("date", day), ("week", week), ("month", month)) if value]
    if len(given) > 1:
        names = " and ".join(name for name, _ in given)
        raise InvalidParameter(given[1][0], f"give only one of date, week, month (got {names})")
    if day:
        return day_period(parse_day(day))
    if week:
        return parse_week(week)
    if month:
        return parse_month(month)
    return None
