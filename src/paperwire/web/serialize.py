"""Paper → JSON for our own API."""

from __future__ import annotations

from typing import Any

from paperwire.models import Paper


def paper_json(paper: Paper) -> dict[str, Any]:
    return {
        "id": paper.id,
        "source": paper.source,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": [
            {k: v for k, v in (("name", a.name), ("family", a.family), ("given", a.given),
                               ("affiliation", a.affiliation)) if v}
            for a in paper.authors
        ],
        "categories": paper.categories,
        "primary_category": paper.primary_category,
        "submitted": paper.submitted.isoformat() if paper.submitted else None,
        "updated": paper.updated.isoformat() if paper.updated else None,
        "announced": paper.announced.isoformat() if paper.announced else None,
        "announce_type": paper.announce_type,
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "comments": paper.comments,
        "license": paper.license,
        "links": [{"kind": link.kind, "url": link.url} for link in paper.links],
        "has_code": paper.has_code,
    }
