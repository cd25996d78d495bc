"""The ``HttpClient`` protocol every network source uses, and its real implementation.

Sources receive a client; tests pass the real one pointed at a loopback server that
replays recorded responses. Politeness (delays, retries, Retry-After) lives with each
source's client code, not here, so it is tested where it matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from paperwire import __version__

USER_AGENT = f"paperwire/{__version__} (self-hosted paper discovery)"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names


class HttpClient(Protocol):
    def get(
        self, url: str, *, params: Mapping[str, str] | None = None, timeout: float = 30.0
    ) -> HttpResponse:
        """GET; raises ``httpx.TransportError`` (incl. timeouts) on network failure."""
        ...


class HttpxClient:
    """Real client over httpx; one connection pool, redirects followed."""

    def __init__(self, *, user_agent: str = USER_AGENT) -> None:
        self._client = httpx.Client(headers={"User-Agent": user_agent}, follow_redirects=True)

    def get(
        self, url: str, *, params: Mapping[str, str] | None = None, timeout: float = 30.0
    ) -> HttpResponse:
        r = self._client.get(url, params=params, timeout=timeout)
        return HttpResponse(
            url=str(r.url),
            status=r.status_code,
            body=r.content,
            headers={k.lower(): v for k, v in r.headers.items()},
        )

    def close(self) -> None:
        self._client.close()
