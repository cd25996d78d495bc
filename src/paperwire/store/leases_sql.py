"""Leases: at most one holder at a time for a named job, across processes and hosts.

Why: two harvests of the same OAI-PMH set (the worker's schedule and a CLI run, say)
would interleave pages and fight over one resumption state. A lease is a row that says
who holds the job and until when; the holder renews it as it makes progress, and a
holder that dies stops renewing, so the lease lapses instead of blocking forever.
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from pathlib import Path
from typing import Protocol

from paperwire.store.sql import Db, Part


def new_owner() -> str:
    """``host:pid:random``: unique per holder, and says where to check it is alive."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(owner: str) -> bool:
    """True only for a holder on this host whose process no longer exists (a run that
    was killed): its lease need not be waited out. Other hosts' holders lapse by time."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return _is_zombie(int(pid))


def _is_zombie(pid: int) -> bool:
    """A process that has exited but is not reaped yet still answers ``kill(pid, 0)``.
    A killed holder whose parent died with it is reparented to PID 1, and where PID 1
    reaps nothing (many containers) it stays a zombie for good: it holds nothing."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:  # no /proc (not Linux), or it exited meanwhile
        return False
    state = stat.rpartition(")")[2].split()[:1]
    return state in (["Z"], ["X"])


class LeaseStore(Protocol):
    def acquire_lease(self, name: str, owner: str, *, seconds: float) -> bool:
        """Take (or renew, for the same owner) the lease ``name`` for ``seconds``;
        ``False`` while another owner holds it unexpired, unless that owner is a
        process of this machine that no longer exists (``holder_is_dead``)."""
        ...

    def lease_holder(self, name: str) -> tuple[str, float] | None:
        """``(owner, expires)`` of an unexpired lease, else ``None``."""
        ...

    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up; nothing happens if ``owner`` no longer holds it."""
        ...


class Leases(Part):
    """Leases, written once for both backends."""

    def acquire_lease(self, name: str, owner: str, *, seconds: float) -> bool:
        now = time.time()
        with self.connections.writing() as db:
            # One statement, so two contenders cannot both see the lease free.
            db.execute(
                "INSERT INTO leases (name, owner, expires) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires "
                "WHERE leases.expires < ? OR leases.owner = excluded.owner",
                (name, owner, now + seconds, now),
            )
            holder = _holder(db, name)
            if holder is not None and holder != owner and holder_is_dead(holder):
                # a run killed on this machine cannot renew: take its lease at once
                # instead of making the next run wait until it lapses
                _move(db, name, holder, owner, now + seconds)
                holder = _holder(db, name)
        return holder == owner

    def lease_holder(self, name: str) -> tuple[str, float] | None:
        with self.connections.reading() as db:
            return live_holder(db, name)

    def release_lease(self, name: str, owner: str) -> None:
        with self.connections.writing() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner))


def live_holder(db: Db, name: str) -> tuple[str, float] | None:
    """``(owner, expires)`` of the unexpired lease ``name``, read in ``db``'s own
    transaction (a writer that must decide in the same transaction reads it here)."""
    row = db.fetchone(
        "SELECT owner, expires FROM leases WHERE name = ? AND expires >= ?", (name, time.time())
    )
    return (row["owner"], float(row["expires"])) if row else None


def _holder(db: Db, name: str) -> str | None:
    row = db.fetchone("SELECT owner FROM leases WHERE name = ?", (name,))
    return row["owner"] if row else None


def _move(db: Db, name: str, holder: str, owner: str, expires: float) -> None:
    db.execute(
        "UPDATE leases SET owner = ?, expires = ? WHERE name = ? AND owner = ?",
        (owner, expires, name, holder),
    )
