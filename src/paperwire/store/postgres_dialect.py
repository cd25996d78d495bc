"""``PostgresDialect``: what PostgreSQL does its own way. The weighted ``tsvector``
keyword index (migration 0003: ``papers.search_tsv``, a stored generated column with a
GIN index, so it is always current), pgvector's HNSW indexes, rows written by ``COPY``,
and what a bulk load sets aside and rebuilds."""

from __future__ import annotations

import hashlib
import os
import re
import zlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import psycopg

from paperwire.models import Hit, KeywordQuery, SearchFilters
from paperwire.store.dialect import (
    ABSTRACT_WEIGHT,
    AUTHORS_WEIGHT,
    BM25_B,
    BM25_K1,
    BULK_TABLES,
    TITLE_WEIGHT,
    Dialect,
    KeywordOrder,
    Rows,
    VectorQuery,
    keyword_order_sql,
)
from paperwire.store.filters import filter_sql
from paperwire.store.postgres import PostgresDb
from paperwire.store.sql import ID_CHUNK, Db, chunks, fetch_count

_MODEL_NAME = re.compile(r"[A-Za-z0-9_.:/+@=\-]+")
# Building an HNSW index over existing rows: memory for the graph (pgvector falls back
# to a much slower build when it does not fit) and parallel workers besides the leader.
HNSW_BUILD_MEMORY_MAX_MB = 4096
HNSW_BUILD_WORKERS = max(1, min(7, (os.cpu_count() or 2) - 1))
EF_SEARCH_MIN = 100  # pgvector's default 40 misses recall@10 >= 0.95 on real embeddings


def model_literal(model: str) -> str:
    """The model as an SQL literal. It is spelled into the query (not bound) so the
    planner can match the model's partial HNSW index; names are checked, not trusted."""
    if not _MODEL_NAME.fullmatch(model):
        raise ValueError(f"unsupported embedding model name {model!r}")
    return "'" + model + "'"


def hnsw_index_name(model: str) -> str:
    return "paper_embeddings_hnsw_" + hashlib.blake2b(model.encode(), digest_size=6).hexdigest()


# Keyword ranking is BM25 as SQLite's FTS5 computes it, so both backends rank alike
# (dialect.py). ``ts_rank``, used before, has no idf and no length normalisation: on the
# harder dev set it scored 0.508 / 0.564 nDCG@10 (tuning / held-out) against FTS5's
# 0.604 / 0.651; this BM25 scores 0.622 / 0.643 (docs/benchmarks.md).
# ts_rank_cd of a one-term tsquery with normalisation 0 is the sum, over the term's
# occurrences, of the weight of the field each is in ({D, C, B, A}: abstract C, authors
# B, title A; at most 1 each): scaled by the title's weight, the term frequency weighted
# as FTS5 weighs it.
_TF_SCALE = TITLE_WEIGHT
_TF_WEIGHTS = "'{{{0},{0},{1},1.0}}'::float4[]".format(
    ABSTRACT_WEIGHT / TITLE_WEIGHT, AUTHORS_WEIGHT / TITLE_WEIGHT
)
# The corpus size for idf: the planner's row estimate (kept by ANALYZE and autovacuum),
# counted exactly only while the table has never been analysed (then it is small or new).
_CORPUS_SIZE = (
    "(SELECT CASE WHEN c.reltuples > 0 THEN c.reltuples::float8 "
    "ELSE (SELECT count(*) FROM papers)::float8 END FROM pg_class c WHERE c.oid = 'papers'::regclass)"
)


def tsquery_sql(query: KeywordQuery) -> tuple[str, list[Any]]:
    """A tsquery expression built from bound words only: each word goes through
    plainto/phraseto_tsquery, so nothing a user types is read as tsquery syntax."""
    params: list[Any] = []
    parts = []
    if query.match_all:  # each group of alternatives must match
        groups = [
            ([w for w in group if not w.endswith("*")], [w[:-1] for w in group if w.endswith("*")])
            for group in query.alternatives
        ]
    else:
        groups = [(list(query.any_terms), list(query.prefixes))]
    for terms, prefixes in groups:
        anyof = []
        for term in terms:
            anyof.append("plainto_tsquery('english', ?)")
            params.append(term)
        for prefix in prefixes:
            # The parser only lets letters and digits into a word: quoting it is enough.
            anyof.append("to_tsquery('english', ?)")
            params.append(f"'{prefix}':*")
        if anyof:
            parts.append("(" + " || ".join(anyof) + ")")
    for words in query.required:
        parts.append("phraseto_tsquery('english', ?)")
        params.append(" ".join(words))
    for words in query.excluded:
        parts.append("!! phraseto_tsquery('english', ?)")
        params.append(" ".join(words))
    return " && ".join(parts), params


def rank_units(query: KeywordQuery) -> list[tuple[str, str]]:
    """The parts a paper is scored on, as FTS5 scores the phrases of its MATCH
    expression: each ranked word, each prefix, each required phrase (exclusions only
    remove papers). ``(tsquery expression with one placeholder, its value)``."""
    units = [("plainto_tsquery('english', ?)", term) for term in query.any_terms]
    # The parser only lets letters and digits into a word: quoting it is enough.
    units += [("to_tsquery('english', ?)", f"'{prefix}':*") for prefix in query.prefixes]
    units += [("phraseto_tsquery('english', ?)", " ".join(words)) for words in query.required]
    return units


def bm25_sql(units: int) -> str:
    """FTS5's bm25 over the columns of ``m`` (``dl``, ``f<i>``: weighted frequency of
    unit i) and ``c`` (``docs``, ``avgdl``, ``n<i>``: papers holding unit i).

    Document frequencies and the average length are those of the matching papers, read
    in the same pass: for a query of ranked words every paper holding a word matches,
    so ``n<i>`` is the word's document frequency in the corpus (within the filters). A
    document's length is its number of distinct indexed words, which the ``tsvector``
    holds (FTS5 counts every token; a stored count would need another column)."""
    if units == 0:
        return "0.0"
    terms = []
    for i in range(units):
        idf = f"greatest(ln((c.docs - c.n{i} + 0.5) / (c.n{i} + 0.5)), 1e-6)"
        norm = f"{BM25_K1} * (1 - {BM25_B} + {BM25_B} * m.dl / c.avgdl)"
        terms.append(f"{idf} * m.f{i} * {BM25_K1 + 1} / (m.f{i} + {norm})")
    return " + ".join(terms)


def _raw(db: Db) -> psycopg.Connection[Any]:
    """The psycopg connection under ``db``, for what needs more than statements (COPY)."""
    if not isinstance(db, PostgresDb):
        raise TypeError(f"a PostgreSQL store was handed {type(db).__name__}")
    return db.conn


def _copy_in(cur: psycopg.Cursor[Any], table: str, columns: str, rows: Sequence[Sequence[Any]]) -> None:
    with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


class PostgresDialect(Dialect):
    name = "postgresql"
    # Two batches holding two shared ids in crossed order deadlock: one is aborted,
    # and is then written by upserts like any batch that met a stored id.
    bulk_conflict_errors = (psycopg.IntegrityError, psycopg.errors.DeadlockDetected)
    # The server's work per row (the generated keyword ``tsvector`` above all) is the
    # larger share of a bulk load: two writers use both cores.
    bulk_load_writers = 2

    # --- writing rows ------------------------------------------------------------------

    def insert_rows(
        self, db: Db, table: str, columns: Sequence[str], rows: Rows, *, on_conflict: str = ""
    ) -> None:
        """Rows go in by COPY, not a statement per row: per-row statements each fire the
        statement-level data-version trigger (an UPDATE of one row, thousands of times
        per transaction) and cost a server parse/plan/execute each (docs/benchmarks.md).
        Without ``on_conflict`` straight into the table (all rows or none, statement
        triggers once, as one INSERT); with it, COPY into a temporary staging table
        (one per table and column list and session, emptied on commit), then one
        ``INSERT … SELECT … {on_conflict}``."""
        if not rows:
            return
        conn = _raw(db)
        names = ", ".join(columns)
        with conn.transaction(), conn.cursor() as cur:  # COPY and INSERT together
            if not on_conflict:
                _copy_in(cur, table, names, rows)
                return
            stage = f"_stage_{table}_{zlib.crc32(names.encode()):08x}"
            cur.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                f"SELECT {names} FROM {table} WITH NO DATA"
            )
            cur.execute(f"TRUNCATE {stage}")  # an earlier statement of this transaction
            _copy_in(cur, stage, names, rows)
            cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} {on_conflict}")

    # --- bulk load ---------------------------------------------------------------------

    def set_aside_sql(self) -> tuple[str, Sequence[Any]]:
        return (
            "SELECT i.relname AS name, 'index' AS kind, pg_get_indexdef(i.oid) AS ddl "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_class t ON t.oid = x.indrelid "
            f"WHERE t.relname IN ({', '.join('?' * len(BULK_TABLES))}) AND pg_table_is_visible(t.oid) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            BULK_TABLES,
        )

    def exists_sql(self) -> str:
        return (
            "SELECT 1 AS one FROM pg_class WHERE 'index' = ? AND relname = ? "
            "AND pg_table_is_visible(oid)"
        )

    def before_rebuild(self) -> Sequence[str]:
        # At least 256 MB of sort memory for the index builds (the GIN keyword index
        # above all), in this transaction only.
        return (
            "SELECT set_config('maintenance_work_mem', '256MB', true) "
            "WHERE pg_size_bytes(current_setting('maintenance_work_mem')) < pg_size_bytes('256MB')",
        )

    def after_rebuild(self) -> Sequence[str]:
        # Fresh planner statistics for tables that went from empty to full (autovacuum
        # would get there, later).
        return (f"ANALYZE {', '.join(BULK_TABLES)}",)

    # --- keyword search ----------------------------------------------------------------

    def keyword_sql(
        self, query: KeywordQuery, *, filters: SearchFilters | None, limit: int, order: KeywordOrder
    ) -> tuple[str, list[Any]]:
        """BM25 (``bm25_sql``) over every paper the GIN index finds for the query.

        The query sits in a materialised CTE, so the planner cannot see how common its
        words are and always reads the matches through the index (a visible constant
        let it pick a sequential scan of the table for a long query). Each match's
        ``tsvector`` is read out of TOAST once (``setweight`` of no lexemes returns it
        as an in-memory copy, behind an ``OFFSET 0`` fence so the copy is not inlined
        into each use): one ``ts_rank_cd`` per ranked word would otherwise fetch it
        again each time (1.7× slower on 11-word queries at 50,000 papers).

        Exclusions only remove papers: the statistics are those of the matches of the
        rest of the query, as FTS5's are of the whole index, so a paper's score does not
        depend on what else a query excludes."""
        tsquery, q_params = tsquery_sql(replace(query, excluded=()))
        where, f_params = filter_sql(filters, self)
        units = rank_units(query)
        unit_columns = "".join(f", {expr} AS u{i}" for i, (expr, _) in enumerate(units))
        kept = "true"
        if query.excluded:
            excluded, x_params = tsquery_sql(KeywordQuery(excluded=query.excluded))
            unit_columns += f", {excluded} AS keep"
            kept = "x.tsv @@ q.keep"
        else:
            x_params = []
        tf_columns = "".join(
            f", {_TF_SCALE} * ts_rank_cd({_TF_WEIGHTS}, x.tsv, q.u{i}, 0) AS f{i}"
            for i in range(len(units))
        )
        df_columns = "".join(
            f", count(*) FILTER (WHERE f{i} > 0) AS n{i}" for i in range(len(units))
        )
        matches = (
            "SELECT p.id, p.listed_day, setweight(p.search_tsv, 'A', '{}'::text[]) AS tsv "
            f"FROM papers p, q WHERE p.search_tsv @@ q.query AND {where} OFFSET 0"
        )
        sql = (
            f"WITH q AS MATERIALIZED (SELECT {tsquery} AS query{unit_columns}), "
            f"m AS MATERIALIZED (SELECT x.id, x.listed_day, {kept} AS kept, "
            f"length(x.tsv) AS dl{tf_columns} FROM ({matches}) x, q), "
            f"c AS (SELECT greatest({_CORPUS_SIZE}, count(*)) AS docs, "
            f"greatest(avg(dl), 1) AS avgdl{df_columns} FROM m) "
            f"SELECT m.id AS id, {bm25_sql(len(units))} AS score FROM m, c WHERE m.kept "
            f"ORDER BY {keyword_order_sql(order, alias='m')} LIMIT ?"
        )
        return sql, [*q_params, *(value for _, value in units), *x_params, *f_params, limit]

    def keyword_allowed(self, ids: Sequence[str], query: KeywordQuery) -> set[str]:
        # A tsquery of only negations is valid here: each candidate row's tsvector is
        # tested, the GIN index is not needed.
        tsquery, params = tsquery_sql(
            KeywordQuery(required=query.required, excluded=query.excluded)
        )
        found: set[str] = set()
        with self.connections.reading() as db:
            for part in chunks(ids, ID_CHUNK):
                found.update(
                    row["id"]
                    for row in db.fetchall(
                        "SELECT p.id AS id FROM papers p "
                        f"WHERE p.id IN ({', '.join('?' * len(part))}) AND p.search_tsv @@ ({tsquery})",
                        [*part, *params],
                    )
                )
        return found

    # --- vectors -------------------------------------------------------------------------

    vector_placeholder = "?::vector"
    vector_column = "vector::real[]"

    def vector_param(self, vector: np.ndarray) -> Any:
        values = np.asarray(vector, dtype=np.float32).tolist()
        return "[" + (("%.8g," * len(values))[:-1] % tuple(values)) + "]"

    def decode_vector(self, value: Any) -> np.ndarray:
        return np.asarray(value, dtype=np.float32)

    def write_embeddings(self, db: Db, model: str, rows: Sequence[tuple[str, str, np.ndarray]]) -> None:
        """COPY into a session temp table, then one DELETE and one INSERT … SELECT:
        a round trip per statement instead of one per row (1M vectors in minutes)."""
        conn = _raw(db)
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS embeddings_in (ord integer, paper_id text, "
            "fingerprint text, vector vector) ON COMMIT DELETE ROWS"
        )
        with conn.cursor() as cur:
            _copy_in(
                cur,
                "embeddings_in",
                "ord, paper_id, fingerprint, vector",
                [(k, pid, fp, self.vector_param(vec)) for k, (pid, fp, vec) in enumerate(rows)],
            )
            cur.execute(
                "DELETE FROM paper_embeddings e USING embeddings_in s "
                "WHERE e.model = %s AND e.paper_id = s.paper_id",
                (model,),
            )
            cur.execute(
                "INSERT INTO paper_embeddings (paper_id, model, fingerprint, vector) "
                "SELECT s.paper_id, %s, s.fingerprint, s.vector FROM embeddings_in s "
                "WHERE EXISTS (SELECT 1 FROM papers p WHERE p.id = s.paper_id) ORDER BY s.ord",
                (model,),
            )
            cur.execute("TRUNCATE embeddings_in")  # a nested caller may write again

    def ensure_vector_index(self, db: Db, model: str, dim: int) -> bool:
        """pgvector's HNSW index for one model: a partial index on the vectors cast to the
        model's dimension (a column of mixed models has no single dimension).

        Built over existing rows (a deferred bulk load), the graph is built in memory
        when it fits (``maintenance_work_mem`` raised for this transaction, up to
        ``HNSW_BUILD_MEMORY_MAX_MB``) with parallel workers."""
        name = hnsw_index_name(model)
        if db.fetchone("SELECT 1 AS x FROM pg_indexes WHERE indexname = ?", (name,)):
            return False
        rows = fetch_count(
            db, f"SELECT count(*) AS n FROM paper_embeddings WHERE model = {model_literal(model)}"
        )
        if rows >= 10_000:
            need_mb = min(HNSW_BUILD_MEMORY_MAX_MB, 64 + rows * (4 * dim + 600) // (1 << 20))
            db.fetchone(
                "SELECT set_config('maintenance_work_mem', ?, true) AS a, "
                "set_config('max_parallel_maintenance_workers', ?, true) AS b",
                (f"{need_mb}MB", str(HNSW_BUILD_WORKERS)),
            )
        db.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON paper_embeddings "
            f"USING hnsw ((vector::vector({int(dim)})) vector_cosine_ops) "
            f"WITH (m = 16, ef_construction = 128) WHERE model = {model_literal(model)}"
        )
        return True

    def nearest_papers(self, query: VectorQuery) -> list[Hit]:
        """pgvector HNSW with iterative scans, so filters never starve the result; the
        planner picks an exact scan when the filters leave few candidates."""
        dim = len(query.vector)
        join, conds, params = self.vector_candidates(
            query.filters, exclude=query.exclude, min_seq=query.min_seq
        )
        ef = min(1000, max(EF_SEARCH_MIN, 2 * query.limit))
        with self.connections.reading() as db:
            db.fetchone(
                "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', false) AS a, "
                "set_config('hnsw.ef_search', ?, false) AS b",
                (str(ef),),
            )
            rows = db.fetchall(
                f"SELECT e.paper_id, (e.vector::vector({dim})) <=> ?::vector({dim}) AS d "
                f"FROM paper_embeddings e{join} "
                f"WHERE {' AND '.join([f'e.model = {model_literal(query.model)}', *conds])} "
                "ORDER BY d LIMIT ?",
                [self.vector_param(query.vector), *params, query.limit],
            )
        hits = [Hit(r["paper_id"], 1.0 - float(r["d"])) for r in rows if r["d"] is not None]
        hits.sort(key=lambda h: (-h.score, h.paper_id))  # relaxed order: re-sort the page
        return hits
