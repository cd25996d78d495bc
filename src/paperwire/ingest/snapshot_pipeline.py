"""Snapshot lines in, converted chunks out, in file order: read in chunks of about
``CHUNK_BYTES``, converted here or in converter processes while the caller writes.

Converter processes are spawned (no fork of a process holding a database), read their
own byte spans of a plain file (``Span``), tune their allocator and garbage collector
for a short life of many small objects, and ship back plain tuples (or, in a bulk load,
the store's encoded rows) pickled without a memo: each of these measured faster
(docs/benchmarks.md). A cut ``.gz`` raises after the whole lines before the break have
been yielded, so what was read is kept.
"""

from __future__ import annotations

import ctypes
import gc
import io
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import IO, Any, cast

from paperwire.ingest.compressed import COMPRESSION_ERRORS
from paperwire.ingest.snapshot_convert import convert_lines
from paperwire.models import Author, Link, Paper
from paperwire.store import BulkRows, bulk_rows

_READ_BYTES = 1 << 16  # read1: whatever is ready, so a cut .gz loses only its last partial line
CHUNK_BYTES = 1 << 20  # lines handed to a converter at once (~600 papers)


def line_chunks(stream: IO[bytes], chunk_bytes: int) -> Iterator[tuple[int, list[bytes]]]:
    """(first line number, whole lines) of about ``chunk_bytes`` each.

    If the stream breaks (a truncated .gz), the whole lines read so far are yielded
    first, then the error is raised: what was read is kept.
    """
    pending = b""
    first = 1
    lines: list[bytes] = []
    size = 0
    while True:
        try:
            block = stream.read1(min(_READ_BYTES, chunk_bytes))  # type: ignore[attr-defined]
        except COMPRESSION_ERRORS:
            if lines:
                yield first, lines
            raise
        if not block:
            break
        parts = (pending + block).split(b"\n")
        pending = parts.pop()
        lines.extend(parts)
        size += len(block)
        if size >= chunk_bytes:
            yield first, lines
            first += len(lines)
            lines, size = [], 0
    if pending:
        lines.append(pending)
    if lines:
        yield first, lines


@dataclass(frozen=True, slots=True)
class Span:
    """``count`` whole lines of a plain file at ``start``, ``length`` bytes long: a
    converter process reads them itself, so the lines never cross the pipe (sending
    them cost the main process, which also writes, ~4 µs a paper; docs/benchmarks.md)."""

    path: str
    start: int
    length: int
    count: int

    def read(self) -> list[bytes]:
        with open(self.path, "rb") as fh:
            fh.seek(self.start)
            data = fh.read(self.length)
        lines = data.split(b"\n")
        if data.endswith(b"\n"):
            lines.pop()  # the span ends with its last line's newline
        return lines


def span_chunks(raw: IO[bytes], path: str, chunk_bytes: int) -> Iterator[tuple[int, Span]]:
    """(first line number, span) of about ``chunk_bytes`` each, for converter processes;
    lines are numbered as ``line_chunks`` numbers them."""
    first, offset, pending = 1, raw.tell(), b""
    while block := raw.read(chunk_bytes):
        data = pending + block
        cut = data.rfind(b"\n") + 1
        if not cut:
            pending = data
            continue
        count = data.count(b"\n", 0, cut)
        yield first, Span(path, offset, cut, count)
        first, offset, pending = first + count, offset + cut, data[cut:]
    if pending:
        yield first, Span(path, offset, len(pending), 1)



# Papers cross process boundaries as plain tuples: pickling the dataclasses costs
# several times more than converting the line again. In a bulk load the converter
# processes go further and ship the encoded rows the store inserts as they are.
_Packed = tuple[Any, ...]
# One converted chunk: the lines it held, its papers (or their bulk rows), its errors.
Chunk = tuple[int, "list[Paper] | BulkRows", list[str]]


def _pack(p: Paper) -> _Packed:
    return (
        p.id, p.version, p.title, p.abstract,
        [(a.name, a.family, a.given, a.suffix, a.affiliation) for a in p.authors],
        p.categories, p.submitted, p.updated, p.doi, p.journal_ref, p.comments, p.license,
        [(link.kind, link.url) for link in p.links],
    )


def _unpack(t: _Packed) -> Paper:
    return Paper(
        id=t[0], version=t[1], title=t[2], abstract=t[3],
        authors=[Author(*a) for a in t[4]], categories=t[5], submitted=t[6], updated=t[7],
        doi=t[8], journal_ref=t[9], comments=t[10], license=t[11], source="arxiv",
        links=[Link(*link) for link in t[12]],
    )


def _convert_chunk(name: str, first_line: int, lines: list[bytes] | Span, bulk: bool) -> bytes:
    """Runs in a converter process: what crosses back is plain tuples, pickled by
    ``_ship``."""
    if isinstance(lines, Span):
        lines = lines.read()
    papers, errors = convert_lines(name, first_line, lines)
    return _ship(((bulk_rows(papers) if bulk else [_pack(p) for p in papers]), errors))


def _ship(value: object) -> bytes:
    """Pickle without the memo: a converted chunk is thousands of small tuples and
    strings, none shared or recursive, and remembering each one cost the converter
    about as much as pickling it (docs/benchmarks.md)."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: safe because nothing shipped refers to itself
    pickler.dump(value)
    return out.getvalue()


def _worker_init() -> None:
    # Converting allocates millions of short-lived, acyclic objects: the cycle
    # collector would only rescan them (measured ~20 % of conversion time).
    gc.disable()
    _keep_freed_memory()


# glibc's mallopt parameters (malloc.h): M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD.
_MALLOPT = ((-1, 1 << 30), (-2, 64 << 20), (-3, 256 << 20))


def _keep_freed_memory() -> None:
    """Keep what a converted chunk freed for the next chunk instead of handing it back
    to the kernel: by default glibc returns it (and serves large blocks by fresh mmaps),
    so every chunk faults its pages in again, and a page fault costs ~3 µs on our
    virtual machines (1.5 faults a paper: ~6 % of conversion; docs/benchmarks.md).
    Converter processes only: they live for one import. No-op off glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        for param, value in _MALLOPT:
            libc.mallopt(param, value)
    except (OSError, AttributeError):
        pass


def convert_chunks(
    name: str, chunks: Iterator[tuple[int, list[bytes] | Span]], workers: int, *, bulk: bool
) -> Iterator[Chunk]:
    """(lines in chunk, papers or bulk rows, errors) in file order; converted by
    ``workers`` processes (0: here). At most a few chunks are in flight, so memory
    stays bounded."""
    if workers <= 0:
        for first, chunk in chunks:
            lines = chunk.read() if isinstance(chunk, Span) else chunk
            papers, errors = convert_lines(name, first, lines)
            yield len(lines), (bulk_rows(papers) if bulk else papers), errors
        return
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding a database
    with ctx.Pool(workers, initializer=_worker_init) as pool:
        pending: deque[tuple[int, AsyncResult[bytes]]] = deque()

        def ready() -> Chunk:
            count, result = pending.popleft()
            converted, errors = pickle.loads(result.get())
            if bulk:
                return count, cast(BulkRows, converted), errors
            return count, [_unpack(t) for t in cast(list[_Packed], converted)], errors

        try:
            for first, chunk in chunks:
                count = chunk.count if isinstance(chunk, Span) else len(chunk)
                pending.append(
                    (count, pool.apply_async(_convert_chunk, (name, first, chunk, bulk)))
                )
                if len(pending) > 2 * workers:
                    yield ready()
        finally:
            # Whatever was read before a break (a cut .gz) is still converted and kept.
            while pending:
                yield ready()



_WORKER_MIN_BYTES = 32 << 20  # below this, starting a process costs more than it saves


def default_workers(path: Path) -> int:
    """One converter process for a large file where a second core exists: in a bulk
    load the main process then only ships rows to the writer, whose SQLite work runs
    beside the conversion (docs/benchmarks.md)."""
    try:
        large = path.stat().st_size >= _WORKER_MIN_BYTES
    except OSError:
        return 0
    return 1 if large and (os.cpu_count() or 1) >= 2 else 0
