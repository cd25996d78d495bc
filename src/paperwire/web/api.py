"""JSON API under /api: one paper by its id, with what the community made of it and
what GitHub and the Hugging Face Hub say of its code."""

from __future__ import annotations

from typing import Any

from paperwire.community.votes import card_stats_for
from paperwire.signals.view import NO_CODE, code_signals
from paperwire.web.auth import ViewerDep
from paperwire.web.deps import SettingsDep, StoreDep, paper_or_404
from paperwire.web.routing import Cache, cached, json_router
from paperwire.web.serialize import code_json, community_json, paper_json

router = json_router(prefix="/api")


@router.get("/papers/{paper_id:path}")
@cached(Cache.DATA)
def get_paper(
    paper_id: str, store: StoreDep, viewer: ViewerDep, settings: SettingsDep
) -> dict[str, Any]:
    """The paper, its vote, comment and save counts and who submitted it, its code
    links with their GitHub stars, forks, last push, license and archived flag
    (`code`), and the Hugging Face Hub models, datasets and Spaces citing it (`hub`); for a
    signed-in reader (cookie or bearer token) also `voted` and `saved`. The cache's
    validators include the reader's cookie and Authorization header, and such an
    answer is `private`, so one reader's answer never reaches another."""
    paper = paper_or_404(store, paper_id)
    stats = card_stats_for(store, [paper.id], viewer)[paper.id]
    code = code_signals(store, [paper]).get(paper.id, NO_CODE)
    return {
        **paper_json(paper),
        **community_json(stats, signed_in=viewer is not None),
        **code_json(code, hub_endpoint=settings.hf_endpoint),
    }
