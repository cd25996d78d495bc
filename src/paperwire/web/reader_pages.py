"""Signed-in readers' pages, made from one page shared by all of them.

A page of a ``Cache.PAGE`` route differs between signed-in readers in a few values
only: the reader's name in the header, their CSRF token (the page's ``<meta
name="csrf-token">`` and every form's ``csrf_token`` field) and, on each card, whether
they vote for the paper and have saved it. Everything else — the papers, the counts
of votes and comments, who submitted what — is the site's data, the same for everyone.

So the page is rendered once per (URL, data version, UTC day, moderator or not) with a
marker in each of those places, and kept, split at its markers (``SharedPage``).
Each request then fills the markers for its reader: the session lookup, and one
indexed query for the reader's votes and saves among the page's papers
(``Store.reader_marks``). The markers come from the template helpers — ``viewer()``
and ``csrf_token()`` (``templating.py``) and ``CardView.own`` (``cards.py``) — which
ask ``page_slots(request)`` whether the page being rendered is a shared one
(``PageSlots``). A shared page is rendered without the reader's cookie: no route or
template can put one reader's state into what others are served. Each value filled in
is escaped as the template would have escaped it, so a filled page is byte for byte
the page rendered for that reader alone (a test holds this).

A cookie that signs no one in (expired, signed out, not ours) gets the signed-out page
kept for everyone. Requests with an ``Authorization`` header are not served here.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import Request
from markupsafe import Markup, escape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire.web.auth import csrf_for, resolve_auth, secret_key
from paperwire.web.page_cache import RenderedPageCache

log = logging.getLogger("paperwire.web.reader_pages")

SLOTS_STATE = "page_slots"  # where a shared render's PageSlots sit on request.state
_CREDENTIALS = (b"cookie", b"authorization")

MarkName = Literal["voted", "saved"]


@dataclass(frozen=True, slots=True)
class Reader:
    """A signed-in reader, as much as a shared page needs to become theirs."""

    user_id: int
    name: str  # display name, unescaped
    csrf: str
    moderator: bool


@dataclass(frozen=True, slots=True)
class _Mark:
    """A place that shows ``yes`` when the reader's own mark (vote, save) of the paper
    is there, else ``no`` (both escaped already)."""

    paper_id: str
    mark: MarkName
    yes: bytes
    no: bytes


@dataclass(frozen=True)
class SharedReader:
    """What templates see as the reader of a shared page: the name is a marker, the role
    is the class of readers the page is shared by. Anything else about the reader would
    differ between them, so asking for it is an error, never a silent blank."""

    display_name: Markup
    is_moderator: bool

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError(
            f"a page shared by signed-in readers shows their name and role only, not {name!r}"
        )


@dataclass
class PageSlots:
    """The markers of one shared render, and what each stands for."""

    moderator: bool
    nonce: str
    marks: list[_Mark] = field(default_factory=list)

    def _marker(self, name: str) -> Markup:
        return Markup(f"<!--pw-slot:{self.nonce}:{name}-->")

    @property
    def reader(self) -> SharedReader:
        return SharedReader(self._marker("name"), self.moderator)

    def csrf(self) -> Markup:
        return self._marker("csrf")

    def own(self, paper_id: str, mark: MarkName, yes: str, no: str) -> Markup:
        self.marks.append(
            _Mark(paper_id, mark, str(escape(yes)).encode(), str(escape(no)).encode())
        )
        return self._marker(str(len(self.marks) - 1))


def page_slots(request: Any) -> PageSlots | None:
    """The slots of the shared page ``request`` renders, or None for an ordinary render."""
    if not isinstance(request, Request):
        return None
    return getattr(request.state, SLOTS_STATE, None)


@dataclass(frozen=True, slots=True)
class SharedPage:
    """A rendered page cut at its markers: ``texts[0] slot[0] texts[1] … texts[n]``."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]  # without Content-Length
    texts: tuple[bytes, ...]
    slots: tuple[str | _Mark, ...]  # "name", "csrf" or a card's mark
    paper_ids: tuple[str, ...]  # the papers whose marks the page shows

    @classmethod
    def cut(
        cls, status: int, headers: list[tuple[bytes, bytes]], body: bytes, slots: PageSlots
    ) -> SharedPage:
        marker = re.compile(rb"<!--pw-slot:" + re.escape(slots.nonce.encode()) + rb":(\w+)-->")
        pieces = marker.split(body)
        names = [name.decode() for name in pieces[1::2]]
        places = tuple(n if n in ("name", "csrf") else slots.marks[int(n)] for n in names)
        return cls(
            status=status,
            headers=tuple((k, v) for k, v in headers if k.lower() != b"content-length"),
            texts=tuple(pieces[0::2]),
            slots=places,
            paper_ids=tuple(dict.fromkeys(p.paper_id for p in places if isinstance(p, _Mark))),
        )

    def fill(self, reader: Reader, voted: frozenset[str], saved: frozenset[str]) -> bytes:
        own = {"voted": voted, "saved": saved}
        name = str(escape(reader.name)).encode()
        csrf = str(escape(reader.csrf)).encode()
        out = [b""] * (2 * len(self.slots) + 1)
        out[0::2] = self.texts
        out[1::2] = [
            (place.yes if place.paper_id in own[place.mark] else place.no)
            if type(place) is _Mark
            else (name if place == "name" else csrf)
            for place in self.slots
        ]
        return b"".join(out)


def identify_reader(scope: Scope) -> Reader | None:
    """The reader the request's session cookie signs in, else None (blocking: one
    primary-key read of the session). The answer stays on the request, so the route,
    when it runs, does not look again."""
    request = Request(scope)
    auth = resolve_auth(request)
    if auth.user is None or auth.via != "cookie":
        return None
    return Reader(
        user_id=auth.user.id,
        name=auth.user.display_name,
        csrf=csrf_for(secret_key(request), auth.session_token),
        moderator=auth.user.is_moderator,
    )


def without_credentials(scope: Scope) -> Scope:
    """``scope`` without the reader's cookie and authorization, and without what was
    learnt from them: a render of it is the same for everyone."""
    state = {k: v for k, v in scope.get("state", {}).items() if k != "auth"}
    headers = [(k, v) for k, v in scope.get("headers", ()) if k.lower() not in _CREDENTIALS]
    return {**scope, "headers": headers, "state": state}


class ReaderPages:
    """The shared pages of signed-in readers (a bounded LRU per worker; thread-safe),
    served and filled in before routing by ``caching.ResponseCache``."""

    def __init__(self, *, signed_out: RenderedPageCache, max_entries: int = 256) -> None:
        self.signed_out = signed_out
        self.max_entries = max_entries
        self.nonce = secrets.token_hex(8)  # markers no paper text can imitate
        self._entries: OrderedDict[Hashable, SharedPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> SharedPage | None:
        with self._lock:
            page = self._entries.get(key)
            if page is not None:
                self._entries.move_to_end(key)
            return page

    def put(self, key: Hashable, page: SharedPage) -> None:
        with self._lock:
            self._entries[key] = page
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    async def serve(
        self, key: tuple[Any, ...], scope: Scope, receive: Receive, send: Send, app: ASGIApp
    ) -> None:
        """The page at ``key`` (path, query, data version, day) for the reader of the
        request's cookie; the signed-out page when it signs no one in."""
        try:
            reader = identify_reader(scope)
        except Exception:  # the route will report a broken database properly
            log.exception("reader not looked up; rendering the page for the request alone")
            await app(scope, receive, send)
            return
        if reader is None:
            await self.signed_out.serve(key, without_credentials(scope), receive, send, app)
            return
        shared_key = (*key, "signed-in", reader.moderator)
        page = self.get(shared_key)
        if page is None:
            page = await self._render(scope, receive, app, reader)
            if scope["method"] == "GET" and _keepable(page):
                self.put(shared_key, page)
        try:
            voted, saved = (
                scope["app"].state.store.reader_marks(reader.user_id, page.paper_ids)
                if page.paper_ids
                else (frozenset(), frozenset())
            )
        except Exception:
            log.exception("reader's marks not read; rendering the page for the request alone")
            await app(scope, receive, send)
            return
        body = page.fill(reader, voted, saved)
        headers = [*page.headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": page.status, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )

    async def _render(
        self, scope: Scope, receive: Receive, app: ASGIApp, reader: Reader
    ) -> SharedPage:
        """The route's page for every signed-in reader of ``reader``'s role: rendered
        without credentials, with markers where the reader's own values go."""
        slots = PageSlots(moderator=reader.moderator, nonce=self.nonce)
        shared = without_credentials(scope)
        shared["state"][SLOTS_STATE] = slots
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(shared, receive, capture)
        assert start is not None, "the route sent no response"
        return SharedPage.cut(
            start["status"], list(start.get("headers", ())), b"".join(chunks), slots
        )


def _keepable(page: SharedPage) -> bool:
    headers = {k.lower(): v for k, v in page.headers}
    return (
        page.status == 200
        and headers.get(b"content-type", b"").startswith(b"text/html")
        and b"set-cookie" not in headers
    )
