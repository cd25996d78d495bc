"""Accounts: users, sign-in links, sessions, personal API tokens, the audit log and the
fixed-window rate limits every web worker shares.

Secrets never reach this part: callers hand in the SHA-256 of a token (``token_hash``),
so a copy of the database signs no one in. Times are stored in UTC, so SQLite's ISO
text compares in time order as PostgreSQL's ``timestamptz`` does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from paperwire.models import ApiToken, AuditEntry, User
from paperwire.store.codec import datetime_or_none, to_datetime, to_utc
from paperwire.store.sql import Part, bump_data_version

_USER_COLUMNS = "u.id, u.email, u.name, u.role, u.created_at, u.trusted_at"


class AccountStore(Protocol):
    """What the rest of paperwire may ask of this part of the store."""

    # --- users ---------------------------------------------------------------------
    def ensure_user(
        self, email: str, *, now: datetime, name: str = "", role: str = "user"
    ) -> tuple[User, bool]:
        """The user with ``email`` (already normalised), created with ``name`` and
        ``role`` when there is none; the flag says whether it was created. An existing
        user keeps their name and role."""
        ...

    def get_user(self, user_id: int) -> User | None: ...

    def get_user_by_email(self, email: str) -> User | None: ...

    def list_users(self) -> list[User]:
        """Every user, oldest first."""
        ...

    def set_user_role(self, user_id: int, role: str) -> None: ...

    def set_user_name(self, user_id: int, name: str) -> None: ...

    def record_sign_in(self, user_id: int, *, now: datetime) -> None: ...

    # --- sign-in links -----------------------------------------------------------------
    def add_login_token(
        self, token_hash: str, email: str, *, now: datetime, expires_at: datetime
    ) -> None:
        """Keep a sign-in link's hash; links expired before ``now`` are dropped."""
        ...

    def consume_login_token(self, token_hash: str, *, now: datetime) -> str | None:
        """Mark the link used and give its email, in one statement: of two concurrent
        uses exactly one succeeds. None when unknown, used or expired."""
        ...

    # --- sessions ---------------------------------------------------------------------
    def add_session(
        self, token_hash: str, user_id: int, *, now: datetime, expires_at: datetime
    ) -> None:
        """Keep a session; the user's sessions expired before ``now`` are dropped."""
        ...

    def session_user(self, token_hash: str, *, now: datetime) -> User | None:
        """The user of an unexpired session, else None."""
        ...

    def delete_session(self, token_hash: str) -> None: ...

    def delete_user_sessions(self, user_id: int) -> int:
        """End every session of the user; how many there were."""
        ...

    # --- personal API tokens -----------------------------------------------------------
    def add_api_token(self, token_hash: str, user_id: int, *, name: str, now: datetime) -> int:
        """Keep a token's hash; its id."""
        ...

    def api_token_user(self, token_hash: str) -> tuple[User, int, datetime | None] | None:
        """``(user, token id, last used)`` of a token not revoked, else None."""
        ...

    def touch_api_token(self, token_id: int, *, now: datetime) -> None: ...

    def list_api_tokens(self, user_id: int) -> list[ApiToken]:
        """The user's tokens not revoked, newest first."""
        ...

    def revoke_api_token(self, user_id: int, token_id: int, *, now: datetime) -> bool:
        """Revoke the user's own token; False when they have no such token (another
        user's token id is no different from a missing one)."""
        ...

    # --- audit log --------------------------------------------------------------------
    def add_audit_entry(
        self, *, at: datetime, actor_id: int | None, action: str, target: str, detail: str
    ) -> int: ...

    def audit_entries(self, *, limit: int, before: int | None = None) -> list[AuditEntry]:
        """Newest first; ``before``: entries older than that id (the next page)."""
        ...

    # --- rate limits -------------------------------------------------------------------
    def hit_rate_window(
        self, bucket: str, *, window_start: datetime, prune_before: datetime
    ) -> int:
        """Count one hit in the bucket's window; the window's hits so far (this one
        included), exact across workers. Opening a new window drops windows that
        started before ``prune_before``."""
        ...


def _user(row: dict[str, Any]) -> User:
    return User(
        id=int(row["id"]),
        email=row["email"],
        name=row["name"],
        role=row["role"],
        created_at=to_datetime(row["created_at"]),
        trusted_at=datetime_or_none(row["trusted_at"]),
    )


class Accounts(Part):
    """Accounts, written once for both backends."""

    # --- users ---------------------------------------------------------------------
    def ensure_user(
        self, email: str, *, now: datetime, name: str = "", role: str = "user"
    ) -> tuple[User, bool]:
        with self.connections.writing() as db:
            created = db.fetchall(
                "INSERT INTO users (email, name, role, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (email) DO NOTHING RETURNING id",
                (email, name, role, to_utc(now)),
            )
            row = db.fetchone(f"SELECT {_USER_COLUMNS} FROM users u WHERE u.email = ?", (email,))
        assert row is not None
        return _user(row), bool(created)

    def get_user(self, user_id: int) -> User | None:
        with self.connections.reading() as db:
            row = db.fetchone(f"SELECT {_USER_COLUMNS} FROM users u WHERE u.id = ?", (user_id,))
        return _user(row) if row else None

    def get_user_by_email(self, email: str) -> User | None:
        with self.connections.reading() as db:
            row = db.fetchone(f"SELECT {_USER_COLUMNS} FROM users u WHERE u.email = ?", (email,))
        return _user(row) if row else None

    def list_users(self) -> list[User]:
        with self.connections.reading() as db:
            rows = db.fetchall(f"SELECT {_USER_COLUMNS} FROM users u ORDER BY u.id")
        return [_user(r) for r in rows]

    def set_user_role(self, user_id: int, role: str) -> None:
        with self.connections.writing() as db:
            db.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))
            bump_data_version(db, "community")

    def set_user_name(self, user_id: int, name: str) -> None:
        # Names show on pages ("submitted by", comments, the header): kept pages and
        # validators must follow.
        with self.connections.writing() as db:
            db.execute("UPDATE users SET name = ? WHERE id = ?", (name, user_id))
            bump_data_version(db, "community")

    def record_sign_in(self, user_id: int, *, now: datetime) -> None:
        with self.connections.writing() as db:
            db.execute("UPDATE users SET last_sign_in = ? WHERE id = ?", (to_utc(now), user_id))

    # --- sign-in links -----------------------------------------------------------------
    def add_login_token(
        self, token_hash: str, email: str, *, now: datetime, expires_at: datetime
    ) -> None:
        with self.connections.writing() as db:
            db.execute("DELETE FROM login_tokens WHERE expires_at < ?", (to_utc(now),))
            db.execute(
                "INSERT INTO login_tokens (token_hash, email, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (token_hash, email, to_utc(now), to_utc(expires_at)),
            )

    def consume_login_token(self, token_hash: str, *, now: datetime) -> str | None:
        with self.connections.writing() as db:
            rows = db.fetchall(
                "UPDATE login_tokens SET used_at = ? "
                "WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING email",
                (to_utc(now), token_hash, to_utc(now)),
            )
        return str(rows[0]["email"]) if rows else None

    # --- sessions ---------------------------------------------------------------------
    def add_session(
        self, token_hash: str, user_id: int, *, now: datetime, expires_at: datetime
    ) -> None:
        with self.connections.writing() as db:
            db.execute(
                "DELETE FROM sessions WHERE user_id = ? AND expires_at < ?", (user_id, to_utc(now))
            )
            db.execute(
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (token_hash, user_id, to_utc(now), to_utc(expires_at)),
            )

    def session_user(self, token_hash: str, *, now: datetime) -> User | None:
        with self.connections.reading() as db:
            row = db.fetchone(
                f"SELECT {_USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id "
                "WHERE s.token_hash = ? AND s.expires_at > ?",
                (token_hash, to_utc(now)),
            )
        return _user(row) if row else None

    def delete_session(self, token_hash: str) -> None:
        with self.connections.writing() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    def delete_user_sessions(self, user_id: int) -> int:
        with self.connections.writing() as db:
            rows = db.fetchall(
                "DELETE FROM sessions WHERE user_id = ? RETURNING token_hash", (user_id,)
            )
            # Browsers elsewhere still hold pages validated for their old cookie: a new
            # version makes their next revalidation render the page signed out.
            bump_data_version(db, "community")
        return len(rows)

    # --- personal API tokens -----------------------------------------------------------
    def add_api_token(self, token_hash: str, user_id: int, *, name: str, now: datetime) -> int:
        with self.connections.writing() as db:
            rows = db.fetchall(
                "INSERT INTO api_tokens (token_hash, user_id, name, created_at) "
                "VALUES (?, ?, ?, ?) RETURNING id",
                (token_hash, user_id, name, to_utc(now)),
            )
        return int(rows[0]["id"])

    def api_token_user(self, token_hash: str) -> tuple[User, int, datetime | None] | None:
        with self.connections.reading() as db:
            row = db.fetchone(
                f"SELECT {_USER_COLUMNS}, t.id AS token_id, t.last_used "
                "FROM api_tokens t JOIN users u ON u.id = t.user_id "
                "WHERE t.token_hash = ? AND t.revoked_at IS NULL",
                (token_hash,),
            )
        if row is None:
            return None
        return _user(row), int(row["token_id"]), datetime_or_none(row["last_used"])

    def touch_api_token(self, token_id: int, *, now: datetime) -> None:
        with self.connections.writing() as db:
            db.execute("UPDATE api_tokens SET last_used = ? WHERE id = ?", (to_utc(now), token_id))

    def list_api_tokens(self, user_id: int) -> list[ApiToken]:
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT id, user_id, name, created_at, last_used FROM api_tokens "
                "WHERE user_id = ? AND revoked_at IS NULL ORDER BY id DESC",
                (user_id,),
            )
        return [
            ApiToken(
                id=int(r["id"]),
                user_id=int(r["user_id"]),
                name=r["name"],
                created_at=to_datetime(r["created_at"]),
                last_used=datetime_or_none(r["last_used"]),
            )
            for r in rows
        ]

    def revoke_api_token(self, user_id: int, token_id: int, *, now: datetime) -> bool:
        with self.connections.writing() as db:
            rows = db.fetchall(
                "UPDATE api_tokens SET revoked_at = ? "
                "WHERE id = ? AND user_id = ? AND revoked_at IS NULL RETURNING id",
                (to_utc(now), token_id, user_id),
            )
        return bool(rows)

    # --- audit log --------------------------------------------------------------------
    def add_audit_entry(
        self, *, at: datetime, actor_id: int | None, action: str, target: str, detail: str
    ) -> int:
        with self.connections.writing() as db:
            rows = db.fetchall(
                "INSERT INTO audit_log (at, actor_id, action, target, detail) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (to_utc(at), actor_id, action, target, detail),
            )
        return int(rows[0]["id"])

    def audit_entries(self, *, limit: int, before: int | None = None) -> list[AuditEntry]:
        where = "WHERE a.id < ?" if before is not None else ""
        params: tuple[Any, ...] = (before, limit) if before is not None else (limit,)
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT a.id, a.at, a.actor_id, a.action, a.target, a.detail, "
                "u.name AS actor_name, u.email AS actor_email "
                f"FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id {where} "
                "ORDER BY a.id DESC LIMIT ?",
                params,
            )
        return [
            AuditEntry(
                id=int(r["id"]),
                at=to_datetime(r["at"]),
                actor_id=None if r["actor_id"] is None else int(r["actor_id"]),
                actor_name=(r["actor_name"] or r["actor_email"].split("@", 1)[0])
                if r["actor_email"] is not None
                else None,
                action=r["action"],
                target=r["target"],
                detail=r["detail"],
            )
            for r in rows
        ]

    # --- rate limits -------------------------------------------------------------------
    def hit_rate_window(
        self, bucket: str, *, window_start: datetime, prune_before: datetime
    ) -> int:
        with self.connections.writing() as db:
            rows = db.fetchall(
                "INSERT INTO rate_limits (bucket, window_start, hits) VALUES (?, ?, 1) "
                "ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 "
                "RETURNING hits",
                (bucket, to_utc(window_start)),
            )
            hits = int(rows[0]["hits"])
            if hits == 1:
                db.execute(
                    "DELETE FROM rate_limits WHERE window_start < ?", (to_utc(prune_before),)
                )
        return hits
