"""SQL shared by both backends. Statements use ``?`` placeholders; PostgreSQL rewrites them.

Backends provide two context managers: ``_reading()`` yields a ``Db`` for reads (parallel
readers) and ``_writing()`` yields one inside a transaction (a single serialized writer on
SQLite). Everything else is written once, here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from paperwire.models import Paper, UpsertCounts
from paperwire.store.codec import (
    PAPER_COLUMNS,
    decide,
    fingerprint,
    merge_announcement,
    paper_to_row,
    row_to_paper,
)


class Db(Protocol):
    """The small surface both drivers are adapted to."""

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]: ...

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...


def author_key(name: str) -> str:
    """Case- and space-insensitive key for author pages and the author filter."""
    return " ".join(name.split()).casefold()


_INSERT_PAPER = (
    f"INSERT INTO papers ({', '.join(PAPER_COLUMNS)}) VALUES ({', '.join('?' * len(PAPER_COLUMNS))}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in PAPER_COLUMNS if c != "id")
    + ", modified_at = CURRENT_TIMESTAMP"
)

_ID_CHUNK = 500  # stay below SQLite's bound-parameter limit


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlStore:
    dialect = "sql"

    def _reading(self) -> AbstractContextManager[Db]:
        raise NotImplementedError

    def _writing(self) -> AbstractContextManager[Db]:
        raise NotImplementedError

    # --- papers -------------------------------------------------------------------
    def upsert_papers(self, papers: Iterable[Paper]) -> UpsertCounts:
        batch: dict[str, Paper] = {}
        for paper in papers:
            batch[paper.id] = paper  # the last record for an id in one batch wins
        if not batch:
            return UpsertCounts()
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        with self._writing() as db:
            existing = self._existing(db, list(batch))
            rows, changed_ids = [], []
            for paper in batch.values():
                old = existing.get(paper.id)
                paper = merge_announcement(old, paper)
                fp = fingerprint(paper)
                outcome = decide(old, paper, fp)
                counts[outcome] += 1
                if outcome != "unchanged":
                    rows.append(paper_to_row(paper, fp=fp))
                    changed_ids.append(paper.id)
            if rows:
                db.executemany(_INSERT_PAPER, rows)
                self._write_children(db, [batch[i] for i in changed_ids], replace=bool(existing))
        return UpsertCounts(**counts)

    def _existing(self, db: Db, ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(ids, _ID_CHUNK):
            marks = ", ".join("?" * len(part))
            for row in db.fetchall(
                f"SELECT id, version, fingerprint, announced, announce_type FROM papers WHERE id IN ({marks})",  # noqa: S608
                part,
            ):
                found[row["id"]] = row
        return found

    def _write_children(self, db: Db, papers: list[Paper], *, replace: bool) -> None:
        """Rows that make filters fast: categories and authors of each paper."""
        ids = [p.id for p in papers]
        if replace:
            for part in chunks(ids, _ID_CHUNK):
                marks = ", ".join("?" * len(part))
                db.execute(f"DELETE FROM paper_categories WHERE paper_id IN ({marks})", part)  # noqa: S608
                db.execute(f"DELETE FROM paper_authors WHERE paper_id IN ({marks})", part)  # noqa: S608
        db.executemany(
            "INSERT INTO paper_categories (paper_id, position, category) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(p.id, i, c) for p in papers for i, c in enumerate(p.categories)],
        )
        db.executemany(
            "INSERT INTO paper_authors (paper_id, position, name, name_key) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [(p.id, i, a.name, author_key(a.name)) for p in papers for i, a in enumerate(p.authors)],
        )

    def get_paper(self, paper_id: str) -> Paper | None:
        with self._reading() as db:
            row = db.fetchone("SELECT * FROM papers WHERE id = ?", (paper_id,))
        return row_to_paper(row) if row else None

    def get_papers(self, paper_ids: list[str]) -> list[Paper]:
        by_id: dict[str, Paper] = {}
        with self._reading() as db:
            for part in chunks(paper_ids, _ID_CHUNK):
                marks = ", ".join("?" * len(part))
                for row in db.fetchall(f"SELECT * FROM papers WHERE id IN ({marks})", part):  # noqa: S608
                    by_id[row["id"]] = row_to_paper(row)
        return [by_id[i] for i in paper_ids if i in by_id]

    def latest_papers(self, *, limit: int = 50, offset: int = 0) -> list[Paper]:
        with self._reading() as db:
            rows = db.fetchall(
                "SELECT * FROM papers ORDER BY COALESCE(announced, submitted) DESC, id DESC "
                "LIMIT ? OFFSET ?",
                (limit, offset),
            )
        return [row_to_paper(r) for r in rows]

    def count_papers(self, *, source: str | None = None) -> int:
        with self._reading() as db:
            if source is None:
                row = db.fetchone("SELECT COUNT(*) AS n FROM papers")
            else:
                row = db.fetchone("SELECT COUNT(*) AS n FROM papers WHERE source = ?", (source,))
        return int(row["n"]) if row else 0


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
