"""The dependency rules of the design ("Dependency rules" in DESIGN.md), read from
the source with `ast`: every import counts, also one inside a function or under
`TYPE_CHECKING`, since a late import is still a dependency.

Rules 4a (the store only through `paperwire.store`) and 4b (routers never import
each other) hold: the lists of allowed exceptions below are empty. Should a rule
ever have to be broken, the list names each place exactly, so a new break fails at
once, and a listed import that no longer exists fails too."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "paperwire"

# Domain packages: they hold what the program does and never reach up into the
# web layer or the command line, which call them.
DOMAIN = ("ingest", "search", "community", "browse", "digest", "recommend", "signals")

# Imports of modules inside the store from outside it (rule 4a): none. What callers
# need is exported by `paperwire.store` (the interface and its value types).
STORE_INTERNALS_ALLOWED: frozenset[tuple[str, str]] = frozenset()

# Web routers importing other routers (rule 4b): none. What routers share lives in
# modules of its own (web/deps.py, web/params.py, web/routing.py, …).
ROUTER_IMPORTS_ALLOWED: frozenset[tuple[str, str]] = frozenset()


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / PACKAGE).rglob("*.py"))}


@cache
def tree(module: str) -> ast.Module:
    path = modules()[module]
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def is_package(module: str) -> bool:
    return modules()[module].name == "__init__.py"


def resolve(module: str, node: ast.ImportFrom) -> str:
    """The absolute module an `ImportFrom` names, relative imports included."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package(module):
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(module: str) -> set[str]:
    """The project modules `module` imports, wherever in the file the import is.
    `from a.b import c` counts as importing `a.b.c` when that is a module, else `a.b`."""
    known = modules()
    found: set[str] = set()
    for node in ast.walk(tree(module)):
        names: Iterable[str]
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = resolve(module, node)
            names = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            if name == PACKAGE or name.startswith(PACKAGE + "."):
                found.add(name)
    found.discard(module)
    return found


def in_package(module: str, package: str) -> bool:
    full = f"{PACKAGE}.{package}"
    return module == full or module.startswith(full + ".")


# What makes a router: FastAPI's class, or web/routing.py's makers of the two kinds.
ROUTER_MAKERS = frozenset({"APIRouter", "json_router", "page_router"})


def defines_router(module: str) -> bool:
    """A router: a module that binds a module-level name to a call of a router maker."""
    for node in tree(module).body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in ROUTER_MAKERS
        ):
            return True
    return False


def store_internal_imports() -> set[tuple[str, str]]:
    return {
        (module, imported)
        for module in modules()
        if not in_package(module, "store")
        for imported in imported_modules(module)
        if imported.startswith(f"{PACKAGE}.store.")
    }


def router_imports() -> set[tuple[str, str]]:
    routers = {m for m in modules() if in_package(m, "web") and defines_router(m)}
    return {
        (module, imported)
        for module in routers
        for imported in imported_modules(module)
        if imported in routers
    }


def test_the_scan_sees_the_imports() -> None:
    # Guards the rules below against passing on an empty or blind scan.
    assert f"{PACKAGE}.store.sqlite" in modules()
    assert f"{PACKAGE}.models" in imported_modules(f"{PACKAGE}.store.codec")
    assert f"{PACKAGE}.store" in imported_modules(f"{PACKAGE}.search.keyword")
    # an import inside a function body counts
    assert f"{PACKAGE}.search.semantic" in imported_modules(f"{PACKAGE}.search.service")
    routers = {m for m in modules() if in_package(m, "web") and defines_router(m)}
    assert {f"{PACKAGE}.web.api", f"{PACKAGE}.web.pages", f"{PACKAGE}.web.hf"} <= routers
    assert f"{PACKAGE}.web.deps" not in routers and f"{PACKAGE}.web.routing" not in routers


@pytest.mark.parametrize(
    "module", [f"{PACKAGE}.models", f"{PACKAGE}.arxiv_ids", f"{PACKAGE}.errors"]
)
def test_leaf_modules_import_nothing_from_the_project(module: str) -> None:
    assert imported_modules(module) == set()


def test_store_imports_only_models() -> None:
    allowed = {f"{PACKAGE}.models"}
    broken = {
        (module, imported)
        for module in modules()
        if in_package(module, "store")
        for imported in imported_modules(module)
        if imported not in allowed and not in_package(imported, "store")
    }
    assert broken == set()


def test_domain_packages_never_import_web_or_cli() -> None:
    broken = {
        (module, imported)
        for module in modules()
        if any(in_package(module, package) for package in DOMAIN)
        for imported in imported_modules(module)
        if in_package(imported, "web") or in_package(imported, "cli")
    }
    assert broken == set()


def test_store_is_imported_only_as_paperwire_store() -> None:
    new = store_internal_imports() - STORE_INTERNALS_ALLOWED
    assert new == set(), "import these through paperwire.store instead"


def test_web_routers_never_import_each_other() -> None:
    new = router_imports() - ROUTER_IMPORTS_ALLOWED
    assert new == set(), "move what the routers share into a module of its own"


def test_allowed_violations_still_exist() -> None:
    # Once an allowed import is gone, drop it from its list so it cannot come back.
    gone = (STORE_INTERNALS_ALLOWED - store_internal_imports()) | (
        ROUTER_IMPORTS_ALLOWED - router_imports()
    )
    assert gone == set()
