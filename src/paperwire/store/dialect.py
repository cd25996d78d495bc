"""``Dialect``: every place where SQLite and PostgreSQL do a job differently, one
method or attribute each, so the parts of the store write their own SQL once and ask
the dialect for the rest. ``SqliteDialect`` (``sqlite_dialect.py``: FTS5, sqlite-vec,
the rollback journal of a bulk load) and ``PostgresDialect`` (``postgres_dialect.py``:
``tsvector``, pgvector, ``COPY``) are the two; nothing else branches on the backend.

Where the two share the SQL, it is written here once and only the other overrides it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from paperwire.models import Hit, KeywordQuery, SearchFilters
from paperwire.store.codec import PAPER_COLUMNS
from paperwire.store.filters import NO_FILTER, filter_sql
from paperwire.store.sql import ID_CHUNK, Connections, Db, chunks

KeywordOrder = Literal["relevance", "date"]
Rows = Sequence[Sequence[Any]]  # rows to insert, values in column order

# The tables a bulk load fills, and the insert-time triggers it may drop: they only
# bump the data version, per row on SQLite (one bump at the end replaces them).
# PostgreSQL's fire once per statement (three a batch) and are kept.
BULK_TABLES = ("papers", "paper_categories", "paper_authors")
BULK_DROPPED_TRIGGERS = ("papers_data_version_insert",)

# Keyword ranking, alike on both backends: BM25 as SQLite's FTS5 computes it (``bm25()``,
# whose k1 and b are fixed), with field weights on term frequencies (title > authors >
# abstract). On the dev sets in tests/data/search_dev weights from 2:1:1 to 10:5:1 all
# scored within noise of each other (docs/benchmarks.md).
TITLE_WEIGHT = 4.0
AUTHORS_WEIGHT = 2.0
ABSTRACT_WEIGHT = 1.0
BM25_K1 = 1.2
BM25_B = 0.75


def like_escape(text: str) -> str:
    """``text`` taken literally in a ``LIKE … ESCAPE '\\'`` pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def keyword_order_sql(order: KeywordOrder, *, alias: str = "p") -> str:
    """ORDER BY of a keyword ranking whose score column is ``score``."""
    if order == "date":
        return f"{alias}.listed_day DESC NULLS LAST, score DESC, {alias}.id"
    return f"score DESC, {alias}.id"


@dataclass(frozen=True, slots=True)
class VectorQuery:
    """A nearest-neighbour search (``SearchStore.nearest_papers``) as the search part
    hands it to the dialect."""

    model: str
    vector: np.ndarray
    limit: int
    filters: SearchFilters | None = None
    exclude: Sequence[str] = ()
    min_seq: int | None = None


class Dialect:
    """What differs between the backends. Built with the backend's connections, since
    some differences are whole steps (a COPY, a scratch index), not just SQL text."""

    name = "sql"
    # What the driver raises when a bulk load's batch meets an id already stored, or
    # being stored by a transaction beside it (``BulkLoadStore.bulk_load_writers``).
    bulk_conflict_errors: tuple[type[Exception], ...] = ()
    # How many bulk-load batches may be written at once (one writer on SQLite).
    bulk_load_writers = 1

    def __init__(self, connections: Connections) -> None:
        self.connections = connections

    def close(self) -> None:
        """Release what the dialect opened itself (SQLite's scratch indexes)."""

    # --- writing rows ------------------------------------------------------------------

    def insert_rows(
        self, db: Db, table: str, columns: Sequence[str], rows: Rows, *, on_conflict: str = ""
    ) -> None:
        """Insert ``rows`` into ``table`` in ``db``'s transaction, as one multi-row
        ``INSERT … VALUES … {on_conflict}`` would (all rows or none; statement triggers
        fire once). SQLite runs the prepared statement per row; PostgreSQL copies."""
        if not rows:
            return
        db.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))}) {on_conflict}".rstrip(),
            rows,
        )

    def index_written_papers(self, db: Db, *, count: int) -> None:
        """Called by ``upsert_papers`` in its transaction after writing ``count`` rows,
        so a keyword index that is not kept by triggers stays current (SQLite's FTS5)."""

    # --- bulk load ---------------------------------------------------------------------

    def bulk_writing(self) -> AbstractContextManager[Db]:
        """A write transaction for rows that are consistent by construction (a bulk
        load's papers with their own category and author rows)."""
        return self.connections.writing()

    def bulk_journal(self, *, bulk: bool) -> None:
        """Switch the database's journal for a bulk load (``bulk``) and back."""

    def set_aside_sql(self) -> tuple[str, Sequence[Any]]:
        """A query for ``(name, kind, ddl)`` of what a bulk load sets aside: the
        secondary indexes of ``BULK_TABLES`` (never one that backs a primary key or a
        unique constraint: those decide whether a batch holds a stored id)."""
        raise NotImplementedError

    def exists_sql(self) -> str:
        """A query with one row when the object ``(kind, name)`` exists."""
        raise NotImplementedError

    def before_rebuild(self) -> Sequence[str]:
        """Statements run before a bulk load recreates what it set aside."""
        return ()

    def after_rebuild(self) -> Sequence[str]:
        """Statements run after it (fresh planner statistics, say)."""
        return ()

    def insert_bulk_papers(self, db: Db, rows: Sequence[Sequence[Any]]) -> None:
        """Insert a bulk load's papers rows (``codec.PAPER_COLUMNS`` order)."""
        self.insert_rows(db, "papers", PAPER_COLUMNS, rows)

    # --- keyword search ----------------------------------------------------------------

    def keyword_sql(
        self, query: KeywordQuery, *, filters: SearchFilters | None, limit: int, order: KeywordOrder
    ) -> tuple[str, list[Any]]:
        """A statement selecting ``id`` and ``score`` (higher is better) of the best
        ``limit`` papers matching ``query`` and ``filters``."""
        raise NotImplementedError

    def keyword_allowed(self, ids: Sequence[str], query: KeywordQuery) -> set[str]:
        """Those of ``ids`` (distinct, not empty) that pass the required and excluded
        parts of ``query`` (``SearchStore.keyword_allowed``)."""
        raise NotImplementedError

    def refresh_keyword_index(self, *, limit: int | None) -> int:
        """Index papers written since the last refresh (``SearchStore``)."""
        return 0

    def keyword_backlog(self) -> int:
        return 0

    # --- filters -------------------------------------------------------------------------

    def starts_with(self, column: str, prefix: str) -> tuple[str, list[Any]]:
        """A condition: ``column`` starts with ``prefix`` (taken literally), written so
        an index on the column can answer it where the backend allows."""
        return f"{column} LIKE ? ESCAPE '\\'", [like_escape(prefix) + "%"]

    # --- vectors -------------------------------------------------------------------------

    def vector_candidates(
        self, filters: SearchFilters | None, *, exclude: Sequence[str] = (), min_seq: int | None = None
    ) -> tuple[str, list[str], list[Any]]:
        """The rows of ``paper_embeddings e`` a vector search may return: a join to
        ``papers p`` when the filters need one, the conditions besides the model's, and
        their parameters."""
        where, params = filter_sql(filters, self)
        join = "" if where == NO_FILTER else " JOIN papers p ON p.id = e.paper_id"
        conds = [where]
        if min_seq is not None:
            conds.append("e.seq >= ?")
            params.append(min_seq)
        if exclude:
            conds.append(f"e.paper_id NOT IN ({', '.join('?' * len(exclude))})")
            params.extend(exclude)
        return join, conds, params


    vector_placeholder = "?"  # how a bound vector is written in SQL
    vector_column = "vector"  # the stored vector, selected in the form decode_vector reads

    def unindexed(self, column: str) -> str:
        """``column`` written so the planner will not pick an index on it (SQLite's
        unary ``+``): a lookup by another key is then used."""
        return column

    def indexed_by(self, table: str, index: str) -> str:
        """``table`` in a FROM clause, read through ``index`` (SQLite's ``INDEXED BY``,
        which fails the statement rather than scan otherwise). For a partial index that
        SQLite, without table statistics, would pass over for a plain column's index;
        PostgreSQL's planner has statistics and is left to choose."""
        return table

    def vector_param(self, vector: np.ndarray) -> Any:
        raise NotImplementedError

    def decode_vector(self, value: Any) -> np.ndarray:
        raise NotImplementedError

    def write_embeddings(self, db: Db, model: str, rows: Sequence[tuple[str, str, np.ndarray]]) -> None:
        """Replace the rows' vectors (in the order given, so ``seq`` follows it);
        papers deleted meanwhile are skipped."""
        ids = [r[0] for r in rows]
        for part in chunks(ids, ID_CHUNK):
            marks = ", ".join("?" * len(part))
            db.execute(
                f"DELETE FROM paper_embeddings WHERE model = ? AND paper_id IN ({marks})",
                [model, *part],
            )
        db.executemany(
            "INSERT INTO paper_embeddings (paper_id, model, fingerprint, vector) "
            f"SELECT ?, ?, ?, {self.vector_placeholder} WHERE EXISTS (SELECT 1 FROM papers WHERE id = ?)",
            [(pid, model, fp, self.vector_param(vec), pid) for pid, fp, vec in rows],
        )

    def ensure_vector_index(self, db: Db, model: str, dim: int) -> bool:
        """Build the model's in-database vector index if missing; True if built."""
        return False

    def nearest_papers(self, query: VectorQuery) -> list[Hit]:
        """``SearchStore.nearest_papers``: the search itself differs (an exact scan
        with sqlite-vec, pgvector's HNSW index with its settings)."""
        raise NotImplementedError
