"""Keyword search: BM25-style ranking with field weights (title > authors > abstract).

The store does the ranking, BM25 on both backends (FTS5's ``bm25`` on SQLite, the same
formula over the weighted ``tsvector`` on PostgreSQL); this module turns user text into
safe parts first.
"""

from __future__ import annotations

from typing import Literal

from paperwire.models import Hit, SearchFilters
from paperwire.search.query import ParsedQuery, parse_query, require_all
from paperwire.store import Store

# How deep a ranking an internal caller may ask for (hybrid search asks for up to twice
# the user's limit). Not a user's cap: ``search_papers`` checks theirs (limits.py).
MAX_DEPTH = 1000


def keyword_search(
    store: Store,
    query: str | ParsedQuery,
    *,
    filters: SearchFilters | None = None,
    limit: int = 20,
    sort: Literal["relevance", "date"] = "relevance",
) -> list[Hit]:
    """Best matches first (``sort="date"``: every paper holding all the query's words,
    ``OR`` groups one of theirs, newest first; a date order has no ranking to push
    a paper matching one word of several down the list).

    Raises ``InvalidParameter`` for an empty or over-long query; any other text is searched.
    """
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
    if parsed.empty:
        return []
    if sort == "date":
        parsed = require_all(parsed)
    return store.keyword_ranking(
        parsed.keyword, filters=filters, limit=max(0, min(limit, MAX_DEPTH)), order=sort
    )
