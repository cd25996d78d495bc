"""Security headers on every response: paper text is data, and even if some of it slipped
into markup the browser must refuse to run it (CSP without inline script), sniff it or
frame it.

A plain ASGI middleware (not ``BaseHTTPMiddleware``) so it adds no per-request task and
costs next to nothing under load.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# One policy for every page, the API docs included: KaTeX and Swagger UI are
# same-origin files started by same-origin scripts, and they style nodes through the
# CSSOM, which ``style-src`` does not restrict.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "font-src 'self'; "
    "img-src 'self' data:; "
    "connect-src 'self'; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)

COMMON_HEADERS: tuple[tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)


def security_headers(path: str) -> list[tuple[str, str]]:
    """The headers for a response to ``path`` (also used by the 500 handler, which runs
    outside the middleware stack). Every path gets the same ones today."""
    return [("content-security-policy", CONTENT_SECURITY_POLICY), *COMMON_HEADERS]


def _encoded(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` to every HTTP response that does not set them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._default = _encoded(security_headers("/"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._default

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
