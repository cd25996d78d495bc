"""arXiv API Atom responses → Papers (saved files and, later, live API pages)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.ingest.checks import first_doi
from paperwire.ingest.errors import RECORD_ERRORS, ArxivApiError, IngestError
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
    # Entries that could not be used, as (their arXiv id, or the id text when it is no
    # id; "where: entry …: problem"). The page's other entries are in ``papers``.
    failures: list[tuple[str, str]] = field(default_factory=list)


def _text(el: Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _int(el: Element | None) -> int | None:
    """ASCII digits of a sane size, else unknown (paging only reads these)."""
    value = _text(el)
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 15 else None


def _when(value: str, *, where: str, what: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise IngestError(where, f"{what} {value[:40]!r} is not an ISO 8601 date") from exc


def _entry_to_paper(entry: Element, where: str) -> Paper:
    raw_id = _text(entry.find("atom:id", NS))
    if "/api/errors" in raw_id:
        raise ArxivApiError(where, "arXiv API error: " + _text(entry.find("atom:summary", NS)))
    try:
        ident = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise IngestError(where, f"entry with unusable id: {exc}") from exc
    where = f"{where}: entry {ident.versioned}"
    title = _text(entry.find("atom:title", NS))
    if not title:
        raise IngestError(where, "has no title")
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
        submitted=_when(_text(entry.find("atom:published", NS)), where=where, what="published"),
        updated=_when(_text(entry.find("atom:updated", NS)), where=where, what="updated"),
        doi=first_doi(_text(entry.find("arxiv:doi", NS))),
        journal_ref=_text(entry.find("arxiv:journal_ref", NS)) or None,
        comments=_text(entry.find("arxiv:comment", NS)) or None,
        source="arxiv",
        links=links,
    )
    return finish_paper(paper, where=where)


def _entry_key(entry: Element) -> str:
    raw_id = _text(entry.find("atom:id", NS))
    try:
        return parse_arxiv_id(raw_id).id
    except InvalidArxivId:
        return raw_id


def parse_atom_page(data: bytes | str, *, where: str) -> AtomPage:
    """Parse one API response; raise ``IngestError`` naming ``where`` if it is no Atom
    feed, ``ArxivApiError`` for arXiv's error feed.

    An entry that cannot be used is left out and named in ``failures``; the others are
    kept, so one bad record never costs its page.
    """
    root = parse_xml(data, where=where)
    if root.tag != f"{{{NS['atom']}}}feed":
        raise IngestError(where, f"not an Atom feed (root element {root.tag!r})")
    papers: list[Paper] = []
    failures: list[tuple[str, str]] = []
    for entry in root.findall("atom:entry", NS):
        try:
            papers.append(_entry_to_paper(entry, where))
        except ArxivApiError:
            raise
        except IngestError as exc:
            failures.append((_entry_key(entry), str(exc)))
        except RECORD_ERRORS as exc:  # unforeseen: still only this entry
            key = _entry_key(entry)
            failures.append((key, f"{where}: entry {key[:80]}: unusable ({type(exc).__name__}: {str(exc)[:200]})"))
    return AtomPage(
        failures=failures,
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
        except (ValueError, RecursionError) as exc:  # RecursionError: deeply nested
            raise IngestError(where, f"invalid JSON recording: {exc}") from exc
        if not isinstance(record, dict) or not isinstance(record.get("body"), str):
            raise IngestError(where, "JSON file is not a recorded response (needs a 'body')")
        return record["body"].encode("utf-8")
    return raw
