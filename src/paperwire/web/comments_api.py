"""Comments on the web: the JSON API under ``/api`` (``router``) and the paper page's
plain HTML forms (``form_router``), which call the same domain functions
(``community.comments``) and send the reader back to the paper.

Reading is public; every change goes through ``UserDep``/``ModeratorDep`` (same-origin,
and the CSRF token with the session cookie; a bearer token needs none). Answers are
never cached: they differ per reader (``mine``, hidden comments for moderators).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Path, Query, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from paperwire.community import comments
from paperwire.community.comments import CommentView
from paperwire.limits import LISTING_MAX
from paperwire.models import Comment, User
from paperwire.paths import paper_url
from paperwire.web.auth import ModeratorDep, UserDep, ViewerDep
from paperwire.web.deps import StoreDep, paper_or_404, utc_now
from paperwire.web.params import ID_MAX
from paperwire.web.routing import NO_STORE, json_router, page_router

router = json_router(prefix="/api")
form_router = page_router()

CommentIdP = Annotated[int, Path(ge=1, le=ID_MAX, description="A comment's id.")]


class CommentBody(BaseModel):
    body: str


class FlagBody(BaseModel):
    reason: str = ""


def comment_json(view: CommentView, viewer: User | None) -> dict[str, Any]:
    """One comment: ``mine`` only for a signed-in reader, ``hidden`` only for
    moderators (the only readers who see hidden comments)."""
    c = view.comment
    data: dict[str, Any] = {
        "id": c.id,
        "paper_id": c.paper_id,
        "author": c.author,
        "body": c.body,
        "html": view.html,
        "created_at": c.created_at.isoformat(),
        "edited_at": c.edited_at.isoformat() if c.edited_at else None,
    }
    if viewer is not None:
        data["mine"] = view.mine
    if view.moderator:
        data["hidden"] = c.hidden
    return data


def _one(comment: Comment, viewer: User) -> dict[str, Any]:
    return comment_json(comments.view_comments([comment], viewer)[0], viewer)


# ------------------------------------------------------------------ JSON API


@router.get("/papers/{paper_id:path}/comments")
def list_paper_comments(
    paper_id: str,
    store: StoreDep,
    viewer: ViewerDep,
    response: Response,
    after: Annotated[
        int | None,
        Query(ge=0, le=ID_MAX, description="`next_after` of the previous page."),
    ] = None,
    limit: Annotated[int, Query(description=f"Comments per page, 1..{LISTING_MAX}.")] = (
        comments.PAGE_SIZE
    ),
) -> dict[str, Any]:
    """A paper's comments, oldest first; hidden ones only for moderators."""
    paper = paper_or_404(store, paper_id)
    views = comments.list_comments(store, paper.id, viewer, after=after, limit=limit)
    response.headers.update(NO_STORE)
    return {
        "paper_id": paper.id,
        "comments": [comment_json(v, viewer) for v in views],
        "next_after": views[-1].comment.id if len(views) == limit else None,
    }


@router.post("/papers/{paper_id:path}/comments", status_code=201)
def create_comment(
    paper_id: str, body: CommentBody, user: UserDep, store: StoreDep
) -> dict[str, Any]:
    paper = paper_or_404(store, paper_id)
    return _one(comments.post_comment(store, user, paper.id, body.body, now=utc_now()), user)


@router.patch("/comments/{comment_id}")
def update_comment(
    comment_id: CommentIdP, body: CommentBody, user: UserDep, store: StoreDep
) -> dict[str, Any]:
    edited = comments.edit_comment(store, user, comment_id, body.body, now=utc_now())
    return _one(edited, user)


@router.delete("/comments/{comment_id}", status_code=204)
def remove_comment(comment_id: CommentIdP, user: UserDep, store: StoreDep) -> Response:
    comments.delete_comment(store, user, comment_id)
    return Response(status_code=204)


@router.post("/comments/{comment_id}/hide")
def hide_comment(comment_id: CommentIdP, user: ModeratorDep, store: StoreDep) -> dict[str, Any]:
    comment = comments.set_hidden(store, user, comment_id, hidden=True, now=utc_now())
    return _one(comment, user)


@router.post("/comments/{comment_id}/unhide")
def unhide_comment(comment_id: CommentIdP, user: ModeratorDep, store: StoreDep) -> dict[str, Any]:
    """Show a hidden comment again; on a visible one, dismiss its open flags."""
    comment = comments.set_hidden(store, user, comment_id, hidden=False, now=utc_now())
    return _one(comment, user)


@router.post("/comments/{comment_id}/flag")
def flag_comment(
    comment_id: CommentIdP, user: UserDep, store: StoreDep, body: FlagBody | None = None
) -> dict[str, Any]:
    """Ask the moderators to look at a comment (one flag per reader and comment)."""
    new = comments.flag_comment(store, user, comment_id, body.reason if body else "", now=utc_now())
    return {"id": comment_id, "flagged": True, "already_flagged": not new}


# ------------------------------------------------------------------ forms of the paper page


def _back(paper_id: str, anchor: str = "comments") -> RedirectResponse:
    return RedirectResponse(f"{paper_url(paper_id)}#{anchor}", status_code=303)


def _paper_of(store: Any, comment_id: int, viewer: User) -> str:
    return comments.get_comment(store, comment_id, viewer).comment.paper_id


@form_router.post("/papers/{paper_id:path}/comments")
def create_comment_form(
    paper_id: str, body: Annotated[str, Form()], user: UserDep, store: StoreDep
) -> Response:
    paper = paper_or_404(store, paper_id)
    comment = comments.post_comment(store, user, paper.id, body, now=utc_now())
    return _back(paper.id, f"comment-{comment.id}")


@form_router.post("/comments/{comment_id}/edit")
def edit_comment_form(
    comment_id: CommentIdP, body: Annotated[str, Form()], user: UserDep, store: StoreDep
) -> Response:
    comment = comments.edit_comment(store, user, comment_id, body, now=utc_now())
    return _back(comment.paper_id, f"comment-{comment.id}")


@form_router.post("/comments/{comment_id}/delete")
def delete_comment_form(comment_id: CommentIdP, user: UserDep, store: StoreDep) -> Response:
    paper_id = _paper_of(store, comment_id, user)
    comments.delete_comment(store, user, comment_id)
    return _back(paper_id)


@form_router.post("/comments/{comment_id}/hide")
def hide_comment_form(comment_id: CommentIdP, user: ModeratorDep, store: StoreDep) -> Response:
    comment = comments.set_hidden(store, user, comment_id, hidden=True, now=utc_now())
    return _back(comment.paper_id, f"comment-{comment.id}")


@form_router.post("/comments/{comment_id}/unhide")
def unhide_comment_form(comment_id: CommentIdP, user: ModeratorDep, store: StoreDep) -> Response:
    comment = comments.set_hidden(store, user, comment_id, hidden=False, now=utc_now())
    return _back(comment.paper_id, f"comment-{comment.id}")


@form_router.post("/comments/{comment_id}/flag")
def flag_comment_form(
    comment_id: CommentIdP,
    user: UserDep,
    store: StoreDep,
    reason: Annotated[str, Form()] = "",
) -> Response:
    paper_id = _paper_of(store, comment_id, user)
    comments.flag_comment(store, user, comment_id, reason, now=utc_now())
    return _back(paper_id, f"comment-{comment_id}")
