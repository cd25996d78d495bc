"""What one subscriber's digest holds: a pure function of their preferences, the
candidate papers of the period, the papers already sent to them, and whether arXiv
announced anything.

Being pure (no store, no clock, no mail) is what lets a send compose the same digest
again after a crash, and lets tests state the rules directly:

- a paper already sent to this subscriber is never shown again, and a paper appears
  once per digest: in the first section that has it, in the order the sections are
  shown (trending, then each chosen category, each saved search, each followed author);
- an excluded word or phrase hides a paper from every section; it matches whole words
  of the title or abstract, case-insensitively (``transformer*`` matches every word
  that starts with ``transformer``);
- in a period without any arXiv announcement nothing is sent, unless the subscriber
  asked for a one-line note (``no_announcement_note``);
- a digest with no paper left is not sent (``None``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from paperwire.digest.period import DigestPeriod
from paperwire.models import Paper, SubscriptionPrefs

SectionKind = Literal["trending", "category", "search", "author"]

# Papers shown per section; the rest are counted ("12 more") and linked on the site.
SECTION_LIMIT = {"daily": 10, "weekly": 20}

_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Section:
    kind: SectionKind
    key: str  # "" for trending; the category code, saved search or author name
    papers: tuple[Paper, ...]
    more: int = 0  # further matching papers left out for length


@dataclass(frozen=True, slots=True)
class Digest:
    period: DigestPeriod
    sections: tuple[Section, ...] = ()
    note: str | None = None  # the one line of a period without announcements

    @property
    def paper_ids(self) -> tuple[str, ...]:
        return tuple(p.id for s in self.sections for p in s.papers)

    @property
    def paper_count(self) -> int:
        return sum(len(s.papers) for s in self.sections)


@dataclass(frozen=True, slots=True)
class Candidates:
    """The papers each section may draw from, best first, already limited to the
    period: ``trending`` in trending order; the others keyed as the preferences name
    them (a key missing means no paper)."""

    trending: Sequence[Paper] = ()
    categories: Mapping[str, Sequence[Paper]] = field(default_factory=dict)
    queries: Mapping[str, Sequence[Paper]] = field(default_factory=dict)
    authors: Mapping[str, Sequence[Paper]] = field(default_factory=dict)

    def paper_ids(self) -> set[str]:
        ids = {p.id for p in self.trending}
        for group in (self.categories, self.queries, self.authors):
            for papers in group.values():
                ids.update(p.id for p in papers)
        return ids


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(unicodedata.normalize("NFKC", text))]


@lru_cache(maxsize=8192)
def _text_words(title: str, abstract: str) -> tuple[str, ...]:
    """A paper's words, kept for the papers a send checks again and again (the result
    depends on the text alone)."""
    return tuple(_words(f"{title}\n{abstract}"))


@dataclass(frozen=True, slots=True)
class Exclusions:
    """Excluded words and phrases as word sequences; a trailing ``*`` makes the last
    word a prefix."""

    phrases: tuple[tuple[tuple[str, ...], bool], ...]

    @classmethod
    def parse(cls, terms: Iterable[str]) -> Exclusions:
        phrases = []
        for term in terms:
            words = tuple(_words(term))
            if words:
                phrases.append((words, term.rstrip().endswith("*")))
        return cls(tuple(phrases))

    def hides(self, paper: Paper) -> bool:
        if not self.phrases:
            return False
        text = _text_words(paper.title, paper.abstract)
        for words, prefix in self.phrases:
            n = len(words)
            for i in range(len(text) - n + 1):
                if text[i : i + n - 1] != words[:-1]:
                    continue
                last = text[i + n - 1]
                if last == words[-1] or (prefix and last.startswith(words[-1])):
                    return True
        return False


def no_announcement_note(period: DigestPeriod) -> str:
    if period.frequency == "daily":
        return f"arXiv made no announcement on {period.period.start:%A, %d %B %Y}: no new papers today."
    return f"arXiv made no announcement in the week {period.label}: no new papers this week."


def compose_digest(
    prefs: SubscriptionPrefs,
    candidates: Candidates,
    *,
    period: DigestPeriod,
    already_sent: Set[str],
    announced: bool,
    section_limit: int | None = None,
) -> Digest | None:
    """The digest of ``period`` for a subscriber with ``prefs``, or None when there is
    nothing to send (see the module's docstring for the rules)."""
    if not announced:
        if prefs.no_announcement_note:
            return Digest(period, note=no_announcement_note(period))
        return None
    limit = section_limit or SECTION_LIMIT[period.frequency]
    exclusions = Exclusions.parse(prefs.exclude)
    shown: set[str] = set(already_sent)
    hidden: dict[str, bool] = {}

    def pick(kind: SectionKind, key: str, papers: Sequence[Paper]) -> Section | None:
        chosen: list[Paper] = []
        more = 0
        for paper in papers:
            if paper.id in shown:
                continue
            if paper.id not in hidden:
                hidden[paper.id] = exclusions.hides(paper)
            if hidden[paper.id]:
                continue
            if len(chosen) < limit:
                chosen.append(paper)
                shown.add(paper.id)
            else:
                more += 1
        return Section(kind, key, tuple(chosen), more) if chosen else None

    wanted: list[tuple[SectionKind, str, Sequence[Paper]]] = []
    if prefs.trending:
        wanted.append(("trending", "", candidates.trending))
    wanted += [("category", c, candidates.categories.get(c, ())) for c in prefs.categories]
    wanted += [("search", q, candidates.queries.get(q, ())) for q in prefs.queries]
    wanted += [("author", a, candidates.authors.get(a, ())) for a in prefs.authors]
    sections = [s for kind, key, papers in wanted if (s := pick(kind, key, papers)) is not None]
    if not sections:
        return None
    return Digest(period, tuple(sections))
