"""What users type, read by one parser each: a day has one grammar (pages, both APIs,
feeds, search and the CLI), and filters become ``SearchFilters`` in one place."""

from __future__ import annotations

from datetime import date

import pytest

from paperwire.browse.filters import MAX_AUTHOR_NAME, MAX_CATEGORIES, parse_filters
from paperwire.browse.periods import parse_day, parse_span
from paperwire.errors import InvalidParameter
from paperwire.models import SearchFilters


def test_a_day_is_iso_yyyy_mm_dd_in_ascii_digits_within_the_calendar() -> None:
    assert parse_day("2024-03-05") == date(2024, 3, 5)
    assert parse_day("0001-01-01") == date.min and parse_day("9999-12-31") == date.max
    # date.fromisoformat alone would take the first two.
    for text in ("20240305", "2024-W10-2", "２０２４-03-05", " 2024-03-05", "2024-3-5",
                 "2024-03-05T00:00", "0000-01-01"):
        with pytest.raises(InvalidParameter) as err:
            parse_day(text, parameter="from")
        assert err.value.parameter == "from"
    with pytest.raises(InvalidParameter, match="not a calendar day"):
        parse_day("2024-02-30")


def test_a_date_filter_takes_a_day_a_month_or_a_year() -> None:
    assert (parse_span("2024", parameter="from").start, parse_span("2024", parameter="until").end) == (
        date(2024, 1, 1), date(2024, 12, 31))
    feb = parse_span("2024-02", parameter="until")
    assert (feb.start, feb.end) == (date(2024, 2, 1), date(2024, 2, 29))
    assert parse_span("2024-02-03", parameter="from").start == date(2024, 2, 3)
    for text in ("yesterday", "0000", "2024-13", "2024-02-30", "24", "２０２４"):
        with pytest.raises(InvalidParameter) as err:
            parse_span(text, parameter="until")
        assert err.value.parameter == "until"


def test_filters_from_what_users_type() -> None:
    assert parse_filters() == SearchFilters()
    assert parse_filters(source="", author="  ") == SearchFilters()
    filters = parse_filters(
        categories=["cs.LG, math", "cs.LG", ""], date_from="2024-03", date_until="2024",
        has_code=True, author="  Grace   Hopper ", source="arxiv",
    )
    assert filters == SearchFilters(
        categories=("cs.LG", "math"), date_from=date(2024, 3, 1), date_until=date(2024, 12, 31),
        has_code=True, author="Grace Hopper", source="arxiv",
    )


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"categories": ["cs.LG'; --"]}, "category"),
        ({"categories": [",".join(f"c{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(MAX_CATEGORIES + 1))]},
         "category"),
        ({"date_from": "soon"}, "from"),
        ({"date_until": "2024-13"}, "until"),
        ({"date_from": "2024-05-01", "date_until": "2024-01"}, "from"),
        ({"author": "x" * (MAX_AUTHOR_NAME + 1)}, "author"),
        ({"author": "a\x00b"}, "author"),
        ({"source": "pubchem"}, "source"),
    ],
)
def test_bad_filters_name_their_parameter(kwargs: dict, parameter: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        parse_filters(**kwargs)
    assert err.value.parameter == parameter and str(err.value).startswith(parameter + ": ")
