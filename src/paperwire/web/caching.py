"""Conditional GET for pages, feeds and the JSON API: ETag, Last-Modified and 304.

The validator is computed *before* the route runs, from what the response depends on:
the data version (``Store.data_version()``: a counter bumped by database triggers on
every write, one primary-key read), today's date (day states such as "future" change
at midnight UTC), the URL with its query, the cookies (pages may differ per reader),
and the application version. A client that already holds the current representation
gets a 304 without the listing being queried or rendered, which is what keeps the busy
pages cheap.

Only routes declared ``@cached(Cache.DATA)`` or ``@cached(Cache.PAGE)`` take part
(``routing.py``): their content is a function of the stored data alone. Search results
also depend on the keyword index, built after the papers are written and bumping no
version, so search routes are declared without a cache policy. The middleware learns a
request's route from the app's ``RouteTable`` before routing, so a 304 or a kept page
is answered without entering the framework. A ``Cache.PAGE`` page asked with a session
cookie is the page kept for every signed-in reader with this reader's own state filled
in (``reader_pages.py``); its validators still include the cookie, and the
``community`` data version that a reader's own vote or save bumps.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, time
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire import __version__
from paperwire.models import DataVersion
from paperwire.web.page_cache import RenderedPageCache
from paperwire.web.reader_pages import ReaderPages
from paperwire.web.routing import Cache

log = logging.getLogger("paperwire.web.caching")


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


class ResponseCache:
    """Pure ASGI middleware for the GET and HEAD requests of routes with a cache policy:
    a 304 when the client's validator is current, else the route's answer (a kept page
    when there is one) with ETag, Last-Modified, Cache-Control and Vary added to a 200.
    The data version is read once per request for both."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: Callable[[Scope], Cache],
        data_version: Callable[[], DataVersion],
        pages: RenderedPageCache,
        readers: ReaderPages | None = None,
        max_age: int = 60,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.data_version = data_version
        self.pages = pages
        self.readers = readers
        self.max_age = max_age
        self.clock = clock or (lambda: datetime.now(UTC))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        policy = self.policy(scope)
        if policy is Cache.NONE:
            await self.app(scope, receive, send)
            return
        await self.answer(scope, receive, send, self.app, keep_page=policy is Cache.PAGE)

    async def answer(
        self, scope: Scope, receive: Receive, send: Send, app: ASGIApp, *, keep_page: bool
    ) -> None:
        try:
            version = self.data_version()
        except Exception:  # the route will report a broken database properly
            log.exception("data version unavailable; serving without validators")
            await app(scope, receive, send)
            return
        now = self.clock()
        query = scope.get("query_string", b"").decode("latin-1")
        url = scope["path"] + ("?" + query if query else "")
        cookie = _header(scope, b"cookie")
        # A bearer token identifies a reader as a cookie does: the answer is theirs alone.
        authorization = _header(scope, b"authorization")
        reader = (cookie or b"") + b"\x00" + (authorization or b"") if authorization else cookie
        etag = compute_etag(version, today=now.date().isoformat(), url=url, cookie=reader or b"")
        modified = last_modified(version, now)
        headers = self._validator_headers(etag, modified, private=bool(reader))

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

        key = (scope["path"], scope.get("query_string", b""), version, now.date())
        if keep_page and reader is None:
            await self.pages.serve(key, scope, receive, send_with_validators, app)
        elif keep_page and authorization is None and self.readers is not None:
            # A session cookie: the page kept for signed-in readers, made this reader's.
            await self.readers.serve(key, scope, receive, send_with_validators, app)
        else:
            await app(scope, receive, send_with_validators)

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
            (b"vary", b"Cookie, Authorization"),
        ]


def install(app: Any, *, max_age: int, max_pages: int = 256) -> None:
    """Add the middleware; the store and the route table are read from ``app.state`` per
    request, so nothing is opened here. The kept pages are on ``app.state.page_cache``
    (signed out) and ``app.state.reader_pages`` (signed in) so tests and operators can
    look at them. ``max_pages`` 0 keeps none: every page is rendered for its request,
    a signed-in reader's all of it."""
    pages = app.state.page_cache = RenderedPageCache(max_entries=max_pages)
    readers = app.state.reader_pages = (
        ReaderPages(signed_out=pages, max_entries=max_pages) if max_pages > 0 else None
    )
    app.add_middleware(
        ResponseCache,
        policy=lambda scope: app.state.route_table.cache_policy(scope),
        data_version=lambda: app.state.store.data_version(),
        pages=pages,
        readers=readers,
        max_age=max_age,
    )
