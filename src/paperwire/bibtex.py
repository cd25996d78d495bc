"""BibTeX both ways: a paper's entry, as shown (and copied) on its page and exported
from a library, and entries read back from text a reader sends (a library import).

Writing: plain text in a ``<pre>``: the template escapes it, so a hostile title stays
text. Each value is cleaned (:func:`clean_value`) so the entry parses in BibTeX as
exactly the fields written here, and reads the same in LaTeX.

Reading (:func:`parse_bibtex`): the text is untrusted, so the reader is a loop over the
text, never a recursion, that jumps between the characters that matter with regular
expressions (linear in the text). An entry it cannot read (braces that never close, a
field without ``=``) is reported with its line and key and skipped: reading resumes at
the next line that starts an entry, so one broken entry costs no other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
    year = (
        paper.submitted.year
        if paper.submitted
        else (paper.announced.year if paper.announced else "")
    )
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


# ---------------------------------------------------------------- reading

# An entry's start: ``@type{`` or ``@type(``.
_ENTRY = re.compile(r"@[ \t]*([A-Za-z][A-Za-z0-9_-]{0,40})[ \t\r\n]*([{(])")
# A line that starts an entry: where reading resumes after a broken one, and where a
# value whose braces never close is taken to end.
_LINE_ENTRY = re.compile(r"\n[ \t]*@[ \t]*[A-Za-z][A-Za-z0-9_-]{0,40}[ \t\r\n]*[{(]")
_SPACE = re.compile(r"[ \t\r\n]*")
_NAME = re.compile(r"[A-Za-z0-9_:+./-]{1,100}")
_NUMBER = re.compile(r"[0-9]+")
_BRACED = re.compile(r"[{}\n]")
_QUOTED = re.compile(r'[{}"\n]')
_PARENS = re.compile(r"[()\n]")
# A citation key: anything but white space and the characters that delimit entries.
_KEY = re.compile(r"[^,\s{}()=\"#%']{0,1000}")
MONTHS = {
    m: str(i)
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
KEY_MAX = 200  # characters of a citation key kept (longer ones are cut when shown)


class BibtexError(ValueError):
    """The text as a whole is refused (more entries than allowed)."""


@dataclass(frozen=True, slots=True)
class BibEntry:
    """One entry as read: its type and field names in lower case, each value with its
    outer delimiters removed and ``#`` concatenations and ``@string`` macros resolved."""

    kind: str
    key: str
    fields: dict[str, str]
    line: int


@dataclass(frozen=True, slots=True)
class BibProblem:
    """An entry that could not be read: where it starts, its key when known, why."""

    line: int
    key: str
    reason: str


@dataclass(slots=True)
class BibFile:
    entries: list[BibEntry] = field(default_factory=list)
    problems: list[BibProblem] = field(default_factory=list)


class _Broken(Exception):
    def __init__(self, reason: str, at: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.at = at


class _Reader:
    """One pass over the text; ``pos`` only moves forward."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.macros = dict(MONTHS)
        self._line_pos = 0
        self._line = 1

    def line_of(self, pos: int) -> int:
        # Entries come in text order, so counting on from the last one stays linear.
        if pos >= self._line_pos:
            self._line += self.text.count("\n", self._line_pos, pos)
            self._line_pos = pos
            return self._line
        return self.text.count("\n", 0, pos) + 1

    def skip_space(self) -> None:
        m = _SPACE.match(self.text, self.pos)
        self.pos = m.end() if m else self.pos

    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def expect(self, chars: str, what: str) -> str:
        self.skip_space()
        ch = self.peek()
        if not ch or ch not in chars:
            found = repr(ch) if ch else "the end of the text"
            raise _Broken(f"expected {what}, found {found}", self.pos)
        self.pos += 1
        return ch

    def name(self, what: str) -> str:
        self.skip_space()
        m = _NAME.match(self.text, self.pos)
        if not m:
            raise _Broken(f"expected {what}", self.pos)
        self.pos = m.end()
        return m.group().lower()

    def delimited(self, stops: re.Pattern[str], quote: bool) -> str:
        """The inside of ``{…}`` or ``"…"``, the opener already read."""
        text, start, depth = self.text, self.pos, 0
        pos = start
        while True:
            m = stops.search(text, pos)
            if m is None:
                raise _Broken("a value's braces or quotes are never closed", len(text))
            ch, pos = m.group(), m.end()
            if ch == "\n":
                if _LINE_ENTRY.match(text, m.start()):
                    raise _Broken(
                        "a value's braces or quotes are not closed before the next entry", m.start()
                    )
            elif ch == "{":
                depth += 1
            elif ch == "}":
                if depth == 0:
                    if quote:
                        raise _Broken("a closing brace without its opening one", m.start())
                    self.pos = pos
                    return text[start : m.start()]
                depth -= 1
            elif depth == 0:  # the closing quote
                self.pos = pos
                return text[start : m.start()]

    def value(self) -> str:
        """Parts joined by ``#``: braced or quoted text, a number, or a macro's name."""
        parts: list[str] = []
        while True:
            self.skip_space()
            ch = self.peek()
            if ch == "{":
                self.pos += 1
                parts.append(self.delimited(_BRACED, quote=False))
            elif ch == '"':
                self.pos += 1
                parts.append(self.delimited(_QUOTED, quote=True))
            elif (m := _NUMBER.match(self.text, self.pos)) is not None:
                self.pos = m.end()
                parts.append(m.group())
            else:
                macro = self.name("a value")
                parts.append(self.macros.get(macro, macro))
            self.skip_space()
            if self.peek() != "#":
                return "".join(parts)
            self.pos += 1

    def key(self, closer: str) -> str:
        self.skip_space()
        m = _KEY.match(self.text, self.pos)
        self.pos = m.end() if m else self.pos
        key = m.group() if m else ""
        self.skip_space()
        ch = self.peek()
        if ch == ",":
            self.pos += 1
        elif ch != closer:  # a closer right after the key: an entry without fields
            raise _Broken("expected a citation key and a comma", self.pos)
        return key[:KEY_MAX]

    def fields(self, closer: str) -> dict[str, str]:
        found: dict[str, str] = {}
        while True:
            self.skip_space()
            ch = self.peek()
            if ch == closer:
                self.pos += 1
                return found
            if ch == ",":
                self.pos += 1
                continue
            if not ch:
                raise _Broken("the entry is never closed", self.pos)
            if ch == "@":
                raise _Broken("the entry is not closed before the next one", self.pos)
            name = self.name("a field name or the end of the entry")
            self.expect("=", f"'=' after the field name {name!r}")
            value = self.value()
            found.setdefault(name, value)  # BibTeX keeps the first of a repeated field

    def skip_block(self, closer: str) -> None:
        """An ``@comment``: its balanced text is skipped."""
        if closer == "}":
            self.delimited(_BRACED, quote=False)
            return
        text, depth = self.text, 0
        while True:
            m = _PARENS.search(text, self.pos)
            if m is None:
                raise _Broken("the entry is never closed", len(text))
            self.pos = m.end()
            if m.group() == "\n":
                if _LINE_ENTRY.match(text, m.start()):
                    raise _Broken("the entry is not closed before the next one", m.start())
            elif m.group() == "(":
                depth += 1
            elif depth == 0:
                return
            else:
                depth -= 1


def parse_bibtex(text: str, *, max_entries: int) -> BibFile:
    """Every entry of ``text`` and every entry that could not be read, in text order.
    ``@string`` macros are resolved, ``@comment`` and ``@preamble`` skipped, text
    between entries ignored (as BibTeX does). More than ``max_entries`` entries (read
    or not) is a ``BibtexError``."""
    reader = _Reader(text)
    result = BibFile()
    while True:
        m = _ENTRY.search(text, reader.pos)
        if m is None:
            return result
        kind, closer = m[1].lower(), ("}" if m[2] == "{" else ")")
        line = reader.line_of(m.start())
        reader.pos = m.end()
        key = ""
        try:
            if kind == "comment":
                reader.skip_block(closer)
                continue
            if kind == "preamble":
                reader.value()
                reader.expect(closer, "the end of the @preamble")
                continue
            if kind == "string":
                name = reader.name("a macro name")
                reader.expect("=", "'=' after the macro name")
                reader.macros[name] = reader.value()
                reader.skip_space()
                reader.expect(closer, "the end of the @string")
                continue
            if len(result.entries) + len(result.problems) >= max_entries:
                raise BibtexError(
                    f"more than {max_entries:,} entries: send at most {max_entries:,} at a time"
                )
            key = reader.key(closer)
            result.entries.append(BibEntry(kind, key, reader.fields(closer), line))
        except _Broken as broken:
            if kind not in ("comment", "preamble", "string"):
                result.problems.append(BibProblem(line, key, broken.reason))
            # Resume at the next line that starts an entry: from the start of the line
            # where reading broke, since that line may be the next entry's.
            at = max(broken.at, m.end())
            line_start = text.rfind("\n", m.end(), at + 1)
            resume = _LINE_ENTRY.search(text, line_start if line_start != -1 else at)
            reader.pos = resume.start() + 1 if resume else len(text)


_BRACES = re.compile(r"[{}]")


def plain_value(value: str) -> str:
    """A value as plain text: braces dropped, white space collapsed (for matching ids,
    URLs and DOIs; TeX commands are left as they are)."""
    return " ".join(_BRACES.sub("", value).split())
