"""Being a good client of someone else's server: spacing, retries, Retry-After, timeouts.

Every network source (arXiv API, OAI-PMH, listing feeds) fetches through a
``PoliteFetcher`` so the rules arXiv asks of harvesters hold everywhere: at least
``delay`` seconds between requests, one deadline for each whole request, retries with
exponential backoff on 429, 5xx and network failures, and ``Retry-After`` (seconds or
an HTTP-date) honoured. It also passes the limits of one response (body size,
redirects) to the ``HttpClient``. ``PoliteFetcher.from_settings`` is the one place
that turns settings into these rules. The clock and sleep are passed in, so tests
need not wait.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import httpx

from paperwire.ingest.errors import IngestError
from paperwire.ingest.http import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_REDIRECTS,
    HttpClient,
    HttpResponse,
    ResponseLimitError,
)

if TYPE_CHECKING:
    from paperwire.config import Settings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(IngestError):
    """A request failed for good (after retries) or got a status we do not retry.
    ``unavailable``: the server could not be reached or kept failing (retries spent,
    or it asked for a longer wait than we give), as opposed to one response breaking
    a limit; a source fetching many things stops there instead of trying the next."""

    def __init__(
        self, where: str, problem: str, *, status: int | None = None, unavailable: bool = False
    ) -> None:
        super().__init__(where, problem)
        self.status = status
        self.unavailable = unavailable


@dataclass(frozen=True, slots=True)
class Politeness:
    """How hard we may press a server. ``backoff`` is the first retry wait, doubled
    on each further retry; a ``Retry-After`` above ``max_wait`` is not waited out.
    ``timeout`` bounds each whole request; ``max_bytes`` and ``max_redirects`` bound
    its response."""

    delay: float = 3.0
    timeout: float = 30.0
    max_retries: int = 4
    backoff: float = 5.0
    max_wait: float = 600.0
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS


_DELTA_SECONDS = re.compile(r"[0-9]+")  # RFC 9110 delta-seconds: ASCII digits only


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds (ASCII digits) or
    an HTTP-date. Anything else is ``None``: the caller backs off as usual."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)  # a huge number reads as inf, which no max_wait accepts
    if not value.isascii():
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000": HTTP-dates are GMT
        when = when.replace(tzinfo=UTC)
    try:
        return max(0.0, when.timestamp() - now)
    except (OverflowError, ValueError, OSError):
        return None


def describe_url(url: str, params: Mapping[str, str] | None) -> str:
    return f"{url}?{urlencode(params)}" if params else url


class PoliteFetcher:
    """Wraps an ``HttpClient``; ``fetch`` returns the first non-retryable response."""

    def __init__(
        self,
        http: HttpClient,
        politeness: Politeness | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.politeness = politeness or Politeness()
        self._sleep = sleep
        self._monotonic = monotonic
        self._wallclock = wallclock
        self._last_done: float | None = None
        self.requests_sent = 0
        # Threads sharing a fetcher (the web's arXiv lookups for submissions) take turns,
        # so the spacing holds between them too.
        self._turn = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        http: HttpClient,
        *,
        delay: float,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] = time.time,
    ) -> PoliteFetcher:
        """The fetcher every source builds: the ``PAPERWIRE_HTTP_*`` settings, with
        the source's own spacing ``delay``."""
        politeness = Politeness(
            delay=delay,
            timeout=settings.http_timeout,
            max_retries=settings.http_max_retries,
            backoff=settings.http_backoff,
            max_wait=settings.http_max_wait,
            max_bytes=settings.http_max_response_bytes,
            max_redirects=settings.http_max_redirects,
        )
        return cls(http, politeness, sleep=sleep, monotonic=monotonic, wallclock=wallclock)

    def capped(self, max_bytes: int) -> PoliteFetcher:
        """This fetcher's rules with a lower cap on a body, for an API whose answers are
        small (a GitHub repository's JSON): a larger answer is then an error at once."""
        politeness = replace(self.politeness, max_bytes=min(self.politeness.max_bytes, max_bytes))
        return PoliteFetcher(
            self.http,
            politeness,
            sleep=self._sleep,
            monotonic=self._monotonic,
            wallclock=self._wallclock,
        )

    def _wait_turn(self, at_least: float = 0.0) -> None:
        """Space requests ``delay`` apart, counted from the end of the previous one."""
        wait = at_least
        if self._last_done is not None:
            since = self._monotonic() - self._last_done
            wait = max(wait, self.politeness.delay - since)
        if wait > 0:
            self._sleep(wait)

    def fetch(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
    ) -> HttpResponse:
        """GET with spacing and retries. Raises ``FetchError`` naming the URL when the
        server keeps failing, times out every time, asks for a wait above ``max_wait``,
        or its response breaks a limit (size, redirects; not retried). ``headers`` go
        with the request (never into an error message); a source that handles some
        statuses itself (GitHub's 429 is a rate limit to stop at, not to retry) passes
        its own ``retry_statuses``."""
        with self._turn:
            return self._fetch(url, params=params, headers=headers, retry_statuses=retry_statuses)

    def _fetch(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None = None,
        retry_statuses: frozenset[int] = RETRY_STATUSES,
    ) -> HttpResponse:
        p = self.politeness
        where = describe_url(url, params)
        extra_wait = 0.0
        problem = ""
        status: int | None = None
        for attempt in range(p.max_retries + 1):
            self._wait_turn(extra_wait)
            self.requests_sent += 1
            try:
                response = self.http.get(
                    url,
                    params=params,
                    headers=headers,
                    timeout=p.timeout,
                    max_bytes=p.max_bytes,
                    max_redirects=p.max_redirects,
                )
            except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
                self._last_done = self._monotonic()
                raise FetchError(where, f"unusable URL ({exc})") from exc
            except ResponseLimitError as exc:
                self._last_done = self._monotonic()
                raise FetchError(where, exc.problem) from exc
            except httpx.DecodingError as exc:
                self._last_done = self._monotonic()
                raise FetchError(where, f"undecodable response body ({exc})") from exc
            except httpx.TimeoutException:
                problem = f"timed out after {p.timeout:g} s"
                retry_after = None
            except httpx.TransportError as exc:
                problem = f"network error ({type(exc).__name__}: {exc or 'connection lost'})"
                retry_after = None
            else:
                if response.status not in retry_statuses:
                    self._last_done = self._monotonic()
                    return response
                status = response.status
                problem = f"HTTP {status}"
                retry_after = parse_retry_after(
                    response.headers.get("retry-after"), now=self._wallclock()
                )
                if retry_after is not None and retry_after > p.max_wait:
                    self._last_done = self._monotonic()
                    raise FetchError(
                        where,
                        f"{problem}; server asks to retry after {retry_after:g} s, "
                        f"more than the {p.max_wait:g} s we wait",
                        status=response.status,
                        unavailable=True,
                    )
            self._last_done = self._monotonic()
            backoff = p.backoff * (2**attempt)
            extra_wait = retry_after if retry_after is not None else backoff
        raise FetchError(
            where,
            f"{problem} (gave up after {p.max_retries + 1} attempts)",
            status=status,
            unavailable=True,
        )
