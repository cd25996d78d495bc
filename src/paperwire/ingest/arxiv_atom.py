"""arXiv API Atom responses → Papers (saved files and, later, live API pages)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from xml.etree.ElementTree import Element

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.ingest.errors import ArxivApiError, IngestError
from paperwire.ingest.links import finish_paper
from paperwire.ingest.xml import parse_xml
from paperwire.models import Author, Link, Paper

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "arxiv": "http://arxiv.org/schemas/atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
}


@dataclass(slots=True)
class AtomPage:
    papers: list[Paper]
    total_results: int | None
    start_index: int | None
    items_per_page: int | None


def _text(el: Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _int(el: Element | None) -> int | None:
    try:
        return int(_text(el)) if el is not None else None
    except ValueError:
        return None


def _when(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _entry_to_paper(entry: Element, where: str) -> Paper:
    raw_id = _text(entry.find("atom:id", NS))
    if "/api/errors" in raw_id:
        raise ArxivApiError(where, "arXiv API error: " + _text(entry.find("atom:summary", NS)))
    try:
        ident = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise IngestError(where, f"entry with unusable id: {exc}") from exc
    title = _text(entry.find("atom:title", NS))
    if not title:
        raise IngestError(where, f"entry {ident.id} has no title")
    categories: list[str] = []
    primary = entry.find("arxiv:primary_category", NS)
    if primary is not None and primary.get("term"):
        categories.append(primary.get("term", ""))
    for cat in entry.findall("atom:category", NS):
        term = cat.get("term")
        if term and term not in categories:
            categories.append(term)
    authors = []
    for a in entry.findall("atom:author", NS):
        name = _text(a.find("atom:name", NS))
        if name:
            affiliation = _text(a.find("arxiv:affiliation", NS)) or None
            authors.append(Author(name=name, affiliation=affiliation))
    links: list[Link] = []
    for link in entry.findall("atom:link", NS):
        if link.get("title") == "doi" and link.get("href"):
            links.append(Link("doi", link.get("href", "")))
    paper = Paper(
        id=ident.id,
        version=ident.version,
        title=title,
        abstract=_text(entry.find("atom:summary", NS)),
        authors=authors,
        categories=categories,
        submitted=_when(_text(entry.find("atom:published", NS))),
        updated=_when(_text(entry.find("atom:updated", NS))),
        doi=_text(entry.find("arxiv:doi", NS)) or None,
        journal_ref=_text(entry.find("arxiv:journal_ref", NS)) or None,
        comments=_text(entry.find("arxiv:comment", NS)) or None,
        source="arxiv",
        links=links,
    )
    return finish_paper(paper)


def parse_atom_page(data: bytes | str, *, where: str) -> AtomPage:
    """Parse one API response; raise ``IngestError`` naming ``where`` if it is unusable.

    Either every entry parses or the page is refused: a half-read page is never stored.
    """
    root = parse_xml(data, where=where)
    if root.tag != f"{{{NS['atom']}}}feed":
        raise IngestError(where, f"not an Atom feed (root element {root.tag!r})")
    papers = [_entry_to_paper(e, where) for e in root.findall("atom:entry", NS)]
    return AtomPage(
        papers=papers,
        total_results=_int(root.find("opensearch:totalResults", NS)),
        start_index=_int(root.find("opensearch:startIndex", NS)),
        items_per_page=_int(root.find("opensearch:itemsPerPage", NS)),
    )


def read_saved_response(raw: bytes, *, where: str) -> bytes:
    """A saved response is the Atom XML itself, or a recorded ``{url, status_code, body}``."""
    head = raw.lstrip()[:1]
    if head in (b"{", b"["):
        try:
            record = json.loads(raw)
        except ValueError as exc:
            raise IngestError(where, f"invalid JSON recording: {exc}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("body"), str):
            raise IngestError(where, "JSON file is not a recorded response (needs a 'body')")
        return record["body"].encode("utf-8")
    return raw
