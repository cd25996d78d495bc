"""Hugging Face Papers–compatible API under ``/hf``, so scripts written for
``huggingface_hub`` run against paperwire with ``HfApi(endpoint="…/hf")``.

Day semantics are the site's (``browse.listing``); the JSON shapes are in ``hf_format``.
Every bad parameter is a 400 naming it; unknown ids are 404; never a 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any

from fastapi import Query
from fastapi.responses import PlainTextResponse

from paperwire.browse.listing import papers_for_period, utc_today
from paperwire.browse.periods import day_period
from paperwire.community.submissions import papers_submitted_by
from paperwire.community.trending import ranked_papers
from paperwire.community.votes import card_stats_for
from paperwire.config import Settings
from paperwire.errors import InvalidParameter
from paperwire.limits import OFFSET_MAX, RANKED_MAX, check_limit
from paperwire.models import Paper
from paperwire.search.service import search_papers
from paperwire.signals.view import code_signals
from paperwire.store import Store
from paperwire.web.deps import EmbedderDep, SettingsDep, StoreDep, VectorsDep, paper_or_404
from paperwire.web.hf_format import hf_daily_item, hf_paper
from paperwire.web.markdown import paper_markdown
from paperwire.web.params import PeriodDep
from paperwire.web.routing import Cache, cached, json_router, page_router
from paperwire.web.templating import paper_url

TAGS: list[str | Enum] = ["Hugging Face compatible"]
router = json_router(prefix="/hf/api", tags=TAGS)
# The Markdown of a paper, under /hf as the Hub serves it and on our own site.
markdown_router = page_router()

HF_DEFAULT_LIMIT = 50
SORTS = ("publishedAt", "trending")


def _check_page(p: int, limit: int) -> None:
    if p < 0:
        raise InvalidParameter("p", f"must be 0 or more, got {str(p)[:40]}")
    check_limit(limit, maximum=RANKED_MAX)
    if p * limit > OFFSET_MAX:
        raise InvalidParameter("p", f"pages end at {OFFSET_MAX} papers (p × limit), got p={str(p)[:40]}")


@router.get("/daily_papers")
def daily_papers(
    store: StoreDep,
    settings: SettingsDep,
    period: PeriodDep,
    p: Annotated[int, Query(description="Page, from 0.")] = 0,
    limit: Annotated[int, Query(description=f"Papers per page, 1 to {RANKED_MAX}.")] = HF_DEFAULT_LIMIT,
    submitter: Annotated[str | None, Query(description="Submitter's user name.")] = None,
    sort: Annotated[str, Query(description="publishedAt or trending.")] = "publishedAt",
) -> list[dict[str, Any]]:
    """The papers of an announcement day, ISO week or month (the newest day by default),
    paged with ``p``/``limit``, in the same day semantics as the site's ``/``."""
    _check_page(p, limit)
    if sort not in SORTS:
        raise InvalidParameter("sort", f"must be publishedAt or trending, got {sort[:40]!r}")
    if submitter is not None:
        # The papers this account submitted and moderators approved, newest submission
        # day first, within the asked day, week or month (all of them without one).
        papers = papers_submitted_by(
            store,
            submitter,
            start=period.start if period else None,
            end=period.end if period else None,
            offset=p * limit,
            limit=limit,
        )
        return daily_items(store, papers)
    if sort == "trending":
        # The trending score (community/trending.py) over the asked day, week or month.
        window = period or day_period(store.newest_listed_day() or utc_today())
        papers, _ = ranked_papers(
            store, window.start, window.end, now=datetime.now(UTC),
            trust_hours=settings.vote_trust_hours, offset=p * limit, limit=limit,
        )
    else:
        papers = papers_for_period(
            store, period, limit=limit, offset=p * limit, with_counts=False
        ).papers
    return daily_items(store, papers)


def daily_items(store: Store, papers: list[Paper]) -> list[dict[str, Any]]:
    """The papers as daily-papers items, with their community counts (one read)."""
    stats = card_stats_for(store, [paper.id for paper in papers], None)
    code = code_signals(store, papers)
    return [hf_daily_item(paper, stats[paper.id], code.get(paper.id)) for paper in papers]


@router.get("/papers/search")
def search_papers_hf(
    store: StoreDep,
    embedder: EmbedderDep,
    vectors: VectorsDep,
    q: Annotated[str, Query(description="What to look for.")] = "",
    limit: Annotated[int, Query(description=f"Results, 1 to {RANKED_MAX}.")] = HF_DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """Our hybrid search (keyword + semantic, fused), in the daily-papers item shape."""
    check_limit(limit, maximum=RANKED_MAX)
    if not q.strip():
        raise InvalidParameter("q", "a search query is required")
    hits = search_papers(store, embedder, q, mode="hybrid", limit=limit, vectors=vectors)
    return daily_items(store, store.get_papers([h.paper_id for h in hits]))


@router.get("/papers/{paper_id:path}")
def paper_info(paper_id: str, store: StoreDep) -> dict[str, Any]:
    paper = paper_or_404(store, paper_id)
    stats = card_stats_for(store, [paper.id], None)[paper.id]
    return hf_paper(paper, stats, code_signals(store, [paper]).get(paper.id))


def markdown_response(paper: Paper, settings: Settings) -> PlainTextResponse:
    # The link back to the paper's page comes from the configured base URL, never from
    # the request's Host header.
    page = settings.public_url(paper_url(paper.id))
    return PlainTextResponse(
        paper_markdown(paper, page_url=page), media_type="text/markdown; charset=utf-8"
    )


@markdown_router.get("/hf/papers/{paper_id:path}.md", response_class=PlainTextResponse, tags=TAGS)
@cached(Cache.DATA)
def paper_markdown_hf(paper_id: str, store: StoreDep, settings: SettingsDep) -> PlainTextResponse:
    return markdown_response(paper_or_404(store, paper_id), settings)


# Included before the pages, so /papers/{id}.md is never taken for a paper page.
@markdown_router.get("/papers/{paper_id:path}.md", response_class=PlainTextResponse, include_in_schema=False)
@cached(Cache.DATA)
def paper_markdown_site(paper_id: str, store: StoreDep, settings: SettingsDep) -> PlainTextResponse:
    return markdown_response(paper_or_404(store, paper_id), settings)
