"""``create_app(settings)``: the one place that wires backends into the web app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from paperwire import __version__
from paperwire.config import Settings
from paperwire.search.embed import Embedder
from paperwire.store import Store, open_store


def create_app(
    settings: Settings, *, store: Store | None = None, embedder: Embedder | None = None
) -> FastAPI:
    """Build the ASGI app. Pass ``store`` to share one with a test; otherwise it is
    opened from ``settings.database_url`` and closed on shutdown. Pass ``embedder`` (a
    test's ``HashEmbedder``); otherwise one is built from settings on the first search."""
    from paperwire.web import (
        account,
        api,
        api_docs,
        browse_api,
        caching,
        comments_api,
        community_api,
        deps,
        digests,
        errors,
        feeds,
        hf,
        library_api,
        library_pages,
        moderation,
        pages,
        search_api,
        search_page,
        static_files,
        status,
        subscription_pages,
        submissions_api,
        subscriptions_api,
    )
    from paperwire.web.body_limit import BodyLimitMiddleware
    from paperwire.web.hosts import TrustedHostMiddleware
    from paperwire.web.routing import RouteTable
    from paperwire.web.security import SecurityHeadersMiddleware

    owned = store is None
    the_store = store if store is not None else open_store(
        settings.database_url, query_timeout=settings.query_timeout  # reads only
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            the_store.close()

    app = FastAPI(
        title="paperwire",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,  # web/api_docs.py serves Swagger UI from our own files
        redoc_url=None,
        openapi_url="/api/openapi.json",
        # Before any route's own parameters: NUL and invalid UTF-8 are a 400 everywhere.
        dependencies=[Depends(deps.check_request_text)],
    )
    app.state.settings = settings
    app.state.store = the_store
    app.state.embedder = embedder
    errors.install(app)
    # Innermost: 304s and kept pages for the routes declared cached, before routing.
    caching.install(app, max_age=settings.cache_max_age, max_pages=settings.page_cache_pages)
    # Before the caches: a forged Host reaches no cached answer and no route.
    app.add_middleware(TrustedHostMiddleware, allowed=settings.trusted_hosts())
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)  # 413
    app.add_middleware(SecurityHeadersMiddleware)  # outermost: 304s get the headers too
    # The route table. Order matters: specific routes before the catch-all
    # /api/papers/{id:path} and /papers/{id:path} (old-style arXiv ids contain a slash).
    RouteTable(
        [
            status.router,
            account.router,  # /api/auth/…, /api/me…
            account.pages_router,  # /sign-in, /auth/sign-in, /account…
            api_docs.router,
            search_api.router,
            subscriptions_api.router,  # /api/subscriptions, /api/me/subscription
            library_api.router,  # /api/me/library…
            comments_api.router,  # /api/papers/{id}/comments before /api/papers/{id}
            community_api.router,  # /api/papers/{id}/vote before /api/papers/{id}
            submissions_api.router,  # /api/submissions…
            browse_api.router,
            hf.router,
            feeds.router,
            digests.router,  # /digests/…, /feeds/digests/…
            static_files.router,
            api.router,
            hf.markdown_router,  # /papers/{id}.md before the page route
            search_page.router,
            comments_api.form_router,  # the paper page's comment forms
            community_api.form_router,  # the cards' vote forms
            subscription_pages.router,  # /subscribe, /subscriptions/…
            library_pages.router,  # /library and its forms
            moderation.router,  # /submit, /moderation, /moderation/log
            pages.router,
        ]
    ).include(app)
    return app


def app_from_env() -> FastAPI:
    """uvicorn factory (``--factory paperwire.app:app_from_env``): settings from the
    environment, built when the server starts, never at import."""
    return create_app(Settings())
