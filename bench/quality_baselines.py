"""Plain baselines for ``bench/search_quality.py``, and an embedding cache.

Each baseline is the textbook method, written here so it does not move when
paperwire's own rankers change:

- ``PlainBM25``: Okapi BM25 with Anserini's defaults k1=0.9, b=0.4 and Lucene's idf,
  ``log(1 + (N - df + 0.5) / (df + 0.5))``, over the title twice plus the abstract (one
  field). Words are cut and stemmed by SQLite FTS5's ``porter unicode61
  remove_diacritics 2`` tokenizer (read back through ``fts5vocab``), the same analysis
  paperwire's keyword index uses, and Lucene's 33 English stop words are dropped: so
  it differs from paperwire's keyword ranker in scoring and fields, not in tokens.
- ``DenseBaseline``: exact cosine over the vectors of one embedder (the bench uses
  all-MiniLM-L6-v2 fp32 through sentence-transformers) of the same text paperwire
  embeds (``paper_text``: title, then abstract).
- ``rrf``: reciprocal rank fusion, ``sum 1 / (k + rank)``, k=60, of complete rankings.

``CachingEmbedder`` wraps an embedder and keeps every vector it made in
``bench/out/`` keyed by model name and a hash of the text, so a rerun embeds nothing.
Delete ``bench/out/search_quality/embeddings`` (or pass ``--no-cache``) after changing
how a model embeds without changing its name.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.models import Hit

TOKENIZER = "porter unicode61 remove_diacritics 2"
# Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET
STOP_WORDS = (
    "a an and are as at be but by for if in into is it no not of on or such that the "
    "their then there these they this to was will with"
).split()
K1, B = 0.9, 0.4
RRF_K = 60


def tokenize(texts: Sequence[str]) -> list[Counter[str]]:
    """Term counts of each text as FTS5 with ``TOKENIZER`` indexes it."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute(f"CREATE VIRTUAL TABLE t USING fts5(body, tokenize='{TOKENIZER}')")
        db.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)", enumerate(texts, 1))
        db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
        counts: list[Counter[str]] = [Counter() for _ in texts]
        for term, doc in db.execute("SELECT term, doc FROM v"):
            counts[doc - 1][term] += 1
        return counts
    finally:
        db.close()


class PlainBM25:
    """BM25 over ``(id, title, abstract)`` documents, the title counted twice."""

    def __init__(self, docs: Sequence[tuple[str, str, str]], *, k1: float = K1, b: float = B):
        self.k1, self.b = k1, b
        self.ids = [d[0] for d in docs]
        self.stop = set().union(*tokenize(STOP_WORDS))
        titles = tokenize([d[1] for d in docs])
        abstracts = tokenize([d[2] for d in docs])
        lengths = np.zeros(len(docs))
        postings: dict[str, list[tuple[int, int]]] = {}
        for i, (title, abstract) in enumerate(zip(titles, abstracts, strict=True)):
            tf = Counter({t: 2 * n for t, n in title.items()})
            tf.update(abstract)
            lengths[i] = sum(tf.values())
            for term, n in tf.items():
                postings.setdefault(term, []).append((i, n))
        n_docs = len(docs)
        avg = lengths.mean() if n_docs else 1.0
        self.norm = k1 * (1 - b + b * lengths / avg)
        self.postings = {
            term: (np.array([p[0] for p in plist]), np.array([p[1] for p in plist], dtype=float))
            for term, plist in postings.items()
        }
        self.idf = {
            term: math.log(1 + (n_docs - len(plist) + 0.5) / (len(plist) + 0.5))
            for term, plist in postings.items()
        }

    def rank(self, query: str, limit: int = 1000) -> list[Hit]:
        terms = tokenize([query])[0]
        scores = np.zeros(len(self.ids))
        for term, qtf in terms.items():
            if term in self.stop or term not in self.postings:
                continue
            docs, tf = self.postings[term]
            scores[docs] += qtf * self.idf[term] * tf * (self.k1 + 1) / (tf + self.norm[docs])
        hit = np.flatnonzero(scores)
        order = hit[np.lexsort((hit, -scores[hit]))][:limit]
        return [Hit(self.ids[i], float(scores[i])) for i in order]


class DenseBaseline:
    """Exact cosine ranking over one embedder's vectors of ``texts``."""

    def __init__(self, embedder: Any, ids: Sequence[str], texts: Sequence[str]):
        self.embedder = embedder
        self.ids = list(ids)
        self.matrix = embedder.embed(list(texts))

    def rank(self, query: str, limit: int = 1000) -> list[Hit]:
        text = " ".join(query.split())
        if not text:
            return []
        scores = self.matrix @ self.embedder.embed([text])[0]
        order = np.lexsort((np.arange(len(scores)), -scores))[:limit]
        return [Hit(self.ids[i], float(scores[i])) for i in order]


def rrf(rankings: Iterable[Sequence[Hit]], *, k: int = RRF_K, limit: int = 10) -> list[Hit]:
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            scores[hit.paper_id] = scores.get(hit.paper_id, 0.0) + 1.0 / (k + rank)
    order = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [Hit(pid, score) for pid, score in order]


class CachingEmbedder:
    """An embedder that remembers its vectors on disk (one ``.npz`` per model name).

    ``name`` and ``dim`` are the wrapped embedder's, so the store keys vectors as it
    would; only texts not seen before reach the model. Call ``save()`` to write new
    vectors out."""

    def __init__(
        self, inner: Any, cache_dir: Path, *, seed: Path | None = None, save_every: int = 0
    ):
        """``seed``: another cache folder whose vectors of this model a cache that does
        not exist yet starts from (the same texts then get the same vectors in both);
        ``save_every``: write the cache out after every so many new vectors, so a long
        run that stops keeps what it embedded."""
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.path = cache_dir / f"{self.name}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        self.added = 0
        self.save_every = save_every
        self._unsaved = 0
        start = self.path
        if not start.is_file() and seed is not None:
            start = seed / self.path.name
            self._unsaved = 1 if start.is_file() else 0  # written out at the first save
        if start.is_file():
            with np.load(start) as data:
                self.vectors = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        keys = [self.key(t) for t in texts]
        # in the order given: an int8 ONNX model quantises activations per batch, so a
        # vector depends (cosine ~0.99) on the texts embedded with it; a first run then
        # stores exactly what the uncached embedder returns
        todo = list({k: t for k, t in zip(keys, texts, strict=True) if k not in self.vectors}.items())
        if todo:
            made = self.inner.embed([t for _, t in todo])
            for (k, _), vector in zip(todo, made, strict=True):
                self.vectors[k] = np.asarray(vector, dtype=np.float32)
            self.added += len(todo)
            self._unsaved += len(todo)
            if self.save_every and self._unsaved >= self.save_every:
                self.save()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if not self._unsaved:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(self.vectors)
        partial = self.path.with_suffix(".part.npz")
        np.savez(partial, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))
        partial.replace(self.path)
        self._unsaved = 0
