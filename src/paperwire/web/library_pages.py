"""The library page (``/library``) and its plain HTML forms: change a saved paper's
tags and note, remove it, import a BibTeX file. They call the same domain functions
as the JSON API (``community.library``) and work without JavaScript.

The page is the reader's own: a signed-out reader is sent to sign in, and nothing
here is cached. Every form goes through ``UserDep`` (same-origin, and the CSRF token
the form carries).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from paperwire.community import library
from paperwire.errors import InvalidParameter
from paperwire.models import User
from paperwire.web.auth import UserDep, ViewerDep
from paperwire.web.deps import StoreDep, TemplatesDep, paper_or_404, utc_now
from paperwire.web.params import CursorQ
from paperwire.web.routing import NO_STORE, page_router
from paperwire.web.templating import render_page, with_query

router = page_router()


def split_tags(text: str) -> list[str]:
    """Tags as the form's one text field takes them: separated by commas."""
    return text.split(",")


def _render(
    request: Request,
    templates: Any,
    store: Any,
    user: User,
    *,
    tag: str | None = None,
    cursor: str | None = None,
    imported: library.ImportResult | None = None,
    status_code: int = 200,
) -> Response:
    page = library.library_page(store, user, tag=tag, cursor=cursor)
    shown_tag = library.normalise_tag(tag) if tag else None
    context = {
        "nav": "library",
        "user": user,
        "page": page,
        "tag": shown_tag,
        "tag_href": {name: with_query("/library", tag=name) for name in page.tags},
        "more_href": with_query("/library", tag=shown_tag, cursor=page.next_cursor)
        if page.next_cursor
        else None,
        "imported": imported,
        "max_tags": library.MAX_TAGS,
        "max_tag_chars": library.MAX_TAG_CHARS,
        "max_note_chars": library.MAX_NOTE_CHARS,
        "max_entries": library.MAX_IMPORT_ENTRIES,
    }
    return render_page(
        request, templates, "library.html", context, status_code=status_code, headers=NO_STORE
    )


@router.get("/library", response_class=HTMLResponse)
def library_page(
    request: Request,
    viewer: ViewerDep,
    store: StoreDep,
    templates: TemplatesDep,
    tag: Annotated[str | None, Query(max_length=200)] = None,
    cursor: CursorQ = None,
) -> Response:
    """The reader's saved papers with their tags and notes, the forms to change them,
    the export links and the import form."""
    if viewer is None:
        return RedirectResponse("/sign-in", status_code=303)
    return _render(request, templates, store, viewer, tag=tag or None, cursor=cursor)


@router.post("/library/save")
def save_form(
    paper_id: Annotated[str, Form(max_length=200)],
    user: UserDep,
    store: StoreDep,
    tags: Annotated[str, Form(max_length=5000)] = "",
    note: Annotated[str, Form(max_length=library.MAX_NOTE_CHARS * 2)] = "",
) -> Response:
    """Save a paper (or change a saved one's tags and note); back to the library."""
    paper = paper_or_404(store, paper_id)
    library.save_paper(store, user, paper, tags=split_tags(tags), note=note, now=utc_now())
    return RedirectResponse("/library", status_code=303)


@router.post("/library/remove")
def remove_form(
    paper_id: Annotated[str, Form(max_length=200)], user: UserDep, store: StoreDep
) -> Response:
    paper = paper_or_404(store, paper_id)
    library.unsave_paper(store, user, paper.id, now=utc_now())
    return RedirectResponse("/library", status_code=303)


@router.post("/library/import", response_class=HTMLResponse)
async def import_form(
    request: Request,
    user: UserDep,
    store: StoreDep,
    templates: TemplatesDep,
    bibtex: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Import a BibTeX file (or pasted text); the page then lists what was matched and
    what was not, and why."""
    text = bibtex
    if file is not None and file.filename:
        raw = await file.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InvalidParameter("file", "not UTF-8 text") from exc
    result = await run_in_threadpool(library.import_bibtex, store, user, text, now=utc_now())
    return await run_in_threadpool(_render, request, templates, store, user, imported=result)
