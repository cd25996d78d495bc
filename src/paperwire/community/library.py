"""Each reader's library: saved papers with tags and a private note; exported as BibTeX
or JSON, and filled from a BibTeX file by matching its entries against the store.

Everything here acts on one user's own library: the store names the user in every
statement, so no function here can reach another reader's papers or notes.

Caps (docs/security.md, "Library"): a paper has at most ``MAX_TAGS`` tags of at most
``MAX_TAG_CHARS`` characters each, a note at most ``MAX_NOTE_CHARS``; a library holds
at most ``MAX_LIBRARY_PAPERS``; an import reads at most ``MAX_IMPORT_ENTRIES`` entries
(the request body limit applies before that).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from paperwire.arxiv_ids import InvalidArxivId, parse_arxiv_id
from paperwire.bibtex import BibEntry, BibtexError, format_bibtex, parse_bibtex, plain_value
from paperwire.browse.cursor import decode_time_cursor, encode_time_cursor
from paperwire.errors import InvalidParameter
from paperwire.limits import LISTING_MAX, check_limit
from paperwire.models import LibraryItem, Paper, User
from paperwire.store import Store

MAX_TAGS = 20
MAX_TAG_CHARS = 50
MAX_NOTE_CHARS = 10_000
MAX_LIBRARY_PAPERS = 10_000
MAX_IMPORT_ENTRIES = 5_000
DEFAULT_LIMIT = 50

# Characters no tag or note may hold: controls (line breaks aside, in notes), format
# characters such as bidirectional overrides, surrogates, private-use and unassigned.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_NOTE_CONTROLS_KEPT = frozenset("\n\t")


@dataclass(frozen=True, slots=True)
class SavedPaper:
    item: LibraryItem
    paper: Paper


@dataclass(slots=True)
class LibraryPage:
    papers: list[SavedPaper]
    next_cursor: str | None
    total: int  # papers in the whole library
    tags: dict[str, int]  # each tag of the library with its number of papers


@dataclass(frozen=True, slots=True)
class ImportMatch:
    """An entry matched to a stored paper: ``by`` says through which identifier;
    ``added`` whether it was saved now (False: it was saved already)."""

    key: str
    line: int
    paper_id: str
    by: str
    added: bool


@dataclass(frozen=True, slots=True)
class ImportMiss:
    """An entry not saved: its key (when it had one), where it starts, and why."""

    key: str
    line: int
    reason: str


@dataclass(slots=True)
class ImportResult:
    matched: list[ImportMatch] = field(default_factory=list)
    unmatched: list[ImportMiss] = field(default_factory=list)


# ---------------------------------------------------------------- input


def _refuse_bad_characters(
    text: str, parameter: str, *, kept: frozenset[str] = frozenset()
) -> None:
    for ch in text:
        if ch not in kept and unicodedata.category(ch) in _BAD_CATEGORIES:
            raise InvalidParameter(
                parameter, f"must not contain control characters (found U+{ord(ch):04X})"
            )


def normalise_tags(tags: Iterable[Any]) -> list[str]:
    """Tags as kept: each trimmed, inner white space collapsed to one space and
    case-folded (``Vision  Transformers`` and ``vision transformers`` are one tag);
    empty ones dropped, repeats kept once in the order first given."""
    if isinstance(tags, str):
        raise InvalidParameter("tags", "must be a list of strings")
    out: dict[str, None] = {}
    for tag in tags:
        if not isinstance(tag, str):
            raise InvalidParameter("tags", "must be a list of strings")
        cleaned = " ".join(tag.split()).casefold()
        if not cleaned:
            continue
        if len(cleaned) > MAX_TAG_CHARS:
            raise InvalidParameter(
                "tags", f"a tag may have at most {MAX_TAG_CHARS} characters: {cleaned[:40]!r}…"
            )
        _refuse_bad_characters(cleaned, "tags")
        out[cleaned] = None
        if len(out) > MAX_TAGS:
            raise InvalidParameter("tags", f"at most {MAX_TAGS} tags per paper")
    return list(out)


def normalise_tag(tag: str, *, parameter: str = "tag") -> str:
    """One tag as a filter names it, in the form tags are kept."""
    tags = normalise_tags([tag])
    if not tags:
        raise InvalidParameter(parameter, "an empty tag")
    return tags[0]


def clean_note(note: Any) -> str:
    """A note as kept: trailing white space trimmed, line breaks kept, at most
    ``MAX_NOTE_CHARS`` characters, no other control characters."""
    if not isinstance(note, str):
        raise InvalidParameter("note", "must be a string")
    text = note.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidParameter("note", f"at most {MAX_NOTE_CHARS:,} characters (got {len(text):,})")
    _refuse_bad_characters(text, "note", kept=_NOTE_CONTROLS_KEPT)
    return text


# ---------------------------------------------------------------- saving


def _full() -> InvalidParameter:
    return InvalidParameter(
        "paper_id", f"a library holds at most {MAX_LIBRARY_PAPERS:,} papers: remove some first"
    )


def save_paper(
    store: Store,
    user: User,
    paper: Paper,
    *,
    tags: Iterable[Any] | None = None,
    note: Any = None,
    now: datetime,
) -> tuple[SavedPaper, bool]:
    """Save ``paper`` in the user's library with these tags and note, or replace the
    tags and note of a saved one; whether it was newly saved. ``None`` keeps what the
    saved paper has (nothing, for a new one): a save button need not know the tags."""
    kept_tags = normalise_tags(tags) if tags is not None else None
    kept_note = clean_note(note) if note is not None else None
    if kept_tags is None or kept_note is None:
        held = store.library_item(user.id, paper.id)
        if kept_tags is None:
            kept_tags = list(held.tags) if held else []
        if kept_note is None:
            kept_note = held.note if held else ""
    result = store.save_library_item(
        user.id, paper.id, tags=kept_tags, note=kept_note, now=now, max_items=MAX_LIBRARY_PAPERS
    )
    if result == "full":
        raise _full()
    item = store.library_item(user.id, paper.id)
    assert item is not None  # just written, and only its owner removes it
    return SavedPaper(item, paper), result == "created"


def unsave_paper(store: Store, user: User, paper_id: str, *, now: datetime) -> bool:
    """Remove a paper from the user's library; False when it was not there."""
    return store.remove_library_item(user.id, paper_id, now=now)


def saved_paper(store: Store, user: User, paper_id: str) -> SavedPaper | None:
    item = store.library_item(user.id, paper_id)
    if item is None:
        return None
    paper = store.get_paper(paper_id)
    return SavedPaper(item, paper) if paper is not None else None


def _with_papers(store: Store, items: Sequence[LibraryItem]) -> list[SavedPaper]:
    papers = {p.id: p for p in store.get_papers([i.paper_id for i in items])}
    return [SavedPaper(i, papers[i.paper_id]) for i in items if i.paper_id in papers]


def library_page(
    store: Store,
    user: User,
    *,
    tag: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> LibraryPage:
    """One page of the user's library, last saved first; only papers tagged ``tag``
    when given."""
    check_limit(limit, maximum=LISTING_MAX)
    key = normalise_tag(tag) if tag is not None else None
    after = decode_time_cursor(cursor) if cursor else None
    items = store.library_items(user.id, tag=key, after=after, limit=limit + 1)
    more = len(items) > limit
    items = items[:limit]
    next_cursor = (
        encode_time_cursor((items[-1].saved_at, items[-1].paper_id)) if more and items else None
    )
    return LibraryPage(
        papers=_with_papers(store, items),
        next_cursor=next_cursor,
        total=store.count_library_items(user.id),
        tags=store.library_tag_counts(user.id),
    )


def all_saved(store: Store, user: User) -> list[SavedPaper]:
    """The whole library, last saved first (for the exports)."""
    items = store.library_items(user.id, limit=MAX_LIBRARY_PAPERS)
    return _with_papers(store, items)


# ---------------------------------------------------------------- export


def export_bibtex(store: Store, user: User) -> str:
    """The library as a BibTeX file: each paper's entry as its page shows it. Tags and
    notes are private and stay out of it (a .bib file is made to be shared)."""
    entries = [format_bibtex(saved.paper) for saved in all_saved(store, user)]
    return "\n\n".join(entries) + ("\n" if entries else "")


def library_item_json(saved: SavedPaper) -> dict[str, Any]:
    """One saved paper as the API gives it: the paper's identity and the reader's own
    tags and note."""
    paper, item = saved.paper, saved.item
    return {
        "paper_id": paper.id,
        "title": paper.title,
        "authors": [a.name for a in paper.authors],
        "doi": paper.doi,
        "url": f"https://arxiv.org/abs/{paper.id}" if paper.source == "arxiv" else None,
        "tags": list(item.tags),
        "note": item.note,
        "saved_at": item.saved_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }


def export_json(store: Store, user: User) -> dict[str, Any]:
    """The whole library, with tags and notes (the reader's own copy)."""
    return {"papers": [library_item_json(saved) for saved in all_saved(store, user)]}


# ---------------------------------------------------------------- import

_DOI = re.compile(r"10\.[0-9]+(?:\.[0-9]+)*/\S+")
_DOI_URL = re.compile(r"^(?:https?://)?(?:dx\.)?doi\.org/(10\.\S+)$", re.IGNORECASE)
_ARXIV_URL = re.compile(
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/[^\s,;}\"']+", re.IGNORECASE
)
_ARXIV_PREFIXED = re.compile(
    r"arxiv:\s*([a-z.-]+/[0-9]{7}|[0-9]{4}\.[0-9]{4,5})(v[0-9]+)?", re.IGNORECASE
)
# Fields that may hold an arXiv URL or ``arXiv:`` id.
_TEXT_FIELDS = ("url", "note", "howpublished", "journal", "eprint", "pdf", "annote")


def _arxiv(text: str) -> str | None:
    try:
        return parse_arxiv_id(text).id
    except InvalidArxivId:
        return None


def _doi_of(value: str) -> str | None:
    text = plain_value(value)
    m = _DOI_URL.match(text)
    if m:
        text = m.group(1)
    if text[:4].lower() == "doi:":
        text = text[4:].strip()
    m = _DOI.fullmatch(text)
    return m.group().rstrip(".") if m else None


def entry_identifiers(entry: BibEntry) -> tuple[list[str], list[str]]:
    """The arXiv ids and DOIs an entry names, best first: an ``eprint`` of arXiv (or
    an ``arxivid`` field), arXiv URLs and ``arXiv:`` ids in its text fields, its
    ``doi`` field and DOI URLs."""
    f = {name: plain_value(value) for name, value in entry.fields.items()}
    arxiv: list[str] = []
    prefix = (f.get("archiveprefix") or f.get("eprinttype") or "").lower()
    if "eprint" in f and prefix in ("arxiv", ""):
        found = _arxiv(f["eprint"])
        if found:
            arxiv.append(found)
    for name in ("arxivid", "arxiv"):
        if name in f and (found := _arxiv(f[name])):
            arxiv.append(found)
    for name in _TEXT_FIELDS:
        text = f.get(name, "")
        for url in _ARXIV_URL.findall(text):
            if found := _arxiv(url.rstrip(".")):
                arxiv.append(found)
        for m in _ARXIV_PREFIXED.finditer(text):
            if found := _arxiv(m.group(1)):
                arxiv.append(found)
    dois: list[str] = []
    if "doi" in f and (doi := _doi_of(f["doi"])):
        dois.append(doi)
    for name in ("url", "note", "howpublished"):
        for word in f.get(name, "").split():
            if (doi := _doi_of(word)) and _DOI_URL.match(word):
                dois.append(doi)
    return list(dict.fromkeys(arxiv)), list(dict.fromkeys(dois))


def import_bibtex(store: Store, user: User, text: str, *, now: datetime) -> ImportResult:
    """Save every entry of ``text`` that names a stored paper (by arXiv id, arXiv URL
    or DOI) and list the others back with why. Papers already saved keep their tags
    and notes. One transaction saves all the matched."""
    if "\x00" in text:  # no database stores it in text; nothing of BibTeX needs it
        raise InvalidParameter("body", "contains a NUL character: not BibTeX text")
    try:
        parsed = parse_bibtex(text, max_entries=MAX_IMPORT_ENTRIES)
    except BibtexError as exc:
        raise InvalidParameter("body", str(exc)) from exc
    if not parsed.entries and not parsed.problems:
        raise InvalidParameter(
            "body", "no BibTeX entries found (an entry starts with @type{key, …})"
        )
    result = ImportResult()
    wanted: list[tuple[BibEntry, list[str], list[str]]] = []
    for entry in parsed.entries:
        arxiv, dois = entry_identifiers(entry)
        if not arxiv and not dois:
            result.unmatched.append(
                ImportMiss(entry.key, entry.line, "no arXiv id, arXiv URL or DOI")
            )
        else:
            wanted.append((entry, arxiv, dois))
    result.unmatched += [
        ImportMiss(p.key, p.line, f"could not be read: {p.reason}") for p in parsed.problems
    ]

    known = {p.id for p in store.get_papers(list({i for _, ids, _ in wanted for i in ids}))}
    by_doi = store.paper_ids_by_doi(list({d for _, _, dois in wanted for d in dois}))
    found: list[tuple[BibEntry, str, str]] = []
    for entry, arxiv, dois in wanted:
        hit = next(((i, "arxiv") for i in arxiv if i in known), None)
        if hit is None:
            hit = next(((by_doi[d.lower()], "doi") for d in dois if d.lower() in by_doi), None)
        if hit is None:
            named = ", ".join([*(f"arXiv {i}" for i in arxiv), *(f"DOI {d}" for d in dois)])
            result.unmatched.append(
                ImportMiss(entry.key, entry.line, f"not in this site's papers ({named[:200]})")
            )
        else:
            found.append((entry, *hit))

    added = set(
        store.add_library_items(
            user.id, [paper_id for _, paper_id, _ in found], now=now, max_items=MAX_LIBRARY_PAPERS
        )
    )
    held = store.library_holds(user.id, [paper_id for _, paper_id, _ in found])
    seen: set[str] = set()
    for entry, paper_id, by in found:
        if paper_id in added or paper_id in held:
            result.matched.append(
                ImportMatch(
                    entry.key, entry.line, paper_id, by, paper_id in added and paper_id not in seen
                )
            )
            seen.add(paper_id)
        else:
            result.unmatched.append(ImportMiss(entry.key, entry.line, str(_full().message)))
    result.unmatched.sort(key=lambda miss: miss.line)
    return result
