"""GitHub repositories linked from papers: stars, forks, open issues, last push, license,
archived and description, from the REST API (``GET /repos/{owner}/{repo}``).

How we use the API, as GitHub asks of clients:

- every request goes through a ``PoliteFetcher`` (spacing, one deadline, a small cap
  on the body, retries of 5xx and network failures);
- conditional requests: the ``ETag`` of the last answer goes back as ``If-None-Match``;
  a ``304`` costs no rate limit, and the stored description stands (the day's star
  snapshot is written from it);
- rate limits: ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` (primary), or
  ``Retry-After`` / a "secondary rate limit" message on a 403 or 429 (secondary; at
  least a minute when no time is given): the run stops where it is, and the time it
  may resume is recorded (``Store.set_signal_pause``), so neither the worker nor the
  CLI asks again before then. A 429 is never retried blindly;
- a renamed repository answers ``301`` to its new address: it is followed (same origin
  only) and the new full name recorded, and asked for by that name from then on;
- a deleted, blocked or DMCA-removed repository (``404``, ``410``, ``451``) is marked
  ``gone`` and asked again only monthly;
- ``PAPERWIRE_GITHUB_TOKEN`` (optional) is sent as ``Authorization: Bearer``; it never
  appears in a URL, an error or a log line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from paperwire.ingest.http import HttpClient, HttpResponse
from paperwire.ingest.polite import RETRY_STATUSES, FetchError, PoliteFetcher, parse_retry_after
from paperwire.models import Repository, UpsertCounts
from paperwire.progress import Progress
from paperwire.signals import GITHUB_MAX_DEFAULT
from paperwire.signals.report import SignalReport
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.config import Settings

SOURCE = "github"
API_VERSION = "2022-11-28"
# A repository's JSON is a few kilobytes; a larger answer is not one.
MAX_BODY_BYTES = 1024 * 1024
MAX_DESCRIPTION = 500
# GitHub's 429 is a rate limit to stop at, not to retry (5xx still are).
GITHUB_RETRY_STATUSES = RETRY_STATUSES - {429}
# A secondary rate limit that names no time: GitHub asks for at least a minute.
SECONDARY_WAIT = timedelta(minutes=1)

# When a repository is due again after a check, by the newest paper linking it: those
# of the last month every run of a 6-hourly job (star velocity is counted per day),
# of the last year daily, older weekly; gone ones monthly.
FRESH_DAYS = 30
RECENT_DAYS = 365
AGAIN_FRESH = timedelta(hours=5)
AGAIN_RECENT = timedelta(hours=23)
AGAIN_OLD = timedelta(days=7)
AGAIN_GONE = timedelta(days=30)
AGAIN_INVALID = timedelta(days=365)
AGAIN_AFTER_ERROR = timedelta(days=1)
GONE_STATUSES = frozenset({404, 410, 451})

# Owner and repository names GitHub can hold (letters, digits, ``-``, ``_``, ``.``).
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
# A GitHub repository link as ``ingest/code_links.py`` writes it; migration 0011's
# triggers apply the same test in SQL (a test holds the two equal).
_LINK = re.compile(r"https://github\.com/([^/]+/[^/]+)")


def github_name(url: str) -> str | None:
    """The repository a code link names, as the store keys it (lower-case
    ``owner/name``), or None when the link is not exactly a GitHub repository."""
    m = _LINK.fullmatch(url.lower())
    return m[1] if m else None


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_day(moment: datetime) -> date:
    """The UTC day a check falls on: star snapshots are per UTC day."""
    return moment.astimezone(UTC).date()


def next_check(status: str, newest_day: date | None, now: datetime) -> datetime:
    """When a repository checked ``now`` is due again (see the constants above)."""
    if status == "gone":
        return now + AGAIN_GONE
    if status == "invalid":
        return now + AGAIN_INVALID
    age = (now.date() - newest_day).days if newest_day else RECENT_DAYS + 1
    if age <= FRESH_DAYS:
        return now + AGAIN_FRESH
    if age <= RECENT_DAYS:
        return now + AGAIN_RECENT
    return now + AGAIN_OLD


class RateLimited(Exception):
    """GitHub asked us to stop until ``resume_at``."""

    def __init__(self, resume_at: datetime, reason: str) -> None:
        super().__init__(reason)
        self.resume_at = resume_at
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Checked:
    """A repository after one request: what to store, and how it went."""

    repo: Repository
    outcome: str  # fetched | not_modified | gone | invalid | failed
    problem: str = ""
    renamed: bool = False
    # GitHub said no request is left until then (after a good answer too).
    exhausted_until: datetime | None = None


def _header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() else None


def _reset_time(headers: Mapping[str, str], now: datetime) -> datetime:
    reset = _header_int(headers, "x-ratelimit-reset")
    try:
        when = datetime.fromtimestamp(reset, UTC) if reset is not None else now + SECONDARY_WAIT
    except (OverflowError, OSError, ValueError):
        when = now + SECONDARY_WAIT
    return max(when, now)


def _message(response: HttpResponse) -> str:
    """GitHub's error ``message``, cut short, or ''."""
    try:
        body = json.loads(response.body)
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return message[:200] if isinstance(message, str) else ""


def rate_limit_stop(response: HttpResponse, now: datetime) -> RateLimited | None:
    """The wait a 403/429 asks for, when it is a rate limit (else None: a 403 may
    also be a refusal of this one repository)."""
    if response.status not in (403, 429):
        return None
    headers = response.headers
    retry_after = parse_retry_after(headers.get("retry-after"), now=now.timestamp())
    message = _message(response)
    if retry_after is not None:
        try:
            resume = now + timedelta(seconds=retry_after)
        except OverflowError:
            resume = datetime.max.replace(tzinfo=UTC)
        return RateLimited(resume, f"secondary rate limit, Retry-After {retry_after:g} s")
    if _header_int(headers, "x-ratelimit-remaining") == 0:
        return RateLimited(_reset_time(headers, now), "rate limit exhausted")
    lowered = message.lower()
    if response.status == 429 or "rate limit" in lowered or "abuse" in lowered:
        return RateLimited(now + SECONDARY_WAIT, f"secondary rate limit ({message or 'HTTP 429'})")
    return None


def _count(body: Mapping[str, Any], key: str) -> int | None:
    value = body.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _text(body: Mapping[str, Any], key: str, limit: int) -> str | None:
    value = body.get(key)
    return value[:limit] if isinstance(value, str) and value else None


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.isascii():
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _license(body: Mapping[str, Any]) -> str | None:
    info = body.get("license")
    if not isinstance(info, dict):
        return None
    spdx = info.get("spdx_id")
    if isinstance(spdx, str) and spdx and spdx != "NOASSERTION":
        return spdx[:100]
    name = info.get("name")
    return name[:100] if isinstance(name, str) and name else None


def describe(repo: Repository, body: Any) -> Repository | None:
    """``repo`` as GitHub's JSON describes it; None when the body is not a repository."""
    if not isinstance(body, dict):
        return None
    name = body.get("full_name")
    stars = _count(body, "stargazers_count")
    if not isinstance(name, str) or not _NAME.fullmatch(name) or stars is None:
        return None
    html_url = _text(body, "html_url", 300)
    if html_url is None or github_name(html_url) is None:
        html_url = f"https://github.com/{name}"
    return replace(
        repo,
        status="ok",
        current_name=name,
        html_url=html_url,
        description=_text(body, "description", MAX_DESCRIPTION),
        stars=stars,
        forks=_count(body, "forks_count"),
        open_issues=_count(body, "open_issues_count"),
        pushed_at=_when(body.get("pushed_at")),
        license=_license(body),
        archived=body.get("archived") is True,
    )


class GithubApi:
    """``GET /repos/{owner}/{repo}`` through a ``PoliteFetcher``."""

    def __init__(self, fetcher: PoliteFetcher, *, api_url: str, token: str | None = None) -> None:
        self.fetcher = fetcher
        self.api_url = api_url.rstrip("/")
        self._token = token or None

    @classmethod
    def from_settings(cls, settings: Settings, http: HttpClient) -> GithubApi:
        """``PAPERWIRE_GITHUB_API_URL``, ``_TOKEN`` and ``_DELAY``; the CLI builds one
        a run, the worker one for good, so the spacing holds from run to run too."""
        fetcher = PoliteFetcher.from_settings(settings, http, delay=settings.github_delay)
        fetcher = fetcher.capped(MAX_BODY_BYTES)
        token = settings.github_token.get_secret_value() or None
        return cls(fetcher, api_url=settings.github_api_url, token=token)

    def headers(self, etag: str | None) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if etag:
            headers["If-None-Match"] = etag
        return headers

    def check(self, repo: Repository, *, now: datetime) -> Checked:
        """One request for ``repo`` (by the newest name we know). Raises
        ``RateLimited`` when GitHub asks us to stop, ``FetchError`` when it cannot be
        reached or its answer breaks a limit."""
        name = repo.current_name or repo.full_name
        if not _NAME.fullmatch(name):
            invalid = replace(
                repo,
                status="invalid",
                etag=None,
                checked_at=now,
                next_check_at=next_check("invalid", repo.newest_day, now),
            )
            return Checked(invalid, "invalid", f"{name[:120]!r} is not a GitHub repository name")
        etag = repo.etag if repo.status == "ok" else None
        response = self.fetcher.fetch(
            f"{self.api_url}/repos/{name}",
            headers=self.headers(etag),
            retry_statuses=GITHUB_RETRY_STATUSES,
        )
        stop = rate_limit_stop(response, now)
        if stop is not None:
            raise stop
        exhausted = (
            _reset_time(response.headers, now)
            if _header_int(response.headers, "x-ratelimit-remaining") == 0
            else None
        )
        checked = replace(repo, checked_at=now)
        if response.status == 304 and etag:
            again = next_check("ok", repo.newest_day, now)
            return Checked(
                replace(checked, next_check_at=again), "not_modified", exhausted_until=exhausted
            )
        if response.status == 200:
            try:
                body = json.loads(response.body)
            except ValueError:
                body = None
            described = describe(checked, body)
            if described is not None:
                fetched = replace(
                    described,
                    etag=response.headers.get("etag") or None,
                    next_check_at=next_check("ok", repo.newest_day, now),
                )
                renamed = (fetched.current_name or "").lower() != name.lower()
                return Checked(fetched, "fetched", renamed=renamed, exhausted_until=exhausted)
            problem = "the answer is not a repository's JSON"
        elif response.status in GONE_STATUSES:
            gone = replace(
                checked,
                status="gone",
                etag=None,
                next_check_at=next_check("gone", repo.newest_day, now),
            )
            return Checked(gone, "gone", exhausted_until=exhausted)
        else:
            message = _message(response)
            problem = f"HTTP {response.status}" + (f": {message}" if message else "")
        # Asked again tomorrow; what was known stays shown.
        failed = replace(checked, next_check_at=now + AGAIN_AFTER_ERROR)
        return Checked(failed, "failed", problem, exhausted_until=exhausted)


def refresh_github(
    store: Store,
    api: GithubApi,
    *,
    limit: int = GITHUB_MAX_DEFAULT,
    clock: Callable[[], datetime] = utc_now,
    on_progress: Progress | None = None,
) -> SignalReport:
    """Check the ``limit`` repositories most due (``Store.repositories_due``) and store
    what GitHub says. Stops early, keeping what it stored, when GitHub asks us to wait
    (the pause is recorded) or cannot be reached (the run reports it as an error, which
    ``GET /status`` shows); pages keep showing the links, with the stars last known."""
    report = SignalReport()
    sent_before = api.fetcher.requests_sent
    now = clock()
    pause = store.signal_pause(SOURCE)
    if pause is not None and pause.resume_at > now:
        report.paused_until = pause.resume_at
        report.add_stop(
            f"GitHub asked us to wait until {pause.resume_at.isoformat()} ({pause.reason}); "
            "nothing fetched"
        )
        return report
    if pause is not None:
        store.set_signal_pause(SOURCE, None)
    due = store.repositories_due(now=now, limit=limit)
    for done, repo in enumerate(due):
        moment = clock()
        try:
            checked = api.check(repo, now=moment)
        except RateLimited as stop:
            store.set_signal_pause(SOURCE, stop.resume_at, stop.reason)
            report.paused_until = stop.resume_at
            report.add_stop(
                f"GitHub {stop.reason}: stopped after {done} of {len(due)} repositories; "
                f"the next run may start at {stop.resume_at.isoformat()}"
            )
            break
        except FetchError as exc:
            if exc.unavailable:
                report.add_stop(
                    f"GitHub cannot be reached: {exc}; stopped after {done} of {len(due)} "
                    "repositories (pages show their links without new stars)"
                )
                break
            report.add_error(f"{repo.full_name}: {exc}")
            store.save_repository(
                replace(repo, checked_at=moment, next_check_at=moment + AGAIN_AFTER_ERROR), day=None
            )
            continue
        finally:
            if on_progress is not None:
                on_progress(1)
        learnt = checked.outcome in ("fetched", "not_modified")
        changed = store.save_repository(checked.repo, day=utc_day(moment) if learnt else None)
        _count_outcome(report, repo, checked, changed)
        if checked.exhausted_until is not None:
            store.set_signal_pause(SOURCE, checked.exhausted_until, "rate limit exhausted")
            report.paused_until = checked.exhausted_until
            if done + 1 < len(due):
                report.add_stop(
                    f"GitHub rate limit exhausted after {done + 1} of {len(due)} repositories; "
                    f"the next run may start at {checked.exhausted_until.isoformat()}"
                )
            break
    report.requests = api.fetcher.requests_sent - sent_before
    return report


def _count_outcome(
    report: SignalReport, before: Repository, checked: Checked, changed: bool
) -> None:
    if checked.outcome in ("invalid", "failed"):
        report.add_error(f"{before.full_name}: {checked.problem}")
        return
    if checked.outcome == "not_modified":
        report.not_modified += 1
    if checked.renamed:
        report.add_note(f"{before.full_name} is now {checked.repo.current_name}")
    if checked.outcome == "gone" and before.status != "gone":
        report.add_note(f"{before.full_name} is gone (deleted, made private or blocked)")
    if before.status == "new":
        report.counts += UpsertCounts(added=1)
    elif changed:
        report.counts += UpsertCounts(updated=1)
    else:
        report.counts += UpsertCounts(unchanged=1)
