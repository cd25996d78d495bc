"""Fixed-window rate limits, counted in the database so every web worker shares them.

A bucket names who is limited for what (``signin:email:<address>``, ``signin:ip:<ip>``,
``comment:user:<id>``); each window of ``window`` length, aligned to the epoch, counts
its hits, and a hit past ``limit`` raises ``RateLimited`` with the seconds until the
window ends. A fixed window may let up to twice the limit through around a boundary;
that is the price of one indexed upsert per hit, and fine for the abuse it is for.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from paperwire.store import Store

# Windows are kept this many lengths back, then pruned when a new window opens.
_KEEP_WINDOWS = 2


class RateLimited(Exception):
    """Too many requests in the current window: try again in ``retry_after`` seconds."""

    def __init__(
        self, retry_after: int, message: str = "Too many requests; please slow down."
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.message = message


def window_start(now: datetime, window: timedelta) -> datetime:
    """The start of the window ``now`` falls in (windows are aligned to the epoch)."""
    seconds = window.total_seconds()
    if seconds <= 0:
        raise ValueError("a rate-limit window must be longer than zero")
    epoch = now.astimezone(UTC).timestamp()
    return datetime.fromtimestamp(math.floor(epoch / seconds) * seconds, UTC)


def check_rate(store: Store, bucket: str, *, limit: int, window: timedelta, now: datetime) -> None:
    """Count one hit for ``bucket``; raise ``RateLimited`` when it is one past ``limit``
    in this window (the refused hit counts too, so hammering does not help)."""
    start = window_start(now, window)
    hits = store.hit_rate_window(
        bucket, window_start=start, prune_before=start - _KEEP_WINDOWS * window
    )
    if hits > limit:
        remaining = (start + window - now.astimezone(UTC)).total_seconds()
        raise RateLimited(max(1, math.ceil(remaining)))
