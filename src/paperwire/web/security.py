"""Security headers on every response: paper text is data, and even if some of it slipped
into markup the browser must refuse to run it (CSP without inline script), sniff it or
frame it.

A plain ASGI middleware (not ``BaseHTTPMiddleware``) so it adds no per-request task and
costs next to nothing under load.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# KaTeX needs nothing more: its CSS and fonts are same-origin files and it styles nodes
# through the CSSOM, which ``style-src`` does not restrict.
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

# FastAPI's interactive API docs page is generated with an inline bootstrap script; it
# gets a policy that allows exactly that, still unframeable.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'unsafe-inline' https:; "
    "style-src 'self' 'unsafe-inline' https:; "
    "img-src 'self' data: https:; "
    "object-src 'none'; "
    "base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/api/docs", "/api/docs/oauth2-redirect", "/api/redoc"})

COMMON_HEADERS: tuple[tuple[str, str], ...] = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "strict-origin-when-cross-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
)


def security_headers(path: str) -> list[tuple[str, str]]:
    """The headers for a response to ``path`` (also used by the 500 handler, which runs
    outside the middleware stack)."""
    csp = DOCS_CONTENT_SECURITY_POLICY if path in DOCS_PATHS else CONTENT_SECURITY_POLICY
    return [("content-security-policy", csp), *COMMON_HEADERS]


def _encoded(headers: Iterable[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]


class SecurityHeadersMiddleware:
    """Adds :func:`security_headers` to every HTTP response that does not set them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._default = _encoded(security_headers("/"))
        self._docs = _encoded(security_headers("/api/docs"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._docs if scope.get("path") in DOCS_PATHS else self._default

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {k.lower() for k, _ in headers}
                headers.extend((k, v) for k, v in extra if k not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
