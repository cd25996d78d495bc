"""Limits of outbound fetching, against a real loopback server: one deadline for a
whole request, a cap on the body, redirects bounded in number and to http/https, and
a strict ``Retry-After``. Every source builds its fetcher from settings in one place."""

from __future__ import annotations

import gzip
import time
from email.utils import formatdate

import pytest

from paperwire.config import Settings
from paperwire.ingest.arxiv_api import ArxivApi
from paperwire.ingest.arxiv_oai import OaiClient
from paperwire.ingest.http import HttpxClient
from paperwire.ingest.polite import FetchError, PoliteFetcher, Politeness, parse_retry_after
from tests.ingest.netfakes import FakeClock, fake_fetcher
from tests.replay import ReplayServer, Reply


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def text(body: bytes | str, **kw: object) -> Reply:
    return Reply(200, body, content_type="text/plain", **kw)  # type: ignore[arg-type]


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, b"", headers={"Location": location}, content_type="text/plain")


# --- Retry-After ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "²",  # str.isdigit() says yes, int() says no
        "١٢",  # Arabic-Indic digits
        "１２",  # fullwidth digits
        "1.5",
        "-5",
        "+5",
        "0x10",
        "5 s",
        "soon",
        "Wed, 21 Oct 2015 07:28:00 GMT²",
        "",
        None,
    ],
)
def test_retry_after_that_is_neither_seconds_nor_a_date_is_ignored(value: str | None) -> None:
    assert parse_retry_after(value, now=1_800_000_000) is None


def test_retry_after_seconds_and_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_retry_after(" 120 ", now=0) == 120
    assert parse_retry_after("007", now=0) == 7
    assert parse_retry_after("9" * 400, now=0) == float("inf")  # no OverflowError
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == pytest.approx(30)
    # "-0000" gives a naive datetime: still GMT, not the machine's time zone
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert parse_retry_after("Mon, 12 Jan 1970 13:47:10 -0000", now=1_000_000) == pytest.approx(30)
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("value", ["²", "٣", "later"])
def test_unreadable_retry_after_over_http_backs_off_as_usual(
    replay: ReplayServer, clock: FakeClock, value: str
) -> None:
    replay.add("/feed", Reply(503, b"busy", headers={"Retry-After": value}, content_type="text/plain"),
               text(b"ok"))
    fetcher = fake_fetcher(clock, delay=0, backoff=2.0)
    response = fetcher.fetch(replay.base_url + "/feed")
    assert response.status == 200 and response.body == b"ok"
    assert clock.sleeps == [pytest.approx(2.0)]  # the first backoff


def test_endless_retry_after_is_a_clear_error(replay: ReplayServer, clock: FakeClock) -> None:
    replay.add("/feed", Reply(503, b"busy", headers={"Retry-After": "9" * 400}, content_type="text/plain"))
    with pytest.raises(FetchError, match="more than the 600 s we wait"):
        fake_fetcher(clock).fetch(replay.base_url + "/feed")
    assert len(replay.requests) == 1


# --- one deadline for the whole request ---------------------------------------------


def test_trickling_body_is_cut_at_the_deadline(replay: ReplayServer, clock: FakeClock) -> None:
    """Each byte comes well within any per-read timeout; the whole would take 10 s."""
    replay.add("/slow", text(b"x" * 200, trickle=0.05))
    fetcher = fake_fetcher(clock, timeout=0.5, max_retries=1)
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        fetcher.fetch(replay.base_url + "/slow")
    took = time.monotonic() - started
    assert "/slow" in str(err.value) and "timed out after 0.5 s" in str(err.value)
    assert "gave up after 2 attempts" in str(err.value)
    assert took < 2.0  # two attempts of 0.5 s, not two of 10 s
    assert len(replay.requests) == 2


def test_trickling_redirects_share_one_deadline(replay: ReplayServer, clock: FakeClock) -> None:
    """Three slow hops of 0.3 s each: each alone within 0.5 s, together not."""
    replay.add("/a", Reply(302, b"", headers={"Location": "/b"}, delay=0.3))
    replay.add("/b", Reply(302, b"", headers={"Location": "/c"}, delay=0.3))
    replay.add("/c", text(b"done", delay=0.3))
    with pytest.raises(FetchError, match="timed out after 0.5 s"):
        fake_fetcher(clock, timeout=0.5, max_retries=0).fetch(replay.base_url + "/a")
    assert fake_fetcher(clock, timeout=3.0).fetch(replay.base_url + "/a").body == b"done"


# --- body size ----------------------------------------------------------------------


@pytest.mark.parametrize("send_length", [True, False], ids=["content-length", "until-close"])
def test_body_over_the_cap_is_refused_naming_the_url(
    replay: ReplayServer, clock: FakeClock, send_length: bool
) -> None:
    replay.add("/big", text(b"x" * 2_000_000, send_length=send_length))
    replay.add("/fits", text(b"y" * 1000, send_length=send_length))
    fetcher = fake_fetcher(clock, max_bytes=1000)
    with pytest.raises(FetchError) as err:
        fetcher.fetch(replay.base_url + "/big", params={"page": "2"})
    message = str(err.value)
    assert f"{replay.base_url}/big?page=2" in message and "larger than 1,000 bytes" in message
    assert len(replay.requests) == 1  # a limit is not retried
    assert fetcher.fetch(replay.base_url + "/fits").body == b"y" * 1000  # exactly the cap is fine


def test_compressed_body_counts_once_decompressed(replay: ReplayServer, clock: FakeClock) -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    assert len(bomb) < 10_000
    replay.add("/bomb", Reply(200, bomb, headers={"Content-Encoding": "gzip"}, content_type="text/plain"))
    with pytest.raises(FetchError, match="larger than 100,000 bytes"):
        fake_fetcher(clock, max_bytes=100_000).fetch(replay.base_url + "/bomb")


# --- redirects ----------------------------------------------------------------------


def test_redirects_within_the_limit_are_followed(replay: ReplayServer, clock: FakeClock) -> None:
    replay.add("/old", redirect("/older", 301))
    replay.add("/older", redirect(replay.base_url + "/new", 308))
    replay.add("/new", text(b"here"))
    response = fake_fetcher(clock, max_redirects=2).fetch(replay.base_url + "/old")
    assert response.body == b"here" and response.url == replay.base_url + "/new"
    with pytest.raises(FetchError, match="more than 1 redirects"):
        fake_fetcher(clock, max_redirects=1).fetch(replay.base_url + "/old")


def test_redirect_loop_is_a_clear_error(replay: ReplayServer, clock: FakeClock) -> None:
    replay.add("/loop", redirect("/loop"))
    with pytest.raises(FetchError) as err:
        fake_fetcher(clock, max_redirects=5).fetch(replay.base_url + "/loop")
    assert f"{replay.base_url}/loop" in str(err.value) and "more than 5 redirects" in str(err.value)
    assert len(replay.requests) == 6  # the first request and five redirects, not retried


@pytest.mark.parametrize(
    ("location", "problem"),
    [
        ("file:///etc/passwd", "only http and https redirects are followed"),
        ("ftp://127.0.0.1/pub/x", "only http and https redirects are followed"),
        ("gopher://127.0.0.1/", "only http and https redirects are followed"),
        ("data:,hello", "redirected to an unusable address"),
    ],
)
def test_redirect_off_http_is_refused(
    replay: ReplayServer, clock: FakeClock, location: str, problem: str
) -> None:
    replay.add("/feed", redirect(location))
    with pytest.raises(FetchError) as err:
        fake_fetcher(clock).fetch(replay.base_url + "/feed")
    message = str(err.value)
    assert f"{replay.base_url}/feed" in message and problem in message
    assert len(replay.requests) == 1  # not retried


# --- one place builds every source's fetcher ----------------------------------------


def test_every_source_takes_its_limits_from_settings() -> None:
    settings = Settings(
        http_timeout=7.0, http_max_retries=2, http_backoff=1.5, http_max_wait=90.0,
        http_max_response_bytes=12345, http_max_redirects=3,
        arxiv_api_delay=4.0, oai_delay=5.0, oai_max_pages=17,
    )
    http = HttpxClient()
    try:
        common = {"timeout": 7.0, "max_retries": 2, "backoff": 1.5, "max_wait": 90.0,
                  "max_bytes": 12345, "max_redirects": 3}
        assert ArxivApi.from_settings(settings, http).fetcher.politeness == Politeness(delay=4.0, **common)
        oai = OaiClient.from_settings(settings, http)
        assert oai.fetcher.politeness == Politeness(delay=5.0, **common)
        assert oai.max_pages == 17
        fetcher = PoliteFetcher.from_settings(settings, http, delay=0.5)
        assert fetcher.politeness == Politeness(delay=0.5, **common)
    finally:
        http.close()
