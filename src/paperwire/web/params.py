"""What routes read from the request, declared once for every router: the filters, the
period, the cursor and the page size in the query string, and a paper id in the path.

The parsing itself is the domain's (``browse.filters.parse_filters``,
``browse.periods.parse_period``), shared with the CLI; here it meets FastAPI's
parameters, so each is documented once in the OpenAPI schema and refused alike on
pages, both JSON APIs and feeds: ``InvalidParameter``, a 400 naming it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.browse.cursor import MAX_CURSOR_LENGTH
from paperwire.browse.filters import parse_filters
from paperwire.browse.periods import Period, parse_period
from paperwire.errors import InvalidParameter
from paperwire.limits import LISTING_MAX
from paperwire.models import SearchFilters

# The largest row id a path or query may name: a database BIGINT; larger ids are a 400,
# never an overflow.
ID_MAX = 2**63 - 1

CategoryQ = Annotated[
    list[str] | None,
    Query(
        alias="category",
        description="Only papers in any of these categories (primary or cross-list); repeat "
        "the parameter or separate with commas. An archive (`cs`) means all of it.",
    ),
]
HasCodeQ = Annotated[
    bool | None, Query(description="true: only papers with a code link; false: only without.")
]
CursorQ = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="`next_cursor` of the previous page."),
]
ListingLimitQ = Annotated[int, Query(description=f"Papers per page, 1..{LISTING_MAX}.")]
ListingSortQ = Annotated[
    str,
    Query(
        max_length=10,
        description="`date` (default): the daily list's order; `stars`: most GitHub stars "
        "first (a paper's most starred repository, as the last GitHub run saw it), then "
        "the papers without stars in the daily list's order. Either pages by `next_cursor`.",
    ),
]


async def get_filters(
    categories: CategoryQ = None,
    date_from: Annotated[
        str | None,
        Query(alias="from", description="Listed on or after this day, month or year "
              "(`2024-03-05`, `2024-03`, `2024`)."),
    ] = None,
    until: Annotated[
        str | None, Query(description="Listed on or before this day, month or year.")
    ] = None,
    has_code: HasCodeQ = None,
    author: Annotated[
        str | None, Query(description="An author's full or family name, case-insensitive.")
    ] = None,
    source: Annotated[str | None, Query(description="`arxiv` or `medline`.")] = None,
    min_stars: Annotated[
        str | None,
        Query(max_length=20, description="Only papers linking a GitHub repository with at "
              "least this many stars (as the last GitHub run saw it)."),
    ] = None,
    code: Annotated[bool, Query(include_in_schema=False)] = False,
) -> SearchFilters:
    """The filters of a listing, feed or search. ``code=1`` is the pages' spelling of
    ``has_code=true`` (their forms and links use it)."""
    return parse_filters(
        categories=categories or (),
        date_from=date_from,
        date_until=until,
        has_code=has_code if has_code is not None else (True if code else None),
        author=author,
        source=source,
        min_stars=min_stars,
    )


async def get_period(
    day: Annotated[str | None, Query(alias="date", description="A day, YYYY-MM-DD.")] = None,
    week: Annotated[
        str | None, Query(description="An ISO week, YYYY-Www (e.g. 2024-W03).")
    ] = None,
    month: Annotated[str | None, Query(description="A month, YYYY-MM.")] = None,
) -> Period | None:
    """At most one of ``date``, ``week``, ``month``; None (the newest day) when none."""
    return parse_period(day=day, week=week, month=month)


FiltersDep = Annotated[SearchFilters, Depends(get_filters)]
PeriodDep = Annotated[Period | None, Depends(get_period)]


def resolve_paper_id(raw: str) -> str:
    """The stored key of a paper id from a URL: ``pmid:N`` for MEDLINE, otherwise any
    arXiv spelling (``2101.00001v2``, ``arXiv:…``, ``hep-th/9901001``)."""
    if raw.startswith("pmid:"):
        if not (raw[5:].isascii() and raw[5:].isdigit()):  # ids are ASCII, as stored
            raise InvalidParameter("id", f"malformed PubMed id {raw[:60]!r}")
        return raw
    try:
        return parse_arxiv_id(raw).id
    except InvalidArxivId as exc:
        raise InvalidParameter("id", f"malformed paper id: {exc}") from exc
