"""Edges for network-source tests: a fake clock, and recorded arXiv API responses
loaded into the replay server under the exact path and query they were recorded for."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from paperwire.ingest.http import HttpxClient
from paperwire.ingest.polite import PoliteFetcher, Politeness
from paperwire.ingest.sample import SAMPLE_DIR
from tests.replay import ReplayServer, Reply


@dataclass
class FakeClock:
    """``sleep`` advances ``monotonic`` instantly and remembers every wait."""

    now: float = 1000.0
    wall: float = 1_800_000_000.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        self.wall += seconds

    def monotonic(self) -> float:
        return self.now

    def wallclock(self) -> float:
        return self.wall


def load_api_recordings(server: ReplayServer, pattern: str = "*.json") -> list[str]:
    """Route each recording under ``/api/query?<recorded query>``; returns the keys."""
    keys = []
    for path in sorted(SAMPLE_DIR.glob(pattern)):
        record = json.loads(path.read_text())
        parts = urlsplit(record["url"])
        key = f"{parts.path}?{parts.query}"
        server.add(key, Reply(record["status_code"], record["body"]))
        keys.append(key)
    return keys


def fake_fetcher(
    clock: FakeClock, *, delay: float = 3.0, timeout: float = 5.0, max_retries: int = 3,
    backoff: float = 2.0, max_wait: float = 600.0, max_bytes: int = 64 * 1024 * 1024,
    max_redirects: int = 5,
) -> PoliteFetcher:
    return PoliteFetcher(
        HttpxClient(),
        Politeness(delay=delay, timeout=timeout, max_retries=max_retries, backoff=backoff,
                   max_wait=max_wait, max_bytes=max_bytes, max_redirects=max_redirects),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        wallclock=clock.wallclock,
    )


def recorded_body(pattern: str) -> str:
    """The Atom body of one recording, for tests that route it themselves."""
    path = next(SAMPLE_DIR.glob(pattern))
    return str(json.loads(path.read_text())["body"])
