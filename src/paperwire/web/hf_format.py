"""Papers in the JSON shapes the ``huggingface_hub`` 2.x client reads.

Field names follow ``PaperInfo``/``PaperAuthor``/``User`` in ``huggingface_hub/hf_api.py``:
a daily/search item nests the paper under ``paper`` (``id``, ``authors[].name``,
``publishedAt``, ``summary``, ``upvotes``) and carries ``title``, ``publishedAt`` (when it
was listed), ``numComments``, ``githubRepo``, ``projectPage`` at the top; ``/api/papers/{id}``
is the flat paper. Text is returned exactly as stored: JSON escapes nothing and strips
nothing. ``upvotes`` and ``numComments`` are the community's counts (``CardStats``); a
paper an approved submission brought to the daily list names its submitter as the Hub
does, ``submittedOnDailyBy`` on the paper and ``submittedBy`` on a daily item, both a
``User`` (``user``, ``fullname``, ``avatarUrl``, ``type``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from paperwire.models import CardStats, Paper
from paperwire.signals.view import NO_CODE, PaperCode


def iso_z(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0, 0), tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _first_url(paper: Paper, kind: str, host: str | None = None) -> str | None:
    for link in paper.links:
        if link.kind == kind and (host is None or f"//{host}/" in link.url):
            return link.url
    return None


def _github_repo(paper: Paper) -> str | None:
    return _first_url(paper, "code", "github.com") or _first_url(paper, "code")


def hf_user(name: str) -> dict[str, Any]:
    """A submitter as the Hub's ``User``: our display name serves as both names."""
    return {"user": name, "fullname": name, "avatarUrl": "", "type": "user"}


def _hub_items(code: PaperCode, kind: str) -> list[dict[str, Any]]:
    """The Hub's repositories of ``kind`` citing a paper, as ``ModelInfo`` (and its
    siblings) read a listing item."""
    if code.hub is None:
        return []
    return [
        {
            "id": a.id,
            "likes": a.likes,
            **({"downloads": a.downloads} if a.downloads is not None else {}),
        }
        for a in code.hub.of_kind(kind)  # type: ignore[arg-type]
    ]


def hf_paper(
    paper: Paper, stats: CardStats | None = None, code: PaperCode | None = None
) -> dict[str, Any]:
    """The flat paper object (``GET /api/papers/{id}``). ``githubRepo`` is the paper's
    most starred GitHub repository once a GitHub run has seen it (else its first code
    link), ``githubStars`` its stars; the Hub's models, datasets and Spaces citing the
    paper are ``linkedModels``/``linkedDatasets``/``linkedSpaces`` with their totals,
    as ``PaperInfo`` reads them."""
    stats = stats or CardStats()
    code = code or NO_CODE
    out: dict[str, Any] = {
        "id": paper.id,
        "authors": [{"name": a.name, "hidden": False} for a in paper.authors],
        "publishedAt": iso_z(paper.submitted),
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": stats.upvotes,
        "numComments": stats.comments,
        "submittedOnDailyAt": iso_z(paper.listed_on or paper.day),
        "categories": paper.categories,
    }
    if stats.submitted_by:
        out["submittedOnDailyBy"] = hf_user(stats.submitted_by)
    top = code.top
    repo, page = top.url if top else _github_repo(paper), _first_url(paper, "project")
    if repo:
        out["githubRepo"] = repo
    if top is not None:
        out["githubStars"] = top.stars
    if page:
        out["projectPage"] = page
    if code.hub is not None:
        for kind, key, total in (
            ("model", "Models", code.hub.models),
            ("dataset", "Datasets", code.hub.datasets),
            ("space", "Spaces", code.hub.spaces),
        ):
            out[f"linked{key}"] = _hub_items(code, kind)
            out[f"numTotal{key}"] = total
    return out


_NOT_IN_ITEMS = (
    "numComments",
    "submittedOnDailyAt",
    "linkedModels",
    "numTotalModels",
    "linkedDatasets",
    "numTotalDatasets",
    "linkedSpaces",
    "numTotalSpaces",
)


def hf_daily_item(
    paper: Paper, stats: CardStats | None = None, code: PaperCode | None = None
) -> dict[str, Any]:
    """One entry of ``/api/daily_papers`` and ``/api/papers/search``."""
    stats = stats or CardStats()
    inner = {k: v for k, v in hf_paper(paper, stats, code).items() if k not in _NOT_IN_ITEMS}
    item: dict[str, Any] = {
        "paper": inner,
        "publishedAt": iso_z(paper.listed_on or paper.day),
        "title": paper.title,
        "summary": paper.abstract,
        "numComments": stats.comments,
    }
    if stats.submitted_by:
        item["submittedBy"] = hf_user(stats.submitted_by)
    for key in ("githubRepo", "githubStars", "projectPage"):
        if key in inner:
            item[key] = inner[key]
    return item
