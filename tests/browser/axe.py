"""axe-core (the npm package `make test` installs from package-lock.json) run inside a
page: the WCAG 2 A and AA rules, the same for every page the browser suite checks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_missing() -> str | None:
    if not AXE_SCRIPT.exists():
        return f"{AXE_SCRIPT} is missing: run `make axe` (npm ci)"
    return None


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The violations axe finds in the page as it is now. The script is evaluated
    through the DevTools protocol, which the page's CSP does not govern, so the check
    runs on the page exactly as readers get it, CSP included."""
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_TAGS,
    )
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    """One line per violation and the first nodes it names, for an assertion message."""
    lines = []
    for v in violations:
        targets = [json.dumps(node["target"]) for node in v["nodes"][:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(targets)}")
    return "\n".join(lines)
