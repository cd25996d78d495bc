"""How much one request may ask for: the one policy for every route and the CLI.

Two caps, by what a result costs:

- ``LISTING_MAX`` (200): listings (days, weeks, months, authors, categories, trending)
  page by keyset cursor, so a page costs its own rows and an index range; a client that
  wants more follows ``next_cursor``.
- ``RANKED_MAX`` (100): ranked results (search, similar papers) are scored candidate by
  candidate before the best are kept, so the cost grows with the limit, and past the
  first hundred they add little. The Hugging Face–compatible API keeps it for its lists
  too: the Hub caps them at 100 and its clients are written for that.

Offset paging (the Hugging Face–compatible API) stops at ``OFFSET_MAX`` papers: a deeper
OFFSET makes the database walk and drop that many rows, and numbers past 64 bits would
not even bind. Keyset cursors page any depth.
"""

from __future__ import annotations

from paperwire.errors import InvalidParameter

LISTING_MAX = 200
RANKED_MAX = 100
OFFSET_MAX = 1_000_000


def check_limit(limit: int, *, maximum: int, parameter: str = "limit") -> int:
    """``limit`` when it is 1..``maximum``; the error quotes at most 40 digits."""
    if not 1 <= limit <= maximum:
        raise InvalidParameter(parameter, f"must be between 1 and {maximum}, got {str(limit)[:40]}")
    return limit


def check_offset(offset: int, *, parameter: str = "offset") -> int:
    if not 0 <= offset <= OFFSET_MAX:
        raise InvalidParameter(parameter, f"must be between 0 and {OFFSET_MAX}, got {str(offset)[:40]}")
    return offset
