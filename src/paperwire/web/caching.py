"""Conditional GET for pages, feeds and the JSON API: ETag, Last-Modified and 304.

The validator is computed *before* the route runs, from what the response depends on:
the data version (``Store.data_version()``: a counter bumped by database triggers on
every write, one primary-key read), today's date (day states such as "future" change
at midnight UTC), the URL with its query, the cookies (pages may differ per reader),
and the application version. A client that already holds the current representation
gets a 304 without the listing being queried or rendered, which is what keeps the busy
pages cheap.

Only paths listed in ``CACHEABLE_PREFIXES`` take part: their content is a function of
the papers alone. Search and similar-papers results also depend on indexes built later
(keyword index, embeddings), so they are left out until those bump a data version too.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, time
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire import __version__
from paperwire.models import DataVersion

log = logging.getLogger("paperwire.web.caching")

# Paths whose responses depend only on the papers (plus URL, cookies and the day).
CACHEABLE_PREFIXES: tuple[str, ...] = (
    "/api/daily",
    "/api/trending",
    "/api/authors/",
    "/api/categories",
    "/api/papers/",
    "/feeds/daily.atom",
    "/feeds/trending.atom",
    "/feeds/categories/",
    "/trending",
    "/day",
    "/week",
    "/month",
    "/papers/",
    "/authors/",
    "/categories",
    "/about",
)
CACHEABLE_EXACT: frozenset[str] = frozenset({"/"})
NEVER_SUFFIXES: tuple[str, ...] = ("/similar",)  # vector index, not the papers


def is_cacheable(path: str) -> bool:
    if path.endswith(NEVER_SUFFIXES):
        return False
    return path in CACHEABLE_EXACT or path.startswith(CACHEABLE_PREFIXES)


def compute_etag(version: DataVersion, *, today: str, url: str, cookie: bytes) -> str:
    """A weak validator (equal content, maybe different encodings, e.g. gzip)."""
    digest = hashlib.blake2b(digest_size=12)
    for part in (str(version.version), version.changed_at.isoformat(), today, url, __version__):
        digest.update(part.encode())
        digest.update(b"\x00")
    digest.update(cookie)
    return f'W/"{digest.hexdigest()}"'


def last_modified(version: DataVersion, now: datetime) -> datetime:
    """When the representation last changed: the data, or midnight UTC (day states)."""
    midnight = datetime.combine(now.date(), time(0), tzinfo=UTC)
    return max(version.changed_at, midnight).replace(microsecond=0)


def etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): ``W/`` prefixes ignored. ``*`` is not honoured:
    we answer before the route runs and cannot know whether the URL exists, and a 304
    for a missing paper would be wrong; a full answer is always correct."""
    wanted = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == wanted for tag in header.split(","))


def not_modified_since(header: str, modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False  # a malformed date is ignored, as RFC 9110 says
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified <= since


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


class ConditionalGetMiddleware:
    """Pure ASGI middleware: answers 304 before routing when the client's validator is
    current; otherwise adds ETag, Last-Modified, Cache-Control and Vary to 200s."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        data_version: Callable[[], DataVersion],
        max_age: int = 60,
        clock: Callable[[], datetime] | None = None,
        cacheable: Callable[[str], bool] = is_cacheable,
    ) -> None:
        self.app = app
        self.data_version = data_version
        self.max_age = max_age
        self.clock = clock or (lambda: datetime.now(UTC))
        self.cacheable = cacheable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not self.cacheable(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        try:
            version = self.data_version()
        except Exception:  # the route will report a broken database properly
            log.exception("data version unavailable; serving without validators")
            await self.app(scope, receive, send)
            return
        now = self.clock()
        query = scope.get("query_string", b"").decode("latin-1")
        url = scope["path"] + ("?" + query if query else "")
        cookie = _header(scope, b"cookie") or b""
        etag = compute_etag(version, today=now.date().isoformat(), url=url, cookie=cookie)
        modified = last_modified(version, now)
        headers = self._validator_headers(etag, modified, private=bool(cookie))

        if self._is_fresh(scope, etag, modified):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_validators(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                existing = {k.lower() for k, _ in message.get("headers", [])}
                if b"set-cookie" not in existing and b"etag" not in existing:
                    extra = [h for h in headers if h[0] == b"vary" or h[0] not in existing]
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_validators)

    def _is_fresh(self, scope: Scope, etag: str, modified: datetime) -> bool:
        if_none_match = _header(scope, b"if-none-match")
        if if_none_match is not None:  # takes precedence over If-Modified-Since
            return etag_matches(if_none_match.decode("latin-1"), etag)
        if_modified_since = _header(scope, b"if-modified-since")
        if if_modified_since is not None:
            return not_modified_since(if_modified_since.decode("latin-1"), modified)
        return False

    def _validator_headers(
        self, etag: str, modified: datetime, *, private: bool
    ) -> list[tuple[bytes, bytes]]:
        control = "private, no-cache" if private else f"public, max-age={self.max_age}"
        return [
            (b"etag", etag.encode()),
            (b"last-modified", format_datetime(modified, usegmt=True).encode()),
            (b"cache-control", control.encode()),
            (b"vary", b"Cookie"),
        ]


def install(app: Any, *, max_age: int, extra_prefixes: Iterable[str] = ()) -> None:
    """Add the middleware to ``app``; the store is read from ``app.state`` per request,
    so nothing is opened here."""
    prefixes = tuple(extra_prefixes)

    def cacheable(path: str) -> bool:
        return is_cacheable(path) or (bool(prefixes) and path.startswith(prefixes))

    app.add_middleware(
        ConditionalGetMiddleware,
        data_version=lambda: app.state.store.data_version(),
        max_age=max_age,
        cacheable=cacheable,
    )
