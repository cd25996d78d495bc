"""The arXiv metadata snapshot (JSON lines, plain or gzip) → Papers, streamed in batches.

The snapshot holds every arXiv paper (millions of lines), so it is never loaded whole:
lines are read one at a time, converted, and written ``batch_size`` at a time, each
batch one transaction. A bad line never stops the import: it is reported with its line
number, counted as failed and skipped. A truncated ``.gz`` keeps everything read
before the break and says where the break was.
"""

from __future__ import annotations

import ctypes
import gc
import gzip
import io
import multiprocessing
import os
import pickle
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import IO, Any, cast

import orjson

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.ingest.checks import first_doi
from paperwire.ingest.errors import RECORD_ERRORS, IngestError
from paperwire.ingest.links import finish_paper
from paperwire.models import Author, Link, Paper, UpsertCounts
from paperwire.store.base import Store
from paperwire.store.codec import BulkRows, bulk_rows

DEFAULT_BATCH_SIZE = 5000
MAX_REPORTED_ERRORS = 20  # printed; all are counted

_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1
)}


@dataclass(slots=True)
class SnapshotReport:
    """What an import did. ``errors`` holds the first few problems; ``error_count`` all."""

    counts: UpsertCounts = field(default_factory=UpsertCounts)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    lines: int = 0
    truncated: str | None = None  # set when the file ended early (a cut .gz)
    max_reported: int = MAX_REPORTED_ERRORS

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.truncated is None

    def add_error(self, message: str) -> None:
        self.error_count += 1
        if self.error_count <= self.max_reported:
            self.errors.append(message)

    def as_dict(self) -> dict[str, object]:
        errors = list(self.errors)
        hidden = self.error_count - min(self.error_count, self.max_reported)
        if hidden > 0:
            errors.append(f"… and {hidden} more bad lines (all counted as failed)")
        return {
            **self.counts.as_dict(),
            "lines": self.lines,
            "error_count": self.error_count,
            "truncated": self.truncated is not None,
            "errors": errors,
        }


def parse_created(value: str) -> datetime:
    """``Mon, 2 Apr 2007 19:18:42 GMT`` → aware UTC datetime; fast path for the usual form."""
    parts = value.split()
    try:
        hour, minute, second = parts[4].split(":")
        return datetime(
            int(parts[3]), _MONTHS[parts[2]], int(parts[1]), int(hour), int(minute), int(second), tzinfo=UTC
        )
    except (IndexError, KeyError, ValueError, OverflowError):
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise ValueError(f"unreadable date {value!r}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# The ASCII characters ``str.split()`` splits on, besides the space and the newline.
_OTHER_ASCII_SPACE = ("\t", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f")


def _squash(text: object) -> str:
    """Collapse whitespace as the Atom import does; the usual wrapped line is cheap."""
    if not isinstance(text, str):
        return ""
    flat = text.strip().replace("\n", " ")
    if flat.isascii() and "  " not in flat and not any(c in flat for c in _OTHER_ASCII_SPACE):
        # Same result as split/join, without building a word list; each test is one
        # memchr-like pass (``isprintable`` looked every character up: 3 µs an abstract).
        return flat
    return " ".join(flat.split())


def _optional(text: object) -> str | None:
    return _squash(text) or None


def _authors(record: dict[str, Any]) -> list[Author]:
    parsed = record.get("authors_parsed")
    if parsed is not None and not isinstance(parsed, list):
        raise ValueError(f"authors_parsed is {type(parsed).__name__}, not a list")
    if parsed:
        authors = []
        for n, entry in enumerate(parsed, start=1):
            # [family, given, suffix] and at times an affiliation: all text. Anything
            # else would be stored as it is and break every page that shows the paper.
            if not isinstance(entry, list) or not all(isinstance(part, str) for part in entry):
                raise ValueError(f"authors_parsed entry {n} is not a list of names: {str(entry)[:60]}")
            family = entry[0] if entry else ""
            given = entry[1] if len(entry) > 1 else ""
            suffix = entry[2] if len(entry) > 2 else ""
            if given and family:
                name = f"{given} {family} {suffix}" if suffix else f"{given} {family}"
            else:
                name = " ".join(p for p in (given, family, suffix) if p)
            if name.strip():
                authors.append(Author(name, family or None, given or None, suffix or None))
        return authors
    raw = _squash(record.get("authors"))
    if not raw:
        return []
    names = [n.strip() for n in raw.replace(" and ", ", ").split(",")]
    return [Author(name=n) for n in names if n]


def _versions(record: dict[str, Any]) -> tuple[int | None, datetime | None, datetime | None]:
    versions = record.get("versions")
    if not isinstance(versions, list) or not versions:
        return None, None, None
    numbers = []
    for v in versions:
        label = v.get("version", "") if isinstance(v, dict) else ""
        if isinstance(label, str) and label[:1] == "v" and label[1:].isascii() and label[1:].isdigit():
            numbers.append(int(label[1:]))
    first, last = versions[0], versions[-1]
    submitted = parse_created(first["created"]) if isinstance(first, dict) and first.get("created") else None
    if last is first:  # one version (most papers): one date to parse
        return (max(numbers) if numbers else None), submitted, submitted
    updated = parse_created(last["created"]) if isinstance(last, dict) and last.get("created") else None
    return (max(numbers) if numbers else None), submitted, updated


def record_to_paper(record: object, *, where: str) -> Paper:
    """One decoded snapshot line → ``Paper``; ``IngestError`` says what is wrong."""
    if not isinstance(record, dict):
        raise IngestError(where, f"expected a JSON object, got {type(record).__name__}")
    raw_id = record.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise IngestError(where, "record has no id")
    try:
        ident = parse_arxiv_id(raw_id)
    except InvalidArxivId as exc:
        raise IngestError(where, f"bad arXiv id {exc}") from exc
    title = _squash(record.get("title"))
    if not title:
        raise IngestError(where, f"record {ident.id} has no title")
    try:
        version, submitted, updated = _versions(record)
        authors = _authors(record)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise IngestError(where, f"record {ident.id}: unusable versions or authors ({exc})") from exc
    categories = record.get("categories")
    paper = Paper(
        id=ident.id,
        version=version or ident.version,
        title=title,
        abstract=_squash(record.get("abstract")),
        authors=authors,
        categories=categories.split() if isinstance(categories, str) else [],
        submitted=submitted,
        updated=updated,
        doi=first_doi(_optional(record.get("doi"))),
        journal_ref=_optional(record.get("journal-ref")),
        comments=_optional(record.get("comments")),
        license=_optional(record.get("license")),
        source="arxiv",
    )
    return finish_paper(paper, where=f"{where}: record {ident.id}")


class _BatchWriter:
    """Writes batches on background threads while the caller converts the next.

    The database does much of its work without holding the GIL, so parsing and writing
    overlap. At most ``store.bulk_load_writers`` batches are in flight (one, except in
    a PostgreSQL bulk load: see ``BulkLoadStore``), so memory stays bounded; each batch
    is its own transaction, and results are collected in file order. A write error
    surfaces on the next call and nothing is submitted after it (a batch already in
    flight beside it may land; a rerun finishes the job, as after any interruption).

    In a bulk load (``bulk``: the papers table was empty, see ``store.bulk_sql``)
    batches arrive as encoded rows and are inserted as they are; a batch that meets an
    id already stored (a record repeated in the file) is written by upserts once the
    batch beside it is done (``_upsert_in_file_order``).
    """

    def __init__(self, store: Store, *, bulk: bool) -> None:
        self.store = store
        self.bulk = bulk
        self.counts = UpsertCounts()
        self.in_flight = max(1, store.bulk_load_writers) if bulk else 1
        self._pool = ThreadPoolExecutor(max_workers=self.in_flight, thread_name_prefix="snapshot-writer")
        self._pending: deque[tuple[list[Paper] | BulkRows, Future[UpsertCounts | None]]] = deque()

    def _collect_one(self) -> None:
        batch, future = self._pending.popleft()
        counts = future.result()
        if counts is None:  # bulk rows that met a stored id: nothing was written
            counts = self._upsert_in_file_order(cast(BulkRows, batch))
        self.counts += counts

    def submit(self, batch: list[Paper] | BulkRows) -> None:
        while len(self._pending) >= self.in_flight:
            self._collect_one()
        self._pending.append((batch, self._pool.submit(self._write, batch)))

    def _write(self, batch: list[Paper] | BulkRows) -> UpsertCounts | None:
        if isinstance(batch, tuple):
            return self.store.insert_bulk_rows(batch)
        # FTS5 tokenising costs more than the rest of a write (docs/benchmarks.md), so
        # batches skip the keyword index and ``finish`` indexes them all at once.
        return self.store.upsert_papers(batch, defer_index=True)

    def _upsert_in_file_order(self, rows: BulkRows) -> UpsertCounts:
        """Write bulk rows that met a stored id by upserts (``upsert_bulk_rows``), once
        the later batches written beside them are done: one of those may have stored
        such an id first, and the last record of an id in the file must win, counted as
        a sequential load counts it. A later batch's error surfaces in its own turn,
        after this batch is written."""
        wait([future for _, future in self._pending])
        stored_later = [
            cast(BulkRows, later)[0]
            for later, future in self._pending
            if future.exception() is None and future.result() is not None
        ]
        return self.store.upsert_bulk_rows(rows, stored_later=stored_later)

    def finish(self) -> UpsertCounts:
        try:
            while self._pending:
                self._collect_one()
        finally:
            self._pool.shutdown(wait=True)
            try:
                if self.bulk:  # the indexes dropped for the load, built once, sorted
                    self.store.end_bulk_load()
            finally:
                # Whatever was written (also before a truncation or write error) becomes
                # searchable; an interrupted import leaves a backlog `paperwire index` clears.
                self.store.refresh_keyword_index()
        return self.counts


def _open(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """(lines to read, raw file whose position measures progress); gzip by magic bytes."""
    raw = path.open("rb")
    if raw.read(2) == b"\x1f\x8b":
        raw.seek(0)
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw  # type: ignore[return-value]
    raw.seek(0)
    return raw, raw


_READ_BYTES = 1 << 16  # read1: whatever is ready, so a cut .gz loses only its last partial line
_CHUNK_BYTES = 1 << 20  # lines handed to a converter at once (~600 papers)


def _line_chunks(stream: IO[bytes], chunk_bytes: int) -> Iterator[tuple[int, list[bytes]]]:
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
        except (EOFError, gzip.BadGzipFile, zlib.error):
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
class _Span:
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


def _spans(raw: IO[bytes], path: str, chunk_bytes: int) -> Iterator[tuple[int, _Span]]:
    """(first line number, span) of about ``chunk_bytes`` each, for converter processes;
    lines are numbered as ``_line_chunks`` numbers them."""
    first, offset, pending = 1, raw.tell(), b""
    while block := raw.read(chunk_bytes):
        data = pending + block
        cut = data.rfind(b"\n") + 1
        if not cut:
            pending = data
            continue
        count = data.count(b"\n", 0, cut)
        yield first, _Span(path, offset, cut, count)
        first, offset, pending = first + count, offset + cut, data[cut:]
    if pending:
        yield first, _Span(path, offset, len(pending), 1)


def convert_lines(name: str, first_line: int, lines: list[bytes]) -> tuple[list[Paper], list[str]]:
    """Snapshot lines → papers, and one message per bad line (blank lines are skipped)."""
    papers: list[Paper] = []
    errors: list[str] = []
    for offset, line in enumerate(lines):
        if not line.strip():
            continue
        where = f"{name}:{first_line + offset}"
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            errors.append(f"{where}: invalid JSON ({exc})")
            continue
        try:
            papers.append(record_to_paper(record, where=where))
        except IngestError as exc:
            errors.append(str(exc))
        except RECORD_ERRORS as exc:  # a case record_to_paper did not foresee: still one line
            errors.append(f"{where}: unusable record ({type(exc).__name__}: {str(exc)[:200]})")
    return papers, errors


# Papers cross process boundaries as plain tuples: pickling the dataclasses costs
# several times more than converting the line again. In a bulk load the converter
# processes go further and ship the encoded rows the store inserts as they are.
_Packed = tuple[Any, ...]
# One converted chunk: the lines it held, its papers (or their bulk rows), its errors.
_Chunk = tuple[int, "list[Paper] | BulkRows", list[str]]


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


def _convert_chunk(name: str, first_line: int, lines: list[bytes] | _Span, bulk: bool) -> bytes:
    """Runs in a converter process: what crosses back is plain tuples, pickled by
    ``_ship``."""
    if isinstance(lines, _Span):
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


def _converted(
    name: str, chunks: Iterator[tuple[int, list[bytes] | _Span]], workers: int, *, bulk: bool
) -> Iterator[_Chunk]:
    """(lines in chunk, papers or bulk rows, errors) in file order; converted by
    ``workers`` processes (0: here). At most a few chunks are in flight, so memory
    stays bounded."""
    if workers <= 0:
        for first, chunk in chunks:
            lines = chunk.read() if isinstance(chunk, _Span) else chunk
            papers, errors = convert_lines(name, first, lines)
            yield len(lines), (bulk_rows(papers) if bulk else papers), errors
        return
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding a database
    with ctx.Pool(workers, initializer=_worker_init) as pool:
        pending: deque[tuple[int, AsyncResult[bytes]]] = deque()

        def ready() -> _Chunk:
            count, result = pending.popleft()
            converted, errors = pickle.loads(result.get())
            if bulk:
                return count, cast(BulkRows, converted), errors
            return count, [_unpack(t) for t in cast(list[_Packed], converted)], errors

        try:
            for first, chunk in chunks:
                count = chunk.count if isinstance(chunk, _Span) else len(chunk)
                pending.append(
                    (count, pool.apply_async(_convert_chunk, (name, first, chunk, bulk)))
                )
                if len(pending) > 2 * workers:
                    yield ready()
        finally:
            # Whatever was read before a break (a cut .gz) is still converted and kept.
            while pending:
                yield ready()


class _Batcher:
    """Gathers converted chunks into write batches of about ``size`` papers."""

    def __init__(self, size: int, *, bulk: bool) -> None:
        self.size = size
        self.bulk = bulk
        self.papers: list[Paper] = []
        self.rows: BulkRows = ([], [], [])

    @property
    def count(self) -> int:
        return len(self.rows[0]) if self.bulk else len(self.papers)

    def add(self, converted: list[Paper] | BulkRows) -> None:
        if isinstance(converted, tuple):
            for mine, theirs in zip(self.rows, converted, strict=True):
                mine.extend(theirs)  # type: ignore[attr-defined]
        else:
            self.papers.extend(converted)

    def full(self) -> bool:
        return self.count >= self.size

    def take(self) -> list[Paper] | BulkRows | None:
        """The next batch: ``size`` papers (a repeated id counts per batch, as in
        ``upsert_papers``), or all rows gathered in a bulk load."""
        if not self.count:
            return None
        if self.bulk:
            rows, self.rows = self.rows, ([], [], [])
            return rows
        papers, self.papers = self.papers[: self.size], self.papers[self.size :]
        return papers


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


def import_snapshot(
    store: Store,
    path: Path,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Callable[[int], None] | None = None,
    max_reported: int = MAX_REPORTED_ERRORS,
    workers: int | None = None,
    chunk_bytes: int = _CHUNK_BYTES,
) -> SnapshotReport:
    """Import one snapshot file; ``on_progress(bytes_read_so_far)`` after every batch.

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
        stream, raw = _open(path)
    except OSError as exc:
        report.add_error(f"{name}: cannot read file ({exc.strerror or exc})")
        return report
    bulk = store.begin_bulk_load()
    if workers is None:
        # A converter process pays off only for a bulk load, which ships ready rows; an
        # upsert rerun would unpack every paper again here (measured slower, benchmarks.md).
        workers = default_workers(path) if bulk else 0
    writer = _BatchWriter(store, bulk=bulk)
    batcher = _Batcher(batch_size, bulk=bulk)
    failed = 0

    def flush(*, final: bool = False) -> None:
        while batcher.full() or (final and batcher.count):
            batch = batcher.take()
            if batch is not None:
                writer.submit(batch)
        if on_progress:
            on_progress(raw.tell())

    gc_was_enabled = gc.isenabled()
    gc.disable()  # see _worker_init: the same holds for converting here
    try:
        with stream, raw:
            try:
                chunks: Iterator[tuple[int, list[bytes] | _Span]] = (
                    _spans(raw, str(path), chunk_bytes)
                    if workers > 0 and stream is raw  # plain file: converters read it
                    else _line_chunks(stream, chunk_bytes)
                )
                for count, converted, errors in _converted(name, chunks, workers, bulk=bulk):
                    report.lines += count
                    for message in errors:
                        report.add_error(message)
                    failed += len(errors)
                    batcher.add(converted)
                    if batcher.full():
                        flush()
            except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                report.truncated = (
                    f"{name}: truncated at line {report.lines + 1}: the compressed data ends early "
                    f"or is damaged ({exc}); the {report.lines} lines before it were read"
                )
                report.errors.append(report.truncated)  # listed even past the cap
            flush(final=True)
    except OSError as exc:
        report.add_error(f"{name}: read error ({exc.strerror or exc})")
    finally:
        if gc_was_enabled:
            gc.enable()
        report.counts += writer.finish()
    report.counts += UpsertCounts(failed=failed)
    return report
