"""GitHub signals end to end on both backends: recorded GitHub answers replayed by a
loopback server (tests/data/github), the real HTTP client and fetcher, a real store.
200, 304 with the stored ETag, 301 rename, 404 and 451, a primary rate limit with a
reset in the future, a secondary one with Retry-After, an unreachable GitHub."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from paperwire.config import Settings
from paperwire.ingest.http import HttpxClient
from paperwire.ingest.jobs import run_source
from paperwire.models import Link, Paper, UpsertCounts
from paperwire.signals.github import AGAIN_GONE, MAX_BODY_BYTES, GithubApi, refresh_github
from paperwire.store import Store
from tests.browse.helpers import paper_on
from tests.ingest.netfakes import FakeClock, fake_fetcher
from tests.replay import ReplayServer, Reply, replay_server
from tests.signals.github_replay import load_github, read_exchanges
from tests.test_worker import FakeClock as WallClock

# The day PyGithub recorded repo_200.txt (Tue, 07 Jan 2025 07:32:15 GMT).
RECORDED = datetime(2025, 1, 7, 7, 32, 15, tzinfo=UTC)
ETAG = 'W/"37ea58577585c38f93634ef43114c657de2581286eb6976ec18c274de296eff0"'


def linking(number: int, url: str, day: date = date(2025, 1, 6)) -> Paper:
    return replace(paper_on(day, number), links=[Link("code", url)])


def github(replay: ReplayServer, *, token: str | None = None) -> GithubApi:
    fetcher = fake_fetcher(FakeClock(), delay=0, max_retries=1, backoff=0)
    return GithubApi(fetcher, api_url=replay.base_url, token=token)


def requested(replay: ReplayServer) -> list[str]:
    return [seen.path for seen in replay.requests]


def test_first_check_stores_what_github_says(store: Store, replay: ReplayServer) -> None:
    load_github(replay, "repo_200.txt", path="/repos/pygithub/pygithub")
    store.upsert_papers([linking(1, "https://github.com/pygithub/pygithub")])
    report = refresh_github(
        store, github(replay, token="ghp_test_token"), limit=10, clock=WallClock(RECORDED)
    )
    assert report.ok, report.errors
    assert report.counts == UpsertCounts(added=1) and report.requests == 1
    [seen] = replay.requests
    assert seen.path == "/repos/pygithub/pygithub"
    assert seen.headers["Accept"] == "application/vnd.github+json"
    assert seen.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert seen.headers["Authorization"] == "Bearer ghp_test_token"
    assert "If-None-Match" not in seen.headers
    repo = store.get_repository("pygithub/pygithub")
    assert repo is not None
    assert (repo.status, repo.current_name, repo.html_url) == (
        "ok",
        "PyGithub/PyGithub",
        "https://github.com/PyGithub/PyGithub",
    )
    assert (repo.stars, repo.forks, repo.license, repo.archived) == (7122, 1793, "LGPL-3.0", False)
    assert repo.pushed_at == datetime(2024, 12, 19, 12, 1, 11, tzinfo=UTC)
    assert repo.description == "Typed interactions with the GitHub API v3"
    assert repo.etag == ETAG
    assert repo.next_check_at == RECORDED + timedelta(hours=5)  # a paper of yesterday
    assert store.star_snapshots("pygithub/pygithub") == [(RECORDED.date(), 7122)]


def test_a_rerun_is_conditional_and_keeps_one_snapshot_a_day(
    store: Store, replay: ReplayServer
) -> None:
    load_github(replay, "repo_200.txt", path="/repos/pygithub/pygithub")
    load_github(replay, "not_modified_304.txt")  # asked by GitHub's own spelling
    store.upsert_papers([linking(1, "https://github.com/pygithub/pygithub")])
    clock = WallClock(RECORDED)
    api = github(replay)
    refresh_github(store, api, limit=10, clock=clock)
    version = store.data_version().version
    clock.sleep(6 * 3600)  # due again, the same UTC day
    report = refresh_github(store, api, limit=10, clock=clock)
    assert report.ok, report.errors
    assert report.counts == UpsertCounts(unchanged=1) and report.not_modified == 1
    assert requested(replay) == ["/repos/pygithub/pygithub", "/repos/PyGithub/PyGithub"]
    assert replay.requests[1].headers["If-None-Match"] == ETAG
    repo = store.get_repository("pygithub/pygithub")
    assert repo is not None and repo.stars == 7122 and repo.etag == ETAG
    assert repo.checked_at == clock.now
    assert store.star_snapshots("pygithub/pygithub") == [(RECORDED.date(), 7122)]
    assert store.data_version().version == version  # nothing shown changed: caches keep
    # Not due yet: a third run sends nothing.
    assert refresh_github(store, api, limit=10, clock=clock).requests == 0
    # The next day's 304 writes the next day's snapshot.
    clock.sleep(18 * 3600)
    assert refresh_github(store, api, limit=10, clock=clock).not_modified == 1
    assert [day for day, _ in store.star_snapshots("pygithub/pygithub")] == [
        RECORDED.date(),
        RECORDED.date() + timedelta(days=1),
    ]


def test_a_renamed_repository_is_followed_and_asked_by_its_new_name(
    store: Store, replay: ReplayServer
) -> None:
    load_github(replay, "renamed_301.txt")
    replay.add("/repos/padima2/protoncoin", Reply(304, "", headers={"ETag": "x"}))
    store.upsert_papers([linking(1, "https://github.com/protoncoin/protoncoin")])
    clock = WallClock(RECORDED)
    api = github(replay, token="ghp_test_token")
    report = refresh_github(store, api, limit=10, clock=clock)
    assert report.ok, report.errors
    assert report.notes == ["protoncoin/protoncoin is now padima2/protoncoin"]
    assert requested(replay) == ["/repos/protoncoin/protoncoin", "/repositories/112116543"]
    assert replay.requests[1].headers["Authorization"] == "Bearer ghp_test_token"  # same origin
    repo = store.get_repository("protoncoin/protoncoin")
    assert repo is not None and repo.current_name == "padima2/protoncoin" and repo.stars == 5
    assert repo.license == "MIT"
    clock.sleep(6 * 3600)
    refresh_github(store, api, limit=10, clock=clock)
    assert requested(replay)[-1] == "/repos/padima2/protoncoin"
    assert replay.requests[-1].headers["If-None-Match"] == repo.etag


def test_a_token_never_follows_a_redirect_to_another_server(
    store: Store, replay: ReplayServer
) -> None:
    with replay_server() as elsewhere:
        [moved, _] = read_exchanges("renamed_301.txt")
        replay.add(
            "/repos/protoncoin/protoncoin",
            Reply(
                301,
                moved.body,
                headers={"Location": elsewhere.base_url + "/repositories/112116543"},
            ),
        )
        load_github(elsewhere, "renamed_301.txt", path="/unused")
        store.upsert_papers([linking(1, "https://github.com/protoncoin/protoncoin")])
        refresh_github(
            store, github(replay, token="ghp_test_token"), limit=10, clock=WallClock(RECORDED)
        )
        [seen] = elsewhere.requests
        assert seen.path == "/repositories/112116543"
        assert "Authorization" not in seen.headers and "If-None-Match" not in seen.headers


def test_deleted_and_blocked_repositories_are_gone_and_asked_monthly(
    store: Store, replay: ReplayServer
) -> None:
    load_github(replay, "missing_404.txt")
    load_github(replay, "blocked_451.txt")
    store.upsert_papers(
        [
            linking(1, "https://github.com/jacquev6/xxx"),
            linking(2, "https://github.com/octocat/blocked-repo"),
        ]
    )
    replay.routes["/repos/jacquev6/xxx"] = replay.routes.pop("/repos/jacquev6/Xxx")
    report = refresh_github(store, github(replay), limit=10, clock=WallClock(RECORDED))
    assert report.ok, report.errors
    assert report.counts == UpsertCounts(added=2)
    for name in ("jacquev6/xxx", "octocat/blocked-repo"):
        repo = store.get_repository(name)
        assert repo is not None and repo.status == "gone" and repo.stars is None
        assert repo.next_check_at == RECORDED + AGAIN_GONE
    assert store.repositories_for_papers(["2501.00001"])["2501.00001"][0].status == "gone"


def test_a_primary_rate_limit_stops_the_run_until_its_reset(
    store: Store, replay: ReplayServer
) -> None:
    load_github(replay, "rate_limited_403.txt")
    load_github(replay, "missing_404.txt", path="/repos/octocat/hello-world")
    load_github(replay, "repo_200.txt", path="/repos/pygithub/pygithub")
    store.upsert_papers(
        [
            linking(1, "https://github.com/octocat/hello-world", day=date(2025, 1, 6)),
            linking(2, "https://github.com/pygithub/pygithub", day=date(2025, 1, 3)),
        ]
    )
    clock = WallClock(RECORDED)
    api = github(replay)
    report = refresh_github(store, api, limit=10, clock=clock)
    reset = datetime(2025, 1, 7, 7, 52, 15, tzinfo=UTC)  # X-RateLimit-Reset: 1736236335
    assert not report.ok and report.paused_until == reset
    assert "rate limit exhausted: stopped after 0 of 2 repositories" in report.errors[0]
    assert requested(replay) == ["/repos/octocat/hello-world"]  # the second was never asked
    pause = store.signal_pause("github")
    assert pause is not None and pause.resume_at == reset
    hello = store.get_repository("octocat/hello-world")
    assert hello is not None and hello.status == "new"  # still due first
    # Before the reset nothing is sent at all.
    clock.sleep(10 * 60)
    early = refresh_github(store, api, limit=10, clock=clock)
    assert early.requests == 0 and early.paused_until == reset and not early.ok
    assert len(replay.requests) == 1
    # After it the run picks up where it stopped.
    clock.now = reset + timedelta(seconds=1)
    later = refresh_github(store, api, limit=10, clock=clock)
    assert later.ok, later.errors
    assert requested(replay)[1:] == ["/repos/octocat/hello-world", "/repos/pygithub/pygithub"]
    assert store.signal_pause("github") is None


def test_a_secondary_rate_limit_waits_its_retry_after(store: Store, replay: ReplayServer) -> None:
    load_github(replay, "secondary_limit_403.txt")
    store.upsert_papers(
        [
            linking(1, "https://github.com/octocat/hello-world"),
            linking(2, "https://github.com/pygithub/pygithub", day=date(2025, 1, 2)),
        ]
    )
    report = refresh_github(store, github(replay), limit=10, clock=WallClock(RECORDED))
    assert report.paused_until == RECORDED + timedelta(seconds=60)
    assert "secondary rate limit, Retry-After 60 s" in report.errors[0]
    assert requested(replay) == ["/repos/octocat/hello-world"]  # asked once: no blind retry


def test_an_unreachable_github_is_recorded_for_status_and_stops(store: Store) -> None:
    store.upsert_papers(
        [linking(1, "https://github.com/a/one"), linking(2, "https://github.com/a/two")]
    )
    fetcher = fake_fetcher(FakeClock(), delay=0, max_retries=1, backoff=0, timeout=2)
    api = GithubApi(fetcher, api_url="http://127.0.0.1:9", token="ghp_secret_value")
    try:
        run_source(
            store, "github", lambda: refresh_github(store, api, limit=10, clock=WallClock(RECORDED))
        )
    except Exception as exc:  # pragma: no cover - a report, never an exception
        raise AssertionError(f"refresh_github raised {exc!r}") from exc
    run = store.get_source_run("github")
    assert run is not None and run.status == "failed"
    assert run.last_error is not None and "GitHub cannot be reached" in run.last_error
    assert "stopped after 0 of 2 repositories" in run.last_error
    assert "ghp_secret_value" not in run.last_error
    assert fetcher.requests_sent == 2  # one repository, one retry: then the run stops
    assert {r.status for r in store.repositories_due(now=RECORDED, limit=10)} == {"new"}


def test_an_oversized_answer_fails_that_repository_only(
    store: Store, replay: ReplayServer, tmp_path: Path, http_client: HttpxClient
) -> None:
    replay.add(
        "/repos/a/huge", Reply(200, b"[" * (MAX_BODY_BYTES + 1), content_type="application/json")
    )
    load_github(replay, "repo_200.txt", path="/repos/pygithub/pygithub")
    store.upsert_papers(
        [
            linking(1, "https://github.com/a/huge"),
            linking(2, "https://github.com/pygithub/pygithub", day=date(2025, 1, 2)),
        ]
    )
    settings = Settings(github_api_url=replay.base_url, github_delay=0, data_dir=tmp_path)
    report = refresh_github(
        store, GithubApi.from_settings(settings, http_client), limit=10, clock=WallClock(RECORDED)
    )
    assert report.counts == UpsertCounts(added=1, failed=1)
    assert "a/huge" in report.errors[0] and "larger than 1,048,576 bytes" in report.errors[0]
    repo = store.get_repository("pygithub/pygithub")
    assert repo is not None and repo.stars == 7122
    huge = store.get_repository("a/huge")
    assert (
        huge is not None
        and huge.status == "new"
        and huge.next_check_at == RECORDED + timedelta(days=1)
    )
