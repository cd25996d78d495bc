"""Sending mail: the one way every part of paperwire (sign-in links, confirmations,
digests) hands a message to the outside world.

``Mailer`` is the protocol; ``build_mailer(settings)`` picks the implementation:
``SmtpMailer`` when ``PAPERWIRE_SMTP_HOST`` is set, else ``LogMailer``, which writes
each message to the log so a laptop demo can still follow a sign-in link. Every
failure is a ``MailError`` whose ``temporary`` says whether sending again later may
work (4xx replies, refused or dropped connections, timeouts) or not (5xx replies, a
certificate that does not verify), so an outbox knows what to retry.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Literal, Protocol

from paperwire.config import Settings

log = logging.getLogger("paperwire.mail")

Security = Literal["none", "starttls", "tls"]


class MailError(Exception):
    """A message was not sent. ``temporary``: the same message may go through later
    (retry with backoff); otherwise it never will as it is (record and stop).
    ``code`` is the SMTP reply code when the server gave one. ``connection``: the
    failure was the server's or the settings', not this message's (it could not be
    reached, refused TLS or AUTH, closed the connection, or answered 421), so every
    other message would fail alike: an outbox stops and keeps them all for later."""

    def __init__(
        self, message: str, *, temporary: bool, code: int | None = None, connection: bool = False
    ) -> None:
        super().__init__(message)
        self.temporary = temporary
        self.code = code
        self.connection = connection


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to its To/Cc/Bcc recipients or raise ``MailError``."""
        ...

    def batch(self) -> AbstractContextManager[object]:
        """A block in which several ``send`` calls may share one connection."""
        ...


def recipients(message: EmailMessage) -> list[str]:
    """The addresses a message goes to (To, Cc, Bcc), as smtplib reads them."""
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [address for _name, address in getaddresses(fields) if address]


def plain_text(message: EmailMessage) -> str:
    """The plain-text body of ``message`` (its text/plain part when multipart)."""
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content = part.get_content()  # type: ignore[attr-defined]
    return content if isinstance(content, str) else ""


class NullMailer:
    """Sends nothing and keeps nothing: for when mail is off (a dry run)."""

    def send(self, message: EmailMessage) -> None:
        return None

    def batch(self) -> AbstractContextManager[object]:
        return nullcontext()


class LogMailer:
    """No SMTP server configured: each message's recipients, subject and plain-text
    body go to the ``paperwire.mail`` log at WARNING (the message was not delivered,
    and the default logging shows warnings), so the person running a demo can read
    a sign-in link there."""

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or log

    def send(self, message: EmailMessage) -> None:
        self._log.warning(
            "mail not sent (no PAPERWIRE_SMTP_HOST); to: %s; subject: %s\n%s",
            ", ".join(recipients(message)),
            message.get("Subject", ""),
            plain_text(message),
        )

    def batch(self) -> AbstractContextManager[object]:
        return nullcontext()


class SmtpMailer:
    """SMTP with the security the settings name: ``none`` (plain, port 25 or any),
    ``starttls`` (587: the connection is upgraded before AUTH or any mail) or ``tls``
    (465: TLS from the first byte). Certificates are verified against
    ``ssl_context`` (the system's trust store by default). Each send opens its own
    connection unless it runs inside ``batch()``, which keeps one open."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: Security = "starttls",
        username: str = "",
        password: str = "",
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self._password = password
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._connection: smtplib.SMTP | None = None
        self._batching = False

    def __repr__(self) -> str:  # the password stays out of any log line
        return f"SmtpMailer({self.host}:{self.port}, security={self.security})"

    @classmethod
    def from_settings(
        cls, settings: Settings, *, ssl_context: ssl.SSLContext | None = None
    ) -> SmtpMailer:
        return cls(
            settings.smtp_host,
            settings.smtp_port_or_default(),
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value(),
            timeout=settings.smtp_timeout,
            ssl_context=ssl_context,
        )

    @contextmanager
    def batch(self) -> Iterator[object]:
        self._batching = True
        try:
            yield self
        finally:
            self._batching = False
            self._close()

    def send(self, message: EmailMessage) -> None:
        to = recipients(message)
        if not to:
            raise MailError(f"{self._server()}: message has no recipient", temporary=False)
        connecting = self._connection is None
        try:
            connection = self._connection or self._connect()
            self._connection = connection
            connecting = False
            refused = connection.send_message(message)
        except Exception as exc:
            self._close()  # after a failure the SMTP conversation is in an unknown state: start afresh
            error = self._error(exc, to)
            error.connection = connecting or error.connection
            raise error from exc
        finally:
            if not self._batching:
                self._close()
        if refused:
            # Some recipients took it and these did not; sending again would repeat it
            # to the others, so the caller records it rather than retrying blindly.
            codes = {code for code, _reply in refused.values()}
            detail = "; ".join(
                f"{addr}: {code} {self._text(reply)}" for addr, (code, reply) in refused.items()
            )
            raise MailError(
                f"{self._server()}: refused some recipients: {detail}",
                temporary=all(400 <= c < 500 for c in codes),
                code=min(codes),
            )

    # --- connection --------------------------------------------------------------

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            self._ssl_context = ssl.create_default_context()
        return self._ssl_context

    def _connect(self) -> smtplib.SMTP:
        connection: smtplib.SMTP
        if self.security == "tls":
            connection = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=self._context()
            )
        else:
            connection = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if self.security == "starttls":
                connection.starttls(context=self._context())
                connection.ehlo()
            if self.username:
                connection.login(self.username, self._password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()

    # --- errors ------------------------------------------------------------------

    def _server(self) -> str:
        return f"SMTP {self.host}:{self.port}"

    def _text(self, reply: bytes | str) -> str:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        text = " ".join(text.split())[:300]
        # A server may echo what it was sent; the password never reaches a message.
        return text.replace(self._password, "***") if self._password else text

    def _error(self, exc: BaseException, to: list[str]) -> MailError:
        where = f"{self._server()}: sending to {', '.join(to)}"
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            codes = {code for code, _reply in exc.recipients.values()}
            detail = "; ".join(
                f"{addr}: {code} {self._text(reply)}"
                for addr, (code, reply) in exc.recipients.items()
            )
            return MailError(
                f"{where}: recipients refused: {detail}",
                temporary=all(400 <= c < 500 for c in codes),
                code=min(codes) if codes else None,
                connection=421 in codes,
            )
        if isinstance(exc, smtplib.SMTPResponseException):
            # SMTPSenderRefused, SMTPDataError, SMTPAuthenticationError, SMTPConnectError…
            code = exc.smtp_code
            kind = type(exc).__name__.removeprefix("SMTP")
            return MailError(
                f"{where}: {kind}: {code} {self._text(exc.smtp_error)}",
                temporary=400 <= code < 500,
                code=code,
                # 421: the service is closing the connection, whatever the message.
                connection=code == 421,
            )
        if isinstance(exc, smtplib.SMTPServerDisconnected):
            return MailError(
                f"{where}: server closed the connection: {exc}", temporary=True, connection=True
            )
        if isinstance(exc, ssl.SSLError):
            # A certificate that does not verify or a TLS version mismatch is the
            # configuration's, and stays so until someone changes it.
            return MailError(f"{where}: TLS failed: {exc}", temporary=False)
        if isinstance(exc, smtplib.SMTPException):
            # (smtplib's errors are OSErrors too, so they go first.)
            # STARTTLS or AUTH not offered, no common AUTH mechanism: configuration.
            return MailError(f"{where}: {self._text(str(exc))}", temporary=False)
        if isinstance(exc, OSError):
            # Connection refused, unreachable, timed out, name not resolved: the
            # server may be back later.
            reason = exc.strerror or type(exc).__name__
            return MailError(
                f"{where}: cannot connect or lost connection: {reason}",
                temporary=True,
                connection=True,
            )
        return MailError(f"{where}: {type(exc).__name__}: {exc}", temporary=False)


def build_mailer(settings: Settings, *, ssl_context: ssl.SSLContext | None = None) -> Mailer:
    """``SmtpMailer`` when an SMTP host is set, else ``LogMailer``."""
    if settings.smtp_host:
        return SmtpMailer.from_settings(settings, ssl_context=ssl_context)
    return LogMailer()
