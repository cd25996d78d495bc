"""Upvotes, and what every card shows of the community (``card_stats``).

A vote is one ``votes`` row per (user, paper). Casting or withdrawing one changes
``paper_stats.upvotes`` by one statement in the same transaction and bumps the
``community`` data version, so the count is exact however many readers vote at once,
on both backends: on SQLite writes are serialized; on PostgreSQL the vote row's
primary key decides which of two identical requests inserts, and the counter row is
updated in place (``upvotes = upvotes + 1``) under its row lock. Both calls are
idempotent: voting twice, or withdrawing a vote that is not there, changes nothing.

Each vote keeps the salted hash of the address it came from (never the address) and
whether it was part of a burst from that address; the trending ranking reads both
(``trending_sql.py``). Times are stored in UTC, so SQLite's ISO text compares in time
order as PostgreSQL's ``timestamptz`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from paperwire.models import CardStats, User
from paperwire.store.codec import to_datetime, to_utc
from paperwire.store.sql import ID_CHUNK, Db, Part, add_paper_stat, bump_data_version, chunks

VoteState = tuple[int, bool]  # (upvotes of the paper, whether this user now votes for it)
ReaderMarks = tuple[frozenset[str], frozenset[str]]  # (papers voted for, papers saved)


class VoteStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""

    def vote(
        self,
        user_id: int,
        paper_id: str,
        *,
        now: datetime,
        ip_hash: str = "",
        burst_since: datetime | None = None,
        burst_limit: int = 0,
    ) -> VoteState | None:
        """Record the user's vote for the paper (nothing changes when it is there
        already); None when no such paper is stored. The vote is marked a burst when
        ``ip_hash`` is set and ``burst_limit`` or more votes on this paper came from
        the same address since ``burst_since``."""
        ...

    def unvote(self, user_id: int, paper_id: str) -> VoteState | None:
        """Withdraw the user's vote (nothing changes when there is none); None when no
        such paper is stored."""
        ...

    def set_user_trusted(self, user_id: int, trusted_at: datetime | None) -> bool:
        """Mark the account verified since ``trusted_at`` (None: no longer); False when
        there is no such user. The trending score follows (a data-version bump)."""
        ...

    def card_stats(
        self, paper_ids: Sequence[str], viewer_id: int | None = None
    ) -> dict[str, CardStats]:
        """Counts, submitter and the viewer's own vote and save of each stored paper
        of ``paper_ids``, in one query through primary keys (unknown ids are left
        out); ``voted``/``saved`` are False without a viewer."""
        ...

    def reader_marks(self, user_id: int, paper_ids: Sequence[str]) -> ReaderMarks:
        """``(voted, saved)``: the papers of ``paper_ids`` the user votes for and those
        they saved, in one query through the two primary keys: all a page shared by
        every signed-in reader needs to be this reader's (``web/reader_pages.py``)."""
        ...


def _state(db: Db, paper_id: str, *, voted: bool) -> VoteState | None:
    row = db.fetchone(
        "SELECT COALESCE(s.upvotes, 0) AS upvotes FROM papers p "
        "LEFT JOIN paper_stats s ON s.paper_id = p.id WHERE p.id = ?",
        (paper_id,),
    )
    return (int(row["upvotes"]), voted) if row else None


def _submitter(row: dict[str, Any]) -> str | None:
    if row["sub_id"] is None:
        return None
    return User(
        id=int(row["sub_id"]),
        email=row["sub_email"],
        name=row["sub_name"],
        role=row["sub_role"],
        created_at=to_datetime(row["sub_created"]),
    ).display_name


class Votes(Part):
    """Votes and card stats, written once for both backends."""

    def vote(
        self,
        user_id: int,
        paper_id: str,
        *,
        now: datetime,
        ip_hash: str = "",
        burst_since: datetime | None = None,
        burst_limit: int = 0,
    ) -> VoteState | None:
        with self.connections.writing() as db:
            burst = 0
            if ip_hash and burst_since is not None and burst_limit > 0:
                recent = db.fetchone(
                    "SELECT COUNT(*) AS n FROM votes WHERE paper_id = ? AND created_at >= ? "
                    "AND ip_hash = ?",
                    (paper_id, to_utc(burst_since), ip_hash),
                )
                burst = int(bool(recent and int(recent["n"]) >= burst_limit))
            # INSERT … SELECT FROM papers: an unknown paper inserts nothing (no foreign
            # key error), and the primary key makes a repeated vote a no-op.
            added = db.fetchone(
                "INSERT INTO votes (user_id, paper_id, created_at, ip_hash, burst) "
                "SELECT ?, id, ?, ?, ? FROM papers WHERE id = ? "
                "ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING paper_id",
                (user_id, to_utc(now), ip_hash, burst, paper_id),
            )
            if added is not None:
                add_paper_stat(db, paper_id, "upvotes", 1)
                bump_data_version(db, "community")
                return _state(db, paper_id, voted=True)
            return _state(db, paper_id, voted=True)

    def unvote(self, user_id: int, paper_id: str) -> VoteState | None:
        with self.connections.writing() as db:
            removed = db.fetchone(
                "DELETE FROM votes WHERE user_id = ? AND paper_id = ? RETURNING paper_id",
                (user_id, paper_id),
            )
            if removed is not None:
                add_paper_stat(db, paper_id, "upvotes", -1)
                bump_data_version(db, "community")
            return _state(db, paper_id, voted=False)

    def set_user_trusted(self, user_id: int, trusted_at: datetime | None) -> bool:
        with self.connections.writing() as db:
            found = db.fetchone(
                "UPDATE users SET trusted_at = ? WHERE id = ? RETURNING id",
                (to_utc(trusted_at) if trusted_at is not None else None, user_id),
            )
            if found is not None:
                bump_data_version(db, "community")
        return found is not None

    def card_stats(
        self, paper_ids: Sequence[str], viewer_id: int | None = None
    ) -> dict[str, CardStats]:
        ids = list(dict.fromkeys(paper_ids))
        out: dict[str, CardStats] = {}
        if not ids:
            return out
        # -1 matches no user: one statement serves signed-in and signed-out readers.
        viewer = viewer_id if viewer_id is not None else -1
        with self.connections.reading() as db:
            for part in chunks(ids, ID_CHUNK):
                marks = ", ".join("?" * len(part))
                rows = db.fetchall(
                    "SELECT p.id AS id, COALESCE(s.upvotes, 0) AS upvotes, "
                    "COALESCE(s.comments, 0) AS comments, COALESCE(s.saves, 0) AS saves, "
                    "u.id AS sub_id, u.email AS sub_email, u.name AS sub_name, "
                    "u.role AS sub_role, u.created_at AS sub_created, "
                    "v.user_id AS voter, l.user_id AS saver "
                    "FROM papers p "
                    "LEFT JOIN paper_stats s ON s.paper_id = p.id "
                    "LEFT JOIN submissions sb ON sb.paper_id = p.id AND sb.status = 'approved' "
                    "LEFT JOIN users u ON u.id = sb.user_id "
                    "LEFT JOIN votes v ON v.user_id = ? AND v.paper_id = p.id "
                    "LEFT JOIN library_items l ON l.user_id = ? AND l.paper_id = p.id "
                    f"WHERE p.id IN ({marks})",
                    [viewer, viewer, *part],
                )
                for row in rows:
                    out[row["id"]] = CardStats(
                        upvotes=int(row["upvotes"]),
                        comments=int(row["comments"]),
                        saves=int(row["saves"]),
                        submitted_by=_submitter(row),
                        voted=row["voter"] is not None,
                        saved=row["saver"] is not None,
                    )
        return out

    def reader_marks(self, user_id: int, paper_ids: Sequence[str]) -> ReaderMarks:
        ids = list(dict.fromkeys(paper_ids))
        voted: set[str] = set()
        saved: set[str] = set()
        with self.connections.reading() as db:
            for part in chunks(ids, ID_CHUNK // 2):
                marks = ", ".join("?" * len(part))
                rows = db.fetchall(
                    "SELECT paper_id, 1 AS voted FROM votes "
                    f"WHERE user_id = ? AND paper_id IN ({marks}) "
                    "UNION ALL "
                    "SELECT paper_id, 0 AS voted FROM library_items "
                    f"WHERE user_id = ? AND paper_id IN ({marks})",
                    [user_id, *part, user_id, *part],
                )
                for row in rows:
                    (voted if row["voted"] else saved).add(row["paper_id"])
        return frozenset(voted), frozenset(saved)
