"""What pages and APIs show of papers' code and artifact signals, read for a whole page
at once (``code_signals``: two indexed queries, whatever the number of papers).

Each code link of a paper is shown as the paper gives it; a GitHub link carries what
GitHub last said of its repository (stars, forks, last push, license, archived) once a
``paperwire ingest github`` run has reached GitHub, and nothing before: the links are
never hidden for want of stars. A repository GitHub calls gone keeps its link and
shows no stars.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from paperwire.models import HUB_KINDS, HubArtifact, HubKind, HubLinks, Paper, Repository
from paperwire.signals.github import github_name
from paperwire.signals.hub import COUNT_CAP
from paperwire.store import Store


@dataclass(frozen=True, slots=True)
class CodeLinkSignal:
    """One code link of a paper, with its GitHub repository when known."""

    url: str
    repository: Repository | None = None

    @property
    def known(self) -> Repository | None:
        """The repository as GitHub last described it, if it still exists."""
        repo = self.repository
        return repo if repo is not None and repo.status == "ok" else None

    @property
    def stars(self) -> int | None:
        return self.known.stars if self.known else None

    @property
    def forks(self) -> int | None:
        return self.known.forks if self.known else None

    @property
    def pushed_at(self) -> datetime | None:
        return self.known.pushed_at if self.known else None

    @property
    def license(self) -> str | None:
        return self.known.license if self.known else None

    @property
    def archived(self) -> bool:
        return bool(self.known and self.known.archived)

    @property
    def gone(self) -> bool:
        return self.repository is not None and self.repository.status == "gone"

    @property
    def renamed_to(self) -> str | None:
        """GitHub's name for the repository when it differs from the link's."""
        known = self.known
        if known is None or known.current_name is None:
            return None
        return known.current_name if known.current_name.lower() != known.full_name else None


_TITLES: dict[HubKind, str] = {"model": "Models", "dataset": "Datasets", "space": "Spaces"}


@dataclass(frozen=True, slots=True)
class HubSection:
    """One kind of Hub repository citing a paper, as its page lists them."""

    kind: HubKind
    title: str  # Models, Datasets, Spaces
    count: str  # "3"; "500+" past what a look-up counts
    artifacts: tuple[HubArtifact, ...]  # the most liked first
    more: bool  # more cite it than are listed


@dataclass(frozen=True, slots=True)
class PaperCode:
    """A paper's code links with their repositories, and what cites it on the Hub."""

    links: tuple[CodeLinkSignal, ...] = ()
    hub: HubLinks | None = None

    def of_url(self, url: str) -> CodeLinkSignal | None:
        return next((link for link in self.links if link.url == url), None)

    @property
    def top(self) -> CodeLinkSignal | None:
        """The link whose repository has the most stars (what a card shows)."""
        starred = [link for link in self.links if link.stars is not None]
        return max(starred, key=lambda link: link.stars or 0) if starred else None

    @property
    def stars(self) -> int | None:
        top = self.top
        return top.stars if top else None

    @property
    def archived(self) -> bool:
        top = self.top
        return bool(top and top.archived)

    @property
    def hub_summary(self) -> list[str]:
        """``["3 models", "1 dataset", "1 Space"]``: what cites the paper on the Hub,
        the kinds with none left out."""
        if self.hub is None:
            return []
        counts = (
            (self.hub.models, "model", "models"),
            (self.hub.datasets, "dataset", "datasets"),
            (self.hub.spaces, "Space", "Spaces"),
        )
        return [
            f"{n:,}{'+' if n >= COUNT_CAP else ''} {one if n == 1 else many}"
            for n, one, many in counts
            if n
        ]

    def hub_sections(self, *, shown: int = 10) -> list[HubSection]:
        """The kinds that cite the paper, each with its ``shown`` most liked."""
        if self.hub is None:
            return []
        sections = []
        for kind in HUB_KINDS:
            total = {
                "model": self.hub.models,
                "dataset": self.hub.datasets,
                "space": self.hub.spaces,
            }[kind]
            if not total:
                continue
            artifacts = self.hub.of_kind(kind)
            sections.append(
                HubSection(
                    kind=kind,
                    title=_TITLES[kind],
                    count=f"{total:,}{'+' if total >= COUNT_CAP else ''}",
                    artifacts=tuple(artifacts[:shown]),
                    more=total > shown,
                )
            )
        return sections


NO_CODE = PaperCode()


def code_signals(store: Store, papers: Iterable[Paper]) -> dict[str, PaperCode]:
    """Each paper's ``PaperCode`` (papers without code links nor Hub links are left
    out: read them as ``NO_CODE``)."""
    papers = list(papers)
    ids = list(dict.fromkeys(p.id for p in papers))
    with_code = [p.id for p in papers if p.has_code]
    repositories = store.repositories_for_papers(with_code) if with_code else {}
    hub = store.hub_links_for_papers(ids) if ids else {}
    out: dict[str, PaperCode] = {}
    for paper in papers:
        by_name = {r.full_name: r for r in repositories.get(paper.id, ())}
        links = tuple(
            CodeLinkSignal(link.url, by_name.get(github_name(link.url) or ""))
            for link in paper.code_links
        )
        if links or paper.id in hub:
            out[paper.id] = PaperCode(links, hub.get(paper.id))
    return out
