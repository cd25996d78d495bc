"""The reader's library as JSON under ``/api/me/library``: list (paged, by tag), save
or update with tags and a note, unsave, export as BibTeX or JSON, import BibTeX.

Every route depends on ``UserDep``: the session cookie (with the CSRF token for a
change) or a bearer token, and only the asker's own library is ever read or written.
Answers are the reader's own, so never cached (``Cache-Control: no-store``).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import HTTPException, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from paperwire.community import library
from paperwire.community.library import ImportResult
from paperwire.limits import LISTING_MAX
from paperwire.web.auth import UserDep
from paperwire.web.deps import StoreDep, paper_or_404, utc_now
from paperwire.web.params import CursorQ
from paperwire.web.routing import NO_STORE, json_router

router = json_router(prefix="/api/me")

BIBTEX_TYPES = ("text/plain", "application/x-bibtex", "text/x-bibtex")


class LibraryBody(BaseModel):
    """Omitted fields keep what the saved paper has (nothing, for a new one)."""

    tags: list[Any] | None = Field(default=None, max_length=1000)
    note: str | None = None


def import_json(result: ImportResult) -> dict[str, Any]:
    return {
        "matched": [
            {"key": m.key, "line": m.line, "paper_id": m.paper_id, "by": m.by, "added": m.added}
            for m in result.matched
        ],
        "unmatched": [{"key": m.key, "line": m.line, "reason": m.reason} for m in result.unmatched],
    }


@router.get("/library")
def get_library(
    user: UserDep,
    store: StoreDep,
    response: Response,
    tag: Annotated[
        str | None, Query(max_length=200, description="Only papers with this tag.")
    ] = None,
    cursor: CursorQ = None,
    limit: Annotated[
        int, Query(description=f"Papers per page, 1..{LISTING_MAX}.")
    ] = library.DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The reader's saved papers, last saved first, with their tags and notes."""
    response.headers.update(NO_STORE)
    page = library.library_page(store, user, tag=tag, cursor=cursor, limit=limit)
    return {
        "papers": [library.library_item_json(saved) for saved in page.papers],
        "next_cursor": page.next_cursor,
        "total": page.total,
        "tags": page.tags,
    }


@router.get("/library.bib")
def get_library_bibtex(user: UserDep, store: StoreDep) -> Response:
    """Every saved paper as a BibTeX entry (tags and notes stay private)."""
    return Response(
        library.export_bibtex(store, user),
        media_type="application/x-bibtex; charset=utf-8",
        headers={**NO_STORE, "Content-Disposition": 'attachment; filename="library.bib"'},
    )


@router.get("/library.json")
def get_library_json(user: UserDep, store: StoreDep) -> Response:
    """Every saved paper with its tags and note."""
    body = json.dumps(library.export_json(store, user), ensure_ascii=False, indent=1)
    return Response(
        body,
        media_type="application/json",
        headers={**NO_STORE, "Content-Disposition": 'attachment; filename="library.json"'},
    )


@router.post("/library/import")
async def import_library(
    user: UserDep, store: StoreDep, request: Request, response: Response
) -> dict[str, Any]:
    """Save the papers a BibTeX body names (``text/plain`` or ``application/x-bibtex``):
    each entry is matched by arXiv id (``eprint``), arXiv URL, ``arXiv:`` id or DOI
    against the papers stored here; the others are listed back with why."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in BIBTEX_TYPES:
        raise HTTPException(415, "send the BibTeX as text/plain or application/x-bibtex")
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise HTTPException(400, "body: not UTF-8 text") from exc
    result = await run_in_threadpool(library.import_bibtex, store, user, text, now=utc_now())
    response.headers.update(NO_STORE)
    return import_json(result)


@router.put("/library/{paper_id:path}")
def put_library_item(
    paper_id: str, body: LibraryBody, user: UserDep, store: StoreDep, response: Response
) -> dict[str, Any]:
    """Save a paper with tags and a note, or change those of a saved one (201 when
    newly saved)."""
    paper = paper_or_404(store, paper_id)
    saved, created = library.save_paper(
        store, user, paper, tags=body.tags, note=body.note, now=utc_now()
    )
    response.status_code = 201 if created else 200
    response.headers.update(NO_STORE)
    return {**library.library_item_json(saved), "saved": True}


@router.delete("/library/{paper_id:path}")
def delete_library_item(
    paper_id: str, user: UserDep, store: StoreDep, response: Response
) -> dict[str, Any]:
    """Remove a paper from the library; 404 when it is not in it."""
    paper = paper_or_404(store, paper_id)
    if not library.unsave_paper(store, user, paper.id, now=utc_now()):
        raise HTTPException(404, f"{paper.id!r} is not in your library")
    response.headers.update(NO_STORE)
    return {"paper_id": paper.id, "saved": False}
