"""Search JSON API: /api/search, and /api/papers/{id}/similar beside it. Included
before api.py so its routes win over /api/papers/{id:path}."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from paperwire.errors import InvalidParameter
from paperwire.limits import RANKED_MAX, check_limit
from paperwire.search.semantic import similar_papers
from paperwire.search.service import search_papers
from paperwire.web.deps import EmbedderDep, StoreDep, VectorsDep, paper_or_404
from paperwire.web.params import FiltersDep
from paperwire.web.routing import json_router
from paperwire.web.serialize import hits_json

router = json_router(prefix="/api")


@router.get("/papers/{paper_id:path}/similar")
def get_similar_papers(
    paper_id: str,
    store: StoreDep,
    vectors: VectorsDep,
    limit: Annotated[int, Query(description=f"How many papers, 1..{RANKED_MAX}.")] = 10,
) -> dict[str, Any]:
    """Papers nearest to this one by embedding (itself excluded)."""
    check_limit(limit, maximum=RANKED_MAX)  # a bad limit is a 400 even for an unknown id
    key = paper_or_404(store, paper_id).id
    hits = similar_papers(store, key, limit=limit, vectors=vectors)
    return {"id": key, "results": hits_json(store.get_papers([h.paper_id for h in hits]), hits)}


@router.get("/search")
def search(
    store: StoreDep,
    embedder: EmbedderDep,
    vectors: VectorsDep,
    filters: FiltersDep,
    q: str | None = None,
    limit: Annotated[int, Query(description=f"How many results, 1..{RANKED_MAX}.")] = 20,
    mode: str = "hybrid",
    sort: str = "relevance",
) -> dict[str, Any]:
    """Search papers: ``mode`` hybrid (default) | keyword | semantic; filters apply
    before ranking. A bad parameter is a 400 naming it."""
    if q is None or not q.strip():
        raise InvalidParameter("q", "query is empty")
    hits = search_papers(
        store, embedder, q, mode=mode, filters=filters, limit=limit, sort=sort,
        vectors=vectors if mode != "keyword" else None,
    )
    papers = store.get_papers([h.paper_id for h in hits])
    return {"query": q, "mode": mode, "sort": sort, "results": hits_json(papers, hits)}
