"""``index_papers``: embed the papers that have no current embedding, batch by batch.

Each batch is embedded and committed on its own, keyed by paper id, so an interrupted
run loses at most one batch and a rerun continues where it stopped without duplicates.
``index_job`` is what ``paperwire index`` and the worker's ``index`` job both run (the
worker also runs it after every ingest that changed papers); the web process never
embeds documents.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from paperwire.models import UpsertCounts
from paperwire.progress import Progress
from paperwire.search.embed import Embedder
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.config import Settings


@dataclass(slots=True)
class IndexReport:
    """What a run did. Recorded as a source run (``ingest.jobs.run_source``) like an
    import: vectors written count as added, and embedding reports no per-paper errors
    (a failure raises)."""

    model: str
    embedded: int = 0  # vectors written
    batches: int = 0
    seconds: float = 0.0
    ann_added: int = 0  # vectors added to the SQLite HNSW index afterwards
    ann_rebuilt: bool = False

    @property
    def counts(self) -> UpsertCounts:
        return UpsertCounts(added=self.embedded)

    @property
    def errors(self) -> list[str]:
        return []

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "embedded": self.embedded,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "ann_added": self.ann_added,
            "ann_rebuilt": self.ann_rebuilt,
        }


class VectorSync(Protocol):
    """An external ANN index brought up to date after new vectors are stored."""

    def sync(self, store: Store, model: str) -> tuple[int, bool]: ...


def paper_text(title: str, abstract: str) -> str:
    """What gets embedded: the title carries the most signal, the abstract the rest."""
    title = " ".join(title.split())
    abstract = " ".join(abstract.split())
    return f"{title}. {abstract}" if abstract else title


def index_papers(
    store: Store,
    embedder: Embedder,
    *,
    batch_size: int = 64,
    on_progress: Progress | None = None,
    vectors: VectorSync | None = None,
) -> IndexReport:
    """Embed what has no current embedding; ``on_progress(n)`` after each committed
    batch of ``n`` papers."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    started = time.perf_counter()
    report = IndexReport(model=embedder.name)
    # The first indexing of a model is a bulk load: PostgreSQL builds its HNSW index once
    # over all vectors at the end instead of inserting into it row by row (many times
    # faster: docs/benchmarks.md). The end (below) builds it whether or not this run
    # finished, and a run after an interruption writes into it as usual.
    first_load = store.count_embeddings(embedder.name) == 0
    try:
        _embed_all(store, embedder, report, batch_size, on_progress, defer_index=first_load)
    finally:
        store.ensure_vector_index(embedder.name)
    if vectors is not None:
        report.ann_added, report.ann_rebuilt = vectors.sync(store, embedder.name)
    report.seconds = time.perf_counter() - started
    return report


def _embed_all(
    store: Store,
    embedder: Embedder,
    report: IndexReport,
    batch_size: int,
    on_progress: Progress | None,
    *,
    defer_index: bool,
) -> None:
    after: str | None = None
    while True:
        rows = store.papers_to_embed(embedder.name, after=after, limit=batch_size)
        if not rows:
            break
        matrix = embedder.embed([paper_text(title, abstract) for _, _, title, abstract in rows])
        if matrix.shape != (len(rows), embedder.dim):
            raise ValueError(
                f"embedder {embedder.name!r} returned shape {matrix.shape} for "
                f"{len(rows)} texts; expected ({len(rows)}, {embedder.dim})"
            )
        report.embedded += store.save_embeddings(
            embedder.name,
            [(pid, fp, matrix[i]) for i, (pid, fp, _, _) in enumerate(rows)],
            defer_index=defer_index,
        )
        report.batches += 1
        after = rows[-1][0]
        if on_progress is not None:
            on_progress(len(rows))


def index_job(
    store: Store,
    embedder: Embedder,
    settings: Settings,
    *,
    batch_size: int = 64,
    on_progress: Progress | None = None,
) -> IndexReport:
    """The one indexing job, for ``paperwire index`` and the worker alike: first the
    keyword index (what a bulk import left for later, ``defer_index``), then the
    embeddings, then the SQLite ANN file of ``settings`` (none on PostgreSQL)."""
    from paperwire.search.ann import open_vector_index

    store.refresh_keyword_index()
    return index_papers(
        store, embedder, batch_size=batch_size, on_progress=on_progress,
        vectors=open_vector_index(settings, store),
    )
