"""The arXiv metadata snapshot (JSON lines, plain or gzip) → Papers, streamed in batches.

The snapshot holds every arXiv paper (millions of lines), so it is never loaded whole:
lines are read a chunk at a time, converted, and written ``batch_size`` at a time, each
batch one transaction. A bad line never stops the import: it is reported with its line
number, counted as failed and skipped. A truncated ``.gz`` keeps everything read
before the break and says where the break was.

``import_snapshot`` is the entry point; its parts each do one job: converting a line
(``snapshot_convert``), reading and converting chunks in file order, in converter
processes for a big file (``snapshot_pipeline``), and writing batches while the next
are converted, as a bulk load into an empty database (``snapshot_writer``).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from paperwire.ingest.compressed import COMPRESSION_ERRORS, open_maybe_gzip
from paperwire.ingest.report import MAX_REPORTED_ERRORS, ImportReport
from paperwire.ingest.snapshot_pipeline import (
    CHUNK_BYTES,
    Span,
    convert_chunks,
    default_workers,
    line_chunks,
    span_chunks,
)
from paperwire.ingest.snapshot_writer import Batcher, BatchWriter
from paperwire.progress import Progress
from paperwire.store import Store

DEFAULT_BATCH_SIZE = 5000


@dataclass(slots=True)
class SnapshotReport(ImportReport):
    """What an import did: also the lines read and, for a cut ``.gz``, where it broke."""

    lines: int = 0
    truncated: str | None = None  # set when the file ended early (a cut .gz)
    skipped: ClassVar[str] = "bad lines"

    def details(self) -> dict[str, object]:
        return {"lines": self.lines, "truncated": self.truncated is not None}


def import_snapshot(
    store: Store,
    path: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress | None = None,
    max_reported: int = MAX_REPORTED_ERRORS,
    workers: int | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> SnapshotReport:
    """Import one snapshot file; ``on_progress(n)`` after every batch, ``n`` the bytes
    of the file read since the last call (``progress.py``).

    ``workers`` converter processes turn lines into papers while this process writes,
    ``chunk_bytes`` at a time (default: ``default_workers(path)`` for a bulk load, else
    0, which converts here). Into an empty database the import is a bulk load
    (``store.begin_bulk_load``): secondary indexes are built once at the end.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = SnapshotReport(max_reported=max_reported)
    name = str(path)
    try:
        stream, raw = open_maybe_gzip(path)
    except OSError as exc:
        report.add_stop(f"{name}: cannot read file ({exc.strerror or exc})")
        return report
    bulk = store.begin_bulk_load()
    if workers is None:
        # A converter process pays off only for a bulk load, which ships ready rows; an
        # upsert rerun would unpack every paper again here (measured slower, benchmarks.md).
        workers = default_workers(path) if bulk else 0
    writer = BatchWriter(store, bulk=bulk)
    batcher = Batcher(batch_size, bulk=bulk)
    reported = 0  # bytes of the file told to on_progress

    def flush(*, final: bool = False) -> None:
        nonlocal reported
        while batcher.full() or (final and batcher.count):
            batch = batcher.take()
            if batch is not None:
                writer.submit(batch)
        if on_progress and (position := raw.tell()) > reported:
            on_progress(position - reported)
            reported = position

    gc_was_enabled = gc.isenabled()
    gc.disable()  # as in a converter process (snapshot_pipeline._worker_init)
    try:
        with stream, raw:
            try:
                chunks: Iterator[tuple[int, list[bytes] | Span]] = (
                    span_chunks(raw, str(path), chunk_bytes)
                    if workers > 0 and stream is raw  # plain file: converters read it
                    else line_chunks(stream, chunk_bytes)
                )
                for count, converted, errors in convert_chunks(name, chunks, workers, bulk=bulk):
                    report.lines += count
                    for message in errors:
                        report.add_error(message)
                    batcher.add(converted)
                    if batcher.full():
                        flush()
            except COMPRESSION_ERRORS as exc:
                report.truncated = (
                    f"{name}: truncated at line {report.lines + 1}: the compressed data ends early "
                    f"or is damaged ({exc}); the {report.lines} lines before it were read"
                )
                report.add_stop(report.truncated)
            flush(final=True)
    except OSError as exc:
        report.add_stop(f"{name}: read error ({exc.strerror or exc})")
    finally:
        if gc_was_enabled:
            gc.enable()
        report.counts += writer.finish()
    return report

