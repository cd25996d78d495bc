"""A digest end to end, on SQLite and on PostgreSQL: the real server (uvicorn, strict
CSP) in real Chromium, ``paperwire digest send`` in a process of its own against the
same database, and a real SMTP server on loopback that receives all the mail.

A reader subscribes from the site's Subscribe page (trending and a category), reads
the confirmation mail, opens its link and presses the button. The send delivers one
digest to them, with the one-click unsubscribe headers (RFC 8058); the test POSTs
``List-Unsubscribe=One-Click`` to the header's URL as a mail provider does (its own
client: no cookie, no CSRF token) and gets a 200. The digest's "view in browser" link
shows the same trending papers; its manage link shows the address unsubscribed (free
of axe-core violations in light and dark). The next day's send reaches another
subscriber, not them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from paperwire.digest.mailer import plain_text
from paperwire.models import Paper, SubscriptionPrefs
from paperwire.store import Store, open_store
from tests.browse.helpers import paper_on
from tests.browser.axe import axe_missing
from tests.browser.conftest import LiveSite, check_axe, live_site, open_page

pytestmark = pytest.mark.browser

SECRET_KEY = "digest-browser-test-key-" + "x" * 32
READER = "reader@example.org"
OTHER = "other@example.org"  # subscribed all along: shows the second send delivers
# Yesterday's digest goes first, today's second; ``--date`` names them, so the test
# does not depend on the weekday it runs on.
TODAY = datetime.now(UTC).date()
FIRST, SECOND = TODAY - timedelta(days=1), TODAY
PAPER_TITLE = re.compile(r"^\d+\. (Paper \d{4}\.\d{5})$", re.MULTILINE)  # "1. Paper 2612.00001"


def day_papers(day: date, first: int) -> list[Paper]:
    """Sixteen papers announced on ``day``: eleven in cs.CL, five in cs.LG. A section
    shows ten, so however trending orders them, some cs.CL paper is left for the
    category's section (a paper is shown once per digest)."""
    return [
        paper_on(day, first + n, categories=("cs.CL",) if n < 11 else ("cs.LG",)) for n in range(16)
    ]


def fill(store: Store) -> None:
    store.upsert_papers([*day_papers(FIRST, 1), *day_papers(SECOND, 101)])
    store.save_subscription(
        OTHER, SubscriptionPrefs(trending=True), now=datetime.now(UTC), confirmed=True
    )


@pytest.fixture
def site(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[LiveSite]:
    with live_site(request, backend, tmp_path, fill=fill, secret_key=SECRET_KEY) as served:
        yield served


def mail_to(site: LiveSite, address: str) -> list[EmailMessage]:
    return [m.message for m in site.mail.messages if address in m.rcpt_tos]


def send(site: LiveSite, day: date) -> dict[str, Any]:
    """``paperwire digest send`` as the operator's timer runs it, for ``day``."""
    done = site.cli("digest", "send", "--frequency", "daily", "--date", day.isoformat(), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert isinstance(summary, dict)
    return summary


def section(text: str, heading: str) -> list[str]:
    """The paper titles of the plain-text part's section ``heading``, in order."""
    start = text.index(f"== {heading} ==")
    end = text.find("\n== ", start + 1)
    return PAPER_TITLE.findall(text[start : end if end != -1 else None])


def link(text: str, label: str) -> str:
    found = re.search(rf"^{re.escape(label)}: (\S+)$", text, re.MULTILINE)
    assert found, f"no {label!r} line in:\n{text}"
    return found.group(1)


def status(site: LiveSite, address: str) -> str | None:
    store = open_store(site.database_url)
    try:
        sub = store.subscription_by_email(address)
        return sub.status if sub else None
    finally:
        store.close()


def test_subscribe_confirm_receive_digest_and_unsubscribe_with_one_click(
    browser: object, site: LiveSite
) -> None:
    reason = axe_missing()
    if reason:
        pytest.skip(reason)
    pages, pg = open_page(browser, site.base, "light")
    try:
        # --- subscribe from the header's Subscribe page: trending and a category
        pg.goto("/")
        pg.get_by_role("navigation", name="Main").get_by_role("link", name="Subscribe").click()
        pg.wait_for_url(re.compile(r"/subscribe$"))
        pg.get_by_label("Email address").fill(READER)
        pg.get_by_label("Daily").check()
        assert pg.get_by_label("Trending papers").is_checked()  # the page's default
        pg.get_by_label("Categories").fill("cs.CL")
        pg.get_by_role("button", name="Subscribe", exact=True).click()
        pg.get_by_text("Check your inbox").wait_for()
        assert status(site, READER) == "pending"

        # --- confirm from the mail: the link opens a page, its button confirms
        [confirmation] = mail_to(site, READER)
        confirm = re.search(
            rf"{re.escape(site.base)}/subscriptions/confirm/\S+", plain_text(confirmation)
        )
        assert confirm, plain_text(confirmation)
        pg.goto(confirm.group(0))
        button = pg.get_by_role("button", name="Confirm my subscription")
        button.wait_for()
        assert status(site, READER) == "pending"  # opening the link confirmed nothing
        button.click()
        pg.get_by_role("heading", name="You are subscribed").wait_for()
        assert status(site, READER) == "confirmed"

        # --- the send delivers exactly one digest to the reader
        assert send(site, FIRST) == {
            "sent": 2, "skipped": 0, "failed": 0, "retrying": 0,
            "period": f"daily:{FIRST.isoformat()}", "errors": [],
        }  # fmt: skip
        received = mail_to(site, READER)
        assert len(received) == 2, [m["Subject"] for m in received]
        digest = received[1]
        assert len(mail_to(site, OTHER)) == 1
        text = plain_text(digest).replace("\r\n", "\n")  # lines as sent: CRLF
        trending = section(text, "Trending today")
        category = section(text, "New in Computation and Language (cs.CL)")
        assert len(trending) == 10 and category, text
        assert len(set(trending + category)) == len(trending) + len(category)  # each once

        # RFC 8058: the https (here http) link first, then the mailto.
        assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        one_click = re.match(r"<(https?://[^>]+)>", digest["List-Unsubscribe"])
        assert one_click and one_click.group(1).startswith(f"{site.base}/"), digest[
            "List-Unsubscribe"
        ]

        # --- one click, as a mail provider makes it: its own client, nothing but the body
        with httpx.Client(timeout=10) as provider:
            answer = provider.post(
                one_click.group(1),
                content="List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        assert answer.status_code == 200, answer.text
        assert status(site, READER) == "unsubscribed"

        # --- "view in browser": the archive shows the mail's trending papers
        pg.goto(link(text, "View it in your browser"))
        pg.get_by_role("heading", level=1, name=FIRST.strftime("%A, %d %B %Y")).wait_for()
        shown = pg.locator("section", has=pg.get_by_role("heading", name="Trending today"))
        titles = [t.strip() for t in shown.locator(".card-title a").all_inner_texts()]
        assert titles[: len(trending)] == trending

        # --- the digest's manage link: unsubscribed, without signing in
        pg.goto(link(text, "Change what it holds"))
        assert pg.locator(".page-head .lede").inner_text() == f"{READER} · unsubscribed"
        pg.get_by_text("No digests are sent to this address.").wait_for()
        check_axe(pg, "the manage page of an unsubscribed address")

        # --- the next send reaches the other subscriber, not the reader
        assert send(site, SECOND)["sent"] == 1
        assert len(mail_to(site, OTHER)) == 2
        assert len(mail_to(site, READER)) == 2

        problems = pg.problems
        assert problems.console_errors == [], problems.console_errors  # no CSP violation
        assert problems.failed_requests == [], problems.failed_requests
        assert problems.dialogs == []
    finally:
        pages.close()
