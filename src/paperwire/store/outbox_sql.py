"""The digest outbox: one row per subscriber and period, and the papers each subscriber
was sent.

A row is planned ``pending``; a sender claims it (``sending``, under its owner name,
until a lease runs out) right before the SMTP exchange, and records the outcome:
``sent`` together with the papers it held (one transaction), ``skipped`` (nothing to
send), ``failed`` (refused for good), or back to ``pending`` with the time of the next
attempt. A ``sending`` row whose lease ran out, or whose owner was a process of this
machine that no longer exists (a sender killed mid-run), may be claimed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from paperwire.models import OutboxEntry
from paperwire.store.codec import datetime_or_none, to_datetime, to_utc
from paperwire.store.leases_sql import holder_is_dead
from paperwire.store.sql import ID_CHUNK, Db, Part, chunks, fetch_count

MAX_ERROR_CHARS = 2000


class OutboxStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""

    def plan_digests(self, frequency: str, period_key: str, *, now: datetime) -> int:
        """A ``pending`` row of ``period_key`` for every confirmed subscription of
        ``frequency`` that has none; how many were added. A rerun adds nothing."""
        ...

    def due_digests(
        self, frequency: str, *, now: datetime, after_id: int = 0, limit: int = 500
    ) -> list[OutboxEntry]:
        """Rows of ``frequency`` a sender may try to claim, in id order after
        ``after_id``: ``pending`` rows whose next attempt is due, and ``sending`` rows
        (``claim_digest`` decides whether their claim lapsed)."""
        ...

    def claim_digest(
        self, entry_id: int, owner: str, *, now: datetime, lease: timedelta
    ) -> OutboxEntry | None:
        """Mark the row ``sending`` for ``owner`` until ``now + lease`` and count an
        attempt, if it is due ``pending``, or ``sending`` under a lapsed claim or a dead
        owner of this machine; None when it is not (another sender has it, it is done,
        or not yet due). Two senders never both get a row."""
        ...

    def finish_digest_sent(
        self,
        entry_id: int,
        *,
        sent_at: datetime,
        message_id: str,
        paper_ids: Sequence[str],
    ) -> None:
        """The row is ``sent`` and its papers are recorded as sent to its subscriber,
        in one transaction."""
        ...

    def finish_digest_skipped(self, entry_id: int, *, reason: str) -> None:
        """Nothing was to be sent (an empty digest, a subscriber gone meanwhile)."""
        ...

    def finish_digest_failed(self, entry_id: int, *, error: str) -> None:
        """Refused for good (a permanent SMTP answer): ``failed``, never retried."""
        ...

    def retry_digest(
        self, entry_id: int, *, error: str, next_attempt_at: datetime, count_attempt: bool = True
    ) -> None:
        """Back to ``pending``, tried again from ``next_attempt_at``. ``count_attempt``
        False: the failure was not this message's (the server could not be reached), so
        the attempt claimed for it does not count."""
        ...

    def sent_digest_papers(self, subscription_id: int, paper_ids: Sequence[str]) -> set[str]:
        """Which of ``paper_ids`` were already sent to the subscriber."""
        ...

    def outbox_entry(self, subscription_id: int, period_key: str) -> OutboxEntry | None: ...

    def outbox_statuses(self, period_key: str) -> dict[int, str]:
        """Each subscription's row status for ``period_key`` (subscriptions without a
        row are absent)."""
        ...

    def outbox_counts(self, period_key: str) -> dict[str, int]:
        """Rows of ``period_key`` per status (every status named, 0 when none)."""
        ...

    def latest_digest_period(self, frequency: str) -> str | None:
        """The period key of the newest row of ``frequency``."""
        ...

    def next_digest_attempt(self, frequency: str) -> datetime | None:
        """When a row of ``frequency`` is next due: the earliest ``pending`` row's next
        attempt, or a ``sending`` row's lease end; None when none is waiting."""
        ...


STATUSES = ("pending", "sending", "sent", "skipped", "failed")


def _row_to_entry(row: dict[str, Any]) -> OutboxEntry:
    return OutboxEntry(
        id=int(row["id"]),
        subscription_id=int(row["subscription_id"]),
        frequency=row["frequency"],
        period_key=row["period_key"],
        status=row["status"],
        attempts=int(row["attempts"]),
        next_attempt_at=to_datetime(row["next_attempt_at"]),
        created_at=to_datetime(row["created_at"]),
        claimed_by=row["claimed_by"],
        claimed_until=datetime_or_none(row["claimed_until"]),
        last_error=row["last_error"],
        sent_at=datetime_or_none(row["sent_at"]),
        message_id=row["message_id"],
        papers=int(row["papers"]),
    )


def _entry(db: Db, entry_id: int) -> OutboxEntry | None:
    row = db.fetchone("SELECT * FROM digest_outbox WHERE id = ?", (entry_id,))
    return _row_to_entry(row) if row else None


class Outbox(Part):
    """The digest outbox, written once for both backends."""

    def plan_digests(self, frequency: str, period_key: str, *, now: datetime) -> int:
        at = to_utc(now)
        with self.connections.writing() as db:
            before = fetch_count(
                db, "SELECT COUNT(*) AS n FROM digest_outbox WHERE period_key = ?", (period_key,)
            )
            # One statement for every subscriber: planning 10,000 rows costs one write.
            db.execute(
                "INSERT INTO digest_outbox (subscription_id, frequency, period_key, status, "
                "attempts, created_at, next_attempt_at) "
                "SELECT id, ?, ?, 'pending', 0, ?, ? FROM subscriptions "
                "WHERE status = 'confirmed' AND frequency = ? "
                "ON CONFLICT (subscription_id, period_key) DO NOTHING",
                (frequency, period_key, at, at, frequency),
            )
            after = fetch_count(
                db, "SELECT COUNT(*) AS n FROM digest_outbox WHERE period_key = ?", (period_key,)
            )
        return after - before

    def due_digests(
        self, frequency: str, *, now: datetime, after_id: int = 0, limit: int = 500
    ) -> list[OutboxEntry]:
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT * FROM digest_outbox WHERE frequency = ? AND id > ? AND "
                "((status = 'pending' AND next_attempt_at <= ?) OR status = 'sending') "
                "ORDER BY id LIMIT ?",
                (frequency, after_id, to_utc(now), limit),
            )
        return [_row_to_entry(r) for r in rows]

    def claim_digest(
        self, entry_id: int, owner: str, *, now: datetime, lease: timedelta
    ) -> OutboxEntry | None:
        at = to_utc(now)
        with self.connections.writing() as db:
            current = _entry(db, entry_id)
            if current is None:
                return None
            if current.status == "pending":
                if current.next_attempt_at > at:
                    return None
            elif current.status == "sending":
                lapsed = current.claimed_until is None or current.claimed_until < at
                if not lapsed and not (current.claimed_by and holder_is_dead(current.claimed_by)):
                    return None
            else:
                return None
            # Conditional on the row as read: if another sender changed it meanwhile
            # (PostgreSQL), this updates nothing and the check below says so.
            db.execute(
                "UPDATE digest_outbox SET status = 'sending', claimed_by = ?, claimed_until = ?, "
                "attempts = attempts + 1 "
                "WHERE id = ? AND status = ? AND attempts = ? AND COALESCE(claimed_by, '') = ?",
                (
                    owner,
                    at + lease,
                    entry_id,
                    current.status,
                    current.attempts,
                    current.claimed_by or "",
                ),
            )
            claimed = _entry(db, entry_id)
        if claimed is None or claimed.claimed_by != owner or claimed.status != "sending":
            return None
        return claimed

    def finish_digest_sent(
        self,
        entry_id: int,
        *,
        sent_at: datetime,
        message_id: str,
        paper_ids: Sequence[str],
    ) -> None:
        with self.connections.writing() as db:
            current = _entry(db, entry_id)
            if current is None:
                return
            db.execute(
                "UPDATE digest_outbox SET status = 'sent', sent_at = ?, message_id = ?, "
                "papers = ?, claimed_by = NULL, claimed_until = NULL, last_error = NULL "
                "WHERE id = ?",
                (to_utc(sent_at), message_id, len(paper_ids), entry_id),
            )
            # Papers deleted meanwhile are left out (the foreign key would refuse them).
            for part in chunks(list(dict.fromkeys(paper_ids)), ID_CHUNK):
                db.execute(
                    "INSERT INTO digest_sent_papers (subscription_id, paper_id, period_key) "
                    f"SELECT ?, id, ? FROM papers WHERE id IN ({', '.join('?' * len(part))}) "
                    "ON CONFLICT (subscription_id, paper_id) DO NOTHING",
                    (current.subscription_id, current.period_key, *part),
                )

    def finish_digest_skipped(self, entry_id: int, *, reason: str) -> None:
        with self.connections.writing() as db:
            db.execute(
                "UPDATE digest_outbox SET status = 'skipped', claimed_by = NULL, "
                "claimed_until = NULL, last_error = ? WHERE id = ?",
                (reason[:MAX_ERROR_CHARS], entry_id),
            )

    def finish_digest_failed(self, entry_id: int, *, error: str) -> None:
        with self.connections.writing() as db:
            db.execute(
                "UPDATE digest_outbox SET status = 'failed', claimed_by = NULL, "
                "claimed_until = NULL, last_error = ? WHERE id = ?",
                (error[:MAX_ERROR_CHARS], entry_id),
            )

    def retry_digest(
        self, entry_id: int, *, error: str, next_attempt_at: datetime, count_attempt: bool = True
    ) -> None:
        with self.connections.writing() as db:
            db.execute(
                "UPDATE digest_outbox SET status = 'pending', claimed_by = NULL, "
                "claimed_until = NULL, last_error = ?, next_attempt_at = ?, "
                "attempts = CASE WHEN ? = 1 OR attempts = 0 THEN attempts ELSE attempts - 1 END "
                "WHERE id = ?",
                (error[:MAX_ERROR_CHARS], to_utc(next_attempt_at), int(count_attempt), entry_id),
            )

    def sent_digest_papers(self, subscription_id: int, paper_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        ids = list(dict.fromkeys(paper_ids))
        with self.connections.reading() as db:
            for part in chunks(ids, ID_CHUNK):
                rows = db.fetchall(
                    "SELECT paper_id FROM digest_sent_papers WHERE subscription_id = ? "
                    f"AND paper_id IN ({', '.join('?' * len(part))})",
                    (subscription_id, *part),
                )
                found.update(r["paper_id"] for r in rows)
        return found

    def outbox_entry(self, subscription_id: int, period_key: str) -> OutboxEntry | None:
        with self.connections.reading() as db:
            row = db.fetchone(
                "SELECT * FROM digest_outbox WHERE subscription_id = ? AND period_key = ?",
                (subscription_id, period_key),
            )
        return _row_to_entry(row) if row else None

    def outbox_statuses(self, period_key: str) -> dict[int, str]:
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT subscription_id, status FROM digest_outbox WHERE period_key = ?",
                (period_key,),
            )
        return {int(r["subscription_id"]): r["status"] for r in rows}

    def outbox_counts(self, period_key: str) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT status, COUNT(*) AS n FROM digest_outbox WHERE period_key = ? "
                "GROUP BY status",
                (period_key,),
            )
        for row in rows:
            counts[row["status"]] = int(row["n"])
        return counts

    def latest_digest_period(self, frequency: str) -> str | None:
        with self.connections.reading() as db:
            row = db.fetchone(
                "SELECT period_key FROM digest_outbox WHERE frequency = ? ORDER BY id DESC LIMIT 1",
                (frequency,),
            )
        return row["period_key"] if row else None

    def next_digest_attempt(self, frequency: str) -> datetime | None:
        with self.connections.reading() as db:
            row = db.fetchone(
                "SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at "
                "ELSE claimed_until END) AS at FROM digest_outbox "
                "WHERE frequency = ? AND status IN ('pending', 'sending')",
                (frequency,),
            )
        return datetime_or_none(row["at"]) if row else None
