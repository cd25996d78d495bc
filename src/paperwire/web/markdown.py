"""A paper as Markdown: for ``/papers/{id}.md`` and the Hugging Face–compatible
``/hf/papers/{id}.md`` (what ``HfApi.read_paper`` reads).

Markdown is read by people and by LLM tools; paper text is data, so characters that
Markdown would treat as markup in titles and names are escaped, and only http(s) links
become links.
"""

from __future__ import annotations

import re

from paperwire.models import Paper

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!])")
_LINK_LABELS = {"abs": "Abstract page", "pdf": "PDF", "doi": "DOI", "html": "HTML"}


def escape_markdown(text: str) -> str:
    """Escape inline Markdown/HTML so a hostile title renders as the literal text."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _safe_url(url: str) -> str | None:
    if not url.startswith(("https://", "http://")):
        return None
    return url.replace(" ", "%20").replace(")", "%29").replace("(", "%28")


def paper_markdown(paper: Paper) -> str:
    lines = [f"# {escape_markdown(paper.title)}", ""]
    if paper.authors:
        names = ", ".join(escape_markdown(a.name) for a in paper.authors)
        lines += [f"**Authors:** {names}", ""]
    ident = f"`{paper.id}`" + (f" (version {paper.version})" if paper.version else "")
    facts = [f"- **Id:** {ident}"]
    if paper.submitted:
        facts.append(f"- **Submitted:** {paper.submitted.date().isoformat()}")
    if paper.updated and paper.submitted and paper.updated.date() != paper.submitted.date():
        facts.append(f"- **Updated:** {paper.updated.date().isoformat()}")
    if paper.announced:
        kind = f" ({paper.announce_type})" if paper.announce_type else ""
        facts.append(f"- **Announced:** {paper.announced.isoformat()}{kind}")
    if paper.categories:
        facts.append("- **Categories:** " + ", ".join(f"`{c}`" for c in paper.categories))
    if paper.journal_ref:
        facts.append(f"- **Journal reference:** {escape_markdown(paper.journal_ref)}")
    if paper.doi:
        facts.append(f"- **DOI:** `{paper.doi}`")
    if paper.comments:
        facts.append(f"- **Comments:** {escape_markdown(paper.comments)}")
    lines += [*facts, ""]
    if paper.abstract:
        lines += ["## Abstract", "", escape_markdown(paper.abstract), ""]
    links = []
    for link in paper.links:
        url = _safe_url(link.url)
        if url is None:
            continue
        label = _LINK_LABELS.get(link.kind)
        if label is None:
            label = "Code" if link.kind == "code" else "Project page" if link.kind == "project" else link.kind
        links.append(f"- [{label}]({url})")
    if links:
        lines += ["## Links", "", *links, ""]
    return "\n".join(lines)
