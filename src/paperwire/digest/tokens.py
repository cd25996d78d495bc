"""Signed links of a subscription: confirm it, manage it, unsubscribe from it, without
signing in. The link is its own authority, so it is built to be unforgeable and
revocable:

- the token is ``<id>.<signature>``, the signature an HMAC-SHA256 over the
  subscription id, the link's purpose and the row's ``nonce``, keyed by a key derived
  from the site's secret key (``secret.load_secret_key``) for this use alone;
- a purpose never opens another (a confirmation link cannot unsubscribe);
- a new nonce (an unsubscribed address subscribing again) voids every earlier link;
- signatures are compared in constant time.

Links do not expire: an unsubscribe link in a months-old digest must still work.

``confirm_url``, ``manage_url`` and ``unsubscribe_url`` are the absolute links mail
and pages carry (built from ``PAPERWIRE_BASE_URL``); ``unsubscribe_mailto`` is the
``mailto:`` of a ``List-Unsubscribe`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from email.utils import parseaddr
from typing import Literal
from urllib.parse import quote

from paperwire.config import Settings
from paperwire.errors import InvalidParameter
from paperwire.models import Subscription
from paperwire.secret import load_secret_key
from paperwire.store import Store

Purpose = Literal["confirm", "manage", "unsubscribe"]
PURPOSES: tuple[Purpose, ...] = ("confirm", "manage", "unsubscribe")
PATHS: dict[Purpose, str] = {
    "confirm": "/subscriptions/confirm/",
    "manage": "/subscriptions/manage/",
    "unsubscribe": "/subscriptions/unsubscribe/",
}
# An id of at most 18 digits (fits 64 bits) and a 43-character base64url signature.
_TOKEN = re.compile(r"([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{43})")
MAX_TOKEN_LENGTH = 62
_KEY_LABEL = b"paperwire subscription links v1"


class LinkInvalid(Exception):
    """The link names no subscription, or its signature does not match (tampered,
    for another purpose, or voided by a new nonce)."""


def links_key(settings: Settings) -> bytes:
    """The key of subscription links: derived from the site's secret key, so it
    signs nothing else and nothing else signed with the secret key passes here.
    Kept per key source, so a digest run signing thousands of links reads the key
    file once."""
    source = (settings.secret_key.get_secret_value(), str(settings.data_dir))
    key = _derived.get(source)
    if key is None:
        key = hmac.new(load_secret_key(settings), _KEY_LABEL, hashlib.sha256).digest()
        _derived[source] = key
    return key


_derived: dict[tuple[str, str], bytes] = {}


def _signature(key: bytes, subscription_id: int, purpose: Purpose, nonce: str) -> str:
    mac = hmac.new(key, f"{purpose}\n{subscription_id}\n{nonce}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode("ascii")


def sign(key: bytes, sub: Subscription, purpose: Purpose) -> str:
    """The token of ``sub``'s ``purpose`` link."""
    return f"{sub.id}.{_signature(key, sub.id, purpose, sub.nonce)}"


def parse_token(token: str) -> tuple[int, str]:
    """The subscription id and signature of a token; ``InvalidParameter`` (a 400) when
    it does not even have a token's shape."""
    match = _TOKEN.fullmatch(token) if len(token) <= MAX_TOKEN_LENGTH else None
    if match is None:
        raise InvalidParameter("token", "is not a subscription link")
    return int(match.group(1)), match.group(2)


def verify(store: Store, key: bytes, token: str, purpose: Purpose) -> Subscription:
    """The subscription a ``purpose`` link opens, or ``LinkInvalid``."""
    subscription_id, signature = parse_token(token)
    sub = store.get_subscription(subscription_id)
    # Compute a signature even for an unknown id, so timing says nothing of which exist.
    expected = _signature(key, subscription_id, purpose, sub.nonce if sub else "")
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")) or sub is None:
        raise LinkInvalid("this link is not valid (any more)")
    return sub


def link_url(settings: Settings, sub: Subscription, purpose: Purpose) -> str:
    return settings.public_url(PATHS[purpose] + sign(links_key(settings), sub, purpose))


def confirm_url(settings: Settings, sub: Subscription) -> str:
    return link_url(settings, sub, "confirm")


def manage_url(settings: Settings, sub: Subscription) -> str:
    return link_url(settings, sub, "manage")


def unsubscribe_url(settings: Settings, sub: Subscription) -> str:
    """The one-click unsubscribe link (RFC 8058): a POST to it unsubscribes."""
    return link_url(settings, sub, "unsubscribe")


def unsubscribe_mailto(settings: Settings, sub: Subscription) -> str | None:
    """``mailto:`` for ``List-Unsubscribe``: the ``PAPERWIRE_MAIL_FROM`` address, with
    the subject ``unsubscribe <token>``. paperwire reads no mailbox: an operator who
    publishes it processes those mails (``paperwire subscribers unsubscribe``). None
    when ``MAIL_FROM`` holds no address."""
    address = parseaddr(settings.mail_from)[1]
    if "@" not in address:
        return None
    token = sign(links_key(settings), sub, "unsubscribe")
    return f"mailto:{quote(address, safe='@')}?subject={quote('unsubscribe ' + token)}"


def list_unsubscribe_headers(settings: Settings, sub: Subscription) -> dict[str, str]:
    """The ``List-Unsubscribe`` and ``List-Unsubscribe-Post`` headers (RFC 2369, RFC
    8058) of a message to ``sub``: the one-click https link first, then the mailto."""
    targets = [f"<{unsubscribe_url(settings, sub)}>"]
    mailto = unsubscribe_mailto(settings, sub)
    if mailto:
        targets.append(f"<{mailto}>")
    return {
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
