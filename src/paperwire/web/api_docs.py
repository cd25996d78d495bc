"""The interactive API documentation at ``/api/docs``: Swagger UI from our own files.

FastAPI's built-in page loads Swagger UI from a CDN and starts it with an inline
script, which would need a CSP allowing inline script and any https origin on one
page of the site. Here the page is plain HTML under the site's strict CSP: Swagger
UI's files come from the ``swagger-ui-bundle-v2`` package (its ``dist``), served
same-origin, and a static ``api-docs.js`` starts it with the schema URL read from a
data attribute (``templates/api_docs.html``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from paperwire.web.deps import TemplatesDep
from paperwire.web.routing import CACHE_FOREVER, json_router

DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/openapi.json"
# The only files of the package served, each with its type.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

router = json_router(include_in_schema=False)  # under /api: errors as JSON


@lru_cache(maxsize=1)
def swagger_ui_dir() -> Path:
    from swagger_ui_bundle import swagger_ui_path

    return Path(str(swagger_ui_path))


def asset_urls() -> dict[str, str]:
    # The package's folder is named after Swagger UI's version (swagger-ui-5.31.0).
    version = swagger_ui_dir().name.rsplit("-", 1)[-1]
    return {name: f"{DOCS_PATH}/assets/{name}?v={version}" for name in ASSETS}


@router.get(DOCS_PATH, response_class=HTMLResponse)
def api_docs(request: Request, templates: TemplatesDep) -> HTMLResponse:
    """Swagger UI over ``/api/openapi.json``."""
    return templates.TemplateResponse(
        request, "api_docs.html", {"assets": asset_urls(), "openapi_url": OPENAPI_PATH}
    )


@router.get(DOCS_PATH + "/assets/{name}")
def api_docs_asset(name: str) -> FileResponse:
    """One of Swagger UI's own files (JS, CSS, icon), cached for a year."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise HTTPException(404, f"no such file {name[:60]!r}")
    return FileResponse(
        swagger_ui_dir() / name, media_type=media_type, headers={"cache-control": CACHE_FOREVER}
    )
