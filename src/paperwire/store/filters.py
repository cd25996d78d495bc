"""The one filter language: ``SearchFilters`` as SQL, for listings, feeds and every
ranker alike, so a filter means the same on ``/api/daily`` as on ``/api/search``.

What each filter matches (``SearchFilters`` and docs/api.md say the same):

* ``categories``: a paper with any of them, primary or cross-list. An archive name
  (no dot: ``cs``, ``math``, ``astro-ph``) also matches its subcategories (``cs.AI``).
* ``author``: a paper with an author of that whole name, or, for one word, of that
  family name (the last word of a name: ``Hopper`` matches ``Grace Hopper``). Names
  are compared by ``author_key``: case and runs of spaces do not matter.
* ``date_from`` / ``date_until``: the listed day (announcement, else first version),
  inclusive. ``has_code``, ``source``: equal.
* ``min_stars``: a linked GitHub repository (``paper_repositories``) that GitHub last
  described (status ``ok``) with at least that many stars.

How a filter is looked up is the caller's choice and never changes what it matches:
a per-paper probe (``EXISTS`` on the paper's own category or author rows, by primary
key) suits a query driven by something else (the day index, the keyword index, a
vector scan); a lookup in the category index (``by_category_index``) suits an
all-time listing of a small category, where walking the days would scan most of the
table before filling a page (bench/listing_queries.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from paperwire.models import SearchFilters
from paperwire.store.sql import author_key

if TYPE_CHECKING:
    from paperwire.store.dialect import Dialect

NO_FILTER = "1=1"


def is_archive(category: str) -> bool:
    """An archive name (``cs``, ``astro-ph``) rather than one of its categories."""
    return "." not in category


def category_match(
    categories: Sequence[str], dialect: Dialect, *, column: str
) -> tuple[str, list[Any]]:
    """A condition on a ``paper_categories.category`` column: any of ``categories``,
    an archive with its subcategories. Written as equality and prefix tests on the
    column alone (``Dialect.starts_with``), so the category index can answer it."""
    exact = [c for c in categories if not is_archive(c)]
    archives = [c for c in categories if is_archive(c)]
    ors: list[str] = []
    params: list[Any] = []
    if categories:
        # An archive such as hep-th is a category of its own too.
        ors.append(f"{column} IN ({', '.join('?' * len(categories))})")
        params.extend([*exact, *archives])
    for archive in archives:
        cond, args = dialect.starts_with(column, archive + ".")
        ors.append(cond)
        params.extend(args)
    return " OR ".join(ors) or "1=0", params


def author_match(name: str, *, alias: str = "") -> tuple[str, list[Any]]:
    """A condition on ``paper_authors`` (as ``alias``): the whole name, or for one word
    a family name (a key's last word, which a one-word name also is). Either way one
    indexed column answers it."""
    key = author_key(name)
    prefix = f"{alias}." if alias else ""
    if " " in key:
        return f"{prefix}name_key = ?", [key]
    return f"{prefix}family_key = ?", [key]


def filter_sql(
    filters: SearchFilters | None,
    dialect: Dialect,
    *,
    alias: str = "p",
    by_category_index: bool = False,
    by_author_index: bool = False,
) -> tuple[str, list[Any]]:
    """A WHERE fragment on ``papers AS alias`` and its parameters (``NO_FILTER`` when
    there is nothing to filter). ``by_category_index`` / ``by_author_index`` choose the
    lookup (see the module docstring), never the meaning."""
    if filters is None or filters.empty:
        return NO_FILTER, []
    clauses: list[str] = []
    params: list[Any] = []
    if filters.categories:
        if by_category_index:
            cond, args = category_match(filters.categories, dialect, column="category")
            clauses.append(f"{alias}.id IN (SELECT paper_id FROM paper_categories WHERE {cond})")
        else:
            cond, args = category_match(filters.categories, dialect, column="c.category")
            clauses.append(
                "EXISTS (SELECT 1 FROM paper_categories c "
                f"WHERE c.paper_id = {alias}.id AND ({cond}))"
            )
        params.extend(args)
    if filters.date_from is not None:
        clauses.append(f"{alias}.listed_day >= ?")
        params.append(filters.date_from)
    if filters.date_until is not None:
        clauses.append(f"{alias}.listed_day <= ?")
        params.append(filters.date_until)
    if filters.has_code is not None:
        clauses.append(f"{alias}.has_code = ?")
        params.append(1 if filters.has_code else 0)
    if filters.author:
        if by_author_index:
            cond, args = author_match(filters.author)
            clauses.append(f"{alias}.id IN (SELECT paper_id FROM paper_authors WHERE {cond})")
        else:
            cond, args = author_match(filters.author, alias="a")
            clauses.append(
                f"EXISTS (SELECT 1 FROM paper_authors a WHERE a.paper_id = {alias}.id AND {cond})"
            )
        params.extend(args)
    if filters.source is not None:
        clauses.append(f"{alias}.source = ?")
        params.append(filters.source)
    if filters.min_stars is not None:
        # A paper's own links (primary key), then each repository by its primary key.
        clauses.append(
            "EXISTS (SELECT 1 FROM paper_repositories pr JOIN repositories r "
            f"ON r.full_name = pr.full_name WHERE pr.paper_id = {alias}.id "
            "AND r.status = 'ok' AND r.stars >= ?)"
        )
        params.append(filters.min_stars)
    return " AND ".join(clauses), params
