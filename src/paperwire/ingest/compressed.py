"""Input files that may be gzip-compressed: the one way the file importers open them.

Compression is told by the file's first bytes, not its name: a snapshot saved as
``.json`` may well be gzip, and a ``.gz`` that is plain text still imports.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import IO

GZIP_MAGIC = b"\x1f\x8b"

# What reading a cut or damaged gzip stream raises; an importer keeps what it read
# before it and reports where the file broke.
COMPRESSION_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)


def open_maybe_gzip(path: Path) -> tuple[IO[bytes], IO[bytes]]:
    """(stream of the file's content, raw file). The raw file's position is how far
    into the file on disk the stream has read, which is what progress is measured in
    (compressed bytes for a ``.gz``, so it ends at the file's size either way). Close
    both; for a plain file they are the same object."""
    raw = path.open("rb")
    try:
        magic = raw.read(len(GZIP_MAGIC))
        raw.seek(0)
    except OSError:
        raw.close()
        raise
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=raw, mode="rb"), raw  # type: ignore[return-value]
    return raw, raw
