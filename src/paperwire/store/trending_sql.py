"""What the trending ranking reads: each paper's signals in a window, and the papers
without any, in listing order.

The signals are named terms (``SIGNAL_TERMS``), each a condition saying whether a paper
may have a value (a probe by primary key) and a scalar for the value.
``community/trending.py`` holds the formula — a weight per term and the age decay — so a new signal (a repository's
star velocity) is one term here and one weight there.

A window is what a listing of the same days shows (``listing_sql.py``): papers listed
on one of its days, and papers an approved submission put on one of them. Every
paper with an approved submission has a signal (the submission), so the papers
without any are exactly the papers listed by their own day, less those with signals:
the tail is a plain listing query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from paperwire.models import Paper, PaperSignals, SearchFilters
from paperwire.store.codec import row_to_paper, to_date
from paperwire.store.dialect import Dialect
from paperwire.store.listing_sql import SUBMITTED_FROM, Listings, listing_where, submitted_where
from paperwire.store.sql import Connections, Part


@dataclass(frozen=True, slots=True)
class SignalTerm:
    """One signal: ``present`` is a condition on ``p.id`` that holds for every paper the
    term may give a non-zero value (an index probe: the window's papers are walked by
    day and probed, so the cost follows the window's size, never the whole history of
    votes); ``value`` is a scalar subquery over a candidate's ``c.id``; ``params`` binds
    the placeholders of ``value``."""

    name: str
    present: str
    value: str
    params: Callable[[datetime], list[Any]] = lambda trusted_before: []


# A vote weighs once its account is trusted: a moderator set ``trusted_at``, the
# account is a moderator's or admin's, or it was created before ``trusted_before``;
# a vote marked as part of a burst from one address waits for the first two.
_TRUSTED_VOTE = (
    "(u.trusted_at IS NOT NULL OR u.role IN ('moderator', 'admin') "
    "OR (v.burst = 0 AND u.created_at <= ?))"
)

SIGNAL_TERMS: tuple[SignalTerm, ...] = (
    SignalTerm(
        "votes",
        "EXISTS (SELECT 1 FROM paper_stats s WHERE s.paper_id = p.id AND s.upvotes > 0)",
        "(SELECT COUNT(*) FROM votes v JOIN users u ON u.id = v.user_id "
        f"WHERE v.paper_id = c.id AND {_TRUSTED_VOTE})",
        lambda trusted_before: [trusted_before],
    ),
    SignalTerm(
        "saves",
        "EXISTS (SELECT 1 FROM paper_stats s WHERE s.paper_id = p.id AND s.saves > 0)",
        "COALESCE((SELECT st.saves FROM paper_stats st WHERE st.paper_id = c.id), 0)",
    ),
    SignalTerm(
        "submission",
        "EXISTS (SELECT 1 FROM submissions s WHERE s.paper_id = p.id AND s.status = 'approved')",
        "(SELECT COUNT(*) FROM submissions sb WHERE sb.paper_id = c.id AND sb.status = 'approved')",
    ),
    # Star velocity: the stars a linked GitHub repository gained over the 7 days before
    # its last check (``repositories.stars_week``, from the daily snapshots); of several
    # repositories, the fastest rising.
    SignalTerm(
        "stars",
        "EXISTS (SELECT 1 FROM paper_repositories pr JOIN repositories r "
        "ON r.full_name = pr.full_name WHERE pr.paper_id = p.id AND r.stars_week > 0)",
        "COALESCE((SELECT MAX(r.stars_week) FROM paper_repositories pr JOIN repositories r "
        "ON r.full_name = pr.full_name WHERE pr.paper_id = c.id), 0)",
    ),
)
SIGNAL_NAMES = tuple(term.name for term in SIGNAL_TERMS)


class TrendingStore(Protocol):
    """What the trending ranking may ask of the store."""

    def trending_signals(
        self,
        *,
        start: date,
        end: date,
        filters: SearchFilters | None = None,
        trusted_before: datetime,
    ) -> list[PaperSignals]:
        """Every paper of the window ``start..end`` (matching ``filters``) that may
        have a signal, with each term of ``SIGNAL_NAMES`` (zero included) and the day
        it is listed under in the window. Accounts created after ``trusted_before``
        are not trusted yet (their votes count zero here)."""
        ...

    def trending_tail(
        self,
        *,
        start: date,
        end: date,
        filters: SearchFilters | None = None,
        exclude: Sequence[str] = (),
        offset: int = 0,
        limit: int = 50,
    ) -> list[Paper]:
        """The window's papers listed by their own day, less ``exclude``, in listing
        order (newest day first, then id descending)."""
        ...


class Trending(Part):
    """The trending ranking's reads, written once for both backends. Signals are kept
    per data version (the listings' memo): a vote, save or decision bumps it, and the
    ranking asks with a trust cutoff that moves once a minute, so a busy trending page
    reads them once a minute at most while nothing changes."""

    def __init__(self, connections: Connections, dialect: Dialect, *, listings: Listings) -> None:
        super().__init__(connections, dialect)
        self.listings = listings

    def trending_signals(
        self,
        *,
        start: date,
        end: date,
        filters: SearchFilters | None = None,
        trusted_before: datetime,
    ) -> list[PaperSignals]:
        listed, listed_params = listing_where(
            self.dialect, start=start, end=end, filters=filters, table="p",
            later_submissions=True,  # such a paper is the submissions' (each paper once)
        )  # fmt: skip
        submitted, submitted_params = submitted_where(
            self.dialect, start=start, end=end, filters=filters
        )
        active = " OR ".join(term.present for term in SIGNAL_TERMS)
        values = ", ".join(f"{term.value} AS {term.name}" for term in SIGNAL_TERMS)
        cutoff = trusted_before.astimezone(UTC)
        sql = (
            "WITH c AS ("
            f"SELECT p.id AS id, p.listed_day AS day FROM papers p WHERE {listed} "
            f"AND ({active}) "
            "UNION ALL "
            f"SELECT papers.id AS id, s.submitted_day AS day FROM {SUBMITTED_FROM} "
            f"WHERE {submitted}"
            f") SELECT c.id AS id, c.day AS day, {values} FROM c"  # constants only
        )
        params = [*listed_params, *submitted_params]
        for term in SIGNAL_TERMS:
            params.extend(term.params(cutoff))

        def compute() -> list[PaperSignals]:
            with self.connections.reading() as db:
                rows = db.fetchall(sql, params)
            return [
                PaperSignals(
                    paper_id=row["id"],
                    day=to_date(row["day"]),
                    values={name: float(row[name] or 0) for name in SIGNAL_NAMES},
                )
                for row in rows
            ]

        found: list[PaperSignals] = self.listings._memo(
            ("trending", start, end, filters, cutoff), compute
        )
        return list(found)

    def trending_tail(
        self,
        *,
        start: date,
        end: date,
        filters: SearchFilters | None = None,
        exclude: Sequence[str] = (),
        offset: int = 0,
        limit: int = 50,
    ) -> list[Paper]:
        where, params = listing_where(
            self.dialect, start=start, end=end, filters=filters, table="p"
        )
        if exclude:
            where += f" AND p.id NOT IN ({', '.join('?' * len(exclude))})"
            params = [*params, *exclude]
        with self.connections.reading() as db:
            rows = db.fetchall(
                f"SELECT * FROM papers p WHERE {where} "  # clauses are constants
                "ORDER BY p.listed_day DESC, p.id DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
        papers = []
        for row in rows:
            paper = row_to_paper(row)
            paper.listed_on = to_date(row["listed_day"])
            papers.append(paper)
        return papers
