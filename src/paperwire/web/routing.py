"""How each route is answered around its function, declared once, where the route is.

- **Error format.** A router module makes its router with ``json_router()`` (errors as
  JSON ``{"error", "status"}``) or ``page_router()`` (an error page). A request no route
  matches answers in JSON under the prefix of a JSON router (``/api``, ``/hf/api``), so
  ``/api/nonsense`` is a JSON 404 and ``/nonsense`` a page.
- **Cache policy.** ``@cached(Cache.DATA)`` on a route function: its answer is a function
  of the stored data (plus URL, cookies and the UTC day), so it gets ETag/Last-Modified
  and a 304 before the function runs (``caching.py``). ``@cached(Cache.PAGE)``: the same,
  and its rendered page is kept per data version and served from memory
  (``page_cache.py``). Routes without it are answered afresh every time.

Middleware that acts before routing asks the ``RouteTable`` — the app's routers, in the
order they are tried — which route a request is for: the response cache
(``caching.ResponseCache``), so a 304 or a kept page costs neither routing nor a
dependency nor a threadpool hop, and the answers given before any route runs (a bad
``Host``, a body over the cap). The table remembers its answer per method and path,
which is all a route match depends on, so a busy page is matched once per worker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, ClassVar, TypeVar

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match
from starlette.types import Scope


class Cache(Enum):
    NONE = "none"  # answered afresh every time
    DATA = "data"  # validators from the data version; 304 before the route runs
    PAGE = "page"  # DATA, and the rendered page kept per data version


# Files whose URL names their content (a hash or a pinned version) never change.
CACHE_FOREVER = "public, max-age=31536000, immutable"
# An answer that is the asker's own (an account, a library, a moderation page): kept by
# no cache, shared or private.
NO_STORE = {"Cache-Control": "no-store"}


class ErrorFormat(Enum):
    JSON = "json"
    PAGE = "page"


Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_CACHE_ATTRIBUTE = "paperwire_cache"


def cached(policy: Cache) -> Callable[[Endpoint], Endpoint]:
    """Declare a route's cache policy; put it below the route decorator."""

    def declare(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _CACHE_ATTRIBUTE, policy)
        return endpoint

    return declare


class PolicyRoute(APIRoute):
    """A route that answers errors with a page, with the cache policy its function
    declares."""

    errors: ClassVar[ErrorFormat] = ErrorFormat.PAGE

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.cache: Cache = getattr(endpoint, _CACHE_ATTRIBUTE, Cache.NONE)


class JsonRoute(PolicyRoute):
    """A route of the JSON APIs: errors as ``{"error", "status"}``."""

    errors = ErrorFormat.JSON


def json_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=JsonRoute, **kwargs)


def page_router(**kwargs: Any) -> APIRouter:
    return APIRouter(route_class=PolicyRoute, **kwargs)


class RouteTable:
    """The app's routers in the order they are tried (the first route to match wins:
    specific paths before the catch-alls such as ``/papers/{id:path}``)."""

    # Distinct (method, path) pairs remembered; past it the memory starts afresh.
    REMEMBERED = 10_000

    def __init__(self, routers: Sequence[APIRouter]) -> None:
        self.routers = tuple(routers)
        self._chosen: dict[tuple[str, str, str], BaseRoute | None] = {}
        self.json_prefixes = tuple(
            router.prefix
            for router in self.routers
            if issubclass(router.route_class, JsonRoute) and router.prefix
        )

    def include(self, app: FastAPI) -> None:
        for router in self.routers:
            app.include_router(router)
        app.state.route_table = self

    def route_for(self, scope: Scope) -> BaseRoute | None:
        """The route routing chose, or, before routing, the one it will choose: the first
        full match, else the first that matches the path but not the method (a 405)."""
        chosen = scope.get("route")
        if isinstance(chosen, PolicyRoute):
            return chosen
        key = (scope.get("method", ""), scope.get("root_path", ""), scope.get("path", ""))
        if key in self._chosen:
            return self._chosen[key]
        route = self._match({**scope, "type": "http"})
        if len(self._chosen) >= self.REMEMBERED:
            self._chosen.clear()
        self._chosen[key] = route
        return route

    def _match(self, scope: Scope) -> BaseRoute | None:
        partial = None
        for router in self.routers:
            for route in router.routes:
                match, _ = route.matches(scope)
                if match is Match.FULL:
                    return route
                if match is Match.PARTIAL and partial is None:
                    partial = route
        return partial

    def cache_policy(self, scope: Scope) -> Cache:
        route = self.route_for(scope)
        return route.cache if isinstance(route, PolicyRoute) else Cache.NONE

    def error_format(self, scope: Scope) -> ErrorFormat:
        route = self.route_for(scope)
        if isinstance(route, PolicyRoute):
            return route.errors
        path: str = scope.get("path", "")
        if any(path == prefix or path.startswith(prefix + "/") for prefix in self.json_prefixes):
            return ErrorFormat.JSON
        return ErrorFormat.PAGE
