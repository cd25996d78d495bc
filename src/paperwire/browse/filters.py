"""Filters as users type them → ``SearchFilters``: the one parser behind every listing,
feed and search, on the site, in both JSON APIs and in the CLI, so a value is accepted
or refused alike everywhere, with a message naming the parameter.

Categories may repeat or be comma-separated; each is a category code in the one arXiv
grammar (``taxonomy.validate_category``). ``from``/``until`` take a day, a month or a
year (``periods.parse_span``): ``from`` its first day, ``until`` its last.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import get_args

from paperwire.browse.periods import parse_span
from paperwire.browse.taxonomy import validate_category
from paperwire.errors import InvalidParameter
from paperwire.models import SearchFilters, Source

SOURCES: tuple[str, ...] = get_args(Source)
# Longer than any real name (the longest collective names run to about 250 characters);
# the bound keeps a hostile name from costing more than a real one.
MAX_AUTHOR_NAME = 300
# A reader filters by a few categories; each one is a bound parameter of the query.
MAX_CATEGORIES = 50
# Far above any repository's stars (the most starred have a few hundred thousand),
# and a bound parameter every backend takes.
MAX_STARS = 1_000_000_000


def check_author_name(name: str, *, parameter: str = "author") -> str:
    """``name`` when it can be looked up: bounded, and without NUL (PostgreSQL text
    cannot hold it)."""
    if len(name) > MAX_AUTHOR_NAME:
        raise InvalidParameter(parameter, f"author name is longer than {MAX_AUTHOR_NAME} characters")
    if "\x00" in name:
        raise InvalidParameter(parameter, "author name contains a NUL character")
    return name


def parse_min_stars(value: int | str | None, *, parameter: str = "min_stars") -> int | None:
    """A number of stars (``0`` .. ``MAX_STARS``, ASCII digits), or None when empty."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            raise InvalidParameter(parameter, f"must be a whole number of stars, got {text[:40]!r}")
        value = int(text[:12]) if len(text) <= 12 else MAX_STARS + 1
    if value is not None and not 0 <= value <= MAX_STARS:
        raise InvalidParameter(parameter, f"must be between 0 and {MAX_STARS:,}, got {str(value)[:40]}")
    return value


def parse_categories(values: Iterable[str], *, parameter: str = "category") -> tuple[str, ...]:
    """Category codes from repeated and comma-separated values, each once, in order."""
    codes: dict[str, None] = {}
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part:
                codes[validate_category(part, parameter=parameter)] = None
            if len(codes) > MAX_CATEGORIES:
                raise InvalidParameter(parameter, f"at most {MAX_CATEGORIES} categories")
    return tuple(codes)


def parse_filters(
    *,
    categories: Iterable[str] = (),
    date_from: str | None = None,
    date_until: str | None = None,
    has_code: bool | None = None,
    author: str | None = None,
    source: str | None = None,
    min_stars: int | str | None = None,
) -> SearchFilters:
    """The filters of one request; empty or missing values filter nothing (a form's
    empty ``min_stars`` too)."""
    start = parse_span(date_from, parameter="from").start if date_from else None
    end = parse_span(date_until, parameter="until").end if date_until else None
    if start and end and start > end:
        raise InvalidParameter("from", f"{start} is after until ({end})")
    name = " ".join(check_author_name(author or "").split()) or None
    source = source or None
    if source is not None and source not in SOURCES:
        raise InvalidParameter("source", f"must be one of {', '.join(SOURCES)}, got {source[:40]!r}")
    stars = parse_min_stars(min_stars)
    return SearchFilters(
        categories=parse_categories(categories),
        date_from=start,
        date_until=end,
        has_code=has_code,
        author=name,
        source=source,
        min_stars=stars,
    )
