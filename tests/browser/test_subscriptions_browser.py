"""Subscribing as a person does, in real Chromium against the real server and a real
SMTP server on loopback: the header's Subscribe page, the confirmation mail, its page
and button, the manage page, the unsubscribe page. Every one of those pages is free of
axe-core violations (WCAG 2 A/AA) in light and dark colours, under the strict CSP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from paperwire.config import Settings
from paperwire.digest import tokens
from paperwire.digest.mailer import plain_text
from paperwire.store import open_store
from tests.browser.axe import axe_missing, axe_violations, describe
from tests.browser.conftest import new_page
from tests.conftest import migrated_sqlite

pytestmark = pytest.mark.browser

SECRET = "browser-test-secret-key-0123456789abcdef"


@pytest.fixture(scope="module")
def mail() -> Iterator[Any]:
    from tests.mail_server import mail_server

    with mail_server() as server:
        yield server


@pytest.fixture(scope="module")
def mail_site(tmp_path_factory: pytest.TempPathFactory, mail: Any) -> Iterator[tuple[str, str]]:
    """A server with mail on: (its base URL, its database URL)."""
    from tests.live_server import live_server

    url = migrated_sqlite(tmp_path_factory.mktemp("subscriptions"))
    env = {
        "PAPERWIRE_EMBEDDER": "hash",
        "PAPERWIRE_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "PAPERWIRE_SECRET_KEY": SECRET,
        "PAPERWIRE_SMTP_HOST": mail.host,
        "PAPERWIRE_SMTP_PORT": str(mail.port),
        "PAPERWIRE_SMTP_SECURITY": "none",
    }
    with live_server(url, extra_env=env) as base:
        yield base, url


def check_axe(page: Any, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}:\n{describe(violations)}"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_subscribe_confirm_manage_unsubscribe(
    browser: object, mail_site: tuple[str, str], mail: Any, scheme: str, tmp_path: Path
) -> None:
    reason = axe_missing()
    if reason:
        pytest.skip(reason)
    base, database_url = mail_site
    address = f"{scheme}@example.org"
    for pg in new_page(browser, base, scheme):
        page: Any = pg
        page.goto("/about")
        page.get_by_role("link", name="Subscribe").click()
        page.wait_for_url("**/subscribe")
        check_axe(page, "/subscribe")
        page.get_by_label("Email address").fill(address)
        page.get_by_label("Weekly").check()
        page.get_by_label("Categories").fill("cs.LG, stat.ML")
        page.get_by_role("button", name="Subscribe").click()
        page.get_by_text("Check your inbox").wait_for()
        check_axe(page, "check your inbox")

        [message] = [m.message for m in mail.messages if address in m.rcpt_tos]
        text = plain_text(message)
        confirm = re.search(rf"{re.escape(base)}/subscriptions/confirm/\S+", text)
        manage = re.search(rf"{re.escape(base)}/subscriptions/manage/\S+", text)
        assert confirm and manage, text

        page.goto(confirm.group(0))
        page.get_by_role("button", name="Confirm my subscription").wait_for()
        check_axe(page, "confirm page")
        store = open_store(database_url)
        try:
            sub = store.subscription_by_email(address)
            assert sub is not None and sub.status == "pending"  # opening the link did nothing
            page.get_by_role("button", name="Confirm my subscription").click()
            page.get_by_role("heading", name="You are subscribed").wait_for()
            check_axe(page, "confirmed page")
            sub = store.subscription_by_email(address)
            assert sub is not None and sub.status == "confirmed"
            assert sub.frequency == "weekly" and sub.categories == ["cs.LG", "stat.ML"]

            page.goto(manage.group(0))
            check_axe(page, "manage page")
            page.get_by_label("Daily").check()
            page.get_by_label("Authors").fill("Grace Hopper")
            page.get_by_role("button", name="Save my choices").click()
            page.get_by_text("Your choices are saved.").wait_for()
            check_axe(page, "manage page after saving")
            sub = store.subscription_by_email(address)
            assert sub is not None and sub.frequency == "daily" and sub.authors == ["Grace Hopper"]

            settings = Settings(secret_key=SECRET, base_url=base, data_dir=tmp_path)
            page.goto(tokens.unsubscribe_url(settings, sub))
            check_axe(page, "unsubscribe page")
            assert store.subscription_by_email(address).status == "confirmed"  # type: ignore[union-attr]
            page.get_by_role("button", name="Unsubscribe").click()
            page.get_by_role("heading", name="You are unsubscribed").wait_for()
            check_axe(page, "unsubscribed page")
            assert store.subscription_by_email(address).status == "unsubscribed"  # type: ignore[union-attr]
        finally:
            store.close()
        assert page.problems.console_errors == []  # no CSP violation, no script error
