"""Submissions and moderation as pages: "Submit a paper" (``/submit``) for signed-in
readers; for moderators the queue (``/moderation``: pending submissions with approve
and reject forms, and flagged comments) and the audit log (``/moderation/log``).

The forms POST with the ``csrf_token`` field and call the same domain functions as the
JSON API (``community.submissions``, ``community.comments``, ``community.audit``).
None of these pages is cached: each is the reader's own (``Cache-Control: no-store``).
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperwire.community import audit, comments, submissions
from paperwire.community.ratelimit import RateLimited
from paperwire.community.submissions import (
    ArxivUnavailable,
    SubmissionRules,
    UnknownPaper,
)
from paperwire.errors import InvalidParameter
from paperwire.models import User
from paperwire.web.auth import ModeratorDep, UserDep, ViewerDep
from paperwire.web.deps import ArxivDep, SettingsDep, StoreDep, TemplatesDep, utc_now
from paperwire.web.params import ID_MAX
from paperwire.web.routing import NO_STORE, page_router
from paperwire.web.templating import render_page

router = page_router()

IdP = Annotated[int, Path(ge=1, le=ID_MAX)]
BeforeQ = Annotated[int | None, Query(ge=1, le=ID_MAX, description="Older than this id.")]
OWN_SHOWN = 20  # the reader's latest submissions on the submit page
QUEUE_PAGE = 25
FLAGGED_SHOWN = 25


def _moderator_or_refuse(viewer: User | None) -> Response | User:
    """A signed-out reader is sent to sign in; a reader who is no moderator gets a 403."""
    if viewer is None:
        return RedirectResponse("/sign-in", status_code=303)
    if not viewer.is_moderator:
        raise HTTPException(403, "only moderators may see this page")
    return viewer


# ------------------------------------------------------------------ submit a paper


def _submit_page(
    request: Request,
    templates: Any,
    store: Any,
    settings: Any,
    user: User,
    *,
    arxiv_id: str = "",
    error: str = "",
    outcome: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    rules = SubmissionRules.from_settings(settings)
    context = {
        "nav": "submit",
        "rules": rules,
        "arxiv_id": arxiv_id,
        "error": error,
        "outcome": outcome,
        "own": submissions.list_submissions(store, user, limit=OWN_SHOWN),
        "id_max": submissions.ID_TEXT_MAX,
    }
    return render_page(
        request, templates, "submit.html", context, status_code=status_code, headers=NO_STORE
    )


@router.get("/submit", response_class=HTMLResponse)
def submit_page(
    request: Request,
    viewer: ViewerDep,
    store: StoreDep,
    settings: SettingsDep,
    templates: TemplatesDep,
) -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in", status_code=303)
    return _submit_page(request, templates, store, settings, viewer)


@router.post("/submit", response_class=HTMLResponse)
def submit_form(
    request: Request,
    arxiv_id: Annotated[str, Form(max_length=1000)],
    user: UserDep,
    store: StoreDep,
    settings: SettingsDep,
    arxiv: ArxivDep,
    templates: TemplatesDep,
) -> HTMLResponse:
    """The form's answer is the page again, with what became of the paper or why not."""
    try:
        made, created = submissions.submit_paper(
            store,
            user,
            arxiv_id,
            now=utc_now(),
            rules=SubmissionRules.from_settings(settings),
            arxiv=arxiv,
        )
    except InvalidParameter as exc:
        status, message = 400, exc.message
    except UnknownPaper as exc:
        status, message = 404, str(exc)
    except ArxivUnavailable as exc:
        status, message = 502, f"{exc} Please try again later."
    except RateLimited as exc:
        response = _submit_page(
            request, templates, store, settings, user,
            arxiv_id=arxiv_id, error=exc.message, status_code=429,
        )  # fmt: skip
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    else:
        outcome = {"submission": made, "created": created, "mine": made.user_id == user.id}
        return _submit_page(
            request, templates, store, settings, user, outcome=outcome,
            status_code=201 if created else 200,
        )  # fmt: skip
    return _submit_page(
        request, templates, store, settings, user,
        arxiv_id=arxiv_id, error=message, status_code=status,
    )  # fmt: skip


# ------------------------------------------------------------------ the moderation queue


@router.get("/moderation", response_class=HTMLResponse)
def moderation_page(
    request: Request,
    viewer: ViewerDep,
    store: StoreDep,
    templates: TemplatesDep,
    before: BeforeQ = None,
) -> Response:
    """Pending submissions (newest first, paged) and the comments readers flagged."""
    moderator = _moderator_or_refuse(viewer)
    if isinstance(moderator, Response):
        return moderator
    pending = submissions.list_submissions(
        store, moderator, status="pending", before=before, limit=QUEUE_PAGE
    )
    context = {
        "nav": "moderation",
        "pending": pending,
        "pending_total": store.count_submissions(status="pending"),
        "next_before": pending[-1].id if len(pending) == QUEUE_PAGE else None,
        "paged": before is not None,
        "flagged": comments.flagged_comments(store, limit=FLAGGED_SHOWN),
        "reason_max": submissions.REASON_MAX,
    }
    return render_page(request, templates, "moderation.html", context, headers=NO_STORE)


def _back_to_queue() -> RedirectResponse:
    return RedirectResponse("/moderation", status_code=303)


@router.post("/moderation/submissions/{submission_id}/approve")
def approve_form(submission_id: IdP, moderator: ModeratorDep, store: StoreDep) -> Response:
    submissions.approve_submission(store, moderator, submission_id, now=utc_now())
    return _back_to_queue()


@router.post("/moderation/submissions/{submission_id}/reject")
def reject_form(
    submission_id: IdP,
    moderator: ModeratorDep,
    store: StoreDep,
    reason: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    submissions.reject_submission(store, moderator, submission_id, reason, now=utc_now())
    return _back_to_queue()


# ------------------------------------------------------------------ the audit log


@router.get("/moderation/log", response_class=HTMLResponse)
def audit_log_page(
    request: Request,
    viewer: ViewerDep,
    store: StoreDep,
    templates: TemplatesDep,
    before: BeforeQ = None,
) -> Response:
    """Every moderator's and operator's action, newest first, paged."""
    moderator = _moderator_or_refuse(viewer)
    if isinstance(moderator, Response):
        return moderator
    entries = audit.list_entries(store, limit=audit.PAGE_SIZE, before=before)
    context = {
        "nav": "moderation",
        "entries": entries,
        "utc": UTC,
        "next_before": entries[-1].id if len(entries) == audit.PAGE_SIZE else None,
        "paged": before is not None,
    }
    return render_page(request, templates, "moderation_log.html", context, headers=NO_STORE)
