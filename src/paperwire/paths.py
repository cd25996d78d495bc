"""The site's paths for a paper, an author, a category and a digest archive page: one
spelling, shared by the web pages, the feeds and the mail that links to them (which
make them absolute with ``Settings.public_url``). Names are percent-encoded into the
path, so any id or name stays one path segment (or, for old arXiv ids, the ids' own
slash)."""

from __future__ import annotations

from urllib.parse import quote


def author_url(name: str) -> str:
    return "/authors/" + quote(name, safe="")


def category_url(category: str) -> str:
    return "/categories/" + quote(category, safe=".-")


def paper_url(paper_id: str) -> str:
    return "/papers/" + quote(paper_id, safe="/:.-")


def digest_url(frequency: str, label: str) -> str:
    """The public archive page of a digest: ``/digests/daily/2026-12-04``,
    ``/digests/weekly/2026-W49``."""
    return f"/digests/{quote(frequency, safe='')}/{quote(label, safe='-')}"
