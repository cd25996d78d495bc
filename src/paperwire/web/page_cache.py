"""Rendered listing pages, kept per data version.

The daily and trending pages are the busiest and change only when the data does, so the
HTML is rendered once per (URL, data version, UTC day) and served from memory after
that; a write bumps ``Store.data_version()`` and the next request renders afresh. Each
web worker has its own small LRU, built on first use (never at import).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class RenderedPageCache:
    """A bounded LRU of rendered bodies; safe for the threadpool sync routes run in."""

    def __init__(self, *, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._entries.get(key)
            if body is not None:
                self._entries.move_to_end(key)
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        with self._lock:
            self._entries[key] = body
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def get_or_render(self, key: Hashable, render: Callable[[], bytes]) -> bytes:
        body = self.get(key)
        if body is None:
            body = render()
            self.put(key, body)
        return body

    def __len__(self) -> int:
        return len(self._entries)


def page_cache_for(app: Any) -> RenderedPageCache:
    cache = getattr(app.state, "page_cache", None)
    if cache is None:
        cache = app.state.page_cache = RenderedPageCache()
    return cache  # type: ignore[no-any-return]
