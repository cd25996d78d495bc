"""``/search``: the hybrid search page with filters and category counts.

A thin route over ``search.service.search_papers``; its filters are read by the one
parser (``browse.filters.parse_filters``) from the form's raw values, so that bad input
(a malformed date, an unsearchable query) is shown on the page with status 400, next
to the form that can fix it, never as a 500.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from paperwire.browse.filters import parse_filters
from paperwire.browse.taxonomy import active_categories, category_name
from paperwire.errors import InvalidParameter
from paperwire.search.service import SearchUnavailable, search_papers
from paperwire.web.deps import EmbedderDep, StoreDep, TemplatesDep, VectorsDep
from paperwire.web.routing import page_router
from paperwire.web.templating import render_page, with_query

router = page_router()

RESULTS = 50
MODES = (("hybrid", "Hybrid (keyword + meaning)"), ("keyword", "Keyword"), ("semantic", "Meaning only"))
Text = Annotated[str | None, Query(max_length=500)]


def search_feed(query: str) -> dict[str, str]:
    return {"title": f"Search: {query[:60]}", "href": with_query("/feeds/search.atom", q=query)}


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    store: StoreDep,
    templates: TemplatesDep,
    embedder: EmbedderDep,
    vectors: VectorsDep,
    q: Text = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    author: Annotated[str | None, Query(max_length=300)] = None,
    date_from: Annotated[str | None, Query(alias="from", max_length=20)] = None,
    date_until: Annotated[str | None, Query(alias="until", max_length=20)] = None,
    code: bool = False,
    mode: Annotated[str, Query(max_length=10)] = "hybrid",
    sort: Annotated[str, Query(max_length=10)] = "relevance",
    min_stars: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    query = (q or "").strip()
    form = {
        "category": category or "",
        "author": author or "",
        "date_from": date_from or "",
        "date_until": date_until or "",
        "has_code": code,
        "mode": mode,
        "sort": sort,
        "min_stars": min_stars or "",
    }
    context: dict[str, Any] = {
        "nav": "search",
        "query": query,
        "form": form,
        "modes": MODES,
        "category_choices": active_categories(),
        "papers": [],
        "facets": [],
        "error": None,
        "filtered": bool(category or author or date_from or date_until or code or min_stars),
        "unfiltered_href": with_query("/search", q=query, mode=mode if mode != "hybrid" else None),
        "category_names": {},
        "feeds": [search_feed(query)] if query else [],
    }
    if not query:
        return render_page(request, templates, "search.html", context)
    try:
        filters = parse_filters(
            categories=[category] if category else (),
            date_from=date_from,
            date_until=date_until,
            has_code=True if code else None,
            author=author,
            min_stars=min_stars,
        )
        hits = search_papers(
            store, embedder, query, mode=mode, filters=filters, limit=RESULTS, vectors=vectors,
            sort=sort,
        )
    except InvalidParameter as exc:
        context["error"] = str(exc)
        return render_page(request, templates, "search.html", context, status_code=400)
    except SearchUnavailable as exc:
        context["error"] = str(exc)
        return render_page(request, templates, "search.html", context, status_code=503)
    papers = store.get_papers([h.paper_id for h in hits])
    counts = Counter(c for p in papers for c in p.categories)
    base = {"q": query, "author": author, "from": date_from, "until": date_until,
            "code": code, "mode": mode if mode != "hybrid" else None,
            "sort": sort if sort != "relevance" else None, "min_stars": min_stars}
    context["papers"] = papers
    context["facets"] = [
        {
            "code": code_,
            "name": category_name(code_),
            "count": n,
            "selected": code_ == category,
            "href": with_query("/search", **{**base, "category": None if code_ == category else code_}),
        }
        for code_, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:20]
    ]
    context["category_names"] = {c: category_name(c) for c in counts}
    return render_page(request, templates, "search.html", context)
