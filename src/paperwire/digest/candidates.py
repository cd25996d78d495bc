"""The papers a digest's sections may draw from, fetched for compose (which is pure).

Each section goes through the part of paperwire that already answers it, limited to
the digest's period, so a digest shows what the site shows for the same question:

- trending: ``community.trending.ranked_papers`` over the period's days;
- a category or a followed author: the one filter language (``SearchFilters``) over
  the period's listing (``browse.listing.fetch_page``), newest first;
- a saved search: ``search.service.search_papers`` with ``sort="date"`` (every word
  required in keyword mode; by meaning too when an embedder is given, with the
  similarity floor a date order uses), filtered to the period.

A send composes thousands of digests from a few distinct questions, so each answer
is kept for the run (``CandidateFinder``), keyed by period and question.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from paperwire.browse.listing import fetch_page
from paperwire.community.trending import DEFAULT_TRUST_HOURS, ranked_papers
from paperwire.digest.compose import SECTION_LIMIT, Candidates
from paperwire.digest.period import DigestPeriod
from paperwire.errors import InvalidParameter
from paperwire.models import Paper, SearchFilters, SubscriptionPrefs
from paperwire.search.embed import Embedder
from paperwire.search.service import SearchUnavailable, search_papers
from paperwire.store import Store

log = logging.getLogger("paperwire.digest")

# Candidates fetched per section, per frequency: three times what a section shows
# (compose drops papers already sent or excluded, and counts the rest as "more"),
# within what a ranked search may return.
DEPTH = {"daily": 3 * SECTION_LIMIT["daily"], "weekly": 3 * SECTION_LIMIT["weekly"]}


def ranking_moment(period: DigestPeriod, now: datetime) -> datetime:
    """The moment trending is ranked at: now, or the end of the period when it is over,
    so a past period's archive ranks its papers as they stood when it closed, up to the
    votes cast since."""
    if period.period.end >= now.date():  # the period is not over (or ends past any date)
        return now
    end = datetime.combine(period.period.end + timedelta(days=1), time(0), tzinfo=UTC)
    return min(now, end)


class CandidateFinder:
    """Fetches and keeps the candidates of one run."""

    def __init__(
        self,
        store: Store,
        *,
        now: datetime,
        embedder: Embedder | None = None,
        vectors: Any = None,
        trust_hours: int = DEFAULT_TRUST_HOURS,
        depth: dict[str, int] | None = None,
    ) -> None:
        self.store = store
        self.now = now
        self.embedder = embedder
        self.vectors = vectors
        self.trust_hours = trust_hours
        self.depth = depth or DEPTH
        self._kept: dict[tuple[str, str, str], list[Paper]] = {}

    def _keep(self, key: tuple[str, str, str], fetch: Any) -> list[Paper]:
        papers = self._kept.get(key)
        if papers is None:
            try:
                papers = list(fetch())
            except (InvalidParameter, SearchUnavailable) as exc:
                # A stored preference the search refuses now (its rules changed since
                # it was saved) empties its section; the rest of the digest still goes.
                log.warning("digest section %s %r skipped: %s", key[1], key[2], exc)
                papers = []
            self._kept[key] = papers
        return papers

    def trending(self, period: DigestPeriod) -> list[Paper]:
        def fetch() -> list[Paper]:
            papers, _ = ranked_papers(
                self.store,
                period.period.start,
                period.period.end,
                now=ranking_moment(period, self.now),
                trust_hours=self.trust_hours,
                limit=self.depth[period.frequency],
            )
            return papers

        return self._keep((period.key, "trending", ""), fetch)

    def _listing(self, period: DigestPeriod, filters: SearchFilters) -> list[Paper]:
        papers, _ = fetch_page(
            self.store,
            start=period.period.start,
            end=period.period.end,
            filters=filters,
            limit=self.depth[period.frequency],
            cursor=None,
        )
        return papers

    def category(self, period: DigestPeriod, code: str) -> list[Paper]:
        return self._keep(
            (period.key, "category", code),
            lambda: self._listing(period, SearchFilters(categories=(code,))),
        )

    def author(self, period: DigestPeriod, name: str) -> list[Paper]:
        return self._keep(
            (period.key, "author", name),
            lambda: self._listing(period, SearchFilters(author=name)),
        )

    def query(self, period: DigestPeriod, text: str) -> list[Paper]:
        def fetch() -> list[Paper]:
            hits = search_papers(
                self.store,
                self.embedder,
                text,
                mode="hybrid" if self.embedder is not None else "keyword",
                sort="date",
                filters=SearchFilters(date_from=period.period.start, date_until=period.period.end),
                limit=min(self.depth[period.frequency], 100),
                vectors=self.vectors,
            )
            return self.store.get_papers([h.paper_id for h in hits])

        return self._keep((period.key, "search", text), fetch)

    def candidates(self, prefs: SubscriptionPrefs, period: DigestPeriod) -> Candidates:
        return Candidates(
            trending=self.trending(period) if prefs.trending else (),
            categories={c: self.category(period, c) for c in prefs.categories},
            queries={q: self.query(period, q) for q in prefs.queries},
            authors={a: self.author(period, a) for a in prefs.authors},
        )
