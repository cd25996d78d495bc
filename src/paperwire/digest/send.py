"""``send_digests``: plan a period's digests in the outbox, then deliver what is due.
``paperwire digest send`` and the worker's ``digest:daily``/``digest:weekly`` jobs call
it alike, recorded by ``ingest.jobs.run_source`` as ``digest:<frequency>``.

1. **Plan.** One ``pending`` outbox row per confirmed subscription of the frequency
   for the period (``Store.plan_digests``: insert or nothing, so a rerun plans
   nothing twice and a subscriber confirmed since the last run is added).
2. **Deliver.** Every due row of the frequency, in id order (rows of an earlier
   period that wait for a retry too, unless that period ended more than
   ``STALE_DAYS`` ago): claim it (``sending``, under this run's owner name and a
   lease), compose its digest (``compose.py``: pure, from the subscriber's
   preferences, the period's candidates and the papers already sent), render it and
   hand it to the courier, a thread that sends the messages in order through the
   ``Mailer`` (one SMTP connection for the run) and at once — right after the
   server's 250 — marks each ``sent`` with its papers in one transaction. The next
   digest is composed while the server answers (at most two claimed rows wait).

**Exactly once.** A row is only sent while claimed, and ``sent`` is committed right
after the server accepts the message. A run killed before the server's 250 leaves the
row ``sending`` under a claim that the next run takes over at once (the owner's
process is gone) or when the lease lapses (another machine): the message is sent
then, once. SMTP has no idempotency key, so one window remains: killed between the
server's 250 and our commit (a few milliseconds; nothing else runs in between), that
subscriber receives the digest twice. Nobody is skipped.

**Processes.** One Python process composes about as fast as one core allows; a send
may use several (``digest_job``'s ``workers``: ``PAPERWIRE_DIGEST_WORKERS``, by default
one per CPU, at most ``MAX_WORKERS``). The extra ones are helper processes running the
same ``send_digests`` on the same outbox with their own store, SMTP connection and
saved-search engine, built from the settings; the claims give each row to one of them,
so exactly-once holds as for any senders sharing an outbox. A helper is killed with the
process that started it (Linux), so killing a send stops all of it.

**Failures.** A temporary refusal of a message (4xx) puts its row back to
``pending`` with an exponential backoff (``BACKOFF_FIRST`` doubled per attempt); after
``MAX_ATTEMPTS`` attempts, or at once on a permanent refusal (5xx), it is ``failed``
and never retried. A failure of the server or the settings rather than the message
(unreachable, TLS, AUTH, dropped connection, 421: ``MailError.connection``) stops the
run: the row goes back to ``pending`` without counting an attempt, everything else
stays ``pending``, and the run reports the error; the next run delivers.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from paperwire.config import Settings
from paperwire.digest.candidates import CandidateFinder
from paperwire.digest.compose import Digest, compose_digest
from paperwire.digest.mailer import Mailer, MailError
from paperwire.digest.period import (
    DigestPeriod,
    check_frequency,
    choose_period,
    parse_period_key,
    period_announced,
)
from paperwire.digest.render import PaperSnippets, digest_message, section_heading, subject_line
from paperwire.models import OutboxEntry, Subscription, UpsertCounts
from paperwire.search.embed import Embedder
from paperwire.store import Store, new_owner

log = logging.getLogger("paperwire.digest")

CLAIM_LEASE = timedelta(minutes=10)  # far longer than one SMTP exchange may take
BACKOFF_FIRST = timedelta(minutes=5)
MAX_ATTEMPTS = 6  # 5, 10, 20, 40, 80 minutes between them: about 2.5 hours
# Rows of an earlier period still waiting are given up this many days after it ended.
STALE_DAYS = {"daily": 3, "weekly": 10}
PAGE = 500
MAX_WORKERS = 4  # beyond this the SMTP server and the database are the limit, not the CPU


@dataclass(frozen=True, slots=True)
class PlannedDigest:
    """What a dry run would send to one subscriber."""

    email: str
    subject: str
    papers: int
    sections: tuple[str, ...]


@dataclass(slots=True)
class DigestRunResult:
    """What a send did. ``errors`` are the run's own problems (the server could not be
    reached): then the run failed and what it did not reach stays pending."""

    frequency: str
    period: str | None
    dry_run: bool = False
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retrying: int = 0  # temporary refusals, tried again later
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    would_send: list[PlannedDigest] = field(default_factory=list)
    compose_seconds: float = 0.0  # candidates, compose and render
    send_seconds: float = 0.0  # the SMTP exchanges

    @property
    def counts(self) -> UpsertCounts:
        """For the run record (``/status``): sent as added, skipped as unchanged."""
        return UpsertCounts(added=self.sent, unchanged=self.skipped, failed=self.failed)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, other: DigestRunResult) -> None:
        """Count in what another process of the same send did."""
        self.planned += other.planned
        self.sent += other.sent
        self.skipped += other.skipped
        self.failed += other.failed
        self.retrying += other.retrying
        self.errors.extend(e for e in other.errors if e not in self.errors)
        self.notes.extend(n for n in other.notes if n not in self.notes)
        self.compose_seconds += other.compose_seconds
        self.send_seconds += other.send_seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "skipped": self.skipped,
            "failed": self.failed,
            "retrying": self.retrying,
            "period": self.period,
            "errors": list(self.errors),
        }


class _Stop(Exception):
    """The server or the settings failed: no further message would go through."""


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th temporary refusal."""
    return BACKOFF_FIRST * (2 ** max(0, attempts - 1))


def source_name(frequency: str) -> str:
    """What a send is recorded as (``GET /status``): ``digest:daily``, ``digest:weekly``."""
    return f"digest:{frequency}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class _Ready:
    """A claimed row and its message, waiting for the courier."""

    entry: OutboxEntry
    email: str
    message: EmailMessage
    paper_ids: tuple[str, ...]
    at: datetime


class _Courier(threading.Thread):
    """Hands the prepared messages to the mailer in order, one SMTP connection, on a
    thread of its own: the next digest is composed while the server answers this one
    (waiting on the socket releases the GIL), which nearly halves a send. At most
    ``WAITING`` claimed rows wait; when the run stops (the server is unreachable, an
    error, Ctrl-C) they are given back untried."""

    WAITING = 2

    def __init__(self, sender: _Sender) -> None:
        super().__init__(name="paperwire-digest-courier", daemon=True)
        self.sender = sender
        self.queue: queue.Queue[_Ready | None] = queue.Queue(maxsize=self.WAITING)
        self.stopped = threading.Event()
        self.failure: BaseException | None = None

    def put(self, ready: _Ready) -> None:
        while True:
            if self.stopped.is_set():
                self.sender.release(ready.entry, ready.at, "the run stopped before sending it")
                return
            try:
                self.queue.put(ready, timeout=0.1)
                return
            except queue.Full:
                continue

    def finish(self) -> None:
        self.queue.put(None)
        self.join()

    def run(self) -> None:
        try:
            with self.sender.mailer.batch():
                while (ready := self.queue.get()) is not None:
                    if self.stopped.is_set():
                        self.sender.release(
                            ready.entry, ready.at, "the run stopped before sending it"
                        )
                        continue
                    try:
                        self.sender.transmit(ready)
                    except _Stop:
                        self.stopped.set()
        except BaseException as exc:  # reported by the run, on its own thread
            self.failure = exc
            self.stopped.set()
            while (ready := self.queue.get()) is not None:
                try:
                    self.sender.release(ready.entry, ready.at, "the run stopped before sending it")
                except BaseException:  # the database itself failed: the lease will lapse
                    continue


class _Sender:
    def __init__(
        self,
        store: Store,
        mailer: Mailer,
        settings: Settings,
        frequency: str,
        *,
        clock: Callable[[], datetime],
        finder: CandidateFinder,
        result: DigestRunResult,
        current: DigestPeriod,
    ) -> None:
        self.store = store
        self.mailer = mailer
        self.settings = settings
        self.frequency = frequency
        self.clock = clock
        self.finder = finder
        self.result = result
        self.current = current
        self.owner = new_owner()
        self.snippets = PaperSnippets(settings)
        self._announced: dict[str, bool] = {}

    def announced(self, period: DigestPeriod) -> bool:
        if period.key not in self._announced:
            self._announced[period.key] = period_announced(self.store, period.period)
        return self._announced[period.key]

    def compose(self, sub: Subscription, period: DigestPeriod) -> Digest | None:
        prefs = sub.prefs
        candidates = self.finder.candidates(prefs, period)
        already = self.store.sent_digest_papers(sub.id, sorted(candidates.paper_ids()))
        return compose_digest(
            prefs,
            candidates,
            period=period,
            already_sent=already,
            announced=self.announced(period),
        )

    def stale(self, period: DigestPeriod, today: date) -> bool:
        if period.key == self.current.key:
            return False
        return period.period.end < today - timedelta(days=STALE_DAYS[self.frequency])

    def prepare(self, entry: OutboxEntry) -> _Ready | None:
        """Claim the row and make its message; None when there is nothing to send
        (the row is then finished as skipped) or another sender has it."""
        store, result = self.store, self.result
        at = self.clock()
        claimed = store.claim_digest(entry.id, self.owner, now=at, lease=CLAIM_LEASE)
        if claimed is None:
            return None
        sub = store.get_subscription(claimed.subscription_id)
        if sub is None or not sub.confirmed or sub.frequency != self.frequency:
            store.finish_digest_skipped(claimed.id, reason="no longer subscribed to this digest")
            result.skipped += 1
            return None
        period = parse_period_key(claimed.period_key)
        if self.stale(period, at.date()):
            store.finish_digest_skipped(claimed.id, reason="the period ended too long ago")
            result.skipped += 1
            return None
        started = time.perf_counter()
        try:
            digest = self.compose(sub, period)
            message = (
                digest_message(self.settings, sub, digest, now=at, snippets=self.snippets)
                if digest
                else None
            )
        except BaseException:
            # A bug or a database error: give the row back before the run fails.
            self.release(claimed, at, "composing failed")
            raise
        finally:
            result.compose_seconds += time.perf_counter() - started
        if digest is None or message is None:
            store.finish_digest_skipped(claimed.id, reason="nothing to send")
            result.skipped += 1
            return None
        return _Ready(claimed, sub.email, message, digest.paper_ids, at)

    def transmit(self, ready: _Ready) -> None:
        """Send one prepared message and record the outcome (on the courier thread)."""
        started = time.perf_counter()
        try:
            self.mailer.send(ready.message)
        except MailError as exc:
            self.refused(ready.entry, exc, ready.at, email=ready.email)
            return
        finally:
            self.result.send_seconds += time.perf_counter() - started
        # Right after the server's 250: the only window for a second copy is until here.
        self.store.finish_digest_sent(
            ready.entry.id,
            sent_at=self.clock(),
            message_id=str(ready.message["Message-ID"]),
            paper_ids=ready.paper_ids,
        )
        self.result.sent += 1

    def release(self, entry: OutboxEntry, at: datetime, why: str) -> None:
        """Give a claimed row back untried: due again at once, the attempt not counted."""
        self.store.retry_digest(entry.id, error=why, next_attempt_at=at, count_attempt=False)

    def refused(self, entry: OutboxEntry, exc: MailError, at: datetime, *, email: str) -> None:
        error = str(exc)
        if exc.connection:
            self.release(entry, at, error)
            # The run's error is shown by /status: it names the server, not the subscriber.
            public = error.replace(email, "a subscriber")
            self.result.errors.append(f"stopped, the rest stays pending for the next run: {public}")
            raise _Stop from exc
        if exc.temporary and entry.attempts < MAX_ATTEMPTS:
            self.store.retry_digest(
                entry.id, error=error, next_attempt_at=at + backoff(entry.attempts)
            )
            self.result.retrying += 1
            log.warning("digest to subscription %s: will retry: %s", entry.subscription_id, error)
            return
        self.store.finish_digest_failed(entry.id, error=error)
        self.result.failed += 1
        log.warning("digest to subscription %s failed: %s", entry.subscription_id, error)

    def run(self) -> None:
        courier = _Courier(self)
        courier.start()
        try:
            after = 0
            while not courier.stopped.is_set():
                entries = self.store.due_digests(
                    self.frequency, now=self.clock(), after_id=after, limit=PAGE
                )
                if not entries:
                    break
                for entry in entries:
                    after = entry.id
                    if courier.stopped.is_set():
                        break
                    ready = self.prepare(entry)
                    if ready is not None:
                        courier.put(ready)
        except BaseException:
            courier.stopped.set()  # what waits is given back, not sent
            raise
        finally:
            courier.finish()
        if courier.failure is not None:
            raise courier.failure

    def dry_run(self, period: DigestPeriod) -> None:
        done = {
            sid
            for sid, status in self.store.outbox_statuses(period.key).items()
            if status in ("sent", "skipped", "failed")
        }
        after = 0
        while True:
            page = self.store.confirmed_subscriptions(self.frequency, after_id=after, limit=PAGE)
            if not page:
                return
            for sub in page:
                after = sub.id
                if sub.id in done:
                    continue
                digest = self.compose(sub, period)
                if digest is None:
                    self.result.skipped += 1
                    continue
                self.result.would_send.append(
                    PlannedDigest(
                        email=sub.email,
                        subject=subject_line(self.settings, digest),
                        papers=digest.paper_count,
                        sections=tuple(
                            f"{section_heading(s, period)}: {len(s.papers)}"
                            for s in digest.sections
                        ),
                    )
                )


def send_digests(
    store: Store,
    mailer: Mailer,
    settings: Settings,
    frequency: str,
    *,
    day: date | None = None,
    dry_run: bool = False,
    clock: Callable[[], datetime] = _utc_now,
    embedder: Embedder | None = None,
    vectors: Any = None,
) -> DigestRunResult:
    """Plan and deliver the digests of ``frequency`` for the period holding ``day``
    (default: the latest there is, ``period.choose_period``). ``dry_run``: compose
    what would go to whom (``would_send``), write nothing and send nothing. Saved
    searches match by meaning too when an ``embedder`` is given."""
    frequency = check_frequency(frequency)
    now = clock()
    period = choose_period(store, frequency, day=day, today=now.date())
    result = DigestRunResult(frequency, period.key if period else None, dry_run=dry_run)
    if period is None:
        result.notes.append("no paper has a day yet: there is nothing to send")
        return result
    finder = CandidateFinder(
        store,
        now=now,
        embedder=embedder,
        vectors=vectors,
        trust_hours=settings.vote_trust_hours,
    )
    sender = _Sender(
        store,
        mailer,
        settings,
        frequency,
        clock=clock,
        finder=finder,
        result=result,
        current=period,
    )
    if dry_run:
        sender.dry_run(period)
        return result
    result.planned = store.plan_digests(frequency, period.key, now=now)
    sender.run()
    return result


def saved_search_engine(store: Store, settings: Settings) -> tuple[Embedder | None, Any]:
    """The embedder and vector index saved searches match by meaning with, once the
    papers have embeddings (``paperwire index``); before that, keywords alone."""
    if store.embedding_model() is None:
        return None, None
    from paperwire.search.ann import open_vector_index
    from paperwire.search.embedders import build_embedder

    return build_embedder(settings), open_vector_index(settings, store)


def default_workers(settings: Settings) -> int:
    """Sender processes of a send: ``PAPERWIRE_DIGEST_WORKERS``, or when 0 one per CPU
    this process may use, at most ``MAX_WORKERS``."""
    if settings.digest_workers:
        return settings.digest_workers
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cpus))


def _die_with_parent(parent: int) -> None:
    """Run first in a helper: killed (SIGKILL) when the send that started it dies, so
    that killing a send stops every process of it (Linux; elsewhere a helper finishes
    the rows it claims)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before that
            os._exit(1)


def _helper(
    settings: Settings, frequency: str, day: date | None, clock: Callable[[], datetime]
) -> DigestRunResult:
    """One helper process of a send: the same run on the same outbox, with its own
    store, SMTP connection and saved-search engine."""
    from paperwire.store import open_store

    store = open_store(settings.database_url)
    try:
        return digest_job(store, settings, frequency, day=day, clock=clock, workers=1)
    finally:
        store.close()


def _picklable(value: object) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


def digest_job(
    store: Store,
    settings: Settings,
    frequency: str,
    *,
    mailer: Mailer | None = None,
    day: date | None = None,
    dry_run: bool = False,
    clock: Callable[[], datetime] = _utc_now,
    search: tuple[Embedder | None, Any] | None = None,
    workers: int | None = None,
) -> DigestRunResult:
    """What ``paperwire digest send`` and the worker's digest jobs run: the mail goes
    through the settings' mailer (none in a dry run), saved searches through
    ``saved_search_engine`` unless ``search`` gives one. Without an SMTP server nothing
    is planned or sent: the log mailer a demo's sign-in links go to would mark every
    subscriber's digest sent while no one received it.

    ``workers`` (default ``default_workers``): sender processes; this one and
    ``workers - 1`` helpers started for the run (see "Processes" above), whose figures
    are added to the result. Helpers build their mailer and saved-search engine from the
    settings, so a ``mailer`` other than an ``SmtpMailer`` (one made from the settings)
    keeps the send in this process, as does a ``clock`` that cannot be pickled."""
    from paperwire.digest.mailer import NullMailer, SmtpMailer, build_mailer

    if not dry_run and not settings.smtp_host:
        result = DigestRunResult(check_frequency(frequency), None)
        result.errors.append(
            "PAPERWIRE_SMTP_HOST is not set: no digest was sent (--dry-run shows what would be)"
        )
        return result
    if mailer is None:
        mailer = NullMailer() if dry_run else build_mailer(settings)
    embedder, vectors = search if search is not None else saved_search_engine(store, settings)
    helpers = (workers if workers is not None else default_workers(settings)) - 1
    if dry_run or not isinstance(mailer, SmtpMailer) or not _picklable(clock):
        helpers = 0
    if helpers <= 0:
        return send_digests(
            store,
            mailer,
            settings,
            frequency,
            day=day,
            dry_run=dry_run,
            clock=clock,
            embedder=embedder,
            vectors=vectors,
        )
    # spawn, not fork: this process has threads and open database connections.
    with ProcessPoolExecutor(
        helpers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_die_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        started = [pool.submit(_helper, settings, frequency, day, clock) for _ in range(helpers)]
        result = send_digests(
            store,
            mailer,
            settings,
            frequency,
            day=day,
            clock=clock,
            embedder=embedder,
            vectors=vectors,
        )
        for future in started:
            result.add(future.result())
    return result
