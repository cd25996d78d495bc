"""Community submissions: a paper put forward by a reader, pending until a moderator
approves or rejects it. One row per paper (``UNIQUE (paper_id)``), so a second
submission of the same paper merges into the first. An approved submission lists its
paper on ``submitted_day`` (``listing_sql.py`` reads that), and every decision bumps the
``community`` data version in its own transaction, so cached pages follow.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from paperwire.models import SUBMISSION_STATUSES, Paper, Submission
from paperwire.store.codec import datetime_or_none, row_to_paper, to_date, to_datetime, to_utc
from paperwire.store.sql import Db, Part, bump_data_version, fetch_count


class SubmissionStore(Protocol):
    """What the rest of paperwire may ask about submissions."""

    def add_submission(
        self, paper_id: str, user_id: int, *, at: datetime, daily_limit: int
    ) -> tuple[Submission, bool] | None:
        """Submit a stored paper, pending, on the UTC day of ``at``. Returns the
        submission and True when this call made it; the paper's existing submission and
        False when it had one (whoever made it, whatever its state); None when the user
        already made ``daily_limit`` submissions that day (0: no limit). Exact under
        concurrent calls on both backends."""
        ...

    def get_submission(self, submission_id: int) -> Submission | None: ...

    def submission_for_paper(self, paper_id: str) -> Submission | None: ...

    def list_submissions(
        self,
        *,
        status: str | None = None,
        user_id: int | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[Submission]:
        """Newest first; ``before``: submissions older than that id (the next page)."""
        ...

    def count_submissions(
        self, *, status: str | None = None, user_id: int | None = None
    ) -> int: ...

    def decide_submission(
        self, submission_id: int, *, status: str, moderator_id: int, at: datetime, reason: str = ""
    ) -> Submission | None:
        """Set ``status`` (approved or rejected) with who decided, when and why; None
        when there is no such submission or it already has that status (nothing
        changes then)."""
        ...

    def submitted_papers(
        self,
        *,
        submitter: str,
        start: date | None = None,
        end: date | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Paper]:
        """Papers of approved submissions by the user whose display name is
        ``submitter`` (their name, or the part of their address before "@" when they
        set none), submitted on ``start..end`` (open when None); newest submission day
        first. Each paper's ``listed_on`` is its submission day."""
        ...


_SELECT = (
    "SELECT s.id, s.paper_id, s.user_id, s.status, s.submitted_at, s.submitted_day, "
    "s.decided_at, s.reason, p.title, u.name AS user_name, u.email AS user_email, "
    "m.name AS moderator_name, m.email AS moderator_email "
    "FROM submissions s JOIN users u ON u.id = s.user_id JOIN papers p ON p.id = s.paper_id "
    "LEFT JOIN users m ON m.id = s.decided_by"
)


def _display_name(name: str | None, email: str | None) -> str | None:
    """``User.display_name`` for a row read without the whole user."""
    if email is None:
        return None
    return name or email.split("@", 1)[0]


def _submission(row: dict[str, Any]) -> Submission:
    return Submission(
        id=int(row["id"]),
        paper_id=row["paper_id"],
        user_id=int(row["user_id"]),
        submitter=_display_name(row["user_name"], row["user_email"]) or "",
        status=row["status"],
        submitted_at=to_datetime(row["submitted_at"]),
        submitted_day=to_date(row["submitted_day"]),
        title=row["title"],
        decided_at=datetime_or_none(row["decided_at"]),
        decided_by=_display_name(row["moderator_name"], row["moderator_email"]),
        reason=row["reason"],
    )


def submitter_condition(submitter: str, *, alias: str = "u") -> tuple[str, list[Any]]:
    """The users whose display name is ``submitter``: that name, or no name and an
    address that starts with ``submitter@`` (compared exactly, on both backends)."""
    return (
        f"({alias}.name = ? OR ({alias}.name = '' AND substr({alias}.email, 1, ?) = ?))",
        [submitter, len(submitter) + 1, submitter + "@"],
    )


class Submissions(Part):
    """Submissions, written once for both backends."""

    def _one(self, db: Db, where: str, params: tuple[Any, ...]) -> Submission | None:
        row = db.fetchone(f"{_SELECT} WHERE {where}", params)  # where: a constant
        return _submission(row) if row else None

    def add_submission(
        self, paper_id: str, user_id: int, *, at: datetime, daily_limit: int
    ) -> tuple[Submission, bool] | None:
        at = to_utc(at)
        with self.connections.writing() as db:
            existing = self._one(db, "s.paper_id = ?", (paper_id,))
            if existing is not None:
                return existing, False
            # Lock the submitter's row (PostgreSQL; SQLite has one writer anyway), so two
            # concurrent submissions by one account cannot both pass the count below.
            db.execute("UPDATE users SET role = role WHERE id = ?", (user_id,))
            made = fetch_count(
                db,
                "SELECT COUNT(*) AS n FROM submissions WHERE user_id = ? AND submitted_day = ?",
                (user_id, at.date()),
            )
            if daily_limit and made >= daily_limit:
                return None
            inserted = db.fetchall(
                "INSERT INTO submissions (paper_id, user_id, status, submitted_at, submitted_day) "
                "VALUES (?, ?, 'pending', ?, ?) ON CONFLICT (paper_id) DO NOTHING RETURNING id",
                (paper_id, user_id, at, at.date()),
            )
            # Another writer may have submitted the same paper meanwhile: that one stands.
            submission = self._one(db, "s.paper_id = ?", (paper_id,))
        assert submission is not None
        return submission, bool(inserted)

    def get_submission(self, submission_id: int) -> Submission | None:
        with self.connections.reading() as db:
            return self._one(db, "s.id = ?", (submission_id,))

    def submission_for_paper(self, paper_id: str) -> Submission | None:
        with self.connections.reading() as db:
            return self._one(db, "s.paper_id = ?", (paper_id,))

    def _where(
        self, *, status: str | None, user_id: int | None, before: int | None = None
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if status is not None:
            if status not in SUBMISSION_STATUSES:
                raise ValueError(f"no submission status {status!r}")
            # Written out, not bound, so the partial index of pending ones can answer.
            clauses.append(f"s.status = '{status}'")
        if user_id is not None:
            clauses.append("s.user_id = ?")
            params.append(user_id)
        if before is not None:
            clauses.append("s.id < ?")
            params.append(before)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params

    def list_submissions(
        self,
        *,
        status: str | None = None,
        user_id: int | None = None,
        before: int | None = None,
        limit: int = 50,
    ) -> list[Submission]:
        where, params = self._where(status=status, user_id=user_id, before=before)
        with self.connections.reading() as db:
            rows = db.fetchall(f"{_SELECT}{where} ORDER BY s.id DESC LIMIT ?", [*params, limit])
        return [_submission(r) for r in rows]

    def count_submissions(self, *, status: str | None = None, user_id: int | None = None) -> int:
        where, params = self._where(status=status, user_id=user_id)
        with self.connections.reading() as db:
            return fetch_count(db, f"SELECT COUNT(*) AS n FROM submissions s{where}", params)

    def decide_submission(
        self, submission_id: int, *, status: str, moderator_id: int, at: datetime, reason: str = ""
    ) -> Submission | None:
        if status not in ("approved", "rejected"):
            raise ValueError(f"a decision approves or rejects, not {status!r}")
        with self.connections.writing() as db:
            changed = db.fetchall(
                "UPDATE submissions SET status = ?, decided_at = ?, decided_by = ?, reason = ? "
                "WHERE id = ? AND status <> ? RETURNING id",
                (status, to_utc(at), moderator_id, reason, submission_id, status),
            )
            if not changed:
                return None
            # Approving lists the paper and credits its submitter; rejecting an approved
            # one takes that back: either way what pages show may change.
            bump_data_version(db, "community")
            return self._one(db, "s.id = ?", (submission_id,))

    def submitted_papers(
        self,
        *,
        submitter: str,
        start: date | None = None,
        end: date | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> list[Paper]:
        who, params = submitter_condition(submitter)
        clauses = ["s.status = 'approved'", who]
        if start is not None:
            clauses.append("s.submitted_day >= ?")
            params.append(start)
        if end is not None:
            clauses.append("s.submitted_day <= ?")
            params.append(end)
        sql = (
            "SELECT papers.*, s.submitted_day AS submission_day FROM submissions s "
            "JOIN users u ON u.id = s.user_id JOIN papers ON papers.id = s.paper_id "
            f"WHERE {' AND '.join(clauses)} "  # clauses are constants
            "ORDER BY s.submitted_day DESC, papers.id DESC LIMIT ? OFFSET ?"
        )
        with self.connections.reading() as db:
            rows = db.fetchall(sql, [*params, limit, offset])
        papers = []
        for row in rows:
            paper = row_to_paper(row)
            paper.listed_on = to_date(row["submission_day"])
            papers.append(paper)
        return papers
