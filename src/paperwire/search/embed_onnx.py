"""``OnnxEmbedder``: all-MiniLM-L6-v2 on ONNX Runtime, the fast default embedder.

Why this exists: sentence-transformers on a 2-core CPU embeds about 20 abstracts/s,
and embedding is the slowest stage of ingestion. Here the packaged weights are
converted once, on the user's machine, to an ONNX graph (optionally fused and
int8-quantised, see ``onnx_convert``), cached under ``data_dir/models/``; at run time
the fast ``tokenizers`` tokenizer feeds ONNX Runtime with texts sorted by length, so
batches carry little padding. By default one multi-threaded run at a time
(``workers=1``), the fastest on an idle 2-core machine; ``workers=None`` runs batches in
parallel, one single-threaded run per thread, which measured faster when other work
shares the CPU (docs/benchmarks.md). Pooling and normalisation repeat what the
sentence-transformers pipeline of this model does (mean over real tokens, then L2), so
vectors are comparable to ``SentenceEmbedder``'s (cosine >= 0.99, tested).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.search.embed import normalize_rows
from paperwire.search.onnx_convert import (
    DEFAULT_RECIPE,
    RECIPES,
    Recipe,
    ensure_converted,
    read_max_tokens,
)

DIM = 384


class OnnxEmbedder:
    """Embed with ONNX Runtime from a cached conversion; converts on first use if needed.

    Construction is cheap (nothing is loaded); the first ``embed`` or ``load`` call
    converts (once per machine and recipe) and opens the session. Keep one instance and
    reuse it: a web process embeds every query with the same loaded session.
    """

    def __init__(
        self,
        cache_root: Path,
        *,
        recipe: Recipe | str = DEFAULT_RECIPE,
        model_dir: Path | None = None,
        threads: int | None = None,
        workers: int | None = 1,
        max_tokens: int | None = None,
        max_batch_tokens: int = 8192,
        max_batch_size: int = 64,
    ) -> None:
        if isinstance(recipe, str):
            if recipe not in RECIPES:
                raise ValueError(
                    f"unknown ONNX recipe {recipe!r}; choose one of {', '.join(sorted(RECIPES))}"
                )
            recipe = RECIPES[recipe]
        if max_tokens is not None and not 3 <= max_tokens <= 512:
            raise ValueError(f"max_tokens={max_tokens}: BERT takes 3 to 512 word pieces")
        self.recipe = recipe
        self.cache_root = Path(cache_root)
        self.model_dir = model_dir
        self.threads = threads or available_cpus()
        # batches in flight at once (None: one per thread), each run with
        # threads // workers ONNX Runtime threads
        self.workers = max(1, min(workers or self.threads, self.threads))
        self.max_batch_tokens = max_batch_tokens
        self.max_batch_size = max_batch_size
        self.dim = DIM
        self.name = f"all-MiniLM-L6-v2-onnx-{recipe.name}" + (
            f"-t{max_tokens}" if max_tokens else ""
        )
        self.cache_dir: Path | None = None
        self.converted = False  # True when this instance ran the conversion
        self._session: Any = None
        self._tokenizer: Any = None
        self._pool: ThreadPoolExecutor | None = None
        self._max_tokens = max_tokens or 0  # 0: the model's own (256), read on load
        self._lock = threading.Lock()  # web threads may hit the first query together

    def load(self) -> OnnxEmbedder:
        """Convert if needed and open the session; idempotent and thread-safe."""
        if self._session is not None:
            return self
        with self._lock:
            if self._session is None:
                self._open()
        return self

    def _open(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from paperwire.search.embed_sentence import packaged_model_dir

        model_dir = self.model_dir or packaged_model_dir()
        self.cache_dir, self.converted = ensure_converted(
            model_dir, self.cache_root, recipe=self.recipe
        )
        # sentence-transformers truncates at 256 word pieces for this model; shorter is
        # faster but loses the tail of long abstracts (cosine falls fast: see benchmarks)
        self._max_tokens = self._max_tokens or read_max_tokens(model_dir)
        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tokenizer.no_padding()  # we pad per batch, to the batch's longest text
        tokenizer.enable_truncation(max_length=self._max_tokens)
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = max(1, self.threads // self.workers)
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._session = ort.InferenceSession(
            str(self.cache_dir / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        self._tokenizer = tokenizer
        if self.workers > 1:  # session.run releases the GIL: batches really run in parallel
            self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="onnx-embed")

    @property
    def max_tokens(self) -> int:
        """Word pieces per text, [CLS] and [SEP] included; longer texts are truncated."""
        self.load()
        return self._max_tokens

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(texts))
        order = np.argsort(lengths, kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        budget = self.max_batch_tokens
        if self._pool is not None:  # enough batches to keep every worker busy
            budget = min(budget, max(1024, int(lengths.sum()) // self.workers + 1))
        batches = list(_length_batches(order, lengths, budget, self.max_batch_size))

        def run(batch: np.ndarray) -> None:
            out[batch] = self._run_batch([encodings[i] for i in batch])

        if self._pool is None or len(batches) == 1:
            for batch in batches:
                run(batch)
        else:  # longest batches first, so the last ones to finish are short
            for future in [self._pool.submit(run, b) for b in reversed(batches)]:
                future.result()
        return out

    def _run_batch(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            ids[row, : len(enc.ids)] = enc.ids
            mask[row, : len(enc.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        return mean_pool(hidden, mask)


def available_cpus() -> int:
    """CPUs this process may run on (the affinity mask, e.g. a container's), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling (real tokens only) followed by L2 normalisation."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden.astype(np.float32) * weights).sum(axis=1)
    counts = np.clip(weights.sum(axis=1), 1e-9, None)
    return normalize_rows(summed / counts)


def _length_batches(
    order: np.ndarray, lengths: np.ndarray, max_tokens: int, max_size: int
) -> Iterator[np.ndarray]:
    """Cut the length-sorted positions into batches of at most ``max_tokens`` padded tokens."""
    start = 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < max_size:
            width = int(lengths[order[end]])  # sorted ascending: the new longest
            if width * (end - start + 1) > max_tokens:
                break
            end += 1
        yield order[start:end]
        start = end
