"""FastAPI dependencies (Annotated), so routes stay thin and testable."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from paperwire.config import Settings
from paperwire.search.embed import Embedder
from paperwire.store import Store


async def get_store(request: Request) -> Store:
    # async: a plain attribute read must not cost a threadpool hop per request
    return request.app.state.store  # type: ignore[no-any-return]


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_templates(request: Request) -> Jinja2Templates:
    from paperwire.web.templating import templates_for

    return templates_for(request.app)


def get_embedder(request: Request) -> Embedder:
    """The app's query embedder: the one passed to ``create_app``, else built once from
    settings (cheap: the model loads on the first query)."""
    embedder = getattr(request.app.state, "embedder", None)
    if embedder is None:
        from paperwire.search.embedders import build_embedder

        embedder = request.app.state.embedder = build_embedder(request.app.state.settings)
    return embedder  # type: ignore[no-any-return]


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
