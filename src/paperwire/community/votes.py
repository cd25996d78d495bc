"""Upvotes: one per account and paper, cast and withdrawn by the same function, which
the JSON API (``POST``/``DELETE /api/papers/{id}/vote``), the pages' plain form and
tests all call.

Setting a vote is idempotent: casting one that is cast, or withdrawing one that is
not, changes nothing and answers the current count. The count shown is every vote;
which of them weigh in the trending score is ``trending.py``'s rule, for which each
vote keeps two facts: the salted hash of the address it came from (an HMAC with the
site's secret key, so the database never holds an address and a copy of it cannot be
matched against a list of addresses) and whether it came in a burst: when
``burst_limit`` votes on the same paper came from the same address within
``BURST_WINDOW`` before it.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from paperwire.community import audit
from paperwire.models import CardStats, User
from paperwire.store import Store

BURST_WINDOW = timedelta(hours=1)


class PaperNotFound(LookupError):
    """No stored paper has this id."""

    def __init__(self, paper_id: str) -> None:
        super().__init__(f"no paper with id {paper_id!r}")
        self.paper_id = paper_id


@dataclass(frozen=True, slots=True)
class VoteResult:
    """A paper's vote count after a change, and whether the user now votes for it."""

    upvotes: int
    voted: bool


def hash_address(key: bytes, address: str | None) -> str:
    """The salted hash a vote keeps of its client's address ('' when unknown)."""
    if not address:
        return ""
    return hmac.new(key, b"vote-address:" + address.encode(), hashlib.sha256).hexdigest()[:32]


def set_vote(
    store: Store,
    user: User,
    paper_id: str,
    *,
    voted: bool,
    now: datetime,
    address_hash: str = "",
    burst_limit: int = 0,
) -> VoteResult:
    """Make the user's vote for ``paper_id`` (a stored key) be ``voted``. Raises
    ``PaperNotFound``. ``burst_limit`` 0 turns the burst rule off."""
    if voted:
        state = store.vote(
            user.id,
            paper_id,
            now=now,
            ip_hash=address_hash,
            burst_since=now - BURST_WINDOW,
            burst_limit=burst_limit,
        )
    else:
        state = store.unvote(user.id, paper_id)
    if state is None:
        raise PaperNotFound(paper_id)
    return VoteResult(upvotes=state[0], voted=state[1])


def card_stats_for(store: Store, paper_ids: list[str], viewer: User | None) -> dict[str, CardStats]:
    """What the cards of these papers show (every paper of ``paper_ids`` gets an entry;
    an unknown one shows zeros), with the viewer's own vote and save."""
    found = store.card_stats(paper_ids, viewer.id if viewer is not None else None)
    return {pid: found.get(pid, CardStats()) for pid in paper_ids}


def trust_voter(
    store: Store, user: User, *, trusted: bool, now: datetime, actor: User | None = None
) -> None:
    """Verify an account (its votes weigh in trending at once, bursts included) or take
    that back; written to the audit log (``actor`` None: the command line)."""
    store.set_user_trusted(user.id, now if trusted else None)
    audit.record(store, actor, "trust" if trusted else "distrust", f"user:{user.id}", now=now)
