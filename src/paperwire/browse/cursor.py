"""Opaque pagination cursors: the key of the last paper shown, so the next page starts
strictly after it — stable however the listing grows, no page overlaps another."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date

from paperwire.browse.errors import InvalidParameter

ListingKey = tuple[date, str]


def encode_cursor(key: ListingKey) -> str:
    raw = json.dumps([key[0].isoformat(), key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, *, parameter: str = "cursor") -> ListingKey:
    """The key inside a cursor; anything we did not issue is a clear 400, never a 500."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        day_text, paper_id = json.loads(raw)
        if not isinstance(day_text, str) or not isinstance(paper_id, str) or not paper_id:
            raise ValueError("wrong shape")
        return date.fromisoformat(day_text), paper_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidParameter(parameter, f"not a cursor this server issued: {text[:40]!r}") from exc
