"""Atom feeds under /feeds: daily, trending, search, and one per category.

Thin routes: papers come from ``paperwire.browse`` / ``community.trending`` /
``search``; ``atom.render_atom`` writes the XML. Feeds take the same filters as the
pages and the APIs (``params.FiltersDep``), so a reader can subscribe to exactly what
they see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import HTTPException, Query, Request
from fastapi.responses import Response

from paperwire.browse.listing import papers_for_day, papers_in_category
from paperwire.browse.taxonomy import describe_category, validate_category
from paperwire.community.trending import check_period, trending_papers
from paperwire.config import Settings
from paperwire.errors import InvalidParameter
from paperwire.models import Paper
from paperwire.search.service import search_papers
from paperwire.web.atom import ATOM_TYPE, FeedInfo, render_atom
from paperwire.web.deps import SettingsDep, StoreDep
from paperwire.web.params import FiltersDep
from paperwire.web.routing import Cache, cached, page_router
from paperwire.web.templating import category_url, paper_url

router = page_router(tags=["feeds"])

FEED_SIZE = 100


# Every absolute URL in a feed is built from the configured base URL: a feed is cached
# publicly, so a link taken from the request's Host header could be poisoned for all.


def _atom_response(settings: Settings, store: StoreDep, info: FeedInfo, papers: list[Paper]) -> Response:
    body = render_atom(
        info,
        papers,
        paper_url=lambda paper_id: settings.public_url(paper_url(paper_id)),
        fallback_updated=store.data_version().changed_at,
    )
    return Response(content=body, media_type=ATOM_TYPE)


def _with_query(request: Request, path: str) -> str:
    query = request.url.query
    return path + ("?" + query if query else "")


def _self_url(request: Request, settings: Settings) -> str:
    return settings.public_url(_with_query(request, request.url.path))


def _html_url(request: Request, settings: Settings, path: str) -> str:
    return settings.public_url(_with_query(request, path))


@router.get("/feeds/daily.atom", summary="Atom feed of the newest day's papers")
@cached(Cache.DATA)
def daily_feed(
    request: Request, store: StoreDep, settings: SettingsDep, filters: FiltersDep
) -> Response:
    listing = papers_for_day(store, filters=filters, limit=FEED_SIZE, with_counts=False)
    day = listing.period.label if listing.period else ""
    info = FeedInfo(
        title=f"{settings.site_name}: papers of {day}",
        subtitle="The papers of the newest announcement day.",
        self_url=_self_url(request, settings),
        html_url=_html_url(request, settings, "/"),
        author=settings.site_name,
    )
    return _atom_response(settings, store, info, listing.papers)


@router.get("/feeds/trending.atom", summary="Atom feed of trending papers")
@cached(Cache.DATA)
def trending_feed(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    filters: FiltersDep,
    period: Annotated[str, Query(description="day | week | month")] = "day",
) -> Response:
    check_period(period)
    listing = trending_papers(
        store, period, filters=filters, limit=FEED_SIZE,
        now=datetime.now(UTC), trust_hours=settings.vote_trust_hours,
    )
    word = {"day": "today", "week": "this week", "month": "this month"}[period]
    info = FeedInfo(
        title=f"{settings.site_name}: trending {word}",
        self_url=_self_url(request, settings),
        html_url=_html_url(request, settings, "/trending"),
        author=settings.site_name,
    )
    return _atom_response(settings, store, info, listing.papers)


@router.get("/feeds/categories/{category}.atom", summary="Atom feed of a category")
@cached(Cache.DATA)
def category_feed(
    request: Request, store: StoreDep, settings: SettingsDep, category: str, filters: FiltersDep
) -> Response:
    try:
        validate_category(category)
    except InvalidParameter as exc:
        raise HTTPException(404, f"no category {category[:60]!r}") from exc
    info_cat = describe_category(category)
    listing = papers_in_category(
        store, category, filters=filters, limit=FEED_SIZE, with_counts=False
    )
    if not info_cat.known and not listing.papers:
        raise HTTPException(404, f"no category {category[:60]!r}")
    name = info_cat.name if info_cat.name == category else f"{info_cat.name} ({category})"
    info = FeedInfo(
        title=f"{settings.site_name}: {name}",
        self_url=_self_url(request, settings),
        html_url=settings.public_url(category_url(category)),
        author=settings.site_name,
    )
    return _atom_response(settings, store, info, listing.papers)


@router.get("/feeds/search.atom", summary="Atom feed of a search")
def search_feed(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    filters: FiltersDep,
    q: Annotated[str, Query(description="What to search for.", max_length=500)] = "",
) -> Response:
    """Papers holding every word of ``q`` (``OR`` for alternatives: a date order has no
    ranking to push a one-word match down), newest first: a subscription shows new
    matching papers at the top, and the feed does not shift while embeddings are still
    being computed."""
    if not q.strip():
        raise InvalidParameter("q", "a search query is required")
    hits = search_papers(
        store, None, q, mode="keyword", sort="date", filters=filters, limit=FEED_SIZE
    )
    info = FeedInfo(
        title=f"{settings.site_name}: search for {q.strip()}",
        self_url=_self_url(request, settings),
        html_url=_html_url(request, settings, "/search"),
        author=settings.site_name,
    )
    return _atom_response(settings, store, info, store.get_papers([h.paper_id for h in hits]))
