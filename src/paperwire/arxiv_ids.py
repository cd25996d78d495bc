"""Parse and normalise arXiv identifiers from bare ids, ``arXiv:`` prefixes and URLs.

Papers are keyed by the id without version; the version is kept apart. Nothing here
imports the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Ids are ASCII: ``\d`` would also take other scripts' digits ("２１０１.００００１"), and
# ``int()`` reads those too, so one paper could be stored under a second key.
# New style since 2007-04: YYMM.NNNN (to 1412), YYMM.NNNNN (from 1501).
_NEW_ID = r"(?P<yymm>[0-9]{4})\.(?P<num>[0-9]{4,5})"
# Old style: archive(.SUBJ)/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136.
_OLD_ID = r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?P<subject>\.[A-Z]{2})?/(?P<num>[0-9]{7})"
_VERSION = r"(?:v(?P<version>[1-9][0-9]*))?"
_NEW = re.compile(_NEW_ID + _VERSION)
_OLD = re.compile(_OLD_ID + _VERSION)
# The storage key's shape (no version), for a quick check of ids already parsed.
_NEW_KEY = re.compile(_NEW_ID)
_OLD_KEY = re.compile(_OLD_ID)
# Versions are small numbers (arXiv's highest are in the tens); a larger one is not a
# version, and past 2**63 no database integer holds it.
MAX_VERSION = 999_999
# An arXiv category: an archive, and a subject class after a dot (cs.CV, hep-th,
# q-bio.NC, cond-mat.stat-mech). The one grammar for category names, wherever they come
# from: a record, a URL, a search filter.
CATEGORY = re.compile(r"[A-Za-z][A-Za-z-]{0,19}(?:\.[A-Za-z][A-Za-z-]{0,19})?")
_URL = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/(?P<rest>.+?)/?$",
    re.IGNORECASE,
)


class InvalidArxivId(ValueError):
    """Raised with the offending input quoted, so users see what was wrong."""

    def __init__(self, text: str, reason: str = "not an arXiv id or arXiv URL") -> None:
        shown = text if len(text) <= 80 else text[:77] + "..."
        super().__init__(f"{shown!r}: {reason}")
        self.text = text
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ArxivId:
    id: str  # without version
    version: int | None = None

    def __str__(self) -> str:
        return self.versioned

    @property
    def versioned(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id


def is_key_shaped(text: str) -> bool:
    """Whether ``text`` looks like a storage key (``2101.00001``, ``hep-th/9901001``):
    the id part of what ``parse_arxiv_id`` accepts, without its calendar rules."""
    return (_NEW_KEY.fullmatch(text) or _OLD_KEY.fullmatch(text)) is not None


def is_arxiv_category(text: str) -> bool:
    """``cs.CV``, ``hep-th``: the shape of an arXiv category (known to the taxonomy or not)."""
    return CATEGORY.fullmatch(text) is not None


def _version(digits: str | None, text: str) -> int | None:
    if digits is None:
        return None
    # Length first: int() of thousands of digits is slow, and past 4,300 it raises.
    if len(digits) > len(str(MAX_VERSION)) or int(digits) > MAX_VERSION:
        raise InvalidArxivId(text, f"version number too large (at most {MAX_VERSION:,})")
    return int(digits)


def _match_bare(text: str, original: str) -> ArxivId | None:
    m = _NEW.fullmatch(text)
    if m:
        yymm = int(m["yymm"])
        month = yymm % 100
        if not 1 <= month <= 12:
            return None
        # Four-digit numbers before 2015, five-digit from 2015 (arXiv's own rule).
        if (len(m["num"]) == 5) != (yymm >= 1501):
            return None
        return ArxivId(f"{m['yymm']}.{m['num']}", _version(m["version"], original))
    m = _OLD.fullmatch(text)
    if m:
        month = int(m["num"][2:4])
        if not 1 <= month <= 12:
            return None
        ident = f"{m['archive']}{m['subject'] or ''}/{m['num']}"
        return ArxivId(ident, _version(m["version"], original))
    return None


def parse_arxiv_id(text: str) -> ArxivId:
    """Return the id (without version) and version from any common spelling."""
    if not isinstance(text, str):
        raise InvalidArxivId(repr(text), "expected text")
    raw = text.strip()
    if not raw:
        raise InvalidArxivId(text, "empty arXiv id")
    candidate = raw
    m = _URL.match(candidate)
    if m:
        candidate = m["rest"]
        candidate = candidate.split("?", 1)[0].split("#", 1)[0]
        if candidate.lower().endswith(".pdf"):
            candidate = candidate[:-4]
    elif candidate[:6].lower() == "arxiv:":
        candidate = candidate[6:].strip()
    parsed = _match_bare(candidate, text)
    if parsed is None:
        raise InvalidArxivId(text)
    return parsed


def normalize_arxiv_id(text: str) -> str:
    """The storage key: id without version."""
    return parse_arxiv_id(text).id


def is_arxiv_id(text: str) -> bool:
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True
