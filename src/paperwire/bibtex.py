"""BibTeX for a paper, as shown (and copied) on its page.

Plain text in a ``<pre>``: the template escapes it, so a hostile title stays text. Each
value is cleaned (:func:`clean_value`) so the entry parses in BibTeX as exactly the
fields written here, and reads the same in LaTeX.
"""

from __future__ import annotations

import re

from paperwire.models import Paper

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def clean_value(value: str) -> str:
    """``value`` as the inside of a braced field, on one line, that BibTeX and LaTeX both
    read as one value:

    - braces balanced, each closer matching its opener's kind (``{``…``}`` or
      ``\\{``…``\\}``): BibTeX counts both kinds, LaTeX only the bare one, so an
      unmatched closer is dropped and a missing one added at the end. No value can then
      close its field early and add fields or entries of its own;
    - a backslash at the end dropped (it would escape the field's closing brace);
    - a bare ``%`` escaped: LaTeX would read the rest of the line, closing braces
      included, as a comment.

    Other TeX (``$x^2$``, ``\\'e``) is kept: titles are written in it.
    """
    text = " ".join(value.split())
    opened: list[str] = []
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        token = text[i : i + 2] if ch == "\\" else ch
        i += len(token)
        if token in ("{", "\\{"):
            opened.append(token)
        elif token in ("}", "\\}"):
            if not opened or opened[-1] != ("{" if token == "}" else "\\{"):
                continue
            opened.pop()
        elif token == "\\":
            continue  # a backslash at the very end
        elif token == "%":
            token = "\\%"
        out.append(token)
    out.extend("}" if opener == "{" else "\\}" for opener in reversed(opened))
    return "".join(out)


def _author(name: str) -> str:
    # BibTeX splits the author list on a bare "and"; one inside a name is braced.
    return _AND.sub(" {and} ", clean_value(name))


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
        ("title", "{" + clean_value(paper.title) + "}"),
        ("author", " and ".join(_author(a.name) for a in paper.authors) or "Unknown"),
    ]
    when = paper.submitted or None
    year = when.year if when else (paper.announced.year if paper.announced else None)
    if year:
        fields.append(("year", str(year)))
    if paper.source == "arxiv":
        fields.append(("eprint", clean_value(paper.id)))
        fields.append(("archivePrefix", "arXiv"))
        if paper.primary_category:
            fields.append(("primaryClass", clean_value(paper.primary_category)))
        fields.append(("url", clean_value(f"https://arxiv.org/abs/{paper.id}")))
    elif paper.id.startswith("pmid:"):
        fields.append(("note", clean_value(f"PMID {paper.id[5:]}")))
    if paper.doi:
        fields.append(("doi", clean_value(paper.doi)))
    if paper.journal_ref:
        fields.append(("journal", clean_value(paper.journal_ref)))
    entry = "article" if paper.journal_ref else "misc"
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry}{{{citation_key(paper)},\n{body}\n}}"
