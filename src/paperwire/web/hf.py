"""Hugging Face Papers–compatible API under ``/hf``, so scripts written for
``huggingface_hub`` run against paperwire with ``HfApi(endpoint="…/hf")``.

Day semantics are the site's (``browse.listing``); the JSON shapes are in ``hf_format``.
Every bad parameter is a 400 naming it; unknown ids are 404; never a 500.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from paperwire.browse.errors import InvalidParameter
from paperwire.browse.listing import MAX_OFFSET, papers_for_period
from paperwire.browse.periods import parse_period
from paperwire.config import Settings
from paperwire.search.query import QueryError
from paperwire.search.service import search_papers
from paperwire.web.api import resolve_paper_id
from paperwire.web.deps import EmbedderDep, SettingsDep, StoreDep
from paperwire.web.hf_format import hf_daily_item, hf_paper
from paperwire.web.markdown import paper_markdown
from paperwire.web.search_api import vector_index
from paperwire.web.templating import paper_url

router = APIRouter(prefix="/hf", tags=["Hugging Face compatible"])

HF_DEFAULT_LIMIT = 50
HF_MAX_LIMIT = 100
SORTS = ("publishedAt", "trending")


def _check_page(p: int, limit: int) -> None:
    if p < 0:
        raise HTTPException(400, f"p: must be 0 or more, got {str(p)[:40]}")
    if not 1 <= limit <= HF_MAX_LIMIT:
        raise HTTPException(400, f"limit: must be between 1 and {HF_MAX_LIMIT}, got {str(limit)[:40]}")
    if p * limit > MAX_OFFSET:
        raise HTTPException(
            400, f"p: pages end at {MAX_OFFSET} papers (p × limit), got p={str(p)[:40]}"
        )


@router.get("/api/daily_papers")
def daily_papers(
    store: StoreDep,
    p: Annotated[int, Query(description="Page, from 0.")] = 0,
    limit: Annotated[int, Query(description="Papers per page, 1 to 100.")] = HF_DEFAULT_LIMIT,
    date: Annotated[str | None, Query(description="Announcement day, YYYY-MM-DD.")] = None,
    week: Annotated[str | None, Query(description="ISO week, YYYY-Www.")] = None,
    month: Annotated[str | None, Query(description="Month, YYYY-MM.")] = None,
    submitter: Annotated[str | None, Query(description="Submitter's user name.")] = None,
    sort: Annotated[str, Query(description="publishedAt or trending.")] = "publishedAt",
) -> list[dict[str, Any]]:
    """The papers of an announcement day, ISO week or month (the newest day by default),
    paged with ``p``/``limit``, in the same day semantics as the site's ``/``."""
    _check_page(p, limit)
    if sort not in SORTS:
        raise HTTPException(400, f"sort: must be publishedAt or trending, got {sort[:40]!r}")
    try:
        period = parse_period(day=date, week=week, month=month)
        if submitter is not None:
            # No community submissions exist yet, so no paper has a submitter.
            return []
        # Trending ranks by recency until votes exist (community/trending.py), which is
        # the listing order itself; both sorts therefore share it for now.
        listing = papers_for_period(
            store, period, limit=limit, offset=p * limit, with_counts=False
        )
    except InvalidParameter as exc:
        raise HTTPException(400, str(exc)) from exc
    return [hf_daily_item(paper) for paper in listing.papers]


@router.get("/api/papers/search")
def search_papers_hf(
    store: StoreDep,
    embedder: EmbedderDep,
    request: Request,
    q: Annotated[str, Query(description="What to look for.")] = "",
    limit: Annotated[int, Query(description="Results, 1 to 100.")] = HF_DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """Our hybrid search (keyword + semantic, fused), in the daily-papers item shape."""
    _check_page(0, limit)
    if not q.strip():
        raise HTTPException(400, "q: a search query is required")
    try:
        hits = search_papers(
            store, embedder, q, mode="hybrid", limit=limit, vectors=vector_index(request)
        )
    except QueryError as exc:
        raise HTTPException(400, f"{exc.param or 'q'}: {exc}") from exc
    return [hf_daily_item(paper) for paper in store.get_papers([h.paper_id for h in hits])]


def _paper_or_404(store: StoreDep, paper_id: str) -> Any:
    key = resolve_paper_id(paper_id)
    paper = store.get_paper(key)
    if paper is None:
        raise HTTPException(404, f"no paper with id {key!r}")
    return paper


@router.get("/api/papers/{paper_id:path}")
def paper_info(paper_id: str, store: StoreDep) -> dict[str, Any]:
    return hf_paper(_paper_or_404(store, paper_id))


@router.get("/papers/{paper_id:path}.md", response_class=PlainTextResponse)
def paper_markdown_hf(paper_id: str, store: StoreDep, settings: SettingsDep) -> PlainTextResponse:
    return markdown_response(_paper_or_404(store, paper_id), settings)


def markdown_response(paper: Any, settings: Settings) -> PlainTextResponse:
    # The link back to the paper's page comes from the configured base URL, never from
    # the request's Host header.
    page = settings.public_url(paper_url(paper.id))
    return PlainTextResponse(
        paper_markdown(paper, page_url=page), media_type="text/markdown; charset=utf-8"
    )


# Our own site offers the same Markdown at /papers/{id}.md (registered before pages).
site_router = APIRouter()


@site_router.get("/papers/{paper_id:path}.md", response_class=PlainTextResponse, include_in_schema=False)
def paper_markdown_site(paper_id: str, store: StoreDep, settings: SettingsDep) -> PlainTextResponse:
    return markdown_response(_paper_or_404(store, paper_id), settings)
