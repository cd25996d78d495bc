"""Server-rendered pages: thin routes that call domain functions and render templates.

``/papers/{id}`` takes old-style ids with a slash (``hep-th/9901001``) but never a path
ending in ``.md``: that is the Markdown view, served by another router.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.convertors import Convertor, register_url_convertor

from paperwire.models import Paper
from paperwire.web.api import resolve_paper_id
from paperwire.web.bibtex import format_bibtex
from paperwire.web.deps import StoreDep, TemplatesDep
from paperwire.web.templating import doi_url, safe_href


class PaperPageIdConvertor(Convertor[str]):
    """Any path (slashes allowed) that does not end in ``.md``."""

    regex = r".+(?<!\.md)(?<!\.md/)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("paper_page_id", PaperPageIdConvertor())

router = APIRouter()


@dataclass(frozen=True, slots=True)
class ReadLink:
    label: str
    href: str


@dataclass(frozen=True, slots=True)
class CodeLink:
    url: str  # shown as text
    href: str | None  # only when it is an http(s) URL


def read_links(paper: Paper) -> list[ReadLink]:
    """arXiv page, PDF and DOI; links from the record only when they are http(s)."""
    links: list[ReadLink] = []
    if paper.source == "arxiv":
        links.append(ReadLink("arXiv page", f"https://arxiv.org/abs/{paper.id}"))
        links.append(ReadLink("PDF", f"https://arxiv.org/pdf/{paper.id}"))
    elif paper.id.startswith("pmid:"):
        links.append(ReadLink("PubMed", f"https://pubmed.ncbi.nlm.nih.gov/{paper.id[5:]}/"))
    if paper.doi:
        links.append(ReadLink(f"DOI {paper.doi}", doi_url(paper.doi)))
    for link in paper.links:
        if link.kind in ("project", "html"):
            href = safe_href(link.url)
            if href:
                links.append(ReadLink("Project page" if link.kind == "project" else "HTML", href))
    return links


def code_links(paper: Paper) -> list[CodeLink]:
    return [CodeLink(link.url, safe_href(link.url)) for link in paper.code_links]


def paper_feeds(paper: Paper) -> list[dict[str, str]]:
    feeds = [{"title": "Daily papers", "href": "/feeds/daily.atom"}]
    if paper.primary_category:
        feeds.append(
            {
                "title": f"New in {paper.primary_category}",
                "href": f"/feeds/categories/{paper.primary_category}.atom",
            }
        )
    return feeds


@router.get("/", response_class=HTMLResponse)
def index(request: Request, store: StoreDep, templates: TemplatesDep) -> HTMLResponse:
    papers = store.latest_papers(limit=50)
    return templates.TemplateResponse(
        request,
        "index.html",
        {"papers": papers, "nav": "daily", "feeds": [{"title": "Daily papers", "href": "/feeds/daily.atom"}]},
    )


@router.get("/papers/{paper_id:paper_page_id}", response_class=HTMLResponse)
def paper_page(
    paper_id: str, request: Request, store: StoreDep, templates: TemplatesDep
) -> HTMLResponse:
    key = resolve_paper_id(paper_id)
    paper = store.get_paper(key)
    if paper is None:
        raise HTTPException(404, f"no paper with id {key!r}")
    context = {
        "paper": paper,
        "read_links": read_links(paper),
        "code_links": code_links(paper),
        "bibtex": format_bibtex(paper),
        "similar": None,
        "category_names": {},
        "feeds": paper_feeds(paper),
    }
    return templates.TemplateResponse(request, "paper.html", context)
