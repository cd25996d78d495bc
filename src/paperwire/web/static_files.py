"""Static assets under /static (vendored, no CDN; see static/VENDORED.md).

URLs made by :func:`static_url` carry a content hash (``?v=…``), so responses can be
cached for a year: a changed file gets a new URL.
"""

from __future__ import annotations

import hashlib
import mimetypes
from functools import lru_cache
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse

from paperwire.web.routing import CACHE_FOREVER, page_router

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Only these kinds are served; anything else in the folder (READMEs, licences) is
# reachable only by its own known name, never guessed into an executable type.
MEDIA_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".woff2": "font/woff2",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}

router = page_router()


def resolve_static(relative: str) -> Path | None:
    """The file under STATIC_DIR for ``relative``, or None when it escapes the folder,
    is missing, or has a type we do not serve."""
    if not relative or "\x00" in relative or "\\" in relative:
        return None
    try:
        candidate = (STATIC_DIR / relative).resolve()
        if not candidate.is_relative_to(STATIC_DIR) or not candidate.is_file():
            return None
    except OSError:  # a name the file system refuses (too long…) is simply not ours
        return None
    name = candidate.name
    if candidate.suffix.lower() not in MEDIA_TYPES and name != "LICENSE":
        return None
    return candidate


@lru_cache(maxsize=256)
def _content_hash(relative: str) -> str:
    path = resolve_static(relative)
    if path is None:
        return "missing"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def static_url(relative: str) -> str:
    """``/static/<relative>?v=<hash>``: cache-busting URL for templates."""
    return f"/static/{relative}?v={_content_hash(relative)}"


@router.get("/static/{relative:path}", include_in_schema=False)
def get_static(relative: str) -> FileResponse:
    path = resolve_static(relative)
    if path is None:
        raise HTTPException(404, f"no static file {relative!r}")
    media_type = MEDIA_TYPES.get(path.suffix.lower()) or (
        "text/plain; charset=utf-8" if path.name == "LICENSE" else mimetypes.guess_type(path)[0]
    )
    return FileResponse(path, media_type=media_type, headers={"cache-control": CACHE_FOREVER})
