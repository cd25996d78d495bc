"""The audit log: who did what to whom, for moderators' and operators' actions (role
changes, approvals and rejections, hidden comments). Written in one place so every
action reads alike on the log page; ``actor`` None is the command line."""

from __future__ import annotations

from datetime import UTC, datetime

from paperwire.models import AuditEntry, User
from paperwire.store import Store

# Longest detail kept: a reason typed by a moderator, not an essay.
DETAIL_MAX = 2000
PAGE_SIZE = 50


def record(
    store: Store,
    actor: User | None,
    action: str,
    target: str,
    detail: str = "",
    *,
    now: datetime | None = None,
) -> int:
    """Write one entry; its id. ``action`` is a short verb (``role``, ``approve``,
    ``reject``, ``hide``…), ``target`` what it acted on (``user:3``, ``submission:7``)."""
    return store.add_audit_entry(
        at=now or datetime.now(UTC),
        actor_id=actor.id if actor is not None else None,
        action=action,
        target=target,
        detail=detail[:DETAIL_MAX],
    )


def list_entries(
    store: Store, *, limit: int = PAGE_SIZE, before: int | None = None
) -> list[AuditEntry]:
    """A page of the log, newest first; pass the last entry's id as ``before`` for the next."""
    return store.audit_entries(limit=limit, before=before)
