"""Server-rendered pages. Plain for now; issue 5 makes them good."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from paperwire.web.api import resolve_paper_id
from paperwire.web.deps import StoreDep, TemplatesDep

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def index(request: Request, store: StoreDep, templates: TemplatesDep) -> HTMLResponse:
    papers = store.latest_papers(limit=50)
    return templates.TemplateResponse(request, "index.html", {"papers": papers})


@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
def paper_page(
    paper_id: str, request: Request, store: StoreDep, templates: TemplatesDep
) -> HTMLResponse:
    key = resolve_paper_id(paper_id)
    paper = store.get_paper(key)
    if paper is None:
        raise HTTPException(404, f"no paper with id {key!r}")
    return templates.TemplateResponse(request, "paper.html", {"paper": paper})
