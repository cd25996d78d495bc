"""Who is asking, for every route and template: the dependencies ``ViewerDep`` (a user
or None), ``UserDep`` (a user, else 401) and ``ModeratorDep`` (a moderator or admin,
else 403), and the session cookie they read.

A request is authenticated by ``Authorization: Bearer <personal API token>`` or by the
session cookie (``<session token>.<HMAC>``, signed with the site's secret key, so a
forged cookie is refused without a database read; the server-side session row is what
sign-out deletes). ``UserDep`` and ``ModeratorDep`` also guard state changes: an unsafe
method from another site (``Origin`` not this site, ``Sec-Fetch-Site: cross-site``) is
a 403, and one authenticated by the cookie must carry the CSRF token (header
``X-CSRF-Token`` or form field ``csrf_token``). The CSRF token is an HMAC of the
session token, so it needs no storage and changes with every session. Bearer requests
carry no ambient credentials and need no CSRF token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from paperwire.community import accounts
from paperwire.config import Settings
from paperwire.models import User
from paperwire.secret import load_secret_key
from paperwire.web.routing import NO_STORE

log = logging.getLogger("paperwire.web.auth")

CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True, slots=True)
class Auth:
    """How a request is authenticated: ``via`` None when it is not."""

    user: User | None = None
    via: Literal["cookie", "bearer"] | None = None
    session_token: str = ""


SIGNED_OUT = Auth()


def app_secret_key(app: Any) -> bytes:
    """The app's secret key, read (or generated) once per app."""
    state = app.state
    key = getattr(state, "secret_key", None)
    if key is None:
        key = state.secret_key = load_secret_key(state.settings)
    return key  # type: ignore[no-any-return]


def secret_key(request: Request) -> bytes:
    return app_secret_key(request.app)


def _mac(key: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def cookie_name(settings: Settings) -> str:
    """``__Host-`` on https: the browser then insists on Secure, Path=/ and no Domain,
    so no other host (a subdomain) can plant or overwrite the cookie."""
    return "__Host-paperwire_session" if is_https(settings) else "paperwire_session"


def is_https(settings: Settings) -> bool:
    return urlsplit(settings.base_url).scheme.lower() == "https"


def cookie_value(key: bytes, session_token: str) -> str:
    """What the session cookie holds: the token and its signature."""
    return f"{session_token}.{_mac(key, 'session', session_token)}"


def session_token_of(key: bytes, value: str) -> str | None:
    """The session token in a cookie value whose signature is good, else None."""
    token, _, mac = value.rpartition(".")
    if not token or not hmac.compare_digest(mac, _mac(key, "session", token)):
        return None
    return token


def csrf_for(key: bytes, session_token: str) -> str:
    return _mac(key, "csrf", session_token)


def set_session_cookie(
    response: Response, settings: Settings, key: bytes, session: accounts.Session
) -> None:
    response.set_cookie(
        cookie_name(settings),
        cookie_value(key, session.token),
        max_age=settings.session_days * 86400,
        path="/",
        secure=is_https(settings),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings), path="/", secure=is_https(settings), httponly=True, samesite="lax"
    )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _has_credentials(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return "authorization" in request.headers or cookie_name(settings) in request.cookies


def resolve_auth(request: Request) -> Auth:
    """The request's ``Auth``, worked out once per request (blocking: it may read the
    store) and kept on ``request.state``."""
    known = getattr(request.state, "auth", None)
    if known is not None:
        return known  # type: ignore[no-any-return]
    auth = _authenticate(request)
    request.state.auth = auth
    return auth


def _authenticate(request: Request) -> Auth:
    state = request.app.state
    now = datetime.now(UTC)
    bearer = _bearer(request)
    if bearer is not None:  # an Authorization header decides alone, even a bad one
        user = accounts.api_token_user(state.store, bearer, now=now) if bearer else None
        return Auth(user, "bearer") if user else SIGNED_OUT
    value = request.cookies.get(cookie_name(state.settings))
    if not value:
        return SIGNED_OUT
    token = session_token_of(secret_key(request), value)
    if token is None:
        return SIGNED_OUT
    user = accounts.session_user(state.store, token, now=now)
    return Auth(user, "cookie", token) if user else SIGNED_OUT


async def current_auth(request: Request) -> Auth:
    known = getattr(request.state, "auth", None)
    if known is not None:
        return known  # type: ignore[no-any-return]
    if not _has_credentials(request):  # the signed-out reader costs no thread hop
        request.state.auth = SIGNED_OUT
        return SIGNED_OUT
    return await run_in_threadpool(resolve_auth, request)


async def current_viewer(request: Request) -> User | None:
    """Who is asking, or None; never raises for a signed-out reader."""
    return (await current_auth(request)).user


ResponseT = TypeVar("ResponseT", bound=Response)


def private_token_page(response: ResponseT) -> ResponseT:
    """Mark a page whose URL holds a token (a sign-in link, a subscription's signed
    link): kept by no cache, never sent as a referrer to another site, indexed by no
    search engine. ``same-origin``, not ``no-referrer``: under ``no-referrer`` browsers
    send ``Origin: null`` with the page's own form POST, which ``check_same_origin``
    must refuse."""
    response.headers.update(NO_STORE)
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def check_same_origin(request: Request) -> None:
    """403 for an unsafe request another site made a browser send: ``Sec-Fetch-Site:
    cross-site``, or an ``Origin`` that is neither this request's host nor the base
    URL's. Requests without either header (scripts, old browsers) pass: the CSRF token
    or the bearer token is what authenticates them."""
    if request.method in SAFE_METHODS:
        return
    if request.headers.get("sec-fetch-site", "").lower() == "cross-site":
        raise HTTPException(403, "cross-site requests are refused")
    origin = request.headers.get("origin")
    if origin is None:
        return
    settings: Settings = request.app.state.settings
    netloc = urlsplit(origin).netloc.lower() if origin != "null" else ""
    base = urlsplit(settings.base_url)
    default_port = {"http": 80, "https": 443}.get(base.scheme.lower())
    own = (base.hostname or "") if base.port in (None, default_port) else base.netloc
    allowed = {request.headers.get("host", "").lower(), own.lower()}
    if not netloc or netloc not in allowed:
        raise HTTPException(403, "cross-site requests are refused")


async def _check_csrf(request: Request, auth: Auth) -> None:
    if request.method in SAFE_METHODS or auth.via != "cookie":
        return
    expected = csrf_for(secret_key(request), auth.session_token)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(_FORM_TYPES):
        field = (await request.form()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not sent or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "missing or wrong CSRF token (header X-CSRF-Token)")


async def current_user(request: Request) -> User:
    """The signed-in user (401 otherwise); an unsafe method must be same-origin and,
    with the session cookie, carry the CSRF token (403)."""
    check_same_origin(request)
    auth = await current_auth(request)
    if auth.user is None:
        raise HTTPException(401, "sign in first (a session cookie or Authorization: Bearer TOKEN)")
    await _check_csrf(request, auth)
    return auth.user


async def current_moderator(request: Request) -> User:
    user = await current_user(request)
    if not user.is_moderator:
        raise HTTPException(403, "only moderators may do this")
    return user


def _auth_for_page(request: Request) -> Auth:
    """``resolve_auth`` for templates: an error page (a database past its deadline,
    say) still renders, signed out, when the reader cannot be looked up."""
    try:
        return resolve_auth(request)
    except Exception:
        log.warning("reader not looked up for %s", request.url.path, exc_info=True)
        return SIGNED_OUT


def csrf_token(request: Request) -> str:
    """The CSRF token of the request's session, for templates ('' when the request is
    not signed in by the cookie)."""
    auth = _auth_for_page(request)
    if auth.via != "cookie":
        return ""
    return csrf_for(secret_key(request), auth.session_token)


def viewer_of(request: Any) -> User | None:
    """The signed-in user for templates (None for a signed-out reader or no request)."""
    if not isinstance(request, Request):
        return None
    return _auth_for_page(request).user


AuthDep = Annotated[Auth, Depends(current_auth)]
ViewerDep = Annotated[User | None, Depends(current_viewer)]
UserDep = Annotated[User, Depends(current_user)]
ModeratorDep = Annotated[User, Depends(current_moderator)]
SameOriginDep = Depends(check_same_origin)
