"""Opaque pagination cursors: the key of the last paper shown, so the next page starts
strictly after it — stable however the listing grows, no page overlaps another.

A cursor comes back from the user, so decoding trusts nothing: its length is capped
before any work, and its content must match the one form ``encode_cursor`` writes,
read with a pattern rather than a JSON parser (no recursion on nested input, no
control characters or lone surrogates reaching the database)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, date, datetime

from paperwire.errors import InvalidParameter

ListingKey = tuple[date, str]

# Far above what encode_cursor writes for any paper id (about 60 characters); the
# HTML pages and the JSON API share it through decode_cursor.
MAX_CURSOR_LENGTH = 200

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}", re.ASCII)
# Exactly what encode_cursor writes: ["YYYY-MM-DD","<id>"], the id printable ASCII
# without quote or backslash (paper ids are ASCII).
_KEY = re.compile(r'\["([0-9]{4}-[0-9]{2}-[0-9]{2})","([!#-\[\]-~]{1,100})"\]', re.ASCII)
# The same for a key by time (a reader's library, last saved first): a UTC time as
# ``encode_time_cursor`` writes it, and an id.
_TIME_KEY = re.compile(
    r'\["([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6})Z","([!#-\[\]-~]{1,100})"\]',
    re.ASCII,
)


def _pack(items: list[str]) -> str:
    raw = json.dumps(items, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def encode_cursor(key: ListingKey) -> str:
    return _pack([key[0].isoformat(), key[1]])


def _unpack(text: str, shape: re.Pattern[str], *, parameter: str) -> re.Match[str]:
    """The match of ``shape`` on the JSON inside a cursor; anything this server did not
    issue is a clear 400 (its length is capped before any work)."""
    if len(text) > MAX_CURSOR_LENGTH:
        raise InvalidParameter(parameter, f"longer than {MAX_CURSOR_LENGTH} characters: not a cursor this server issued")
    problem = InvalidParameter(parameter, f"not a cursor this server issued: {text[:40]!r}")
    if not _BASE64URL.fullmatch(text):
        raise problem
    try:
        raw = base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
        match = shape.fullmatch(raw.decode("ascii"))
    except (ValueError, binascii.Error) as exc:  # UnicodeDecodeError is a ValueError
        raise problem from exc
    if match is None:
        raise problem
    return match


def decode_cursor(text: str, *, parameter: str = "cursor") -> ListingKey:
    """The key inside a cursor; anything we did not issue is a clear 400, never a 500."""
    match = _unpack(text, _KEY, parameter=parameter)
    try:
        return date.fromisoformat(match[1]), match[2]
    except ValueError as exc:  # the shape of a day, not a calendar day
        raise InvalidParameter(parameter, f"not a cursor this server issued: {text[:40]!r}") from exc


def encode_time_cursor(key: tuple[datetime, str]) -> str:
    """A cursor after ``(moment, id)``, for listings ordered by time (then id)."""
    moment = key[0].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    return _pack([moment, key[1]])


def decode_time_cursor(text: str, *, parameter: str = "cursor") -> tuple[datetime, str]:
    """The key inside a cursor of ``encode_time_cursor``; anything else is a clear 400."""
    match = _unpack(text, _TIME_KEY, parameter=parameter)
    try:
        moment = datetime.strptime(match[1], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC)
    except ValueError as exc:
        raise InvalidParameter(parameter, f"not a cursor this server issued: {text[:40]!r}") from exc
    return moment, match[2]


# A ranked listing (trending) pages by position: its order is a score that moves as
# readers vote, so there is no stable key to continue after. Its cursor names the
# position of the next page's first paper, in the same opaque form.
_RANK = re.compile(r'\["rank","([0-9]{1,7})"\]', re.ASCII)


def encode_rank_cursor(position: int) -> str:
    return _pack(["rank", str(position)])


def decode_rank_cursor(text: str, *, parameter: str = "cursor") -> int:
    """The position inside a ranked listing's cursor; anything else is a clear 400."""
    if len(text) > MAX_CURSOR_LENGTH:
        raise InvalidParameter(parameter, f"longer than {MAX_CURSOR_LENGTH} characters: not a cursor this server issued")
    problem = InvalidParameter(parameter, f"not a cursor of this ranking: {text[:40]!r}")
    if not _BASE64URL.fullmatch(text):
        raise problem
    try:
        raw = base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
        match = _RANK.fullmatch(raw.decode("ascii"))
    except (ValueError, binascii.Error) as exc:
        raise problem from exc
    if match is None:
        raise problem
    return int(match[1])
