"""``ingest announcements``: fetch each category's daily listing and store it.

One category is one transaction: a feed that cannot be fetched or parsed is reported
(naming its URL), counted as failed, and the other categories are still stored. A
rerun of the same day changes no counts. Feeds are fetched through a ``PoliteFetcher``
(spacing, retries, ``Retry-After``, the request deadline and response limits), like
every network source.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from paperwire.ingest.arxiv_rss import DEFAULT_FEED_URL, DayListing, feed_url, parse_listing
from paperwire.ingest.errors import IngestError
from paperwire.ingest.links import with_links
from paperwire.ingest.polite import PoliteFetcher
from paperwire.ingest.report import ImportReport
from paperwire.models import AnnouncementDay, Paper, UpsertCounts
from paperwire.progress import Progress
from paperwire.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class AnnouncementReport(ImportReport):
    """Also each category's day: announced (with how many papers) or not."""

    days: list[AnnouncementDay] = field(default_factory=list)
    skipped: ClassVar[str] = "items left out"

    def details(self) -> dict[str, object]:
        return {
            "days": [
                {"category": d.category, "day": d.day.isoformat(), "status": d.status, "papers": d.papers}
                for d in self.days
            ],
        }


def fetch_listing(
    fetcher: PoliteFetcher,
    category: str,
    *,
    base_url: str = DEFAULT_FEED_URL,
    today: Callable[[], datetime] = utc_now,
) -> DayListing:
    """GET one category's feed; any failure is an ``IngestError`` naming the URL."""
    url = feed_url(base_url, category)
    response = fetcher.fetch(url)  # a FetchError (an IngestError) names the URL
    if response.status != 200:
        raise IngestError(url, f"HTTP {response.status} instead of the feed")
    return parse_listing(response.body, category=category, where=url, fallback_day=today().date())


def keep_known_fields(store: Store, papers: Sequence[Paper]) -> list[Paper]:
    """A listing item is thinner than an API or OAI record (no dates, DOI, comments).
    Keep what the store already knows so a daily feed never erases it, and so a
    rerun compares equal."""
    known = {p.id: p for p in store.get_papers([p.id for p in papers])}
    merged = []
    for paper in papers:
        old = known.get(paper.id)
        if old is not None:
            same_version = old.version is None or paper.version is None or old.version == paper.version
            paper.submitted = paper.submitted or old.submitted
            if same_version:
                paper.updated = paper.updated or old.updated
                if [a.name for a in old.authors] == [a.name for a in paper.authors]:
                    paper.authors = old.authors  # keeps affiliations and name parts
            paper.doi = paper.doi or old.doi
            paper.journal_ref = paper.journal_ref or old.journal_ref
            paper.comments = paper.comments or old.comments
            paper.license = paper.license or old.license
            paper.links = [*old.links, *paper.links]
            paper = with_links(paper)
        merged.append(paper)
    return merged


def store_listing(store: Store, listing: DayListing, *, fetched_at: datetime) -> tuple[AnnouncementDay, UpsertCounts]:
    papers = keep_known_fields(store, [item.paper for item in listing.items])
    day = AnnouncementDay(
        category=listing.category,
        day=listing.day,
        status="announced" if listing.announced else "none",
        papers=len(listing.items),
        fetched_at=fetched_at,
    )
    counts = store.record_announcement_day(day, papers=papers, entries=listing.entries())
    return day, counts


def ingest_announcements(
    store: Store,
    fetcher: PoliteFetcher,
    categories: Iterable[str],
    *,
    base_url: str = DEFAULT_FEED_URL,
    clock: Callable[[], datetime] = utc_now,
    on_progress: Progress | None = None,
) -> AnnouncementReport:
    """Fetch and store today's listing of each category; a bad one does not stop the rest.
    ``on_progress(1)`` after each category."""
    report = AnnouncementReport()
    for category in dict.fromkeys(categories):  # each once, in the given order
        try:
            listing = fetch_listing(fetcher, category, base_url=base_url, today=clock)
            day, counts = store_listing(store, listing, fetched_at=clock())
            report.counts += counts
            for failure in listing.failures:  # items left out; the day's others are stored
                report.add_error(failure)
            report.days.append(day)
        except IngestError as exc:
            report.add_stop(str(exc), failed=1)
        if on_progress:
            on_progress(1)
    return report
