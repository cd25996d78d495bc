"""OAI-PMH 2.0 ListRecords responses from arXiv → ``OaiPage`` of ``Paper``.

Two metadata formats: ``arXiv`` (structured authors: keyname/forenames/suffix;
created/updated dates) and ``arXivRaw`` (every version with its date, authors as one
string). A record that cannot be used is reported by its identifier and skipped; a
page that is not an OAI-PMH response at all is refused whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.ingest.checks import first_doi
from paperwire.ingest.errors import RECORD_ERRORS, IngestError
from paperwire.ingest.links import finish_paper
from paperwire.ingest.xml import parse_xml
from paperwire.models import Author, Paper

OAI = "http://www.openarchives.org/OAI/2.0/"
FORMAT_NS = {"arXiv": "http://arxiv.org/OAI/arXiv/", "arXivRaw": "http://arxiv.org/OAI/arXivRaw/"}
PREFIXES = tuple(FORMAT_NS)


class OaiError(IngestError):
    """The repository answered with an OAI-PMH error (``code`` as in the spec)."""

    def __init__(self, where: str, code: str, message: str) -> None:
        super().__init__(where, f"OAI-PMH error {code}: {message}" if message else f"OAI-PMH error {code}")
        self.code = code


@dataclass(slots=True)
class OaiPage:
    papers: list[Paper] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # identifiers with status="deleted"
    failures: list[str] = field(default_factory=list)  # "identifier: problem"
    token: str | None = None  # resumption token of the next page; None = list complete
    cursor: int | None = None
    complete_list_size: int | None = None
    max_datestamp: date | None = None
    no_records: bool = False  # noRecordsMatch: nothing in the window

    @property
    def records(self) -> int:
        return len(self.papers) + len(self.deleted) + len(self.failures)


def _q(tag: str, ns: str = OAI) -> str:
    return f"{{{ns}}}{tag}"


def _text(el: Element | None) -> str:
    return " ".join((el.text or "").split()) if el is not None else ""


def _int_attr(el: Element, name: str) -> int | None:
    """A count the server announces (stored with the harvest state): ASCII digits that
    fit a database integer, else unknown."""
    value = el.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 15 else None


def _day(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _midnight(day: date | None) -> datetime | None:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) if day else None


def parse_oai_page(data: bytes | str, *, where: str, prefix: str) -> OaiPage:
    """Parse one ListRecords response. Raises ``OaiError`` for OAI errors other than
    ``noRecordsMatch`` (which gives an empty page with ``no_records``), ``IngestError``
    for anything that is not a usable OAI-PMH response."""
    if prefix not in FORMAT_NS:
        raise ValueError(f"prefix {prefix!r}: expected one of {', '.join(PREFIXES)}")
    root = parse_xml(data, where=where)
    if root.tag != _q("OAI-PMH"):
        raise IngestError(where, f"not an OAI-PMH response (root element {root.tag!r})")
    errors = root.findall(_q("error"))
    if errors:
        codes = [(e.get("code", "unknown"), _text(e)) for e in errors]
        if all(code == "noRecordsMatch" for code, _ in codes):
            return OaiPage(no_records=True)
        code, message = next((c, m) for c, m in codes if c != "noRecordsMatch")
        raise OaiError(where, code, message)
    listing = root.find(_q("ListRecords"))
    if listing is None:
        raise IngestError(where, "OAI-PMH response has no ListRecords element")
    page = OaiPage()
    for record in listing.findall(_q("record")):
        _read_record(record, page, where=where, prefix=prefix)
    token_el = listing.find(_q("resumptionToken"))
    if token_el is not None:
        page.token = (token_el.text or "").strip() or None
        page.cursor = _int_attr(token_el, "cursor")
        page.complete_list_size = _int_attr(token_el, "completeListSize")
    return page


def _read_record(record: Element, page: OaiPage, *, where: str, prefix: str) -> None:
    header = record.find(_q("header"))
    if header is None:
        page.failures.append(f"{where}: record without header")
        return
    identifier = _text(header.find(_q("identifier"))) or "(no identifier)"
    stamp = _day(_text(header.find(_q("datestamp"))))
    if stamp and (page.max_datestamp is None or stamp > page.max_datestamp):
        page.max_datestamp = stamp
    if header.get("status") == "deleted":
        page.deleted.append(identifier)
        return
    metadata = record.find(_q("metadata"))
    body = None if metadata is None else metadata.find(_q(prefix, FORMAT_NS[prefix]))
    try:
        if body is None:
            raise IngestError(identifier, f"record has no {prefix} metadata")
        paper = _arxiv_paper(body, identifier) if prefix == "arXiv" else _raw_paper(body, identifier)
        page.papers.append(finish_paper(paper, where=identifier))
    except IngestError as exc:
        page.failures.append(f"{where}: record {exc}")
    except RECORD_ERRORS as exc:  # unforeseen: still only this record
        page.failures.append(f"{where}: record {identifier}: unusable ({type(exc).__name__}: {str(exc)[:200]})")


def _common(body: Element, ns: str, identifier: str) -> dict[str, object]:
    raw_id = _text(body.find(_q("id", ns)))
    try:
        ident = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise IngestError(identifier, f"unusable id: {exc}") from exc
    title = _text(body.find(_q("title", ns)))
    if not title:
        raise IngestError(identifier, "no title")
    doi = _text(body.find(_q("doi", ns)))
    return {
        "id": ident.id,
        "title": title,
        "abstract": _text(body.find(_q("abstract", ns))),
        "categories": _text(body.find(_q("categories", ns))).split(),
        "comments": _text(body.find(_q("comments", ns))) or None,
        "journal_ref": _text(body.find(_q("journal-ref", ns))) or None,
        "doi": first_doi(doi),  # several DOIs are space-separated
        "license": _text(body.find(_q("license", ns))) or None,
        "source": "arxiv",
    }


def _arxiv_paper(body: Element, identifier: str) -> Paper:
    ns = FORMAT_NS["arXiv"]
    fields = _common(body, ns, identifier)
    authors = []
    for a in body.findall(f"{_q('authors', ns)}/{_q('author', ns)}"):
        family = _text(a.find(_q("keyname", ns)))
        given = _text(a.find(_q("forenames", ns))) or None
        suffix = _text(a.find(_q("suffix", ns))) or None
        if not family:
            continue
        name = " ".join(part for part in (given, family, suffix) if part)
        affiliation = _text(a.find(_q("affiliation", ns))) or None
        authors.append(
            Author(name=name, family=family, given=given, suffix=suffix, affiliation=affiliation)
        )
    return Paper(
        **fields,  # type: ignore[arg-type]
        authors=authors,
        submitted=_midnight(_day(_text(body.find(_q("created", ns))))),
        updated=_midnight(_day(_text(body.find(_q("updated", ns))))),
    )


_AUTHOR_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")


def split_author_string(text: str) -> list[str]:
    """``A. Smith, B. Jones and C. Lee`` → three names (arXivRaw keeps them as typed)."""
    return [name for name in (n.strip() for n in _AUTHOR_SPLIT.split(" ".join(text.split()))) if name]


def _raw_paper(body: Element, identifier: str) -> Paper:
    ns = FORMAT_NS["arXivRaw"]
    fields = _common(body, ns, identifier)
    versions: list[tuple[int, datetime | None]] = []
    for v in body.findall(_q("version", ns)):
        label = v.get("version", "")
        number = int(label[1:]) if re.fullmatch(r"v[1-9][0-9]{0,8}", label) else None
        if number is None:
            raise IngestError(identifier, f"version label {label[:20]!r} is not v1, v2, …")
        when_text = _text(v.find(_q("date", ns)))
        try:
            when = parsedate_to_datetime(when_text) if when_text else None
        except (TypeError, ValueError, IndexError, OverflowError) as exc:
            raise IngestError(identifier, f"version {label} has an unreadable date {when_text[:40]!r}") from exc
        versions.append((number, when))
    versions.sort(key=lambda nv: nv[0])
    authors = [Author(name=n) for n in split_author_string(_text(body.find(_q("authors", ns))))]
    return Paper(
        **fields,  # type: ignore[arg-type]
        authors=authors,
        version=versions[-1][0] if versions else None,
        submitted=versions[0][1] if versions else None,
        updated=versions[-1][1] if len(versions) > 1 else None,
    )
