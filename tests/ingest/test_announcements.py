"""Daily listing feeds: parsing every announce type, storing days (including days
without announcement), bad feeds, reruns — against a real loopback HTTP server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperwire.ingest.announcements import ingest_announcements
from paperwire.ingest.arxiv_rss import parse_listing
from paperwire.ingest.errors import IngestError
from paperwire.ingest.jobs import run_source
from paperwire.ingest.polite import PoliteFetcher
from paperwire.models import Author, Paper, UpsertCounts
from paperwire.store import Store
from tests.ingest.netfakes import FakeClock, fake_fetcher
from tests.replay import Reply

RSS = Path(__file__).resolve().parent.parent / "data" / "rss"
MONDAY, TUESDAY, SATURDAY = date(2025, 11, 3), date(2025, 11, 4), date(2025, 11, 8)


def feed(name: str) -> bytes:
    return (RSS / name).read_bytes()


def clock() -> datetime:
    return datetime(2025, 11, 4, 6, 0, tzinfo=UTC)


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fetcher(fake_clock: FakeClock):  # type: ignore[no-untyped-def]
    """Feeds go through a PoliteFetcher like in production; its waits are faked."""
    f = fake_fetcher(fake_clock)
    yield f
    f.http.close()  # type: ignore[attr-defined]


def serve(replay, category: str, *names: str) -> None:  # type: ignore[no-untyped-def]
    """Each request for the category's feed gets the next recording."""
    replay.add(f"/rss/{category}", *[Reply(body=feed(n), content_type="application/rss+xml") for n in names])


def ingest(store: Store, fetcher: PoliteFetcher, replay, *categories: str):  # type: ignore[no-untyped-def]
    return ingest_announcements(store, fetcher, categories, base_url=replay.base_url + "/rss", clock=clock)


# --- parsing -----------------------------------------------------------------------


def test_parses_new_items() -> None:
    listing = parse_listing(feed("cs.CV-2025-11-03-new.rss.xml"), category="cs.CV", where="f")
    assert listing.day == MONDAY and listing.announced
    assert [i.paper.id for i in listing.items] == ["2511.00123", "2511.00187", "2511.00342"]
    first = listing.items[0]
    assert first.announce_type == "new"
    p = first.paper
    assert p.version == 1 and p.announced == MONDAY and p.announce_type == "new"
    assert p.title.startswith("SparseViT-Prune: Token Pruning")
    assert p.abstract.startswith("Vision transformers spend") and "< 1% top-1" in p.abstract
    assert "Announce Type" not in p.abstract
    assert [a.name for a in p.authors] == ["Mei Lin", "José García", "Ananya Krishnan"]
    assert p.categories == ["cs.CV", "cs.LG"]
    assert p.license == "http://creativecommons.org/licenses/by/4.0/"
    assert p.has_code and p.code_links[0].url == "https://github.com/sparsevit-lab/sparsevit-prune"
    assert listing.skip_days == ("Saturday", "Sunday")


@pytest.mark.parametrize(
    ("name", "category", "kind", "day"),
    [
        ("cs.LG-2025-11-03-cross.rss.xml", "cs.LG", "cross", MONDAY),
        ("cs.CV-2025-11-04-replace.rss.xml", "cs.CV", "replace", TUESDAY),
        ("cs.LG-2025-11-04-replace-cross.rss.xml", "cs.LG", "replace-cross", TUESDAY),
    ],
)
def test_parses_each_announce_type(name: str, category: str, kind: str, day: date) -> None:
    listing = parse_listing(feed(name), category=category, where=name)
    assert listing.day == day
    assert {i.announce_type for i in listing.items} == {kind}
    for item in listing.items:
        if kind.startswith("replace"):  # a replacement never gives the paper a day
            assert item.paper.announced is None and item.paper.announce_type is None
            assert item.paper.version and item.paper.version >= 2
        else:
            assert item.paper.announced == day and item.paper.announce_type == kind
    assert [(e.announce_type, e.day, e.category) for e in listing.entries()] == [(kind, day, category)] * len(listing.items)


def test_parses_the_atom_variant() -> None:
    listing = parse_listing(feed("cs.CL-2025-11-03-new.atom.xml"), category="cs.CL", where="a")
    assert listing.day == MONDAY
    assert [(i.paper.id, i.announce_type) for i in listing.items] == [("2511.00078", "new"), ("2511.00456", "cross")]
    p = listing.items[0].paper
    assert [a.name for a in p.authors] == ["Isabel Moreno", "Daniel Kim"]
    assert p.categories == ["cs.CL", "cs.IR"] and p.license.endswith("by/4.0/")  # type: ignore[union-attr]
    assert p.abstract.startswith("Long-form answers")


def test_weekend_feed_is_a_day_without_announcement() -> None:
    listing = parse_listing(feed("cs.CV-2025-11-08-weekend.rss.xml"), category="cs.CV", where="w")
    assert listing.day == SATURDAY and not listing.announced and listing.entries() == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (feed("malformed.rss.xml"), "malformed XML"),
        (b"<html><body>Service unavailable</body></html>", "not an RSS or Atom listing feed"),
        (b"", "empty file"),
        (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel>&x;</channel></rss>',
         "refused unsafe XML"),
    ],
)
def test_bad_feed_is_refused_naming_where(content: bytes, problem: str) -> None:
    with pytest.raises(IngestError) as info:
        parse_listing(content, category="cs.CV", where="http://feeds.test/rss/cs.CV")
    assert "http://feeds.test/rss/cs.CV" in str(info.value) and problem in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (b"<arxiv:announce_type>new", b"<arxiv:announce_type>bogus", "unknown announce type 'bogus'"),
        (b"oai:arXiv.org:2511.00123v1", b"oai:arXiv.org:nonsense", "unusable id"),
    ],
)
def test_a_bad_item_is_left_out_naming_where(old: bytes, new: bytes, problem: str) -> None:
    good = parse_listing(feed("cs.CV-2025-11-03-new.rss.xml"), category="cs.CV", where="u")
    listing = parse_listing(
        feed("cs.CV-2025-11-03-new.rss.xml").replace(old, new, 1),
        category="cs.CV",
        where="http://feeds.test/rss/cs.CV",
    )
    [failure] = listing.failures
    assert failure.startswith("http://feeds.test/rss/cs.CV: ") and problem in failure
    assert len(listing.items) == len(good.items) - 1


# --- storing, over real HTTP ---------------------------------------------------------


def test_each_announce_type_is_stored_with_day_and_type(store: Store, replay, fetcher) -> None:  # type: ignore[no-untyped-def]
    serve(replay, "cs.CV", "cs.CV-2025-11-03-new.rss.xml", "cs.CV-2025-11-04-replace.rss.xml")
    serve(replay, "cs.LG", "cs.LG-2025-11-03-cross.rss.xml", "cs.LG-2025-11-04-replace-cross.rss.xml")

    monday = ingest(store, fetcher, replay, "cs.CV", "cs.LG")
    assert monday.ok, monday.errors
    assert monday.counts == UpsertCounts(added=4, unchanged=1)  # 2511.00187 is in both feeds
    assert [(d.category, d.day, d.status, d.papers) for d in monday.days] == [
        ("cs.CV", MONDAY, "announced", 3),
        ("cs.LG", MONDAY, "announced", 2),
    ]
    new = store.get_paper("2511.00123")
    assert new is not None and (new.announced, new.announce_type, new.version) == (MONDAY, "new", 1)
    both = store.get_paper("2511.00187")  # new in cs.CV, cross in cs.LG: stays 'new'
    assert both is not None and (both.announced, both.announce_type) == (MONDAY, "new")
    cross = store.get_paper("2511.00456")
    assert cross is not None and (cross.announced, cross.announce_type) == (MONDAY, "cross")

    tuesday = ingest(store, fetcher, replay, "cs.CV", "cs.LG")
    assert tuesday.ok, tuesday.errors
    assert tuesday.counts == UpsertCounts(added=2, updated=2)
    replaced = store.get_paper("2511.00123")
    assert replaced is not None and replaced.version == 2 and "COCO" in replaced.abstract
    # A replacement never moves a paper to a new day.
    assert (replaced.announced, replaced.announce_type) == (MONDAY, "new")
    rc = store.get_paper("2511.00187")
    assert rc is not None and rc.version == 2 and (rc.announced, rc.announce_type) == (MONDAY, "new")
    older = store.get_paper("2509.21877")  # first seen as a replacement: no day invented
    assert older is not None and older.version == 3 and older.announced is None
    # Each day's listing keeps its entries, replacements included.
    assert [(e.paper_id, e.announce_type, e.version) for e in store.announcement_entries(TUESDAY, category="cs.CV")] == [
        ("2509.21877", "replace", 3),
        ("2511.00123", "replace", 2),
    ]
    assert [(e.category, e.paper_id, e.announce_type) for e in store.announcement_entries(MONDAY)] == [
        ("cs.CV", "2511.00123", "new"),
        ("cs.CV", "2511.00187", "new"),
        ("cs.CV", "2511.00342", "new"),
        ("cs.LG", "2511.00187", "cross"),
        ("cs.LG", "2511.00456", "cross"),
    ]
    assert store.announcement_status(MONDAY) == "announced"
    assert store.announcement_status(TUESDAY, ["cs.LG"]) == "announced"
    assert store.announcement_status(date(2025, 11, 5)) is None


def test_cross_list_read_first_does_not_win_over_new(store: Store, replay, fetcher) -> None:  # type: ignore[no-untyped-def]
    serve(replay, "cs.CV", "cs.CV-2025-11-03-new.rss.xml")
    serve(replay, "cs.LG", "cs.LG-2025-11-03-cross.rss.xml")
    report = ingest(store, fetcher, replay, "cs.LG", "cs.CV")
    assert report.ok
    paper = store.get_paper("2511.00187")
    assert paper is not None and (paper.announced, paper.announce_type) == (MONDAY, "new")
    again = ingest(store, fetcher, replay, "cs.LG", "cs.CV")
    assert again.counts == UpsertCounts(unchanged=5)


def test_weekend_is_recorded_as_no_announcement(store: Store, replay, fetcher) -> None:  # type: ignore[no-untyped-def]
    serve(replay, "cs.CV", "cs.CV-2025-11-08-weekend.rss.xml")
    report = ingest(store, fetcher, replay, "cs.CV")
    assert report.ok and report.counts == UpsertCounts()
    [day] = report.days
    assert (day.category, day.day, day.status, day.papers) == ("cs.CV", SATURDAY, "none", 0)
    assert store.announcement_status(SATURDAY) == "none"
    assert store.announcement_status(SATURDAY, ["cs.CV"]) == "none"
    assert store.announcement_status(SATURDAY, ["math.AG"]) is None  # never fetched
    [row] = store.announcement_days(category="cs.CV")
    assert row.status == "none" and row.fetched_at == clock()


def test_malformed_feed_is_named_run_failed_and_others_stored(store: Store, replay, fetcher) -> None:  # type: ignore[no-untyped-def]
    serve(replay, "cs.CV", "malformed.rss.xml")
    serve(replay, "cs.LG", "cs.LG-2025-11-03-cross.rss.xml")
    report = run_source(store, "announcements", lambda: ingest(store, fetcher, replay, "cs.CV", "cs.LG"), clock=clock)
    [error] = report.errors
    assert f"{replay.base_url}/rss/cs.CV" in error and "malformed XML" in error
    assert report.counts == UpsertCounts(added=2, failed=1)
    assert store.get_paper("2511.00456") is not None
    assert store.announcement_status(MONDAY, ["cs.CV"]) is None  # nothing half-stored
    run = store.get_source_run("announcements")
    assert run is not None and run.status == "failed"
    assert run.last_error is not None and "/rss/cs.CV" in run.last_error and "malformed XML" in run.last_error
    assert run.counts == UpsertCounts(added=2, failed=1)
    assert run.last_success is None and run.last_failure == clock()


def test_http_error_and_bad_category_are_reported(store: Store, replay, fetcher) -> None:  # type: ignore[no-untyped-def]
    replay.add("/rss/cs.CV", Reply(503, b"busy", headers={"Retry-After": "60"}, content_type="text/plain"))
    serve(replay, "cs.LG", "cs.LG-2025-11-03-cross.rss.xml")
    report = ingest(store, fetcher, replay, "cs.CV", "../etc", "cs.LG")
    assert len(report.errors) == 2
    assert f"{replay.base_url}/rss/cs.CV: HTTP 503" in report.errors[0]
    assert "'../etc'" in report.errors[1] and "not an arXiv category" in report.errors[1]
    assert report.counts == UpsertCounts(added=2, failed=2)


def test_feeds_are_fetched_politely(store: Store, replay, fetcher, fake_clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """A 503 with Retry-After is waited out and asked again; categories are spaced."""
    replay.add(
        "/rss/cs.CV",
        Reply(503, b"busy", headers={"Retry-After": "7"}, content_type="text/plain"),
        Reply(body=feed("cs.CV-2025-11-03-new.rss.xml"), content_type="application/rss+xml"),
    )
    serve(replay, "cs.LG", "cs.LG-2025-11-03-cross.rss.xml")
    report = ingest(store, fetcher, replay, "cs.CV", "cs.LG")
    assert report.ok, report.errors
    assert report.counts == UpsertCounts(added=4, unchanged=1)
    assert [r.path for r in replay.requests] == ["/rss/cs.CV", "/rss/cs.CV", "/rss/cs.LG"]
    # the server's 7 s, then the 3 s spacing before the next category's feed
    assert fake_clock.sleeps == [pytest.approx(7.0), pytest.approx(3.0)]
    assert all("paperwire/" in r.headers.get("User-Agent", "") for r in replay.requests)


def test_rerun_changes_no_counts(store: Store, replay, fetcher) -> None:  # type: ignore[no-untyped-def]
    serve(replay, "cs.CV", "cs.CV-2025-11-04-replace.rss.xml")
    serve(replay, "cs.LG", "cs.LG-2025-11-04-replace-cross.rss.xml")
    serve(replay, "cs.CL", "cs.CL-2025-11-03-new.atom.xml")
    first = ingest(store, fetcher, replay, "cs.CV", "cs.LG", "cs.CL")
    assert first.ok and first.counts.added == 6
    count = store.count_papers()
    second = ingest(store, fetcher, replay, "cs.CV", "cs.LG", "cs.CL")
    assert second.counts == UpsertCounts(unchanged=6)
    assert store.count_papers() == count
    assert len(store.announcement_entries(TUESDAY)) == 4
    assert len(store.announcement_days()) == 3


def test_listing_keeps_what_richer_sources_stored(store: Store, replay, fetcher) -> None:  # type: ignore[no-untyped-def]
    """An API/OAI record has dates, DOI and comments a feed lacks; the feed keeps them."""
    submitted = datetime(2025, 10, 31, 17, 2, tzinfo=UTC)
    store.upsert_papers([Paper(
        id="2511.00342", version=1, title="A Benchmark for Open-Vocabulary Segmentation of Histopathology Slides",
        abstract="old", authors=[Author("Olusegun Adeyemi", affiliation="Lagos")], categories=["cs.CV"],
        submitted=submitted, updated=submitted, doi="10.1000/xyz", comments="12 pages",
    )])
    serve(replay, "cs.CV", "cs.CV-2025-11-03-new.rss.xml")
    assert ingest(store, fetcher, replay, "cs.CV").counts == UpsertCounts(added=2, updated=1)
    paper = store.get_paper("2511.00342")
    assert paper is not None
    assert (paper.submitted, paper.doi, paper.comments) == (submitted, "10.1000/xyz", "12 pages")
    assert paper.announced == MONDAY and paper.abstract.startswith("We release 4,200")
    assert ingest(store, fetcher, replay, "cs.CV").counts == UpsertCounts(unchanged=3)


def test_holiday_makes_the_site_say_no_announcement(store: Store, replay, fetcher) -> None:  # type: ignore[no-untyped-def]
    """A weekday without announcement is only known from the feed; the browse domain
    reads it through ``announcement_status``."""
    from paperwire.browse.listing import day_state

    thanksgiving = date(2025, 11, 27)
    assert day_state(store, thanksgiving, has_papers=False, today=date(2025, 12, 1)) == "empty"
    serve(replay, "cs.CV", "cs.CV-2025-11-27-holiday.rss.xml")
    report = ingest(store, fetcher, replay, "cs.CV")
    assert [(d.day, d.status) for d in report.days] == [(thanksgiving, "none")]
    assert day_state(store, thanksgiving, has_papers=False, today=date(2025, 12, 1)) == "no_announcement"
