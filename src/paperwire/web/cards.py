"""What the cards of a page show of the community and of the papers' code, fetched once
per page.

Every page that shows papers as cards (the listings, search, a paper's similar papers,
the paper page itself) calls the template global ``card_view(papers)`` once, which
reads the counts, the submitter and the reader's own votes and saves of all of them
in one indexed query (``Store.card_stats``), their code links' stars and Hub counts
(``signals.view.code_signals``, two more), and gives the card macros what their
controls need: the reader's CSRF token for the plain forms, and the page's own URL
for them to come back to. The reader's own vote and save are drawn through
``CardView.own``, so a page shared by every signed-in reader (``reader_pages.py``)
carries a marker there, filled per request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from jinja2 import pass_context

from paperwire.community.votes import card_stats_for
from paperwire.models import CardStats, HubArtifact, HubKind, Paper
from paperwire.signals.hub import artifact_url, citing_url
from paperwire.signals.view import NO_CODE, PaperCode, code_signals
from paperwire.web.auth import csrf_token, resolve_auth
from paperwire.web.reader_pages import MarkName, PageSlots, page_slots

NO_STATS = CardStats()


@dataclass(frozen=True, slots=True)
class CardView:
    """The community side of a page's cards."""

    stats: Mapping[str, CardStats] = field(default_factory=dict)
    signed_in: bool = False
    csrf: str = ""  # the session's CSRF token ('' unless signed in by the cookie)
    here: str = "/"  # this page (path and query): where a card's plain form returns
    # The cards' code links with their repositories' stars, and the Hub's counts.
    code: Mapping[str, PaperCode] = field(default_factory=dict)
    hub_endpoint: str = ""  # PAPERWIRE_HF_ENDPOINT, where the Hub links point
    # Set when the page is shared by every signed-in reader: their own marks are slots.
    shared: PageSlots | None = None

    def of(self, paper_id: str) -> CardStats:
        return self.stats.get(paper_id, NO_STATS)

    def own(self, paper_id: str, mark: MarkName, yes: str, no: str) -> str:
        """``yes`` when the reader's own ``mark`` (``voted``, ``saved``) of the paper is
        there, else ``no``: the one way a card shows the reader's own state."""
        if self.shared is not None:
            return self.shared.own(paper_id, mark, yes, no)
        return yes if getattr(self.of(paper_id), mark) else no

    def code_of(self, paper_id: str) -> PaperCode:
        return self.code.get(paper_id, NO_CODE)

    def hub_url(self, artifact: HubArtifact) -> str:
        return artifact_url(self.hub_endpoint, artifact)

    def hub_list_url(self, kind: HubKind, paper_id: str) -> str:
        return citing_url(self.hub_endpoint, kind, paper_id)


def page_here(request: Request) -> str:
    query = request.url.query
    return request.url.path + ("?" + query if query else "")


def build_card_view(request: Request, papers: Iterable[Paper]) -> CardView:
    papers = list(papers)
    ids = list(dict.fromkeys(p.id for p in papers))
    store = request.app.state.store
    shared = page_slots(request)
    if shared is not None:  # every signed-in reader's page: counts only, marks as slots
        return CardView(
            stats=card_stats_for(store, ids, None) if ids else {},
            signed_in=True,
            csrf=shared.csrf(),
            here=page_here(request),
            code=code_signals(store, papers),
            hub_endpoint=request.app.state.settings.hf_endpoint,
            shared=shared,
        )
    auth = resolve_auth(request)
    return CardView(
        stats=card_stats_for(store, ids, auth.user) if ids else {},
        signed_in=auth.user is not None,
        csrf=csrf_token(request),
        here=page_here(request),
        code=code_signals(store, papers),
        hub_endpoint=request.app.state.settings.hf_endpoint,
    )


@pass_context
def card_view(context: Any, papers: Iterable[Paper]) -> CardView:
    """Template global: the card view of ``papers`` for the page being rendered (counts
    only, no controls, where there is no request: a page rendered outside a route)."""
    request = context.get("request")
    if not isinstance(request, Request):
        return CardView()
    return build_card_view(request, papers)
