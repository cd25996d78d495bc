"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

``mail_server(security=…)`` starts one in a thread: plain SMTP (``none``), STARTTLS
offered and required (``starttls``) or TLS from the first byte (``tls``), with a test
CA's certificate for 127.0.0.1 (trustme); ``server.client_context`` trusts that CA,
the way an operator's system trust store would trust a real one. ``users`` turns on
AUTH (PLAIN/LOGIN), over TLS only unless ``auth_require_tls=False``. To make the
server fail, set ``server.handler.rcpt_reply`` or ``.data_reply`` to a reply such as
``"451 4.3.0 Try again later"``; ``.rcpt_replies`` answers chosen addresses so
(``{"a@example.org": "550 5.1.1 No such user"}``), the others as usual.
``.on_mail`` / ``.on_data`` are called with the number of the command (from 1) when
a MAIL FROM or a DATA arrives, before any answer: a test stops a sender there; a reply
``on_data`` returns is the answer instead, and the message is not kept.

The tests of mail, sign-in and digests all read what they sent from here.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, Literal, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    peer: tuple[str, int]  # the client's address: one connection, one peer port
    tls: bool
    login: str | None
    raw: bytes = b""  # the message as it came over the wire


@dataclass
class RecordingHandler:
    messages: list[Received] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    on_mail: Callable[[int], None] | None = None
    on_data: Callable[[int], str | None] | None = None
    mails: int = 0  # MAIL FROM commands seen
    datas: int = 0  # DATA commands seen

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: Any
    ) -> str:
        self.mails += 1
        if self.on_mail is not None:
            self.on_mail(self.mails)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    # aiosmtpd calls hooks by these names.
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.datas += 1
        if self.on_data is not None:
            reply = self.on_data(self.datas)
            if reply:
                return reply
        if self.data_reply:
            return self.data_reply
        login = session.auth_data.login.decode() if session.authenticated else None
        message = cast(EmailMessage, message_from_bytes(envelope.content, policy=policy.default))
        self.messages.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                message=message,
                peer=tuple(session.peer[:2]),
                # STARTTLS sets session.ssl; under implicit TLS the transport is TLS.
                tls=session.ssl is not None
                or server.transport.get_extra_info("ssl_object") is not None,
                login=login,
                raw=envelope.content,
            )
        )
        return "250 Message accepted"


@dataclass
class MailServer:
    host: str
    port: int
    security: Literal["none", "starttls", "tls"]
    handler: RecordingHandler
    client_context: ssl.SSLContext | None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """The ``Settings`` fields that point paperwire at this server."""
        return {
            "smtp_host": self.host,
            "smtp_port": self.port,
            "smtp_security": self.security,
            **overrides,
        }


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _tls_contexts() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    import trustme

    ca = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "localhost").configure_cert(server)
    client = ssl.create_default_context()
    ca.configure_trust(client)
    return server, client


class _Authenticator:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            if self.users.get(login) == password:
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


@contextmanager
def mail_server(
    *,
    security: Literal["none", "starttls", "tls"] = "none",
    users: dict[str, str] | None = None,
    auth_require_tls: bool = True,
) -> Iterator[MailServer]:
    handler = RecordingHandler()
    kwargs: dict[str, Any] = {"server_hostname": "localhost"}
    client_context = None
    if security != "none":
        server_context, client_context = _tls_contexts()
        if security == "tls":
            kwargs["ssl_context"] = server_context
        else:
            kwargs["tls_context"] = server_context
            kwargs["require_starttls"] = True
    if users is not None:
        kwargs["authenticator"] = _Authenticator(users)
        # aiosmtpd counts only STARTTLS as TLS: under implicit TLS the connection is
        # encrypted from the first byte, yet it would not offer AUTH.
        kwargs["auth_require_tls"] = auth_require_tls and security != "tls"
    port = free_port()
    controller = Controller(handler, hostname=HOST, port=port, **kwargs)
    controller.start()
    try:
        yield MailServer(HOST, port, security, handler, client_context)
    finally:
        controller.stop()
