"""Parse and normalise arXiv identifiers from bare ids, ``arXiv:`` prefixes and URLs.

Papers are keyed by the id without version; the version is kept apart. Nothing here
imports the project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# New style since 2007-04: YYMM.NNNN (to 1412), YYMM.NNNNN (from 1501).
_NEW = re.compile(r"(?P<yymm>\d{4})\.(?P<num>\d{4,5})(?:v(?P<version>[1-9]\d*))?")
# Old style: archive(.SUBJ)/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136.
_OLD = re.compile(
    r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?P<subject>\.[A-Z]{2})?/(?P<num>\d{7})(?:v(?P<version>[1-9]\d*))?"
)
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


@dataclass(frozen=True, slots=True)
class ArxivId:
    id: str  # without version
    version: int | None = None

    def __str__(self) -> str:
        return self.versioned

    @property
    def versioned(self) -> str:
        return f"{self.id}v{self.version}" if self.version else self.id


def _match_bare(text: str) -> ArxivId | None:
    m = _NEW.fullmatch(text)
    if m:
        yymm = int(m["yymm"])
        month = yymm % 100
        if not 1 <= month <= 12:
            return None
        # Four-digit numbers before 2015, five-digit from 2015 (arXiv's own rule).
        if (len(m["num"]) == 5) != (yymm >= 1501):
            return None
        return ArxivId(f"{m['yymm']}.{m['num']}", int(m["version"]) if m["version"] else None)
    m = _OLD.fullmatch(text)
    if m:
        month = int(m["num"][2:4])
        if not 1 <= month <= 12:
            return None
        ident = f"{m['archive']}{m['subject'] or ''}/{m['num']}"
        return ArxivId(ident, int(m["version"]) if m["version"] else None)
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
    parsed = _match_bare(candidate)
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
