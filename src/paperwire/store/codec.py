"""Convert between ``Paper`` and table rows; decide what an upsert does to a row."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import orjson

from paperwire.models import Author, Link, Paper
from paperwire.store.sql import author_key, family_key

# Column order of the papers table, shared by both backends.
PAPER_COLUMNS = (
    "id",
    "source",
    "version",
    "title",
    "abstract",
    "authors",
    "categories",
    "primary_category",
    "submitted",
    "updated",
    "announced",
    "announce_type",
    "doi",
    "journal_ref",
    "comments",
    "license",
    "links",
    "mesh_terms",
    "refs",
    "has_code",
    "listed_day",
    "fingerprint",
)
CATEGORY_COLUMNS = ("paper_id", "position", "category")
AUTHOR_COLUMNS = ("paper_id", "position", "name", "name_key", "family_key")


def _author_dict(author: Author) -> dict[str, str]:
    d = {"name": author.name}
    if author.family:
        d["family"] = author.family
    if author.given:
        d["given"] = author.given
    if author.suffix:
        d["suffix"] = author.suffix
    if author.affiliation:
        d["affiliation"] = author.affiliation
    return d


def _dumps(value: Any) -> str:
    """Compact JSON text; orjson for speed (bulk imports write millions of rows), the
    standard library for what orjson refuses (lone surrogates, huge ints)."""
    try:
        return orjson.dumps(value).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _fingerprint_of(paper: Paper, authors: list[dict[str, str]]) -> str:
    content = [
        paper.version,
        paper.title,
        paper.abstract,
        authors,
        paper.categories,
        paper.submitted.isoformat() if paper.submitted else None,
        paper.updated.isoformat() if paper.updated else None,
        paper.doi,
        paper.journal_ref,
        paper.comments,
        paper.license,
        [(link.kind, link.url) for link in paper.links],
        paper.mesh_terms,
        paper.references,
    ]
    try:
        data = orjson.dumps(content)  # the bytes `_dumps` would decode, not decoded and re-encoded
    except (orjson.JSONEncodeError, TypeError):
        data = _dumps(content).encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def fingerprint(paper: Paper) -> str:
    """A digest of the content, so re-importing the same record counts as unchanged."""
    return _fingerprint_of(paper, [_author_dict(a) for a in paper.authors])


class EncodedPaper:
    """A paper's author dicts and fingerprint, computed once and shared by the
    unchanged-check and the row (the bulk write path needs both, cheaply)."""

    __slots__ = ("paper", "authors", "fp")

    def __init__(self, paper: Paper) -> None:
        self.paper = paper
        self.authors = [_author_dict(a) for a in paper.authors]
        self.fp = _fingerprint_of(paper, self.authors)

    def row(self) -> tuple[Any, ...]:
        return _row(self.paper, self.authors, self.fp)

    def bulk_row(self) -> tuple[Any, ...]:
        return _row(self.paper, self.authors, self.fp, when=_iso)


def _same(value: Any) -> Any:
    return value


def _iso(value: date | None) -> str | None:
    """What the SQLite adapters store for a date or datetime, done where the row is
    built: in a converter process, and without a Python adapter call per value when the
    writer binds it, nor the cost of pickling datetimes between processes."""
    return None if value is None else value.isoformat()


def _row(
    paper: Paper, authors: list[dict[str, str]], fp: str, *, when: Any = _same
) -> tuple[Any, ...]:
    return (
        paper.id,
        paper.source,
        paper.version,
        paper.title,
        paper.abstract,
        _dumps(authors),
        _dumps(paper.categories),
        paper.categories[0] if paper.categories else None,
        when(paper.submitted),
        when(paper.updated),
        when(paper.announced),
        paper.announce_type,
        paper.doi,
        paper.journal_ref,
        paper.comments,
        paper.license,
        _dumps([{"kind": link.kind, "url": link.url} for link in paper.links]),
        _dumps(paper.mesh_terms),
        _dumps(paper.references),
        1 if paper.has_code else 0,
        when(paper.day),
        fp,
    )


# Rows for a bulk load (``store.bulk_sql``): papers, category and author rows, as plain
# tuples so converter processes can build them and ship them cheaply.
BulkRows = tuple[
    list[tuple[Any, ...]], list[tuple[str, int, str]], list[tuple[str, int, str, str, str]]
]


def category_rows(papers: Iterable[Paper]) -> list[tuple[str, int, str]]:
    """``paper_categories`` rows; a category listed twice keeps its first position."""
    return [
        (p.id, i, c) for p in papers for i, c in enumerate(p.categories) if c not in p.categories[:i]
    ]


def author_rows(papers: Iterable[Paper]) -> list[tuple[str, int, str, str, str]]:
    """``paper_authors`` rows, with the keys the author filter and pages look up."""
    rows = []
    for p in papers:
        for i, a in enumerate(p.authors):
            key = author_key(a.name)
            rows.append((p.id, i, a.name, key, family_key(key)))
    return rows


def bulk_rows(papers: list[Paper]) -> BulkRows:
    """Encode new papers for ``insert_bulk_rows``, dates as the ISO text the SQLite
    adapters would store (PostgreSQL's ``COPY`` reads the same text); the last record of a repeated id wins, as in ``upsert_papers``."""
    unique = list({p.id: p for p in papers}.values())
    return [EncodedPaper(p).bulk_row() for p in unique], category_rows(unique), author_rows(unique)


def papers_from_bulk_rows(rows: Iterable[tuple[Any, ...]]) -> list[Paper]:
    """Papers back from ``bulk_rows`` papers rows, for writing them by upserts."""
    return [row_to_paper(dict(zip(PAPER_COLUMNS, row, strict=True))) for row in rows]


def paper_to_row(paper: Paper, *, fp: str | None = None) -> tuple[Any, ...]:
    authors = [_author_dict(a) for a in paper.authors]
    return _row(paper, authors, fp or _fingerprint_of(paper, authors))


def to_date(value: Any) -> date:
    """A date as a column gives it back: a ``date`` (PostgreSQL) or ISO text (SQLite)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def to_datetime(value: Any) -> datetime:
    """A timestamp as a column gives it back: a ``datetime`` or ISO text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def date_or_none(value: Any) -> date | None:
    return None if value is None else to_date(value)


def datetime_or_none(value: Any) -> datetime | None:
    return None if value is None else to_datetime(value)


def to_utc(moment: datetime) -> datetime:
    """A timezone-aware time in UTC, as timestamps are written: SQLite compares them as
    ISO text, which sorts in time order only when every value has the same offset."""
    if moment.tzinfo is None:
        raise ValueError("times written to the store must be timezone-aware")
    return moment.astimezone(UTC)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def row_to_paper(row: dict[str, Any]) -> Paper:
    return Paper(
        id=row["id"],
        source=row["source"],
        version=row["version"],
        title=row["title"],
        abstract=row["abstract"],
        authors=[Author(**a) for a in _json(row["authors"])],
        categories=list(_json(row["categories"])),
        submitted=datetime_or_none(row["submitted"]),
        updated=datetime_or_none(row["updated"]),
        announced=date_or_none(row["announced"]),
        announce_type=row["announce_type"],
        doi=row["doi"],
        journal_ref=row["journal_ref"],
        comments=row["comments"],
        license=row["license"],
        links=[Link(kind=link["kind"], url=link["url"]) for link in _json(row["links"])],
        mesh_terms=list(_json(row["mesh_terms"])),
        references=list(_json(row["refs"])),
    )


def merge_announcement(existing: dict[str, Any] | None, paper: Paper) -> Paper:
    """Keep the first announcement of a paper: a later replace must not move its day.

    A record without announcement data (API, snapshot) keeps what a listing stored.
    """
    if existing is None:
        return paper
    old_day = date_or_none(existing.get("announced"))
    if old_day is None:
        return paper
    old_type = existing.get("announce_type")
    if paper.announced is None or paper.announced > old_day:
        paper.announced = old_day
        paper.announce_type = old_type
    elif paper.announced == old_day and _type_rank(old_type) < _type_rank(paper.announce_type):
        # Listed in several categories the same day: 'new' in its primary category
        # wins over 'cross' elsewhere, whichever feed is read first.
        paper.announce_type = old_type
    return paper


_TYPE_RANK = {"new": 0, "cross": 1, "replace-cross": 2, "replace": 3}


def _type_rank(announce_type: str | None) -> int:
    return _TYPE_RANK.get(announce_type or "", 4)


def decide(existing: dict[str, Any] | None, paper: Paper, fp: str) -> str:
    """``added`` | ``updated`` | ``unchanged`` for one incoming record."""
    if existing is None:
        return "added"
    old_version = existing.get("version")
    if old_version is not None and paper.version is not None and paper.version < old_version:
        return "unchanged"  # an older version never overwrites a newer one
    same_announcement = date_or_none(existing.get("announced")) == paper.announced and existing.get(
        "announce_type"
    ) == paper.announce_type
    if existing.get("fingerprint") == fp and same_announcement:
        return "unchanged"
    return "updated"
