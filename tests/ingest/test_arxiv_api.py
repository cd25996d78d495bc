"""The arXiv API client against a loopback server replaying recorded arXiv responses."""

from __future__ import annotations

import time
from email.utils import formatdate
from urllib.parse import parse_qs, urlencode

import pytest

from paperwire.arxiv_ids import InvalidArxivId
from paperwire.ingest.arxiv_api import (
    ArxivApi,
    ArxivQueryError,
    fetch_paper,
    fetch_papers_by_ids,
    ingest_arxiv_query,
    search_arxiv,
)
from paperwire.ingest.http import HttpxClient
from paperwire.ingest.polite import PoliteFetcher, Politeness, parse_retry_after
from paperwire.store import Store
from tests.ingest.netfakes import FakeClock, fake_fetcher, load_api_recordings, recorded_body
from tests.replay import Reply

Q_TESTING_S0 = (
    "/api/query?search_query=testing&id_list=&sortBy=relevance&sortOrder=descending"
    "&start=0&max_results=10"
)


def api_for(replay, clock: FakeClock, **kw) -> ArxivApi:  # type: ignore[no-untyped-def]
    return ArxivApi(fake_fetcher(clock, **kw), base_url=replay.base_url + "/api/query")


def test_search_pages_through_recorded_responses(replay) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "q_testing_s*_m10_*.json")
    clock = FakeClock()
    pages = list(search_arxiv(api_for(replay, clock), "testing", max_results=30, page_size=10))
    assert [p.start_index for p in pages] == [0, 10, 20]
    ids = [paper.id for page in pages for paper in page.papers]
    assert len(ids) == 30 and len(set(ids)) == 30
    assert ids[:3] == ["2202.12139", "2405.13786", "2005.14124"]
    starts = [parse_qs(r.query)["start"] for r in replay.requests]
    assert starts == [["0"], ["10"], ["20"]]
    # three requests, each after the first waits out the 3 s delay (fake clock: instant)
    assert len(clock.sleeps) == 2 and all(s == pytest.approx(3.0, abs=0.05) for s in clock.sleeps)


def test_search_trims_last_page_to_max(replay) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "q_testing_s*_m10_*.json")
    pages = list(search_arxiv(api_for(replay, FakeClock()), "testing", max_results=25, page_size=10))
    assert [len(p.papers) for p in pages] == [10, 10, 5]


def test_real_delay_spaces_requests_on_the_server(replay) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "q_testing_s*_m10_*.json")
    fetcher = PoliteFetcher(HttpxClient(), Politeness(delay=0.25, timeout=5))
    api = ArxivApi(fetcher, base_url=replay.base_url + "/api/query")
    list(search_arxiv(api, "testing", max_results=30, page_size=10))
    times = [r.at for r in replay.requests]
    assert len(times) == 3
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert all(g >= 0.25 for g in gaps), gaps


def test_429_then_200_retries_after_backoff(replay) -> None:  # type: ignore[no-untyped-def]
    body = recorded_body("q_testing_s0_m10_*.json")
    replay.add(Q_TESTING_S0, Reply(429, "slow down", content_type="text/plain"), Reply(200, body))
    clock = FakeClock()
    pages = list(search_arxiv(api_for(replay, clock, backoff=5.0), "testing", max_results=10, page_size=10))
    assert len(pages[0].papers) == 10
    assert len(replay.requests) == 2
    assert clock.sleeps == [pytest.approx(5.0)]  # first backoff; no Retry-After given


def test_503_honours_retry_after_seconds_and_http_date(replay) -> None:  # type: ignore[no-untyped-def]
    body = recorded_body("q_testing_s0_m10_*.json")
    clock = FakeClock()
    http_date = formatdate(clock.wall + 17 + 42, usegmt=True)  # the wall clock moves on
    replay.add(
        Q_TESTING_S0,
        Reply(503, "busy", headers={"Retry-After": "17"}, content_type="text/plain"),
        Reply(503, "busy", headers={"Retry-After": http_date}, content_type="text/plain"),
        Reply(200, body),
    )
    pages = list(search_arxiv(api_for(replay, clock), "testing", max_results=10, page_size=10))
    assert len(pages) == 1 and len(replay.requests) == 3
    assert clock.sleeps[0] == pytest.approx(17)
    assert clock.sleeps[1] == pytest.approx(42, abs=1.0)


def test_retry_after_beyond_limit_is_a_clear_error(replay) -> None:  # type: ignore[no-untyped-def]
    replay.add(Q_TESTING_S0, Reply(503, "down", headers={"Retry-After": "86400"}))
    with pytest.raises(ArxivQueryError) as err:
        list(search_arxiv(api_for(replay, FakeClock(), max_wait=600), "testing", max_results=10, page_size=10))
    assert "arXiv API query 'testing'" in str(err.value)
    assert "86400" in str(err.value) and len(replay.requests) == 1


def test_timeout_is_retried_then_a_clear_error(replay) -> None:  # type: ignore[no-untyped-def]
    replay.add(Q_TESTING_S0, Reply(200, "<feed/>", delay=0.6))
    clock = FakeClock()
    started = time.monotonic()
    with pytest.raises(ArxivQueryError) as err:
        list(search_arxiv(api_for(replay, clock, timeout=0.2, max_retries=2, backoff=5.0), "testing", max_results=10, page_size=10))
    assert time.monotonic() - started < 5
    message = str(err.value)
    assert "arXiv API query 'testing'" in message and "timed out after 0.2 s" in message
    assert "3 attempts" in message and "start=0" in message
    assert len(replay.requests) == 3
    assert clock.sleeps[:2] == [pytest.approx(5.0), pytest.approx(10.0)]  # exponential


def test_dropped_connection_is_retried(replay) -> None:  # type: ignore[no-untyped-def]
    body = recorded_body("q_testing_s0_m10_*.json")
    replay.add(Q_TESTING_S0, Reply(drop=True), Reply(200, body))
    pages = list(search_arxiv(api_for(replay, FakeClock()), "testing", max_results=10, page_size=10))
    assert len(pages[0].papers) == 10 and len(replay.requests) == 2


def test_arxiv_error_feed_names_the_query(replay) -> None:  # type: ignore[no-untyped-def]
    body = recorded_body("id_abc_s0_m100_*.json")
    replay.add("/api/query", Reply(400, body))
    with pytest.raises(ArxivQueryError) as err:
        list(search_arxiv(api_for(replay, FakeClock()), "ti:(", max_results=10, page_size=10))
    assert "arXiv API query 'ti:('" in str(err.value)
    assert "incorrect id format for abc" in str(err.value)


def route_ids(replay, id_list: str, recording: str, *, max_results: int = 100) -> None:  # type: ignore[no-untyped-def]
    """arXiv answers an id_list with the entries it knows and nothing for the others:
    route a recorded body under the id_list a test sends."""
    query = urlencode({"search_query": "", "id_list": id_list, "sortBy": "relevance",
                       "sortOrder": "descending", "start": "0", "max_results": str(max_results)})
    replay.add(f"/api/query?{query}", Reply(200, recorded_body(recording)))


def test_ids_found_missing_and_invalid(replay) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "id_*.json")
    route_ids(replay, "2501.99999,1707.08567", "id_1707.08567_*.json")
    route_ids(replay, "2501.99999", "id_0000.0000_*.json")  # arXiv's empty feed
    api = api_for(replay, FakeClock())
    lookup = fetch_papers_by_ids(api, ["2501.99999", "1707.08567"], page_size=100)
    assert list(lookup.found) == ["1707.08567"]
    assert lookup.found["1707.08567"].title
    assert lookup.missing == ["2501.99999"]
    assert lookup.problems() == ["2501.99999: not found on arXiv"]
    lookup = fetch_papers_by_ids(api, ["not an id", "0808.05394", "astro-ph/0601001"])
    assert list(lookup.found) == ["astro-ph/0601001"]
    assert set(lookup.invalid) == {"not an id", "0808.05394"}  # refused before asking arXiv
    assert lookup.problems()[0] == "'not an id': not an arXiv id or arXiv URL"
    # the one-id form used by submissions: unknown -> None, known -> the paper
    assert fetch_paper(api, "2501.99999") is None
    paper = fetch_paper(api, "2104.12255v1")
    assert paper is not None and paper.id == "2104.12255" and paper.version == 1
    with pytest.raises(InvalidArxivId):
        fetch_paper(api, "abc")


def test_id_arxiv_rejects_is_a_clear_error(replay) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "id_abc_*.json")
    api = api_for(replay, FakeClock())
    # "abc" fails our own check; sent raw, arXiv's error feed becomes a clear error.
    with pytest.raises(ArxivQueryError) as err:
        api.query(id_list=["abc"], max_results=100)
    assert "arXiv API id_list 'abc'" in str(err.value) and "incorrect id format" in str(err.value)


def test_parse_retry_after() -> None:
    assert parse_retry_after("120", now=0) == 120
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == pytest.approx(30)
    assert parse_retry_after(formatdate(10, usegmt=True), now=1_000_000) == 0
    assert parse_retry_after("soon", now=0) is None and parse_retry_after(None, now=0) is None


def test_ingest_query_twice_changes_no_counts(replay, store: Store) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "q_testing_s*_m10_*.json")
    api = api_for(replay, FakeClock())
    first = ingest_arxiv_query(store, api, query="testing", max_results=20, page_size=10)
    assert first.ok and first.counts.added == 20
    assert store.count_papers() == 20
    second = ingest_arxiv_query(store, api, query="testing", max_results=20, page_size=10)
    assert second.ok and second.counts.as_dict() == {"added": 0, "updated": 0, "unchanged": 20, "failed": 0}
    assert store.count_papers() == 20


def test_ingest_ids_reports_unknown_id(replay, store: Store) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "id_*.json")
    api = api_for(replay, FakeClock())
    route_ids(replay, "2501.99999,1707.08567", "id_1707.08567_*.json")
    report = ingest_arxiv_query(store, api, ids=["2501.99999", "1707.08567"])
    assert report.counts.added == 1 and report.counts.failed == 1
    assert report.errors == ["2501.99999: not found on arXiv"]
    assert store.get_paper("1707.08567") is not None


def test_ingest_stops_cleanly_on_http_error_and_keeps_earlier_pages(replay, store: Store) -> None:  # type: ignore[no-untyped-def]
    load_api_recordings(replay, "q_testing_s0_m10_*.json")
    replay.add("/api/query", Reply(500, "broken", content_type="text/plain"))
    api = api_for(replay, FakeClock(), max_retries=1)
    report = ingest_arxiv_query(store, api, query="testing", max_results=30, page_size=10)
    assert report.counts.added == 10 and report.counts.failed == 1
    assert len(report.errors) == 1 and "HTTP 500" in report.errors[0] and "start=10" in report.errors[0]
    assert store.count_papers() == 10



def test_ids_are_looked_up_page_size_at_a_time(replay) -> None:  # type: ignore[no-untyped-def]
    route_ids(replay, "1605.08386", "id_1605.08386_*.json", max_results=1)
    route_ids(replay, "1707.08567", "id_1707.08567_*.json", max_results=1)
    lookup = fetch_papers_by_ids(api_for(replay, FakeClock()), ["1605.08386", "1707.08567"], page_size=1)
    assert list(lookup.found) == ["1605.08386", "1707.08567"] and not lookup.problems()
    assert [parse_qs(r.query)["id_list"] for r in replay.requests] == [["1605.08386"], ["1707.08567"]]


def test_spurious_empty_page_in_range_is_asked_again(replay) -> None:  # type: ignore[no-untyped-def]
    """arXiv now and then answers a page inside the result range with no entries."""
    load_api_recordings(replay, "q_testing_s0_m10_*.json")
    s10 = Q_TESTING_S0.replace("start=0", "start=10")
    empty = recorded_body("id_0000.0000_*.json").replace(
        "<opensearch:totalResults>0<", "<opensearch:totalResults>214881<"
    )
    replay.add(s10, Reply(200, empty), Reply(200, recorded_body("q_testing_s10_m10_*.json")))
    pages = list(search_arxiv(api_for(replay, FakeClock()), "testing", max_results=20, page_size=10))
    assert [len(p.papers) for p in pages] == [10, 10]
    assert [parse_qs(r.query)["start"] for r in replay.requests] == [["0"], ["10"], ["10"]]
