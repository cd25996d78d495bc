"""The ``HttpClient`` protocol every network source uses, and its real implementation.

Sources receive a client; tests pass the real one pointed at a loopback server that
replays recorded responses. Politeness (spacing, retries, Retry-After) lives in
``polite.py``; this module enforces the limits of one request, which the caller
passes in (``PoliteFetcher`` takes them from settings):

- one deadline for the whole request (connect, redirects, headers and body), not per
  read: a server that trickles bytes cannot hold a source longer than ``timeout``;
- a cap on the body (after decompression, so a small gzip bomb counts in full);
- at most ``max_redirects`` redirects, and only to ``http``/``https`` addresses;
- request ``headers`` (conditional requests, an API token) go with a redirect only to
  the same origin (scheme, host and port), so a credential never follows a redirect
  to another server.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import httpx

from paperwire import __version__

USER_AGENT = f"paperwire/{__version__} (self-hosted paper discovery)"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 5
REDIRECT_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class HttpResponse:
    url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names


class ResponseLimitError(Exception):
    """A response broke a limit: body too large, too many redirects, or a redirect to
    a scheme other than http/https. Asking again would not help."""

    def __init__(self, url: str, problem: str) -> None:
        super().__init__(f"{url}: {problem}")
        self.url = url
        self.problem = problem


class HttpClient(Protocol):
    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
    ) -> HttpResponse:
        """GET, done within ``timeout`` seconds in all. Raises ``httpx.TransportError``
        (``httpx.TimeoutException`` past the deadline) on network failure and
        ``ResponseLimitError`` when the response breaks a limit."""
        ...


class _Cancelled(Exception):
    """The caller stopped waiting; the request thread drops the response."""


class HttpxClient:
    """Real client over httpx; one connection pool, redirects followed by hand.

    httpx's timeouts apply to each read, so each request runs on a short-lived
    thread the caller waits for at most ``timeout`` seconds; past that the caller
    gets a timeout and the thread drops the response at its next chunk (or read
    timeout) — it never reads on for long.
    """

    def __init__(self, *, user_agent: str = USER_AGENT) -> None:
        self._client = httpx.Client(headers={"User-Agent": user_agent}, follow_redirects=False)

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
    ) -> HttpResponse:
        outcome: list[HttpResponse | BaseException] = []
        done = threading.Event()
        cancelled = threading.Event()

        def work() -> None:
            try:
                outcome.append(
                    self._get(url, params, headers, timeout, max_bytes, max_redirects, cancelled)
                )
            except BaseException as exc:  # handed to the caller below
                outcome.append(exc)
            finally:
                done.set()

        threading.Thread(target=work, name="paperwire-http", daemon=True).start()
        if not done.wait(timeout):
            cancelled.set()
            raise httpx.TimeoutException(f"no complete response within {timeout:g} s")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _get(
        self,
        url: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        timeout: float,
        max_bytes: int,
        max_redirects: int,
        cancelled: threading.Event,
    ) -> HttpResponse:
        request = self._client.build_request(
            "GET", url, params=params, headers=headers, timeout=timeout
        )
        first = str(request.url)
        origin = (request.url.scheme, request.url.host, request.url.port)
        for _hop in range(max_redirects + 1):
            try:
                response = self._client.send(request, stream=True)
            except httpx.InvalidURL as exc:  # httpx reads a redirect's Location even here
                raise ResponseLimitError(
                    first, f"redirected to an unusable address ({exc})"
                ) from exc
            try:
                # A 3xx without a usable Location (a 304 Not Modified) is an answer.
                if not response.has_redirect_location:
                    return HttpResponse(
                        url=str(response.url),
                        status=response.status_code,
                        body=_read_capped(response, first, max_bytes, cancelled),
                        headers={k.lower(): v for k, v in response.headers.items()},
                    )
                location = response.headers["location"]
            finally:
                response.close()
            if cancelled.is_set():
                raise _Cancelled
            target = response.url.join(location)
            if target.scheme not in REDIRECT_SCHEMES:
                raise ResponseLimitError(
                    first, f"redirected to {location!r}: only http and https redirects are followed"
                )
            same_origin = (target.scheme, target.host, target.port) == origin
            request = self._client.build_request(
                "GET", target, headers=headers if same_origin else None, timeout=timeout
            )
        raise ResponseLimitError(
            first, f"more than {max_redirects} redirects (the last to {request.url})"
        )

    def close(self) -> None:
        self._client.close()


def _read_capped(
    response: httpx.Response, url: str, max_bytes: int, cancelled: threading.Event
) -> bytes:
    """The decoded body, refused as soon as it (or its declared length) passes the cap."""
    too_large = f"response body larger than {max_bytes:,} bytes; not read further"
    declared = response.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        raise ResponseLimitError(url, too_large)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        if cancelled.is_set():
            raise _Cancelled
        size += len(chunk)
        if size > max_bytes:
            raise ResponseLimitError(url, too_large)
        chunks.append(chunk)
    return b"".join(chunks)
