"""``search_papers``: the one entry point the API, the CLI and the site call.

Modes: ``keyword`` (BM25-style, see ``keyword.py``), ``semantic`` (embeddings, see
``semantic.py``) and ``hybrid`` (both, fused by ``hybrid.fuse_rankings``). Filters apply
before ranking in every mode. ``sort="date"`` lists newest first only papers that match the query well, as a date
order has no ranking to push weak matches down: in keyword mode every paper holding all
the query's words (``OR`` groups: one of theirs); in semantic mode the ``limit`` most
similar papers whose cosine similarity reaches ``DATE_SORT_MIN_SIMILARITY``; in hybrid
mode the ``limit`` best of the papers passing either test.
``sort="stars"`` lists the same good matches (of keyword mode, the ``limit``
best), most GitHub stars first (``order_by_stars``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from typing import Any, Literal

from paperwire.errors import InvalidParameter
from paperwire.limits import RANKED_MAX, check_limit
from paperwire.models import Hit, KeywordQuery, SearchFilters
from paperwire.search.embed import Embedder
from paperwire.search.hybrid import fuse_rankings
from paperwire.search.keyword import keyword_search
from paperwire.search.query import ParsedQuery, parse_query, require_all
from paperwire.store import Store

Mode = Literal["hybrid", "keyword", "semantic"]
Sort = Literal["relevance", "date", "stars"]
MODES: tuple[str, ...] = ("hybrid", "keyword", "semantic")
SORTS: tuple[str, ...] = ("relevance", "date", "stars")
CANDIDATES = 50  # per ranker before fusion
# With sort="date", a semantic candidate below this cosine similarity to the query is
# dropped. Measured with the packaged model on the harder dev set (docs/api.md):
# relevant papers sit above it, papers of unrelated topics below.
DATE_SORT_MIN_SIMILARITY = 0.35


_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Threads for the semantic half of hybrid queries (each keeps its own store
    connection, as every thread does)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="paperwire-semantic")
        return _POOL


class SearchUnavailable(RuntimeError):
    """Semantic search cannot run in this installation (the message says why)."""


def validate_options(*, mode: str, sort: str, limit: int) -> None:
    if mode not in MODES:
        raise InvalidParameter("mode", f"must be one of {', '.join(MODES)}, got {mode[:40]!r}")
    if sort not in SORTS:
        raise InvalidParameter("sort", f"must be one of {', '.join(SORTS)}, got {sort[:40]!r}")
    check_limit(limit, maximum=RANKED_MAX)


def search_papers(
    store: Store,
    embedder: Embedder | None,
    query: str,
    *,
    mode: Mode | str = "hybrid",
    filters: SearchFilters | None = None,
    limit: int = 20,
    sort: Sort | str = "relevance",
    vectors: Any = None,
) -> list[Hit]:
    """Raises ``InvalidParameter`` (naming the bad input) or, for
    ``mode="semantic"`` without the semantic module, ``SearchUnavailable``."""
    validate_options(mode=mode, sort=sort, limit=limit)
    parsed = parse_query(query)
    if mode == "keyword" and sort != "stars":
        return keyword_search(store, parsed, filters=filters, limit=limit, sort=sort)  # type: ignore[arg-type]
    hits = _ranked(
        store, embedder, parsed, mode=mode, filters=filters, limit=limit, vectors=vectors,
        good_only=sort != "relevance",
    )
    if sort == "date":
        return order_by_date(store, hits)
    if sort == "stars":
        return order_by_stars(store, hits)
    return hits


def _ranked(
    store: Store,
    embedder: Embedder | None,
    parsed: ParsedQuery,
    *,
    mode: str,
    filters: SearchFilters | None,
    limit: int,
    vectors: Any,
    good_only: bool,
) -> list[Hit]:
    """The ``limit`` best matches, best first; ``good_only``: only papers that match the
    query well (what an order without ranking lists: by date, by stars)."""
    if mode == "keyword":
        return keyword_search(store, require_all(parsed), filters=filters, limit=limit)
    depth = max(limit, CANDIDATES)
    if mode == "semantic":
        hits = _semantic_hits(
            store, embedder, parsed, filters=filters, limit=depth, vectors=vectors,
            required=True,
        )
        if good_only:
            hits = _similar_enough(hits)
        return hits[:limit]
    # The two rankers are independent: the semantic one (query embedding, ANN,
    # re-scoring) runs on a worker thread while this one ranks keywords. SQLite
    # releases the GIL while it queries, so hybrid latency comes closer to the
    # slower ranker than to the sum (docs/benchmarks.md, 1M papers).
    pending = None
    if embedder is not None and parsed.text:
        pending = _pool().submit(
            _semantic_hits, store, embedder, parsed, filters=filters, limit=depth,
            vectors=vectors, required=False,
        )
    try:
        keyword = _keyword_hits(
            store, require_all(parsed) if good_only else parsed, filters=filters, limit=depth
        )
    finally:
        semantic = pending.result() if pending is not None else []
    if good_only:
        semantic = _similar_enough(semantic)
    return fuse_rankings(keyword, semantic, limit=limit)


def _similar_enough(hits: Sequence[Hit]) -> list[Hit]:
    """Semantic hits (scored by cosine similarity) that pass the date-sort floor."""
    return [h for h in hits if h.score >= DATE_SORT_MIN_SIMILARITY]


def _keyword_hits(
    store: Store, parsed: ParsedQuery, *, filters: SearchFilters | None, limit: int
) -> list[Hit]:
    """The keyword half of hybrid search. Its exclusions are checked on the best
    ``2 * limit`` matches of the rest of the query, like the semantic half's candidates,
    not handed to the keyword index: there each excluded phrase is tested against every
    match (20 of them made a hybrid query ~25× slower at 20k papers, and it grows with
    the corpus). Bm25 scores do not depend on exclusions, so the order is the same;
    only when more than ``limit`` of those matches are excluded does the half come back
    shorter."""
    query = parsed.keyword
    if not query.excluded:
        return keyword_search(store, parsed, filters=filters, limit=limit)
    rest = replace(parsed, keyword=replace(query, excluded=()))
    hits = keyword_search(store, rest, filters=filters, limit=2 * limit)
    return _apply_keyword_constraints(store, hits, KeywordQuery(excluded=query.excluded))[:limit]


def _semantic_hits(
    store: Store,
    embedder: Embedder | None,
    parsed: ParsedQuery,
    *,
    filters: SearchFilters | None,
    limit: int,
    vectors: Any,
    required: bool,
) -> list[Hit]:
    from paperwire.search.semantic import semantic_search

    if embedder is None or not parsed.text:
        if required and embedder is None:
            raise SearchUnavailable("semantic search needs an embedder")
        return []
    hits = semantic_search(store, embedder, parsed.text, filters=filters, limit=limit, vectors=vectors)
    return _apply_keyword_constraints(store, hits, parsed.keyword)


def _apply_keyword_constraints(
    store: Store, hits: Sequence[Hit], query: KeywordQuery
) -> list[Hit]:
    """Quoted phrases, ``+word`` and ``-word`` bind semantic results too: a paper the
    user excluded must not come back through the embedding. One check over just these
    candidates (``Store.keyword_allowed``), so the cost does not grow with the corpus
    or with how common an excluded word is."""
    if not hits or not (query.required or query.excluded):
        return list(hits)
    allowed = store.keyword_allowed([h.paper_id for h in hits], query)
    return [h for h in hits if h.paper_id in allowed]


def order_by_stars(store: Store, hits: Sequence[Hit]) -> list[Hit]:
    """Most GitHub stars first (a paper's most starred repository, as the last GitHub run
    saw it); papers without stars after them; equal stars keep their relevance order."""
    repositories = store.repositories_for_papers([h.paper_id for h in hits])
    stars = {
        paper_id: max((r.stars for r in repos if r.status == "ok" and r.stars is not None), default=None)
        for paper_id, repos in repositories.items()
    }
    ordered = sorted(
        enumerate(hits),
        key=lambda item: (stars.get(item[1].paper_id) is None, -(stars.get(item[1].paper_id) or 0), item[0]),
    )
    return [hit for _, hit in ordered]


def order_by_date(store: Store, hits: Sequence[Hit]) -> list[Hit]:
    """Newest listed day first; equal days keep their relevance order."""
    days: dict[str, date | None] = {p.id: p.day for p in store.get_papers([h.paper_id for h in hits])}
    ordered = sorted(
        enumerate(hits),
        key=lambda item: (days.get(item[1].paper_id) is None,
                          -(days.get(item[1].paper_id) or date.min).toordinal(), item[0]),
    )
    return [hit for _, hit in ordered]
