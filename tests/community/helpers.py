"""Helpers the community's tests share: real accounts, real tokens and real sessions,
made by the same functions the site uses (never a forged cookie)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from paperwire.community import accounts
from paperwire.models import User
from paperwire.store import Store
from paperwire.web import auth
from tests.mail_server import MailServer


def make_user(store: Store, email: str, *, role: str = "user", name: str = "") -> User:
    """An account, made as ``paperwire users add`` makes one."""
    return accounts.add_user(store, email, now=datetime.now(UTC), name=name, role=role)


def api_token(store: Store, user: User) -> str:
    """A new personal API token of ``user``."""
    token, _ = accounts.create_api_token(store, user, now=datetime.now(UTC), name="test")
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_in_link(server: MailServer, index: int = -1) -> str:
    """The sign-in link in a message the test SMTP server received, as the reader would
    click it."""
    body = server.messages[index].message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    return next(word for word in body.split() if "/auth/sign-in?token=" in word)


def sign_in_token(server: MailServer, index: int = -1) -> str:
    """The token of that link."""
    return sign_in_link(server, index).split("token=", 1)[1]


def signed_in(client: Any, store: Store, email: str) -> dict[str, str]:
    """Headers of a signed-in browser: the session cookie (a session started by the
    real session function, signed with the app's key) and the matching CSRF header.
    The account is made when ``email`` has none. ``client`` is a TestClient of the app."""
    app = client.app
    settings = app.state.settings
    now = datetime.now(UTC)
    user = store.get_user_by_email(accounts.normalise_email(email))
    if user is None:
        user = make_user(store, email)
    session = accounts.start_session(store, user, now=now, days=settings.session_days)
    key = auth.app_secret_key(app)
    cookie = auth.cookie_value(key, session.token)
    return {
        "Cookie": f"{auth.cookie_name(settings)}={cookie}",
        "X-CSRF-Token": auth.csrf_for(key, session.token),
    }
