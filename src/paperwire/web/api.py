"""JSON API under /api: one paper by its id, with what the community made of it."""

from __future__ import annotations

from typing import Any

from paperwire.community.votes import card_stats_for
from paperwire.web.auth import ViewerDep
from paperwire.web.deps import StoreDep, paper_or_404
from paperwire.web.routing import Cache, cached, json_router
from paperwire.web.serialize import community_json, paper_json

router = json_router(prefix="/api")


@router.get("/papers/{paper_id:path}")
@cached(Cache.DATA)
def get_paper(paper_id: str, store: StoreDep, viewer: ViewerDep) -> dict[str, Any]:
    """The paper, its vote, comment and save counts and who submitted it; for a
    signed-in reader (cookie or bearer token) also `voted` and `saved`. The cache's
    validators include the reader's cookie and Authorization header, and such an
    answer is `private`, so one reader's answer never reaches another."""
    paper = paper_or_404(store, paper_id)
    stats = card_stats_for(store, [paper.id], viewer)[paper.id]
    return {**paper_json(paper), **community_json(stats, signed_in=viewer is not None)}
