"""The arXiv API (``/api/query``): search queries and id lookups, page by page.

Entry points:

- ``search_arxiv(api, query, ...)`` yields parsed pages (``AtomPage``) of a search.
- ``fetch_papers_by_ids(api, ids)`` looks ids up; unknown ids come back as ``missing``,
  unusable ones as ``invalid`` — never as an exception (community submissions rely on
  that). ``fetch_paper(api, id)`` is the one-id form.
- ``ingest_arxiv_query(store, api, query=… | ids=…)`` does either and upserts each page
  in its own transaction; it returns an ``ImportReport`` and never raises for a
  network or arXiv problem (the report carries the error, naming the query).

``ArxivApi`` holds the endpoint and a ``PoliteFetcher`` (spacing, retries, timeouts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.ingest.arxiv_atom import AtomPage, parse_atom_page
from paperwire.ingest.errors import ArxivApiError, IngestError
from paperwire.ingest.http import HttpClient
from paperwire.ingest.polite import FetchError, PoliteFetcher, describe_url
from paperwire.ingest.report import ImportReport
from paperwire.models import Paper
from paperwire.progress import Progress
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.config import Settings

DEFAULT_API_URL = "https://export.arxiv.org/api/query"
SORT_BY = ("relevance", "lastUpdatedDate", "submittedDate")
SORT_ORDER = ("ascending", "descending")
MAX_PAGE_SIZE = 2000  # arXiv refuses larger pages
EMPTY_PAGE_RETRIES = 2  # arXiv now and then answers a page in range with no entries


class ArxivQueryError(IngestError):
    """arXiv refused a query or kept failing; ``where`` names the query."""


class ArxivApi:
    """One arXiv API endpoint behind a ``PoliteFetcher``."""

    def __init__(self, fetcher: PoliteFetcher, *, base_url: str = DEFAULT_API_URL) -> None:
        self.fetcher = fetcher
        self.base_url = base_url

    @classmethod
    def from_settings(
        cls, settings: Settings, http: HttpClient, **clock: Callable[..., Any]
    ) -> ArxivApi:
        """``clock`` may pass ``sleep``/``monotonic``/``wallclock`` through to the fetcher."""
        fetcher = PoliteFetcher.from_settings(settings, http, delay=settings.arxiv_api_delay, **clock)
        return cls(fetcher, base_url=settings.arxiv_api_url)

    def query(
        self,
        *,
        search_query: str = "",
        id_list: Sequence[str] = (),
        start: int = 0,
        max_results: int = 100,
        sort_by: str = "relevance",
        sort_order: str = "descending",
    ) -> AtomPage:
        """One request. Parameter order follows arXiv's documentation."""
        params = {
            "search_query": search_query,
            "id_list": ",".join(id_list),
            "sortBy": sort_by,
            "sortOrder": sort_order,
            "start": str(start),
            "max_results": str(max_results),
        }
        label = query_label(search_query, id_list)
        url = describe_url(self.base_url, params)
        try:
            response = self.fetcher.fetch(self.base_url, params=params)
        except FetchError as exc:
            raise ArxivQueryError(label, f"{exc.problem} ({url})") from exc
        try:
            page = parse_atom_page(response.body, where=url)
        except ArxivApiError as exc:  # arXiv's error feed, usually with HTTP 400
            raise ArxivQueryError(label, f"{exc.problem} ({url})") from exc
        except IngestError as exc:
            if response.status != 200:
                raise ArxivQueryError(label, f"HTTP {response.status} ({url})") from exc
            raise ArxivQueryError(label, f"unreadable response: {exc.problem} ({url})") from exc
        if response.status != 200:
            raise ArxivQueryError(label, f"HTTP {response.status} ({url})")
        return page


def query_label(search_query: str, id_list: Sequence[str] = ()) -> str:
    if search_query:
        return f"arXiv API query {search_query!r}"
    return f"arXiv API id_list {','.join(id_list)!r}"


def _check_sort(sort_by: str, sort_order: str) -> None:
    if sort_by not in SORT_BY:
        raise ValueError(f"sort_by {sort_by!r}: expected one of {', '.join(SORT_BY)}")
    if sort_order not in SORT_ORDER:
        raise ValueError(f"sort_order {sort_order!r}: expected one of {', '.join(SORT_ORDER)}")


def search_arxiv(
    api: ArxivApi,
    query: str,
    *,
    max_results: int = 100,
    page_size: int = 100,
    start: int = 0,
    sort_by: str = "relevance",
    sort_order: str = "descending",
) -> Iterator[AtomPage]:
    """Yield pages until ``max_results`` papers, or arXiv has no more.

    Each page is requested with ``max_results=page_size`` (the last one is trimmed),
    so the requests are the same whatever the total asked for.
    """
    if not query.strip():
        raise ValueError("query: empty search query")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ValueError(f"page_size {page_size}: expected 1..{MAX_PAGE_SIZE}")
    _check_sort(sort_by, sort_order)
    got = 0
    position = start
    empty_retries = 0
    while got < max_results:
        page = api.query(
            search_query=query,
            start=position,
            max_results=page_size,
            sort_by=sort_by,
            sort_order=sort_order,
        )
        total = page.total_results or 0
        if not page.papers and not page.failures:
            if position < total and empty_retries < EMPTY_PAGE_RETRIES:
                empty_retries += 1
                continue
            return
        empty_retries = 0
        page.papers = page.papers[: max_results - got]
        got += len(page.papers)
        position += page_size
        yield page
        if position >= total:
            return


@dataclass(slots=True)
class IdLookup:
    """What became of each requested id (as the caller spelled it)."""

    found: dict[str, Paper] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    invalid: dict[str, str] = field(default_factory=dict)  # id -> why

    def problems(self) -> list[str]:
        return [f"{i}: not found on arXiv" for i in self.missing] + [
            why if i in why else f"{i}: {why}" for i, why in self.invalid.items()
        ]


def fetch_papers_by_ids(api: ArxivApi, ids: Iterable[str], *, page_size: int = 100) -> IdLookup:
    """Look ids up ``page_size`` at a time. An id arXiv rejects is retried alone, so
    one bad id does not hide the others. Network failures raise ``ArxivQueryError``."""
    lookup = IdLookup()
    wanted: dict[str, str] = {}  # versioned spelling we send -> caller's spelling
    for raw in ids:
        try:
            wanted.setdefault(parse_arxiv_id(raw).versioned, raw)
        except InvalidArxivId as exc:
            lookup.invalid[raw] = str(exc)
    sent = list(wanted)
    for i in range(0, len(sent), page_size):
        _lookup_chunk(api, sent[i : i + page_size], wanted, lookup, page_size=page_size)
    return lookup


def _lookup_chunk(
    api: ArxivApi, chunk: list[str], wanted: dict[str, str], lookup: IdLookup, *, page_size: int
) -> None:
    try:
        page = api.query(id_list=chunk, max_results=page_size)
    except ArxivQueryError as exc:
        if not isinstance(exc.__cause__, ArxivApiError):
            raise
        if len(chunk) == 1:
            lookup.invalid[wanted[chunk[0]]] = exc.problem
            return
        for one in chunk:
            _lookup_chunk(api, [one], wanted, lookup, page_size=page_size)
        return
    by_id = {p.id: p for p in page.papers}
    rejected = dict(page.failures)  # entries arXiv sent that could not be used
    for versioned in chunk:
        ident = parse_arxiv_id(versioned).id
        paper = by_id.get(ident)
        if paper is not None:
            lookup.found[wanted[versioned]] = paper
        elif ident in rejected:
            lookup.invalid[wanted[versioned]] = rejected.pop(ident)
        else:
            lookup.missing.append(wanted[versioned])
    for key, message in rejected.items():  # an entry for no id we asked for
        lookup.invalid.setdefault(key, message)


def fetch_paper(api: ArxivApi, arxiv_id: str) -> Paper | None:
    """One paper by id or arXiv URL; ``None`` when arXiv does not know it.
    Raises ``InvalidArxivId`` for text that is no arXiv id, ``ArxivQueryError``
    when arXiv cannot be reached or refuses the id."""
    parse_arxiv_id(arxiv_id)
    lookup = fetch_papers_by_ids(api, [arxiv_id])
    if arxiv_id in lookup.invalid:
        raise ArxivQueryError(query_label("", [arxiv_id]), lookup.invalid[arxiv_id])
    return lookup.found.get(arxiv_id)


def ingest_arxiv_query(
    store: Store,
    api: ArxivApi,
    *,
    query: str | None = None,
    ids: Sequence[str] | None = None,
    max_results: int = 100,
    page_size: int = 100,
    sort_by: str = "relevance",
    sort_order: str = "descending",
    on_progress: Progress | None = None,
) -> ImportReport:
    """Search (``query``) or look up (``ids``) and upsert, one transaction per page.

    A failure stops the run and is reported; pages already stored stay stored, and a
    rerun upserts the same papers as unchanged. ``on_progress(n)`` is told each page's size.
    """
    if (query is None) == (ids is None):
        raise ValueError("give exactly one of query or ids")
    report = ImportReport()
    try:
        if query is not None:
            for page in search_arxiv(
                api,
                query,
                max_results=max_results,
                page_size=page_size,
                sort_by=sort_by,
                sort_order=sort_order,
            ):
                report.counts += store.upsert_papers(page.papers)
                for _, message in page.failures:
                    report.add_error(message)
                if on_progress:
                    on_progress(len(page.papers) + len(page.failures))
        else:
            lookup = fetch_papers_by_ids(api, ids or [], page_size=page_size)
            report.counts += store.upsert_papers(lookup.found.values())
            problems = lookup.problems()
            for problem in problems:
                report.add_error(problem)
            if on_progress:
                on_progress(len(lookup.found) + len(problems))
    except IngestError as exc:
        report.add_stop(str(exc), failed=1)
    return report
