"""PubMed/MEDLINE baseline and update files (``.xml`` or ``.xml.gz``) → Papers.

A baseline file holds ~30,000 articles (~200 MB of XML), so it is streamed: the
parser is fed in chunks and each ``<PubmedArticle>`` is converted, written in
batches and dropped. Parsing goes through defusedxml: PubMed files declare an
external DTD in their DOCTYPE, which is fine (it is never fetched), but any entity
declaration (billion laughs) or external entity is refused and the file stops there.

Papers are keyed ``pmid:N`` with source ``medline``; references are stored as the
same keys (``pmid:N``), so cited papers can be looked up directly. ``<DeleteCitation>``
lists PMIDs that NLM withdrew (update files carry them): those papers are deleted, in
file order, after the articles before them are written; a rerun deletes nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast
from xml.etree.ElementTree import Element, ParseError, TreeBuilder, XMLPullParser

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from paperwire.ingest.compressed import COMPRESSION_ERRORS, open_maybe_gzip
from paperwire.ingest.errors import RECORD_ERRORS, IngestError
from paperwire.ingest.links import finish_paper
from paperwire.ingest.report import MAX_REPORTED_ERRORS, ImportReport
from paperwire.models import Author, Paper
from paperwire.progress import Progress
from paperwire.store import Store

DEFAULT_BATCH_SIZE = 2000
_CHUNK = 1 << 16

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
)}
_SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}


@dataclass(slots=True)
class MedlineReport(ImportReport):
    """What an import of one or more files did; a file that stopped early (malformed,
    unsafe, truncated, unreadable) is one of ``stops``."""

    articles: int = 0
    deletions: int = 0  # PMIDs listed in <DeleteCitation>
    deleted: int = 0  # of those, papers that were stored and are now deleted

    def details(self) -> dict[str, object]:
        return {"articles": self.articles, "deletions_listed": self.deletions, "deleted": self.deleted}


class _ArticleBuilder(TreeBuilder):
    """A tree builder that remembers the line where each record starts, so a bad
    record can be reported by line, and the root, so finished records can be dropped."""

    RECORDS = frozenset({"PubmedArticle", "DeleteCitation", "PubmedBookArticle"})

    def __init__(self) -> None:
        super().__init__()
        self.expat: object | None = None
        self.lines: list[int] = []
        self.root: Element | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> Element:  # type: ignore[override]
        elem = super().start(tag, attrs)
        if self.root is None:
            self.root = elem
        if tag in self.RECORDS and self.expat is not None:
            self.lines.append(self.expat.CurrentLineNumber)  # type: ignore[attr-defined]
        return elem


def _text(el: Element | None) -> str:
    """All text inside, markup (<i>, <sup>, MathML) dropped, whitespace collapsed."""
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also takes "１２３" and "²", and ``int`` reads
    the former, so one PMID could be stored under a second key."""
    return text.isascii() and text.isdigit()


def _month(value: str) -> int:
    value = value.strip().lower()
    if _digits(value):
        month = int(value)
        if 1 <= month <= 12:
            return month
        raise ValueError(f"month {value!r}")
    if value[:3] in _MONTHS:
        return _MONTHS[value[:3]]
    if value in _SEASONS:
        return _SEASONS[value]
    raise ValueError(f"month {value!r}")


def _date_of(el: Element | None) -> datetime | None:
    """``<PubDate>``/``<ArticleDate>``/``<DateRevised>`` → UTC datetime (missing parts → 1).

    ``<MedlineDate>`` holds free text such as ``2018 Jul-Aug`` or ``1998 Dec-1999 Jan``:
    its first year and month are used.
    """
    if el is None:
        return None
    year_text = (el.findtext("Year") or "").strip()
    month_text = (el.findtext("Month") or el.findtext("Season") or "").strip()
    day_text = (el.findtext("Day") or "").strip()
    if not year_text:
        medline = (el.findtext("MedlineDate") or "").split()
        if not medline or not _digits(medline[0][:4]):
            return None
        year_text = medline[0][:4]
        if len(medline) > 1:
            month_text = medline[1].split("-")[0]
    if not _digits(year_text):
        raise ValueError(f"year {year_text[:20]!r}")
    year = int(year_text)
    try:
        month = _month(month_text) if month_text else 1
    except ValueError:
        month = 1  # "Spring-Summer" and other free text: keep the year
    day = int(day_text) if _digits(day_text) else 1
    return datetime(year, month, day, tzinfo=UTC)


def _authors(article: Element) -> list[Author]:
    authors = []
    for a in article.iterfind("AuthorList/Author"):
        affiliation = _text(a.find("AffiliationInfo/Affiliation")) or None
        collective = _text(a.find("CollectiveName"))
        if collective:
            authors.append(Author(name=collective, affiliation=affiliation))
            continue
        family = _text(a.find("LastName"))
        given = _text(a.find("ForeName")) or _text(a.find("Initials"))
        suffix = _text(a.find("Suffix"))
        name = " ".join(p for p in (given, family, suffix) if p)
        if name:
            authors.append(Author(
                name=name, family=family or None, given=given or None, suffix=suffix or None,
                affiliation=affiliation,
            ))
    return authors


def _abstract(article: Element) -> str:
    """Structured abstracts keep their section labels: ``BACKGROUND: … RESULTS: …``."""
    parts = []
    for section in article.iterfind("Abstract/AbstractText"):
        text = _text(section)
        if not text:
            continue
        label = (section.get("Label") or "").strip()
        parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts)


def _journal_ref(article: Element) -> str | None:
    journal = article.find("Journal")
    if journal is None:
        return None
    title = _text(journal.find("Title")) or _text(journal.find("ISOAbbreviation"))
    volume = _text(journal.find("JournalIssue/Volume"))
    issue = _text(journal.find("JournalIssue/Issue"))
    pages = _text(article.find("Pagination/MedlinePgn"))
    pub = journal.find("JournalIssue/PubDate")
    year = (pub.findtext("Year") or (pub.findtext("MedlineDate") or "")[:4]) if pub is not None else ""
    ref = title
    if volume:
        ref += f" {volume}" + (f"({issue})" if issue else "")
    elif issue:
        ref += f" ({issue})"
    if pages:
        ref += f":{pages}"
    if year:
        ref += f" ({year.strip()})"
    return ref.strip() or None


def _doi(record: Element, article: Element) -> str | None:
    for aid in record.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if aid.get("IdType") == "doi" and (aid.text or "").strip():
            return aid.text.strip()  # type: ignore[union-attr]
    for loc in article.iterfind("ELocationID"):
        if loc.get("EIdType") == "doi" and loc.get("ValidYN", "Y") == "Y" and (loc.text or "").strip():
            return loc.text.strip()  # type: ignore[union-attr]
    return None


def _references(record: Element) -> list[str]:
    refs: list[str] = []
    seen: set[str] = set()
    for aid in record.iterfind("PubmedData/ReferenceList//Reference/ArticleIdList/ArticleId"):
        if aid.get("IdType") == "pubmed":
            pmid = (aid.text or "").strip()
            if _digits(pmid) and pmid not in seen:
                seen.add(pmid)
                refs.append(f"pmid:{pmid}")
    return refs


def article_to_paper(record: Element, *, where: str) -> Paper:
    """One ``<PubmedArticle>`` → ``Paper``; ``IngestError`` says what is wrong."""
    citation = record.find("MedlineCitation")
    if citation is None:
        raise IngestError(where, "PubmedArticle without MedlineCitation")
    pmid_el = citation.find("PMID")
    pmid = (pmid_el.text or "").strip() if pmid_el is not None else ""
    if not _digits(pmid):
        raise IngestError(where, f"PubmedArticle without a usable PMID ({pmid[:40]!r})")
    where = f"{where} (PMID {pmid})"
    article = citation.find("Article")
    if article is None:
        raise IngestError(where, "no Article element")
    title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    if not title:
        raise IngestError(where, "no title")
    version_text = (pmid_el.get("Version") or "1").strip() if pmid_el is not None else "1"
    if not _digits(version_text):
        raise IngestError(where, f"PMID Version {version_text[:40]!r} is not a number")
    try:
        submitted = _date_of(article.find("Journal/JournalIssue/PubDate")) or _date_of(
            article.find("ArticleDate")
        )
        updated = _date_of(citation.find("DateRevised"))
        version = int(version_text)  # its range is checked with the rest (check_paper)
    except (ValueError, OverflowError) as exc:
        raise IngestError(where, f"unusable date or version ({exc})") from exc
    mesh = [_text(d) for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName")]
    paper = Paper(
        id=f"pmid:{pmid}",
        source="medline",
        version=version,
        title=title,
        abstract=_abstract(article),
        authors=_authors(article),
        submitted=submitted,
        updated=updated or submitted,
        doi=_doi(record, article),
        journal_ref=_journal_ref(article),
        mesh_terms=[m for m in mesh if m],
        references=_references(record),
    )
    return finish_paper(paper, where=where)


def _new_parser() -> tuple[XMLPullParser, _ArticleBuilder]:
    builder = _ArticleBuilder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    builder.expat = parser.parser
    return XMLPullParser(events=("end",), _parser=parser), builder  # type: ignore[call-arg]


def _import_file(
    store: Store,
    path: Path,
    report: MedlineReport,
    *,
    batch_size: int,
    on_progress: Progress | None,
) -> None:
    name = str(path)
    first_article = report.articles
    pull, builder = _new_parser()
    batch: list[Paper] = []
    line_index = 0

    def flush() -> None:
        nonlocal batch
        if batch:
            report.counts += store.upsert_papers(batch)
            batch = []

    def drain() -> None:
        nonlocal line_index
        for event in pull.read_events():
            elem = cast(Element, cast(tuple[str, Element], event)[1])  # only "end" events
            tag = elem.tag
            if tag not in _ArticleBuilder.RECORDS:
                continue
            line = builder.lines[line_index] if line_index < len(builder.lines) else "?"
            line_index += 1
            if tag == "PubmedArticle":
                report.articles += 1
                try:
                    batch.append(article_to_paper(elem, where=f"{name}:{line}"))
                except IngestError as exc:
                    report.add_error(str(exc))
                except RECORD_ERRORS as exc:  # unforeseen: still only this record
                    report.add_error(f"{name}:{line}: unusable record ({type(exc).__name__}: {str(exc)[:200]})")
            elif tag == "DeleteCitation":
                pmids = [f"pmid:{(e.text or '').strip()}" for e in elem.iterfind("PMID")]
                report.deletions += len(pmids)
                flush()  # an article earlier in the file is written before it is deleted
                report.deleted += store.delete_papers(pmids)
            elem.clear()
            if len(batch) >= batch_size:
                flush()
        if builder.root is not None:
            # Finished records were converted; drop them so memory stays flat.
            del builder.root[:]

    try:
        stream, raw = open_maybe_gzip(path)
        with stream, raw:
            done = 0
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                pull.feed(chunk)
                drain()
                if on_progress:
                    position = raw.tell()
                    on_progress(position - done)
                    done = position
            pull.close()
            drain()
    except DefusedXmlException as exc:
        report.add_stop(f"{name}: refused unsafe XML ({type(exc).__name__}: {exc})")
    except ParseError as exc:
        line, col = exc.position
        report.add_stop(f"{name}: malformed XML at line {line}, column {col}: {exc}")
    except COMPRESSION_ERRORS as exc:
        report.add_stop(
            f"{name}: truncated or damaged compressed file, stopped after {report.articles - first_article} articles ({exc})"
        )
    except OSError as exc:
        report.add_stop(f"{name}: cannot read file ({exc.strerror or exc})")
    finally:
        flush()  # what was read before a break is kept


def import_medline(
    store: Store,
    paths: Iterable[Path],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress | None = None,
    max_reported: int = MAX_REPORTED_ERRORS,
) -> MedlineReport:
    """Import MEDLINE XML files; ``on_progress(n)`` with the bytes of the files read since
    the last call (``progress.py``).

    A bad record is reported with its file and line and skipped; a file that cannot be
    parsed further (malformed, unsafe, truncated) stops there, keeping what came before.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = MedlineReport(max_reported=max_reported)
    for path in paths:
        _import_file(store, path, report, batch_size=batch_size, on_progress=on_progress)
    if report.deletions:
        report.notes.append(
            f"{report.deletions} PMIDs listed in <DeleteCitation>; "
            f"{report.deleted} of them were stored and are now deleted"
        )
    return report
