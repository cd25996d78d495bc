"""Day semantics, navigation, pagination and counts on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from paperwire.browse.cursor import decode_cursor, encode_cursor
from paperwire.browse.listing import (
    day_navigation,
    papers_by_author,
    papers_for_day,
    papers_for_range,
    papers_in_category,
)
from paperwire.browse.periods import parse_month, parse_period, parse_week
from paperwire.community.trending import trending_papers
from paperwire.errors import InvalidParameter
from paperwire.models import SearchFilters
from paperwire.store import Store
from tests.browse.helpers import calendar_papers, paper_on

TODAY = date(2024, 3, 1)
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)  # the trending ranking's clock


@pytest.fixture
def calendar_store(store: Store) -> Store:
    store.upsert_papers(calendar_papers())
    return store


def test_newest_day_by_default(calendar_store: Store) -> None:
    listing = papers_for_day(calendar_store, today=TODAY)
    assert listing.period is not None and listing.period.start == date(2024, 2, 1)
    assert listing.state == "papers" and listing.total == 4 and len(listing.papers) == 4
    assert all(p.day == date(2024, 2, 1) for p in listing.papers)
    assert [p.id for p in listing.papers] == sorted((p.id for p in listing.papers), reverse=True)
    assert listing.next is None and listing.previous is not None
    assert listing.previous.start == date(2024, 1, 15)


def test_day_navigation_skips_days_without_papers(calendar_store: Store) -> None:
    assert day_navigation(calendar_store, date(2024, 1, 9)) == (date(2024, 1, 8), date(2024, 1, 11))
    assert day_navigation(calendar_store, date(2024, 1, 10)) == (date(2024, 1, 9), date(2024, 1, 11))
    assert day_navigation(calendar_store, date(2024, 1, 8)) == (None, date(2024, 1, 9))
    listing = papers_for_day(calendar_store, date(2024, 1, 9), today=TODAY)
    assert {p.id for p in listing.papers} == {"2401.00003", "2401.00004", "2401.00005"}
    assert listing.previous and listing.previous.label == "2024-01-08"
    assert listing.next and listing.next.label == "2024-01-11"


def test_day_states(calendar_store: Store) -> None:
    assert papers_for_day(calendar_store, date(2024, 1, 10), today=TODAY).state == "empty"  # a Wednesday
    assert papers_for_day(calendar_store, date(2024, 1, 13), today=TODAY).state == "no_announcement"  # Sat
    assert papers_for_day(calendar_store, date(2024, 3, 5), today=TODAY).state == "future"
    assert papers_for_day(calendar_store, date(2024, 1, 9), today=TODAY).state == "papers"
    # A filter that hides every paper of an announced day does not make it "empty".
    hidden = papers_for_day(
        calendar_store, date(2024, 1, 9), filters=SearchFilters(categories=("q-bio.NC",)), today=TODAY
    )
    assert hidden.papers == [] and hidden.state == "papers"


def test_recorded_announcement_status_decides(calendar_store: Store) -> None:
    """The announcements harvest's record wins over the weekend rule."""
    from datetime import datetime

    from paperwire.models import AnnouncementDay

    fetched = datetime(2024, 1, 20, tzinfo=UTC)
    holiday = date(2024, 1, 10)  # a Wednesday without papers
    open_saturday = date(2024, 1, 13)
    calendar_store.record_announcement_day(AnnouncementDay("cs.LG", holiday, "none", fetched_at=fetched))
    calendar_store.record_announcement_day(
        AnnouncementDay("cs.LG", open_saturday, "announced", fetched_at=fetched)
    )
    assert papers_for_day(calendar_store, holiday, today=TODAY).state == "no_announcement"
    assert papers_for_day(calendar_store, open_saturday, today=TODAY).state == "empty"


def test_week_and_month(calendar_store: Store) -> None:
    week = papers_for_range(calendar_store, parse_week("2024-W02"), today=TODAY)
    assert week.period and (week.period.start, week.period.end) == (date(2024, 1, 8), date(2024, 1, 14))
    assert week.total == 6 and {p.day for p in week.papers} == {date(2024, 1, d) for d in (8, 9, 11)}
    assert week.previous is None and week.next and week.next.label == "2024-W03"
    month = papers_for_range(calendar_store, parse_month("2024-01"), today=TODAY)
    assert month.total == 8 and month.next and month.next.label == "2024-02"
    assert [p.day for p in month.papers] == sorted((p.day for p in month.papers), reverse=True)
    empty = papers_for_range(calendar_store, parse_month("2023-12"), today=TODAY)
    assert empty.state == "empty" and empty.next and empty.next.label == "2024-01"


def test_category_counts_ignore_the_category_filter(calendar_store: Store) -> None:
    listing = papers_for_range(
        calendar_store, parse_month("2024-01"), filters=SearchFilters(categories=("math.OC",)), today=TODAY
    )
    assert listing.total == 4  # first paper of each of the four January days
    assert listing.category_counts == {"cs.CV": 4, "cs.LG": 4, "math.OC": 4}


def test_has_code_filter(calendar_store: Store) -> None:
    listing = papers_for_range(
        calendar_store, parse_month("2024-01"), filters=SearchFilters(has_code=True), today=TODAY
    )
    assert listing.papers and all(p.has_code for p in listing.papers)
    assert listing.total == sum(1 for p in calendar_papers() if p.has_code and p.day.month == 1)


def test_cursor_pages_are_disjoint_and_cover_everything(calendar_store: Store) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = papers_for_range(calendar_store, parse_month("2024-01"), limit=3, cursor=cursor, today=TODAY)
        seen.extend(p.id for p in page.papers)
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 8
    assert set(seen) == {p.id for p in calendar_papers() if p.day.month == 1}


def test_cursor_survives_new_papers(calendar_store: Store) -> None:
    """A paper added on a newer day does not shift the next page (keyset, not offset)."""
    first = papers_for_range(calendar_store, parse_month("2024-01"), limit=4, today=TODAY)
    calendar_store.upsert_papers([paper_on(date(2024, 1, 30), 99)])
    second = papers_for_range(calendar_store, parse_month("2024-01"), limit=4, cursor=first.next_cursor)
    assert not {p.id for p in first.papers} & {p.id for p in second.papers}
    assert "2401.00099" not in {p.id for p in second.papers}


def test_author_listing_is_case_and_space_insensitive(calendar_store: Store) -> None:
    listing = papers_by_author(calendar_store, "  grace   HOPPER ")
    assert [p.id for p in listing.papers] == ["2402.00009", "2401.00002"]
    assert listing.total == 2
    assert papers_by_author(calendar_store, "Nobody Here").papers == []


def test_category_listing(calendar_store: Store) -> None:
    listing = papers_in_category(calendar_store, "math.OC", limit=2)
    assert listing.total == 5 and len(listing.papers) == 2 and listing.next_cursor
    rest = papers_in_category(calendar_store, "math.OC", limit=10, cursor=listing.next_cursor)
    assert len(rest.papers) == 3 and rest.next_cursor is None


def test_category_listing_same_either_way(calendar_store: Store) -> None:
    """A small category is read from its own rows, a big one by walking the days; both
    plans give the same pages."""
    def pages() -> list[list[str]]:
        out, cursor = [], None
        while True:
            page = papers_in_category(calendar_store, "cs.CV", limit=3, cursor=cursor)
            out.append([p.id for p in page.papers])
            if not (cursor := page.next_cursor):
                return out

    small = pages()
    calendar_store.listings.few_in_category = 0  # type: ignore[attr-defined]  # every category is "big"
    assert pages() == small and sum(len(p) for p in small) == 7


def test_trending_windows_end_at_the_newest_day(calendar_store: Store) -> None:
    day = trending_papers(calendar_store, "day", now=NOW)
    assert day.total == 4 and {p.day for p in day.papers} == {date(2024, 2, 1)}
    week = trending_papers(calendar_store, "week", now=NOW)  # 2024-01-26..2024-02-01
    assert week.total == 4
    month = trending_papers(calendar_store, "month", now=NOW)  # 2024-01-03..2024-02-01
    assert month.total == 12
    with pytest.raises(InvalidParameter) as err:
        trending_papers(calendar_store, "year", now=NOW)
    assert err.value.parameter == "period"


def test_unannounced_paper_listed_on_first_version_day(store: Store) -> None:
    store.upsert_papers([paper_on(date(2024, 5, 6), 1, announced=False)])
    listing = papers_for_day(store, date(2024, 5, 6), today=TODAY)
    assert [p.id for p in listing.papers] == ["2405.00001"]


def test_empty_database(store: Store) -> None:
    listing = papers_for_day(store, today=TODAY)
    assert listing.papers == [] and listing.period and listing.period.start == TODAY
    assert listing.state == "empty" and listing.previous is None and listing.next is None
    assert trending_papers(store, now=NOW).state == "empty"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"day": "2024-13-01"}, "date"),
        ({"day": "yesterday"}, "date"),
        ({"week": "2024-W54"}, "week"),
        ({"week": "2024-3"}, "week"),
        ({"month": "2024-00"}, "month"),
        ({"day": "2024-01-01", "month": "2024-01"}, "month"),
    ],
)
def test_bad_periods_name_the_parameter(kwargs: dict[str, str], parameter: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        parse_period(**kwargs)
    assert err.value.parameter == parameter


def test_bad_cursor_and_limit(calendar_store: Store) -> None:
    with pytest.raises(InvalidParameter) as err:
        papers_for_day(calendar_store, cursor="not-a-cursor!")
    assert err.value.parameter == "cursor"
    with pytest.raises(InvalidParameter) as err:
        papers_for_day(calendar_store, limit=0)
    assert err.value.parameter == "limit"
    assert decode_cursor(encode_cursor((date(2024, 1, 2), "hep-th/9901001"))) == (
        date(2024, 1, 2),
        "hep-th/9901001",
    )
