"""Accounts in the store and the domain, on both backends: sign-in links used once and
expiring, only hashes at rest, sessions, API tokens kept to their owner, fixed-window
rate limits shared through the database, and the audit log."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from paperwire.community import accounts, audit
from paperwire.community.ratelimit import RateLimited, check_rate, window_start
from paperwire.config import Settings
from paperwire.digest.mailer import build_mailer
from paperwire.errors import InvalidParameter
from paperwire.store import Store
from tests.community.helpers import make_user, sign_in_token
from tests.mail_server import MailServer

NOW = datetime(2026, 3, 2, 10, 1, tzinfo=UTC)  # one minute into a 15-minute window


def ask(
    store: Store, settings: Settings, email: str, *, now: datetime = NOW, ip: str = "192.0.2.1"
) -> None:
    accounts.request_sign_in(
        store, build_mailer(settings), settings, email=email, client_ip=ip, now=now
    )


def test_a_link_signs_in_once_and_makes_the_account(
    store: Store, mail_settings: Settings, smtp_server: MailServer
) -> None:
    ask(store, mail_settings, " New.Reader@Example.ORG ")
    [received] = smtp_server.messages
    assert received.rcpt_tos == ["new.reader@example.org"]
    token = sign_in_token(smtp_server)
    assert store.get_user_by_email("new.reader@example.org") is None  # not before the link is used
    session = accounts.sign_in_with_link(
        store, token, now=NOW + timedelta(minutes=1), session_days=30
    )
    assert session.user.email == "new.reader@example.org" and session.user.role == "user"
    assert accounts.session_user(store, session.token, now=NOW) == session.user
    with pytest.raises(accounts.SignInLinkInvalid):
        accounts.sign_in_with_link(store, token, now=NOW + timedelta(minutes=2), session_days=30)


def test_a_link_expires_after_15_minutes(
    store: Store, mail_settings: Settings, smtp_server: MailServer
) -> None:
    ask(store, mail_settings, "late@example.org")
    ask(store, mail_settings, "late@example.org")
    late, in_time = sign_in_token(smtp_server, 0), sign_in_token(smtp_server, 1)
    with pytest.raises(accounts.SignInLinkInvalid):
        accounts.sign_in_with_link(store, late, now=NOW + timedelta(minutes=15), session_days=30)
    session = accounts.sign_in_with_link(
        store, in_time, now=NOW + timedelta(minutes=14, seconds=59), session_days=30
    )
    assert session.user.email == "late@example.org"


def test_unknown_and_made_up_tokens_are_refused(store: Store) -> None:
    for token in ("", "x" * 500, "not-a-token"):
        with pytest.raises(accounts.SignInLinkInvalid):
            accounts.sign_in_with_link(store, token, now=NOW, session_days=30)


def test_two_uses_of_one_link_at_once_sign_in_once(
    store: Store, mail_settings: Settings, smtp_server: MailServer
) -> None:
    ask(store, mail_settings, "race@example.org")
    token = sign_in_token(smtp_server)
    results: list[str] = []
    barrier = threading.Barrier(4)

    def use() -> None:
        barrier.wait()
        try:
            accounts.sign_in_with_link(store, token, now=NOW, session_days=30)
            results.append("in")
        except accounts.SignInLinkInvalid:
            results.append("refused")

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["in", "refused", "refused", "refused"]


def test_the_database_holds_no_secret(
    store: Store, mail_settings: Settings, smtp_server: MailServer
) -> None:
    ask(store, mail_settings, "secret@example.org")
    link = sign_in_token(smtp_server)
    ask(store, mail_settings, "secret@example.org")
    unused_link = sign_in_token(smtp_server)
    session = accounts.sign_in_with_link(store, link, now=NOW, session_days=30)
    api_token, _ = accounts.create_api_token(store, session.user, now=NOW, name="ci")
    with store._reading() as db:  # type: ignore[attr-defined]
        stored = [
            str(value)
            for table in ("login_tokens", "sessions", "api_tokens")
            for row in db.fetchall(f"SELECT * FROM {table}")
            for value in row.values()
        ]
    for secret in (link, unused_link, session.token, api_token):
        assert not any(secret in value for value in stored)
        assert accounts.hash_token(secret) in stored


def test_sessions_expire_and_end(store: Store) -> None:
    user = make_user(store, "s@example.org")
    first = accounts.start_session(store, user, now=NOW, days=30)
    second = accounts.start_session(store, user, now=NOW, days=30)
    assert accounts.session_user(store, first.token, now=NOW + timedelta(days=29)) == user
    assert accounts.session_user(store, first.token, now=NOW + timedelta(days=30)) is None
    accounts.end_session(store, first.token)
    assert accounts.session_user(store, first.token, now=NOW) is None
    assert accounts.session_user(store, second.token, now=NOW) == user
    third = accounts.start_session(store, user, now=NOW, days=30)
    assert accounts.end_all_sessions(store, user) == 2
    assert accounts.session_user(store, second.token, now=NOW) is None
    assert accounts.session_user(store, third.token, now=NOW) is None


def test_api_tokens_belong_to_their_owner(store: Store) -> None:
    ann = make_user(store, "ann@example.org")
    bob = make_user(store, "bob@example.org")
    token, token_id = accounts.create_api_token(store, ann, now=NOW, name="laptop")
    assert token.startswith("pw_") and len(token) > 40
    assert accounts.api_token_user(store, token, now=NOW) == ann
    [listed] = accounts.list_api_tokens(store, ann)
    assert (listed.id, listed.name, listed.last_used) == (token_id, "laptop", NOW)
    assert accounts.list_api_tokens(store, bob) == []
    assert not accounts.revoke_api_token(store, bob, token_id, now=NOW)  # not Bob's
    assert accounts.api_token_user(store, token, now=NOW) == ann
    assert accounts.revoke_api_token(store, ann, token_id, now=NOW)
    assert accounts.api_token_user(store, token, now=NOW) is None
    assert accounts.list_api_tokens(store, ann) == []
    assert not accounts.revoke_api_token(store, ann, token_id, now=NOW)  # once


def test_last_used_is_written_at_most_once_a_minute(store: Store) -> None:
    user = make_user(store, "t@example.org")
    token, _ = accounts.create_api_token(store, user, now=NOW)
    accounts.api_token_user(store, token, now=NOW)
    accounts.api_token_user(store, token, now=NOW + timedelta(seconds=30))
    assert accounts.list_api_tokens(store, user)[0].last_used == NOW
    accounts.api_token_user(store, token, now=NOW + timedelta(minutes=2))
    assert accounts.list_api_tokens(store, user)[0].last_used == NOW + timedelta(minutes=2)


def test_names_and_addresses_are_checked(store: Store) -> None:
    user = make_user(store, "n@example.org")
    assert accounts.rename_user(store, user, "  Ada   Lovelace ").name == "Ada Lovelace"
    assert accounts.rename_user(store, user, "").display_name == "n"
    for bad in ("x" * (accounts.NAME_MAX + 1), "evil\nname", "rtl\u202eoverride", "nul\x00"):
        with pytest.raises(InvalidParameter):
            accounts.rename_user(store, user, bad)
    for bad in (
        "",
        "no-at-sign",
        "a@b",
        "two@@example.org",
        "sp ace@example.org",
        "x" * 250 + "@e.org",
    ):
        with pytest.raises(InvalidParameter):
            accounts.normalise_email(bad)


def test_role_changes_are_audited_newest_first(store: Store) -> None:
    admin = make_user(store, "admin@example.org", role="admin", name="Root")
    make_user(store, "mod@example.org")
    accounts.set_role(store, "mod@example.org", "moderator", now=NOW)
    accounts.set_role(store, "MOD@example.org", "user", now=NOW + timedelta(minutes=1), actor=admin)
    accounts.set_role(store, "mod@example.org", "user", now=NOW + timedelta(minutes=2))  # no change
    entries = audit.list_entries(store)
    mod_id = store.get_user_by_email("mod@example.org").id  # type: ignore[union-attr]
    assert [(e.action, e.target, e.detail, e.actor_name) for e in entries[:2]] == [
        ("role", f"user:{mod_id}", "moderator → user", "Root"),
        ("role", f"user:{mod_id}", "user → moderator", None),
    ]
    assert entries[2].detail == "created as admin"
    assert len(entries) == 3
    older = audit.list_entries(store, limit=1, before=entries[0].id)
    assert [e.id for e in older] == [entries[1].id]
    with pytest.raises(InvalidParameter):
        accounts.set_role(store, "mod@example.org", "owner", now=NOW)
    with pytest.raises(InvalidParameter):
        accounts.set_role(store, "nobody@example.org", "admin", now=NOW)


def test_fixed_windows_limit_and_reopen(store: Store) -> None:
    window = timedelta(minutes=15)
    for _ in range(3):
        check_rate(store, "test:a", limit=3, window=window, now=NOW)
    with pytest.raises(RateLimited) as refused:
        check_rate(store, "test:a", limit=3, window=window, now=NOW + timedelta(seconds=30))
    # the window opened at 10:00 and ends at 10:15
    assert refused.value.retry_after == 810
    check_rate(store, "test:b", limit=3, window=window, now=NOW)  # buckets are apart
    check_rate(store, "test:a", limit=3, window=window, now=NOW + window)  # the next window


def test_old_windows_are_pruned(store: Store) -> None:
    window = timedelta(minutes=15)
    check_rate(store, "old", limit=5, window=window, now=NOW)
    check_rate(store, "new", limit=5, window=window, now=NOW + 3 * window)
    with store._reading() as db:  # type: ignore[attr-defined]
        buckets = [r["bucket"] for r in db.fetchall("SELECT bucket FROM rate_limits")]
    assert buckets == ["new"]


def test_windows_are_aligned() -> None:
    assert window_start(NOW, timedelta(minutes=15)) == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_sign_in_limits_per_address_quietly_and_per_ip_loudly(
    store: Store, mail_settings: Settings, smtp_server: MailServer
) -> None:
    for i in range(accounts.SIGN_IN_PER_ADDRESS + 2):
        ask(store, mail_settings, "flood@example.org", ip=f"198.51.100.{i}")
    assert len(smtp_server.messages) == accounts.SIGN_IN_PER_ADDRESS  # no error, no more mail
    for i in range(accounts.SIGN_IN_PER_IP):
        ask(store, mail_settings, f"r{i}@example.org", ip="203.0.113.9")
    with pytest.raises(RateLimited):
        ask(store, mail_settings, "one-more@example.org", ip="203.0.113.9")
    ask(
        store,
        mail_settings,
        "one-more@example.org",
        ip="203.0.113.9",
        now=NOW + timedelta(minutes=15),
    )
