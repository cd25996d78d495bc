"""``HnswVectors``: a usearch HNSW index over a model's stored vectors, for SQLite.

SQLite has no ANN index of its own: exact search (sqlite-vec) ranks every candidate
row, fine for tens of thousands of papers, too slow for a million. Once a model has
``min_vectors`` vectors, ``sync`` (run by ``paperwire index`` / the worker) builds an
HNSW index under ``data_dir/vectors/`` and later adds only the rows it has not seen
(the table's ``seq`` key is the index key; the sidecar JSON records the highest seq
covered). Re-embedded or deleted papers leave dead keys behind, which are dropped
when results are mapped back to papers; when they exceed a fifth of the index it is
rebuilt. The web process maps the file read-only and answers from it, plus an exact
search over rows newer than the file, so a result is never stale.

PostgreSQL does not use this: pgvector keeps its HNSW index inside the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.models import Hit, SearchFilters
from paperwire.store import Store

ADD_CHUNK = 20_000  # rows read from the store and added per step
# Vectors are stored in the file as int8 (cosine on L2-normalised vectors): 4x smaller
# than float32 and ~4x faster to build here (5k vectors: 1.9 s vs 7.7 s), recall@10
# still >= 0.95 (tests/search/test_ann.py, bench/search.py).
# Vectors are added on one thread. usearch 2.26 adding on several threads at once races
# while linking a new node and leaves some nodes that no search reaches: 1-6 of the 1,500
# papers of tests/search/test_ann_real.py in every build, up to 9 of 33,000 MEDLINE papers,
# each then missing from every semantic search and similar-papers list until a rebuild
# (docs/benchmarks.md, "33,000 papers"). One thread leaves none, for 1.4-1.9x the build
# time (1M: 508 s against 359 s) and no change in query time.
ADD_THREADS = 1
STALE_FRACTION = 0.2  # dead keys beyond this fraction of the index trigger a rebuild
MAX_CANDIDATES = 4096  # beyond this many ANN candidates, filters go exact instead


@dataclass(slots=True)
class _Loaded:
    index: Any  # usearch.index.Index
    covered_seq: int
    stamp: tuple[int, int]


def usearch_index_class() -> Any:
    """``usearch.index.Index``, imported after ONNX Runtime.

    usearch's extension carries C++ runtime symbols that ONNX Runtime then binds to
    when it is imported second, and the process crashes (segfault in
    ``std::codecvt``; usearch 2.26, onnxruntime 1.32). Importing ONNX Runtime first is
    safe, and the web process needs both (query embeddings + this index).
    """
    import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


def _slug(model: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model)[:60]
    return f"{safe}-{hashlib.blake2b(model.encode(), digest_size=4).hexdigest()}"


class HnswVectors:
    """One HNSW file per model under ``directory``; safe to share between threads."""

    def __init__(
        self,
        directory: Path,
        *,
        min_vectors: int = 10_000,
        connectivity: int = 16,
        expansion_add: int = 128,
        expansion_search: int = 128,
        dtype: str = "i8",
        oversample: int = 3,
        filtered_oversample: int = 10,
        add_threads: int = ADD_THREADS,
    ) -> None:
        self.directory = Path(directory)
        self.min_vectors = min_vectors
        self.connectivity = connectivity
        self.expansion_add = expansion_add
        self.expansion_search = expansion_search
        self.dtype = dtype
        self.oversample = oversample
        self.filtered_oversample = filtered_oversample
        self.add_threads = add_threads  # 0 = all: faster, but strands nodes (ADD_THREADS)
        self._lock = threading.Lock()
        self._loaded: dict[str, _Loaded] = {}

    # --- files ----------------------------------------------------------------------

    def meta_path(self, model: str) -> Path:
        return self.directory / f"{_slug(model)}.json"

    def read_meta(self, model: str) -> dict[str, Any] | None:
        """The sidecar: model, dim, covered_seq, size, file (the index it describes)."""
        try:
            meta = json.loads(self.meta_path(model).read_text())
        except (FileNotFoundError, ValueError):
            return None
        if meta.get("model") != model:
            return None
        return meta  # type: ignore[no-any-return]

    def _new_index(self, dim: int) -> Any:
        return usearch_index_class()(
            ndim=dim,
            metric="cos",
            dtype=self.dtype,
            connectivity=self.connectivity,
            expansion_add=self.expansion_add,
            expansion_search=self.expansion_search,
        )

    # --- worker side ----------------------------------------------------------------

    def sync(self, store: Store, model: str) -> tuple[int, bool]:
        """Bring the model's index up to date with the store. Returns (added, rebuilt).

        Does nothing below ``min_vectors`` unless an index already exists. The new file
        is written beside the old one and the sidecar switched atomically, so readers
        always see a complete index.
        """
        index_class = usearch_index_class()
        live = store.count_embeddings(model)
        meta = self.read_meta(model)
        if meta is None and live < self.min_vectors:
            return 0, False
        dim = store.embedding_dim(model)
        if dim is None:
            return 0, False
        index = None
        covered = 0
        # a file built another way (another dtype; before ADD_THREADS, on all threads) is
        # rebuilt once
        if (meta is not None and meta.get("dim") == dim and meta.get("dtype") == self.dtype
                and int(meta.get("add_threads", 0)) == self.add_threads):
            size = int(meta.get("size", 0))
            # Keys in the file whose rows are gone (re-embedded or deleted papers).
            newer = store.count_embeddings(model, after_seq=int(meta["covered_seq"]))
            dead = size - (live - newer)
            if dead <= STALE_FRACTION * max(1, size):
                with contextlib.suppress(FileNotFoundError, RuntimeError, ValueError):
                    index = index_class.restore(str(self.directory / meta["file"]))
                    covered = int(meta["covered_seq"])
        rebuilt = index is None
        if index is None:
            index = self._new_index(dim)
        added = 0
        while True:
            seqs, vectors = store.embeddings_after(model, after_seq=covered, limit=ADD_CHUNK)
            if len(seqs) == 0:
                break
            index.add(seqs, vectors, threads=self.add_threads)
            covered = int(seqs[-1])
            added += len(seqs)
        if added == 0 and not rebuilt:
            return 0, False
        self._save(model, index, dim=dim, covered=covered, old=meta)
        return added, rebuilt

    def _save(
        self, model: str, index: Any, *, dim: int, covered: int, old: dict[str, Any] | None
    ) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{_slug(model)}.{covered}.usearch"
        tmp = self.directory / (name + ".tmp")
        index.save(str(tmp))
        os.replace(tmp, self.directory / name)
        meta = {"model": model, "dim": dim, "covered_seq": covered, "size": len(index),
                "file": name, "metric": "cos", "dtype": self.dtype,
                "connectivity": self.connectivity, "add_threads": self.add_threads}
        meta_tmp = self.meta_path(model).with_suffix(".json.tmp")
        meta_tmp.write_text(json.dumps(meta))
        os.replace(meta_tmp, self.meta_path(model))
        if old and old.get("file") and old["file"] != name:  # readers keep their mapping
            with contextlib.suppress(FileNotFoundError):
                (self.directory / old["file"]).unlink()

    # --- reader side ----------------------------------------------------------------

    def _load(self, model: str) -> _Loaded | None:
        """The current index, memory-mapped; re-opened when the sidecar changes."""
        try:
            st = self.meta_path(model).stat()
        except FileNotFoundError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            loaded = self._loaded.get(model)
            if loaded is not None and loaded.stamp == stamp:
                return loaded
            meta = self.read_meta(model)
            if meta is None:
                return None
            try:
                index = usearch_index_class().restore(
                    str(self.directory / meta["file"]), view=True
                )
            except (FileNotFoundError, RuntimeError, ValueError):
                return None
            if index is None:
                return None
            index.expansion_search = self.expansion_search
            loaded = _Loaded(index=index, covered_seq=int(meta["covered_seq"]), stamp=stamp)
            self._loaded[model] = loaded
            return loaded

    def covered_seq(self, model: str) -> int | None:
        loaded = self._load(model)
        return loaded.covered_seq if loaded else None

    def search(
        self,
        store: Store,
        model: str,
        vector: np.ndarray,
        *,
        limit: int,
        filters: SearchFilters | None = None,
        exclude: Sequence[str] = (),
    ) -> list[Hit] | None:
        """ANN over the indexed rows plus exact over the newer ones; None = no index.

        With filters the ANN candidates are oversampled and filtered in SQL; when too
        few pass even at ``MAX_CANDIDATES``, the filters are selective enough that an
        exact search over what they leave is cheap, so that answers instead.
        """
        loaded = self._load(model)
        if loaded is None:
            return None
        index = loaded.index
        if len(vector) != index.ndim:
            return None
        skip = set(exclude)
        want = limit + len(skip)
        filtered = filters is not None and not filters.empty
        k = min(len(index), want * (self.filtered_oversample if filtered else self.oversample))
        query = np.asarray(vector, dtype=np.float32)
        query = query / (float(np.linalg.norm(query)) or 1.0)
        hits: list[Hit] = []
        while k > 0:
            matches = index.search(query, k)
            keys = [int(key) for key in matches.keys]
            # Candidates are re-scored with the stored float32 vectors: exact scores,
            # and int8 rounding no longer decides the order near the cut.
            found = [pv for pv in store.vectors_for_seqs(model, keys, filters=filters).values()
                     if pv[0] not in skip]
            hits = []
            if found:
                stored = np.stack([vec for _, vec in found])
                norms = np.linalg.norm(stored, axis=1)
                scores = (stored @ query) / np.where(norms > 0, norms, 1.0)
                hits = [Hit(pid, float(score)) for (pid, _), score in zip(found, scores, strict=True)]
            hits.sort(key=lambda h: (-h.score, h.paper_id))
            if len(hits) >= limit or k >= len(index):
                break
            if k >= MAX_CANDIDATES:
                return store.nearest_papers(
                    model, query, limit=limit, filters=filters, exclude=exclude
                )
            k = min(len(index), k * 4)
        tail = store.nearest_papers(
            model, query, limit=want, filters=filters, exclude=exclude,
            min_seq=loaded.covered_seq + 1,
        )
        best: dict[str, float] = {}
        for hit in [*hits, *tail]:
            if hit.score > best.get(hit.paper_id, -2.0):
                best[hit.paper_id] = hit.score
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        return [Hit(pid, score) for pid, score in ranked[:limit]]


def open_vector_index(settings: Any, store: Store) -> HnswVectors | None:
    """The SQLite ANN index from settings; None on PostgreSQL (pgvector indexes there)."""
    if store.dialect != "sqlite":
        return None
    return HnswVectors(
        Path(settings.data_dir) / "vectors", min_vectors=settings.vector_ann_threshold
    )
