"""``SqliteDialect``: what SQLite does its own way. The FTS5 keyword index (migration
0003), exact vector search with sqlite-vec, and a bulk load's rollback journal and
foreign-key switch.

Why batched indexing, not per-row triggers: tokenising a title + abstract costs FTS5
about 100 µs, several times the rest of an insert (``bench/keyword_ingest.py``), and a
per-row trigger measured slower still than one set-based statement per batch. So rows
are written first and indexed by ``INSERT … SELECT`` over the rowids past a high-water
mark: in the same transaction for an ordinary ``upsert_papers``, once at the end for a
bulk import (``refresh_keyword_index``). Updates/deletes of indexed rows are handled by
triggers, which alone still see the text that was indexed.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import orjson

from paperwire.models import Hit, KeywordQuery, SearchFilters
from paperwire.store.codec import PAPER_COLUMNS
from paperwire.store.dialect import (
    ABSTRACT_WEIGHT,
    AUTHORS_WEIGHT,
    BULK_DROPPED_TRIGGERS,
    BULK_TABLES,
    TITLE_WEIGHT,
    Dialect,
    KeywordOrder,
    VectorQuery,
    keyword_order_sql,
)
from paperwire.store.filters import NO_FILTER, filter_sql
from paperwire.store.sql import ID_CHUNK, Db, chunks, fetch_count
from paperwire.store.sqlite import SqliteConnections

_TABLE_MARKS = ", ".join("?" * len(BULK_TABLES))
_GLOB_SPECIAL = re.compile(r"[*?\[]")

# Must produce exactly what migration 0003's triggers present on delete.
_AUTHORS_TEXT = "(SELECT group_concat(j.value ->> 'name', ' ') FROM json_each(p.authors) AS j)"
_FTS_VALUES = f"p.rowid, p.title, {_AUTHORS_TEXT}, p.abstract"
_INSERT_FTS = "INSERT INTO papers_fts (rowid, title, authors, abstract) "
_INSERT_NUMBERED_PAPER = (  # column names are constants
    f"INSERT INTO papers (rowid, {', '.join(PAPER_COLUMNS)}) "
    f"VALUES ({', '.join('?' * (len(PAPER_COLUMNS) + 1))})"
)
_MARK = "papers_fts_rowid"
_TITLE, _AUTHORS, _ABSTRACT = (PAPER_COLUMNS.index(c) for c in ("title", "authors", "abstract"))
_RANK = f"-bm25(papers_fts, {TITLE_WEIGHT}, {AUTHORS_WEIGHT}, {ABSTRACT_WEIGHT})"
REFRESH_CHUNK = 10_000  # rows per transaction when catching up, so writers are not held long
UPSERT_CATCHUP = 2_000  # backlog an ordinary upsert also indexes beyond its own rows


def _authors_text(authors_json: str) -> str:
    """What ``_FTS_VALUES`` derives from the JSON column: the names, space-separated."""
    return " ".join(a["name"] for a in orjson.loads(authors_json))


def _indexed_up_to(db: Db) -> int:
    """The keyword index's mark: every rowid up to it is indexed (or in search_pending)."""
    row = db.fetchone("SELECT value FROM search_state WHERE name = ?", (_MARK,))
    return int(row["value"]) if row else 0


def _set_indexed_up_to(db: Db, rowid: int) -> None:
    db.execute(
        "INSERT INTO search_state (name, value) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (_MARK, rowid),
    )


def fts_phrase(words: tuple[str, ...]) -> str:
    """One FTS5 string: its words are matched as a phrase, never read as syntax."""
    return '"' + " ".join(w.replace('"', '""') for w in words) + '"'


def _fts_term(word: str) -> str:
    """A word of a group of alternatives; a trailing "*" (a prefix) is kept out of the quotes."""
    if word.endswith("*"):
        return fts_phrase((word[:-1],)) + " *"
    return fts_phrase((word,))


def fts_expression(query: KeywordQuery) -> str:
    """The MATCH expression: (any of the terms) AND each required part, NOT excluded;
    with ``match_all``, each group of alternatives in place of any of the terms."""
    parts = []
    if query.match_all:
        parts += ["(" + " OR ".join(_fts_term(w) for w in group) + ")" for group in query.alternatives]
    else:
        anyof = [fts_phrase((t,)) for t in query.any_terms]
        anyof += [fts_phrase((p,)) + " *" for p in query.prefixes]
        if anyof:
            parts.append("(" + " OR ".join(anyof) + ")")
    parts += [fts_phrase(words) for words in query.required]
    expression = " AND ".join(parts)
    if query.excluded:
        excluded = " OR ".join(fts_phrase(words) for words in query.excluded)
        expression = f"({expression}) NOT ({excluded})"
    return expression


class SqliteDialect(Dialect):
    name = "sqlite"
    bulk_conflict_errors = (sqlite3.IntegrityError,)

    def __init__(self, connections: SqliteConnections) -> None:
        super().__init__(connections)
        self.sqlite = connections

    # --- writing rows ------------------------------------------------------------------

    def index_written_papers(self, db: Db, *, count: int) -> None:
        self._refresh_keyword(db, limit=count + UPSERT_CATCHUP)

    # --- bulk load ---------------------------------------------------------------------

    @contextmanager
    def bulk_writing(self) -> Iterator[Db]:
        # Each child row's parent lookup cost ~2.5 µs a paper in a bulk load, and cannot
        # fail there: the children come from the same papers, inserted first. The
        # pragma is ignored inside a transaction, hence set around it, under the lock.
        with self.sqlite.write_lock:
            conn = self.sqlite.writer
            nested = conn.in_transaction
            if not nested:
                conn.execute("PRAGMA foreign_keys=OFF")
            try:
                with self.sqlite.writing() as db:
                    yield db
            finally:
                if not nested:
                    conn.execute("PRAGMA foreign_keys=ON")

    def bulk_journal(self, *, bulk: bool) -> None:
        # A bulk load fills new pages at the end of the file. A rollback journal writes
        # each of them once (pages the file did not have need no undo copy), where WAL
        # writes every page twice, to the log and again at the checkpoint: ~6 µs a
        # paper (docs/benchmarks.md). The switch needs the file to itself: while another
        # connection has it open SQLite refuses ("database is locked") and the load
        # runs in WAL as before; the next connection opened puts WAL back in any case.
        with self.sqlite.write_lock:
            try:
                self.sqlite.writer.execute(f"PRAGMA journal_mode={'DELETE' if bulk else 'WAL'}")
            except sqlite3.OperationalError:
                pass

    def set_aside_sql(self) -> tuple[str, Sequence[Any]]:
        # SQLite's per-row data-version insert trigger goes too: one bump at the end.
        return (
            "SELECT name, type AS kind, sql AS ddl FROM sqlite_master "
            f"WHERE tbl_name IN ({_TABLE_MARKS}) AND sql IS NOT NULL "
            "AND (type = 'index' OR (type = 'trigger' AND name IN "
            f"({', '.join('?' * len(BULK_DROPPED_TRIGGERS))})))",
            (*BULK_TABLES, *BULK_DROPPED_TRIGGERS),
        )

    def exists_sql(self) -> str:
        return "SELECT 1 AS one FROM sqlite_master WHERE type = ? AND name = ?"

    def insert_bulk_papers(self, db: Db, rows: Sequence[Sequence[Any]]) -> None:
        # Rowids are given, so the keyword index is filled in the load's own transaction
        # while the other core converts the next batch, instead of in one pass at the
        # end (the texts come from Python, which is also cheaper than json_each); only
        # when everything below is indexed, so the mark keeps meaning "every rowid up to
        # here" (else the refresh at the end catches up).
        top = db.fetchone("SELECT coalesce(max(rowid), 0) AS top FROM papers")
        first = int(top["top"] if top else 0) + 1
        db.executemany(_INSERT_NUMBERED_PAPER, [(first + i, *row) for i, row in enumerate(rows)])
        if _indexed_up_to(db) != first - 1:
            return
        if db.fetchone("SELECT 1 AS one FROM search_pending LIMIT 1"):
            return
        db.executemany(
            _INSERT_FTS + "VALUES (?, ?, ?, ?)",
            [
                (first + i, row[_TITLE], _authors_text(row[_AUTHORS]), row[_ABSTRACT])
                for i, row in enumerate(rows)
            ],
        )
        _set_indexed_up_to(db, first + len(rows) - 1)

    # --- keyword search ----------------------------------------------------------------

    def keyword_sql(
        self, query: KeywordQuery, *, filters: SearchFilters | None, limit: int, order: KeywordOrder
    ) -> tuple[str, list[Any]]:
        where, params = filter_sql(filters, self)
        if where == NO_FILTER and order == "relevance":
            # Rank inside the FTS5 table first and read only the top rows of ``papers``:
            # joining every match first cost one random read of a large row per match
            # (8,000 matches at 1M papers: ~170 ms against ~35 ms; docs/benchmarks.md).
            # Equal scores are ordered by id among the rows kept.
            sql = (
                "SELECT p.id AS id, r.score AS score FROM "
                f"(SELECT rowid, {_RANK} AS score FROM papers_fts WHERE papers_fts MATCH ? "
                "ORDER BY score DESC LIMIT ?) AS r "
                "JOIN papers p ON p.rowid = r.rowid ORDER BY r.score DESC, p.id"
            )
            return sql, [fts_expression(query), limit]
        sql = (
            f"SELECT p.id AS id, {_RANK} AS score "
            "FROM papers_fts JOIN papers p ON p.rowid = papers_fts.rowid "
            f"WHERE papers_fts MATCH ? AND {where} "
            f"ORDER BY {keyword_order_sql(order)} LIMIT ?"
        )
        return sql, [fts_expression(query), *params, limit]

    def keyword_allowed(self, ids: Sequence[str], query: KeywordQuery) -> set[str]:
        """The candidates' texts are indexed afresh in a private in-memory FTS5 table
        made like ``papers_fts`` (same columns, same tokenizer), and the constraints
        matched there, in one statement. Probing ``papers_fts`` itself at each
        candidate costs FTS5 a posting-list seek per phrase, candidate and index
        segment (20 exclusions, 50 candidates, 20k papers: ~50 ms against ~2 ms)."""
        rows: list[dict[str, Any]] = []
        with self.sqlite.reading() as db:
            for part in chunks(ids, ID_CHUNK):
                rows += db.fetchall(
                    f"SELECT p.id AS id, p.title AS title, {_AUTHORS_TEXT} AS authors, "
                    f"p.abstract AS abstract FROM papers p WHERE p.id IN ({', '.join('?' * len(part))})",
                    part,
                )
        if query.required:  # FTS5 has no NOT on its own: else match the excluded parts
            expression = fts_expression(
                KeywordQuery(required=query.required, excluded=query.excluded)
            )
        else:
            expression = " OR ".join(fts_phrase(words) for words in query.excluded)
        scratch = self._candidate_index()
        scratch.execute("BEGIN")
        try:
            scratch.executemany(
                "INSERT INTO candidates (rowid, title, authors, abstract) VALUES (?, ?, ?, ?)",
                [(k, r["title"], r["authors"], r["abstract"]) for k, r in enumerate(rows)],
            )
            matched = {
                rows[hit[0]]["id"]
                for hit in scratch.execute(
                    "SELECT rowid FROM candidates WHERE candidates MATCH ?", (expression,)
                )
            }
        finally:
            scratch.execute("ROLLBACK")  # the table is empty again for the next call
        return matched if query.required else {r["id"] for r in rows} - matched

    def _candidate_index(self) -> sqlite3.Connection:
        return self.sqlite.scratch(self._declare_candidates)

    def _declare_candidates(self, scratch: sqlite3.Connection) -> None:
        """An empty FTS5 table ``candidates`` declared like ``papers_fts`` (read from the
        schema, not repeated here, so both tokenize and stem alike)."""
        with self.sqlite.reading() as db:
            row = db.fetchone(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'papers_fts'"
            )
        if row is None:
            raise RuntimeError("the keyword index papers_fts is missing: run `paperwire db upgrade`")
        declaration = row["sql"].split(" USING ", 1)[1]
        scratch.execute(f"CREATE VIRTUAL TABLE candidates USING {declaration}")

    def _refresh_keyword(self, db: Db, *, limit: int) -> int:
        mark = _indexed_up_to(db)
        done = fetch_count(db, "SELECT count(*) AS n FROM search_pending")
        if done:
            db.execute(
                _INSERT_FTS
                + f"SELECT {_FTS_VALUES} FROM search_pending s JOIN papers p ON p.rowid = s.doc"
            )
            db.execute("DELETE FROM search_pending")
        top = db.fetchone(
            "SELECT max(r) AS top, count(*) AS n FROM "
            "(SELECT rowid AS r FROM papers WHERE rowid > ? ORDER BY rowid LIMIT ?)",
            (mark, limit),
        )
        if top and top["n"]:
            db.execute(
                _INSERT_FTS + f"SELECT {_FTS_VALUES} FROM papers p WHERE p.rowid > ? AND p.rowid <= ?",
                (mark, top["top"]),
            )
            _set_indexed_up_to(db, int(top["top"]))
            done += int(top["n"])
        return done

    def refresh_keyword_index(self, *, limit: int | None) -> int:
        total = 0
        while limit is None or total < limit:
            chunk = REFRESH_CHUNK if limit is None else min(REFRESH_CHUNK, limit - total)
            with self.sqlite.writing() as db:
                done = self._refresh_keyword(db, limit=chunk)
            total += done
            if done < chunk:
                break
        return total

    def keyword_backlog(self) -> int:
        with self.sqlite.reading() as db:
            return fetch_count(
                db,
                "SELECT (SELECT count(*) FROM papers WHERE rowid > "
                "coalesce((SELECT value FROM search_state WHERE name = ?), 0)) "
                "+ (SELECT count(*) FROM search_pending) AS n",
                (_MARK,),
            )

    # --- filters -------------------------------------------------------------------------

    def starts_with(self, column: str, prefix: str) -> tuple[str, list[Any]]:
        # GLOB is case-sensitive, so SQLite answers it from a BINARY index by a range;
        # LIKE (case-insensitive) would scan the whole index.
        return f"{column} GLOB ?", [_GLOB_SPECIAL.sub(r"[\g<0>]", prefix) + "*"]

    # --- vectors -------------------------------------------------------------------------

    def unindexed(self, column: str) -> str:
        return "+" + column

    def indexed_by(self, table: str, index: str) -> str:
        return f"{table} INDEXED BY {index}"

    def vector_param(self, vector: np.ndarray) -> Any:
        return np.ascontiguousarray(vector, dtype=np.float32).tobytes()

    def decode_vector(self, value: Any) -> np.ndarray:
        return np.frombuffer(value, dtype=np.float32).copy()

    def nearest_papers(self, query: VectorQuery) -> list[Hit]:
        """Exact: sqlite-vec's distance over every candidate row (filters first)."""
        join, conds, params = self.vector_candidates(
            query.filters, exclude=query.exclude, min_seq=query.min_seq
        )
        # Newer rows only (what an ANN file does not cover yet): walk the seq key, not
        # the model index.
        model_is = "e.model = ?" if query.min_seq is None else f"{self.unindexed('e.model')} = ?"
        with self.sqlite.reading() as db:
            rows = db.fetchall(
                "SELECT e.paper_id, vec_distance_cosine(e.vector, ?) AS d "
                f"FROM paper_embeddings e{join} WHERE {' AND '.join([model_is, *conds])} "
                "ORDER BY d, e.paper_id LIMIT ?",
                [self.vector_param(query.vector), query.model, *params, query.limit],
            )
        return [Hit(r["paper_id"], 1.0 - float(r["d"])) for r in rows if r["d"] is not None]
