"""JSON API under /api."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.web.deps import StoreDep
from paperwire.web.serialize import paper_json

router = APIRouter()


def resolve_paper_id(raw: str) -> str:
    """``pmid:N`` for MEDLINE, otherwise any arXiv spelling; a malformed id is a 400."""
    if raw.startswith("pmid:"):
        if not (raw[5:].isascii() and raw[5:].isdigit()):  # ids are ASCII, as stored
            raise HTTPException(400, f"malformed PubMed id {raw!r}")
        return raw
    try:
        return parse_arxiv_id(raw).id
    except InvalidArxivId as exc:
        raise HTTPException(400, f"malformed paper id: {exc}") from exc


@router.get("/healthz")
def healthz(store: StoreDep) -> dict[str, Any]:
    return {"status": "ok", "papers": store.count_papers()}


@router.get("/api/papers/{paper_id:path}")
def get_paper(paper_id: str, store: StoreDep) -> dict[str, Any]:
    key = resolve_paper_id(paper_id)
    paper = store.get_paper(key)
    if paper is None:
        raise HTTPException(404, f"no paper with id {key!r}")
    return paper_json(paper)
