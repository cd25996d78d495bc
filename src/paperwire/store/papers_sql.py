"""The papers part: upsert, lookup and deletion of papers, written once for both backends."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from paperwire.models import Paper, UpsertCounts
from paperwire.store.codec import (
    AUTHOR_COLUMNS,
    CATEGORY_COLUMNS,
    PAPER_COLUMNS,
    EncodedPaper,
    author_rows,
    category_rows,
    decide,
    merge_announcement,
    row_to_paper,
)
from paperwire.store.sql import ID_CHUNK, Db, Part, chunks, fetch_count

_UPDATE_PAPER = (  # column names are constants
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in PAPER_COLUMNS if c != "id")
    + ", modified_at = CURRENT_TIMESTAMP"
)


class PaperStore(Protocol):
    """Papers: upsert and lookup."""

    def upsert_papers(self, papers: Iterable[Paper], *, defer_index: bool = False) -> UpsertCounts:
        """Insert or update in one transaction: all of the batch or none of it.

        A newer version replaces an older; an older version never overwrites a newer;
        identical content counts as unchanged. The keyword index is brought up to date
        in the same transaction unless ``defer_index``: bulk imports pass it (indexing
        is the slowest part of a SQLite write) and call ``refresh_keyword_index()`` once
        at the end.
        """
        ...

    def delete_papers(self, paper_ids: Iterable[str]) -> int:
        """Remove these papers and everything hanging off them (categories, authors,
        embeddings, keyword entries) in one transaction; how many existed."""
        ...

    def get_paper(self, paper_id: str) -> Paper | None: ...

    def get_papers(self, paper_ids: list[str]) -> list[Paper]:
        """Papers in the order of ``paper_ids``; unknown ids are left out."""
        ...

    def latest_papers(self, *, limit: int = 50, offset: int = 0) -> list[Paper]: ...

    def paper_ids_by_doi(self, dois: list[str]) -> dict[str, str]:
        """The id of a stored paper for each DOI that one has, keyed by the DOI in
        lower case (DOIs are case-insensitive); through the ``papers_doi`` index."""
        ...

    def count_papers(self, *, source: str | None = None) -> int: ...


class Papers(Part):
    """Papers: upsert, lookup and deletion."""

    def upsert_papers(self, papers: Iterable[Paper], *, defer_index: bool = False) -> UpsertCounts:
        batch: dict[str, Paper] = {}
        for paper in papers:
            batch[paper.id] = paper  # the last record for an id in one batch wins
        if not batch:
            return UpsertCounts()
        counts = {"added": 0, "updated": 0, "unchanged": 0}
        with self.connections.writing() as db:
            existing = self._existing(db, list(batch))
            rows, changed_ids = [], []
            for paper in batch.values():
                old = existing.get(paper.id)
                paper = merge_announcement(old, paper)
                encoded = EncodedPaper(paper)
                outcome = decide(old, paper, encoded.fp)
                counts[outcome] += 1
                if outcome != "unchanged":
                    rows.append(encoded.row())
                    changed_ids.append(paper.id)
            if rows:
                self.dialect.insert_rows(db, "papers", PAPER_COLUMNS, rows, on_conflict=_UPDATE_PAPER)
                self._write_children(db, [batch[i] for i in changed_ids], replace=bool(existing))
                if not defer_index:
                    self.dialect.index_written_papers(db, count=len(rows))
        return UpsertCounts(**counts)

    def _existing(self, db: Db, ids: list[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for part in chunks(ids, ID_CHUNK):
            marks = ", ".join("?" * len(part))
            for row in db.fetchall(
                f"SELECT id, version, fingerprint, announced, announce_type FROM papers WHERE id IN ({marks})",
                part,
            ):
                found[row["id"]] = row
        return found

    def _write_children(self, db: Db, papers: list[Paper], *, replace: bool) -> None:
        """Rows that make filters fast: categories and authors of each paper."""
        ids = [p.id for p in papers]
        if replace:
            for part in chunks(ids, ID_CHUNK):
                marks = ", ".join("?" * len(part))
                db.execute(f"DELETE FROM paper_categories WHERE paper_id IN ({marks})", part)
                db.execute(f"DELETE FROM paper_authors WHERE paper_id IN ({marks})", part)
        self.dialect.insert_rows(
            db, "paper_categories", CATEGORY_COLUMNS, category_rows(papers), on_conflict="ON CONFLICT DO NOTHING"
        )
        self.dialect.insert_rows(
            db, "paper_authors", AUTHOR_COLUMNS, author_rows(papers), on_conflict="ON CONFLICT DO NOTHING"
        )

    def delete_papers(self, paper_ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(paper_ids))
        deleted = 0
        with self.connections.writing() as db:
            for part in chunks(ids, ID_CHUNK):
                marks = ", ".join("?" * len(part))
                deleted += fetch_count(db, f"SELECT count(*) AS n FROM papers WHERE id IN ({marks})", part)
                # categories, authors, embeddings and announcement entries cascade;
                # the keyword index forgets the rows by trigger
                db.execute(f"DELETE FROM papers WHERE id IN ({marks})", part)
        return deleted

    def get_paper(self, paper_id: str) -> Paper | None:
        with self.connections.reading() as db:
            row = db.fetchone("SELECT * FROM papers WHERE id = ?", (paper_id,))
        return row_to_paper(row) if row else None

    def get_papers(self, paper_ids: list[str]) -> list[Paper]:
        by_id: dict[str, Paper] = {}
        with self.connections.reading() as db:
            for part in chunks(paper_ids, ID_CHUNK):
                marks = ", ".join("?" * len(part))
                for row in db.fetchall(f"SELECT * FROM papers WHERE id IN ({marks})", part):
                    by_id[row["id"]] = row_to_paper(row)
        return [by_id[i] for i in paper_ids if i in by_id]

    def latest_papers(self, *, limit: int = 50, offset: int = 0) -> list[Paper]:
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT * FROM papers ORDER BY listed_day DESC NULLS LAST, submitted DESC NULLS LAST, id DESC "
                "LIMIT ? OFFSET ?",
                (limit, offset),
            )
        return [row_to_paper(r) for r in rows]

    def paper_ids_by_doi(self, dois: list[str]) -> dict[str, str]:
        keys = sorted({d.lower() for d in dois})
        found: dict[str, str] = {}
        with self.connections.reading() as db:
            for part in chunks(keys, ID_CHUNK):
                marks = ", ".join("?" * len(part))
                rows = db.fetchall(
                    "SELECT lower(doi) AS doi, id FROM papers "
                    f"WHERE doi IS NOT NULL AND lower(doi) IN ({marks}) ORDER BY id",
                    part,
                )
                for row in rows:
                    found.setdefault(row["doi"], row["id"])
        return found

    def count_papers(self, *, source: str | None = None) -> int:
        with self.connections.reading() as db:
            if source is None:
                return fetch_count(db, "SELECT COUNT(*) AS n FROM papers")
            return fetch_count(db, "SELECT COUNT(*) AS n FROM papers WHERE source = ?", (source,))
