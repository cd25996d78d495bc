"""Choose the embedder from settings (``PAPERWIRE_EMBEDDER``): onnx | sentence | hash.

Construction is cheap for every choice (models load on the first ``embed``), so the CLI
and the app can build one at start-up and keep reusing it; the web process then pays
the model load once, on its first query, never per query.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paperwire.search.embed import Embedder, HashEmbedder

if TYPE_CHECKING:
    from paperwire.config import Settings

EMBEDDERS = ("onnx", "sentence", "hash")


def build_embedder(settings: Settings) -> Embedder:
    kind = settings.embedder
    if kind == "onnx":
        from paperwire.search.embed_onnx import OnnxEmbedder

        return OnnxEmbedder(
            settings.data_dir / "models",
            recipe=settings.onnx_recipe,
            threads=settings.embed_threads or None,
            workers=settings.embed_workers or None,
        )
    if kind == "sentence":
        from paperwire.search.embed_sentence import SentenceEmbedder

        return SentenceEmbedder(threads=settings.embed_threads or None)
    if kind == "hash":
        return HashEmbedder()
    raise ValueError(f"PAPERWIRE_EMBEDDER={kind!r}: choose one of {', '.join(EMBEDDERS)}")
