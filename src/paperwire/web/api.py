"""JSON API under /api: one paper by its id."""

from __future__ import annotations

from typing import Any

from paperwire.web.deps import StoreDep, paper_or_404
from paperwire.web.routing import Cache, cached, json_router
from paperwire.web.serialize import paper_json

router = json_router(prefix="/api")


@router.get("/papers/{paper_id:path}")
@cached(Cache.DATA)
def get_paper(paper_id: str, store: StoreDep) -> dict[str, Any]:
    return paper_json(paper_or_404(store, paper_id))
