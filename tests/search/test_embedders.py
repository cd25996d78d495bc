from __future__ import annotations

from pathlib import Path

import pytest

from paperwire.config import Settings
from paperwire.search.embed import HashEmbedder
from paperwire.search.embed_onnx import OnnxEmbedder
from paperwire.search.embed_sentence import SentenceEmbedder
from paperwire.search.embedders import build_embedder


def test_default_is_onnx_cached_under_data_dir(tmp_path: Path) -> None:
    embedder = build_embedder(Settings(data_dir=tmp_path))
    assert isinstance(embedder, OnnxEmbedder)
    assert embedder.cache_root == tmp_path / "models"
    assert embedder.recipe.name == "int8"
    assert not (tmp_path / "models").exists()  # construction converts nothing


def test_choices_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAPERWIRE_EMBEDDER", "sentence")
    assert isinstance(build_embedder(Settings()), SentenceEmbedder)
    monkeypatch.setenv("PAPERWIRE_EMBEDDER", "hash")
    hashed = build_embedder(Settings())
    assert isinstance(hashed, HashEmbedder) and hashed.dim == 384
    monkeypatch.setenv("PAPERWIRE_EMBEDDER", "onnx")
    monkeypatch.setenv("PAPERWIRE_ONNX_RECIPE", "fp32")
    monkeypatch.setenv("PAPERWIRE_EMBED_THREADS", "2")
    onnx = build_embedder(Settings(data_dir=tmp_path))
    assert isinstance(onnx, OnnxEmbedder) and onnx.recipe.name == "fp32" and onnx.threads == 2


def test_unknown_embedder_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERWIRE_EMBEDDER", "word2vec")
    with pytest.raises(ValueError, match="embedder"):
        Settings()
