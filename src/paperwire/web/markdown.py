"""A paper as Markdown: for ``/papers/{id}.md`` and the Hugging Face–compatible
``/hf/papers/{id}.md`` (what ``HfApi.read_paper`` reads).

Markdown is read by people and by LLM tools, and renderers pass raw HTML through; paper
text is data, so every field is escaped for where it stands: prose with a backslash
before each character Markdown or HTML would read as markup, code spans with a fence
longer than any backtick run inside, and link targets percent-encoded, http(s) only.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from paperwire.models import Paper
from paperwire.web.templating import safe_href

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that
# start markup inline (emphasis, code, links, images, raw HTML, entities, GFM tables
# and strikethrough) or at the start of a line (headings, quotes).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!&~])")
# At the start of a block: list items (-, +, 1. and 1)) and setext underlines (=).
_BLOCK_START = re.compile(r"^(\d{1,9})([.)])|^([-+=])")
# Control characters other than the whitespace that text.split() folds away.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BACKTICKS = re.compile("`+")
_LINK_LABELS = {"abs": "Abstract page", "pdf": "PDF", "doi": "DOI", "html": "HTML"}
# Characters a URL keeps as they are; everything else (spaces, quotes, brackets,
# parentheses, angle brackets, backticks) is percent-encoded so it cannot end the link.
_URL_SAFE = ":/?#@!$&*+,;=%-._~"


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub("", text).split())


def escape_markdown(text: str) -> str:
    """Escape inline Markdown/HTML so a hostile title renders as the literal text."""
    return _MD_SPECIAL.sub(r"\\\1", _one_line(text))


def escape_block(text: str) -> str:
    """:func:`escape_markdown` for text that starts a paragraph: a leading ``-``, ``+``,
    ``=`` or ``1.`` would otherwise make it a list or a heading underline."""
    return _BLOCK_START.sub(
        lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escape_markdown(text), count=1
    )


def code_span(text: str) -> str:
    """``text`` as an inline code span, whatever it holds: the fence is one backtick
    longer than the longest run inside, and a space pads content that starts or ends
    with a backtick (CommonMark strips one such space on each side). Inside a code
    span nothing is markup, not even HTML."""
    text = _one_line(text)
    if not text:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    if text[0] == "`" or text[-1] == "`":
        text = f" {text} "
    return f"{fence}{text}{fence}"


def markdown_url(url: str) -> str | None:
    """``url`` as a Markdown link target, or None when it is not an http(s) address."""
    href = safe_href(url)
    if href is None:
        return None
    return quote(href, safe=_URL_SAFE)


def paper_markdown(paper: Paper, *, page_url: str | None = None) -> str:
    """The paper as Markdown; ``page_url`` (absolute, from the site's base URL) links
    back to its page here."""
    lines = [f"# {escape_markdown(paper.title)}", ""]
    if paper.authors:
        names = ", ".join(escape_markdown(a.name) for a in paper.authors)
        lines += [f"**Authors:** {names}", ""]
    ident = code_span(paper.id) + (f" (version {paper.version})" if paper.version else "")
    facts = [f"- **Id:** {ident}"]
    if paper.submitted:
        facts.append(f"- **Submitted:** {paper.submitted.date().isoformat()}")
    if paper.updated and paper.submitted and paper.updated.date() != paper.submitted.date():
        facts.append(f"- **Updated:** {paper.updated.date().isoformat()}")
    if paper.announced:
        kind = f" ({escape_markdown(paper.announce_type)})" if paper.announce_type else ""
        facts.append(f"- **Announced:** {paper.announced.isoformat()}{kind}")
    if paper.categories:
        facts.append("- **Categories:** " + ", ".join(code_span(c) for c in paper.categories))
    if paper.journal_ref:
        facts.append(f"- **Journal reference:** {escape_markdown(paper.journal_ref)}")
    if paper.doi:
        facts.append(f"- **DOI:** {code_span(paper.doi)}")
    if paper.comments:
        facts.append(f"- **Comments:** {escape_markdown(paper.comments)}")
    lines += [*facts, ""]
    if paper.abstract:
        lines += ["## Abstract", "", escape_block(paper.abstract), ""]
    links = []
    if page_url is not None and (own := markdown_url(page_url)) is not None:
        links.append(f"- [This paper on the site]({own})")
    for link in paper.links:
        url = markdown_url(link.url)
        if url is None:
            continue
        label = _LINK_LABELS.get(link.kind)
        if label is None:
            label = "Code" if link.kind == "code" else "Project page" if link.kind == "project" else link.kind
        links.append(f"- [{escape_markdown(label)}]({url})")
    if links:
        lines += ["## Links", "", *links, ""]
    return "\n".join(lines)
