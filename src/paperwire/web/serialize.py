"""Paper → JSON for our own API (and ``paperwire search --json``, which prints the API's
JSON)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from paperwire.models import HUB_KINDS, CardStats, Hit, Paper, Subscription
from paperwire.signals.hub import artifact_url
from paperwire.signals.view import PaperCode


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


def code_json(code: PaperCode, *, hub_endpoint: str) -> dict[str, Any]:
    """A paper's code links with what GitHub last said of each (``null`` until a
    ``paperwire ingest github`` run reached it, or when it is gone), and the Hub's
    models, datasets and Spaces citing it, most liked first (``totals``: all of them,
    counted up to 500)."""
    hub = code.hub
    return {
        "code": [
            {
                "url": link.url,
                "stars": link.stars,
                "forks": link.forks,
                "pushed_at": link.pushed_at.isoformat() if link.pushed_at else None,
                "license": link.license,
                "archived": link.archived,
            }
            for link in code.links
        ],
        "hub": {
            **{
                kind + "s": [
                    {
                        "id": a.id,
                        "likes": a.likes,
                        "downloads": a.downloads,
                        "url": artifact_url(hub_endpoint, a),
                    }
                    for a in (hub.of_kind(kind) if hub else [])
                ]
                for kind in HUB_KINDS
            },
            "totals": {
                "models": hub.models if hub else 0,
                "datasets": hub.datasets if hub else 0,
                "spaces": hub.spaces if hub else 0,
            },
            "checked_at": hub.checked_at.isoformat() if hub else None,
        },
    }


def community_json(stats: CardStats, *, signed_in: bool) -> dict[str, Any]:
    """What a paper's answer shows of the community (``num_comments``: ``comments``
    is the paper's own arXiv comment); ``voted``/``saved`` only for a signed-in
    reader, whose answer is then theirs alone (never kept by a shared cache)."""
    data: dict[str, Any] = {
        "upvotes": stats.upvotes,
        "num_comments": stats.comments,
        "saves": stats.saves,
        "submitted_by": stats.submitted_by,
    }
    if signed_in:
        data["voted"] = stats.voted
        data["saved"] = stats.saved
    return data


def hit_json(hit: Hit, paper: Paper) -> dict[str, Any]:
    """One ranked result, one shape for search and similar papers alike. ``published``
    is the first version's date, ``listed`` the day the paper is listed under; ``day``
    repeats ``listed`` under the name the similar-papers answer first gave it."""
    listed = paper.day.isoformat() if paper.day else None
    return {
        "id": paper.id,
        "title": paper.title,
        "authors": [a.name for a in paper.authors],
        "score": round(hit.score, 6),
        "abstract": paper.abstract,
        "categories": paper.categories,
        "primary_category": paper.primary_category,
        "published": paper.submitted.date().isoformat() if paper.submitted else None,
        "listed": listed,
        "day": listed,
        "has_code": paper.has_code,
        "source": paper.source,
    }


def hits_json(papers: Iterable[Paper], hits: Sequence[Hit]) -> list[dict[str, Any]]:
    """The hits in rank order; a hit whose paper is gone meanwhile is left out."""
    by_id = {p.id: p for p in papers}
    return [hit_json(h, by_id[h.paper_id]) for h in hits if h.paper_id in by_id]


def subscription_json(sub: Subscription) -> dict[str, Any]:
    """A digest subscription as its owner sees it (``/api/me/subscription``,
    ``paperwire subscribers list --json``); never its nonce."""
    return {
        "id": sub.id,
        "email": sub.email,
        "status": sub.status,
        "frequency": sub.frequency,
        "trending": sub.trending,
        "categories": list(sub.categories),
        "queries": list(sub.queries),
        "authors": list(sub.authors),
        "exclude": list(sub.exclude),
        "no_announcement_note": sub.no_announcement_note,
        "created_at": sub.created_at.isoformat(),
        "confirmed_at": sub.confirmed_at.isoformat() if sub.confirmed_at else None,
        "unsubscribed_at": sub.unsubscribed_at.isoformat() if sub.unsubscribed_at else None,
        "pending_change": sub.pending_prefs is not None,
    }
