"""Digest subscriptions in the JSON API: ``POST /api/subscriptions`` (anyone, double
opt-in: the answer is 202 whatever the address) and ``GET``/``PUT``/``DELETE
/api/me/subscription`` (the signed-in account's own address, changed at once)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from paperwire.digest import subscriptions
from paperwire.models import SubscriptionPrefs
from paperwire.web.auth import UserDep, check_same_origin
from paperwire.web.deps import MailerDep, SettingsDep, StoreDep, client_ip, mail_or_503
from paperwire.web.routing import json_router
from paperwire.web.serialize import subscription_json

router = json_router(prefix="/api", tags=["subscriptions"])

ACCEPTED = (
    "If this address can receive mail, a confirmation link is on its way; nothing is "
    "sent to it until the link is followed."
)


class PrefsBody(BaseModel):
    """What a digest holds. Each list is checked by the parser its field has elsewhere
    (categories: the one category grammar; queries: the search's query syntax)."""

    model_config = ConfigDict(extra="forbid")

    frequency: str = Field(default="daily", description="`daily` or `weekly`.")
    trending: StrictBool = Field(default=True, description="Include the trending papers.")
    categories: list[str] = Field(
        default=[],
        description=f"Category codes (`cs.LG`, `math`), at most {subscriptions.MAX_CATEGORIES}.",
    )
    queries: list[str] = Field(
        default=[],
        description=f"Saved searches in the search box's syntax, at most "
        f"{subscriptions.MAX_QUERIES} of {subscriptions.MAX_QUERY_CHARS} characters.",
    )
    authors: list[str] = Field(
        default=[], description=f"Followed authors, at most {subscriptions.MAX_AUTHORS}."
    )
    exclude: list[str] = Field(
        default=[],
        description=f"Words or phrases that hide a paper from every section, at most "
        f"{subscriptions.MAX_EXCLUDE}.",
    )

    no_announcement_note: StrictBool = Field(
        default=False,
        description="On a day arXiv announces nothing: a one-line note instead of no mail.",
    )

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


class SubscribeBody(PrefsBody):
    email: str = Field(max_length=320, description="Where the digest goes.")


@router.post("/subscriptions", status_code=202, dependencies=[Depends(check_same_origin)])
def subscribe(
    body: SubscribeBody,
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
    mailer: MailerDep,
) -> JSONResponse:
    """Subscribe an address to a digest. 202 for valid input, whether or not the address
    is known; the confirmation mail holds a link under the site's base URL. 503 when the
    mail server does not take the message (the same for every address)."""
    prefs = body.prefs()
    with mail_or_503("confirmation"):
        subscriptions.subscribe(
            store,
            mailer,
            settings,
            email=body.email,
            prefs=prefs,
            client_ip=client_ip(request),
            now=datetime.now(UTC),
        )
    return JSONResponse({"status": "accepted", "message": ACCEPTED}, status_code=202)


@router.get("/me/subscription")
def my_subscription(user: UserDep, store: StoreDep) -> dict[str, Any]:
    """The digest subscription of the signed-in account's address (404 when none)."""
    sub = subscriptions.account_subscription(store, user)
    if sub is None:
        raise HTTPException(404, "this account's address has no digest subscription")
    return subscription_json(sub)


@router.put("/me/subscription")
def put_my_subscription(body: PrefsBody, user: UserDep, store: StoreDep) -> dict[str, Any]:
    """Subscribe the signed-in account's address, or change its digest: confirmed at
    once (signing in proved the account reads that mailbox)."""
    sub = subscriptions.subscribe_account(store, user, body.prefs(), now=datetime.now(UTC))
    return subscription_json(sub)


@router.delete("/me/subscription")
def delete_my_subscription(user: UserDep, store: StoreDep) -> dict[str, Any]:
    """Unsubscribe the signed-in account's address (404 when it has no subscription)."""
    sub = subscriptions.account_subscription(store, user)
    if sub is None:
        raise HTTPException(404, "this account's address has no digest subscription")
    return subscription_json(subscriptions.unsubscribe(store, sub, now=datetime.now(UTC)))
