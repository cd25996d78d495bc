"""Search SQL specific to PostgreSQL: the weighted ``tsvector`` keyword index
(migration 0003: ``papers.search_tsv``, a stored generated column with a GIN index, so
it is always current)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from paperwire.models import Hit, KeywordQuery, SearchFilters
from paperwire.store.filters import NO_FILTER, filter_sql
from paperwire.store.search_sql import (
    KeywordOrder,
    keyword_order_sql,
)
from paperwire.store.sql import Db, SqlBase

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


# ts_rank weights are {D, C, B, A}: D unused, C abstract, B authors, A title. Chosen on
# the dev set: ts_rank (term frequency) beat ts_rank_cd (cover density, which suits AND
# queries, not our ranked OR of words) by 0.19 nDCG@10, and these weights beat 4:2:1.
_WEIGHTS = "'{0.0,0.4,0.6,1.0}'::float4[]"


def tsquery_sql(query: KeywordQuery) -> tuple[str, list[Any]]:
    """A tsquery expression built from bound words only: each word goes through
    plainto/phraseto_tsquery, so nothing a user types is read as tsquery syntax."""
    params: list[Any] = []
    anyof = []
    for term in query.any_terms:
        anyof.append("plainto_tsquery('english', ?)")
        params.append(term)
    for prefix in query.prefixes:
        # The parser only lets letters and digits into a word: quoting it is enough.
        anyof.append("to_tsquery('english', ?)")
        params.append(f"'{prefix}':*")
    parts = []
    if anyof:
        parts.append("(" + " || ".join(anyof) + ")")
    for words in query.required:
        parts.append("phraseto_tsquery('english', ?)")
        params.append(" ".join(words))
    for words in query.excluded:
        parts.append("!! phraseto_tsquery('english', ?)")
        params.append(" ".join(words))
    return " && ".join(parts), params


class PostgresSearch(SqlBase):
    """Overrides/extends SearchQueries where postgres differs."""

    # --- keyword -----------------------------------------------------------------------
    def _keyword_sql(
        self,
        query: KeywordQuery,
        *,
        filters: SearchFilters | None,
        limit: int,
        order: KeywordOrder,
    ) -> tuple[str, list[Any]]:
        tsquery, q_params = tsquery_sql(query)
        where, f_params = filter_sql(filters)
        columns, rank = f"{tsquery} AS query", "q.query"
        if query.excluded:
            # ts_rank counts a negated word as one of the query's words: ranked by
            # the rest alone, exclusions only remove papers, as on SQLite and in the
            # hybrid and semantic modes.
            rank_tsquery, r_params = tsquery_sql(replace(query, excluded=()))
            columns, rank = f"{columns}, {rank_tsquery} AS rank", "q.rank"
            q_params = [*q_params, *r_params]
        sql = (
            f"SELECT p.id AS id, ts_rank({_WEIGHTS}, p.search_tsv, {rank}, 0) AS score "
            f"FROM papers p, (SELECT {columns}) q "
            f"WHERE p.search_tsv @@ q.query AND {where} "
            f"ORDER BY {keyword_order_sql(order)} LIMIT ?"
        )
        return sql, [*q_params, *f_params, limit]


    def _constraint_sql(self, query: KeywordQuery, count: int) -> tuple[str, list[Any]]:
        # A tsquery of only negations is valid here: each candidate row's tsvector is
        # tested, the GIN index is not needed.
        tsquery, params = tsquery_sql(
            KeywordQuery(required=query.required, excluded=query.excluded)
        )
        sql = (
            "SELECT p.id AS id FROM papers p "
            f"WHERE p.id IN ({', '.join('?' * count)}) AND p.search_tsv @@ ({tsquery})"
        )
        return sql, params

    # --- embeddings --------------------------------------------------------------------

    def _vector_param(self, vector: np.ndarray) -> Any:
        values = np.asarray(vector, dtype=np.float32).tolist()
        return "[" + (("%.8g," * len(values))[:-1] % tuple(values)) + "]"

    def _vector_placeholder(self) -> str:
        return "?::vector"

    def _vector_column(self) -> str:
        return "vector::real[]"

    def _decode_vector(self, value: Any) -> np.ndarray:
        return np.asarray(value, dtype=np.float32)

    def _after_embeddings_saved(self, db: Db, model: str, dim: int) -> None:
        self.ensure_vector_index_in(db, model, dim)

    def _write_embeddings(
        self, db: Db, model: str, rows: Sequence[tuple[str, str, np.ndarray]]
    ) -> None:
        """COPY into a session temp table, then one DELETE and one INSERT … SELECT:
        a round trip per statement instead of one per row (1M vectors in minutes)."""
        conn = db.conn  # type: ignore[attr-defined]
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS embeddings_in (ord integer, paper_id text, "
            "fingerprint text, vector vector) ON COMMIT DELETE ROWS"
        )
        with conn.cursor() as cur:
            with cur.copy("COPY embeddings_in (ord, paper_id, fingerprint, vector) FROM STDIN") as copy:
                for k, (pid, fp, vec) in enumerate(rows):
                    copy.write_row((k, pid, fp, self._vector_param(vec)))
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

    def ensure_vector_index(self, model: str) -> bool:
        with self._writing() as db:
            dim = self.embedding_dim_in(db, model)  # type: ignore[attr-defined]
            if dim is None:
                return False
            return self.ensure_vector_index_in(db, model, dim)

    def ensure_vector_index_in(self, db: Db, model: str, dim: int) -> bool:
        """pgvector's HNSW index for one model: a partial index on the vectors cast to the
        model's dimension (a column of mixed models has no single dimension).

        Built over existing rows (a deferred bulk load), the graph is built in memory
        when it fits (``maintenance_work_mem`` raised for this transaction, up to
        ``HNSW_BUILD_MEMORY_MAX_MB``) with parallel workers."""
        name = hnsw_index_name(model)
        if db.fetchone("SELECT 1 AS x FROM pg_indexes WHERE indexname = ?", (name,)):
            return False
        row = db.fetchone(
            f"SELECT count(*) AS n FROM paper_embeddings WHERE model = {model_literal(model)}"
        )
        rows = int(row["n"]) if row else 0
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

    def nearest_papers(
        self,
        model: str,
        vector: np.ndarray,
        *,
        limit: int,
        filters: SearchFilters | None = None,
        exclude: Sequence[str] = (),
        min_seq: int | None = None,
    ) -> list[Hit]:
        """pgvector HNSW with iterative scans, so filters never starve the result; the
        planner picks an exact scan when the filters leave few candidates."""
        dim = len(vector)
        where, params = filter_sql(filters)
        join = "" if where == NO_FILTER else " JOIN papers p ON p.id = e.paper_id"
        conds = [f"e.model = {model_literal(model)}", where]
        args: list[Any] = [self._vector_param(vector), *params]
        if min_seq is not None:
            conds.append("e.seq >= ?")
            args.append(min_seq)
        if exclude:
            conds.append(f"e.paper_id NOT IN ({', '.join('?' * len(exclude))})")
            args.extend(exclude)
        args.append(limit)
        ef = min(1000, max(EF_SEARCH_MIN, 2 * limit))
        with self._reading() as db:
            db.fetchone(
                "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', false) AS a, "
                "set_config('hnsw.ef_search', ?, false) AS b",
                (str(ef),),
            )
            rows = db.fetchall(
                f"SELECT e.paper_id, (e.vector::vector({dim})) <=> ?::vector({dim}) AS d "
                f"FROM paper_embeddings e{join} WHERE {' AND '.join(conds)} "
                "ORDER BY d LIMIT ?",
                args,
            )
        hits = [Hit(r["paper_id"], 1.0 - float(r["d"])) for r in rows if r["d"] is not None]
        hits.sort(key=lambda h: (-h.score, h.paper_id))  # relaxed order: re-sort the page
        return hits

    # --- end embeddings -----------------------------------------------------------------
