"""The subscriptions part of the store, on both backends: who may change what, and the
paged read a digest send walks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from paperwire.models import SubscriptionPrefs
from paperwire.store import Store

NOW = datetime(2024, 3, 5, 9, 0, tzinfo=UTC)
PREFS = SubscriptionPrefs(
    frequency="weekly",
    trending=False,
    categories=("cs.LG", "math"),
    queries=("token pruning",),
    authors=("Ada Lovelace",),
    exclude=("survey",),
)


def test_new_address_is_pending_and_reads_back(store: Store) -> None:
    sub, outcome = store.save_subscription("a@example.org", PREFS, now=NOW)
    assert outcome == "created"
    assert sub.status == "pending" and sub.confirmed_at is None
    assert sub.prefs == PREFS
    assert sub.created_at == NOW
    assert sub.nonce
    assert store.get_subscription(sub.id) == sub
    assert store.subscription_by_email("a@example.org") == sub
    assert store.get_subscription(sub.id + 1000) is None


def test_confirm_then_anonymous_change_is_held_until_confirmed(store: Store) -> None:
    sub, _ = store.save_subscription("a@example.org", PREFS, now=NOW)
    confirmed = store.confirm_subscription(sub.id, now=NOW + timedelta(minutes=1))
    assert confirmed is not None and confirmed.status == "confirmed"
    assert confirmed.confirmed_at == NOW + timedelta(minutes=1)

    daily = SubscriptionPrefs(frequency="daily", categories=("hep-th",))
    held, outcome = store.save_subscription("a@example.org", daily, now=NOW)
    assert outcome == "held"
    assert held.prefs == PREFS and held.pending_prefs == daily
    applied = store.confirm_subscription(sub.id, now=NOW + timedelta(hours=1))
    assert applied is not None
    assert applied.prefs == daily and applied.pending_prefs is None
    assert applied.confirmed_at == NOW + timedelta(minutes=1)  # the first confirmation

    trusted, outcome = store.save_subscription(
        "a@example.org", PREFS, now=NOW, trusted=True, confirmed=True
    )
    assert outcome == "updated" and trusted.prefs == PREFS


def test_unsubscribe_and_revive_changes_the_nonce(store: Store) -> None:
    sub, _ = store.save_subscription("a@example.org", PREFS, now=NOW, confirmed=True)
    assert sub.status == "confirmed" and sub.confirmed_at == NOW
    gone = store.unsubscribe(sub.id, now=NOW + timedelta(days=1))
    assert gone is not None and gone.status == "unsubscribed"
    assert gone.unsubscribed_at == NOW + timedelta(days=1)
    # An old confirmation link does not bring it back.
    still = store.confirm_subscription(sub.id, now=NOW + timedelta(days=2))
    assert still is not None and still.status == "unsubscribed"
    # An import that may not revive leaves it alone.
    kept, outcome = store.save_subscription("a@example.org", PREFS, now=NOW, revive=False)
    assert outcome == "refused" and kept.status == "unsubscribed"
    back, outcome = store.save_subscription("a@example.org", PREFS, now=NOW + timedelta(days=3))
    assert outcome == "revived"
    assert back.status == "pending" and back.nonce != sub.nonce
    assert back.unsubscribed_at is None and back.confirmed_at is None
    assert back.id == sub.id


def test_confirmed_subscriptions_pages_in_id_order(store: Store) -> None:
    ids = []
    for i in range(7):
        sub, _ = store.save_subscription(
            f"s{i}@example.org",
            SubscriptionPrefs(frequency="daily" if i % 3 else "weekly"),
            now=NOW,
            confirmed=i != 4,
        )
        ids.append(sub.id)
    store.unsubscribe(ids[5], now=NOW)
    seen: list[int] = []
    after = 0
    while page := store.confirmed_subscriptions("daily", after_id=after, limit=2):
        assert len(page) <= 2
        seen.extend(s.id for s in page)
        after = page[-1].id
    assert seen == [ids[1], ids[2]]  # 4 is pending, 5 unsubscribed, 0/3/6 weekly
    assert [s.id for s in store.confirmed_subscriptions("weekly")] == [ids[0], ids[3], ids[6]]
    assert [s.id for s in store.list_subscriptions(after_id=ids[1], limit=3)] == ids[2:5]
    assert store.count_subscriptions() == {"pending": 1, "confirmed": 5, "unsubscribed": 1}


def test_update_prefs_clears_held_ones(store: Store) -> None:
    sub, _ = store.save_subscription("a@example.org", PREFS, now=NOW, confirmed=True)
    store.save_subscription("a@example.org", SubscriptionPrefs(), now=NOW)
    weekly = SubscriptionPrefs(frequency="weekly", authors=("Émilie du Châtelet",))
    updated = store.update_subscription_prefs(sub.id, weekly, now=NOW)
    assert updated is not None
    assert updated.prefs == weekly and updated.pending_prefs is None
