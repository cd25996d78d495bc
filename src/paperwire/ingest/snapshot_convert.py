"""One line of the arXiv metadata snapshot → ``Paper``: the conversion every snapshot
import runs, here or in a converter process (``snapshot_pipeline``), on millions of
lines, so the usual shapes take fast paths. A bad line becomes a message naming its
``FILE:LINE``, never an exception that would cost its chunk.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import orjson

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.ingest.checks import first_doi
from paperwire.ingest.errors import RECORD_ERRORS, IngestError
from paperwire.ingest.links import finish_paper
from paperwire.models import Author, Paper

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
)}


def parse_created(value: str) -> datetime:
    """``Mon, 2 Apr 2007 19:18:42 GMT`` → aware UTC datetime; fast path for the usual form."""
    parts = value.split()
    try:
        hour, minute, second = parts[4].split(":")
        return datetime(
            int(parts[3]), _MONTHS[parts[2]], int(parts[1]), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except (IndexError, KeyError, ValueError, OverflowError):
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise ValueError(f"unreadable date {value!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# The ASCII characters ``str.split()`` splits on, besides the space and the newline.
_OTHER_ASCII_SPACE = ("\t", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f")


def _squash(text: object) -> str:
    """Collapse whitespace as the Atom import does; the usual wrapped line is cheap."""
    if not isinstance(text, str):
        return ""
    flat = text.strip().replace("\n", " ")
    if flat.isascii() and "  " not in flat and not any(c in flat for c in _OTHER_ASCII_SPACE):
        # Same result as split/join, without building a word list; each test is one
        # memchr-like pass (``isprintable`` looked every character up: 3 µs an abstract).
        return flat
    return " ".join(flat.split())


def _optional(text: object) -> str | None:
    return _squash(text) or None


def _authors(record: dict[str, Any]) -> list[Author]:
    parsed = record.get("authors_parsed")
    if parsed is not None and not isinstance(parsed, list):
        raise ValueError(f"authors_parsed is {type(parsed).__name__}, not a list")
    if parsed:
        authors = []
        for n, entry in enumerate(parsed, start=1):
            # [family, given, suffix] and at times an affiliation: all text. Anything
            # else would be stored as it is and break every page that shows the paper.
            if not isinstance(entry, list) or not all(isinstance(part, str) for part in entry):
                raise ValueError(f"authors_parsed entry {n} is not a list of names: {str(entry)[:60]}")
            family = entry[0] if entry else ""
            given = entry[1] if len(entry) > 1 else ""
            suffix = entry[2] if len(entry) > 2 else ""
            if given and family:
                name = f"{given} {family} {suffix}" if suffix else f"{given} {family}"
            else:
                name = " ".join(p for p in (given, family, suffix) if p)
            if name.strip():
                authors.append(Author(name, family or None, given or None, suffix or None))
        return authors
    raw = _squash(record.get("authors"))
    if not raw:
        return []
    names = [n.strip() for n in raw.replace(" and ", ", ").split(",")]
    return [Author(name=n) for n in names if n]


def _versions(record: dict[str, Any]) -> tuple[int | None, datetime | None, datetime | None]:
    versions = record.get("versions")
    if not isinstance(versions, list) or not versions:
        return None, None, None
    numbers = []
    for v in versions:
        label = v.get("version", "") if isinstance(v, dict) else ""
        if isinstance(label, str) and label[:1] == "v" and label[1:].isascii() and label[1:].isdigit():
            numbers.append(int(label[1:]))
    first, last = versions[0], versions[-1]
    submitted = parse_created(first["created"]) if isinstance(first, dict) and first.get("created") else None
    if last is first:  # one version (most papers): one date to parse
        return (max(numbers) if numbers else None), submitted, submitted
    updated = parse_created(last["created"]) if isinstance(last, dict) and last.get("created") else None
    return (max(numbers) if numbers else None), submitted, updated


def record_to_paper(record: object, *, where: str) -> Paper:
    """One decoded snapshot line → ``Paper``; ``IngestError`` says what is wrong."""
    if not isinstance(record, dict):
        raise IngestError(where, f"expected a JSON object, got {type(record).__name__}")
    raw_id = record.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise IngestError(where, "record has no id")
    try:
        ident = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise IngestError(where, f"bad arXiv id {exc}") from exc
    title = _squash(record.get("title"))
    if not title:
        raise IngestError(where, f"record {ident.id} has no title")
    try:
        version, submitted, updated = _versions(record)
        authors = _authors(record)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise IngestError(where, f"record {ident.id}: unusable versions or authors ({exc})") from exc
    categories = record.get("categories")
    paper = Paper(
        id=ident.id,
        version=version or ident.version,
        title=title,
        abstract=_squash(record.get("abstract")),
        authors=authors,
        categories=categories.split() if isinstance(categories, str) else [],
        submitted=submitted,
        updated=updated,
        doi=first_doi(_optional(record.get("doi"))),
        journal_ref=_optional(record.get("journal-ref")),
        comments=_optional(record.get("comments")),
        license=_optional(record.get("license")),
        source="arxiv",
    )
    return finish_paper(paper, where=f"{where}: record {ident.id}")



def convert_lines(name: str, first_line: int, lines: list[bytes]) -> tuple[list[Paper], list[str]]:
    """Snapshot lines → papers, and one message per bad line (blank lines are skipped)."""
    papers: list[Paper] = []
    errors: list[str] = []
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        where = f"{name}:{first_line + offset}"
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            errors.append(f"{where}: invalid JSON ({exc})")
            continue
        try:
            papers.append(record_to_paper(record, where=where))
        except IngestError as exc:
            errors.append(str(exc))
        except RECORD_ERRORS as exc:  # a case record_to_paper did not foresee: still one line
            errors.append(f"{where}: unusable record ({type(exc).__name__}: {str(exc)[:200]})")
    return papers, errors
