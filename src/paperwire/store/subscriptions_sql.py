"""Digest subscriptions: one row per address, its preferences and its state (pending,
confirmed, unsubscribed). Addresses are stored as the caller gives them; the digest
package normalises them first.

Who may change what is decided by the caller's flags, written down once in
``save_subscription``: an anonymous request cannot change a confirmed address's
preferences (they are held until the address confirms them) and nothing but an explicit
subscribe brings back an address that unsubscribed.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any, Protocol

from paperwire.models import (
    SaveOutcome,
    Subscription,
    SubscriptionPrefs,
)
from paperwire.store.codec import datetime_or_none, to_datetime
from paperwire.store.sql import Db, Part

PAGE_DEFAULT = 1000


class SubscriptionStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""

    def save_subscription(
        self,
        email: str,
        prefs: SubscriptionPrefs,
        *,
        now: datetime,
        confirmed: bool = False,
        trusted: bool = False,
        revive: bool = True,
        user_id: int | None = None,
    ) -> tuple[Subscription, SaveOutcome]:
        """Subscribe ``email`` or change its preferences, in one transaction.

        ``confirmed``: the caller vouches for the address (a signed-in account, an
        operator's import): a new or pending row is confirmed at once. ``trusted``: the
        caller may change a confirmed row's preferences directly; otherwise they are
        held (``pending_prefs``, outcome ``held``) until the address confirms them.
        ``revive``: an unsubscribed row is subscribed again (pending unless
        ``confirmed``, with a new nonce so links sent before stay void); otherwise it
        is left alone (``refused``). ``user_id`` ties the row to an account."""
        ...

    def get_subscription(self, subscription_id: int) -> Subscription | None: ...

    def subscription_by_email(self, email: str) -> Subscription | None: ...

    def confirm_subscription(self, subscription_id: int, *, now: datetime) -> Subscription | None:
        """A pending row becomes confirmed; held preferences apply. An unsubscribed row
        is left as it is (a link from an old mail does not subscribe again)."""
        ...

    def update_subscription_prefs(
        self, subscription_id: int, prefs: SubscriptionPrefs, *, now: datetime
    ) -> Subscription | None:
        """New preferences, applied at once (the caller holds the row's signed link)."""
        ...

    def unsubscribe(self, subscription_id: int, *, now: datetime) -> Subscription | None:
        """The row is ``unsubscribed`` (again: the first time is kept)."""
        ...

    def confirmed_subscriptions(
        self, frequency: str, *, after_id: int = 0, limit: int = PAGE_DEFAULT
    ) -> list[Subscription]:
        """One page of the confirmed subscriptions of ``frequency``, in id order, with
        ids above ``after_id``: pass the last id of a page to get the next."""
        ...

    def list_subscriptions(
        self, *, after_id: int = 0, limit: int = PAGE_DEFAULT
    ) -> list[Subscription]:
        """One page of every subscription, whatever its state, in id order."""
        ...

    def count_subscriptions(self) -> dict[str, int]:
        """How many rows are in each state (every state named, 0 when none)."""
        ...


def _dumps(values: tuple[str, ...] | list[str]) -> str:
    return json.dumps(list(values), ensure_ascii=False)


def _loads(value: Any) -> list[str]:
    data = json.loads(value) if isinstance(value, str) else value
    return [str(v) for v in data or []]


def _prefs_json(prefs: SubscriptionPrefs) -> str:
    return json.dumps(
        {
            "frequency": prefs.frequency,
            "trending": prefs.trending,
            "categories": list(prefs.categories),
            "queries": list(prefs.queries),
            "authors": list(prefs.authors),
            "exclude": list(prefs.exclude),
            "no_announcement_note": prefs.no_announcement_note,
        },
        ensure_ascii=False,
    )


def _prefs_from_json(value: Any) -> SubscriptionPrefs | None:
    if value is None:
        return None
    data = json.loads(value) if isinstance(value, str) else value
    return SubscriptionPrefs(
        frequency=data["frequency"],
        trending=bool(data["trending"]),
        categories=tuple(data["categories"]),
        queries=tuple(data["queries"]),
        authors=tuple(data["authors"]),
        exclude=tuple(data["exclude"]),
        no_announcement_note=bool(data.get("no_announcement_note", False)),
    )


def _row_to_subscription(row: dict[str, Any]) -> Subscription:
    return Subscription(
        id=int(row["id"]),
        email=row["email"],
        frequency=row["frequency"],
        trending=bool(row["trending"]),
        categories=_loads(row["categories"]),
        queries=_loads(row["queries"]),
        authors=_loads(row["authors"]),
        exclude=_loads(row["exclude"]),
        status=row["status"],
        created_at=to_datetime(row["created_at"]),
        confirmed_at=datetime_or_none(row["confirmed_at"]),
        user_id=int(row["user_id"]) if row["user_id"] is not None else None,
        nonce=row["nonce"],
        updated_at=datetime_or_none(row["updated_at"]),
        unsubscribed_at=datetime_or_none(row["unsubscribed_at"]),
        pending_prefs=_prefs_from_json(row["pending_prefs"]),
        no_announcement_note=bool(row["no_announcement_note"]),
    )


def _new_nonce() -> str:
    return secrets.token_urlsafe(16)


_PREFS_SET = (
    "frequency = ?, trending = ?, categories = ?, queries = ?, authors = ?, exclude = ?, "
    "no_announcement_note = ?, pending_prefs = NULL"
)


def _prefs_params(prefs: SubscriptionPrefs) -> tuple[Any, ...]:
    return (
        prefs.frequency,
        int(prefs.trending),
        _dumps(prefs.categories),
        _dumps(prefs.queries),
        _dumps(prefs.authors),
        _dumps(prefs.exclude),
        int(prefs.no_announcement_note),
    )


class Subscriptions(Part):
    """Digest subscriptions, written once for both backends."""

    def _by_id(self, db: Db, subscription_id: int) -> Subscription | None:
        row = db.fetchone("SELECT * FROM subscriptions WHERE id = ?", (subscription_id,))
        return _row_to_subscription(row) if row else None

    def save_subscription(
        self,
        email: str,
        prefs: SubscriptionPrefs,
        *,
        now: datetime,
        confirmed: bool = False,
        trusted: bool = False,
        revive: bool = True,
        user_id: int | None = None,
    ) -> tuple[Subscription, SaveOutcome]:
        nonce = _new_nonce()
        status = "confirmed" if confirmed else "pending"
        outcome: SaveOutcome
        with self.connections.writing() as db:
            # Insert-or-nothing first: two requests for one new address at once make
            # one row on both backends (PostgreSQL waits for the other insert).
            db.execute(
                "INSERT INTO subscriptions (email, frequency, trending, categories, queries, "
                "authors, exclude, no_announcement_note, status, nonce, created_at, updated_at, "
                "confirmed_at, user_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING",
                (
                    email,
                    *_prefs_params(prefs),
                    status,
                    nonce,
                    now,
                    now,
                    now if confirmed else None,
                    user_id,
                ),
            )
            row = db.fetchone("SELECT * FROM subscriptions WHERE email = ?", (email,))
            assert row is not None
            current = _row_to_subscription(row)
            if current.nonce == nonce:
                return current, "created"
            if current.status == "unsubscribed":
                if not revive:
                    return current, "refused"
                db.execute(
                    f"UPDATE subscriptions SET {_PREFS_SET}, status = ?, nonce = ?, "
                    "updated_at = ?, confirmed_at = ?, unsubscribed_at = NULL, "
                    "user_id = COALESCE(?, user_id) WHERE id = ?",
                    (
                        *_prefs_params(prefs),
                        status,
                        nonce,
                        now,
                        now if confirmed else None,
                        user_id,
                        current.id,
                    ),
                )
                outcome = "revived"
            elif current.status == "confirmed" and not trusted:
                db.execute(
                    "UPDATE subscriptions SET pending_prefs = ?, updated_at = ? WHERE id = ?",
                    (_prefs_json(prefs), now, current.id),
                )
                outcome = "held"
            else:
                db.execute(
                    f"UPDATE subscriptions SET {_PREFS_SET}, updated_at = ?, "
                    "status = CASE WHEN ? = 1 THEN 'confirmed' ELSE status END, "
                    "confirmed_at = CASE WHEN ? = 1 AND confirmed_at IS NULL THEN ? "
                    "ELSE confirmed_at END, "
                    "user_id = COALESCE(?, user_id) WHERE id = ?",
                    (
                        *_prefs_params(prefs),
                        now,
                        int(confirmed),
                        int(confirmed),
                        now,
                        user_id,
                        current.id,
                    ),
                )
                outcome = "updated"
            saved = self._by_id(db, current.id)
        assert saved is not None
        return saved, outcome

    def get_subscription(self, subscription_id: int) -> Subscription | None:
        with self.connections.reading() as db:
            return self._by_id(db, subscription_id)

    def subscription_by_email(self, email: str) -> Subscription | None:
        with self.connections.reading() as db:
            row = db.fetchone("SELECT * FROM subscriptions WHERE email = ?", (email,))
        return _row_to_subscription(row) if row else None

    def confirm_subscription(self, subscription_id: int, *, now: datetime) -> Subscription | None:
        with self.connections.writing() as db:
            current = self._by_id(db, subscription_id)
            if current is None or current.status == "unsubscribed":
                return current
            if current.pending_prefs is not None:
                db.execute(
                    f"UPDATE subscriptions SET {_PREFS_SET}, updated_at = ? WHERE id = ?",
                    (*_prefs_params(current.pending_prefs), now, subscription_id),
                )
            if current.status == "pending":
                db.execute(
                    "UPDATE subscriptions SET status = 'confirmed', confirmed_at = ?, "
                    "updated_at = ? WHERE id = ?",
                    (now, now, subscription_id),
                )
            return self._by_id(db, subscription_id)

    def update_subscription_prefs(
        self, subscription_id: int, prefs: SubscriptionPrefs, *, now: datetime
    ) -> Subscription | None:
        with self.connections.writing() as db:
            db.execute(
                f"UPDATE subscriptions SET {_PREFS_SET}, updated_at = ? WHERE id = ?",
                (*_prefs_params(prefs), now, subscription_id),
            )
            return self._by_id(db, subscription_id)

    def unsubscribe(self, subscription_id: int, *, now: datetime) -> Subscription | None:
        with self.connections.writing() as db:
            db.execute(
                "UPDATE subscriptions SET status = 'unsubscribed', pending_prefs = NULL, "
                "unsubscribed_at = COALESCE(unsubscribed_at, ?), updated_at = ? WHERE id = ?",
                (now, now, subscription_id),
            )
            return self._by_id(db, subscription_id)

    def confirmed_subscriptions(
        self, frequency: str, *, after_id: int = 0, limit: int = PAGE_DEFAULT
    ) -> list[Subscription]:
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT * FROM subscriptions WHERE status = 'confirmed' AND frequency = ? "
                "AND id > ? ORDER BY id LIMIT ?",
                (frequency, after_id, limit),
            )
        return [_row_to_subscription(r) for r in rows]

    def list_subscriptions(
        self, *, after_id: int = 0, limit: int = PAGE_DEFAULT
    ) -> list[Subscription]:
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT * FROM subscriptions WHERE id > ? ORDER BY id LIMIT ?",
                (after_id, limit),
            )
        return [_row_to_subscription(r) for r in rows]

    def count_subscriptions(self) -> dict[str, int]:
        counts = {"pending": 0, "confirmed": 0, "unsubscribed": 0}
        with self.connections.reading() as db:
            rows = db.fetchall("SELECT status, COUNT(*) AS n FROM subscriptions GROUP BY status")
        for row in rows:
            counts[row["status"]] = int(row["n"])
        return counts
