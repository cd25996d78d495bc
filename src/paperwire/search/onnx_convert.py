"""Convert the packaged all-MiniLM-L6-v2 weights to ONNX once, and cache the result.

Why on the user's machine: the package ships safetensors only and nothing may be
downloaded, so the faster graph is built locally from those weights (torch export,
optionally ONNX Runtime's BERT fusions, optionally int8 dynamic quantisation).

The cache lives in ``<cache_root>/all-minilm-l6-v2-<recipe>-<key>/``; the key hashes the
recipe, the converter version, the model files and the onnxruntime version, so a changed
recipe or model builds a new directory. A conversion is built in a temporary sibling
directory and renamed into place with ``manifest.json`` written last: a crash
mid-conversion leaves no directory that looks complete, and a directory without a valid
manifest is discarded and rebuilt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CONVERTER_VERSION = 1
MANIFEST = "manifest.json"
MODEL_FILE = "model.onnx"


@dataclass(frozen=True, slots=True)
class Recipe:
    """How the ONNX graph is built. Every field is part of the cache key."""

    name: str
    optimize: bool = False  # onnxruntime.transformers BERT fusions (attention, layer norm, gelu)
    quantize: bool = False  # int8 dynamic quantisation of the weights
    per_channel: bool = True  # one int8 scale per output channel (more accurate)
    reduce_range: bool = False  # 7-bit weights: avoids u8*s8 saturation on AVX2 without VNNI
    opset: int = 17


RECIPES: dict[str, Recipe] = {
    r.name: r
    for r in (
        Recipe("fp32"),
        Recipe("fp32-opt", optimize=True),
        # default: fused graph, int8 per-channel weights in 7 bits (reduce_range): on
        # AVX2 without VNNI the u8*s8 kernels can saturate with full 8-bit weights; the
        # 7-bit recipe measured slightly closer to fp32 (docs/benchmarks.md)
        Recipe("int8", optimize=True, quantize=True, reduce_range=True),
        Recipe("int8-s8", optimize=True, quantize=True),
        Recipe("int8-tensor", optimize=True, quantize=True, per_channel=False, reduce_range=True),
    )
}
DEFAULT_RECIPE = RECIPES["int8"]


def read_max_tokens(model_dir: Path) -> int:
    """The truncation sentence-transformers uses for this model (sentence_bert_config)."""
    config = json.loads((model_dir / "sentence_bert_config.json").read_text())
    return int(config["max_seq_length"])


def cache_key(model_dir: Path, recipe: Recipe) -> str:
    import onnxruntime

    digest = hashlib.sha256()
    digest.update(json.dumps(dataclasses.asdict(recipe), sort_keys=True).encode())
    digest.update(f"converter={CONVERTER_VERSION} ort={onnxruntime.__version__}".encode())
    for name in ("config.json", "sentence_bert_config.json", "1_Pooling/config.json"):
        digest.update((model_dir / name).read_bytes())
    weights = model_dir / "model.safetensors"
    digest.update(str(weights.stat().st_size).encode())
    with weights.open("rb") as handle:  # the header names every tensor, shape and offset
        digest.update(handle.read(1 << 20))
    return digest.hexdigest()[:16]


def cache_dir_for(cache_root: Path, model_dir: Path, recipe: Recipe) -> Path:
    return Path(cache_root) / f"all-minilm-l6-v2-{recipe.name}-{cache_key(model_dir, recipe)}"


def is_complete(directory: Path, key: str) -> bool:
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        size = (directory / MODEL_FILE).stat().st_size
    except (OSError, ValueError):
        return False
    return manifest.get("key") == key and manifest.get("model_bytes") == size


def ensure_converted(model_dir: Path, cache_root: Path, *, recipe: Recipe) -> tuple[Path, bool]:
    """Return (cache directory, whether this call converted). Reuses a complete cache."""
    target = cache_dir_for(cache_root, model_dir, recipe)
    key = target.name.rsplit("-", 1)[1]
    if is_complete(target, key):
        return target, False
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        started = time.perf_counter()
        convert_model(model_dir, work, recipe=recipe)
        manifest = {
            "key": key,
            "recipe": dataclasses.asdict(recipe),
            "model_bytes": (work / MODEL_FILE).stat().st_size,
            "convert_seconds": round(time.perf_counter() - started, 2),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_atomic(work / MANIFEST, json.dumps(manifest, indent=2))
        if target.exists():  # a partial or stale directory under our key: replace it
            if is_complete(target, key):  # another process finished first
                shutil.rmtree(work, ignore_errors=True)
                return target, False
            shutil.rmtree(target)
        try:
            os.rename(work, target)
        except OSError:
            if not is_complete(target, key):
                raise
            shutil.rmtree(work, ignore_errors=True)
            return target, False
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target, True


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def convert_model(model_dir: Path, out_dir: Path, *, recipe: Recipe) -> Path:
    """Export to ``out_dir/model.onnx`` following the recipe; intermediates are removed."""
    exported = out_dir / "exported.onnx"
    export_onnx(model_dir, exported, opset=recipe.opset)
    current = exported
    if recipe.optimize:
        fused = out_dir / "fused.onnx"
        optimize_bert(current, fused)
        current.unlink()
        current = fused
    if recipe.quantize:
        quantized = out_dir / "quantized.onnx"
        quantize_int8(
            current, quantized, per_channel=recipe.per_channel, reduce_range=recipe.reduce_range
        )
        current.unlink()
        current = quantized
    final = out_dir / MODEL_FILE
    os.replace(current, final)
    return final


def export_onnx(model_dir: Path, out_path: Path, *, opset: int) -> None:
    """torch -> ONNX with the TorchScript exporter (no onnxscript needed), dynamic shapes."""
    from paperwire.search.embed_sentence import force_offline

    force_offline()
    import torch
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager")
    model.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones((2, 16), dtype=torch.int64)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(),
            (sample, sample, torch.zeros_like(sample)),
            str(out_path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                "input_ids": axes,
                "attention_mask": axes,
                "token_type_ids": axes,
                "last_hidden_state": axes,
            },
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )


def optimize_bert(in_path: Path, out_path: Path) -> None:
    """ONNX Runtime's BERT fusions: one Attention op per layer, fused LayerNorm and Gelu."""
    from onnxruntime.transformers.optimizer import optimize_model

    optimized = optimize_model(
        str(in_path), model_type="bert", num_heads=12, hidden_size=384, opt_level=1, use_gpu=False
    )
    optimized.save_model_to_file(str(out_path))


def quantize_int8(in_path: Path, out_path: Path, *, per_channel: bool, reduce_range: bool) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(in_path),
        str(out_path),
        per_channel=per_channel,
        reduce_range=reduce_range,
        weight_type=QuantType.QInt8,
        # fused ops (com.microsoft domain) defeat shape inference; their outputs are float
        extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
    )
