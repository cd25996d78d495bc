"""A cap on request bodies (``PAPERWIRE_MAX_BODY_BYTES``): 413 instead of reading them.

A declared ``Content-Length`` over the cap is answered before any route runs, so the
body is never read. A body sent without one (chunked) is counted as the route reads it;
at the first chunk past the cap the 413 goes out, the route is told the client has gone
(``http.disconnect``), and whatever it answers after that is dropped. A route that
never reads its body never pulls the rest of it.

A plain ASGI middleware, like the security headers: no per-request task.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer; the route's own is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not refused:
                raise
            # The route failed on the cut-off body (a client-disconnect error, say):
            # the client already has its 413.

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        from paperwire.web.errors import error_response

        message = f"request body too large (at most {self.max_bytes} bytes)"
        response = error_response(Request(scope), 413, message)
        response.headers["Connection"] = "close"  # the rest of the body is not read
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # malformed: the server refuses it before we see it
    return None
