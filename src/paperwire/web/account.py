"""Accounts on the web: sign-in by emailed link, the reader's own account (``/api/me``
and ``/account``), sign-out, and personal API tokens.

The link in the mail opens a page whose one button POSTs the token: mail scanners
that fetch links do not sign anyone in or use the link up. Every state change goes
through ``UserDep`` (same-origin, and the CSRF token with the session cookie) except
the two sign-in steps, which have no session yet and are checked for same-origin.
None of these answers is cached: they are the reader's own (``Cache-Control:
no-store``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from paperwire.community import accounts
from paperwire.errors import InvalidParameter
from paperwire.models import ApiToken, User
from paperwire.web.auth import (
    AuthDep,
    UserDep,
    ViewerDep,
    app_secret_key,
    check_same_origin,
    clear_session_cookie,
    csrf_token,
    private_token_page,
    set_session_cookie,
)
from paperwire.web.deps import (
    MailerDep,
    SettingsDep,
    StoreDep,
    TemplatesDep,
    client_ip,
    mail_or_503,
    utc_now,
)
from paperwire.web.routing import NO_STORE, json_router, page_router
from paperwire.web.templating import render_page

router = json_router(prefix="/api")
pages_router = page_router()


def _send_link(request: Request, store: Any, mailer: Any, settings: Any, email: str) -> None:
    """Mail a sign-in link (``RateLimited`` for a client asking too often; 503 when the
    mail server will not take it, the same for every address)."""
    with mail_or_503("sign-in"):
        accounts.request_sign_in(
            store, mailer, settings, email=email, client_ip=client_ip(request), now=utc_now()
        )


def me_json(user: User, csrf: str) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "display_name": user.display_name,
        "role": user.role,
        "csrf_token": csrf,
    }


def token_json(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "created_at": token.created_at.isoformat(),
        "last_used": token.last_used.isoformat() if token.last_used else None,
    }


# ------------------------------------------------------------------ JSON API


class EmailBody(BaseModel):
    email: str = Field(max_length=accounts.EMAIL_MAX + 10)


class NameBody(BaseModel):
    name: str = Field(max_length=1000)


class TokenBody(BaseModel):
    name: str = Field(default="", max_length=1000)


@router.post("/auth/email", status_code=202, dependencies=[Depends(check_same_origin)])
def ask_for_link(
    body: EmailBody, request: Request, store: StoreDep, mailer: MailerDep, settings: SettingsDep
) -> dict[str, Any]:
    """Mail a sign-in link. The answer is the same whether the address has an account
    or not, and whether or not its own limit was reached."""
    _send_link(request, store, mailer, settings, body.email)
    return {
        "status": "sent",
        "detail": "If the address can receive mail, a sign-in link is on its way.",
    }


@router.get("/me")
def get_me(user: UserDep, request: Request, response: Response) -> dict[str, Any]:
    response.headers.update(NO_STORE)
    return me_json(user, csrf_token(request))


@router.patch("/me")
def patch_me(
    body: NameBody, user: UserDep, request: Request, store: StoreDep, response: Response
) -> dict[str, Any]:
    response.headers.update(NO_STORE)
    return me_json(accounts.rename_user(store, user, body.name), csrf_token(request))


@router.post("/auth/sign-out", status_code=204)
def sign_out(user: UserDep, auth: AuthDep, store: StoreDep, settings: SettingsDep) -> Response:
    """End this session (a bearer token is not a session: revoke it instead)."""
    if auth.via == "cookie":
        accounts.end_session(store, auth.session_token)
    response = Response(status_code=204)
    clear_session_cookie(response, settings)
    return response


@router.post("/auth/sign-out-everywhere")
def sign_out_everywhere(
    user: UserDep, store: StoreDep, settings: SettingsDep, response: Response
) -> dict[str, Any]:
    ended = accounts.end_all_sessions(store, user)
    clear_session_cookie(response, settings)
    return {"sessions_ended": ended}


@router.post("/me/tokens", status_code=201)
def create_token(
    user: UserDep, store: StoreDep, response: Response, body: TokenBody | None = None
) -> dict[str, Any]:
    """A new personal API token, shown this once (only its hash is kept)."""
    token, token_id = accounts.create_api_token(
        store, user, now=utc_now(), name=body.name if body else ""
    )
    response.headers.update(NO_STORE)
    return {"token": token, "id": token_id, "name": body.name.strip() if body else ""}


@router.get("/me/tokens")
def list_tokens(user: UserDep, store: StoreDep, response: Response) -> dict[str, Any]:
    response.headers.update(NO_STORE)
    return {"tokens": [token_json(t) for t in accounts.list_api_tokens(store, user)]}


@router.delete("/me/tokens/{token_id}", status_code=204)
def revoke_token(token_id: int, user: UserDep, store: StoreDep) -> Response:
    if not accounts.revoke_api_token(store, user, token_id, now=utc_now()):
        raise HTTPException(404, f"you have no token with id {token_id}")
    return Response(status_code=204)


# ------------------------------------------------------------------ pages


@pages_router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, templates: TemplatesDep) -> HTMLResponse:
    return render_page(
        request, templates, "sign_in.html", {"nav": "sign-in", "sent": False}, headers=NO_STORE
    )


@pages_router.post(
    "/sign-in", response_class=HTMLResponse, dependencies=[Depends(check_same_origin)]
)
def sign_in_form(
    request: Request,
    email: Annotated[str, Form(max_length=accounts.EMAIL_MAX + 10)],
    store: StoreDep,
    mailer: MailerDep,
    settings: SettingsDep,
    templates: TemplatesDep,
) -> HTMLResponse:
    try:
        _send_link(request, store, mailer, settings, email)
    except InvalidParameter as exc:
        context = {"nav": "sign-in", "sent": False, "email": email, "error": exc.message}
        return render_page(
            request, templates, "sign_in.html", context, status_code=400, headers=NO_STORE
        )
    return render_page(
        request, templates, "sign_in.html", {"nav": "sign-in", "sent": True}, headers=NO_STORE
    )


@pages_router.get("/auth/sign-in", response_class=HTMLResponse)
def sign_in_link_page(request: Request, templates: TemplatesDep, token: str = "") -> HTMLResponse:
    """What the emailed link opens: a button that POSTs the token. Fetching this page
    uses nothing up."""
    response = render_page(
        request,
        templates,
        "sign_in_link.html",
        {"token": token, "invalid": False},
        headers=NO_STORE,
    )
    private_token_page(response)  # the token is in this URL
    return response


@pages_router.post(
    "/auth/sign-in", response_class=HTMLResponse, dependencies=[Depends(check_same_origin)]
)
def sign_in_with_link(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    auth: AuthDep,
    store: StoreDep,
    settings: SettingsDep,
    templates: TemplatesDep,
) -> Response:
    try:
        session = accounts.sign_in_with_link(
            store, token, now=utc_now(), session_days=settings.session_days
        )
    except accounts.SignInLinkInvalid:
        return render_page(
            request,
            templates,
            "sign_in_link.html",
            {"token": "", "invalid": True},
            status_code=400,
            headers=NO_STORE,
        )
    if auth.via == "cookie":  # signing in again replaces the session this browser had
        accounts.end_session(store, auth.session_token)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, settings, app_secret_key(request.app), session)
    return response


@pages_router.get("/account", response_class=HTMLResponse)
def account_page(
    request: Request, viewer: ViewerDep, store: StoreDep, templates: TemplatesDep
) -> Response:
    if viewer is None:
        return RedirectResponse("/sign-in", status_code=303)
    return _account(request, viewer, store, templates)


def _account(
    request: Request,
    user: User,
    store: Any,
    templates: Any,
    *,
    new_token: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "nav": "account",
        "user": user,
        "tokens": accounts.list_api_tokens(store, user),
        "new_token": new_token,
        "name_max": accounts.NAME_MAX,
    }
    return render_page(
        request, templates, "account.html", context, status_code=status_code, headers=NO_STORE
    )


def _back_to_account() -> RedirectResponse:
    return RedirectResponse("/account", status_code=303)


@pages_router.post("/account/name")
def account_name(
    name: Annotated[str, Form(max_length=1000)], user: UserDep, store: StoreDep
) -> Response:
    accounts.rename_user(store, user, name)
    return _back_to_account()


@pages_router.post("/account/tokens", response_class=HTMLResponse)
def account_new_token(
    request: Request,
    user: UserDep,
    store: StoreDep,
    templates: TemplatesDep,
    name: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    token, _ = accounts.create_api_token(store, user, now=utc_now(), name=name)
    return _account(request, user, store, templates, new_token=token)


@pages_router.post("/account/tokens/{token_id}/revoke")
def account_revoke_token(token_id: int, user: UserDep, store: StoreDep) -> Response:
    if not accounts.revoke_api_token(store, user, token_id, now=utc_now()):
        raise HTTPException(404, f"you have no token with id {token_id}")
    return _back_to_account()


@pages_router.post("/account/sign-out")
def account_sign_out(
    user: UserDep, auth: AuthDep, store: StoreDep, settings: SettingsDep
) -> Response:
    if auth.via == "cookie":
        accounts.end_session(store, auth.session_token)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, settings)
    return response


@pages_router.post("/account/sign-out-everywhere")
def account_sign_out_everywhere(user: UserDep, store: StoreDep, settings: SettingsDep) -> Response:
    accounts.end_all_sessions(store, user)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, settings)
    return response
