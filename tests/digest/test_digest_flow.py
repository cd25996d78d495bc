"""The whole path of a digest on both backends, through the app and a real SMTP server
on loopback: subscribe on the API, confirm by the mailed link's POST, receive the
digest, unsubscribe with the one-click POST its List-Unsubscribe header names (no
cookie, no CSRF token), and the next send leaves that address out."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from paperwire.app import create_app
from paperwire.digest.mailer import SmtpMailer, plain_text
from paperwire.digest.send import send_digests
from paperwire.store import Store
from tests.digest.scenario import BASE, FRIDAY_MORNING, Clock, body, settings_for, week_papers
from tests.mail_server import MailServer


def test_subscribe_confirm_receive_and_unsubscribe_with_one_click(
    store: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    store.upsert_papers(week_papers())
    settings = settings_for(smtp_server, database_url, tmp_path, allowed_hosts="testserver")
    address = "reader@example.org"
    with TestClient(create_app(settings, store=store)) as site:
        answer = site.post(
            "/api/subscriptions",
            json={
                "email": address,
                "frequency": "daily",
                "trending": False,
                "categories": ["cs.CL"],
            },
        )
        assert answer.status_code == 202
        [confirmation] = smtp_server.messages
        confirm = re.search(
            rf"{re.escape(BASE)}/subscriptions/confirm/\S+", plain_text(confirmation.message)
        )
        assert confirm is not None
        assert site.post(urlsplit(confirm.group(0)).path).status_code == 200
        sub = store.subscription_by_email(address)
        assert sub is not None and sub.status == "confirmed"

        clock = Clock()
        result = send_digests(
            store, SmtpMailer.from_settings(settings), settings, "daily", clock=clock
        )
        assert result.sent == 1
        digest = smtp_server.messages[-1]
        assert digest.rcpt_tos == [address]
        text = body(digest.message, "plain")
        assert "New in Computation and Language (cs.CL)" in text
        assert "Diffusion models for text, part 4" in text

        one_click = re.match(r"<(https://[^>]+)>", digest.message["List-Unsubscribe"])
        assert one_click is not None
        site.cookies.clear()
        unsubscribed = site.post(
            urlsplit(one_click.group(1)).path,
            content="List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert unsubscribed.status_code == 200
        gone = store.subscription_by_email(address)
        assert gone is not None and gone.status == "unsubscribed"

    messages = len(smtp_server.messages)
    clock.now = FRIDAY_MORNING + timedelta(days=3)  # Monday: a new period
    later = send_digests(
        store,
        SmtpMailer.from_settings(settings),
        settings,
        "daily",
        clock=clock,
        day=FRIDAY_MORNING.date() - timedelta(days=1),
    )
    assert later.sent == 0 and len(smtp_server.messages) == messages
