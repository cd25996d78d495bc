"""send_digests end to end on both backends, through a real SMTP server on loopback:
one digest per confirmed subscriber, its content and headers, reruns, temporary and
permanent refusals, a dead server, and a day without announcements."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from paperwire.digest import tokens
from paperwire.digest.mailer import SmtpMailer
from paperwire.digest.send import BACKOFF_FIRST, MAX_ATTEMPTS, DigestRunResult, send_digests
from paperwire.models import SubscriptionPrefs
from paperwire.store import Store
from tests.digest.scenario import (
    BASE,
    FRIDAY,
    FRIDAY_MORNING,
    HOSTILE_TITLE,
    SATURDAY,
    Clock,
    body,
    recipients,
    settings_for,
    subscribe,
    week_papers,
)
from tests.mail_server import HOST, MailServer, free_port, mail_server

KEY = "daily:2026-12-04"


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert_papers(week_papers())
    return store


def send(
    store: Store,
    server: MailServer | None,
    database_url: str,
    tmp_path: Path,
    clock: Clock,
    **kw: Any,
) -> DigestRunResult:
    settings = settings_for(server, database_url, tmp_path)
    mailer = (
        SmtpMailer.from_settings(settings)
        if server
        else SmtpMailer(HOST, free_port(), security="none", timeout=5)
    )
    return send_digests(store, mailer, settings, kw.pop("frequency", "daily"), clock=clock, **kw)


def test_one_digest_per_confirmed_subscriber_with_its_sections(
    filled: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    reader = subscribe(filled, "reader@example.org", trending=True)
    vision = subscribe(filled, "vision@example.org", trending=False, categories=["cs.CV"])
    searcher = subscribe(filled, "search@example.org", trending=False, queries=["diffusion models"])
    fan = subscribe(
        filled, "fan@example.org", trending=False, authors=["Grace Hopper"], exclude=["nothing"]
    )
    subscribe(filled, "pending@example.org", confirmed=False)
    subscribe(filled, "weekly@example.org", frequency="weekly")
    clock = Clock()

    result = send(filled, smtp_server, database_url, tmp_path, clock)
    assert (result.period, result.sent, result.skipped, result.failed) == (KEY, 4, 0, 0)
    assert recipients(smtp_server.messages) == sorted(
        s.email for s in (reader, vision, searcher, fan)
    )
    by_to = {m.rcpt_tos[0]: m.message for m in smtp_server.messages}

    text = body(by_to["vision@example.org"], "plain")
    assert "New in Computer Vision and Pattern Recognition (cs.CV)" in text
    assert f"{BASE}/papers/2612.00041" in text  # Friday's cs.CV paper, by absolute link
    assert "2612.00042" not in text  # cs.LG: not asked for
    search_text = body(by_to["search@example.org"], "plain")
    assert "Matching \u201cdiffusion models\u201d" in search_text
    assert "Diffusion models for text, part 4" in search_text
    assert "part 3" not in search_text  # Thursday's: outside the period
    fan_text = body(by_to["fan@example.org"], "plain")
    assert "By Grace Hopper" in fan_text and "2612.00043" in fan_text
    assert "Trending" in body(by_to["reader@example.org"], "plain")

    for sub in (reader, vision, searcher, fan):
        entry = filled.outbox_entry(sub.id, KEY)
        assert entry is not None and entry.status == "sent" and entry.papers > 0
        assert entry.message_id == by_to[sub.email]["Message-ID"]

    again = send(filled, smtp_server, database_url, tmp_path, clock)
    assert (again.sent, again.planned) == (0, 0)
    assert len(smtp_server.messages) == 4


def test_headers_links_and_escaping(
    filled: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    sub = subscribe(filled, "reader@example.org", categories=["cs.CV"])
    send(filled, smtp_server, database_url, tmp_path, Clock())
    [got] = smtp_server.messages
    message = got.message
    settings = settings_for(smtp_server, database_url, tmp_path)
    fresh = filled.get_subscription(sub.id)
    assert fresh is not None
    unsubscribe = tokens.unsubscribe_url(settings, fresh)
    assert unsubscribe.startswith(f"{BASE}/subscriptions/unsubscribe/")
    header = message["List-Unsubscribe"]
    assert re.fullmatch(
        rf"<{re.escape(unsubscribe)}>, <mailto:digest@papers\.example\.org\?subject=unsubscribe%20[^>]+>",
        header,
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # On the wire the header is the links as written, not RFC 2047 encoded words.
    assert f"\r\nList-Unsubscribe: {header}\r\n".encode() in got.raw
    assert message["Subject"] == "paperwire daily digest, Fri 04 Dec 2026: 4 papers"

    html = body(message, "html")
    assert "<script>" not in html and "<b>Bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;Bold&lt;/b&gt;" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith(BASE + "/") for h in hrefs)
    assert f"{BASE}/digests/daily/2026-12-04" in hrefs
    assert tokens.manage_url(settings, fresh).replace("&", "&amp;") in hrefs
    assert unsubscribe in hrefs
    text = body(message, "plain")
    assert HOSTILE_TITLE in text  # plain text: shown as written, on one line
    assert f"View it in your browser: {BASE}/digests/daily/2026-12-04" in text
    assert f"Unsubscribe: {unsubscribe}" in text
    for url in re.findall(r"https?://\S+", text):
        assert urlsplit(url).netloc == "papers.example.org"


def test_a_paper_is_never_sent_twice_to_one_subscriber(
    filled: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    sub = subscribe(filled, "reader@example.org", categories=["cs.CL"])
    send(filled, smtp_server, database_url, tmp_path, Clock())
    friday = set(re.findall(r"/papers/(\S+)", body(smtp_server.messages[0].message, "plain")))
    assert friday == {"2612.00043", "2612.00044"} | {"2612.00041", "2612.00042"}
    # The subscriber switches to the weekly digest: the week's digest leaves out what
    # Friday's daily one already held.
    filled.update_subscription_prefs(
        sub.id, SubscriptionPrefs(frequency="weekly", categories=("cs.CL",)), now=FRIDAY_MORNING
    )
    clock = Clock(FRIDAY_MORNING + timedelta(days=1))
    result = send(filled, smtp_server, database_url, tmp_path, clock, frequency="weekly")
    assert (result.period, result.sent) == ("weekly:2026-W49", 1)
    week = set(re.findall(r"/papers/(\S+)", body(smtp_server.messages[1].message, "plain")))
    assert not week & friday
    assert "2611.00003" in week and "2612.00033" in week


def test_dry_run_sends_nothing_and_writes_nothing(
    filled: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    subscribe(filled, "a@example.org")
    subscribe(filled, "b@example.org", trending=False, categories=["math.AG"])
    result = send(filled, smtp_server, database_url, tmp_path, Clock(), dry_run=True)
    assert [w.email for w in result.would_send] == ["a@example.org"]
    assert result.would_send[0].papers == 4 and result.skipped == 1
    assert smtp_server.messages == []
    assert filled.outbox_counts(KEY) == dict.fromkeys(
        ("pending", "sending", "sent", "skipped", "failed"), 0
    )
    assert filled.get_source_run("digest:daily") is None


def test_temporary_refusal_waits_and_backs_off(
    filled: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    ok = subscribe(filled, "ok@example.org")
    busy = subscribe(filled, "busy@example.org")
    smtp_server.handler.rcpt_replies["busy@example.org"] = "451 4.2.1 Mailbox busy, try later"
    clock = Clock()
    first = send(filled, smtp_server, database_url, tmp_path, clock)
    assert (first.sent, first.retrying, first.failed, first.errors) == (1, 1, 0, [])
    entry = filled.outbox_entry(busy.id, KEY)
    assert entry is not None and entry.status == "pending" and entry.attempts == 1
    assert entry.next_attempt_at == FRIDAY_MORNING + BACKOFF_FIRST
    assert "451" in (entry.last_error or "")

    del smtp_server.handler.rcpt_replies["busy@example.org"]
    too_soon = send(filled, smtp_server, database_url, tmp_path, clock)
    assert too_soon.sent == 0
    clock.now += BACKOFF_FIRST
    later = send(filled, smtp_server, database_url, tmp_path, clock)
    assert later.sent == 1
    assert recipients(smtp_server.messages) == sorted([ok.email, busy.email])
    done = filled.outbox_entry(busy.id, KEY)
    assert done is not None and done.status == "sent" and done.attempts == 2


def test_a_temporary_refusal_repeated_gives_up(
    filled: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    sub = subscribe(filled, "busy@example.org")
    smtp_server.handler.rcpt_replies["busy@example.org"] = "452 4.2.2 Mailbox full"
    clock = Clock()
    waits = []
    for _ in range(MAX_ATTEMPTS):
        send(filled, smtp_server, database_url, tmp_path, clock)
        entry = filled.outbox_entry(sub.id, KEY)
        assert entry is not None
        waits.append(entry.next_attempt_at - clock.now)
        clock.now = entry.next_attempt_at
    assert waits[:3] == [BACKOFF_FIRST, 2 * BACKOFF_FIRST, 4 * BACKOFF_FIRST]
    assert entry.status == "failed" and entry.attempts == MAX_ATTEMPTS


def test_permanent_refusal_is_recorded_and_never_retried(
    filled: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    subscribe(filled, "ok@example.org")
    gone = subscribe(filled, "gone@example.org")
    smtp_server.handler.rcpt_replies["gone@example.org"] = "550 5.1.1 No such user"
    clock = Clock()
    result = send(filled, smtp_server, database_url, tmp_path, clock)
    assert (result.sent, result.failed, result.errors) == (1, 1, [])
    entry = filled.outbox_entry(gone.id, KEY)
    assert (
        entry is not None
        and entry.status == "failed"
        and "No such user" in (entry.last_error or "")
    )
    smtp_server.handler.rcpt_replies.clear()
    clock.now += timedelta(hours=5)
    assert send(filled, smtp_server, database_url, tmp_path, clock).sent == 0
    assert recipients(smtp_server.messages) == ["ok@example.org"]


def test_a_dead_server_fails_cleanly_and_a_rerun_delivers(
    filled: Store, database_url: str, tmp_path: Path
) -> None:
    subs = [subscribe(filled, f"r{i}@example.org") for i in range(3)]
    clock = Clock()
    dead = send(filled, None, database_url, tmp_path, clock)
    assert dead.sent == 0 and dead.failed == 0 and not dead.ok
    [error] = dead.errors
    assert "cannot connect" in error and "pending" in error
    assert "@example.org" not in error  # shown by /status: no subscriber's address
    assert filled.outbox_counts(KEY)["pending"] == 3
    assert all(filled.outbox_entry(s.id, KEY).attempts == 0 for s in subs)  # type: ignore[union-attr]
    with mail_server() as server:
        rerun = send(filled, server, database_url, tmp_path, clock)
        assert rerun.sent == 3 and rerun.ok
        assert recipients(server.messages) == sorted(s.email for s in subs)


def test_a_day_without_announcement_sends_only_the_notes_asked_for(
    filled: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    subscribe(filled, "quiet@example.org")
    subscribe(filled, "note@example.org", no_announcement_note=True)
    saturday = Clock(FRIDAY_MORNING + timedelta(days=1))
    result = send(filled, smtp_server, database_url, tmp_path, saturday)
    assert (result.period, result.sent, result.skipped) == (f"daily:{SATURDAY}", 1, 1)
    [got] = smtp_server.messages
    assert got.rcpt_tos == ["note@example.org"]
    assert got.message["Subject"] == "paperwire: no arXiv announcement (Sat 05 Dec 2026)"
    assert "arXiv made no announcement on Saturday, 05 December 2026" in body(got.message, "plain")
    # A later send of Friday's digest (by date) still goes out to both.
    friday = send(filled, smtp_server, database_url, tmp_path, saturday, day=FRIDAY)
    assert friday.sent == 2


def test_a_subscriber_gone_after_planning_is_skipped(
    filled: Store, smtp_server: MailServer, database_url: str, tmp_path: Path
) -> None:
    stays = subscribe(filled, "stays@example.org")
    leaves = subscribe(filled, "leaves@example.org")
    filled.plan_digests("daily", KEY, now=FRIDAY_MORNING)
    filled.unsubscribe(leaves.id, now=FRIDAY_MORNING)
    result = send(filled, smtp_server, database_url, tmp_path, Clock())
    assert (result.sent, result.skipped) == (1, 1)
    assert recipients(smtp_server.messages) == [stays.email]
    assert filled.outbox_statuses(KEY) == {stays.id: "sent", leaves.id: "skipped"}
