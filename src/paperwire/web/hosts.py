"""The site answers only to its own names: a request whose ``Host`` header names another
host gets a 400 before any route runs.

Links the site builds come from ``PAPERWIRE_BASE_URL``, never from the request; this
check is the second fence, so a forged ``Host`` reaches no page, feed or cache entry
at all (a cached answer made for ``evil.example`` could otherwise be served to all).
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

# host, [v6 host] or either with :port; anything else in a Host header is malformed.
_HOST = re.compile(r"(?:\[(?P<v6>[0-9a-fA-F:.]+)\]|(?P<name>[^\s:\[\]/@]+))(?::\d{1,5})?")


def host_name(header: str) -> str | None:
    """The host name in a ``Host`` header value, lower case, without port, brackets or
    a trailing dot; None when the value is not a host."""
    match = _HOST.fullmatch(header.strip())
    if match is None:
        return None
    name = match["v6"] or match["name"]
    return name.lower().rstrip(".") or None


def _pattern(entry: str) -> str:
    """An allowed-hosts entry in the form :func:`host_name` gives (``[::1]`` → ``::1``)."""
    entry = entry.strip().lower()
    if entry.startswith("[") and entry.endswith("]"):
        entry = entry[1:-1]
    return entry.rstrip(".")


class TrustedHostMiddleware:
    """Answers 400, in the usual error shape, to a ``Host`` that is not allowed.

    Entries are host names (a port in the request does not matter), ``*.example.org``
    for any subdomain of ``example.org``, or ``*`` for any host at all."""

    def __init__(self, app: ASGIApp, *, allowed: list[str]) -> None:
        self.app = app
        patterns = [_pattern(entry) for entry in allowed if entry.strip()]
        self.any = "*" in patterns
        self.exact = frozenset(p for p in patterns if not p.startswith("*."))
        self.suffixes = tuple(p[1:] for p in patterns if p.startswith("*."))

    def allows(self, header: str) -> bool:
        if self.any:
            return True
        name = host_name(header)
        if name is None:
            return False
        return name in self.exact or (bool(self.suffixes) and name.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self.any:
            await self.app(scope, receive, send)
            return
        header = next(
            (value.decode("latin-1") for key, value in scope["headers"] if key == b"host"), ""
        )
        if self.allows(header):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # policy violation
            return
        from paperwire.web.errors import error_response

        shown = header[:100] if header else "(none)"
        message = f"Host: this site does not answer to {shown!r}"
        response = error_response(Request(scope, receive), 400, message)
        await response(scope, receive, send)
