"""Find code-repository and project-page links in free text (abstracts, comments).

Authors write links every way: bare ``github.com/Foo/Bar.git``, inside LaTeX
``\\url{...}``, followed by a full stop or a closing bracket, as a deep link to a file
on a branch. One repository must become one link whatever the spelling, so "has code"
filters and deduplication work; so every match is normalised:

- only ``http``/``https`` (or a bare known host) is accepted; ``javascript:``, ``ftp:``
  and other schemes never become links;
- the scheme becomes ``https``, the host is lower-cased and loses ``www.``;
- trailing sentence punctuation, quotes and unbalanced closing brackets are dropped;
- repository hosts keep only the repository: ``/tree/main/src``, ``/blob/...``,
  ``.git``, queries and fragments are trimmed. GitHub, GitLab and Bitbucket treat
  owner and repository names case-insensitively, so those paths are lower-cased;
  Hugging Face ids and project-page paths keep their case.

Kinds: ``code`` for repositories (GitHub, GitLab, Bitbucket, Hugging Face models,
datasets and spaces, gists) and ``project`` for project pages (``*.github.io``,
``*.gitlab.io``, or any http(s) URL introduced by "project page", "website", …).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from paperwire.models import Link

# A URL-ish token: optional scheme, a dotted host, an optional path. The look-behind
# keeps us from starting inside a word, an e-mail address or another URL.
_URL = re.compile(
    r"(?<![\w@.\-/])"
    r"(?:(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*):(?://)?)?"
    r"(?P<host>(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24})"
    r"(?::[0-9]{1,5})?"
    r"(?P<path>[/?#][^\s<>\"'`{}|\\^]*)?"
)


_TRAILING = ".,;:!?*'\"”’»>"
_PAIRS = {")": "(", "]": "[", "}": "{"}

# Words that introduce a project page in the same sentence, just before the URL.
_PROJECT_CUE = re.compile(
    r"\b(?:project\s*(?:page|site|website|web\s*page|homepage)|web\s*site|web\s*page|home\s*page|"
    r"demo\s*page)s?\b",
    re.IGNORECASE,
)

_GITHUB_RESERVED = frozenset(
    "about apps collections contact customer-stories enterprise events explore features "
    "login join marketplace new notifications orgs organizations pricing pulls issues "
    "search security settings site sponsors team topics trending users readme "
    "codespaces education resources solutions".split()
)
_HF_RESERVED = frozenset(
    "docs blog papers learn join login pricing collections organizations settings tasks "
    "courses posts chat enterprise api search new welcome terms-of-service privacy".split()
)
_GITLAB_DEEP = frozenset(
    "tree blob raw commits commit issues merge_requests wikis wiki tags branches releases "
    "pipelines jobs archive".split()
)
_HF_KINDS = frozenset({"datasets", "spaces"})
_HF_DEEP = frozenset({"tree", "blob", "resolve", "discussions", "commits", "commit", "raw", "edit"})
# Hosts that are never project pages of a paper.
_NOT_PROJECT = (
    "arxiv.org", "doi.org", "dx.doi.org", "creativecommons.org", "orcid.org",
    "pubmed.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov", "twitter.com", "x.com",
    "youtube.com", "youtu.be", "linkedin.com", "facebook.com", "google.com",
    "scholar.google.com", "docs.google.com", "drive.google.com", "zenodo.org",
    "openreview.net", "aclanthology.org", "ieeexplore.ieee.org", "dl.acm.org",
    "springer.com", "link.springer.com", "sciencedirect.com", "wikipedia.org",
    "en.wikipedia.org", "paperswithcode.com", "colab.research.google.com",
)


def _clean_tail(token: str) -> str:
    """Drop sentence punctuation and closing brackets the URL did not open."""
    while token:
        last = token[-1]
        if last in _TRAILING:
            token = token[:-1]
        elif last in _PAIRS and token.count(last) > token.count(_PAIRS[last]):
            token = token[:-1]
        else:
            break
    return token


def _segments(path: str) -> list[str]:
    path = path.split("#", 1)[0].split("?", 1)[0]
    return [s for s in path.split("/") if s]


def _strip_git(name: str) -> str:
    return name[:-4] if name.lower().endswith(".git") else name


def _github(host: str, path: str) -> Link | None:
    parts = _segments(path)
    if host == "gist.github.com":
        return Link("code", "https://gist.github.com/" + "/".join(parts[:2]).lower()) if len(parts) >= 2 else None
    if len(parts) < 2 or parts[0].lower() in _GITHUB_RESERVED:
        return None
    repo = _strip_git(parts[1])
    if not repo or repo in (".", ".."):
        return None
    return Link("code", f"https://github.com/{parts[0]}/{repo}".lower())


def _gitlab(path: str) -> Link | None:
    parts = _segments(path)
    if "-" in parts:
        parts = parts[: parts.index("-")]
    for i, part in enumerate(parts):
        if i >= 2 and part.lower() in _GITLAB_DEEP:
            parts = parts[:i]
            break
    if len(parts) < 2 or parts[0].lower() in ("explore", "help", "users", "dashboard", "groups"):
        return None
    parts[-1] = _strip_git(parts[-1])
    return Link("code", "https://gitlab.com/" + "/".join(parts).lower())


def _bitbucket(path: str) -> Link | None:
    parts = _segments(path)
    if len(parts) < 2 or parts[0].lower() in ("product", "blog", "account", "repo", "dashboard"):
        return None
    return Link("code", f"https://bitbucket.org/{parts[0]}/{_strip_git(parts[1])}".lower())


def _huggingface(path: str) -> Link | None:
    parts = _segments(path)
    if not parts or parts[0].lower() in _HF_RESERVED:
        return None
    prefix = ""
    if parts[0].lower() in _HF_KINDS or parts[0].lower() == "models":
        prefix = "" if parts[0].lower() == "models" else parts[0].lower() + "/"
        parts = parts[1:]
    if not parts:
        return None  # a listing page, not a repository
    if len(parts) >= 2 and parts[1] not in _HF_DEEP:
        ident = f"{parts[0]}/{parts[1]}"
    elif prefix == "spaces/":
        return None  # a space always has an owner
    else:
        ident = parts[0]  # legacy id without an owner, e.g. bert-base-uncased, squad
    return Link("code", f"https://huggingface.co/{prefix}{ident}")


def _project_url(host: str, path: str) -> str:
    """Project pages keep their path (case included) without query, fragment, index.html."""
    clean = path.split("#", 1)[0].split("?", 1)[0]
    if clean.endswith(("/index.html", "/index.htm")):
        clean = clean[: clean.rindex("/") + 1]
    clean = clean.rstrip("/")
    return f"https://{host}{clean}"


def _introduced_as_project(text: str, start: int) -> bool:
    """True when "project page", "website", … comes shortly before, in the same sentence."""
    before = text[max(0, start - 60) : start]
    for stop in (". ", ".\n", "; "):
        cut = before.rfind(stop)
        if cut != -1:
            before = before[cut + len(stop) :]
    return bool(_PROJECT_CUE.search(before))


def _link_for(match: re.Match[str], text: str) -> Link | None:
    scheme = match["scheme"]
    if scheme is not None and scheme.lower() not in ("http", "https"):
        return None
    host = match["host"].lower()
    if host.startswith("www."):
        host = host[4:]
    path = _clean_tail(match["path"] or "")
    if host in ("github.com", "gist.github.com"):
        return _github(host, path)
    if host == "raw.githubusercontent.com":
        return _github("github.com", path)
    if host == "gitlab.com":
        return _gitlab(path)
    if host == "bitbucket.org":
        return _bitbucket(path)
    if host in ("huggingface.co", "hf.co"):
        return _huggingface(path)
    if host.endswith((".github.io", ".gitlab.io")):
        return Link("project", _project_url(host, path))
    if scheme is None:
        return None  # an unknown bare host: too easy to mistake for prose
    if any(host == h or host.endswith("." + h) for h in _NOT_PROJECT):
        return None
    if _introduced_as_project(text, match.start()):
        return Link("project", _project_url(host, path))
    return None


# Every link ``_link_for`` accepts has an http(s) scheme or one of these hosts (a
# ``*.github.io``/``*.gitlab.io`` page included), so its text holds one of these words.
_LINK_WORDS = ("http", "github", "gitlab", "bitbucket", "huggingface", "hf.co")


def _might_hold_links(text: str) -> bool:
    """A cheap test before the regular expression (bulk imports run this millions of
    times, and a slash alone, as in "and/or", is common in abstracts): every link we
    accept has a slash, a scheme's ``//`` or a repository path, and a scheme or a known
    host. The one form left out is a bare ``name.github.io`` with neither scheme nor
    path."""
    if "/" not in text:
        return False
    lowered = text.lower()
    return any(word in lowered for word in _LINK_WORDS)


def extract_links(text: str | None) -> list[Link]:
    """Code and project links in order of appearance, each once."""
    if not text or not _might_hold_links(text):
        return []
    out: list[Link] = []
    seen: set[str] = set()
    for start, stop in _dotted_stretches(text):
        for match in _URL.finditer(text, start, stop):
            link = _link_for(match, text)
            if link is not None and link.url not in seen:
                seen.add(link.url)
                out.append(link)
    return out


def _dotted_stretches(text: str) -> Iterator[tuple[int, int]]:
    """(start, stop) of the space-delimited stretches of ``text`` that hold a dot, in
    order. A match needs a dotted host and never spans whitespace, so scanning only
    these finds exactly what one scan of the whole text finds; that scan tries the
    pattern at every word and cost ~90 µs per abstract holding a link."""
    end = 0
    dot = text.find(".")
    while dot != -1:
        space = text.rfind(" ", end, dot)
        start = space + 1 if space != -1 else end
        stop = text.find(" ", dot)
        if stop == -1:
            stop = len(text)
        yield start, stop
        end = stop
        dot = text.find(".", stop)


def extract_code_links(text: str | None) -> list[Link]:
    """Repository links only (kind ``code``)."""
    return [link for link in extract_links(text) if link.kind == "code"]
