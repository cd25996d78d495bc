"""Rendered listing pages, kept per data version and served before the route runs.

The daily and trending pages are the busiest and change only when the data does, so a
page is rendered once per (URL, data version, UTC day) and its bytes are served from
memory after that. Routes declared ``@cached(Cache.PAGE)`` (``routing.py``) are served
through ``RenderedPageCache.serve`` by the response cache's middleware, before
routing: a hit costs no routing, no dependency resolution and no threadpool hop, which
is what lets two workers carry the load (bench/web_load.sh). A write bumps ``Store.data_version()``; the next request
renders afresh. What is kept here is the page as a signed-out reader sees it, rendered
without the request's cookie; a signed-in reader's page is made from the page kept for
all of them (``reader_pages.py``; ``caching.ResponseCache`` decides). Each worker keeps
its own bounded LRU, built with the app (never at import).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RenderedPageCache:
    """A bounded LRU of rendered responses (headers and body); thread-safe."""

    def __init__(self, *, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[list[tuple[bytes, bytes]], bytes]] = (
            OrderedDict()
        )
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

    async def serve(
        self, key: Hashable, scope: Scope, receive: Receive, send: Send, app: ASGIApp
    ) -> None:
        """The kept page for ``key`` (GET or HEAD), else ``app``'s answer, kept when it is
        a 200 HTML page without cookies to a GET."""
        hit = self.get(key)
        if hit is not None:
            headers, body = hit
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send(
                {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
            )
            return

        start: Message | None = None
        chunks: list[bytes] = []
        keep = scope["method"] == "GET"

        async def capture(message: Message) -> None:
            nonlocal start, keep
            if message["type"] == "http.response.start":
                start = message
                headers = {k.lower(): v for k, v in message.get("headers", ())}
                if (
                    message["status"] != 200
                    or not headers.get(b"content-type", b"").startswith(b"text/html")
                    or b"set-cookie" in headers
                ):
                    keep = False
            elif message["type"] == "http.response.body" and keep:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False) and start is not None:
                    self.put(key, list(start.get("headers", ())), b"".join(chunks))
            await send(message)

        await app(scope, receive, capture)
