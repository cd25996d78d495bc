"""One way to make a message paperwire sends: plain text, optionally an HTML
alternative, and the headers every message carries (From, To, Subject, Date,
Message-ID)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from urllib.parse import urlsplit

from paperwire.config import Settings

# Header lines up to RFC 5322's 998 characters: with the default 78, a header holding a
# long URL and no space to fold at (a List-Unsubscribe link) is written as RFC 2047
# encoded words, which mail clients do not read as a link.
POLICY = policy.default.clone(max_line_length=998)


def build_message(
    settings: Settings,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """A message from ``PAPERWIRE_MAIL_FROM`` to ``to``: ``text`` as text/plain and,
    when given, ``html`` as its text/html alternative (clients show the last part they
    can). The Message-ID names the site's host (``PAPERWIRE_BASE_URL``), not this
    machine's, whose name may be private. A header value holding a line break raises
    ``ValueError``: nothing user-typed can add headers."""
    message = EmailMessage(policy=POLICY)
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.base_url).hostname or "localhost")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message
