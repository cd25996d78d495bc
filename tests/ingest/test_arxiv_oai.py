"""OAI-PMH harvest of arXiv against a loopback server replaying spec-written responses
(tests/data/oai): paging by resumption token, OAI errors, 503 + Retry-After, a harvest
that dies midway and is resumed, and idempotency on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest

from paperwire.config import Settings
from paperwire.ingest.arxiv_oai import OaiClient, harvest_oai
from paperwire.ingest.http import HttpxClient
from paperwire.ingest.oai_records import OaiError, parse_oai_page, split_author_string
from paperwire.models import Author
from paperwire.store import HarvestKey, Store
from tests.ingest.netfakes import FakeClock, fake_fetcher
from tests.replay import ReplayServer, Reply

OAI_DATA = Path(__file__).resolve().parent.parent / "data" / "oai"
KEY = HarvestKey("arxiv_oai", "cs", "arXiv")
FIRST = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2026-11-01"}
TOKEN1 = {"verb": "ListRecords", "resumptionToken": "7281|1001"}
TOKEN2 = {"verb": "ListRecords", "resumptionToken": "7281|2001"}


def xml(name: str) -> bytes:
    return (OAI_DATA / name).read_bytes()


def ok(name: str) -> Reply:
    return Reply(200, xml(name), content_type="text/xml; charset=utf-8")


def route(server: ReplayServer, params: dict[str, str], *replies: Reply) -> None:
    server.add(f"/oai?{urlencode(params)}", *replies)


def route_three_pages(server: ReplayServer, *, page2: tuple[Reply, ...] = ()) -> None:
    route(server, FIRST, ok("cs_page1.xml"))
    route(server, TOKEN1, *(page2 or (ok("cs_page2.xml"),)))
    route(server, TOKEN2, ok("cs_page3.xml"))


def oai_for(server: ReplayServer, clock: FakeClock | None = None, **kw: float) -> OaiClient:
    return OaiClient(fake_fetcher(clock or FakeClock(), **kw), base_url=server.base_url + "/oai")


def sent(server: ReplayServer) -> list[dict[str, list[str]]]:
    return [parse_qs(r.query) for r in server.requests]


# --- parsing ------------------------------------------------------------------------


def test_arxiv_format_records_map_to_papers() -> None:
    page = parse_oai_page(xml("cs_page1.xml"), where="page1", prefix="arXiv")
    assert [p.id for p in page.papers] == ["1706.03762", "1512.03385", "hep-th/9711200"]
    assert page.token == "7281|1001" and page.complete_list_size == 8 and page.cursor == 0
    assert page.max_datestamp == date(2026, 11, 2)
    attention = page.papers[0]
    assert attention.title == "Attention Is All You Need"
    assert attention.categories == ["cs.CL", "cs.LG"]
    assert attention.submitted == datetime(2017, 6, 12, tzinfo=UTC)
    assert attention.updated == datetime(2023, 8, 2, tzinfo=UTC)
    assert attention.authors[0] == Author(name="Ashish Vaswani", family="Vaswani", given="Ashish")
    assert attention.authors[3].affiliation == "Google Research"
    assert attention.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert attention.abstract.startswith("The dominant sequence transduction models")
    assert "https://github.com/tensorflow/tensor2tensor" in [link.url for link in attention.code_links]
    resnet = page.papers[1]
    assert resnet.title == "Deep Residual Learning for Image Recognition" and resnet.updated is None
    maldacena = page.papers[2]
    assert maldacena.authors[1] == Author(name="John Doe Jr", family="Doe", given="John", suffix="Jr")
    assert maldacena.journal_ref == "Adv.Theor.Math.Phys.2:231-252,1998"
    assert maldacena.doi == "10.1023/A:1026654312961"
    assert maldacena.comments and maldacena.comments.startswith("20 pages")


def test_deleted_records_and_last_page() -> None:
    page2 = parse_oai_page(xml("cs_page2.xml"), where="p2", prefix="arXiv")
    assert page2.deleted == ["oai:arXiv.org:2001.00001"]
    assert [p.id for p in page2.papers] == ["1810.04805", "1412.6980"] and page2.records == 3
    page3 = parse_oai_page(xml("cs_page3.xml"), where="p3", prefix="arXiv")
    assert page3.token is None and page3.complete_list_size == 8 and page3.cursor == 6


def test_arxiv_raw_versions_dates_and_author_string() -> None:
    page = parse_oai_page(xml("raw_page.xml"), where="raw", prefix="arXivRaw")
    first, second = page.papers
    assert first.id == "0704.0001" and first.version == 2
    assert first.submitted == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert first.updated == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert [a.name for a in first.authors] == ["C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert second.version == 1 and second.updated is None
    assert [a.name for a in second.authors] == ["Ileana Streinu", "Louis Theran"]
    assert second.categories == ["math.CO", "cs.CG"]
    assert page.failures == ["raw: record oai:arXiv.org:0704.0003: no title"]


def test_split_author_string() -> None:
    assert split_author_string("A. One, B. Two, and C. Three") == ["A. One", "B. Two", "C. Three"]
    assert split_author_string("Solo Author") == ["Solo Author"]


def test_oai_errors_and_no_records() -> None:
    assert parse_oai_page(xml("no_records.xml"), where="x", prefix="arXiv").no_records
    for name, code in [
        ("bad_token.xml", "badResumptionToken"),
        ("bad_argument.xml", "badArgument"),
        ("cannot_disseminate.xml", "cannotDisseminateFormat"),
        ("no_set.xml", "noSetHierarchy"),
    ]:
        with pytest.raises(OaiError) as err:
            parse_oai_page(xml(name), where="URL", prefix="arXiv")
        assert err.value.code == code and str(err.value).startswith(f"URL: OAI-PMH error {code}")


# --- harvesting ---------------------------------------------------------------------


def test_three_page_harvest_and_idempotent_rerun(replay: ReplayServer, store: Store) -> None:
    route_three_pages(replay)
    oai = oai_for(replay)
    seen_pages: list[int] = []
    report = harvest_oai(store, oai, set_spec="cs", from_date=date(2026, 11, 1), on_progress=seen_pages.append)
    assert report.ok and report.completed
    assert report.counts.as_dict() == {"added": 7, "updated": 0, "unchanged": 0, "failed": 0}
    assert (report.pages, report.records, report.deleted) == (3, 8, 1)
    assert seen_pages == [3, 3, 2]
    assert [q.get("resumptionToken") for q in sent(replay)] == [None, ["7281|1001"], ["7281|2001"]]
    assert sent(replay)[0] == {k: [v] for k, v in FIRST.items()}
    state = store.get_harvest(KEY)
    assert state is not None and not state.in_progress
    assert (state.pages_done, state.records_done, state.cursor) == (3, 8, 8)
    assert state.harvested_until == date(2026, 11, 3) and state.resumption_token is None
    assert store.count_papers() == 7
    paper = store.get_paper("hep-th/9711200")
    assert paper is not None and paper.authors[1].suffix == "Jr"

    again = harvest_oai(store, oai, set_spec="cs", from_date=date(2026, 11, 1))
    assert again.ok
    assert again.counts.as_dict() == {"added": 0, "updated": 0, "unchanged": 7, "failed": 0}
    assert store.count_papers() == 7


def test_next_harvest_continues_from_last_datestamp(replay: ReplayServer, sqlite_store: Store) -> None:
    route_three_pages(replay)
    later = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2026-11-03"}
    route(replay, later, ok("no_records.xml"))
    oai = oai_for(replay)
    assert harvest_oai(sqlite_store, oai, set_spec="cs", from_date=date(2026, 11, 1)).ok
    report = harvest_oai(sqlite_store, oai, set_spec="cs")  # no --from
    assert report.ok and report.from_date == date(2026, 11, 3)
    assert report.counts.added == 0 and report.records == 0
    assert "noRecordsMatch" in report.notes[0]
    assert sent(replay)[-1]["from"] == ["2026-11-03"]
    state = sqlite_store.get_harvest(KEY)
    assert state is not None and state.harvested_until == date(2026, 11, 3)


def test_first_from_starts_only_a_first_harvest(replay: ReplayServer, sqlite_store: Store) -> None:
    route_three_pages(replay)  # the first harvest is asked for from 2026-11-01
    later = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2026-11-03"}
    route(replay, later, ok("no_records.xml"))
    oai = oai_for(replay)
    first = harvest_oai(sqlite_store, oai, set_spec="cs", first_from=date(2026, 11, 1))
    assert first.ok and first.from_date == date(2026, 11, 1) and first.counts.added == 7
    assert sent(replay)[0] == {k: [v] for k, v in FIRST.items()}
    # once the set has a harvest, a run without from_date continues where it got
    again = harvest_oai(sqlite_store, oai, set_spec="cs", first_from=date(2026, 10, 1))
    assert again.ok and again.from_date == date(2026, 11, 3)
    assert sent(replay)[-1]["from"] == ["2026-11-03"]


def test_first_from_past_until_harvests_up_to_until(replay: ReplayServer, sqlite_store: Store) -> None:
    whole = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "until": "2026-10-01"}
    route(replay, whole, ok("no_records.xml"))
    report = harvest_oai(
        sqlite_store, oai_for(replay), set_spec="cs", until=date(2026, 10, 1), first_from=date(2026, 11, 1)
    )
    assert report.ok and report.from_date is None  # asked to end before first_from: all up to until
    assert sent(replay) == [{k: [v] for k, v in whole.items()}]


@pytest.mark.parametrize("failure", ["http500", "dropped"])
def test_harvest_dies_at_page_2_and_rerun_resumes(replay: ReplayServer, store: Store, failure: str) -> None:
    broken = Reply(500, "internal error", content_type="text/plain") if failure == "http500" else Reply(drop=True)
    route_three_pages(replay, page2=(broken, broken, ok("cs_page2.xml")))
    oai = oai_for(replay, max_retries=1)  # two attempts, both fail
    first = harvest_oai(store, oai, set_spec="cs", from_date=date(2026, 11, 1))
    assert not first.completed and not first.ok
    assert first.pages == 1 and first.counts.added == 3
    message = first.errors[0]
    assert "set 'cs'" in message and "page 2" in message and "resumptionToken=7281%7C1001" in message
    assert ("HTTP 500" if failure == "http500" else "network error") in message
    state = store.get_harvest(KEY)
    assert state is not None and state.in_progress
    assert (state.pages_done, state.records_done, state.resumption_token) == (1, 3, "7281|1001")

    before = len(replay.requests)
    second = harvest_oai(store, oai, set_spec="cs")  # same window, resumed
    assert second.ok and second.resumed_at_page == 2
    assert sent(replay)[before] == {"verb": ["ListRecords"], "resumptionToken": ["7281|1001"]}
    assert second.pages == 2 and second.counts.as_dict() == {"added": 4, "updated": 0, "unchanged": 0, "failed": 0}
    state = store.get_harvest(KEY)
    assert state is not None and not state.in_progress
    # the same as an uninterrupted run: 3 pages, 8 records, 7 papers, no duplicates
    assert (state.pages_done, state.records_done) == (3, 8)
    assert store.count_papers() == 7
    assert len(store.get_papers(["1706.03762", "1810.04805", "2010.11929"])) == 3


def test_expired_token_on_resume_restarts_the_window(replay: ReplayServer, store: Store) -> None:
    route(replay, FIRST, ok("cs_page1.xml"))
    route(replay, TOKEN1, ok("malformed.xml"), ok("bad_token.xml"), ok("cs_page2.xml"))
    route(replay, TOKEN2, ok("cs_page3.xml"))
    oai = oai_for(replay)
    first = harvest_oai(store, oai, set_spec="cs", from_date=date(2026, 11, 1))
    assert not first.completed and "malformed XML" in first.errors[0] and "page 2" in first.errors[0]
    second = harvest_oai(store, oai, set_spec="cs")
    assert second.ok and second.restarted
    assert "expired" in second.notes[-1] and "2026-11-01" in second.notes[-1]
    assert sent(replay)[-3] == {k: [v] for k, v in FIRST.items()}  # the window again
    assert second.counts.as_dict() == {"added": 4, "updated": 0, "unchanged": 3, "failed": 0}
    state = store.get_harvest(KEY)
    assert state is not None and (state.pages_done, state.records_done) == (3, 8)
    assert store.count_papers() == 7


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("bad_argument.xml", "OAI-PMH error badArgument"),
        ("cannot_disseminate.xml", "OAI-PMH error cannotDisseminateFormat"),
        ("no_set.xml", "OAI-PMH error noSetHierarchy"),
    ],
)
def test_oai_error_is_a_clear_error(replay: ReplayServer, sqlite_store: Store, reply: str, expected: str) -> None:
    route(replay, FIRST, ok(reply))
    report = harvest_oai(sqlite_store, oai_for(replay), set_spec="cs", from_date=date(2026, 11, 1))
    assert not report.completed and sqlite_store.count_papers() == 0
    assert expected in report.errors[0] and "set 'cs'" in report.errors[0] and "/oai?verb=ListRecords" in report.errors[0]


def test_bad_token_mid_run_is_an_error_not_a_loop(replay: ReplayServer, sqlite_store: Store) -> None:
    route_three_pages(replay, page2=(ok("bad_token.xml"),))
    report = harvest_oai(sqlite_store, oai_for(replay), set_spec="cs", from_date=date(2026, 11, 1))
    assert not report.completed and "badResumptionToken" in report.errors[0]
    assert len(replay.requests) == 2


def test_503_retry_after_is_waited_out(replay: ReplayServer, sqlite_store: Store) -> None:
    busy = Reply(503, "Retry later", headers={"Retry-After": "30"}, content_type="text/plain")
    route_three_pages(replay, page2=(busy, ok("cs_page2.xml")))
    clock = FakeClock()
    report = harvest_oai(sqlite_store, oai_for(replay, clock, delay=3.0), set_spec="cs", from_date=date(2026, 11, 1))
    assert report.ok and report.pages == 3
    assert clock.sleeps == [pytest.approx(3.0), pytest.approx(30.0), pytest.approx(3.0)]


def test_timeout_mid_harvest_stops_cleanly(replay: ReplayServer, sqlite_store: Store) -> None:
    route_three_pages(replay, page2=(Reply(200, xml("cs_page2.xml"), delay=0.5),))
    report = harvest_oai(sqlite_store, oai_for(replay, timeout=0.15, max_retries=1), set_spec="cs",
                         from_date=date(2026, 11, 1))
    assert not report.completed and "timed out after 0.15 s" in report.errors[0]
    state = sqlite_store.get_harvest(KEY)
    assert state is not None and state.in_progress and state.resumption_token == "7281|1001"


def test_wrong_metadata_format_is_reported_per_record(replay: ReplayServer, sqlite_store: Store) -> None:
    route(replay, FIRST, ok("pyoai_listrecords_oai_dc.xml"))
    report = harvest_oai(sqlite_store, oai_for(replay), set_spec="cs", from_date=date(2026, 11, 1))
    assert report.completed and not report.ok
    assert report.counts.added == 0 and report.counts.failed == report.records > 5
    assert "record hdl:1765/308: record has no arXiv metadata" in report.errors[0]
    assert sqlite_store.count_papers() == 0


def test_arxiv_raw_harvest_counts_failed_record(replay: ReplayServer, store: Store) -> None:
    params = {"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "physics:hep-th"}
    route(replay, params, ok("raw_page.xml"))
    oai = oai_for(replay)
    report = harvest_oai(store, oai, set_spec="physics:hep-th", prefix="arXivRaw")
    assert report.completed and report.counts.as_dict() == {"added": 2, "updated": 0, "unchanged": 0, "failed": 1}
    paper = store.get_paper("0704.0001")
    assert paper is not None and paper.version == 2
    again = harvest_oai(store, oai, set_spec="physics:hep-th", prefix="arXivRaw", from_date=date(2026, 11, 2))
    assert again.counts.added == 0 and store.count_papers() == 2
    state = store.get_harvest(HarvestKey("arxiv_oai", "physics:hep-th", "arXivRaw"))
    assert state is not None and state.harvested_until == date(2026, 11, 3)


def test_bad_arguments_are_refused_before_any_request(replay: ReplayServer, sqlite_store: Store) -> None:
    oai = oai_for(replay)
    with pytest.raises(ValueError, match="prefix 'oai_dc'"):
        harvest_oai(sqlite_store, oai, set_spec="cs", prefix="oai_dc")
    with pytest.raises(ValueError, match="after until"):
        harvest_oai(sqlite_store, oai, set_spec="cs", from_date=date(2026, 11, 5), until=date(2026, 11, 1))
    assert replay.requests == []


def test_a_second_harvest_of_the_same_set_waits_its_turn(replay: ReplayServer, store: Store) -> None:
    route_three_pages(replay)
    oai = oai_for(replay)
    rivals: list[object] = []

    def start_a_rival(records: int) -> None:  # runs while the first harvest holds the set
        if not rivals:
            requests_before = len(replay.requests)
            rivals.append(harvest_oai(store, oai, set_spec="cs", from_date=date(2026, 11, 1)))
            assert len(replay.requests) == requests_before  # the rival fetched nothing

    report = harvest_oai(store, oai, set_spec="cs", from_date=date(2026, 11, 1), on_progress=start_a_rival)
    assert report.ok and report.completed and report.counts.added == 7
    [rival] = rivals
    assert not rival.ok and not rival.completed  # type: ignore[attr-defined]
    [error] = rival.errors  # type: ignore[attr-defined]
    assert "set 'cs'" in error and "another harvest of this set is running" in error
    assert "nothing was done" in error
    # the lease went with the first run: the next run of the set goes ahead
    again = harvest_oai(store, oai, set_spec="cs", from_date=date(2026, 11, 1))
    assert again.ok and again.counts.unchanged == 7


# --- a looping server, and the page limit of one run -------------------------------

BROKEN = Reply(500, "this page was asked for twice", content_type="text/plain")


@pytest.mark.parametrize("loop", ["same-token", "back-to-page-1"])
def test_a_repeated_resumption_token_stops_the_harvest(replay: ReplayServer, store: Store, loop: str) -> None:
    route(replay, FIRST, ok("cs_page1.xml"), BROKEN)  # a second request would be the loop
    if loop == "same-token":  # page 2 hands out page 1's token again
        route(replay, TOKEN1, ok("cs_page1.xml"), BROKEN)
    else:  # page 3 sends the harvest back to page 2
        route(replay, TOKEN1, ok("cs_page2.xml"), BROKEN)
        route(replay, TOKEN2, ok("cs_page1.xml"), BROKEN)
    report = harvest_oai(store, oai_for(replay, max_retries=0), set_spec="cs", from_date=date(2026, 11, 1))
    assert not report.ok and not report.completed
    [error] = report.errors
    assert "set 'cs'" in error and "resumption token '7281|1001' again" in error and "loop" in error
    pages_stored = 1 if loop == "same-token" else 2
    assert report.pages == pages_stored and f"page {pages_stored + 1}" in error
    assert len(replay.requests) == pages_stored + 1
    state = store.get_harvest(KEY)  # still at the last page stored, to resume from
    assert state is not None and state.in_progress and state.pages_done == pages_stored


def test_page_limit_stops_a_run_and_the_next_continues(replay: ReplayServer, store: Store) -> None:
    route_three_pages(replay)
    clock = FakeClock()
    settings = Settings(oai_url=replay.base_url + "/oai", oai_delay=0, oai_max_pages=2)
    oai = OaiClient.from_settings(settings, HttpxClient(), sleep=clock.sleep, monotonic=clock.monotonic)
    first = harvest_oai(store, oai, set_spec="cs", from_date=date(2026, 11, 1))
    assert first.stopped_at_page_limit and not first.completed
    assert first.ok and not first.errors  # the limit is no failure
    assert first.pages == 2 and first.counts.added == 5
    assert "stopped after 2 pages" in first.notes[-1] and "PAPERWIRE_OAI_MAX_PAGES" in first.notes[-1]
    assert first.as_dict()["stopped_at_page_limit"] is True
    state = store.get_harvest(KEY)
    assert state is not None and state.in_progress and state.resumption_token == "7281|2001"
    assert len(replay.requests) == 2

    second = harvest_oai(store, oai, set_spec="cs")
    assert second.ok and second.completed and not second.stopped_at_page_limit
    assert second.resumed_at_page == 3 and second.pages == 1
    assert sent(replay)[2] == {k: [v] for k, v in TOKEN2.items()}
    assert store.count_papers() == 7


def test_resumed_run_that_gets_its_own_token_back_stops(replay: ReplayServer, store: Store) -> None:
    route(replay, FIRST, ok("cs_page1.xml"))
    route(replay, TOKEN1, ok("cs_page1.xml"), BROKEN)  # resuming with 7281|1001 brings 7281|1001
    oai = oai_for(replay, max_retries=0)
    oai.max_pages = 1
    assert harvest_oai(store, oai, set_spec="cs", from_date=date(2026, 11, 1)).stopped_at_page_limit
    second = harvest_oai(store, oai, set_spec="cs")
    assert not second.ok and "resumption token '7281|1001' again" in second.errors[0]
    assert len(replay.requests) == 2
