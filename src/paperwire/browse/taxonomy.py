"""Category names for pages and feeds (arXiv taxonomy; data in ``taxonomy_data.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from paperwire.arxiv_ids import is_arxiv_category
from paperwire.browse.taxonomy_data import (
    ARCHIVE_GROUPS,
    CATEGORIES,
    CATEGORY_ALIASES,
    GROUP_NAMES,
)
from paperwire.errors import InvalidParameter


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str  # the code itself when the taxonomy does not know it
    archive: str | None = None
    group: str | None = None  # e.g. "Computer Science"
    active: bool = True
    known: bool = False


def canonical_category(code: str) -> str:
    """The current code for an alias (``cs.NA`` → ``math.NA``); others unchanged."""
    return CATEGORY_ALIASES.get(code, code)


def describe_category(code: str) -> Category:
    """Name and group of a category; unknown codes keep their code as name."""
    entry = CATEGORIES.get(code)
    if entry is None:
        return Category(code=code, name=code)
    name, archive, active = entry
    group = GROUP_NAMES.get(ARCHIVE_GROUPS.get(archive, ""))
    return Category(code, name, archive, group, active, known=True)


def category_name(code: str) -> str:
    return describe_category(code).name


def validate_category(code: str, *, parameter: str = "category") -> str:
    """A syntactically valid category code (known or not: the data decides what exists).
    The grammar is ``arxiv_ids.CATEGORY`` (cs.LG, hep-th, q-bio.NC), the one importers
    check records against, bounded so a hostile value never reaches SQL or a feed id."""
    if not is_arxiv_category(code):
        raise InvalidParameter(parameter, f"not a category code: {code[:60]!r}")
    return code


def active_categories() -> list[Category]:
    """Every active arXiv category, in taxonomy order (for pickers and /categories)."""
    return [describe_category(code) for code, (_, _, active) in CATEGORIES.items() if active]
