"""Links every paper gets from its identifiers. Code links are added by ``code_links``."""

from __future__ import annotations

from paperwire.ingest.checks import MAX_LINK_URL, MAX_LINKS, check_paper
from paperwire.models import Link, Paper


def standard_links(paper: Paper) -> list[Link]:
    links: list[Link] = []
    if paper.source == "arxiv":
        versioned = f"{paper.id}v{paper.version}" if paper.version else paper.id
        links.append(Link("abs", f"https://arxiv.org/abs/{versioned}"))
        links.append(Link("pdf", f"https://arxiv.org/pdf/{versioned}"))
    elif paper.source == "medline" and paper.id.startswith("pmid:"):
        links.append(Link("abs", f"https://pubmed.ncbi.nlm.nih.gov/{paper.id[5:]}/"))
    if paper.doi:
        links.append(Link("doi", f"https://doi.org/{paper.doi}"))
    return links


def finish_paper(paper: Paper, *, where: str) -> Paper:
    """Every source ends here: the record is checked (``checks.check_paper``, which
    raises ``IngestError`` naming ``where``) before anything else reads it, and its
    links are built the same way whatever the source."""
    check_paper(paper, where=where)
    return with_links(paper)


def with_links(paper: Paper) -> Paper:
    """``paper`` with its standard links, the links it brought and the code links of
    its text; at most ``MAX_LINKS``, each URL at most ``MAX_LINK_URL`` characters."""
    from paperwire.ingest.code_links import extract_links

    extra = [link for link in paper.links if link.kind not in ("abs", "pdf", "doi")]
    code = extract_links(paper.abstract) + extract_links(paper.comments)
    if not extra and not code:  # the usual case, kept cheap for bulk imports
        paper.links = standard_links(paper)
        return paper
    seen: set[tuple[str, str]] = set()
    merged: list[Link] = []
    for link in [*standard_links(paper), *extra, *code]:
        key = (link.kind, link.url)
        if key not in seen and len(link.url) <= MAX_LINK_URL:
            seen.add(key)
            merged.append(link)
    paper.links = merged[:MAX_LINKS]
    return paper
