"""Links every paper gets from its identifiers. Code links are added by ``code_links``."""

from __future__ import annotations

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


def finish_paper(paper: Paper) -> Paper:
    """Every source ends here, so links are built the same way whatever the source."""
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
        if key not in seen:
            seen.add(key)
            merged.append(link)
    paper.links = merged
    return paper
