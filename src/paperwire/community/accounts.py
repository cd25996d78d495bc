"""Accounts: passwordless sign-in by an emailed link, sessions, personal API tokens,
display names and roles. The web, the CLI and tests call these same functions.

Every secret handed out (sign-in link, session, API token) is ``secrets.token_urlsafe``
randomness; the store keeps only its SHA-256 (``hash_token``), so a copy of the
database signs no one in. Functions take ``now`` so tests control time.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from paperwire.community import audit
from paperwire.community.ratelimit import RateLimited, check_rate
from paperwire.config import Settings
from paperwire.digest.mailer import Mailer
from paperwire.digest.message import build_message
from paperwire.errors import InvalidParameter
from paperwire.models import ROLES, ApiToken, User
from paperwire.store import Store

log = logging.getLogger("paperwire.accounts")

LINK_LIFETIME = timedelta(minutes=15)
# Sign-in mails: per address (a mailbox is not flooded) and per client IP (one client
# cannot mail many addresses), in fixed windows of SIGN_IN_WINDOW.
SIGN_IN_WINDOW = timedelta(minutes=15)
SIGN_IN_PER_ADDRESS = 5
SIGN_IN_PER_IP = 20
API_TOKEN_PREFIX = "pw_"
NAME_MAX = 60
TOKEN_NAME_MAX = 60
EMAIL_MAX = 254  # RFC 5321's limit of a forward path
# A token's "last used" is written at most this often, so a busy script costs no
# write per request.
TOKEN_TOUCH_EVERY = timedelta(minutes=1)

# One @, no spaces or control characters, a dotted domain: what a link can be mailed to.
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


class SignInLinkInvalid(Exception):
    """The sign-in link is unknown, already used or expired."""


@dataclass(frozen=True, slots=True)
class Session:
    """A new session: ``token`` goes into the reader's cookie, and nowhere else."""

    token: str
    user: User
    expires_at: datetime


def hash_token(token: str) -> str:
    """What the store keeps of a secret token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def normalise_email(text: str) -> str:
    """An address as accounts are keyed: trimmed and lower-cased (mail systems treat
    addresses case-insensitively in practice, and one person must get one account)."""
    address = text.strip().lower()
    if len(address) > EMAIL_MAX or not _EMAIL.fullmatch(address):
        raise InvalidParameter("email", "is not an email address")
    if any(unicodedata.category(ch).startswith("C") for ch in address):
        raise InvalidParameter("email", "is not an email address")
    return address


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidParameter("role", f"must be one of {', '.join(ROLES)}")
    return role


def clean_name(text: str, *, parameter: str = "name", maximum: int = NAME_MAX) -> str:
    """A display name: trimmed, at most ``maximum`` characters, no control or format
    characters (no line breaks, no bidirectional overrides that would garble a page)."""
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        raise InvalidParameter(parameter, "must not contain control characters")
    name = " ".join(text.split())
    if len(name) > maximum:
        raise InvalidParameter(parameter, f"must be at most {maximum} characters")
    return name


# --- sign-in by emailed link ----------------------------------------------------------


def request_sign_in(
    store: Store,
    mailer: Mailer,
    settings: Settings,
    *,
    email: str,
    client_ip: str,
    now: datetime,
) -> None:
    """Mail a sign-in link to ``email``, whether or not it has an account (one is made
    when the link is used), so the answer tells nothing about who is signed up.

    Over the per-IP limit raises ``RateLimited`` (the caller answers 429); over the
    per-address limit nothing is sent and nothing is raised, so the answer stays the
    same. A ``MailError`` from the mailer is the caller's to report."""
    address = normalise_email(email)
    check_rate(
        store,
        f"signin:ip:{client_ip}",
        limit=SIGN_IN_PER_IP,
        window=SIGN_IN_WINDOW,
        now=now,
    )
    try:
        check_rate(
            store,
            f"signin:email:{address}",
            limit=SIGN_IN_PER_ADDRESS,
            window=SIGN_IN_WINDOW,
            now=now,
        )
    except RateLimited:
        log.info("sign-in link not sent: too many asked for one address")
        return
    token = secrets.token_urlsafe(32)
    store.add_login_token(hash_token(token), address, now=now, expires_at=now + LINK_LIFETIME)
    link = settings.public_url("/auth/sign-in?token=" + token)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    text = (
        f"Someone (hopefully you) asked to sign in to {settings.site_name}.\n\n"
        f"Open this link to sign in; it works once, for {minutes} minutes:\n\n"
        f"{link}\n\n"
        "If you did not ask for it, ignore this message: nothing happens without the link.\n"
    )
    message = build_message(
        settings, to=address, subject=f"Sign in to {settings.site_name}", text=text, now=now
    )
    mailer.send(message)


def sign_in_with_link(store: Store, token: str, *, now: datetime, session_days: int) -> Session:
    """Use a sign-in link once: the account is made on its first use, and a session
    starts. ``SignInLinkInvalid`` when the link is unknown, used or expired."""
    if not token or len(token) > 200:
        raise SignInLinkInvalid()
    email = store.consume_login_token(hash_token(token), now=now)
    if email is None:
        raise SignInLinkInvalid()
    user, _created = store.ensure_user(email, now=now)
    store.record_sign_in(user.id, now=now)
    return start_session(store, user, now=now, days=session_days)


# --- sessions ---------------------------------------------------------------------------


def start_session(store: Store, user: User, *, now: datetime, days: int) -> Session:
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(days=days)
    store.add_session(hash_token(token), user.id, now=now, expires_at=expires_at)
    return Session(token=token, user=user, expires_at=expires_at)


def session_user(store: Store, token: str, *, now: datetime) -> User | None:
    return store.session_user(hash_token(token), now=now)


def end_session(store: Store, token: str) -> None:
    store.delete_session(hash_token(token))


def end_all_sessions(store: Store, user: User) -> int:
    """Sign the user out everywhere: every session ends (API tokens stay: they are
    revoked one by one)."""
    return store.delete_user_sessions(user.id)


# --- personal API tokens ---------------------------------------------------------------


def create_api_token(store: Store, user: User, *, now: datetime, name: str = "") -> tuple[str, int]:
    """A new personal API token and its id: the token is shown to its owner once and
    only its hash is kept. The prefix makes a leaked token recognisable to scanners."""
    label = clean_name(name, parameter="name", maximum=TOKEN_NAME_MAX)
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id = store.add_api_token(hash_token(token), user.id, name=label, now=now)
    return token, token_id


def api_token_user(store: Store, token: str, *, now: datetime) -> User | None:
    if not token.startswith(API_TOKEN_PREFIX) or len(token) > 200:
        return None
    found = store.api_token_user(hash_token(token))
    if found is None:
        return None
    user, token_id, last_used = found
    if last_used is None or now - last_used >= TOKEN_TOUCH_EVERY:
        store.touch_api_token(token_id, now=now)
    return user


def list_api_tokens(store: Store, user: User) -> list[ApiToken]:
    return store.list_api_tokens(user.id)


def revoke_api_token(store: Store, user: User, token_id: int, *, now: datetime) -> bool:
    """Revoke one of the user's own tokens; False when they have none with that id."""
    return store.revoke_api_token(user.id, token_id, now=now)


# --- profile, accounts for operators ------------------------------------------------------


def rename_user(store: Store, user: User, name: str) -> User:
    cleaned = clean_name(name)
    store.set_user_name(user.id, cleaned)
    renamed = store.get_user(user.id)
    assert renamed is not None
    return renamed


def add_user(
    store: Store, email: str, *, now: datetime, name: str = "", role: str = "user"
) -> User:
    """Make an account (the operator's ``paperwire users add``); an address that has
    one already is an error, so a typo does not silently keep an old role."""
    address = normalise_email(email)
    user, created = store.ensure_user(
        address, now=now, name=clean_name(name), role=check_role(role)
    )
    if not created:
        raise InvalidParameter("email", f"{address} already has an account")
    if role != "user":
        audit.record(store, None, "role", f"user:{user.id}", f"created as {role}", now=now)
    return user


def set_role(
    store: Store, email: str, role: str, *, now: datetime, actor: User | None = None
) -> User:
    """Change an account's role and write it to the audit log."""
    address = normalise_email(email)
    user = store.get_user_by_email(address)
    if user is None:
        raise InvalidParameter("email", f"no account for {address}")
    check_role(role)
    if user.role != role:
        store.set_user_role(user.id, role)
        audit.record(store, actor, "role", f"user:{user.id}", f"{user.role} → {role}", now=now)
    changed = store.get_user(user.id)
    assert changed is not None
    return changed


def user_by_email(store: Store, email: str) -> User:
    address = normalise_email(email)
    user = store.get_user_by_email(address)
    if user is None:
        raise InvalidParameter("email", f"no account for {address}")
    return user
