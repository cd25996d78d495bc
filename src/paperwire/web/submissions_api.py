"""Submissions in the JSON API: submit a paper by arXiv id or URL, list submissions,
and, for moderators, approve or reject them. Every route calls
``community.submissions``; every change goes through ``UserDep``/``ModeratorDep``
(same-origin, and the CSRF token with the session cookie; a bearer token needs none).
Answers are never cached: they are the asker's own.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Response
from pydantic import BaseModel, Field

from paperwire.community import submissions
from paperwire.community.submissions import SubmissionRules
from paperwire.limits import LISTING_MAX
from paperwire.models import Submission
from paperwire.paths import paper_url
from paperwire.web.auth import ModeratorDep, UserDep
from paperwire.web.deps import ArxivDep, SettingsDep, StoreDep, utc_now
from paperwire.web.params import ID_MAX
from paperwire.web.routing import NO_STORE, json_router

router = json_router(prefix="/api", tags=["submissions"])

SubmissionIdP = Annotated[int, Path(ge=1, le=ID_MAX, description="A submission's id.")]


class SubmitBody(BaseModel):
    arxiv_id: str = Field(
        max_length=1000,
        description="An arXiv id (`2401.00001`, `2401.00001v2`, `arXiv:…`, "
        "`hep-th/9901001`) or an arXiv abs/pdf/html URL.",
    )


class RejectBody(BaseModel):
    reason: str = Field(default="", max_length=10_000, description="Why (required).")


def submission_json(submission: Submission) -> dict[str, Any]:
    return {
        "id": submission.id,
        "paper_id": submission.paper_id,
        "title": submission.title,
        "url": paper_url(submission.paper_id),
        "status": submission.status,
        "submitted_by": submission.submitter,
        "submitted_at": submission.submitted_at.isoformat(),
        "submitted_day": submission.submitted_day.isoformat(),
        "decided_at": submission.decided_at.isoformat() if submission.decided_at else None,
        "decided_by": submission.decided_by,
        "reason": submission.reason,
    }


@router.post("/submissions", status_code=201)
def create_submission(
    body: SubmitBody,
    user: UserDep,
    store: StoreDep,
    settings: SettingsDep,
    arxiv: ArxivDep,
    response: Response,
) -> dict[str, Any]:
    """Submit a paper: 201 with the new pending submission, or 200 with the paper's
    existing one (duplicates merge). 400: not an arXiv id, or the paper is older than
    `PAPERWIRE_SUBMISSION_MAX_AGE_DAYS`; 404: no such paper on arXiv; 429: the daily
    limit (`Retry-After`); 502: arXiv could not be asked."""
    made, created = submissions.submit_paper(
        store,
        user,
        body.arxiv_id,
        now=utc_now(),
        rules=SubmissionRules.from_settings(settings),
        arxiv=arxiv,
    )
    if not created:
        response.status_code = 200
    response.headers.update(NO_STORE)
    return submission_json(made)


@router.get("/submissions")
def list_submissions(
    user: UserDep,
    store: StoreDep,
    response: Response,
    status: Annotated[
        str | None, Query(description="`pending`, `approved` or `rejected`; all when absent.")
    ] = None,
    before: Annotated[
        int | None,
        Query(ge=1, le=ID_MAX, description="`next_before` of the previous page."),
    ] = None,
    limit: Annotated[int, Query(description=f"Submissions per page, 1..{LISTING_MAX}.")] = (
        submissions.PAGE_SIZE
    ),
) -> dict[str, Any]:
    """Newest first: every submission for a moderator, your own otherwise."""
    found = submissions.list_submissions(store, user, status=status, before=before, limit=limit)
    response.headers.update(NO_STORE)
    return {
        "submissions": [submission_json(s) for s in found],
        "next_before": found[-1].id if len(found) == limit else None,
    }


@router.get("/submissions/{submission_id}")
def get_submission(
    submission_id: SubmissionIdP, user: UserDep, store: StoreDep, response: Response
) -> dict[str, Any]:
    """One submission, for its submitter or a moderator (404 for anyone else)."""
    found = submissions.get_submission(store, user, submission_id)
    response.headers.update(NO_STORE)
    return submission_json(found)


@router.post("/submissions/{submission_id}/approve")
def approve_submission(
    submission_id: SubmissionIdP, moderator: ModeratorDep, store: StoreDep
) -> dict[str, Any]:
    """Moderators: list the paper on its submission day, credited to its submitter."""
    return submission_json(
        submissions.approve_submission(store, moderator, submission_id, now=utc_now())
    )


@router.post("/submissions/{submission_id}/reject")
def reject_submission(
    submission_id: SubmissionIdP,
    moderator: ModeratorDep,
    store: StoreDep,
    body: RejectBody | None = None,
) -> dict[str, Any]:
    """Moderators: reject with a reason (400 without one)."""
    return submission_json(
        submissions.reject_submission(
            store, moderator, submission_id, body.reason if body else "", now=utc_now()
        )
    )
