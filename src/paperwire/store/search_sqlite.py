"""Search SQL specific to sqlite (keyword index syntax, vector index). Owned by issue 4."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from paperwire.models import Hit, SearchFilters
from paperwire.store.search_sql import filter_sql
from paperwire.store.sql import SqlBase

_VEC_LOCK = threading.Lock()
_VEC_STATE: dict[str, bool] = {}


def register_sqlite_vec() -> bool:
    """Make sqlite-vec's functions available to every SQLite connection opened after this.

    Python's ``sqlite3`` is often built without ``enable_load_extension``; registering
    the extension's entry point with ``sqlite3_auto_extension`` in the same libsqlite3
    works either way. Returns False when that is impossible (then
    ``install_vector_functions`` provides a slower pure-Python ``vec_distance_cosine``).
    """
    with _VEC_LOCK:
        if "ok" in _VEC_STATE:
            return _VEC_STATE["ok"]
        ok = False
        try:
            import ctypes
            import ctypes.util

            import sqlite_vec

            path = sqlite_vec.loadable_path()
            if not path.endswith(".so") and not path.endswith(".dylib") and not path.endswith(".dll"):
                path += ".so"
            vec = ctypes.CDLL(path)
            libname = ctypes.util.find_library("sqlite3") or "libsqlite3.so.0"
            lib = ctypes.CDLL(libname)
            lib.sqlite3_auto_extension.argtypes = [ctypes.c_void_p]
            lib.sqlite3_auto_extension.restype = ctypes.c_int
            rc = lib.sqlite3_auto_extension(ctypes.cast(vec.sqlite3_vec_init, ctypes.c_void_p))
            ok = rc == 0
            if ok:  # the libsqlite3 we found must be the one the sqlite3 module uses
                probe = sqlite3.connect(":memory:")
                try:
                    probe.execute("SELECT vec_version()")
                except sqlite3.OperationalError:
                    ok = False
                finally:
                    probe.close()
        except (OSError, AttributeError, ImportError):
            ok = False
        _VEC_STATE["ok"] = ok
        return ok


def _cosine_distance(a: bytes | None, b: bytes | None) -> float | None:
    if a is None or b is None:
        return None
    x = np.frombuffer(a, dtype=np.float32)
    y = np.frombuffer(b, dtype=np.float32)
    denom = float(np.linalg.norm(x) * np.linalg.norm(y))
    return 1.0 - float(x @ y) / denom if denom else 1.0


def install_vector_functions(conn: sqlite3.Connection) -> None:
    """Called for each new connection: sqlite-vec when it registered, else a fallback."""
    if not register_sqlite_vec():
        conn.create_function("vec_distance_cosine", 2, _cosine_distance, deterministic=True)


class SqliteSearch(SqlBase):
    """Overrides/extends SearchQueries where sqlite differs."""

    # --- embeddings (search-vectors) ----------------------------------------------------

    def _vector_param(self, vector: np.ndarray) -> Any:
        return np.ascontiguousarray(vector, dtype=np.float32).tobytes()

    def _decode_vector(self, value: Any) -> np.ndarray:
        return np.frombuffer(value, dtype=np.float32).copy()

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
        """Exact: sqlite-vec's distance over every candidate row (filters first)."""
        where, params = filter_sql(filters)
        join = "" if where == "1=1" else " JOIN papers p ON p.id = e.paper_id"
        # Newer rows only (what an ANN file does not cover yet): walk the seq key, not
        # the model index (the unary + keeps SQLite from choosing it).
        conds = ["e.model = ?" if min_seq is None else "+e.model = ?", where]
        args: list[Any] = [self._vector_param(vector), model, *params]
        if min_seq is not None:
            conds.append("e.seq >= ?")
            args.append(min_seq)
        if exclude:
            conds.append(f"e.paper_id NOT IN ({', '.join('?' * len(exclude))})")
            args.extend(exclude)
        args.append(limit)
        with self._reading() as db:
            rows = db.fetchall(
                "SELECT e.paper_id, vec_distance_cosine(e.vector, ?) AS d "  # noqa: S608
                f"FROM paper_embeddings e{join} WHERE {' AND '.join(conds)} "
                "ORDER BY d, e.paper_id LIMIT ?",
                args,
            )
        return [Hit(r["paper_id"], 1.0 - float(r["d"])) for r in rows if r["d"] is not None]

    # --- end embeddings -----------------------------------------------------------------
