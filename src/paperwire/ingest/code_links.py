"""Find code-repository links in free text (abstracts, comments).

Minimal first version; issue 3 extends it (GitLab, Bitbucket, Hugging Face, project
pages, normalisation rules) with its own tests.
"""

from __future__ import annotations

import re

from paperwire.models import Link

_GITHUB = re.compile(r"(?:https?://)?(?:www\.)?github\.com/[\w.-]+/[\w.-]+", re.IGNORECASE)


def extract_code_links(text: str) -> list[Link]:
    out: list[Link] = []
    for m in _GITHUB.finditer(text or ""):
        url = m.group(0).rstrip(".,;:)")
        if url.endswith(".git"):
            url = url[:-4]
        url = re.sub(r"^(?:https?://)?(?:www\.)?", "https://", url)
        if all(link.url != url for link in out):
            out.append(Link("code", url))
    return out
