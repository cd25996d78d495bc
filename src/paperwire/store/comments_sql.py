"""Comments on papers, and the flags readers raise on them for the moderators.

``paper_stats.comments`` counts the comments readers see: a new comment adds one; a
delete of a visible comment, or hiding one, takes one away; unhiding adds it back.
Each change of a comment row and of its count happens in one transaction, and the
statements that decide whether the count moves (``… WHERE hidden_at IS NULL
RETURNING …``) let exactly one of two concurrent writers win, so the count stays exact
on both backends. Comment writes bump the ``community`` data version (pages show them);
flags do not (no page readers see changes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from paperwire.models import Comment, FlaggedComment
from paperwire.store.codec import datetime_or_none, to_datetime, to_utc
from paperwire.store.sql import Part, add_paper_stat, bump_data_version

_COLUMNS = (
    "c.id, c.paper_id, c.user_id, c.body, c.created_at, c.edited_at, c.hidden_at, "
    "u.name AS author_name, u.email AS author_email"
)
_FROM = "FROM comments c JOIN users u ON u.id = c.user_id"


class CommentStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""

    def add_comment(self, paper_id: str, user_id: int, body: str, *, now: datetime) -> Comment:
        """A new visible comment (the paper must exist)."""
        ...

    def get_comment(self, comment_id: int) -> Comment | None:
        """The comment, hidden or not."""
        ...

    def paper_comments(
        self, paper_id: str, *, include_hidden: bool, after: int | None = None, limit: int
    ) -> list[Comment]:
        """A paper's comments, oldest first; ``after``: those with a larger id (the
        next page)."""
        ...

    def edit_comment(
        self, comment_id: int, user_id: int, body: str, *, now: datetime
    ) -> Comment | None:
        """Replace the text of the user's own visible comment; None when there is no
        such comment (missing, another user's, or hidden)."""
        ...

    def delete_comment(self, comment_id: int, user_id: int) -> bool:
        """Delete the user's own visible comment (its flags go with it); False when
        there is no such comment."""
        ...

    def set_comment_hidden(
        self, comment_id: int, *, hidden: bool, moderator_id: int, now: datetime
    ) -> tuple[bool, int]:
        """Hide or unhide a comment and close its open flags (a moderator has looked at
        it): whether the comment's state changed (not when it already was so, or does
        not exist), and how many open flags were closed."""
        ...

    def flag_comment(self, comment_id: int, user_id: int, reason: str, *, now: datetime) -> bool:
        """Record the user's flag (one per user and comment); False when they had
        flagged it already."""
        ...

    def flagged_comments(self, *, limit: int) -> list[FlaggedComment]:
        """Comments with open flags, the most flagged first, then the most recently
        flagged."""
        ...


def _comment(row: dict[str, Any]) -> Comment:
    name = row["author_name"] or row["author_email"].split("@", 1)[0]
    return Comment(
        id=int(row["id"]),
        paper_id=row["paper_id"],
        user_id=int(row["user_id"]),
        author=name,
        body=row["body"],
        created_at=to_datetime(row["created_at"]),
        edited_at=datetime_or_none(row["edited_at"]),
        hidden_at=datetime_or_none(row["hidden_at"]),
    )


class Comments(Part):
    """Comments and flags, written once for both backends."""

    def add_comment(self, paper_id: str, user_id: int, body: str, *, now: datetime) -> Comment:
        with self.connections.writing() as db:
            rows = db.fetchall(
                "INSERT INTO comments (paper_id, user_id, body, created_at) "
                "VALUES (?, ?, ?, ?) RETURNING id",
                (paper_id, user_id, body, to_utc(now)),
            )
            add_paper_stat(db, paper_id, "comments", 1)
            bump_data_version(db, "community")
            row = db.fetchone(f"SELECT {_COLUMNS} {_FROM} WHERE c.id = ?", (rows[0]["id"],))
        assert row is not None
        return _comment(row)

    def get_comment(self, comment_id: int) -> Comment | None:
        with self.connections.reading() as db:
            row = db.fetchone(f"SELECT {_COLUMNS} {_FROM} WHERE c.id = ?", (comment_id,))
        return _comment(row) if row else None

    def paper_comments(
        self, paper_id: str, *, include_hidden: bool, after: int | None = None, limit: int
    ) -> list[Comment]:
        where = ["c.paper_id = ?"]
        params: list[Any] = [paper_id]
        if not include_hidden:
            where.append("c.hidden_at IS NULL")
        if after is not None:
            where.append("c.id > ?")
            params.append(after)
        params.append(limit)
        with self.connections.reading() as db:
            rows = db.fetchall(
                f"SELECT {_COLUMNS} {_FROM} WHERE {' AND '.join(where)} ORDER BY c.id LIMIT ?",
                params,
            )
        return [_comment(r) for r in rows]

    def edit_comment(
        self, comment_id: int, user_id: int, body: str, *, now: datetime
    ) -> Comment | None:
        with self.connections.writing() as db:
            changed = db.fetchall(
                "UPDATE comments SET body = ?, edited_at = ? "
                "WHERE id = ? AND user_id = ? AND hidden_at IS NULL RETURNING id",
                (body, to_utc(now), comment_id, user_id),
            )
            if not changed:
                return None
            bump_data_version(db, "community")
            row = db.fetchone(f"SELECT {_COLUMNS} {_FROM} WHERE c.id = ?", (comment_id,))
        return _comment(row) if row else None

    def delete_comment(self, comment_id: int, user_id: int) -> bool:
        with self.connections.writing() as db:
            gone = db.fetchall(
                "DELETE FROM comments WHERE id = ? AND user_id = ? AND hidden_at IS NULL "
                "RETURNING paper_id",
                (comment_id, user_id),
            )
            if not gone:
                return False
            add_paper_stat(db, gone[0]["paper_id"], "comments", -1)
            bump_data_version(db, "community")
        return True

    def set_comment_hidden(
        self, comment_id: int, *, hidden: bool, moderator_id: int, now: datetime
    ) -> tuple[bool, int]:
        if hidden:
            change = (
                "UPDATE comments SET hidden_at = ?, hidden_by = ? "
                "WHERE id = ? AND hidden_at IS NULL RETURNING paper_id"
            )
            params: tuple[Any, ...] = (to_utc(now), moderator_id, comment_id)
        else:
            change = (
                "UPDATE comments SET hidden_at = NULL, hidden_by = NULL "
                "WHERE id = ? AND hidden_at IS NOT NULL RETURNING paper_id"
            )
            params = (comment_id,)
        with self.connections.writing() as db:
            closed = db.fetchall(
                "UPDATE comment_flags SET resolved_at = ? "
                "WHERE comment_id = ? AND resolved_at IS NULL RETURNING user_id",
                (to_utc(now), comment_id),
            )
            changed = db.fetchall(change, params)
            if changed:
                add_paper_stat(db, changed[0]["paper_id"], "comments", -1 if hidden else 1)
                bump_data_version(db, "community")
        return bool(changed), len(closed)

    def flag_comment(self, comment_id: int, user_id: int, reason: str, *, now: datetime) -> bool:
        with self.connections.writing() as db:
            added = db.fetchall(
                "INSERT INTO comment_flags (comment_id, user_id, reason, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (comment_id, user_id) DO NOTHING "
                "RETURNING comment_id",
                (comment_id, user_id, reason, to_utc(now)),
            )
        return bool(added)

    def flagged_comments(self, *, limit: int) -> list[FlaggedComment]:
        with self.connections.reading() as db:
            counts = db.fetchall(
                "SELECT comment_id, COUNT(*) AS flags, MAX(created_at) AS last_flagged "
                "FROM comment_flags WHERE resolved_at IS NULL GROUP BY comment_id "
                "ORDER BY COUNT(*) DESC, MAX(created_at) DESC, comment_id LIMIT ?",
                (limit,),
            )
            if not counts:
                return []
            ids = [int(r["comment_id"]) for r in counts]
            marks = ", ".join("?" * len(ids))
            comments = {
                int(r["id"]): _comment(r)
                for r in db.fetchall(f"SELECT {_COLUMNS} {_FROM} WHERE c.id IN ({marks})", ids)
            }
            reasons: dict[int, list[str]] = {}
            for r in db.fetchall(
                "SELECT comment_id, reason FROM comment_flags "
                f"WHERE resolved_at IS NULL AND reason <> '' AND comment_id IN ({marks}) "
                "ORDER BY created_at, user_id",
                ids,
            ):
                reasons.setdefault(int(r["comment_id"]), []).append(r["reason"])
        return [
            FlaggedComment(
                comment=comments[int(r["comment_id"])],
                flags=int(r["flags"]),
                reasons=tuple(reasons.get(int(r["comment_id"]), ())),
                last_flagged=to_datetime(r["last_flagged"]),
            )
            for r in counts
            if int(r["comment_id"]) in comments
        ]
