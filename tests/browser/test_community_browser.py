"""The community end to end in real Chromium, on SQLite and on PostgreSQL: the real
server (uvicorn, strict CSP), a real SMTP server on loopback for the sign-in mail, and a
loopback server replaying arXiv's recorded answer for a paper the site does not hold.

A new reader asks for a sign-in link, reads it from the mail, opens it and presses
"Sign in"; names the account; upvotes and saves a paper on the front page and tags it
in the library; submits a paper by its arXiv id (fetched from "arXiv"). A moderator
made with ``paperwire users add --role moderator`` against the same database signs in
the same way in a browser of their own and approves it; it is then on the daily list of
the day it was submitted, "submitted by" the reader, who comments on it and downloads
the library as BibTeX. Every page and control state along the way is free of axe-core
violations (WCAG 2 A/AA) in light and dark colours, with no console error or CSP
violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from paperwire.bibtex import parse_bibtex
from paperwire.digest.mailer import plain_text
from paperwire.ingest.files import import_atom_files
from paperwire.ingest.sample import sample_files
from paperwire.store import Store
from tests.browser.axe import axe_missing
from tests.browser.conftest import LiveSite, check_axe, live_site, open_page

pytestmark = pytest.mark.browser

SECRET_KEY = "community-browser-test-key-" + "x" * 32
SUBMITTED = "1707.08567"  # not in the sample: the server fetches it from the replay
SUBMITTED_TITLE = "Proceedings of Workshop AEW10"


def fill(store: Store) -> None:
    """The sample without the recordings that hold the paper to submit."""
    files = [path for path in sample_files() if SUBMITTED not in path.name]
    import_atom_files(store, files)
    assert store.get_paper(SUBMITTED) is None


@pytest.fixture
def arxiv() -> Iterator[Any]:
    """A loopback "arXiv" answering for the paper to submit."""
    from tests.ingest.netfakes import load_api_recordings
    from tests.replay import replay_server

    with replay_server() as server:
        load_api_recordings(server, f"id_{SUBMITTED}_*.json")
        yield server


@pytest.fixture
def site(
    request: pytest.FixtureRequest, backend: str, arxiv: Any, tmp_path: Path
) -> Iterator[LiveSite]:
    """A server on a fresh database of the backend holding the sample but the paper to
    submit, sending mail to a loopback SMTP server and asking the loopback "arXiv" for
    papers it does not hold."""
    env = {
        "PAPERWIRE_ARXIV_API_URL": f"{arxiv.base_url}/api/query",
        "PAPERWIRE_ARXIV_API_DELAY": "0",
        "PAPERWIRE_SUBMISSION_MAX_AGE_DAYS": "0",  # the recorded paper is from 2017
    }
    with live_site(
        request, backend, tmp_path, fill=fill, secret_key=SECRET_KEY, extra_env=env
    ) as served:
        yield served


def sign_in_by_mail(page: Any, site: LiveSite, email: str, *, shown_as: str, check: bool) -> None:
    """The whole link flow as a person goes through it, from the header's link; the
    header then shows the account as ``shown_as``."""
    page.goto("/")
    page.get_by_role("link", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/sign-in$"))
    if check:
        check_axe(page, "/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.get_by_text("Check your email").wait_for()
    if check:
        check_axe(page, "/sign-in, link sent")

    # The mail was handed to the SMTP server before the page answered.
    [message] = [m.message for m in site.mail.messages if email in m.rcpt_tos]
    link = re.search(rf"{re.escape(site.base)}/auth/sign-in\?token=\S+", plain_text(message))
    assert link, plain_text(message)
    page.goto(link.group(0))
    page.get_by_role("heading", name=re.compile("^Sign in to")).wait_for()
    if check:
        check_axe(page, "the sign-in link's page")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{site.base}/")
    assert page.locator(".header-account").inner_text() == shown_as


def add_moderator(site: LiveSite, email: str, name: str) -> None:
    """``paperwire users add`` in a process of its own, against the server's database."""
    done = site.cli("users", "add", email, "--role", "moderator", "--name", name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"added {email} (moderator)"


def assert_clean(page: Any, who: str) -> None:
    problems = page.problems
    assert problems.dialogs == [], f"{who}: {problems.dialogs}"
    assert problems.console_errors == [], f"{who}: {problems.console_errors}"
    assert problems.failed_requests == [], f"{who}: {problems.failed_requests}"


def test_sign_in_vote_save_submit_approve_comment_export(
    browser: object, site: LiveSite, arxiv: Any, artifacts_dir: Path
) -> None:
    reason = axe_missing()
    if reason:
        pytest.skip(reason)
    reader_pages, pg = open_page(browser, site.base, "light")
    moderator_pages, mod = open_page(browser, site.base, "dark")
    try:
        # --- a new reader signs in by the emailed link and names the account
        sign_in_by_mail(pg, site, "ada@example.org", shown_as="ada", check=True)
        pg.locator(".header-account").click()
        pg.wait_for_url(re.compile(r"/account$"))
        check_axe(pg, "/account")
        pg.get_by_label("Name shown with your votes").fill("Ada Lovelace")
        pg.get_by_role("button", name="Save name").click()
        pg.wait_for_url(re.compile(r"/account$"))
        assert pg.locator(".header-account").inner_text() == "Ada Lovelace"

        # --- upvote and save the first paper on the front page
        pg.get_by_role("navigation", name="Main").get_by_role("link", name="Daily").click()
        card = pg.locator("article.card").first
        href = card.locator(".card-title a").get_attribute("href")
        assert href and href.startswith("/papers/")
        voted_id = href.removeprefix("/papers/")
        card = pg.locator("article.card", has=pg.locator(f'.card-title a[href="{href}"]'))
        vote = card.locator("button.vote-button")
        assert vote.get_attribute("aria-pressed") == "false"
        before = int(card.locator(".vote-count").inner_text())
        vote.click()
        pg.wait_for_function(
            "b => b.getAttribute('aria-pressed') === 'true' && !b.hasAttribute('aria-busy')",
            arg=vote.element_handle(),
        )
        assert int(card.locator(".vote-count").inner_text()) == before + 1
        # A toggle named after its paper; the name and text stay, aria-pressed changes.
        save = card.get_by_role("button", name=re.compile(r"^Save: \S"))
        assert save.get_attribute("aria-pressed") == "false"
        save.focus()  # by keyboard, as a reader without a mouse saves
        pg.keyboard.press("Enter")
        pg.wait_for_function(
            "b => b.getAttribute('aria-pressed') === 'true'", arg=save.element_handle()
        )
        assert save.inner_text() == "Save"
        check_axe(pg, "/ signed in, after voting and saving")
        pg.reload()  # the states are the server's, not the script's
        vote = card.locator("button.vote-button")
        assert vote.get_attribute("aria-pressed") == "true"
        assert int(card.locator(".vote-count").inner_text()) == before + 1
        assert save.get_attribute("aria-pressed") == "true"
        check_axe(pg, "/ signed in, voted and saved")

        # --- tag it in the library
        pg.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
        pg.wait_for_url(re.compile(r"/library$"))
        item = pg.locator("li.library-item")
        assert item.count() == 1
        item.locator("summary").click()
        check_axe(pg, "/library, edit form open")
        item.get_by_label(re.compile("^Tags")).fill("To read, Graphs")
        item.get_by_role("button", name="Save changes").click()
        pg.wait_for_url(re.compile(r"/library$"))
        assert [t.strip() for t in item.locator(".chip").all_inner_texts()] == ["to read", "graphs"]

        # --- submit a paper the site does not hold yet: the server asks "arXiv"
        pg.get_by_role("navigation", name="Main").get_by_role("link", name="Submit").click()
        pg.wait_for_url(re.compile(r"/submit$"))
        check_axe(pg, "/submit")
        pg.get_by_label("arXiv id or URL").fill(f"https://arxiv.org/abs/{SUBMITTED}v1")
        pg.get_by_role("button", name="Submit", exact=True).click()
        notice = pg.locator(".notice")
        notice.wait_for()
        assert notice.inner_text().startswith("Submitted:") and SUBMITTED in notice.inner_text()
        assert [r.path for r in arxiv.requests] == ["/api/query"]
        table = pg.locator(".submissions-table")
        assert SUBMITTED_TITLE in table.inner_text() and "pending" in table.inner_text()
        check_axe(pg, "/submit, after submitting")
        today = datetime.now(UTC).date().isoformat()
        pg.goto(f"/?date={today}")  # pending: not listed yet
        assert pg.locator("article.card", has_text=SUBMITTED_TITLE).count() == 0

        # --- a moderator, made on the command line, approves it
        add_moderator(site, "mod@example.org", "Mo Derator")
        sign_in_by_mail(mod, site, "mod@example.org", shown_as="Mo Derator", check=False)
        mod.get_by_role("navigation", name="Main").get_by_role("link", name="Moderation").click()
        mod.wait_for_url(re.compile(r"/moderation$"))
        assert "Pending submissions (1)" in mod.locator("main").inner_text()
        pending = mod.locator("article.moderation-item", has_text=SUBMITTED_TITLE)
        assert "submitted by Ada Lovelace" in pending.inner_text()
        check_axe(mod, "/moderation with a pending submission")
        pending.get_by_role("button", name=re.compile("^Approve")).click()
        mod.wait_for_url(re.compile(r"/moderation$"))
        assert "Pending submissions (0)" in mod.locator("main").inner_text()
        check_axe(mod, "/moderation, queue empty")
        mod.get_by_role("link", name="Audit log").click()
        mod.wait_for_url(re.compile(r"/moderation/log$"))
        log = mod.locator("table.audit-table").inner_text()
        assert "approve" in log and SUBMITTED in log
        check_axe(mod, "/moderation/log")

        # --- listed on the day it was submitted, credited to the reader
        pg.goto(f"/?date={today}")
        listed = pg.locator("article.card", has_text=SUBMITTED_TITLE)
        assert listed.count() == 1
        assert listed.locator(".submitted-by").inner_text() == "submitted by Ada Lovelace"
        check_axe(pg, f"/?date={today} with an approved submission")

        # --- a comment on its page
        listed.locator(".card-title a").click()
        pg.wait_for_url(re.compile(rf"/papers/{re.escape(SUBMITTED)}$"))
        pg.get_by_label("Your comment", exact=True).fill("Worth a *close* read.")
        pg.get_by_role("button", name="Post comment").click()
        pg.wait_for_url(re.compile(r"#comment-\d+$"))
        mine = pg.locator("li.comment").last
        assert mine.locator(".comment-author").inner_text() == "Ada Lovelace"
        assert mine.locator(".comment-body em").inner_text() == "close"
        check_axe(pg, "the paper page signed in, with a comment")

        # --- the library downloaded as BibTeX
        pg.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
        pg.wait_for_url(re.compile(r"/library$"))
        with pg.expect_download() as download:
            pg.get_by_role("link", name="BibTeX").click()
        text = Path(download.value.path()).read_text(encoding="utf-8")
        bib = parse_bibtex(text, max_entries=10)
        assert bib.problems == [] and len(bib.entries) == 1, text
        assert voted_id in text
        pg.screenshot(path=str(artifacts_dir / f"community-{site.backend}.png"), full_page=True)

        assert_clean(pg, "the reader's browser")
        assert_clean(mod, "the moderator's browser")
    finally:
        moderator_pages.close()
        reader_pages.close()
