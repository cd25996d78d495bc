"""Votes on the web: ``POST``/``DELETE /api/papers/{id}/vote`` (``router``) and the
cards' plain form ``POST /papers/{id}/vote`` (``form_router``), which calls the same
domain function (``community.votes.set_vote``) and sends the reader back to the page
the form was on.

Every vote goes through ``UserDep``: same-origin, and the CSRF token with the session
cookie (header ``X-CSRF-Token``, or the form's ``csrf_token`` field); a bearer token
needs none. The vote is always the asker's own: no route names another account.
Answers are never cached.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse

from paperwire.community.votes import VoteResult, hash_address, set_vote
from paperwire.models import User
from paperwire.paths import paper_url
from paperwire.store import Store
from paperwire.web.auth import UserDep, app_secret_key
from paperwire.web.deps import SettingsDep, StoreDep, client_ip
from paperwire.web.params import resolve_paper_id
from paperwire.web.routing import NO_STORE, json_router, page_router

router = json_router(prefix="/api", tags=["community"])
form_router = page_router()

NEXT_MAX = 2000  # a page's own path and query, sent back by the card's form


def _vote(
    request: Request, store: Store, settings: Any, user: User, paper_id: str, *, voted: bool
) -> VoteResult:
    """The one vote path of every route: the id as any spelling, the address kept only
    as its salted hash, an unknown paper a 404 (``PaperNotFound``, web/errors.py)."""
    return set_vote(
        store,
        user,
        resolve_paper_id(paper_id),
        voted=voted,
        now=datetime.now(UTC),
        address_hash=hash_address(app_secret_key(request.app), client_ip(request)),
        burst_limit=settings.vote_burst_limit,
    )


def _answer(result: VoteResult) -> dict[str, Any]:
    return {"upvotes": result.upvotes, "voted": result.voted}


@router.post("/papers/{paper_id:path}/vote", summary="Upvote a paper")
def cast_vote(
    paper_id: str, request: Request, user: UserDep, store: StoreDep, settings: SettingsDep
) -> dict[str, Any]:
    """Vote for the paper as the signed-in reader. Voting again changes nothing:
    the answer is the count and `voted: true` either way."""
    return _answer(_vote(request, store, settings, user, paper_id, voted=True))


@router.delete("/papers/{paper_id:path}/vote", summary="Withdraw an upvote")
def withdraw_vote(
    paper_id: str, request: Request, user: UserDep, store: StoreDep, settings: SettingsDep
) -> dict[str, Any]:
    """Withdraw the signed-in reader's vote; without one, nothing changes."""
    return _answer(_vote(request, store, settings, user, paper_id, voted=False))


def safe_next(value: str | None, fallback: str) -> str:
    """A path on this site to return to: relative, starting with one ``/`` (never
    ``//host`` or ``/\\host``, which browsers read as another site)."""
    if not value or not value.startswith("/") or value[1:2] in ("/", "\\"):
        return fallback
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return fallback
    return value


@form_router.post("/papers/{paper_id:path}/vote", include_in_schema=False)
def vote_form(
    paper_id: str,
    request: Request,
    user: UserDep,
    store: StoreDep,
    settings: SettingsDep,
    voted: Annotated[str, Form(max_length=1, pattern="^[01]$")] = "1",
    next: Annotated[str | None, Form(max_length=NEXT_MAX)] = None,
) -> RedirectResponse:
    """The card's form: ``voted`` 1 casts the vote, 0 withdraws it; back to ``next``."""
    _vote(request, store, settings, user, paper_id, voted=voted == "1")
    back = safe_next(next, paper_url(resolve_paper_id(paper_id)))
    return RedirectResponse(back, status_code=303, headers=NO_STORE)
