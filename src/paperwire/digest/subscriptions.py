"""Subscribing to digests: what a subscriber may ask for, double opt-in, preferences,
unsubscribing. The JSON API, the site's forms, the signed links and the CLI call these
functions; functions take ``now`` so tests control time.

Who may do what:

- anyone may ask for a digest at any address (``subscribe``): the answer is the same
  whatever the address, a confirmation link is mailed, and nothing else is sent until
  that link is followed (double opt-in). Asking again for an address that is already
  confirmed changes nothing until the link mailed to it is followed (the new
  preferences wait in ``pending_prefs``), so knowing an address is not enough to change
  its digest. Requests are rate-limited per client IP (429) and per address (past it,
  nothing happens: the answer stays the same);
- the holder of a signed link (``digest/tokens.py``) may confirm, change preferences
  or unsubscribe, without signing in;
- a signed-in account changes its own address's subscription at once: signing in
  proved it reads that mailbox;
- an operator's import (``subscriber_import.py``) never subscribes an address that
  unsubscribed again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta

from paperwire.browse.filters import check_author_name, parse_categories
from paperwire.community.accounts import normalise_email
from paperwire.community.ratelimit import RateLimited, check_rate
from paperwire.config import Settings
from paperwire.digest import tokens
from paperwire.digest.mailer import Mailer, MailError
from paperwire.digest.message import build_message
from paperwire.errors import InvalidParameter
from paperwire.models import FREQUENCIES, Subscription, SubscriptionPrefs, User
from paperwire.search.query import parse_query
from paperwire.store import Store

log = logging.getLogger("paperwire.digest")

# How much one subscription may ask for: each section costs a query per digest, and a
# digest of more than this is no longer read.
MAX_CATEGORIES = 20
MAX_QUERIES = 10
MAX_QUERY_CHARS = 500  # the search box's own limit
MAX_AUTHORS = 20
MAX_EXCLUDE = 20
MAX_EXCLUDE_CHARS = 100

# Subscribe requests, in fixed windows: per client IP (one client cannot mail many
# addresses) and per address (a mailbox is not flooded with confirmation mail).
SUBSCRIBE_WINDOW = timedelta(hours=1)
SUBSCRIBE_PER_IP = 20
SUBSCRIBE_PER_ADDRESS = 3

PAGE = 1000  # confirmed subscriptions read per query by iter_confirmed


def _texts(values: Iterable[object], parameter: str) -> list[str]:
    out = []
    for value in values:
        if not isinstance(value, str):
            raise InvalidParameter(parameter, "must be a list of strings")
        if "\x00" in value:
            raise InvalidParameter(parameter, "contains a NUL character")
        text = " ".join(value.split())
        if text:
            out.append(text)
    return out


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """Each value once (compared case-insensitively), the first spelling kept."""
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())


def _capped(values: tuple[str, ...], maximum: int, parameter: str) -> tuple[str, ...]:
    if len(values) > maximum:
        raise InvalidParameter(parameter, f"at most {maximum}, got {len(values)}")
    return values


def parse_prefs(
    *,
    frequency: object = "daily",
    trending: object = True,
    categories: Iterable[object] = (),
    queries: Iterable[object] = (),
    authors: Iterable[object] = (),
    exclude: Iterable[object] = (),
    no_announcement_note: object = False,
) -> SubscriptionPrefs:
    """A subscriber's choices as typed (the API's JSON, a form, a CSV row) →
    ``SubscriptionPrefs``, every field checked by the parser that field has elsewhere:
    categories by the one category grammar, saved searches by the search's own query
    parser, authors as the author filter takes them. ``InvalidParameter`` names the
    field."""
    if frequency not in FREQUENCIES:
        raise InvalidParameter("frequency", f"must be one of {', '.join(FREQUENCIES)}")
    if not isinstance(trending, bool):
        raise InvalidParameter("trending", "must be true or false")
    if not isinstance(no_announcement_note, bool):
        raise InvalidParameter("no_announcement_note", "must be true or false")
    codes = parse_categories(_texts(categories, "categories"), parameter="categories")
    codes = _capped(codes, MAX_CATEGORIES, "categories")
    searches = _capped(_unique(_texts(queries, "queries")), MAX_QUERIES, "queries")
    for query in searches:
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidParameter(
                "queries", f"a search is longer than {MAX_QUERY_CHARS} characters"
            )
        try:
            parsed = parse_query(query)
        except InvalidParameter as exc:
            raise InvalidParameter("queries", f"{query[:60]!r}: {exc.message}") from None
        if parsed.empty:
            raise InvalidParameter("queries", f"{query[:60]!r} has no word to search for")
    names = _unique(
        check_author_name(name, parameter="authors") for name in _texts(authors, "authors")
    )
    names = _capped(names, MAX_AUTHORS, "authors")
    words = _capped(_unique(_texts(exclude, "exclude")), MAX_EXCLUDE, "exclude")
    for word in words:
        if len(word) > MAX_EXCLUDE_CHARS:
            raise InvalidParameter(
                "exclude", f"an entry is longer than {MAX_EXCLUDE_CHARS} characters"
            )
        if not any(ch.isalnum() for ch in word):
            raise InvalidParameter("exclude", f"{word[:40]!r} has no letter or digit")
    if not (trending or codes or searches or names):
        raise InvalidParameter(
            "trending",
            "the digest would be empty: keep trending or choose a category, a search or an author",
        )
    return SubscriptionPrefs(
        frequency=frequency,  # type: ignore[arg-type]  # checked against FREQUENCIES
        trending=trending,
        categories=codes,
        queries=searches,
        authors=names,
        exclude=words,
        no_announcement_note=no_announcement_note,
    )


def describe_prefs(prefs: SubscriptionPrefs) -> list[str]:
    """The sections of a digest in words, one line each (mail and pages)."""
    lines = []
    if prefs.trending:
        lines.append("Trending papers")
    if prefs.categories:
        lines.append("Categories: " + ", ".join(prefs.categories))
    if prefs.queries:
        lines.append("Searches: " + ", ".join(f"“{q}”" for q in prefs.queries))
    if prefs.authors:
        lines.append("Authors: " + ", ".join(prefs.authors))
    if prefs.exclude:
        lines.append("Hiding papers that mention: " + ", ".join(prefs.exclude))
    if prefs.no_announcement_note:
        lines.append("A one-line note on days arXiv announces nothing")
    return lines


# --- subscribing ------------------------------------------------------------------------


def subscribe(
    store: Store,
    mailer: Mailer,
    settings: Settings,
    *,
    email: str,
    prefs: SubscriptionPrefs,
    client_ip: str,
    now: datetime,
) -> None:
    """Ask for a digest at ``email`` (anyone may: nothing is sent until the address
    confirms). The caller answers the same whatever happened here: over the per-IP
    limit raises ``RateLimited`` (429), over the per-address limit nothing is done.
    Every other request mails the address, known or not, so a ``MailError`` (raised:
    the caller answers 503, and asking again later works) says nothing about whether
    the address was subscribed."""
    address = normalise_email(email)
    check_rate(
        store, f"subscribe:ip:{client_ip}", limit=SUBSCRIBE_PER_IP, window=SUBSCRIBE_WINDOW, now=now
    )
    try:
        check_rate(
            store,
            f"subscribe:email:{address}",
            limit=SUBSCRIBE_PER_ADDRESS,
            window=SUBSCRIBE_WINDOW,
            now=now,
        )
    except RateLimited:
        log.info("subscription request ignored: too many for one address")
        return
    sub, outcome = store.save_subscription(address, prefs, now=now)
    send_confirmation(mailer, settings, sub, now=now, change=outcome == "held", raise_errors=True)


def send_confirmation(
    mailer: Mailer,
    settings: Settings,
    sub: Subscription,
    *,
    now: datetime,
    change: bool = False,
    raise_errors: bool = False,
) -> None:
    """Mail ``sub``'s address the link that confirms it (``change``: confirms the
    preferences held for an address already confirmed). A ``MailError`` is logged, or
    raised with ``raise_errors`` (an import reports it for its row)."""
    prefs = sub.pending_prefs if change and sub.pending_prefs else sub.prefs
    site = settings.site_name
    summary = "\n".join(f"  - {line}" for line in describe_prefs(prefs))
    if change:
        subject = f"Confirm the change to your {site} digest"
        opening = (
            f"Someone (hopefully you) asked to change the {site} digest this address "
            f"receives to a {prefs.frequency} digest with:"
        )
        action = "Open this link and press the button to make the change:"
        nothing = "Nothing changes until you do."
    else:
        subject = f"Confirm your {site} digest"
        opening = f"Someone (hopefully you) asked for a {prefs.frequency} {site} digest at this address, with:"
        action = "Open this link and press the button to start receiving it:"
        nothing = "Nothing is sent to you until you do."
    text = (
        f"{opening}\n\n{summary}\n\n{action}\n\n{tokens.confirm_url(settings, sub)}\n\n"
        f"{nothing} If you did not ask for it, ignore this message.\n\n"
        f"Change these choices or stop this subscription:\n{tokens.manage_url(settings, sub)}\n"
    )
    message = build_message(settings, to=sub.email, subject=subject, text=text, now=now)
    try:
        mailer.send(message)
    except MailError as exc:
        if raise_errors:
            raise
        log.error("confirmation mail for subscription %s not sent: %s", sub.id, exc)


def confirm(store: Store, sub: Subscription, *, now: datetime) -> Subscription:
    """Follow the confirmation link: a pending subscription starts, held preferences
    apply; an unsubscribed one stays so (an old mail does not subscribe again)."""
    return store.confirm_subscription(sub.id, now=now) or sub


def update_preferences(
    store: Store, sub: Subscription, prefs: SubscriptionPrefs, *, now: datetime
) -> Subscription:
    """New preferences from the holder of the manage link, applied at once."""
    return store.update_subscription_prefs(sub.id, prefs, now=now) or sub


def unsubscribe(store: Store, sub: Subscription, *, now: datetime) -> Subscription:
    return store.unsubscribe(sub.id, now=now) or sub


# --- signed-in accounts -----------------------------------------------------------------


def account_subscription(store: Store, user: User) -> Subscription | None:
    """The subscription of the account's address (one made before signing up too)."""
    return store.subscription_by_email(normalise_email(user.email))


def subscribe_account(
    store: Store, user: User, prefs: SubscriptionPrefs, *, now: datetime
) -> Subscription:
    """Subscribe the signed-in account's address, confirmed at once: signing in by an
    emailed link proved the account reads that mailbox."""
    sub, _ = store.save_subscription(
        normalise_email(user.email),
        prefs,
        now=now,
        confirmed=True,
        trusted=True,
        revive=True,
        user_id=user.id,
    )
    return sub


# --- for senders and operators ----------------------------------------------------------


def iter_confirmed(store: Store, frequency: str, *, page: int = PAGE) -> Iterator[Subscription]:
    """Every confirmed subscription of ``frequency``, in id order, read a page at a time
    (a send of 10,000 subscribers holds one page in memory)."""
    after = 0
    while batch := store.confirmed_subscriptions(frequency, after_id=after, limit=page):
        yield from batch
        after = batch[-1].id


def iter_subscriptions(store: Store, *, page: int = PAGE) -> Iterator[Subscription]:
    """Every subscription, whatever its state, in id order, a page at a time."""
    after = 0
    while batch := store.list_subscriptions(after_id=after, limit=page):
        yield from batch
        after = batch[-1].id


def unsubscribe_by_address_or_link(
    store: Store, settings: Settings, value: str, *, now: datetime
) -> Subscription | None:
    """What an operator runs for a mail to the ``List-Unsubscribe`` mailto: ``value`` is
    the address, or the token in the mail's subject. None when nothing matches."""
    value = value.strip()
    if value.lower().startswith("unsubscribe "):
        value = value[len("unsubscribe ") :].strip()
    if "@" in value:
        sub = store.subscription_by_email(normalise_email(value))
    else:
        try:
            sub = tokens.verify(store, tokens.links_key(settings), value, "unsubscribe")
        except tokens.LinkInvalid:
            return None
    return unsubscribe(store, sub, now=now) if sub else None
