"""Parse what a user types into safe search parts.

Nothing a user types reaches FTS5 or tsquery syntax: the text is cut into words (runs
of letters and digits), and only a few gestures are understood —

- ``"a quoted phrase"`` must appear as a phrase; ``-word`` / ``-"a phrase"`` must not
  (at most ``MAX_EXCLUSIONS`` of them; an excluded common word or single character is
  dropped like a ranked one, as it would exclude nearly every paper on SQLite and
  nothing on PostgreSQL, whose index leaves common words out);
- ``+word`` must appear; ``word*`` matches words starting with it (two letters or more);
- ``OR`` / ``||`` (upper case) between plain words (or ``word*``) makes them
  alternatives: it matters only when all words are required (``require_all``, what a
  listing sorted by date uses), where ``vision OR eye`` needs one of the two;
  ``AND`` is ignored, ``NOT word`` is ``-word``;
- everything else (``:``, ``^``, ``(``, ``$\\alpha$``, SQL) is punctuation between words.

Plain words are ranked, not required (unless ``require_all``): a paper matching more of them (in its title
first) ranks higher. Common English words are dropped from them (PostgreSQL's
``english`` configuration does not index them, so SQLite drops them too and both
backends answer alike); inside a quoted phrase they stay.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from paperwire.errors import InvalidParameter
from paperwire.models import KeywordQuery

MAX_QUERY_CHARS = 10_000
MAX_WORDS = 64  # words beyond these are ignored: ranking by 64 words is plenty
MAX_WORD_CHARS = 64  # no real word is longer; longer runs are ignored
# Each exclusion is another phrase every candidate paper is checked against; past this
# many the query is refused rather than silently cut, since a dropped exclusion would
# let through papers the user asked to leave out.
MAX_EXCLUSIONS = 20

_WORD = re.compile(r"[^\W_]+")
_PART = re.compile(r'(?P<sign>[-+]?)(?:"(?P<phrase>[^"]*)(?:"|$)|(?P<chunk>[^\s"]+))')
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_OPERATORS = {"AND", "OR", "&&", "||"}
_ALTERNATIVE = {"OR", "||"}

STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be been before being
    between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me
    more most my no nor not of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those
    through to too under until up upon very via was we were what when where which while
    who whom why will with would you your using use based towards toward""".split()
)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    keyword: KeywordQuery
    text: str  # the query as words for an embedder: operators and exclusions removed

    @property
    def empty(self) -> bool:
        return self.keyword.empty


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text) if len(w) <= MAX_WORD_CHARS]


def _negligible(words: list[str]) -> bool:
    """An excluded part made only of common words and single characters: dropped."""
    return all(w in STOPWORDS or len(w) < 2 for w in words)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    # Control and unassigned characters are dropped; NUL would end a C string early.
    return "".join(
        ch if unicodedata.category(ch)[0] != "C" else " " for ch in text
    )


def parse_query(raw: str) -> ParsedQuery:
    """Raises ``InvalidParameter`` (for ``q``) only for an empty or over-long query, or
    one with too many exclusions; any other text parses (possibly to a query that
    matches nothing)."""
    if len(raw) > MAX_QUERY_CHARS:
        raise InvalidParameter("q", f"query is too long: {len(raw)} characters (at most {MAX_QUERY_CHARS})")
    if not raw.strip():
        raise InvalidParameter("q", "query is empty")
    text = _clean(raw)
    any_terms: list[str] = []
    prefixes: list[str] = []
    required: list[tuple[str, ...]] = []
    excluded: list[tuple[str, ...]] = []
    semantic: list[str] = []
    groups: list[list[str]] = []  # ranked words and prefixes ("word*"), OR-joined
    budget = MAX_WORDS
    negate_next = False
    join_next = False  # the previous part was OR: this one joins the last group
    for match in _PART.finditer(text):
        sign, phrase, chunk = match["sign"], match["phrase"], match["chunk"]
        if chunk is not None and not sign and chunk in _OPERATORS:
            join_next = chunk in _ALTERNATIVE and bool(groups)
            continue
        join, join_next = join_next, False
        if chunk == "NOT" and not sign:
            negate_next = True
            continue
        words = _words(phrase if phrase is not None else chunk or "")[:budget]
        if not words:
            continue
        budget -= len(words)
        negative = sign == "-" or negate_next
        negate_next = False
        if negative:
            if not _negligible(words):
                excluded.append(tuple(words))
            continue
        semantic.extend(_WORD.findall(phrase if phrase is not None else chunk or ""))
        if phrase is not None or sign == "+":
            required.append(tuple(words))
        elif chunk is not None and chunk.endswith("*") and len(words[-1]) >= 2:
            any_terms.extend(words[:-1])
            prefixes.append(words[-1])
            _group(groups, [*words[:-1], words[-1] + "*"], join=join)
        else:
            any_terms.extend(words)
            _group(groups, words, join=join)
        if budget <= 0:
            break
    exclusions = tuple(dict.fromkeys(excluded))
    if len(exclusions) > MAX_EXCLUSIONS:
        raise InvalidParameter(
            "q", f"too many excluded words: {len(exclusions)} (at most {MAX_EXCLUSIONS})"
        )
    keyword = KeywordQuery(
        any_terms=tuple(dict.fromkeys(t for t in any_terms if t not in STOPWORDS)),
        required=tuple(dict.fromkeys(required)),
        excluded=exclusions,
        prefixes=tuple(dict.fromkeys(prefixes)),
        alternatives=tuple(dict.fromkeys(tuple(dict.fromkeys(g)) for g in groups if g)),
    )
    return ParsedQuery(keyword=keyword, text=" ".join(semantic))


def _group(groups: list[list[str]], words: list[str], *, join: bool) -> None:
    """Common words are left out, as from the ranked words: a group of only common
    words would need a word PostgreSQL does not index."""
    kept = [w for w in words if w.endswith("*") or w not in STOPWORDS]
    if join and groups:
        groups[-1].extend(kept)
    else:
        groups.extend([w] for w in kept)


def require_all(parsed: ParsedQuery) -> ParsedQuery:
    """The same query with every ranked word required (``OR`` groups: one of them)."""
    return replace(parsed, keyword=replace(parsed.keyword, match_all=True))
