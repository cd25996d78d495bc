"""JSON API for browsing: /api/daily, /api/trending, /api/authors/{name},
/api/categories[/{cat}]. Thin: parameters are read by ``params.py`` (bad ones raise
``InvalidParameter`` → 400 naming the parameter) and listings come from
``paperwire.browse``. Every answer is a function of the stored data (``Cache.DATA``).

Included before ``api.py`` so nothing here is swallowed by /api/papers/{id:path}.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import HTTPException, Query, Request

from paperwire.browse.listing import (
    DEFAULT_LIMIT,
    Listing,
    papers_by_author,
    papers_for_period,
    papers_in_category,
)
from paperwire.browse.periods import Period
from paperwire.browse.taxonomy import active_categories, describe_category, validate_category
from paperwire.community.trending import (
    TRENDING_DESCRIPTION,
    describe_trending,
    trending_papers,
)
from paperwire.community.votes import card_stats_for
from paperwire.errors import InvalidParameter
from paperwire.signals.view import NO_CODE, code_signals
from paperwire.web.deps import SettingsDep, StoreDep
from paperwire.web.params import CursorQ, FiltersDep, ListingLimitQ, ListingSortQ, PeriodDep
from paperwire.web.routing import Cache, cached, json_router
from paperwire.web.serialize import community_json, paper_json

router = json_router(prefix="/api", tags=["browse"])


def period_json(period: Period | None) -> dict[str, str] | None:
    if period is None:
        return None
    return {
        "kind": period.kind,
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }


def _page_url(request: Request, **changes: str | None) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params.extend((k, v) for k, v in changes.items() if v is not None)
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


def _period_url(request: Request, period: Period | None) -> str | None:
    if period is None:
        return None
    name = {"day": "date", "week": "week", "month": "month"}.get(period.kind)
    if name is None:
        return None
    kept = {k: None for k in ("date", "week", "month", "cursor")}
    return _page_url(request, **{**kept, name: period.label})


def listing_json(request: Request, listing: Listing) -> dict[str, Any]:
    """One listing page as JSON; ``links`` are relative URLs a client can follow. Each
    paper carries its community counts and submitter as a signed-out reader sees them
    (the same for everyone, so the answer stays cacheable), and ``stars``, its most
    starred GitHub repository's (null until a GitHub run has seen one)."""
    ids = [p.id for p in listing.papers]
    stats = card_stats_for(request.app.state.store, ids, None) if ids else {}
    code = code_signals(request.app.state.store, listing.papers)
    return {
        "period": period_json(listing.period),
        "state": listing.state,
        "total": listing.total,
        "count": len(listing.papers),
        "papers": [
            {
                **paper_json(p),
                **community_json(stats[p.id], signed_in=False),
                "stars": code.get(p.id, NO_CODE).stars,
            }
            for p in listing.papers
        ],
        "next_cursor": listing.next_cursor,
        "category_counts": listing.category_counts,
        "previous": period_json(listing.previous),
        "next": period_json(listing.next),
        "links": {
            "next_page": _page_url(request, cursor=listing.next_cursor) if listing.next_cursor else None,
            "previous_period": _period_url(request, listing.previous),
            "next_period": _period_url(request, listing.next),
        },
    }


@router.get("/daily", summary="Papers of a day, ISO week or month")
@cached(Cache.DATA)
def api_daily(
    request: Request,
    store: StoreDep,
    period: PeriodDep,
    filters: FiltersDep,
    cursor: CursorQ = None,
    limit: ListingLimitQ = DEFAULT_LIMIT,
    sort: ListingSortQ = "date",
) -> dict[str, Any]:
    """The papers listed on a day (`date`), ISO week (`week`) or month (`month`) — at
    most one of them; the newest day with papers when none is given; `sort=stars` puts
    the papers whose GitHub repositories have the most stars first. A paper is listed
    under its arXiv announcement day, else its first version's date. `state` is
    `papers`, `no_announcement` (arXiv did not announce that day), `empty` or `future`."""
    listing = papers_for_period(
        store, period, filters=filters, limit=limit, cursor=cursor, sort=sort
    )
    return listing_json(request, listing)


@router.get("/trending", summary="Trending papers of the latest day, week or month")
@cached(Cache.DATA)
def api_trending(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    filters: FiltersDep,
    period: Annotated[str, Query(description="day | week | month")] = "day",
    cursor: CursorQ = None,
    limit: ListingLimitQ = DEFAULT_LIMIT,
) -> dict[str, Any]:
    listing = trending_papers(
        store, period, filters=filters, limit=limit, cursor=cursor,
        now=datetime.now(UTC), trust_hours=settings.vote_trust_hours,
    )
    ranking = describe_trending(
        trust_hours=settings.vote_trust_hours, burst_limit=settings.vote_burst_limit
    )
    return {**listing_json(request, listing), "ranking": " ".join(ranking)}


api_trending.__doc__ = TRENDING_DESCRIPTION


@router.get("/authors/{name}", summary="Papers by an author")
@cached(Cache.DATA)
def api_author(
    request: Request,
    store: StoreDep,
    name: str,
    filters: FiltersDep,
    cursor: CursorQ = None,
    limit: ListingLimitQ = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Papers with an author of this exact name (case and spacing ignored), newest
    first; the name in the path takes the place of an `author` filter. An author we hold
    no paper of is a 404."""
    listing = papers_by_author(store, name, filters=filters, limit=limit, cursor=cursor)
    if listing.state == "empty" and filters.empty:
        raise HTTPException(404, f"no papers by an author named {name[:100]!r}")
    return {"author": " ".join(name.split()), **listing_json(request, listing)}


@router.get("/categories", summary="The arXiv categories and how many papers each holds")
@cached(Cache.DATA)
def api_categories(store: StoreDep) -> dict[str, Any]:
    counts = store.listed_category_counts()
    known = {c.code: c for c in active_categories()}
    codes = list(known) + [code for code in counts if code not in known]
    return {
        "categories": [
            {**_category_json(code), "papers": counts.get(code, 0)} for code in codes
        ]
    }


def _category_json(code: str) -> dict[str, Any]:
    info = describe_category(code)
    return {"code": info.code, "name": info.name, "group": info.group, "known": info.known}


@router.get("/categories/{category}", summary="Papers in a category")
@cached(Cache.DATA)
def api_category(
    request: Request,
    store: StoreDep,
    category: str,
    filters: FiltersDep,
    cursor: CursorQ = None,
    limit: ListingLimitQ = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """Papers listed in this category (primary or cross-list), newest first; the
    category in the path takes the place of a `category` filter. A category that is
    neither in the arXiv taxonomy nor in our data is a 404."""
    try:
        validate_category(category)
    except InvalidParameter as exc:
        raise HTTPException(404, f"no category {category[:60]!r}") from exc
    listing = papers_in_category(store, category, filters=filters, limit=limit, cursor=cursor)
    info = describe_category(category)
    if not info.known and listing.state == "empty":
        raise HTTPException(404, f"no category {category[:60]!r}")
    return {"category": _category_json(category), **listing_json(request, listing)}
