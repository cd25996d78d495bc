"""Hugging Face Hub models, datasets and Spaces that cite a paper.

The Hub tags a repository whose card cites an arXiv paper ``arxiv:<id>``, and lists
them as ``huggingface_hub``'s ``list_models(filter="arxiv:<id>")``, ``list_datasets``
and ``list_spaces`` do: ``GET {endpoint}/api/models|datasets|spaces?filter=arxiv:<id>
&sort=likes&limit=100``, a JSON list of items (``id``, ``likes``, ``downloads`` for
models and datasets; the fields of ``ModelInfo``, ``DatasetInfo`` and ``SpaceInfo``),
most liked first, further pages named by a ``Link: <…>; rel="next"`` header.

We keep the most liked ``KEEP_PER_KIND`` of each kind and count the rest by following
the next pages, at most ``MAX_PAGES`` a kind (a paper as cited as BERT has thousands:
their count shows as ``COUNT_CAP``+). A next page is followed only on the endpoint
itself. Requests go through a ``PoliteFetcher``: spacing, a cap on the body, retries
of 429 and 5xx with ``Retry-After``. When the Hub cannot be reached the run stops and
says so (``GET /status``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from paperwire.ingest.http import HttpClient
from paperwire.ingest.polite import FetchError, PoliteFetcher
from paperwire.models import HUB_KINDS, HubArtifact, HubKind, HubLinks, UpsertCounts
from paperwire.progress import Progress
from paperwire.signals import HUB_MAX_DEFAULT
from paperwire.signals.report import SignalReport
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.config import Settings

SOURCE = "hub"
PAGE_SIZE = 100
MAX_PAGES = 5
COUNT_CAP = PAGE_SIZE * MAX_PAGES
KEEP_PER_KIND = 30
# A page of 100 items is some 100 kB; a larger answer is not one.
MAX_BODY_BYTES = 8 * 1024 * 1024
# Papers in a row the Hub refused before a run stops (a wrong endpoint, an outage
# answered with 4xx): no use asking for the rest.
MAX_REFUSED = 3

_PATHS: dict[HubKind, str] = {"model": "models", "dataset": "datasets", "space": "spaces"}
_ID = re.compile(r"[A-Za-z0-9_.-]{1,96}(?:/[A-Za-z0-9_.-]{1,96})?")
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')

# When a paper is looked up again, by its age: the first month daily, the first year
# weekly, older monthly.
AGAIN_FRESH = timedelta(hours=23)
AGAIN_RECENT = timedelta(days=7)
AGAIN_OLD = timedelta(days=30)


def utc_now() -> datetime:
    return datetime.now(UTC)


def next_check(listed_day: date | None, now: datetime) -> datetime:
    age = (now.date() - listed_day).days if listed_day else 366
    if age <= 30:
        return now + AGAIN_FRESH
    if age <= 365:
        return now + AGAIN_RECENT
    return now + AGAIN_OLD


def artifact_url(endpoint: str, artifact: HubArtifact) -> str:
    """The artifact's page on the Hub."""
    prefix = {"model": "", "dataset": "datasets/", "space": "spaces/"}[artifact.kind]
    return f"{endpoint.rstrip('/')}/{prefix}{artifact.id}"


def citing_url(endpoint: str, kind: HubKind, paper_id: str) -> str:
    """The Hub's own list of the ``kind`` repositories citing a paper."""
    return f"{endpoint.rstrip('/')}/{_PATHS[kind]}?other=arxiv:{quote(paper_id, safe='/.')}"


def _artifact(kind: HubKind, item: Any) -> HubArtifact | None:
    if not isinstance(item, dict):
        return None
    ident = item.get("id")
    if not isinstance(ident, str) or not _ID.fullmatch(ident):
        return None
    likes = item.get("likes")
    downloads = item.get("downloads")
    return HubArtifact(
        kind=kind,
        id=ident,
        likes=likes if isinstance(likes, int) and not isinstance(likes, bool) and likes > 0 else 0,
        downloads=downloads
        if isinstance(downloads, int) and not isinstance(downloads, bool) and downloads >= 0
        else None,
    )


class HubRefused(Exception):
    """The Hub answered a listing with an error status."""


@dataclass(frozen=True, slots=True)
class Citing:
    artifacts: list[HubArtifact]  # the most liked, at most KEEP_PER_KIND
    count: int  # all of them, at most COUNT_CAP


class HubApi:
    """The Hub's repository listings, through a ``PoliteFetcher``."""

    def __init__(self, fetcher: PoliteFetcher, *, endpoint: str) -> None:
        self.fetcher = fetcher
        self.endpoint = endpoint.rstrip("/")

    @classmethod
    def from_settings(cls, settings: Settings, http: HttpClient) -> HubApi:
        """``PAPERWIRE_HF_ENDPOINT`` and ``PAPERWIRE_HF_DELAY``."""
        fetcher = PoliteFetcher.from_settings(settings, http, delay=settings.hf_delay)
        fetcher = fetcher.capped(MAX_BODY_BYTES)
        return cls(fetcher, endpoint=settings.hf_endpoint)

    def citing(self, kind: HubKind, paper_id: str) -> Citing:
        """The ``kind`` repositories tagged ``arxiv:<paper_id>``. Raises ``FetchError``
        (unreachable, a limit broken) or ``HubRefused`` (an error status)."""
        url: str | None = f"{self.endpoint}/api/{_PATHS[kind]}"
        params: dict[str, str] | None = {
            "filter": f"arxiv:{paper_id}",
            "sort": "likes",
            "limit": str(PAGE_SIZE),
        }
        kept: list[HubArtifact] = []
        count = 0
        pages = 0
        while url is not None and pages < MAX_PAGES:
            response = self.fetcher.fetch(url, params=params)
            pages += 1
            if response.status != 200:
                raise HubRefused(f"{url}: HTTP {response.status}")
            try:
                items = json.loads(response.body)
            except ValueError as exc:
                raise HubRefused(f"{url}: the answer is not JSON") from exc
            if not isinstance(items, list):
                raise HubRefused(f"{url}: the answer is not a list")
            for item in items:
                artifact = _artifact(kind, item)
                if artifact is None:
                    continue
                count += 1
                if len(kept) < KEEP_PER_KIND:
                    kept.append(artifact)
            url, params = self._next_page(response.headers.get("link", "")), None
        return Citing(kept, min(count, COUNT_CAP))

    def _next_page(self, link: str) -> str | None:
        """The next page a ``Link`` header names, only on this endpoint's API."""
        m = _NEXT.search(link)
        if m is None:
            return None
        target = m[1]
        return target if target.startswith(self.endpoint + "/api/") else None

    def links(self, paper_id: str, *, now: datetime) -> HubLinks:
        found = {kind: self.citing(kind, paper_id) for kind in HUB_KINDS}
        return HubLinks(
            checked_at=now,
            models=found["model"].count,
            datasets=found["dataset"].count,
            spaces=found["space"].count,
            artifacts=tuple(a for kind in HUB_KINDS for a in found[kind].artifacts),
        )


def refresh_hub(
    store: Store,
    api: HubApi,
    *,
    limit: int = HUB_MAX_DEFAULT,
    clock: Callable[[], datetime] = utc_now,
    on_progress: Progress | None = None,
) -> SignalReport:
    """Look up the ``limit`` papers most due on the Hub (``Store.hub_papers_due``:
    never looked up, newest first; then the longest overdue) and store what cites
    them. Stops early, keeping what it stored, when the Hub cannot be reached or
    keeps refusing."""
    report = SignalReport()
    sent_before = api.fetcher.requests_sent
    due = store.hub_papers_due(now=clock(), limit=limit)
    refused = 0
    for done, (paper_id, listed_day) in enumerate(due):
        moment = clock()
        try:
            links = api.links(paper_id, now=moment)
        except FetchError as exc:
            if exc.unavailable:
                report.add_stop(
                    f"the Hugging Face Hub cannot be reached: {exc}; stopped after {done} "
                    f"of {len(due)} papers"
                )
                break
            report.add_error(f"{paper_id}: {exc}")
            continue
        except HubRefused as exc:
            refused += 1
            report.add_error(f"{paper_id}: {exc}")
            if refused >= MAX_REFUSED:
                report.add_stop(
                    f"the Hugging Face Hub refused {refused} papers in a row; stopped after "
                    f"{done + 1} of {len(due)} papers"
                )
                break
            continue
        finally:
            if on_progress is not None:
                on_progress(1)
        refused = 0
        first = store.hub_links_for_papers([paper_id]).get(paper_id) is None
        changed = store.save_hub_links(
            paper_id, links, next_check_at=next_check(listed_day, moment)
        )
        if first:
            report.counts += UpsertCounts(added=1)
        elif changed:
            report.counts += UpsertCounts(updated=1)
        else:
            report.counts += UpsertCounts(unchanged=1)
    report.requests = api.fetcher.requests_sent - sent_before
    return report
