"""One way to make a message paperwire sends: plain text, optionally an HTML
alternative, and the headers every message carries (From, To, Subject, Date,
Message-ID).

A digest send makes thousands of messages, so this is written for speed without
changing what a message says: the parts are put together directly rather than with
``set_content``/``add_alternative``, a body is encoded by C code (``binascii``), and
headers that need no encoding are kept as text (``_Policy``)."""

from __future__ import annotations

import binascii
import random
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email.headerregistry import BaseHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from paperwire.config import Settings

# Header lines up to RFC 5322's 998 characters: with the default 78, a header holding a
# long URL and no space to fold at (a List-Unsubscribe link) is written as RFC 2047
# encoded words, which mail clients do not read as links.
MAX_LINE = 998
# Printable ASCII, no space at either end: the header registry would write it as it is.
_PLAIN = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
_BARE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_ADDRESS_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "reply-to", "sender"}
    | {"resent-from", "resent-to", "resent-cc", "resent-bcc", "resent-sender"}
)


def _as_is(name: str, value: str) -> bool:
    """Whether ``value`` goes out exactly as written: nothing to encode, quote or fold."""
    if len(name) + 2 + len(value) > MAX_LINE or not _PLAIN.fullmatch(value):
        return False
    return name.lower() not in _ADDRESS_HEADERS or _BARE_ADDRESS.fullmatch(value) is not None


class _Policy(EmailPolicy):
    """``policy.default`` with shortcuts that change no byte of a message. A header
    value that needs no encoding, quoting or folding (``_as_is``) is kept as text, as a
    parsed message keeps its headers, instead of being parsed into a header object
    that is refolded when the message is written; a value read back is parsed once and
    the object reused (header objects are immutable, and the sender and the parts'
    Content-Type repeat in every message). A line break in a value still raises
    ``ValueError``: nothing user-typed can add headers."""

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if isinstance(value, str) and _as_is(name, value):
            return (name, value)
        if isinstance(value, str) and len(value.splitlines()) <= 1:
            return (name, _parsed(name, value))
        return super().header_store_parse(name, value)

    def header_max_count(self, name: str) -> int | None:
        return _max_count(name.lower())

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and "\r" not in value and "\n" not in value:
            return _parsed(name, value)
        return super().header_fetch_parse(name, value)


@lru_cache(maxsize=64)
def _max_count(name: str) -> int | None:
    # The registry makes a new class each time it is asked, for every header set.
    registry: Any = POLICY.header_factory  # a HeaderRegistry, typed as a callable
    return registry[name].max_count  # type: ignore[no-any-return]


@lru_cache(maxsize=1024)
def _parsed(name: str, value: str) -> BaseHeader:
    return POLICY.header_factory(name, value)  # type: ignore[no-any-return]


POLICY = _Policy(max_line_length=MAX_LINE)


def _body(text: str) -> tuple[str, str]:
    """``text`` with one ``\\n`` after each line, and its Content-Transfer-Encoding:
    7bit when it is ASCII in lines that fit, else the shorter of quoted-printable and
    base64 (both 7-bit clean, so no server needs 8BITMIME)."""
    data = b"\n".join(text.encode("utf-8").splitlines()) + b"\n"
    if data.isascii() and max(map(len, data.split(b"\n"))) <= MAX_LINE:
        return data.decode("ascii"), "7bit"
    qp = binascii.b2a_qp(data, istext=True)
    b64 = binascii.b2a_base64(data, newline=False)
    if len(qp) <= len(b64) * 1.03:  # (base64's line breaks are still to come)
        return qp.decode("ascii"), "quoted-printable"
    lines = [b64[i : i + 76] for i in range(0, len(b64), 76)]
    return (b"\n".join(lines) + b"\n").decode("ascii"), "base64"


def _part(text: str, subtype: str) -> EmailMessage:
    body, encoding = _body(text)
    part = EmailMessage(policy=POLICY)
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    part["Content-Transfer-Encoding"] = encoding
    part.set_payload(body)
    return part


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
    message["MIME-Version"] = "1.0"
    if html is None:
        plain = _part(text, "plain")
        message["Content-Type"] = plain["Content-Type"]
        message["Content-Transfer-Encoding"] = plain["Content-Transfer-Encoding"]
        message.set_payload(plain.get_payload())
        return message
    parts = [_part(text, "plain"), _part(html, "html")]
    # As the generator makes one (it need not be secret), without its scan of the text.
    boundary = "=" * 15 + f"{random.getrandbits(64):020d}" + "=="
    while any(boundary in str(p.get_payload()) for p in parts):  # never in practice
        boundary += "."
    message["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
    for part in parts:
        message.attach(part)
    return message
