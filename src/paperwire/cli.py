"""The ``paperwire`` command. Thin: every command calls a domain function."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar, cast

import typer

from paperwire.config import Settings
from paperwire.signals import GITHUB_MAX_DEFAULT, HUB_MAX_DEFAULT

if TYPE_CHECKING:
    from paperwire.ingest.jobs import SourceReport
    from paperwire.ingest.report import ImportReport
    from paperwire.progress import Advance
    from paperwire.store import Store

R = TypeVar("R", bound="SourceReport")

app = typer.Typer(help="paperwire: gather, search and deliver research papers.", no_args_is_help=True)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
ingest_app = typer.Typer(help="Import papers from sources.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
subscribers_app = typer.Typer(help="Digest subscribers: import, list, unsubscribe.", no_args_is_help=True)
app.add_typer(subscribers_app, name="subscribers")
users_app = typer.Typer(help="Accounts: add, promote, list, and personal API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")]


def settings() -> Settings:
    return Settings()


def _recorded_run(
    store: Store,
    source: str,
    work: Callable[[Advance], R],
    *,
    total: int | None,
    label: str,
    as_json: bool,
    unit: str = "items",
) -> R:
    """Run one source as a recorded run (``run_source``), with a progress bar on a
    terminal unless the output is JSON; ``work`` is given the bar's ``advance``."""
    from paperwire.ingest.jobs import run_source
    from paperwire.progress import progress_over

    with progress_over(total, label, enabled=not as_json, unit=unit) as advance:
        return run_source(store, source, lambda: work(advance))


def _open_store(upgrade: bool = True):  # type: ignore[no-untyped-def]
    from paperwire.store import open_store, upgrade_database

    s = settings()
    if upgrade:
        upgrade_database(s.database_url)
    return open_store(s.database_url)


def report_ingest(
    report: ImportReport, *, what: str, as_json: bool, errors_expected: bool = False
) -> None:
    """How every ingest ends: its notes and errors on stderr, one summary line (or
    ``report.as_dict()`` as JSON) on stdout, and exit code 1 unless ``report.ok``.
    ``errors_expected``: problems that are part of the input (the bundled sample
    includes recorded arXiv error feeds on purpose) are neither shown nor a failure."""
    summary = report.as_dict()
    for note in report.notes:
        typer.echo(f"note: {note}", err=True)
    if errors_expected:
        summary["errors"] = []
    for err in cast(list[str], summary["errors"]):
        typer.echo(f"error: {err}", err=True)
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        counts = report.counts
        typer.echo(
            f"{what}: added {counts.added}, updated {counts.updated}, "
            f"unchanged {counts.unchanged}, failed {counts.failed}"
        )
    if not (report.ok or errors_expected):
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema (idempotent)."""
    from paperwire.redact import redact_secrets
    from paperwire.store import upgrade_database

    url = settings().database_url
    upgrade_database(url)
    typer.echo(f"database is up to date: {redact_secrets(url)}")


@ingest_app.command("atom")
def ingest_atom(
    files: Annotated[list[Path], typer.Argument(help="Saved arXiv API responses (Atom XML or recorded JSON).")],
    as_json: JsonOpt = False,
) -> None:
    """Import saved arXiv API Atom responses; a bad file is reported, the rest imported."""
    from paperwire.ingest.files import import_atom_files

    store = _open_store()
    try:
        report = _recorded_run(
            store, "atom", lambda advance: import_atom_files(store, files, on_progress=advance),
            total=len(files), label="atom files", as_json=as_json,
        )
    finally:
        store.close()
    report_ingest(report, what="atom", as_json=as_json)


@ingest_app.command("sample")
def ingest_sample(
    as_json: JsonOpt = False,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="Only when the database has no papers.")] = False,
) -> None:
    """Load the bundled sample of real papers (recorded arXiv API responses)."""
    from paperwire.ingest.sample import load_sample, load_sample_if_empty

    store = _open_store()
    try:
        report = load_sample_if_empty(store) if if_empty else load_sample(store)
    finally:
        store.close()
    if report is None:
        typer.echo("sample: database already has papers, nothing loaded")
        return
    report_ingest(report, what="sample", as_json=as_json, errors_expected=True)


# --- ingest arxiv / ingest oai: the arXiv API and OAI-PMH, over the network -----------


def _http_client():  # type: ignore[no-untyped-def]
    from paperwire.ingest.http import HttpxClient

    return HttpxClient()


@ingest_app.command("arxiv")
def ingest_arxiv(
    query: Annotated[str | None, typer.Option("--query", "-q", help="arXiv search_query, e.g. 'cat:cs.CL AND ti:summarization'.")] = None,
    ids: Annotated[str | None, typer.Option("--ids", help="Comma-separated arXiv ids or URLs.")] = None,
    max_results: Annotated[int, typer.Option("--max", min=1, help="Most papers a --query fetches.")] = 100,
    page_size: Annotated[int, typer.Option("--page-size", min=1, max=2000, help="Papers per request.")] = 100,
    sort_by: Annotated[str, typer.Option(help="relevance | lastUpdatedDate | submittedDate.")] = "relevance",
    sort_order: Annotated[str, typer.Option(help="ascending | descending.")] = "descending",
    as_json: JsonOpt = False,
) -> None:
    """Fetch papers from the arXiv API by search query or by ids and store them."""
    from paperwire.ingest.arxiv_api import SORT_BY, SORT_ORDER, ArxivApi, ingest_arxiv_query

    if (query is None) == (ids is None):
        raise typer.BadParameter("give exactly one of --query or --ids")
    if sort_by not in SORT_BY:
        raise typer.BadParameter(f"{sort_by!r}: expected one of {', '.join(SORT_BY)}", param_hint="--sort-by")
    if sort_order not in SORT_ORDER:
        raise typer.BadParameter(f"{sort_order!r}: expected one of {', '.join(SORT_ORDER)}", param_hint="--sort-order")
    id_list = [i.strip() for i in ids.split(",") if i.strip()] if ids is not None else None
    if id_list is not None and not id_list:
        raise typer.BadParameter("no ids given", param_hint="--ids")
    if query is not None and not query.strip():
        raise typer.BadParameter("empty query", param_hint="--query")
    http = _http_client()
    store = _open_store()
    try:
        api = ArxivApi.from_settings(settings(), http)
        total = max_results if id_list is None else len(id_list)
        report = _recorded_run(store, "arxiv", lambda advance: ingest_arxiv_query(
            store, api, query=query, ids=id_list, max_results=max_results,
            page_size=page_size, sort_by=sort_by, sort_order=sort_order, on_progress=advance,
        ), total=total, label="arXiv API", as_json=as_json)
    finally:
        store.close()
        http.close()
    report_ingest(report, what="arxiv", as_json=as_json)


def _parse_day(value: str | None, option: str) -> date | None:
    """A day in the site's one grammar (``browse.periods.parse_day``), as a usage error."""
    from paperwire.browse.periods import parse_day
    from paperwire.errors import InvalidParameter

    if value is None:
        return None
    try:
        return parse_day(value, parameter=option)
    except InvalidParameter as exc:
        raise typer.BadParameter(exc.message, param_hint=option) from None


@ingest_app.command("oai")
def ingest_oai(
    set_spec: Annotated[str | None, typer.Option("--set", help="OAI set: cs, math, physics:hep-th, … (omit: every set).")] = None,
    from_: Annotated[str | None, typer.Option("--from", help="First datestamp, YYYY-MM-DD (default: where the last complete harvest of this set got; a first harvest starts PAPERWIRE_WORKER_OAI_FIRST_DAYS back).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last datestamp, YYYY-MM-DD.")] = None,
    prefix: Annotated[str, typer.Option("--prefix", help="Metadata format: arXiv or arXivRaw.")] = "arXiv",
    as_json: JsonOpt = False,
) -> None:
    """Harvest arXiv over OAI-PMH; an interrupted harvest resumes at its last completed page."""
    from paperwire.ingest.jobs import oai_job, oai_source
    from paperwire.ingest.oai_records import PREFIXES

    if prefix not in PREFIXES:
        raise typer.BadParameter(f"{prefix!r}: expected one of {', '.join(PREFIXES)}", param_hint="--prefix")
    from_date, until_date = _parse_day(from_, "--from"), _parse_day(until, "--until")
    if from_date and until_date and from_date > until_date:
        raise typer.BadParameter(f"{from_} is after --until {until}", param_hint="--from")
    http = _http_client()
    store = _open_store()
    try:
        report = _recorded_run(
            store,
            oai_source(set_spec),
            lambda advance: oai_job(
                store, settings(), http, set_spec=set_spec, from_date=from_date,
                until=until_date, prefix=prefix, on_progress=advance,
            ),
            total=None, label=f"OAI-PMH {set_spec or 'all'}", as_json=as_json,
        )
    finally:
        store.close()
        http.close()
    if not report.completed:
        typer.echo("the harvest stopped; run the same command again to resume it", err=True)
    report_ingest(report, what="oai", as_json=as_json)


# --- ingest snapshot / ingest medline: bulk files -------------------------------------


@ingest_app.command("snapshot")
def ingest_snapshot(
    file: Annotated[Path, typer.Argument(help="arXiv metadata snapshot, JSON lines, plain or .gz.")],
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Papers per transaction.")] = 5000,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Converter processes (default: 1 for a bulk load of a large file on a multi-core machine; 0 converts in this one).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import the arXiv metadata snapshot; bad lines are reported by number and skipped."""
    from paperwire.ingest.snapshot import import_snapshot

    total = file.stat().st_size if file.is_file() else None
    store = _open_store()
    try:
        report = _recorded_run(store, "snapshot", lambda advance: import_snapshot(
            store, file, batch_size=batch_size, on_progress=advance, workers=workers
        ), total=total, label=f"snapshot {file.name}", as_json=as_json, unit="bytes")
    finally:
        store.close()
    report_ingest(report, what="snapshot", as_json=as_json)


@ingest_app.command("medline")
def ingest_medline(
    files: Annotated[list[Path], typer.Argument(help="PubMed/MEDLINE baseline or update files (.xml or .xml.gz).")],
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Papers per transaction.")] = 2000,
    as_json: JsonOpt = False,
) -> None:
    """Import PubMed/MEDLINE XML; a bad record is reported with file and line and skipped."""
    from paperwire.ingest.medline import import_medline

    total = sum(f.stat().st_size for f in files if f.is_file()) or None
    store = _open_store()
    try:
        report = _recorded_run(store, "medline", lambda advance: import_medline(
            store, files, batch_size=batch_size, on_progress=advance
        ), total=total, label="medline", as_json=as_json, unit="bytes")
    finally:
        store.close()
    report_ingest(report, what="medline", as_json=as_json)


# --- ingest announcements / worker: daily listings, scheduled jobs --------------------


@ingest_app.command("announcements")
def ingest_announcements_cmd(
    categories: Annotated[list[str], typer.Argument(help="arXiv categories, e.g. cs.CV cs.LG.")],
    as_json: JsonOpt = False,
) -> None:
    """Fetch today's arXiv listing of each category (new, cross-lists, replacements);
    a day without announcement (weekend, holiday) is recorded as such."""
    from paperwire.ingest.jobs import announcements_fetcher, announcements_job

    s = settings()
    store = _open_store()
    client = _http_client()
    fetcher = announcements_fetcher(s, client)
    try:
        report = _recorded_run(
            store,
            "announcements",
            lambda advance: announcements_job(store, s, fetcher, categories, on_progress=advance),
            total=len(categories), label="categories", as_json=as_json,
        )
    finally:
        client.close()
        store.close()
    if not as_json:
        for day in report.days:
            what = f"announced, {day.papers} listed" if day.status == "announced" else "no announcement"
            typer.echo(f"{day.category} {day.day.isoformat()}: {what}")
    report_ingest(report, what="announcements", as_json=as_json)


# --- ingest github / ingest hub: code and artifact signals ----------------------------


@ingest_app.command("github")
def ingest_github(
    max_entries: Annotated[int, typer.Option("--max", min=1, help="Most repositories this run checks.")] = GITHUB_MAX_DEFAULT,
    as_json: JsonOpt = False,
) -> None:
    """Refresh the GitHub repositories papers link (stars, forks, last push, license,
    archived) that are due: never checked first, newest papers first, then the
    stalest. Conditional requests; stops at a rate limit and records when to resume."""
    from paperwire.signals.github import GithubApi, refresh_github

    s = settings()
    store = _open_store()
    client = _http_client()
    try:
        api = GithubApi.from_settings(s, client)
        report = _recorded_run(
            store, "github", lambda advance: refresh_github(store, api, limit=max_entries, on_progress=advance),
            total=None, label="GitHub repositories", as_json=as_json, unit="repositories",
        )
    finally:
        client.close()
        store.close()
    report_ingest(report, what="github", as_json=as_json)


@ingest_app.command("hub")
def ingest_hub(
    max_entries: Annotated[int, typer.Option("--max", min=1, help="Most papers this run looks up.")] = HUB_MAX_DEFAULT,
    as_json: JsonOpt = False,
) -> None:
    """Look up on the Hugging Face Hub the models, datasets and Spaces that cite the
    papers due: never looked up first, newest papers first, then the stalest."""
    from paperwire.signals.hub import HubApi, refresh_hub

    s = settings()
    store = _open_store()
    client = _http_client()
    try:
        api = HubApi.from_settings(s, client)
        report = _recorded_run(
            store, "hub", lambda advance: refresh_hub(store, api, limit=max_entries, on_progress=advance),
            total=None, label="papers on the Hub", as_json=as_json, unit="papers",
        )
    finally:
        client.close()
        store.close()
    report_ingest(report, what="hub", as_json=as_json)


@app.command()
def worker(
    once: Annotated[bool, typer.Option("--once", help="Run each due job once, then exit (cron, tests).")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --once: run every job, due or not.")] = False,
) -> None:
    """Run the jobs of PAPERWIRE_WORKER_SOURCES on their schedule; Ctrl-C or SIGTERM
    stops it after the job in progress."""
    import logging
    import signal

    from paperwire.worker import ScheduleError, Worker, jobs_from_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    s = settings()
    client = _http_client()
    try:
        jobs = jobs_from_settings(s, client=client)
    except ScheduleError as exc:
        client.close()
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    store = _open_store()
    runner = Worker(store, jobs)
    try:
        if once:
            outcomes = runner.run_due(force=force)
            for o in outcomes:
                typer.echo(f"{o.name}: {'ok' if o.ok else 'failed: ' + (o.error or '')}")
            if not outcomes:
                typer.echo("no job is due")
            if any(not o.ok for o in outcomes):
                raise typer.Exit(1)
            return
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: runner.stop())
        typer.echo(f"worker: {len(jobs)} job(s): {', '.join(j.name for j in jobs) or 'none'}")
        runner.run_forever()
        typer.echo("worker stopped")
    finally:
        client.close()
        store.close()


# --- index / search -------------------------------------------------------------------


def build_cli_embedder(s: Settings):  # type: ignore[no-untyped-def]
    """The embedder chosen by ``PAPERWIRE_EMBEDDER``."""
    from paperwire.search.embedders import build_embedder

    return build_embedder(s)


@app.command("index")
def index(
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Papers embedded and committed together.")] = 64,
    as_json: JsonOpt = False,
) -> None:
    """Bring the search indexes up to date: the keyword index, then embed papers that have
    no embedding yet (resumable: each batch is committed), as the worker's index job."""
    from paperwire.search.index import index_job

    s = settings()
    embedder = build_cli_embedder(s)
    store = _open_store()
    try:
        total = store.count_papers_to_embed(embedder.name)
        report = _recorded_run(store, "index", lambda advance: index_job(
            store, embedder, s, batch_size=batch_size, on_progress=advance
        ), total=total, label=f"embedding ({embedder.name})", as_json=as_json)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        typer.echo(
            f"index: embedded {report.embedded} papers with {report.model} "
            f"in {report.seconds:.1f}s"
            + (f"; HNSW index +{report.ann_added}" if report.ann_added or report.ann_rebuilt else "")
        )


@app.command("search")
def search_cmd(
    query: Annotated[str, typer.Argument(help="What to look for; \"quoted phrase\", -exclude, +require, prefix*.")],
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many results (1-100).")] = 10,
    mode: Annotated[str, typer.Option(help="hybrid | keyword | semantic.")] = "hybrid",
    category: Annotated[list[str] | None, typer.Option("--category", "-c", help="Category or archive (cs.LG, math); repeatable.")] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="Listed on or after (2024-03-05, 2024-03, 2024).")] = None,
    until: Annotated[str | None, typer.Option(help="Listed on or before.")] = None,
    has_code: Annotated[bool | None, typer.Option("--has-code/--no-code", help="Only papers with (without) a code link.")] = None,
    author: Annotated[str | None, typer.Option(help="An author's full or family name.")] = None,
    min_stars: Annotated[int | None, typer.Option("--min-stars", help="Only papers linking a GitHub repository with at least this many stars.")] = None,
    sort: Annotated[str, typer.Option(help="relevance | date | stars.")] = "relevance",
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON.")] = False,
) -> None:
    """Search papers (the same search and JSON as GET /api/search)."""
    from paperwire.browse.filters import parse_filters
    from paperwire.errors import InvalidParameter
    from paperwire.search.service import SearchUnavailable, search_papers
    from paperwire.web.serialize import hits_json

    s = settings()
    store = _open_store()
    try:
        embedder = None
        if mode != "keyword":
            embedder = build_cli_embedder(s)
        try:
            filters = parse_filters(
                categories=category or (), date_from=date_from, date_until=until,
                has_code=has_code, author=author, min_stars=min_stars,
            )
            vectors = None
            if mode != "keyword":
                from paperwire.search.ann import open_vector_index

                vectors = open_vector_index(s, store)
            hits = search_papers(
                store, embedder, query, mode=mode, filters=filters, limit=limit, sort=sort,
                vectors=vectors,
            )
        except InvalidParameter as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
        except SearchUnavailable as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
        results = hits_json(store.get_papers([h.paper_id for h in hits]), hits)
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps({"query": query, "mode": mode, "sort": sort, "results": results}, ensure_ascii=False))
        return
    if not results:
        typer.echo("no results")
    for rank, r in enumerate(results, start=1):
        authors = ", ".join(r["authors"][:3]) + (" et al." if len(r["authors"]) > 3 else "")
        typer.echo(f"{rank:>3}. {r['id']}  {' '.join(r['title'].split())}")
        typer.echo(f"     {authors} · {r['listed'] or 'undated'} · {', '.join(r['categories'][:3])}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
    proxy_headers: Annotated[
        bool,
        typer.Option(help="Read the client's address and scheme from X-Forwarded-For/-Proto."),
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated proxy addresses whose forwarded headers are believed "
            "('*' for any); default: uvicorn's, $FORWARDED_ALLOW_IPS or 127.0.0.1."
        ),
    ] = None,
) -> None:
    """Serve the web app (migrates the database and loads the sample when empty)."""
    import uvicorn

    from paperwire.ingest.sample import load_sample_if_empty

    s = settings()
    store = _open_store()
    try:
        if s.load_sample:
            report = load_sample_if_empty(store)
            if report is not None:
                typer.echo(f"loaded the bundled sample: {report.counts.added} papers")
    finally:
        store.close()
    uvicorn.run(
        "paperwire.app:app_from_env",
        host=host or s.host,
        port=port or s.port,
        workers=workers,
        factory=True,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
    )


T = TypeVar("T")


def _users_call(work: Callable[[Store], T]) -> T:
    """Run ``work`` on the store; bad input (an unknown address, a bad role) is exit 2."""
    from paperwire.errors import InvalidParameter

    store = _open_store()
    try:
        return work(store)
    except InvalidParameter as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()


RoleOpt = Annotated[str, typer.Option("--role", help="user | moderator | admin.")]


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")] = "",
    role: RoleOpt = "user",
) -> None:
    """Make an account (it can then sign in by emailed link)."""
    from datetime import UTC, datetime

    from paperwire.community.accounts import add_user

    user = _users_call(lambda store: add_user(store, email, now=datetime.now(UTC), name=name, role=role))
    typer.echo(f"added {user.email} ({user.role})")


@users_app.command("promote")
def users_promote(
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    role: Annotated[str, typer.Option("--role", help="moderator | admin (or user, to demote).")],
) -> None:
    """Change an account's role; the change is written to the audit log."""
    from datetime import UTC, datetime

    from paperwire.community.accounts import set_role

    user = _users_call(lambda store: set_role(store, email, role, now=datetime.now(UTC)))
    typer.echo(f"{user.email} is now {user.role}")


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    name: Annotated[str, typer.Option("--name", help="A label for the token.")] = "cli",
) -> None:
    """Print a new personal API token (send it as Authorization: Bearer TOKEN)."""
    from datetime import UTC, datetime

    from paperwire.community.accounts import create_api_token, user_by_email

    def make(store: Store) -> str:
        user = user_by_email(store, email)
        return create_api_token(store, user, now=datetime.now(UTC), name=name)[0]

    typer.echo(_users_call(make))


@users_app.command("trust")
def users_trust(
    email: Annotated[str, typer.Argument(help="The account's email address.")],
    revoke: Annotated[bool, typer.Option("--revoke", help="Take the verification back.")] = False,
) -> None:
    """Verify an account: its votes weigh in trending at once, bursts included."""
    from datetime import UTC, datetime

    from paperwire.community.accounts import user_by_email
    from paperwire.community.votes import trust_voter

    def trust(store: Store) -> str:
        user = user_by_email(store, email)
        trust_voter(store, user, trusted=not revoke, now=datetime.now(UTC))
        return user.email

    address = _users_call(trust)
    typer.echo(f"{address} is {'no longer ' if revoke else ''}verified")


@users_app.command("list")
def users_list(as_json: JsonOpt = False) -> None:
    """Every account: id, email, name, role, created."""
    users = _users_call(lambda store: store.list_users())
    if as_json:
        rows = [
            {"id": u.id, "email": u.email, "name": u.name, "role": u.role,
             "created_at": u.created_at.isoformat()}
            for u in users
        ]
        typer.echo(json.dumps(rows))
        return
    if not users:
        typer.echo("no accounts")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "email", "name", "role", "created")
    for u in users:
        table.add_row(str(u.id), u.email, u.name, u.role, u.created_at.date().isoformat())
    Console().print(table)


@subscribers_app.command("import")
def subscribers_import(
    path: Annotated[Path, typer.Argument(help="CSV file: email, frequency, categories, queries, authors, exclude (lists ;-separated).", exists=True, dir_okay=False)],
    confirmed: Annotated[bool, typer.Option("--confirmed", help="The addresses are confirmed already: subscribe them at once and send no confirmation mail.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import subscribers from another tool (rerunning makes no duplicates)."""
    from datetime import UTC, datetime

    from paperwire.digest.mailer import build_mailer
    from paperwire.digest.subscriber_import import import_subscribers

    s = settings()
    store = _open_store()
    try:
        report = import_subscribers(
            store, build_mailer(s), s, path, confirmed=confirmed, now=datetime.now(UTC)
        )
    finally:
        store.close()
    if not as_json:
        typer.echo(f"confirmation mails sent: {report.mailed}; unsubscribed addresses left alone: {report.kept_unsubscribed}")
    report_ingest(report, what=f"subscribers from {path.name}", as_json=as_json)


@subscribers_app.command("list")
def subscribers_list(as_json: JsonOpt = False) -> None:
    """Every subscription: address, state, frequency and sections."""
    from paperwire.digest.subscriptions import describe_prefs, iter_subscriptions
    from paperwire.web.serialize import subscription_json

    store = _open_store()
    try:
        subs = list(iter_subscriptions(store))
    finally:
        store.close()
    if as_json:
        typer.echo(json.dumps([subscription_json(sub) for sub in subs], ensure_ascii=False))
        return
    if not subs:
        typer.echo("no subscriptions")
    for sub in subs:
        sections = "; ".join(describe_prefs(sub.prefs))
        typer.echo(f"{sub.id:>6}  {sub.email}  {sub.status}  {sub.frequency}  {sections}")


@subscribers_app.command("unsubscribe")
def subscribers_unsubscribe(
    value: Annotated[str, typer.Argument(help="An address, or the subject of a mail to the List-Unsubscribe mailto ('unsubscribe TOKEN').")],
) -> None:
    """Unsubscribe an address (for mail sent to the List-Unsubscribe mailto)."""
    from datetime import UTC, datetime

    from paperwire.digest.subscriptions import unsubscribe_by_address_or_link
    from paperwire.errors import InvalidParameter

    s = settings()
    store = _open_store()
    try:
        sub = unsubscribe_by_address_or_link(store, s, value, now=datetime.now(UTC))
    except InvalidParameter as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    if sub is None:
        typer.echo("error: no subscription matches", err=True)
        raise typer.Exit(1)
    typer.echo(f"unsubscribed {sub.email}")


# --- digest send ------------------------------------------------------------------------

digest_app = typer.Typer(help="Email digests.", no_args_is_help=True)
app.add_typer(digest_app, name="digest")


@digest_app.command("send")
def digest_send(
    frequency: Annotated[str, typer.Option("--frequency", help="daily | weekly.")],
    day: Annotated[str | None, typer.Option("--date", help="The digest of the day (daily) or ISO week (weekly) holding this day, YYYY-MM-DD (default: the latest announcement day, or the latest complete week).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go to whom; send nothing, write nothing.")] = False,
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=16, help="Sender processes (default: PAPERWIRE_DIGEST_WORKERS, else one per CPU, at most 4).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Send the period's digest to every confirmed subscriber who has not had it yet
    (rerun-safe: a crash or a dead SMTP server leaves the rest pending for the next run)."""
    from paperwire.digest.send import digest_job, source_name
    from paperwire.errors import InvalidParameter
    from paperwire.ingest.jobs import run_source

    if frequency not in ("daily", "weekly"):
        raise typer.BadParameter(f"{frequency!r}: expected daily or weekly", param_hint="--frequency")
    when = _parse_day(day, "--date")
    s = settings()
    store = _open_store()
    try:
        if dry_run:
            result = digest_job(store, s, frequency, day=when, dry_run=True)
        else:
            result = run_source(
                store,
                source_name(frequency),
                lambda: digest_job(store, s, frequency, day=when, workers=workers),
            )
    except InvalidParameter as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        store.close()
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    for err in result.errors:
        typer.echo(f"error: {err}", err=True)
    if as_json:
        summary = result.as_dict()
        if dry_run:
            summary["would_send"] = [
                {"email": w.email, "subject": w.subject, "papers": w.papers} for w in result.would_send
            ]
        typer.echo(json.dumps(summary, ensure_ascii=False))
    elif dry_run:
        for w in result.would_send:
            typer.echo(f"would send to {w.email}: {w.subject} ({'; '.join(w.sections)})")
        typer.echo(
            f"digest {result.period or '-'} (dry run): would send {len(result.would_send)}, "
            f"skip {result.skipped}; nothing was sent or written"
        )
    else:
        typer.echo(
            f"digest {result.period or '-'}: sent {result.sent}, skipped {result.skipped}, "
            f"failed {result.failed}, retrying later {result.retrying}"
        )
    if not result.ok:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
