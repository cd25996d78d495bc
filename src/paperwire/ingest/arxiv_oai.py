"""OAI-PMH 2.0 harvest of arXiv (ListRecords), resumable page by page.

Entry point: ``harvest_oai(store, oai, set_spec=…, from_date=…, until=…, prefix=…)``.

- Each page is upserted in one transaction; only then does the harvest state advance
  to that page's resumption token. A run that stops (HTTP error, timeout, dropped
  connection, malformed page, crash) leaves the state at the last completed page, and
  the next run for the same (set, prefix) resumes there.
- Resumption tokens expire. If the server answers ``badResumptionToken`` to the token
  a run resumes with, the window is harvested again from its ``from`` date: upserts are
  idempotent, so papers already stored count as unchanged.
- Without ``from_date`` a new harvest starts at the newest datestamp the last complete
  harvest of that (set, prefix) reached (inclusive: OAI datestamps are days); the first
  harvest of a (set, prefix) starts at ``first_from`` (``ingest.jobs.oai_job`` makes
  that ``PAPERWIRE_WORKER_OAI_FIRST_DAYS`` back; None: at the beginning of arXiv).
- ``noRecordsMatch`` means nothing new: a success with 0 records.
- 503 + Retry-After (and 429/5xx/timeouts) are waited out by the ``PoliteFetcher``.
- A run fetches at most ``oai.max_pages`` pages (``PAPERWIRE_OAI_MAX_PAGES``); it then
  stops with its state saved (``stopped_at_page_limit``) and the next run continues.
- A resumption token the server already sent in this run (or the one the run resumed
  with) means the server is looping: the run stops with an error instead of fetching
  the same pages forever.
- One harvest per (set, prefix) at a time, across processes: a run holds a lease
  (``store.acquire_lease``) renewed after every page; a second run finds it held, says
  so and does nothing. A run that dies stops renewing and its lease lapses; one killed
  on this machine is seen dead at once (its pid is gone) and its lease taken over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from paperwire.ingest.errors import IngestError
from paperwire.ingest.http import HttpClient
from paperwire.ingest.oai_records import PREFIXES, OaiError, OaiPage, parse_oai_page
from paperwire.ingest.polite import FetchError, PoliteFetcher, describe_url
from paperwire.ingest.report import ImportReport
from paperwire.progress import Progress
from paperwire.store import HarvestKey, Store, new_owner

if TYPE_CHECKING:
    from paperwire.config import Settings

DEFAULT_OAI_URL = "https://oaipmh.arxiv.org/oai"
SOURCE = "arxiv_oai"
# Long enough for a page fetch with its retries and Retry-After waits; renewed per page.
LEASE_SECONDS = 30 * 60
DEFAULT_MAX_PAGES = 1000


class OaiClient:
    """One OAI-PMH endpoint behind a ``PoliteFetcher``; a harvest run through it
    fetches at most ``max_pages`` pages."""

    def __init__(
        self,
        fetcher: PoliteFetcher,
        *,
        base_url: str = DEFAULT_OAI_URL,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        self.fetcher = fetcher
        self.base_url = base_url
        self.max_pages = max_pages

    @classmethod
    def from_settings(
        cls, settings: Settings, http: HttpClient, **clock: Callable[..., Any]
    ) -> OaiClient:
        fetcher = PoliteFetcher.from_settings(settings, http, delay=settings.oai_delay, **clock)
        return cls(fetcher, base_url=settings.oai_url, max_pages=settings.oai_max_pages)

    def list_records(self, params: dict[str, str], *, prefix: str) -> OaiPage:
        """One ListRecords request. Raises ``OaiError``/``FetchError``/``IngestError``,
        each naming the URL."""
        where = describe_url(self.base_url, params)
        response = self.fetcher.fetch(self.base_url, params=params)
        if response.status != 200:
            try:  # some repositories send OAI errors with a 4xx status
                parse_oai_page(response.body, where=where, prefix=prefix)
            except OaiError:
                raise
            except IngestError:
                pass
            raise FetchError(where, f"HTTP {response.status}", status=response.status)
        return parse_oai_page(response.body, where=where, prefix=prefix)


@dataclass(slots=True)
class HarvestReport(ImportReport):
    """What one run did. ``completed`` is False when the run stopped early; the
    stored state then says where the next run resumes."""

    set_spec: str
    prefix: str
    from_date: date | None = None
    until: date | None = None
    pages: int = 0  # pages stored by this run
    records: int = 0  # records in them (papers, deleted and failed)
    deleted: int = 0
    resumed_at_page: int | None = None  # page number this run resumed at, if it did
    restarted: bool = False  # the saved token had expired; the window was redone
    completed: bool = False
    # The run fetched its page limit; the state is saved and the next run continues.
    stopped_at_page_limit: bool = False
    harvested_until: date | None = None

    @property
    def ok(self) -> bool:
        return (self.completed or self.stopped_at_page_limit) and self.error_count == 0

    def details(self) -> dict[str, object]:
        return {
            "set": self.set_spec,
            "prefix": self.prefix,
            "from": self.from_date.isoformat() if self.from_date else None,
            "until": self.until.isoformat() if self.until else None,
            "pages": self.pages,
            "records": self.records,
            "deleted": self.deleted,
            "resumed_at_page": self.resumed_at_page,
            "restarted": self.restarted,
            "completed": self.completed,
            "stopped_at_page_limit": self.stopped_at_page_limit,
            "harvested_until": self.harvested_until.isoformat() if self.harvested_until else None,
        }


def _first_params(prefix: str, set_spec: str, from_date: date | None, until: date | None) -> dict[str, str]:
    params = {"verb": "ListRecords", "metadataPrefix": prefix}
    if set_spec:
        params["set"] = set_spec
    if from_date:
        params["from"] = from_date.isoformat()
    if until:
        params["until"] = until.isoformat()
    return params


def harvest_oai(
    store: Store,
    oai: OaiClient,
    *,
    set_spec: str | None,
    from_date: date | None = None,
    until: date | None = None,
    prefix: str = "arXiv",
    first_from: date | None = None,
    on_progress: Progress | None = None,
) -> HarvestReport:
    """Harvest one (set, prefix) window, resuming an interrupted one. Never raises for
    network or data problems: they end the run and are in ``report.errors``.
    ``on_progress(n)`` is told the number of records of each stored page."""
    if prefix not in PREFIXES:
        raise ValueError(f"prefix {prefix!r}: expected one of {', '.join(PREFIXES)}")
    if from_date and until and from_date > until:
        raise ValueError(f"from {from_date} is after until {until}")
    key = HarvestKey(SOURCE, set_spec or "", prefix)
    label = f"OAI-PMH harvest set {key.set_spec or '(all)'!r} prefix {prefix!r}"
    lease = lease_name(key)
    owner = new_owner()
    if not store.acquire_lease(lease, owner, seconds=LEASE_SECONDS):
        report = HarvestReport(key.set_spec, prefix, from_date, until)
        report.add_stop(f"{label}: {_held_by(store, lease)}; nothing was done, run it again later")
        return report
    try:
        return _harvest(store, oai, key, label, from_date, until, first_from, on_progress, renew=lambda: (
            store.acquire_lease(lease, owner, seconds=LEASE_SECONDS)
        ))
    finally:
        store.release_lease(lease, owner)


def lease_name(key: HarvestKey) -> str:
    return f"harvest:{key.source}:{key.set_spec}:{key.prefix}"


def _held_by(store: Store, lease: str) -> str:
    holder = store.lease_holder(lease)
    if holder is None:
        return "another harvest of this set was running"
    until = datetime.fromtimestamp(holder[1], UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"another harvest of this set is running ({holder[0]}, lease until {until})"


def _harvest(
    store: Store,
    oai: OaiClient,
    key: HarvestKey,
    label: str,
    from_date: date | None,
    until: date | None,
    first_from: date | None,
    on_progress: Progress | None,
    *,
    renew: Callable[[], bool],
) -> HarvestReport:
    prefix = key.prefix
    state = store.get_harvest(key)
    resume_token: str | None = None
    if (
        state is not None
        and state.in_progress
        and from_date in (None, state.from_date)
        and until in (None, state.until_date)
    ):
        from_date, until = state.from_date, state.until_date
        resume_token = state.resumption_token
        resumed_at = state.pages_done + 1
    else:
        if from_date is None and state is not None:
            from_date = state.harvested_until  # where the last complete harvest got
        elif from_date is None and not (first_from and until and first_from > until):
            # The first harvest of the set; one told to end before first_from takes all
            # up to its end, as asked.
            from_date = first_from
        state = store.start_harvest(key, from_date=from_date, until_date=until)
        resumed_at = None
    report = HarvestReport(key.set_spec, prefix, from_date, until, resumed_at_page=resumed_at)
    if resumed_at is not None and resumed_at > 1:
        report.notes.append(f"resuming at page {resumed_at} ({state.records_done} records done)")
    token = resume_token
    page_no = state.pages_done + 1
    # Tokens this run was given (or resumed with), by the page that brought them.
    seen_tokens: dict[str, int] = {resume_token: page_no - 1} if resume_token else {}
    finished = resumed_at is not None and state.pages_done > 0 and token is None
    while not finished:
        params = {"verb": "ListRecords", "resumptionToken": token} if token else _first_params(
            prefix, key.set_spec, from_date, until
        )
        try:
            page = oai.list_records(params, prefix=prefix)
        except OaiError as exc:
            if exc.code == "badResumptionToken" and token is not None and token == resume_token:
                report.restarted = True
                report.notes.append(
                    f"saved resumption token expired ({exc.where}); harvesting the window "
                    f"from {from_date.isoformat() if from_date else 'the start'} again"
                )
                state = store.start_harvest(key, from_date=from_date, until_date=until)
                token = resume_token = None
                page_no = 1
                seen_tokens.clear()  # a new list may well hand out the same tokens again
                continue
            report.add_stop(f"{label}, page {page_no}: {exc}")
            return report
        except IngestError as exc:
            report.add_stop(f"{label}, page {page_no}: {exc}")
            return report
        if page.no_records:
            report.notes.append("noRecordsMatch: nothing new in this window")
            break
        if page.token and page.token in seen_tokens:
            report.add_stop(
                f"{label}, page {page_no}: the server sent resumption token {page.token!r} "
                f"again (first with page {seen_tokens[page.token]}), so it is going round in "
                "a loop; stopped after the last stored page"
            )
            return report
        report.counts += store.upsert_papers(page.papers)
        for failure in page.failures:
            report.add_error(failure)
        state = store.advance_harvest(
            key,
            token=page.token,
            cursor=state.cursor + page.records,
            complete_list_size=page.complete_list_size,
            records=page.records,
            max_datestamp=page.max_datestamp,
        )
        report.pages += 1
        report.records += page.records
        report.deleted += len(page.deleted)
        if on_progress:
            on_progress(page.records)
        if not page.token:
            break
        seen_tokens[page.token] = page_no
        if report.pages >= oai.max_pages:
            report.stopped_at_page_limit = True
            report.notes.append(
                f"stopped after {report.pages} pages, the limit of one run "
                "(PAPERWIRE_OAI_MAX_PAGES); the next run continues from here"
            )
            return report
        if not renew():  # stalled past the lease and another run took over: stop here
            report.add_stop(
                f"{label}, page {page_no + 1}: {_held_by(store, lease_name(key))} "
                "(this run lost its lease); stopped after the last stored page"
            )
            return report
        token = page.token
        page_no += 1
    final = store.complete_harvest(key)
    report.completed = True
    report.harvested_until = final.harvested_until
    return report
