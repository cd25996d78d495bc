"""What a record may hold before it is stored: one check for every source.

Every importer builds a ``Paper`` and hands it to ``finish_paper`` (``links.py``), which
calls ``check_paper`` first. A record that breaks a rule below raises ``IngestError``
naming where it came from (``FILE:LINE``, or the URL/identifier of the record) and the
rule; each importer's usual path for a bad record then reports it, counts it as
failed and stores the others. So a record is refused while it is converted, never when
its batch is written: one bad record never costs the good ones.

The rules (docs/security.md lists them with the reasons):

- text caps per field, far above anything real (measured: arXiv limits abstracts to
  1,920 characters; in two MEDLINE baseline files, 50,787 articles, the longest
  abstract has 6,946 characters, title 495, author name 307, affiliation 3,945,
  references 420). A record past a cap is refused whole, not cut: a cut field would be
  stored as if it were the record's own text;
- shapes: every field holds the type ``Paper`` declares (a source's odd JSON, such as
  numbers in ``authors_parsed``, would otherwise be stored and break every page that
  shows the paper);
- what the databases cannot hold: a NUL character (PostgreSQL text), a version past
  ``MAX_VERSION`` (integer overflow), dates outside years 1000–2999;
- identifiers: arXiv ids and versions as ``arxiv_ids`` parses them, ``pmid:`` and ASCII
  digits; categories in the arXiv grammar (``arxiv_ids.CATEGORY``); DOIs as
  ``10.<registrant>/<suffix>`` without spaces, quotes, backticks or backslashes.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from paperwire.arxiv_ids import (
    CATEGORY,
    MAX_VERSION,
    InvalidArxivId,
    is_arxiv_category,
    is_key_shaped,
    parse_arxiv_id,
)
from paperwire.ingest.errors import IngestError
from paperwire.models import Author, Paper

# Characters, per field.
MAX_TITLE = 2_000
MAX_ABSTRACT = 100_000
MAX_COMMENTS = 10_000
MAX_JOURNAL_REF = 2_000
MAX_LICENSE = 1_000
MAX_DOI = 300
MAX_AUTHOR_NAME = 1_000  # also each of family, given, suffix
MAX_AFFILIATION = 10_000
MAX_MESH_TERM = 1_000
# Counts, per record.
MAX_AUTHORS = 10_000  # the longest real author lists have about 5,000 names
MAX_CATEGORIES = 50
MAX_MESH_TERMS = 1_000
MAX_REFERENCES = 50_000
# Title, author names and abstract together (characters): PostgreSQL's keyword index
# holds them in one tsvector, which must stay under 1 MB. Measured: at worst (distinct
# two-letter words of four-byte letters) a character costs 5.33 bytes of tsvector, so
# 180,000 characters stay under 960 KB; a record at every cap is stored on both
# backends (tests/ingest/test_checks.py). The largest real author lists (~5,000
# names) have under 100,000 characters.
MAX_KEYWORD_TEXT = 180_000
# All affiliations together (characters).
MAX_AFFILIATIONS_TOTAL = 1_000_000
# Links are derived from the record (its id, DOI, and URLs in the abstract and
# comments): the first MAX_LINKS are kept, and a derived URL longer than MAX_LINK_URL is
# not a link. The text they came from is stored whole either way.
MAX_LINKS = 100
MAX_LINK_URL = 2_000
# Years of submitted/updated/announced dates (MEDLINE holds articles from the 1600s).
MIN_YEAR, MAX_YEAR = 1000, 2999

_PMID = re.compile(r"pmid:[0-9]{1,12}")
# 10.<registrant>[.<sub>]/<suffix>: the suffix is printable ASCII without space, ", ',
# \ and `. Old SICI DOIs keep their <, >, ;, ( and ) (MEDLINE has many), so pages and
# Markdown must still escape a DOI like any other text.
DOI = re.compile(r"10\.[0-9]+(?:\.[0-9]+)*/[!#-&(-\[\]-_a-~]+")


def first_doi(text: str | None) -> str | None:
    """The first DOI of a field that may list several, space-separated (arXiv's
    metadata does); checked later with the rest of the record."""
    if not text:
        return None
    parts = text.split(None, 1)
    return parts[0] if parts else None


def _text(where: str, field: str, value: object, cap: int, *, optional: bool = True) -> int:
    """Checks one text field; returns its length (0 for None)."""
    if value is None and optional:
        return 0
    if not isinstance(value, str):
        raise IngestError(where, f"{field} is {type(value).__name__}, not text")
    if len(value) > cap:
        raise IngestError(where, f"{field} has {len(value):,} characters (at most {cap:,})")
    if "\x00" in value:
        raise IngestError(where, f"{field} contains a NUL character")
    return len(value)


def _when(where: str, field: str, value: object, kind: type) -> None:
    if value is None:
        return
    if not isinstance(value, kind):
        raise IngestError(where, f"{field} is {type(value).__name__}, not a {kind.__name__}")
    year = value.year  # type: ignore[attr-defined]
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise IngestError(where, f"{field} {value} is outside the years {MIN_YEAR}–{MAX_YEAR}")


def _id(where: str, paper: Paper) -> None:
    if paper.source == "arxiv":
        if isinstance(paper.id, str) and is_key_shaped(paper.id):
            return  # the sources parsed it (parse_arxiv_id): only its shape is checked again
        try:
            parsed = parse_arxiv_id(paper.id)
        except InvalidArxivId as exc:
            raise IngestError(where, f"bad arXiv id {exc}") from exc
        raise IngestError(where, f"arXiv id {paper.id!r} is not in its stored form {parsed.id!r}")
    if paper.source == "medline":
        if not isinstance(paper.id, str) or not _PMID.fullmatch(paper.id):
            raise IngestError(where, f"MEDLINE id {str(paper.id)[:40]!r} is not pmid: and up to 12 ASCII digits")
        return
    raise IngestError(where, f"unknown source {str(paper.source)[:20]!r}")


def _authors(where: str, authors: object) -> int:
    """Checks the authors; returns the characters of their names together."""
    if not isinstance(authors, list):
        raise IngestError(where, f"authors are {type(authors).__name__}, not a list")
    if len(authors) > MAX_AUTHORS:
        raise IngestError(where, f"{len(authors):,} authors (at most {MAX_AUTHORS:,})")
    names = affiliations = 0
    for n, author in enumerate(authors, start=1):
        if not isinstance(author, Author):
            raise IngestError(where, f"author {n} is {type(author).__name__}, not an author")
        field = f"author {n}"
        names += _text(where, f"{field} name", author.name, MAX_AUTHOR_NAME, optional=False)
        if not author.name.strip():
            raise IngestError(where, f"{field} has an empty name")
        _text(where, f"{field} family name", author.family, MAX_AUTHOR_NAME)
        _text(where, f"{field} given name", author.given, MAX_AUTHOR_NAME)
        _text(where, f"{field} suffix", author.suffix, MAX_AUTHOR_NAME)
        affiliations += _text(where, f"{field} affiliation", author.affiliation, MAX_AFFILIATION)
    if affiliations > MAX_AFFILIATIONS_TOTAL:
        raise IngestError(
            where,
            f"affiliations have {affiliations:,} characters together (at most {MAX_AFFILIATIONS_TOTAL:,})",
        )
    return names


def _strings(where: str, field: str, values: object, cap: int, item_cap: int) -> list[str]:
    if not isinstance(values, list):
        raise IngestError(where, f"{field} are {type(values).__name__}, not a list")
    if len(values) > cap:
        raise IngestError(where, f"{len(values):,} {field} (at most {cap:,})")
    for value in values:
        _text(where, f"one of the {field}", value, item_cap, optional=False)
    return values


def explain(paper: Paper, *, where: str) -> None:
    """Raise ``IngestError(where, problem)`` for the first rule ``paper`` breaks, rule by
    rule; return if it breaks none. ``check_paper`` calls it only for a paper its quick
    test did not pass."""
    _id(where, paper)
    version = paper.version
    if version is not None and (
        not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= MAX_VERSION
    ):
        raise IngestError(where, f"version {str(version)[:40]!r} is not a number from 1 to {MAX_VERSION:,}")
    _text(where, "title", paper.title, MAX_TITLE, optional=False)
    if not paper.title.strip():
        raise IngestError(where, "empty title")
    _text(where, "abstract", paper.abstract, MAX_ABSTRACT, optional=False)
    keyword_text = len(paper.title) + len(paper.abstract) + _authors(where, paper.authors)
    if keyword_text > MAX_KEYWORD_TEXT:
        raise IngestError(
            where,
            f"title, author names and abstract have {keyword_text:,} characters together "
            f"(at most {MAX_KEYWORD_TEXT:,})",
        )
    for category in _strings(where, "categories", paper.categories, MAX_CATEGORIES, 41):
        if not is_arxiv_category(category):
            raise IngestError(where, f"category {category[:40]!r} is not an arXiv category (like cs.CV or hep-th)")
    if paper.doi is not None:
        _text(where, "DOI", paper.doi, MAX_DOI)
        if not DOI.fullmatch(paper.doi):
            raise IngestError(where, f"DOI {paper.doi[:80]!r} is not a DOI (10.NNNN/suffix, no spaces or quotes)")
    _text(where, "journal reference", paper.journal_ref, MAX_JOURNAL_REF)
    _text(where, "comments", paper.comments, MAX_COMMENTS)
    _text(where, "license", paper.license, MAX_LICENSE)
    _text(where, "announce type", paper.announce_type, 20)
    _when(where, "submitted date", paper.submitted, datetime)
    _when(where, "updated date", paper.updated, datetime)
    _when(where, "announcement day", paper.announced, date)
    _strings(where, "MeSH terms", paper.mesh_terms, MAX_MESH_TERMS, MAX_MESH_TERM)
    for ref in _strings(where, "references", paper.references, MAX_REFERENCES, 17):
        if not _PMID.fullmatch(ref):
            raise IngestError(where, f"reference {ref[:20]!r} is not pmid: and ASCII digits")


# Category names seen to match ``CATEGORY``: a snapshot repeats a few hundred names
# millions of times, and a set lookup costs a tenth of the match. Bounded, so hostile
# input cannot grow it without end.
_GOOD_CATEGORIES: set[str] = set()
_GOOD_CATEGORIES_MAX = 10_000


def passes(paper: Paper) -> bool:
    """The rules of ``explain`` as one quick test, for the usual record (a snapshot
    holds millions): True only if ``explain`` would find nothing. (A test holds the two
    together on generated papers.) Written out inline: function calls were most of its
    cost."""
    version = paper.version
    title = paper.title
    abstract = paper.abstract
    authors = paper.authors
    categories = paper.categories
    if not (
        paper.source == "arxiv"
        and type(paper.id) is str
        and is_key_shaped(paper.id)
        and (version is None or (type(version) is int and 1 <= version <= MAX_VERSION))
        and type(title) is str
        and len(title) <= MAX_TITLE
        and "\x00" not in title
        and title.strip()
        and type(abstract) is str
        and len(abstract) <= MAX_ABSTRACT
        and "\x00" not in abstract
        and type(authors) is list
        and len(authors) <= MAX_AUTHORS
        and type(categories) is list
        and len(categories) <= MAX_CATEGORIES
        and type(paper.mesh_terms) is list
        and not paper.mesh_terms
        and type(paper.references) is list
        and not paper.references
    ):
        return False
    names = affiliations = 0
    for author in authors:
        if type(author) is not Author:
            return False
        name = author.name
        if type(name) is not str or len(name) > MAX_AUTHOR_NAME or "\x00" in name or not name.strip():
            return False
        names += len(name)
        for part in (author.family, author.given, author.suffix):
            if part is not None and (type(part) is not str or len(part) > MAX_AUTHOR_NAME or "\x00" in part):
                return False
        affiliation = author.affiliation
        if affiliation is not None:
            if type(affiliation) is not str or len(affiliation) > MAX_AFFILIATION or "\x00" in affiliation:
                return False
            affiliations += len(affiliation)
    if len(title) + len(abstract) + names > MAX_KEYWORD_TEXT or affiliations > MAX_AFFILIATIONS_TOTAL:
        return False
    for category in categories:
        if category not in _GOOD_CATEGORIES:
            if type(category) is not str or CATEGORY.fullmatch(category) is None:
                return False
            if len(_GOOD_CATEGORIES) < _GOOD_CATEGORIES_MAX:
                _GOOD_CATEGORIES.add(category)
    doi = paper.doi
    if doi is not None and (type(doi) is not str or len(doi) > MAX_DOI or DOI.fullmatch(doi) is None):
        return False
    for text, cap in (
        (paper.journal_ref, MAX_JOURNAL_REF),
        (paper.comments, MAX_COMMENTS),
        (paper.license, MAX_LICENSE),
        (paper.announce_type, 20),
    ):
        if text is not None and (type(text) is not str or len(text) > cap or "\x00" in text):
            return False
    for when in (paper.submitted, paper.updated):
        if when is not None and (type(when) is not datetime or not MIN_YEAR <= when.year <= MAX_YEAR):
            return False
    day = paper.announced
    return day is None or (type(day) is date and MIN_YEAR <= day.year <= MAX_YEAR)


def check_paper(paper: Paper, *, where: str) -> Paper:
    """``paper`` unchanged if it may be stored; else ``IngestError(where, problem)``.

    ``where`` should name the record (``FILE:LINE``, ``URL: entry ID``), since the
    message is all the user sees of it. A snapshot import runs this on millions of
    records: the usual one passes the quick test (``passes``) in a few microseconds,
    any other is looked at rule by rule (``explain``) for the message.
    """
    if not passes(paper):
        explain(paper, where=where)
    return paper
