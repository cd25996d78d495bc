"""FastAPI dependencies (Annotated) every router may share, so routes stay thin and
routers never import each other: the app's store, settings, templates, embedder and
vector index (from ``app.state``, built by ``create_app``), and a paper by its id."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import unquote_to_bytes

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates

from paperwire.config import Settings
from paperwire.digest.mailer import Mailer, MailError
from paperwire.ingest.arxiv_api import ArxivApi
from paperwire.models import Paper
from paperwire.search.embed import Embedder
from paperwire.store import Store
from paperwire.web.params import resolve_paper_id

log = logging.getLogger("paperwire.web")

# A submission's wait for arXiv: a longer Retry-After is an error the reader sees at once.
ARXIV_MAX_WAIT = 10.0
_ARXIV_LOCK = threading.Lock()  # the app's arXiv client is built once


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


def get_mailer(request: Request) -> Mailer:
    """The app's one ``Mailer`` (SMTP from settings, else the log), built on first use;
    sign-in links and subscription mail all go through it."""
    mailer = getattr(request.app.state, "mailer", None)
    if mailer is None:
        from paperwire.digest.mailer import build_mailer

        mailer = request.app.state.mailer = build_mailer(request.app.state.settings)
    return mailer  # type: ignore[no-any-return]


def get_arxiv(request: Request) -> ArxivApi:
    """The arXiv API client submissions look unknown papers up with, built once per app
    (a test may put its own in ``app.state.arxiv``). Its fetcher takes one request at a
    time, so arXiv's spacing holds across requests; a reader's form waits for at most
    one retry and a short ``Retry-After``, not a harvest's patience."""
    state = request.app.state
    with _ARXIV_LOCK:
        api = getattr(state, "arxiv", None)
        if api is None:
            from paperwire.ingest.http import HttpxClient

            api = ArxivApi.from_settings(state.settings, HttpxClient())
            patience = api.fetcher.politeness
            api.fetcher.politeness = replace(
                patience,
                max_retries=min(patience.max_retries, 1),
                max_wait=min(patience.max_wait, ARXIV_MAX_WAIT),
            )
            state.arxiv = api
    return api  # type: ignore[no-any-return]


async def get_vectors(request: Request) -> Any:
    """The SQLite HNSW index handle, made once per app from settings (None: exact search,
    or PostgreSQL, whose index is in the database). Making it opens no file."""
    state = request.app.state
    if not hasattr(state, "vectors"):
        from paperwire.search.ann import open_vector_index

        state.vectors = open_vector_index(state.settings, state.store)
    return state.vectors


def paper_or_404(store: Store, paper_id: str) -> Paper:
    """The paper a URL names, any spelling of its id; a malformed id is a 400, an
    unknown one a 404."""
    key = resolve_paper_id(paper_id)
    paper = store.get_paper(key)
    if paper is None:
        raise HTTPException(404, f"no paper with id {key!r}")
    return paper


def utc_now() -> datetime:
    """The moment a request acts at: routes hand it to the domain functions, which take
    ``now`` so tests control time."""
    return datetime.now(UTC)


def client_ip(request: Request) -> str:
    """The client's address, for rate limits: the peer, or what a trusted proxy
    forwarded (``paperwire serve --forwarded-allow-ips``: uvicorn rewrites the peer)."""
    return request.client.host if request.client else "unknown"


@contextmanager
def mail_or_503(what: str) -> Iterator[None]:
    """Around a mail a reader asked for (a ``sign-in`` link, a subscription's
    ``confirmation``): a mail server that will not take it is logged and answered with a
    503, the same for every address."""
    try:
        yield
    except MailError as exc:
        log.warning("%s mail not sent: %s", what, exc)
        raise HTTPException(
            503, f"The {what} mail could not be sent just now; please try again in a few minutes."
        ) from exc


def _text_problem(raw: bytes) -> str | None:
    """Why percent-decoded ``raw`` cannot be a parameter, or None when it can."""
    try:
        text = unquote_to_bytes(raw).decode("utf-8")  # strict: no lone surrogates
    except UnicodeDecodeError:
        return "is not valid UTF-8"
    if "\x00" in text:
        return "contains a NUL character"
    return None


async def check_request_text(request: Request) -> None:
    """Every route's first dependency: the path and each query parameter must be valid
    UTF-8 without NUL. PostgreSQL cannot store or compare NUL in text, and the lenient
    decoding of the server would otherwise turn invalid bytes into U+FFFD silently;
    rejecting both here keeps them from every route and from the store."""
    scope = request.scope
    raw_path = scope.get("raw_path")
    if raw_path is None:  # servers that give only the decoded path
        raw_path = scope["path"].encode("utf-8", "surrogatepass").replace(b"%", b"%25")
    problem = _text_problem(raw_path)
    if problem:
        raise HTTPException(400, f"path: {problem}")
    for pair in scope.get("query_string", b"").split(b"&"):
        name, _, value = pair.partition(b"=")
        problem = _text_problem(name)
        if problem:
            raise HTTPException(400, f"query: a parameter name {problem}")
        problem = _text_problem(value)
        if problem:
            raise HTTPException(400, f"{unquote_to_bytes(name).decode()[:40]}: {problem}")


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
EmbedderDep = Annotated[Embedder, Depends(get_embedder)]
VectorsDep = Annotated[Any, Depends(get_vectors)]
MailerDep = Annotated[Mailer, Depends(get_mailer)]
ArxivDep = Annotated[ArxivApi, Depends(get_arxiv)]
