"""Search JSON API (/api/search, and /api/papers/{id}/similar beside it). Registered
before api.py so its routes win over /api/papers/{id:path}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request

from paperwire.models import Hit, Paper
from paperwire.search.options import parse_filters, parse_limit, results_json
from paperwire.search.query import QueryError
from paperwire.search.service import MAX_LIMIT, SearchUnavailable, search_papers
from paperwire.web.api import resolve_paper_id
from paperwire.web.deps import EmbedderDep, StoreDep

router = APIRouter()


def hit_json(paper: Paper, hit: Hit) -> dict[str, Any]:
    """One ranked result; the same shape for search and similar papers."""
    return {
        "id": paper.id,
        "title": paper.title,
        "authors": [a.name for a in paper.authors],
        "score": round(hit.score, 6),
        "abstract": paper.abstract,
        "categories": paper.categories,
        "primary_category": paper.primary_category,
        "day": paper.day.isoformat() if paper.day else None,
        "has_code": paper.has_code,
        "source": paper.source,
    }


def hits_json(store: Any, hits: list[Hit]) -> list[dict[str, Any]]:
    papers = {p.id: p for p in store.get_papers([h.paper_id for h in hits])}
    return [hit_json(papers[h.paper_id], h) for h in hits if h.paper_id in papers]


def vector_index(request: Request) -> Any:
    """The SQLite HNSW index handle, opened once per app from settings (None: exact)."""
    state = request.app.state
    if not hasattr(state, "vectors"):
        from paperwire.search.ann import open_vector_index

        state.vectors = open_vector_index(state.settings, state.store)
    return state.vectors


# --- /api/papers/{id}/similar (search-vectors) --------------------------------------------


@router.get("/api/papers/{paper_id:path}/similar")
def get_similar_papers(
    paper_id: str,
    store: StoreDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100, description="How many papers.")] = 10,
) -> dict[str, Any]:
    """Papers nearest to this one by embedding (itself excluded)."""
    from paperwire.search.semantic import similar_papers

    key = resolve_paper_id(paper_id)
    if store.get_paper(key) is None:
        raise HTTPException(404, f"no paper with id {key!r}")
    hits = similar_papers(store, key, limit=limit, vectors=vector_index(request))
    return {"id": key, "results": hits_json(store, hits)}


# --- /api/search (search-keyword) ----------------------------------------------------------


@router.get("/api/search")
def search(
    store: StoreDep,
    embedder: EmbedderDep,
    request: Request,
    q: str | None = None,
    limit: str | None = None,
    mode: str = "hybrid",
    category: Annotated[list[str] | None, Query()] = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    until: str | None = None,
    has_code: str | None = None,
    author: str | None = None,
    source: str | None = None,
    sort: str = "relevance",
) -> dict[str, Any]:
    """Search papers: ``mode`` hybrid (default) | keyword | semantic; filters apply
    before ranking. A bad parameter is a 400 naming it."""
    try:
        if q is None or not q.strip():
            raise QueryError("query is empty", param="q")
        filters = parse_filters(
            categories=category or (), date_from=from_, date_until=until,
            has_code=has_code, author=author, source=source,
        )
        size = parse_limit(limit, default=20, maximum=MAX_LIMIT)
        hits = search_papers(
            store, embedder, q, mode=mode, filters=filters, limit=size, sort=sort,
            vectors=vector_index(request) if mode != "keyword" else None,
        )
    except QueryError as exc:
        raise HTTPException(400, f"{exc.param}: {exc}") from exc
    except SearchUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    papers = store.get_papers([h.paper_id for h in hits])
    return {"query": q, "mode": mode, "sort": sort, "results": results_json(papers, hits)}
