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
from datetime import date

from paperwire.errors import InvalidParameter

ListingKey = tuple[date, str]

# Far above what encode_cursor writes for any paper id (about 60 characters); the
# HTML pages and the JSON API share it through decode_cursor.
MAX_CURSOR_LENGTH = 200

_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}", re.ASCII)
# Exactly what encode_cursor writes: ["YYYY-MM-DD","<id>"], the id printable ASCII
# without quote or backslash (paper ids are ASCII).
_KEY = re.compile(r'\["([0-9]{4}-[0-9]{2}-[0-9]{2})","([!#-\[\]-~]{1,100})"\]', re.ASCII)


def encode_cursor(key: ListingKey) -> str:
    raw = json.dumps([key[0].isoformat(), key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, *, parameter: str = "cursor") -> ListingKey:
    """The key inside a cursor; anything we did not issue is a clear 400, never a 500."""
    if len(text) > MAX_CURSOR_LENGTH:
        raise InvalidParameter(parameter, f"longer than {MAX_CURSOR_LENGTH} characters: not a cursor this server issued")
    problem = InvalidParameter(parameter, f"not a cursor this server issued: {text[:40]!r}")
    if not _BASE64URL.fullmatch(text):
        raise problem
    try:
        raw = base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))
        match = _KEY.fullmatch(raw.decode("ascii"))
        if match is None:
            raise ValueError("wrong shape")
        return date.fromisoformat(match[1]), match[2]
    except (ValueError, binascii.Error) as exc:  # UnicodeDecodeError is a ValueError
        raise problem from exc
