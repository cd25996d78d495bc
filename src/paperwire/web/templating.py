"""Jinja2 environment with autoescaping: everything from papers is data, never markup.

The filters here are the only way templates turn paper data into URLs: ``safe_href``
drops anything that is not http(s) (a code link ``javascript:alert(1)`` is shown as
text, never as a link) and the ``*_url`` helpers percent-encode names into paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from paperwire.paths import author_url, category_url, paper_url
from paperwire.web.auth import csrf_token, viewer_of
from paperwire.web.cards import card_view
from paperwire.web.reader_pages import page_slots
from paperwire.web.static_files import static_url

TEMPLATES_DIR = Path(__file__).parent / "templates"


def safe_href(url: object) -> str | None:
    """``url`` when it is an absolute http(s) URL with a host, else None."""
    if not isinstance(url, str):
        return None
    text = url.strip()
    if any(ord(ch) < 0x20 for ch in text):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return text


def doi_url(doi: str) -> str:
    return "https://doi.org/" + quote(doi, safe="/:.-_;()<>")


def with_query(path: str, **params: Any) -> str:
    """``path`` plus the non-empty params, in a stable order (``True`` as ``1``)."""
    pairs = [
        (k, "1" if v is True else str(v)) for k, v in params.items() if v not in (None, "", False)
    ]
    return path + ("?" + urlencode(pairs) if pairs else "")


def format_day(value: date | datetime | None) -> str:
    """``Wed, 25 Nov 2026``: unambiguous for readers anywhere."""
    if value is None:
        return ""
    return value.strftime("%a, %d %b %Y")


def shorten(text: str, limit: int = 320) -> str:
    """Abstract preview cut at a word boundary; the full text is one click away."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + " …"


@pass_context
def _viewer(context: Any) -> Any:
    """The signed-in reader of the page being rendered, or None (``web/auth.py``); on a
    page shared by every signed-in reader, their name is a slot (``reader_pages.py``)."""
    request = context.get("request")
    shared = page_slots(request)
    return shared.reader if shared is not None else viewer_of(request)


@pass_context
def _csrf_token(context: Any) -> str:
    request = context.get("request")
    shared = page_slots(request)
    if shared is not None:
        return shared.csrf()
    return csrf_token(request) if isinstance(request, Request) else ""


def build_templates(*, site_name: str = "paperwire") -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    env = templates.env
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True
    env.globals.update(
        static_url=static_url,
        site_name=site_name,
        viewer=_viewer,
        csrf_token=_csrf_token,
        card_view=card_view,
    )
    env.filters.update(
        safe_href=safe_href,
        author_url=author_url,
        category_url=category_url,
        paper_url=paper_url,
        doi_url=doi_url,
        format_day=format_day,
        shorten=shorten,
    )
    return templates


def templates_for(app: Any) -> Jinja2Templates:
    """The app's templates, built on first use (never at import) with its site name."""
    templates = getattr(app.state, "templates", None)
    if templates is None:
        settings = getattr(app.state, "settings", None)
        templates = build_templates(site_name=getattr(settings, "site_name", "paperwire"))
        app.state.templates = templates
    return templates  # type: ignore[no-any-return]


def render_page(
    request: Request,
    templates: Jinja2Templates,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """``name`` rendered with ``context``; ``headers`` such as ``routing.NO_STORE`` for a
    page that is the reader's own."""
    html = templates.get_template(name).render({"request": request, **context})
    return HTMLResponse(html, status_code=status_code, headers=headers)
