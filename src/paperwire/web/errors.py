"""Errors in the format the route declares (``routing.py``: JSON ``{"error", "status"}``
for the JSON APIs, a friendly page elsewhere); never a bare 500 traceback. Bad input
is one exception, ``InvalidParameter``, answered here once: a 400 naming the parameter.
The community's refusals (``REFUSALS``: not found, not yours, already decided, arXiv
not answering) are answered here once too, by the status each means, on every route
that lets them through."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperwire.community.comments import CommentNotFound, NotYourComment
from paperwire.community.ratelimit import RateLimited
from paperwire.community.submissions import (
    ArxivUnavailable,
    DecisionConflict,
    SubmissionNotFound,
    UnknownPaper,
)
from paperwire.community.votes import PaperNotFound
from paperwire.errors import InvalidParameter
from paperwire.store import QueryTimeout
from paperwire.web.routing import ErrorFormat
from paperwire.web.security import security_headers

log = logging.getLogger("paperwire.web")
RETRY_AFTER_SECONDS = 5  # a 503 for a query past the deadline (PAPERWIRE_QUERY_TIMEOUT)

# A domain refusal and the status it is answered with, its message as the error.
REFUSALS: dict[type[Exception], int] = {
    CommentNotFound: 404,
    SubmissionNotFound: 404,
    UnknownPaper: 404,
    PaperNotFound: 404,
    NotYourComment: 403,
    DecisionConflict: 409,
    ArxivUnavailable: 502,
}


def wants_json(request: Request) -> bool:
    table = getattr(request.app.state, "route_table", None)
    return table is not None and table.error_format(request.scope) is ErrorFormat.JSON


def _render(request: Request, status: int, message: str) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    from paperwire.web.templating import templates_for

    return templates_for(request.app).TemplateResponse(
        request, "error.html", {"status": status, "message": message}, status_code=status
    )


def error_response(request: Request, status: int, message: str) -> Response:
    """The usual error answer, for middleware that answers before any route runs."""
    return _render(request, status, message)


def _answer_with(status: int) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def refused(request: Request, exc: Exception) -> Response:
        return _render(request, status, str(exc))

    return refused


def install(app: FastAPI) -> None:
    from paperwire.search.service import SearchUnavailable

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _render(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            parts.append(f"{loc}: {err.get('msg')}")
        return _render(request, 400, "; ".join(parts) or "bad request")

    @app.exception_handler(QueryTimeout)
    async def query_timeout(request: Request, exc: QueryTimeout) -> Response:
        # The statement was stopped and its worker is free again: a busy database, or a
        # query heavier than the deadline allows, is worth a later retry, not a 500.
        log.warning("query past the deadline on %s: %s", request.url.path, exc)
        response = _render(request, 503, "The database is busy; please try again shortly.")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @app.exception_handler(RateLimited)
    async def rate_limited(request: Request, exc: RateLimited) -> Response:
        response = _render(request, 429, exc.message)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(InvalidParameter)
    async def invalid_parameter(request: Request, exc: InvalidParameter) -> Response:
        return _render(request, 400, str(exc))

    for refusal, status in REFUSALS.items():
        app.add_exception_handler(refusal, _answer_with(status))

    @app.exception_handler(SearchUnavailable)
    async def search_unavailable(request: Request, exc: SearchUnavailable) -> Response:
        return _render(request, 503, str(exc))

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> Response:
        # Runs in Starlette's outermost middleware, outside SecurityHeadersMiddleware,
        # so the security headers are added here too.
        log.exception("unhandled error on %s", request.url.path)
        headers = dict(security_headers(request.url.path))
        if wants_json(request):
            return JSONResponse(
                {"error": "internal error", "status": 500}, status_code=500, headers=headers
            )
        try:
            response = _render(request, 500, "The error has been logged. Please try again later.")
        except Exception:  # the template itself failing must not hide the first error
            log.exception("error page failed to render")
            response = HTMLResponse("<h1>Something went wrong</h1>", status_code=500)
        response.headers.update(headers)
        return response
