"""A digest as mail: subject, plain text and HTML (Jinja2), and the message with its
unsubscribe headers.

Everything from papers and preferences is data: the HTML template is autoescaped and
the plain text has each value on one line (a title cannot start a line of its own).
Every link is absolute, built from ``PAPERWIRE_BASE_URL`` (``Settings.public_url``),
never from a request: the "view in browser" link (the public archive page of the
period), each paper's page, "more" links to the site's listing or search of the
period, and the signed manage and unsubscribe links (``digest/tokens.py``), which
also make the ``List-Unsubscribe`` headers (RFC 2369, RFC 8058 one-click).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from paperwire.browse.taxonomy import category_name
from paperwire.config import Settings
from paperwire.digest import tokens
from paperwire.digest.compose import Digest, Section
from paperwire.digest.message import build_message
from paperwire.digest.period import DigestPeriod
from paperwire.models import Paper, Subscription
from paperwire.paths import category_url, digest_url, paper_url

TEMPLATES = Path(__file__).parent / "templates"
ABSTRACT_CHARS = 280
_SPACE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")


@dataclass(frozen=True, slots=True)
class DigestLinks:
    """The absolute links every digest carries besides its papers'."""

    archive: str  # "view in browser": the period's public archive page
    manage: str
    unsubscribe: str


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    subject: str
    text: str
    html: str


def one_line(value: object) -> str:
    """``value`` as one line of plain text: runs of whitespace and control characters
    (line breaks, tabs, Unicode line and paragraph separators) become one space."""
    return _SPACE.sub(" ", str(value)).strip()


def preview(text: str, limit: int = ABSTRACT_CHARS) -> str:
    text = one_line(text[: limit * 4])
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def period_title(period: DigestPeriod) -> str:
    if period.frequency == "daily":
        return period.period.start.strftime("%A, %d %B %Y")
    return f"week {period.label} ({period.period.start:%d %b} – {period.period.end:%d %b %Y})"


def section_heading(section: Section, period: DigestPeriod) -> str:
    if section.kind == "trending":
        return "Trending today" if period.frequency == "daily" else "Trending this week"
    if section.kind == "category":
        name = category_name(section.key)
        return f"New in {name}" + (f" ({section.key})" if name != section.key else "")
    if section.kind == "search":
        return f"Matching \u201c{one_line(section.key)}\u201d"
    return f"By {one_line(section.key)}"


def _period_params(period: DigestPeriod) -> dict[str, str]:
    name = "date" if period.frequency == "daily" else "week"
    return {name: period.label}


def section_more_path(section: Section, period: DigestPeriod) -> str:
    """Where the site shows the whole of a section for the period."""
    span = {"from": period.period.start.isoformat(), "until": period.period.end.isoformat()}
    if section.kind == "trending":
        return digest_url(period.frequency, period.label)
    if section.kind == "category":
        return "/?" + urlencode({**_period_params(period), "category": section.key})
    if section.kind == "search":
        return "/search?" + urlencode({"q": section.key, "sort": "date", **span})
    return "/?" + urlencode({**_period_params(period), "author": section.key})


def subject_line(settings: Settings, digest: Digest) -> str:
    period = digest.period
    when = (
        period.period.start.strftime("%a %d %b %Y")
        if period.frequency == "daily"
        else f"week {period.label}"
    )
    if not digest.sections:
        return f"{settings.site_name}: no arXiv announcement ({when})"
    n = digest.paper_count
    return (
        f"{settings.site_name} {period.frequency} digest, {when}: {n} paper{'s' if n != 1 else ''}"
    )


@cache
def _environment(autoescape: bool) -> Environment:
    """One environment per kind, built on first use (never at import)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]) if autoescape else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # The templates ship with the package: no stat() of the file per digest.
        auto_reload=False,
    )
    env.filters.update(one_line=one_line, preview=preview)
    return env


def digest_links(settings: Settings, sub: Subscription, period: DigestPeriod) -> DigestLinks:
    return DigestLinks(
        archive=settings.public_url(digest_url(period.frequency, period.label)),
        manage=tokens.manage_url(settings, sub),
        unsubscribe=tokens.unsubscribe_url(settings, sub),
    )


class PaperSnippets:
    """Each paper's part of a digest (HTML and plain text), rendered once: a send's
    thousands of digests share a few hundred papers, so rendering them once per run
    instead of once per digest is most of the rendering saved. The HTML snippet comes
    from an autoescaped template, so it is safe to insert as markup."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._html: dict[str, Markup] = {}
        self._text: dict[str, str] = {}

    def _view(self, p: Paper) -> dict[str, Any]:
        names = [a.name for a in p.authors]
        authors = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        return {
            "title": one_line(p.title or p.id),
            "url": self.settings.public_url(paper_url(p.id)),
            "authors": one_line(authors),
            "abstract": preview(p.abstract),
            "categories": [
                {"code": c, "url": self.settings.public_url(category_url(c))}
                for c in p.categories[:4]
            ],
            "has_code": p.has_code,
        }

    def html(self, p: Paper) -> Markup:
        snippet = self._html.get(p.id)
        if snippet is None:
            template = _environment(True).get_template("_paper.html")
            snippet = self._html[p.id] = Markup(template.render(p=self._view(p)))
        return snippet

    def text(self, p: Paper) -> str:
        snippet = self._text.get(p.id)
        if snippet is None:
            template = _environment(False).get_template("_paper.txt")
            snippet = self._text[p.id] = template.render(p=self._view(p)).rstrip("\n")
        return snippet


def digest_context(
    settings: Settings, digest: Digest, snippets: PaperSnippets | None = None
) -> dict[str, Any]:
    """What both templates show: sections with their headings, "more" links and the
    papers' snippets."""
    period = digest.period
    snippets = snippets or PaperSnippets(settings)
    sections = [
        {
            "kind": s.kind,
            "heading": section_heading(s, period),
            "html": [snippets.html(p) for p in s.papers],
            "text": [snippets.text(p) for p in s.papers],
            "more": s.more,
            "more_url": settings.public_url(section_more_path(s, period)),
        }
        for s in digest.sections
    ]
    return {
        "site_name": settings.site_name,
        "site_url": settings.public_url("/"),
        "frequency": period.frequency,
        "title": period_title(period),
        "note": digest.note,
        "sections": sections,
        "paper_count": digest.paper_count,
    }


def render_digest(
    settings: Settings,
    digest: Digest,
    links: DigestLinks,
    *,
    snippets: PaperSnippets | None = None,
) -> RenderedDigest:
    context = {**digest_context(settings, digest, snippets), "links": links}
    return RenderedDigest(
        subject=subject_line(settings, digest),
        text=_environment(False).get_template("digest.txt").render(context),
        html=_environment(True).get_template("digest.html").render(context),
    )


def digest_message(
    settings: Settings,
    sub: Subscription,
    digest: Digest,
    *,
    now: datetime | None = None,
    snippets: PaperSnippets | None = None,
) -> EmailMessage:
    """The message of ``digest`` to ``sub``, with its one-click unsubscribe headers.
    A send passes one ``snippets`` for the whole run."""
    rendered = render_digest(
        settings, digest, digest_links(settings, sub, digest.period), snippets=snippets
    )
    return build_message(
        settings,
        to=sub.email,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        headers=tokens.list_unsubscribe_headers(settings, sub),
        now=now,
    )
