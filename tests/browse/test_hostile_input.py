"""Browse functions facing what a hostile or careless client sends: cursors we never
issued, days at both ends of the calendar, offsets past 64 bits, NUL in names."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import pytest

from paperwire.browse.cursor import MAX_CURSOR_LENGTH, decode_cursor, encode_cursor
from paperwire.browse.listing import (
    papers_by_author,
    papers_for_day,
    papers_for_period,
)
from paperwire.browse.periods import days_before, month_period, parse_period, week_period
from paperwire.community.trending import trending_papers
from paperwire.errors import InvalidParameter
from paperwire.limits import OFFSET_MAX
from paperwire.store import Store
from tests.browse.helpers import paper_on


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        _b64(b"[" * 60 + b"]" * 60),  # short enough for the cap, nested all the same
        _b64(b"[" * 5000 + b"]" * 5000),  # once a RecursionError
        _b64(json.dumps(["2024-01-01", "a\u0000b"]).encode()),  # NUL for PostgreSQL
        _b64(json.dumps(["2024-01-01", "a\ud800b"]).encode()),  # a lone surrogate
        _b64(json.dumps(["2024-01-01", "ok", "extra"]).encode()),
        _b64(json.dumps({"day": "2024-01-01", "id": "x"}).encode()),
        _b64(json.dumps(["２０２４-01-01", "2401.00001"]).encode()),
        _b64(json.dumps(["2024-02-30", "2401.00001"]).encode()),
        _b64(b"\xff\xfe"),
        "a" * (MAX_CURSOR_LENGTH + 1),
        "not a cursor!",
        "=",
    ],
)
def test_cursors_we_did_not_issue_are_invalid_parameters(cursor: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        decode_cursor(cursor)
    assert err.value.parameter == "cursor"


def test_issued_cursors_decode_at_the_calendar_ends() -> None:
    for key in [(date.min, "pmid:1"), (date.max, "hep-th/9901001"), (date(2024, 1, 2), "2401.00001")]:
        cursor = encode_cursor(key)
        assert len(cursor) <= MAX_CURSOR_LENGTH and decode_cursor(cursor) == key


def test_periods_at_the_calendar_ends() -> None:
    last_week = parse_period(week="9999-W52")
    assert last_week is not None and (last_week.start, last_week.end) == (date(9999, 12, 27), date.max)
    assert last_week.label == "9999-W52"
    assert week_period(date.max) == last_week
    assert month_period(date.max).start == date(9999, 12, 1) and month_period(date.max).end == date.max
    first_week = parse_period(week="0001-W01")
    assert first_week is not None and (first_week.start, first_week.end) == (date.min, date(1, 1, 7))
    assert week_period(date.min) == first_week
    assert parse_period(month="0001-01") == month_period(date.min)
    assert days_before(date(1, 1, 3), 29) == date.min and days_before(date(2024, 1, 31), 30) == date(2024, 1, 1)
    for kwargs in ({"week": "0000-W52"}, {"day": "0000-12-31"}, {"month": "0000-12"}, {"week": "9999-W53"}):
        with pytest.raises(InvalidParameter):
            parse_period(**kwargs)


def test_unicode_digits_are_not_a_second_spelling_of_a_period() -> None:
    for kwargs in ({"week": "２０２４-W01"}, {"day": "２０２４-01-01"}, {"month": "２０２４-01"}):
        with pytest.raises(InvalidParameter):
            parse_period(**kwargs)


@pytest.fixture
def edge_store(store: Store) -> Store:
    store.upsert_papers([paper_on(date.min, 1), paper_on(date(1, 1, 2), 2), paper_on(date.max, 3)])
    return store


def test_listings_and_navigation_at_the_calendar_ends(edge_store: Store) -> None:
    newest = papers_for_day(edge_store)
    assert newest.period is not None and newest.period.start == date.max
    assert newest.previous is not None and newest.previous.start == date(1, 1, 2)
    for text in ("9999-W52", "0001-W01"):
        week = papers_for_period(edge_store, parse_period(week=text))
        assert week.papers
    month = papers_for_period(edge_store, parse_period(month="9999-12"))
    assert [p.day for p in month.papers] == [date.max]
    first = papers_for_period(edge_store, parse_period(day="0001-01-01"))
    assert first.previous is None and first.next is not None


def test_trending_window_stops_at_the_first_day(store: Store) -> None:
    store.upsert_papers([paper_on(date.min, 1), paper_on(date(1, 1, 3), 2)])
    listing = trending_papers(store, "month", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert listing.period is not None and listing.period.start == date.min
    assert len(listing.papers) == 2


def test_offsets_are_bounded(edge_store: Store) -> None:
    assert papers_for_day(edge_store, offset=OFFSET_MAX).papers == []
    for offset in (OFFSET_MAX + 1, 10**20, -1):
        with pytest.raises(InvalidParameter) as err:
            papers_for_day(edge_store, offset=offset)
        assert err.value.parameter == "offset"


def test_author_names_with_nul_never_reach_the_store(edge_store: Store) -> None:
    with pytest.raises(InvalidParameter) as err:
        papers_by_author(edge_store, "Ada\x00Lovelace")
    assert err.value.parameter == "name"
