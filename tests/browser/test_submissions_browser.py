"""Submissions in real Chromium under the real server and its strict CSP: a signed-in
reader submits a paper through the "Submit a paper" form, a moderator approves one and
rejects another (with a reason) from the queue, the approved paper is on the day's
list "submitted by" its submitter, and the submit page, the queue (with a flagged
comment) and the audit log are free of axe-core violations in light and dark colours."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paperwire.community import accounts, comments
from paperwire.models import Paper
from paperwire.store import open_store
from paperwire.web import auth
from tests.browser.axe import axe_missing, axe_violations, describe
from tests.browser.conftest import new_page
from tests.conftest import migrated_sqlite

pytestmark = pytest.mark.browser

SECRET_KEY = "submissions-browser-test-key-" + "x" * 32


@dataclass(frozen=True)
class SubmissionSite:
    base: str
    cookies: dict[str, str]  # email -> session cookie value


def recent(ident: str, title: str) -> Paper:
    first = datetime.now(UTC) - timedelta(days=2)
    return Paper(
        id=ident,
        title=title,
        abstract="An abstract about submissions.",
        categories=["cs.LG"],
        version=1,
        submitted=first,
        updated=first,
        announced=first.date(),
    )


@pytest.fixture(scope="module")
def submission_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SubmissionSite]:
    """Its own server and database, with a known secret key so sessions made here sign
    the browser in; two recent papers to submit and a flagged comment for the queue."""
    from paperwire.ingest.sample import load_sample
    from tests.live_server import live_server

    folder = tmp_path_factory.mktemp("submissions")
    url = migrated_sqlite(folder, fill=load_sample)
    store = open_store(url)
    now = datetime.now(UTC)
    try:
        store.upsert_papers(
            [
                recent("2603.00901", "Community-submitted paper one"),
                recent("2603.00902", "Community-submitted paper two"),
            ]
        )
        cookies: dict[str, str] = {}
        users = {}
        for email, role, name in (
            ("alice@example.org", "user", "Alice"),
            ("mod@example.org", "moderator", "Mo"),
        ):
            user = accounts.add_user(store, email, now=now, role=role, name=name)
            users[email] = user
            session = accounts.start_session(store, user, now=now, days=1)
            cookies[email] = auth.cookie_value(SECRET_KEY.encode(), session.token)
        comment = comments.post_comment(
            store, users["alice@example.org"], "2603.00901", "A <b>flagged</b> remark", now=now
        )
        comments.flag_comment(store, users["mod@example.org"], comment.id, "rude", now=now)
    finally:
        store.close()
    env = {
        "PAPERWIRE_EMBEDDER": "hash",
        "PAPERWIRE_DATA_DIR": str(Path(folder) / "data"),
        "PAPERWIRE_SECRET_KEY": SECRET_KEY,
    }
    with live_server(url, extra_env=env) as base:
        yield SubmissionSite(base, cookies)


@pytest.fixture(params=["light", "dark"])
def scheme_page(
    request: pytest.FixtureRequest, browser: object, submission_site: SubmissionSite
) -> Iterator[object]:
    reason = axe_missing()
    if reason:
        pytest.skip(reason)
    yield from new_page(browser, submission_site.base, request.param)


def sign_in(page: object, site: SubmissionSite, email: str) -> None:
    page.context.clear_cookies()  # type: ignore[attr-defined]
    page.context.add_cookies(  # type: ignore[attr-defined]
        [{"name": "paperwire_session", "value": site.cookies[email], "url": site.base}]
    )


def assert_accessible(page: object, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}:\n{describe(violations)}"


def test_submit_moderate_and_see_it_listed(
    scheme_page: object, submission_site: SubmissionSite
) -> None:
    pg = scheme_page
    sign_in(pg, submission_site, "alice@example.org")
    pg.goto("/submit")  # type: ignore[attr-defined]
    assert_accessible(pg, "the submit page")
    for ident in ("https://arxiv.org/abs/2603.00901v1", "2603.00902"):
        pg.get_by_label("arXiv id or URL").fill(ident)  # type: ignore[attr-defined]
        pg.get_by_role("button", name="Submit", exact=True).click()  # type: ignore[attr-defined]
        pg.wait_for_load_state()  # type: ignore[attr-defined]
    status = pg.locator(".notice").inner_text()  # type: ignore[attr-defined]
    # The first run submits; the second (the other colour scheme) finds them submitted.
    assert "2603.00902" in status
    assert "Community-submitted paper one" in pg.locator(".submissions-table").inner_text()  # type: ignore[attr-defined]
    pg.get_by_label("arXiv id or URL").fill("not an id")  # type: ignore[attr-defined]
    pg.get_by_role("button", name="Submit", exact=True).click()  # type: ignore[attr-defined]
    pg.wait_for_load_state()  # type: ignore[attr-defined]
    assert "not an arXiv id" in pg.locator("#submit-error").inner_text()  # type: ignore[attr-defined]
    assert_accessible(pg, "the submit page with an error")

    sign_in(pg, submission_site, "mod@example.org")
    pg.goto("/moderation")  # type: ignore[attr-defined]
    assert "A <b>flagged</b> remark" in pg.locator("blockquote.flagged-body").first.inner_text()  # type: ignore[attr-defined]
    assert_accessible(pg, "the moderation queue")
    one = pg.locator("article.moderation-item", has_text="Community-submitted paper one")  # type: ignore[attr-defined]
    if one.count():  # pending in the first run only
        one.get_by_role("button", name=re.compile("^Approve")).click()
        pg.wait_for_url(re.compile(r"/moderation$"))  # type: ignore[attr-defined]
        two = pg.locator("article.moderation-item", has_text="Community-submitted paper two")  # type: ignore[attr-defined]
        two.get_by_label("Reason for rejecting").fill("Out of scope")
        two.get_by_role("button", name=re.compile("^Reject")).click()
        pg.wait_for_url(re.compile(r"/moderation$"))  # type: ignore[attr-defined]
    assert "Pending submissions (0)" in pg.locator("main").inner_text()  # type: ignore[attr-defined]

    pg.goto("/moderation/log")  # type: ignore[attr-defined]
    log = pg.locator("table.audit-table").inner_text()  # type: ignore[attr-defined]
    assert "approve" in log and "reject" in log and "Out of scope" in log
    assert_accessible(pg, "the audit log")

    pg.goto(f"/?date={datetime.now(UTC).date().isoformat()}")  # type: ignore[attr-defined]
    card = pg.locator("article.card", has_text="Community-submitted paper one")  # type: ignore[attr-defined]
    assert "submitted by Alice" in card.inner_text()
    assert pg.locator("article.card", has_text="Community-submitted paper two").count() == 0  # type: ignore[attr-defined]

    problems = pg.problems  # type: ignore[attr-defined]
    # The one error the browser reports is the refused id's page, a 400 by design.
    expected = ["Failed to load resource: the server responded with a status of 400 (Bad Request)"]
    assert problems.dialogs == [] and problems.console_errors == expected, problems.console_errors
    assert problems.failed_requests == []
