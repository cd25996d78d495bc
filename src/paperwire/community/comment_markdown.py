"""Comments as HTML: a small, safe subset of Markdown.

A comment is stored as the plain text its author typed and rendered when it is shown,
so a tighter rule applies to old comments too. The renderer is markdown-it's "zero"
preset (nothing on) with only these rules switched on: paragraphs and line breaks
(a single newline is a ``<br>``, as people type comments), emphasis and strong, inline
code, indented and fenced code blocks, links and ``<…>`` autolinks, lists,
blockquotes, backslash escapes and character references. Raw HTML is off, so ``<`` and
``&`` in the text are always escaped; images, headings, tables and rules stay text.

Links: only absolute ``http``/``https`` URLs become links (``javascript:``, ``data:``,
``mailto:``, relative paths and the rest stay text), and every link carries
``rel="nofollow ugc noopener"``: what commenters link earns no ranking from us and the
opened page gets no handle on ours. A code fence's language is dropped, so no class
from the comment reaches the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

LINK_REL = "nofollow ugc noopener"
RULES = (
    "newline",
    "escape",
    "entity",
    "emphasis",
    "backticks",
    "link",
    "autolink",
    "code",
    "fence",
    "list",
    "blockquote",
)
_SCHEMES = ("http://", "https://")


def allowed_url(url: str) -> bool:
    """An absolute http(s) URL with a host, judged after markdown-it has normalised it
    (percent-encoded, so no whitespace or control character is left to hide a
    scheme)."""
    if not url[:8].lower().startswith(_SCHEMES):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a malformed IPv6 host
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


# Render rules are bound to the renderer, which comes first.
def _link_open(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    token.attrSet("rel", LINK_REL)
    return renderer.renderToken(tokens, idx, options, env)  # type: ignore[no-any-return]


def _fence(renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    tokens[idx].info = ""  # the language would become a class on the page
    return renderer.fence(tokens, idx, options, env)  # type: ignore[no-any-return]


def _build() -> MarkdownIt:
    md = MarkdownIt("zero", {"html": False, "breaks": True, "linkify": False})
    md.enable(list(RULES))
    md.validateLink = allowed_url  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("fence", _fence)
    return md


_MARKDOWN = _build()


@lru_cache(maxsize=4096)
def render_comment(body: str) -> str:
    """The HTML of a comment's text (bodies are capped in length when written, so a
    rendering is bounded; a page of comments renders each body once)."""
    return _MARKDOWN.render(body)
