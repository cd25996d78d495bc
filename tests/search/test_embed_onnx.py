"""The ONNX embedder against the sentence-transformers reference, on real abstracts.

The converted model is cached in the repo's git-ignored ``.cache/`` so the default
conversion (about 10-20 s on 2 cores) runs once per checkout; the tests that must
convert (recipe change, partial cache) use the cheap plain-fp32 recipe in tmp dirs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from paperwire.ingest.sample import sample_abstracts
from paperwire.search.embed_onnx import OnnxEmbedder
from paperwire.search.embed_sentence import SentenceEmbedder, packaged_model_dir
from paperwire.search.onnx_convert import (
    DEFAULT_RECIPE,
    MANIFEST,
    RECIPES,
    Recipe,
    cache_dir_for,
    ensure_converted,
)

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "test-models"


@pytest.fixture(scope="module")
def abstracts() -> list[str]:
    texts = sample_abstracts()
    assert len(texts) >= 60
    return texts[:16]


@pytest.fixture(scope="module")
def reference() -> SentenceEmbedder:
    return SentenceEmbedder()


@pytest.fixture(scope="module")
def onnx() -> OnnxEmbedder:
    return OnnxEmbedder(CACHE).load()


def test_default_recipe_matches_sentence_transformers(
    onnx: OnnxEmbedder, reference: SentenceEmbedder, abstracts: list[str]
) -> None:
    ours = onnx.embed(abstracts)
    theirs = reference.embed(abstracts)
    cosine = (ours * theirs).sum(axis=1)
    assert onnx.recipe == DEFAULT_RECIPE
    assert cosine.mean() >= 0.99, cosine
    assert cosine.min() >= 0.97, cosine


def test_output_is_normalised_float32_rows(onnx: OnnxEmbedder, abstracts: list[str]) -> None:
    vectors = onnx.embed(abstracts[:5])
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert onnx.dim == 384 and "onnx" in onnx.name


def test_sorting_by_length_keeps_input_order(onnx: OnnxEmbedder, abstracts: list[str]) -> None:
    texts = ["graph neural networks", abstracts[0], "a", abstracts[1] * 3, "quantum error"]
    one_by_one = np.vstack([onnx.embed([t]) for t in texts])
    together = onnx.embed(texts)
    # small batches force several length buckets; results still land in input order
    small = OnnxEmbedder(CACHE, max_batch_tokens=300, max_batch_size=2).embed(texts)
    for batched in (together, small):
        similarity = batched @ one_by_one.T
        # int8 activations are scaled per batch, so rows match closely, not bit for bit
        assert similarity.argmax(axis=1).tolist() == list(range(len(texts)))
        assert similarity.diagonal().min() >= 0.98


def test_empty_input(onnx: OnnxEmbedder) -> None:
    out = onnx.embed([])
    assert out.shape == (0, 384) and out.dtype == np.float32


def test_long_text_is_truncated_like_the_reference(
    onnx: OnnxEmbedder, reference: SentenceEmbedder, abstracts: list[str]
) -> None:
    long_text = " ".join(abstracts) * 4  # tens of thousands of word pieces
    ours = onnx.embed([long_text, ""])
    theirs = reference.embed([long_text])
    assert onnx.max_tokens == reference.max_seq_length == 256
    assert float(ours[0] @ theirs[0]) >= 0.98
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_cache_is_reused_by_a_second_embedder(onnx: OnnxEmbedder) -> None:
    assert onnx.cache_dir is not None
    model = onnx.cache_dir / "model.onnx"
    before = model.stat().st_mtime_ns
    again = OnnxEmbedder(CACHE).load()
    assert again.cache_dir == onnx.cache_dir
    assert again.converted is False
    assert model.stat().st_mtime_ns == before


def test_changed_recipe_builds_its_own_cache(tmp_path: Path) -> None:
    model_dir = packaged_model_dir()
    plain = RECIPES["fp32"]
    first, converted = ensure_converted(model_dir, tmp_path, recipe=plain)
    assert converted
    assert ensure_converted(model_dir, tmp_path, recipe=plain) == (first, False)
    changed = Recipe("fp32", opset=16)  # same name, different recipe
    second, converted = ensure_converted(model_dir, tmp_path, recipe=changed)
    assert converted and second != first
    assert json.loads((second / MANIFEST).read_text())["recipe"]["opset"] == 16
    assert (first / "model.onnx").is_file()  # the other recipe's cache is left alone


def test_partial_cache_is_discarded_and_rebuilt(tmp_path: Path, abstracts: list[str]) -> None:
    model_dir = packaged_model_dir()
    plain = RECIPES["fp32"]
    target = cache_dir_for(tmp_path, model_dir, plain)
    target.mkdir(parents=True)
    (target / "model.onnx").write_bytes(b"half a model")  # a crash before the manifest
    leftover = tmp_path / f".{target.name}.tmp-crashed"
    leftover.mkdir()
    embedder = OnnxEmbedder(tmp_path, recipe="fp32")
    vectors = embedder.embed(abstracts[:2])
    assert embedder.converted and embedder.cache_dir == target
    assert (target / MANIFEST).is_file()
    assert vectors.shape == (2, 384)
    names = os.listdir(tmp_path)
    assert names.count(target.name) == 1
    assert not [n for n in names if n.startswith(".") and n != leftover.name]


def test_unknown_recipe_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown ONNX recipe 'fp8'"):
        OnnxEmbedder(tmp_path, recipe="fp8")


def test_parallel_batch_workers_match_one_run_at_a_time(
    onnx: OnnxEmbedder, abstracts: list[str]
) -> None:
    serial = OnnxEmbedder(CACHE, threads=2, workers=1, max_batch_tokens=1024)
    parallel = OnnxEmbedder(CACHE, threads=2, workers=2, max_batch_tokens=1024)
    assert (serial.workers, parallel.workers) == (1, 2)
    one, two = serial.embed(abstracts), parallel.embed(abstracts)
    assert one.shape == two.shape == (len(abstracts), 384)
    # same batches (same budget), so the same int8 activation scales: near-identical rows
    assert (one * two).sum(axis=1).min() >= 0.999
    assert OnnxEmbedder(CACHE, threads=1, workers=4).workers == 1  # never more than threads
