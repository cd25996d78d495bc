"""Mail through a real SMTP server on loopback, in each security mode, and the
failures an outbox must tell apart: try again later, or never."""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest

from paperwire.config import Settings
from paperwire.digest.mailer import (
    LogMailer,
    MailError,
    NullMailer,
    SmtpMailer,
    build_mailer,
)
from paperwire.digest.message import build_message
from tests.mail_server import HOST, MailServer, free_port, mail_server

BASE = "https://papers.example.org"


def settings_for(server: MailServer | None = None, **overrides: object) -> Settings:
    fields = server.settings(**overrides) if server else dict(overrides)
    return Settings(base_url=BASE, mail_from="paperwire <news@papers.example.org>", **fields)


def a_message(settings: Settings, to: str = "reader@example.com") -> object:
    return build_message(
        settings,
        to=to,
        subject="Your sign-in link",
        text="Open https://papers.example.org/auth/x?t=abc to sign in.\n",
        html='<p>Open <a href="https://papers.example.org/auth/x?t=abc">this link</a></p>',
    )


def send(server: MailServer, **overrides: object) -> None:
    settings = settings_for(server, **overrides)
    mailer = build_mailer(settings, ssl_context=server.client_context)
    mailer.send(a_message(settings))  # type: ignore[arg-type]


def test_plain_delivery_carries_headers_and_both_parts(smtp_server: MailServer) -> None:
    settings = settings_for(smtp_server, smtp_security="none")
    mailer = build_mailer(settings)
    assert isinstance(mailer, SmtpMailer)
    mailer.send(a_message(settings))  # type: ignore[arg-type]

    [got] = smtp_server.messages
    assert got.rcpt_tos == ["reader@example.com"]
    assert got.mail_from == "news@papers.example.org"
    assert not got.tls and got.login is None
    message = got.message
    assert message["From"] == "paperwire <news@papers.example.org>"
    assert message["To"] == "reader@example.com"
    assert message["Subject"] == "Your sign-in link"
    assert message["Message-ID"].endswith("@papers.example.org>")
    sent_at = parsedate_to_datetime(message["Date"])
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 60
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert "t=abc to sign in" in plain.get_content()
    assert '<a href="https://papers.example.org/auth/x?t=abc">' in html.get_content()


def test_a_header_value_cannot_smuggle_headers() -> None:
    with pytest.raises(ValueError):
        build_message(
            settings_for(), to="a@example.com\r\nBcc: b@example.com", subject="s", text="t"
        )


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_mail_goes_over_tls(security: str) -> None:
    """STARTTLS upgrades before MAIL; implicit TLS is encrypted from the start."""
    with mail_server(security=security) as server:  # type: ignore[arg-type]
        send(server)
        [got] = server.messages
        assert got.tls


def test_starttls_refuses_a_certificate_it_cannot_verify() -> None:
    # The system trust store does not know the test CA: verification is on by default.
    with mail_server(security="starttls") as server:
        mailer = build_mailer(settings_for(server))
        with pytest.raises(MailError) as caught:
            mailer.send(a_message(settings_for(server)))  # type: ignore[arg-type]
        assert caught.value.temporary is False
        assert "TLS" in str(caught.value)
        assert server.messages == []


def test_default_ports_follow_the_security_mode() -> None:
    assert Settings(smtp_security="none").smtp_port_or_default() == 25
    assert Settings(smtp_security="starttls").smtp_port_or_default() == 587
    assert Settings(smtp_security="tls").smtp_port_or_default() == 465
    assert Settings(smtp_security="tls", smtp_port=2465).smtp_port_or_default() == 2465


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_auth_over_tls(security: str) -> None:
    with mail_server(security=security, users={"alice": "s3cret-pass"}) as server:  # type: ignore[arg-type]
        send(server, smtp_username="alice", smtp_password="s3cret-pass")
        [got] = server.messages
        assert got.login == "alice" and got.tls


def test_wrong_password_is_permanent_and_never_shown() -> None:
    with mail_server(security="starttls", users={"alice": "right-one"}) as server:
        with pytest.raises(MailError) as caught:
            send(server, smtp_username="alice", smtp_password="wrong-pass-XYZ")
        error = caught.value
        assert error.temporary is False and error.code == 535
        assert error.connection  # every message would fail alike: the settings' fault
        assert "wrong-pass-XYZ" not in str(error)
        assert "wrong-pass-XYZ" not in repr(
            build_mailer(
                settings_for(server, smtp_username="alice", smtp_password="wrong-pass-XYZ")
            )
        )
        assert server.messages == []


def test_auth_on_a_plain_connection_when_the_server_allows_it() -> None:
    with mail_server(users={"bob": "pw-bob-123"}, auth_require_tls=False) as server:
        send(server, smtp_username="bob", smtp_password="pw-bob-123")
        [got] = server.messages
        assert got.login == "bob" and not got.tls


def test_4xx_is_temporary(smtp_server: MailServer) -> None:
    smtp_server.handler.data_reply = "451 4.3.0 Try again later"
    with pytest.raises(MailError) as caught:
        send(smtp_server, smtp_security="none")
    error = caught.value
    assert error.temporary is True and error.code == 451
    assert not error.connection  # this message's answer: the next one may go through
    assert f"{HOST}:{smtp_server.port}" in str(error)
    assert "reader@example.com" in str(error)
    assert "Try again later" in str(error)


def test_5xx_is_permanent(smtp_server: MailServer) -> None:
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such user"
    with pytest.raises(MailError) as caught:
        send(smtp_server, smtp_security="none")
    error = caught.value
    assert error.temporary is False and error.code == 550 and not error.connection
    assert "reader@example.com" in str(error) and "No such user" in str(error)


def test_refused_connection_is_temporary() -> None:
    port = free_port()  # nothing listens there any more
    mailer = SmtpMailer(HOST, port, security="none", timeout=5)
    with pytest.raises(MailError) as caught:
        mailer.send(a_message(settings_for()))  # type: ignore[arg-type]
    assert caught.value.temporary is True and caught.value.connection
    assert f"{HOST}:{port}" in str(caught.value)
    assert "reader@example.com" in str(caught.value)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind((HOST, 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in accepted:
            conn.close()
        listener.close()


def test_a_server_that_never_answers_times_out_as_temporary(silent_server: int) -> None:
    mailer = SmtpMailer(HOST, silent_server, security="none", timeout=0.5)
    with pytest.raises(MailError) as caught:
        mailer.send(a_message(settings_for()))  # type: ignore[arg-type]
    assert caught.value.temporary is True and caught.value.connection


def test_a_batch_reuses_one_connection(smtp_server: MailServer) -> None:
    settings = settings_for(smtp_server, smtp_security="none")
    mailer = build_mailer(settings)
    with mailer.batch():
        for n in range(3):
            mailer.send(a_message(settings, to=f"r{n}@example.com"))  # type: ignore[arg-type]
    mailer.send(a_message(settings, to="after@example.com"))  # type: ignore[arg-type]
    peers = [m.peer for m in smtp_server.messages]
    assert len(peers) == 4
    assert len(set(peers[:3])) == 1 and peers[3] != peers[0]


def test_a_batch_goes_on_after_a_failure(smtp_server: MailServer) -> None:
    settings = settings_for(smtp_server, smtp_security="none")
    mailer = build_mailer(settings)
    with mailer.batch():
        smtp_server.handler.rcpt_reply = "452 4.2.2 Mailbox full"
        with pytest.raises(MailError):
            mailer.send(a_message(settings, to="full@example.com"))  # type: ignore[arg-type]
        smtp_server.handler.rcpt_reply = None
        mailer.send(a_message(settings, to="ok@example.com"))  # type: ignore[arg-type]
    assert [m.rcpt_tos for m in smtp_server.messages] == [["ok@example.com"]]


def test_no_smtp_host_logs_the_message(caplog: pytest.LogCaptureFixture) -> None:
    settings = settings_for()
    mailer = build_mailer(settings)
    assert isinstance(mailer, LogMailer)
    with caplog.at_level(logging.INFO, logger="paperwire.mail"):
        mailer.send(a_message(settings))  # type: ignore[arg-type]
    [record] = [r for r in caplog.records if r.name == "paperwire.mail"]
    text = record.getMessage()
    assert "reader@example.com" in text
    assert "Your sign-in link" in text
    assert "https://papers.example.org/auth/x?t=abc to sign in" in text
    assert "<a href" not in text  # the plain-text part, not the HTML
    assert record.levelno >= logging.WARNING  # shown without any logging set up


def test_null_mailer_sends_nothing(smtp_server: MailServer) -> None:
    NullMailer().send(a_message(settings_for()))  # type: ignore[arg-type]
    assert smtp_server.messages == []


def test_the_client_context_is_what_verifies() -> None:
    # Guards the TLS tests above: the test CA really is required.
    with mail_server(security="tls") as server:
        assert server.client_context is not None
        plain = ssl.create_default_context()
        with pytest.raises(ssl.SSLError), socket.create_connection((HOST, server.port), 5) as s:
            plain.wrap_socket(s, server_hostname=HOST).close()


def test_starttls_required_but_not_offered_is_permanent(smtp_server: MailServer) -> None:
    # Never fall back to plain text when the settings ask for STARTTLS.
    with pytest.raises(MailError) as caught:
        send(smtp_server, smtp_security="starttls")
    assert caught.value.temporary is False
    assert "STARTTLS" in str(caught.value)
    assert smtp_server.messages == []


def test_421_closes_the_service_for_every_message(smtp_server: MailServer) -> None:
    smtp_server.handler.rcpt_reply = "421 4.3.2 Service shutting down"
    with pytest.raises(MailError) as caught:
        send(smtp_server, smtp_security="none")
    assert caught.value.temporary and caught.value.code == 421 and caught.value.connection


@pytest.mark.parametrize(
    ("sender", "to", "subject", "text", "html"),
    [
        ("paperwire <news@papers.example.org>", "reader@example.com", "plain", "a\nb\n", None),
        (
            "Papierdraht \u00dc <news@papers.example.org>",
            "Ren\u00e9e <renee@example.com>",
            "Digest \u2014 41 papers \u2603",
            "Caf\u00e9 \u2026\n" + "x" * 1500 + "\n trailing space \n",
            "<p>" + "\u00e9t\u00e9 \u00b7 " * 400 + "</p>\n<p>=3D &amp;</p>",
        ),
        (
            "news@papers.example.org",
            "r@example.com",
            "CJK",
            "\u8ad6\u6587\n" * 500,
            "\u8ad6<br>\n" * 300,
        ),
    ],
)
def test_a_message_reads_back_as_built_and_is_7bit(
    sender: str, to: str, subject: str, text: str, html: str | None
) -> None:
    """Whatever the encoding chosen for speed, a standard parser reads back exactly what
    was given, and the message needs no 8BITMIME (lines of at most 998 characters)."""
    settings = Settings(base_url=BASE, mail_from=sender)
    built = build_message(
        settings,
        to=to,
        subject=subject,
        text=text,
        html=html,
        headers={"List-Unsubscribe": "<https://papers.example.org/u/" + "t" * 200 + ">"},
    )
    raw = built.as_bytes(policy=built.policy.clone(linesep="\r\n"))
    assert raw.isascii()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["From"] == sender and parsed["To"] == to and parsed["Subject"] == subject
    assert parsed["Message-ID"] == built["Message-ID"]
    assert parsed["List-Unsubscribe"] == "<https://papers.example.org/u/" + "t" * 200 + ">"
    plain = parsed.get_body(preferencelist=("plain",))
    assert plain is not None
    assert plain.get_content().replace("\r\n", "\n") == "\n".join(text.splitlines()) + "\n"
    if html is None:
        assert parsed.get_content_type() == "text/plain"
    else:
        assert parsed.get_content_type() == "multipart/alternative"
        part = parsed.get_body(preferencelist=("html",))
        assert (
            part is not None
            and part.get_content().replace("\r\n", "\n") == "\n".join(html.splitlines()) + "\n"
        )
