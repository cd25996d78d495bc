"""Rendered listing pages, kept per data version and served before routing.

The daily and trending pages are the busiest and change only when the data does, so a
page is rendered once per (URL, data version, UTC day) and its bytes are served from
memory after that: a pure ASGI middleware answers a hit without entering the framework
(no dependency resolution, no threadpool hop), which is what lets two workers carry
the load (bench/web_load.sh). A write bumps ``Store.data_version()``; the next request
renders afresh. Requests with cookies are never cached (a page may differ per reader).
Each worker keeps its own bounded LRU, built with the app (never at import).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("paperwire.web.page_cache")

CACHED_EXACT = frozenset({"/", "/trending", "/about"})
CACHED_PREFIXES = ("/authors/", "/categories/")


def is_cached_page(path: str) -> bool:
    return path in CACHED_EXACT or path.startswith(CACHED_PREFIXES)


class RenderedPageCache:
    """A bounded LRU of rendered responses (headers and body); thread-safe."""

    def __init__(self, *, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[list[tuple[bytes, bytes]], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        with self._lock:
            self._entries[key] = (headers, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def _has_cookie(scope: Scope) -> bool:
    return any(k == b"cookie" for k, _ in scope.get("headers", ()))


class RenderedPageMiddleware:
    """Serves cached page bytes for GET/HEAD of listing pages; fills the cache from
    successful HTML responses of the app."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        data_version: Callable[[], Any],
        cache: RenderedPageCache | None = None,
        today: Callable[[], Any] | None = None,
    ) -> None:
        self.app = app
        self.data_version = data_version
        self.cache = cache if cache is not None else RenderedPageCache()
        self.today = today or (lambda: datetime.now(UTC).date())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or not is_cached_page(scope["path"])
            or _has_cookie(scope)
        ):
            await self.app(scope, receive, send)
            return
        try:
            version = self.data_version()
        except Exception:  # the route reports a broken database properly
            log.exception("data version unavailable; page not cached")
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""), version, self.today())
        hit = self.cache.get(key)
        if hit is not None:
            headers, body = hit
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
            return

        start: Message | None = None
        chunks: list[bytes] = []
        cacheable = scope["method"] == "GET"

        async def capture(message: Message) -> None:
            nonlocal start, cacheable
            if message["type"] == "http.response.start":
                start = message
                headers = {k.lower(): v for k, v in message.get("headers", ())}
                if (
                    message["status"] != 200
                    or not headers.get(b"content-type", b"").startswith(b"text/html")
                    or b"set-cookie" in headers
                ):
                    cacheable = False
            elif message["type"] == "http.response.body" and cacheable:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and start is not None:
                    self.cache.put(key, list(start.get("headers", ())), b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)


def install(app: Any, *, max_entries: int = 256) -> None:
    """Add the middleware; the store is read from ``app.state`` per request. The cache
    is kept on ``app.state.page_cache`` so tests and operators can look at it."""
    cache = app.state.page_cache = RenderedPageCache(max_entries=max_entries)
    app.add_middleware(
        RenderedPageMiddleware,
        data_version=lambda: app.state.store.data_version(),
        cache=cache,
    )
