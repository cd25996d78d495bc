"""BibTeX for a paper, as shown (and copied) on its page.

Plain text in a ``<pre>``: the template escapes it, so a hostile title stays text. Braces
in values are balanced-or-dropped so the entry parses in BibTeX.
"""

from __future__ import annotations

import re

from paperwire.models import Paper


def _clean(value: str) -> str:
    text = " ".join(value.split())
    depth = 0
    out = []
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(ch)
    return "".join(out) + "}" * depth


def citation_key(paper: Paper) -> str:
    """``nguyen2021`` style: first author's family name + year + a token of the id."""
    family = ""
    if paper.authors:
        first = paper.authors[0]
        family = first.family or (first.name.split()[-1] if first.name.split() else "")
    family = re.sub(r"[^a-z]", "", family.lower()) or "paper"
    year = paper.submitted.year if paper.submitted else (paper.announced.year if paper.announced else "")
    token = re.sub(r"[^0-9a-z]", "", paper.id.lower())[-5:]
    return f"{family}{year}_{token}"


def format_bibtex(paper: Paper) -> str:
    fields: list[tuple[str, str]] = [
        ("title", "{" + _clean(paper.title) + "}"),
        ("author", " and ".join(_clean(a.name) for a in paper.authors) or "Unknown"),
    ]
    when = paper.submitted or None
    year = when.year if when else (paper.announced.year if paper.announced else None)
    if year:
        fields.append(("year", str(year)))
    if paper.source == "arxiv":
        fields.append(("eprint", paper.id))
        fields.append(("archivePrefix", "arXiv"))
        if paper.primary_category:
            fields.append(("primaryClass", _clean(paper.primary_category)))
        fields.append(("url", f"https://arxiv.org/abs/{paper.id}"))
    elif paper.id.startswith("pmid:"):
        fields.append(("note", f"PMID {paper.id[5:]}"))
    if paper.doi:
        fields.append(("doi", _clean(paper.doi)))
    if paper.journal_ref:
        fields.append(("journal", _clean(paper.journal_ref)))
    entry = "article" if paper.journal_ref else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry}{{{citation_key(paper)},\n{body}\n}}"
