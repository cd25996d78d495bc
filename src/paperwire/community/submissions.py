"""Community submissions: a reader puts a paper forward by arXiv id or URL; it waits,
pending, until a moderator approves it (it is then listed on the daily list of the day
it was submitted, credited "submitted by NAME") or rejects it with a reason. The JSON
API, the pages and tests call these same functions; they take ``now`` so tests
control time.

Rules, in one place:
- The id is read by ``arxiv_ids.parse_arxiv_id`` (bare ids, ``arXiv:`` prefixes, abs /
  pdf / html URLs). A paper the store holds is used as stored; any other is looked up
  on arXiv (``ingest.arxiv_api.fetch_paper``, the checks every record passes) and
  upserted like any harvested paper, but only once it passed the age rule below.
- One submission per paper: submitting a paper again returns its submission, whoever
  made it and whatever became of it (duplicates merge).
- Papers whose first version is older than ``max_age_days`` are refused (0: no limit).
- Each account makes at most ``daily_limit`` submissions per UTC day (0: no limit);
  merged duplicates do not count. Lookups on arXiv are limited apart, per account
  (``LOOKUP_LIMIT`` per ``LOOKUP_WINDOW``), so no one can make the site hammer arXiv.
- Only moderators decide; a rejection needs a reason; each decision is written to the
  audit log. A decision may be changed (an approved paper rejected later leaves the
  list); deciding what is already decided is a conflict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.community import audit
from paperwire.community.accounts import clean_name
from paperwire.community.ratelimit import RateLimited, check_rate
from paperwire.errors import InvalidParameter
from paperwire.ingest.arxiv_api import ArxivApi, ArxivQueryError, fetch_paper
from paperwire.limits import LISTING_MAX, check_limit
from paperwire.models import SUBMISSION_STATUSES, Paper, Submission, User
from paperwire.store import Store

if TYPE_CHECKING:
    from paperwire.config import Settings

REASON_MAX = 500
ID_TEXT_MAX = 300  # an arXiv URL with a version and a fragment fits easily
LOOKUP_LIMIT = 30
LOOKUP_WINDOW = timedelta(hours=1)
PAGE_SIZE = 50
SUBMITTER_MAX = 200


class UnknownPaper(LookupError):
    """arXiv (or, without arXiv lookups, the store) has no paper with this id."""

    def __init__(self, arxiv_id: str, where: str = "arXiv") -> None:
        super().__init__(f"{where} has no paper with id {arxiv_id!r}")
        self.arxiv_id = arxiv_id


class ArxivUnavailable(RuntimeError):
    """arXiv could not be asked (network, or arXiv refused or kept failing)."""


class SubmissionNotFound(LookupError):
    def __init__(self, submission_id: int) -> None:
        super().__init__(f"no submission with id {submission_id}")
        self.submission_id = submission_id


class DecisionConflict(Exception):
    """The submission already has the status a moderator asked for."""


@dataclass(frozen=True, slots=True)
class SubmissionRules:
    """``daily_limit``: submissions per account and UTC day; ``max_age_days``: the
    oldest first version accepted, in days. 0 switches either off."""

    daily_limit: int = 10
    max_age_days: int = 14

    @classmethod
    def from_settings(cls, settings: Settings) -> SubmissionRules:
        return cls(
            daily_limit=settings.submissions_per_day,
            max_age_days=settings.submission_max_age_days,
        )


def read_arxiv_id(text: str) -> str:
    """The storage key of what a reader typed; a 400 naming ``arxiv_id`` otherwise."""
    if len(text) > ID_TEXT_MAX:
        raise InvalidParameter(
            "arxiv_id", f"longer than {ID_TEXT_MAX} characters: not an arXiv id or URL"
        )
    try:
        return parse_arxiv_id(text).id
    except InvalidArxivId as exc:
        raise InvalidParameter("arxiv_id", str(exc)) from exc


def check_age(paper: Paper, *, now: datetime, max_age_days: int) -> None:
    """Refuse a paper whose first version is older than ``max_age_days`` (the day of
    the first version counts; a paper with no date at all passes)."""
    if not max_age_days:
        return
    first = paper.submitted.astimezone(UTC).date() if paper.submitted else paper.day
    if first is None:
        return
    age = (now.astimezone(UTC).date() - first).days
    if age > max_age_days:
        raise InvalidParameter(
            "arxiv_id",
            f"{paper.id} was first submitted to arXiv on {first.isoformat()}, {age} days ago; "
            f"only papers up to {max_age_days} days old can be submitted",
        )


def _seconds_to_next_utc_day(now: datetime) -> int:
    moment = now.astimezone(UTC)
    tomorrow = datetime(moment.year, moment.month, moment.day, tzinfo=UTC) + timedelta(days=1)
    return max(1, math.ceil((tomorrow - moment).total_seconds()))


def _look_up(store: Store, user: User, key: str, *, arxiv: ArxivApi | None, now: datetime) -> Paper:
    if arxiv is None:
        raise UnknownPaper(key, "this site")
    check_rate(
        store, f"submit:lookup:user:{user.id}", limit=LOOKUP_LIMIT, window=LOOKUP_WINDOW, now=now
    )
    try:
        paper = fetch_paper(arxiv, key)
    except ArxivQueryError as exc:
        raise ArxivUnavailable(f"arXiv could not be asked about {key}: {exc.problem}") from exc
    if paper is None:
        raise UnknownPaper(key)
    return paper


def submit_paper(
    store: Store,
    user: User,
    text: str,
    *,
    now: datetime,
    rules: SubmissionRules,
    arxiv: ArxivApi | None = None,
) -> tuple[Submission, bool]:
    """Submit the paper ``text`` names (an arXiv id or URL). Returns the submission and
    whether this call made it (False: the paper's existing submission, merged).

    Raises ``InvalidParameter`` (not an id; the paper is too old), ``UnknownPaper``,
    ``ArxivUnavailable``, and ``RateLimited`` (the daily limit, or too many arXiv
    lookups), with ``retry_after`` seconds."""
    key = read_arxiv_id(text)
    paper = store.get_paper(key)
    if paper is not None:
        existing = store.submission_for_paper(key)
        if existing is not None:
            return existing, False
        check_age(paper, now=now, max_age_days=rules.max_age_days)
    else:
        paper = _look_up(store, user, key, arxiv=arxiv, now=now)
        check_age(paper, now=now, max_age_days=rules.max_age_days)
        store.upsert_papers([paper])
    made = store.add_submission(key, user.id, at=now, daily_limit=rules.daily_limit)
    if made is None:
        raise RateLimited(
            _seconds_to_next_utc_day(now),
            f"You have made {rules.daily_limit} submissions today, as many as one account "
            "may make in a day; please try again tomorrow (days are counted in UTC).",
        )
    return made


def papers_submitted_by(
    store: Store,
    submitter: str,
    *,
    start: date | None = None,
    end: date | None = None,
    offset: int = 0,
    limit: int = PAGE_SIZE,
) -> list[Paper]:
    """Papers of ``submitter``'s approved submissions (their display name, spaces as a
    name is saved), submitted on ``start..end``; newest submission day first."""
    name = " ".join(submitter.split())
    if not name or len(name) > SUBMITTER_MAX:
        raise InvalidParameter("submitter", f"a display name of 1 to {SUBMITTER_MAX} characters")
    check_limit(limit, maximum=LISTING_MAX)
    return store.submitted_papers(submitter=name, start=start, end=end, offset=offset, limit=limit)


def check_status(status: str | None) -> str | None:
    if status is not None and status not in SUBMISSION_STATUSES:
        raise InvalidParameter(
            "status", f"must be one of {', '.join(SUBMISSION_STATUSES)}; got {status[:40]!r}"
        )
    return status


def list_submissions(
    store: Store,
    viewer: User,
    *,
    status: str | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> list[Submission]:
    """Newest first: every submission for a moderator, a reader's own otherwise."""
    check_status(status)
    check_limit(limit, maximum=LISTING_MAX)
    return store.list_submissions(
        status=status,
        user_id=None if viewer.is_moderator else viewer.id,
        before=before,
        limit=limit,
    )


def get_submission(store: Store, viewer: User, submission_id: int) -> Submission:
    """A submission its submitter or a moderator may see; others get ``SubmissionNotFound``."""
    found = store.get_submission(submission_id)
    if found is None or not (viewer.is_moderator or found.user_id == viewer.id):
        raise SubmissionNotFound(submission_id)
    return found


def _decide(
    store: Store, moderator: User, submission_id: int, *, status: str, reason: str, now: datetime
) -> Submission:
    if not moderator.is_moderator:
        raise PermissionError("only moderators decide submissions")
    current = store.get_submission(submission_id)
    if current is None:
        raise SubmissionNotFound(submission_id)
    decided = None
    if current.status != status:
        decided = store.decide_submission(
            submission_id, status=status, moderator_id=moderator.id, at=now, reason=reason
        )
    if decided is None:  # already so, or another moderator got there first
        raise DecisionConflict(f"submission {submission_id} is already {status}")
    detail = f"paper {decided.paper_id}" + (f": {reason}" if reason else "")
    action = {"approved": "approve", "rejected": "reject"}[status]
    audit.record(store, moderator, action, f"submission:{submission_id}", detail, now=now)
    return decided


def approve_submission(
    store: Store, moderator: User, submission_id: int, *, now: datetime
) -> Submission:
    """Approve: the paper is listed on its submission day, credited to its submitter."""
    return _decide(store, moderator, submission_id, status="approved", reason="", now=now)


def reject_submission(
    store: Store, moderator: User, submission_id: int, reason: str, *, now: datetime
) -> Submission:
    """Reject with a reason (required; one line, at most ``REASON_MAX`` characters)."""
    cleaned = clean_name(reason or "", parameter="reason", maximum=REASON_MAX)
    if not cleaned:
        raise InvalidParameter("reason", "a reason is required to reject a submission")
    return _decide(store, moderator, submission_id, status="rejected", reason=cleaned, now=now)
