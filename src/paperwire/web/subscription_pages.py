"""Digest subscriptions on the site: the subscribe form (``/subscribe``, and the small
boxes on pages that post to it), and the pages the signed links of a subscription open
(``digest/tokens.py``): confirm, manage, unsubscribe.

A link never acts on GET: mail scanners prefetch links, so each GET shows a page whose
button POSTs to the same URL. The signed token in the URL is the authority for those
POSTs (no session, no CSRF cookie); the site's own forms are still refused when another
site makes a browser send them (``check_same_origin``), except the one-click
unsubscribe, which mail providers POST from their own servers (RFC 8058) and which
answers 200.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Form, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from paperwire.config import Settings
from paperwire.digest import subscriptions, tokens
from paperwire.digest.mailer import Mailer
from paperwire.errors import InvalidParameter
from paperwire.models import Subscription, SubscriptionPrefs
from paperwire.store import Store
from paperwire.web.auth import check_same_origin, private_token_page
from paperwire.web.deps import (
    MailerDep,
    SettingsDep,
    StoreDep,
    TemplatesDep,
    client_ip,
    mail_or_503,
)
from paperwire.web.routing import page_router
from paperwire.web.templating import render_page

router = page_router(tags=["subscriptions"])

TokenPath = Annotated[str, Path(max_length=tokens.MAX_TOKEN_LENGTH + 10)]
FormList = Annotated[list[str], Form()]


def _split(values: Iterable[str], *, commas: bool = False, spaces: bool = False) -> list[str]:
    """Form values → entries: one per line (textareas), and per comma or space where
    the field says so; repeated fields (hidden inputs) add theirs."""
    out = []
    for value in values:
        for line in value.splitlines():
            parts = line.split(",") if commas else [line]
            for part in parts:
                out.extend(part.split() if spaces else [part])
    return [p.strip() for p in out if p.strip()]


def _checked(value: str | None) -> bool:
    return value is not None and value != "0"


class PrefsForm:
    """The preference fields every subscription form posts: textareas hold one entry
    per line; categories and excluded words may also be separated by commas."""

    def __init__(
        self,
        frequency: Annotated[str, Form(max_length=10)] = "daily",
        trending: Annotated[str | None, Form(max_length=10)] = None,
        categories: FormList = [],  # noqa: B006 (FastAPI copies defaults)
        queries: FormList = [],  # noqa: B006
        authors: FormList = [],  # noqa: B006
        exclude: FormList = [],  # noqa: B006
        no_announcement_note: Annotated[str | None, Form(max_length=10)] = None,
    ) -> None:
        self.frequency = frequency
        self.trending = _checked(trending)
        self.no_announcement_note = _checked(no_announcement_note)
        self.categories = _split(categories, commas=True, spaces=True)
        self.queries = _split(queries)
        self.authors = _split(authors)
        self.exclude = _split(exclude, commas=True)

    @property
    def values(self) -> dict[str, Any]:
        """What the form shows again when its input was refused."""
        return form_values(self)

    def prefs(self) -> SubscriptionPrefs:
        return subscriptions.parse_prefs(
            frequency=self.frequency,
            trending=self.trending,
            categories=self.categories,
            queries=self.queries,
            authors=self.authors,
            exclude=self.exclude,
            no_announcement_note=self.no_announcement_note,
        )


PrefsFormDep = Annotated[PrefsForm, Depends()]


def form_values(prefs: SubscriptionPrefs | PrefsForm) -> dict[str, Any]:
    """Preferences as the form's fields show them: saved ones, or what a form posted."""
    return {
        "frequency": prefs.frequency,
        "trending": prefs.trending,
        "categories": ", ".join(prefs.categories),
        "queries": "\n".join(prefs.queries),
        "authors": "\n".join(prefs.authors),
        "exclude": ", ".join(prefs.exclude),
        "no_announcement_note": prefs.no_announcement_note,
    }


def _page(
    request: Request,
    templates: Jinja2Templates,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    return private_token_page(render_page(request, templates, name, context, status_code=status_code))


def _link(purpose: tokens.Purpose) -> Any:
    """A dependency: the subscription the URL's signed ``purpose`` link opens (404 for
    a link that is not valid, 400 for something that is not even a link)."""

    def opened(token: TokenPath, store: StoreDep, settings: SettingsDep) -> Subscription:
        try:
            return tokens.verify(store, tokens.links_key(settings), token, purpose)
        except tokens.LinkInvalid:
            raise HTTPException(
                404,
                "This link is not valid (any more). Links from an older mail stop working "
                "when the address subscribes again; use the newest mail.",
            ) from None

    return Depends(opened)


ConfirmLink = Annotated[Subscription, _link("confirm")]
ManageLink = Annotated[Subscription, _link("manage")]
UnsubscribeLink = Annotated[Subscription, _link("unsubscribe")]


def _subscribe(
    request: Request,
    store: Store,
    mailer: Mailer,
    settings: Settings,
    *,
    email: str,
    prefs: SubscriptionPrefs,
) -> None:
    """``subscriptions.subscribe`` for a form; a mail server that does not take the
    confirmation is a 503 page (the same for every address: every request mails its
    address)."""
    with mail_or_503("confirmation"):
        subscriptions.subscribe(
            store,
            mailer,
            settings,
            email=email,
            prefs=prefs,
            client_ip=client_ip(request),
            now=datetime.now(UTC),
        )


# --- subscribing --------------------------------------------------------------------------


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_page(
    request: Request,
    templates: TemplatesDep,
    category: Annotated[str | None, Query(max_length=60)] = None,
    q: Annotated[str | None, Query(max_length=subscriptions.MAX_QUERY_CHARS)] = None,
    author: Annotated[str | None, Query(max_length=300)] = None,
) -> HTMLResponse:
    """The subscribe form, pre-filled from the page it was opened from."""
    values = form_values(
        SubscriptionPrefs(
            trending=not (category or q or author),
            categories=(category,) if category else (),
            queries=(q,) if q else (),
            authors=(author,) if author else (),
        )
    )
    context = {"nav": "subscribe", "values": values, "email": "", "state": "form"}
    return render_page(request, templates, "subscribe.html", context)


@router.post("/subscribe", response_class=HTMLResponse, dependencies=[Depends(check_same_origin)])
def subscribe_form(
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    mailer: MailerDep,
    templates: TemplatesDep,
    form: PrefsFormDep,
    email: Annotated[str, Form(max_length=320)] = "",
) -> HTMLResponse:
    """What the subscribe forms post: the same answer for every address."""
    context: dict[str, Any] = {"nav": "subscribe", "values": form.values, "email": email}
    try:
        _subscribe(request, store, mailer, settings, email=email, prefs=form.prefs())
    except InvalidParameter as exc:
        context.update(state="form", error=exc)
        return render_page(request, templates, "subscribe.html", context, status_code=400)
    context.update(state="sent")
    return render_page(request, templates, "subscribe.html", context)


# --- confirming ---------------------------------------------------------------------------


@router.get("/subscriptions/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, sub: ConfirmLink, templates: TemplatesDep) -> HTMLResponse:
    """What the confirmation mail links to: the choices and a button that POSTs here.
    Opening the link confirms nothing (mail scanners open links)."""
    prefs = sub.pending_prefs or sub.prefs
    context = {
        "sub": sub,
        "lines": subscriptions.describe_prefs(prefs),
        "frequency": prefs.frequency,
        "state": "ask"
        if sub.status == "pending" or sub.pending_prefs
        else ("already" if sub.status == "confirmed" else sub.status),
    }
    return _page(request, templates, "subscription_confirm.html", context)


@router.post(
    "/subscriptions/confirm/{token}",
    response_class=HTMLResponse,
    dependencies=[Depends(check_same_origin)],
)
def confirm_post(
    request: Request,
    sub: ConfirmLink,
    store: StoreDep,
    settings: SettingsDep,
    templates: TemplatesDep,
) -> HTMLResponse:
    sub = subscriptions.confirm(store, sub, now=datetime.now(UTC))
    context = {
        "sub": sub,
        "lines": subscriptions.describe_prefs(sub.prefs),
        "frequency": sub.frequency,
        "state": "confirmed" if sub.status == "confirmed" else sub.status,
        "manage_url": tokens.manage_url(settings, sub),
    }
    return _page(request, templates, "subscription_confirm.html", context)


# --- managing -----------------------------------------------------------------------------


def _manage_context(
    sub: Subscription, settings: Any, *, message: str | None = None
) -> dict[str, Any]:
    return {
        "sub": sub,
        "values": form_values(sub.prefs),
        "lines": subscriptions.describe_prefs(sub.prefs),
        "message": message,
        "error": None,
        "unsubscribe_url": tokens.unsubscribe_url(settings, sub),
    }


@router.get("/subscriptions/manage/{token}", response_class=HTMLResponse)
def manage_page(
    request: Request, sub: ManageLink, settings: SettingsDep, templates: TemplatesDep
) -> HTMLResponse:
    """Change a digest's preferences or stop it, without signing in."""
    return _page(request, templates, "subscription_manage.html", _manage_context(sub, settings))


@router.post(
    "/subscriptions/manage/{token}",
    response_class=HTMLResponse,
    dependencies=[Depends(check_same_origin)],
)
def manage_post(
    request: Request,
    sub: ManageLink,
    store: StoreDep,
    settings: SettingsDep,
    mailer: MailerDep,
    templates: TemplatesDep,
    form: PrefsFormDep,
    action: Annotated[str, Form(max_length=20)] = "save",
) -> HTMLResponse:
    """``action``: ``save`` the form's preferences, ``confirm`` a pending subscription,
    ``unsubscribe``, or ``resubscribe`` (a new confirmation mail: the old links stop
    working once it is confirmed)."""
    now = datetime.now(UTC)
    message: str | None
    if action == "save":
        try:
            prefs = form.prefs()
        except InvalidParameter as exc:
            context = _manage_context(sub, settings)
            context.update(values=form.values, error=exc)
            return _page(request, templates, "subscription_manage.html", context, status_code=400)
        sub = subscriptions.update_preferences(store, sub, prefs, now=now)
        message = "Your choices are saved."
    elif action == "confirm":
        sub = subscriptions.confirm(store, sub, now=now)
        message = "Your subscription is confirmed." if sub.confirmed else None
    elif action == "unsubscribe":
        sub = subscriptions.unsubscribe(store, sub, now=now)
        message = "You are unsubscribed: no more digests will be sent."
    elif action == "resubscribe":
        _subscribe(request, store, mailer, settings, email=sub.email, prefs=sub.prefs)
        context = {
            "nav": None,
            "values": form_values(sub.prefs),
            "email": sub.email,
            "state": "sent",
        }
        return _page(request, templates, "subscribe.html", context)
    else:
        raise InvalidParameter("action", "must be save, confirm, unsubscribe or resubscribe")
    context = _manage_context(sub, settings, message=message)
    return _page(request, templates, "subscription_manage.html", context)


# --- unsubscribing ------------------------------------------------------------------------


@router.get("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_page(
    request: Request, sub: UnsubscribeLink, settings: SettingsDep, templates: TemplatesDep
) -> HTMLResponse:
    """The unsubscribe link of every digest: a page with a button. Opening it
    unsubscribes nothing (mail scanners open links)."""
    context = {"sub": sub, "done": False, "manage_url": tokens.manage_url(settings, sub)}
    return _page(request, templates, "subscription_unsubscribe.html", context)


@router.post("/subscriptions/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_post(
    request: Request,
    sub: UnsubscribeLink,
    store: StoreDep,
    settings: SettingsDep,
    templates: TemplatesDep,
) -> HTMLResponse:
    """One-click unsubscribe (RFC 8058): mail providers POST ``List-Unsubscribe=One-Click``
    here from their own servers, without cookies; the page's button posts the same. The
    signed link is the authority, so no origin or CSRF check applies; the answer is 200."""
    sub = subscriptions.unsubscribe(store, sub, now=datetime.now(UTC))
    context = {"sub": sub, "done": True, "manage_url": tokens.manage_url(settings, sub)}
    return _page(request, templates, "subscription_unsubscribe.html", context)
