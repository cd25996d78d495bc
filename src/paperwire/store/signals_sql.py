"""Code and artifact signals: GitHub repositories linked from papers with their daily
star snapshots, and the Hugging Face Hub models, datasets and Spaces citing papers
(tables of migration 0011).

Which papers link which repository is kept by triggers on ``papers`` (migration 0011),
so this part only reads it. Planning a refresh ("what is due") reads an index and
nothing else: never-checked entries newest paper first, then the stalest due ones
(``repositories_due``, ``hub_papers_due``). A write that changes what pages show bumps
the ``signals`` row of ``data_versions`` in its transaction; a check that found
nothing new (a GitHub 304) bumps nothing, so page caches keep.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from paperwire.models import HubArtifact, HubLinks, Repository, SearchFilters, SignalPause
from paperwire.store.codec import date_or_none, datetime_or_none, to_date, to_datetime, to_utc
from paperwire.store.listing_sql import SUBMITTED_FROM, listing_where, submitted_where
from paperwire.store.sql import ID_CHUNK, Db, Part, bump_data_version, chunks, fetch_count

# Star velocity: stars gained since the oldest snapshot at most this many days old.
VELOCITY_DAYS = 7

_REPOSITORY_COLUMNS = (
    "full_name",
    "status",
    "current_name",
    "html_url",
    "description",
    "stars",
    "forks",
    "open_issues",
    "pushed_at",
    "license",
    "archived",
    "stars_week",
    "etag",
    "newest_day",
    "checked_at",
    "next_check_at",
)
_SAVE_REPOSITORY = (  # column names are constants
    f"INSERT INTO repositories ({', '.join(_REPOSITORY_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_REPOSITORY_COLUMNS))}) "
    "ON CONFLICT (full_name) DO UPDATE SET "
    + ", ".join(
        f"{c} = excluded.{c}" for c in _REPOSITORY_COLUMNS if c not in ("full_name", "newest_day")
    )
)


class SignalStore(Protocol):
    """What the signal jobs, pages and APIs may ask of this part of the store."""

    def repositories_due(self, *, now: datetime, limit: int) -> list[Repository]:
        """At most ``limit`` repositories to refresh: those never checked (or linked by
        a newer paper since their last check), newest linking paper first; then those
        whose ``next_check_at`` has come, the longest overdue first."""
        ...

    def save_repository(self, repo: Repository, *, day: date | None) -> bool:
        """Store what a check learnt of ``repo`` (every field but ``newest_day``, which
        the papers keep) and, for a repository with stars, its snapshot of ``day``
        (one per repository per day: a second check that day updates it; None for a
        check that learnt nothing, which writes none); its ``stars_week`` is computed
        here from the snapshots. Whether what pages show changed (then the ``signals``
        data version is bumped)."""
        ...

    def get_repository(self, full_name: str) -> Repository | None: ...

    def repositories_for_papers(self, paper_ids: Sequence[str]) -> dict[str, list[Repository]]:
        """The repositories each paper links (papers without any are left out)."""
        ...

    def star_snapshots(self, full_name: str) -> list[tuple[date, int]]:
        """A repository's stars by day, oldest first."""
        ...

    def count_repositories(self) -> dict[str, int]:
        """Repositories by status (``new``, ``ok``, ``gone``, ``invalid``)."""
        ...

    def starred_papers(
        self, *, start: date, end: date, filters: SearchFilters | None = None
    ) -> list[tuple[str, date, int | None]]:
        """The papers of the listing ``start..end`` (with ``filters``) whose linked
        repositories have stars, and those an approved submission lists there (with
        or without), each once as ``(id, day it is listed under, its repositories'
        most stars)``: what a listing sorted by stars places before the rest, which
        are ``trending_tail``'s papers less these."""
        ...

    def hub_papers_due(self, *, now: datetime, limit: int) -> list[tuple[str, date | None]]:
        """At most ``limit`` arXiv papers to look up on the Hub, as ``(id, listed
        day)``: never looked up, newest listing day first; then those whose next
        look-up has come, the longest overdue first."""
        ...

    def save_hub_links(self, paper_id: str, links: HubLinks, *, next_check_at: datetime) -> bool:
        """Replace what the Hub says of a paper; whether what pages show changed (then
        the ``signals`` data version is bumped). A paper deleted meanwhile is skipped."""
        ...

    def hub_links_for_papers(self, paper_ids: Sequence[str]) -> dict[str, HubLinks]:
        """What the Hub said of each paper looked up (others are left out)."""
        ...

    def count_hub_checked(self) -> int: ...

    def signal_pause(self, source: str) -> SignalPause | None:
        """When ``source`` (``github``, ``hub``) was asked to wait until, if it was."""
        ...

    def set_signal_pause(self, source: str, resume_at: datetime | None, reason: str = "") -> None:
        """Record that ``source`` may run again from ``resume_at`` (None: no wait)."""
        ...


def _row_to_repository(row: dict[str, Any]) -> Repository:
    return Repository(
        full_name=row["full_name"],
        newest_day=date_or_none(row["newest_day"]),
        status=row["status"],
        current_name=row["current_name"],
        html_url=row["html_url"],
        description=row["description"],
        stars=row["stars"],
        forks=row["forks"],
        open_issues=row["open_issues"],
        pushed_at=datetime_or_none(row["pushed_at"]),
        license=row["license"],
        archived=bool(row["archived"]),
        stars_week=int(row["stars_week"]),
        etag=row["etag"],
        checked_at=datetime_or_none(row["checked_at"]),
        next_check_at=datetime_or_none(row["next_check_at"]),
    )


def _shown(repo: Repository | None) -> tuple[Any, ...] | None:
    """What pages show of a repository (its ETag and check times are not shown)."""
    if repo is None:
        return None
    return (
        repo.status,
        repo.current_name,
        repo.html_url,
        repo.description,
        repo.stars,
        repo.forks,
        repo.open_issues,
        repo.pushed_at,
        repo.license,
        repo.archived,
        repo.stars_week,
    )


def _when(value: datetime | None) -> datetime | None:
    return None if value is None else to_utc(value)


class Signals(Part):
    """Repositories, star snapshots and Hub links, written once for both backends."""

    # --- GitHub repositories --------------------------------------------------------

    def repositories_due(self, *, now: datetime, limit: int) -> list[Repository]:
        if limit <= 0:
            return []
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT * FROM repositories WHERE next_check_at IS NULL "
                "ORDER BY newest_day DESC, full_name DESC LIMIT ?",
                (limit,),
            )
            if len(rows) < limit:
                rows += db.fetchall(
                    "SELECT * FROM repositories WHERE next_check_at <= ? "
                    "ORDER BY next_check_at LIMIT ?",
                    (to_utc(now), limit - len(rows)),
                )
        return [_row_to_repository(r) for r in rows]

    def save_repository(self, repo: Repository, *, day: date | None) -> bool:
        with self.connections.writing() as db:
            old_row = db.fetchone(
                "SELECT * FROM repositories WHERE full_name = ?", (repo.full_name,)
            )
            old = _row_to_repository(old_row) if old_row else None
            new = replace(
                repo,
                newest_day=old.newest_day
                if old and old.newest_day
                else (repo.newest_day or date.min),
                stars_week=old.stars_week if old and repo.status == "ok" else 0,
            )
            db.execute(
                _SAVE_REPOSITORY,
                (
                    new.full_name,
                    new.status,
                    new.current_name,
                    new.html_url,
                    new.description,
                    new.stars,
                    new.forks,
                    new.open_issues,
                    _when(new.pushed_at),
                    new.license,
                    int(new.archived),
                    new.stars_week,
                    new.etag,
                    new.newest_day,
                    _when(new.checked_at),
                    _when(new.next_check_at),
                ),
            )
            if day is not None and new.status == "ok" and new.stars is not None:
                new = replace(new, stars_week=self._snapshot(db, new.full_name, day, new.stars))
                db.execute(
                    "UPDATE repositories SET stars_week = ? WHERE full_name = ?",
                    (new.stars_week, new.full_name),
                )
            changed = _shown(old) != _shown(new)
            if changed:
                bump_data_version(db, "signals")
        return changed

    def _snapshot(self, db: Db, full_name: str, day: date, stars: int) -> int:
        """Write the day's snapshot; the stars gained since the oldest snapshot of the
        last ``VELOCITY_DAYS`` days (0 while this is the only one)."""
        db.execute(
            "INSERT INTO star_snapshots (full_name, day, stars) VALUES (?, ?, ?) "
            "ON CONFLICT (full_name, day) DO UPDATE SET stars = excluded.stars",
            (full_name, day, stars),
        )
        oldest = db.fetchone(
            "SELECT stars FROM star_snapshots WHERE full_name = ? AND day >= ? "
            "ORDER BY day LIMIT 1",
            (full_name, day - timedelta(days=VELOCITY_DAYS)),
        )
        return stars - int(oldest["stars"]) if oldest else 0

    def get_repository(self, full_name: str) -> Repository | None:
        with self.connections.reading() as db:
            row = db.fetchone("SELECT * FROM repositories WHERE full_name = ?", (full_name,))
        return _row_to_repository(row) if row else None

    def repositories_for_papers(self, paper_ids: Sequence[str]) -> dict[str, list[Repository]]:
        found: dict[str, list[Repository]] = {}
        with self.connections.reading() as db:
            for part in chunks(list(dict.fromkeys(paper_ids)), ID_CHUNK):
                marks = ", ".join("?" * len(part))
                for row in db.fetchall(
                    "SELECT pr.paper_id AS linked_from, r.* FROM paper_repositories pr "
                    "JOIN repositories r ON r.full_name = pr.full_name "
                    f"WHERE pr.paper_id IN ({marks}) ORDER BY pr.paper_id, r.full_name",
                    part,
                ):
                    found.setdefault(row["linked_from"], []).append(_row_to_repository(row))
        return found

    def star_snapshots(self, full_name: str) -> list[tuple[date, int]]:
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT day, stars FROM star_snapshots WHERE full_name = ? ORDER BY day",
                (full_name,),
            )
        return [(to_date(r["day"]), int(r["stars"])) for r in rows]

    def starred_papers(
        self, *, start: date, end: date, filters: SearchFilters | None = None
    ) -> list[tuple[str, date, int | None]]:
        listed, listed_params = listing_where(
            self.dialect, start=start, end=end, filters=filters, table="p"
        )
        submitted, submitted_params = submitted_where(
            self.dialect, start=start, end=end, filters=filters
        )
        stars = (  # a paper's most starred repository, by the links' primary key
            "(SELECT MAX(r.stars) FROM paper_repositories pr JOIN repositories r "
            "ON r.full_name = pr.full_name WHERE pr.paper_id = {paper} AND r.status = 'ok')"
        )
        sql = (  # constants only
            f"SELECT p.id AS id, p.listed_day AS day, {stars.format(paper='p.id')} AS stars "
            f"FROM papers p WHERE {listed} AND p.has_code = 1 "
            f"AND {stars.format(paper='p.id')} IS NOT NULL "
            "UNION ALL "
            f"SELECT papers.id AS id, s.submitted_day AS day, {stars.format(paper='papers.id')} "
            f"AS stars FROM {SUBMITTED_FROM} WHERE {submitted}"
        )
        with self.connections.reading() as db:
            rows = db.fetchall(sql, [*listed_params, *submitted_params])
        found: dict[str, tuple[str, date, int | None]] = {}
        for row in rows:  # a paper listed by its own day and by a submission: the later
            entry = (row["id"], to_date(row["day"]), row["stars"])
            if row["id"] not in found or entry[1] > found[row["id"]][1]:
                found[row["id"]] = entry
        return list(found.values())

    def count_repositories(self) -> dict[str, int]:
        with self.connections.reading() as db:
            rows = db.fetchall("SELECT status, COUNT(*) AS n FROM repositories GROUP BY status")
        counts = {"new": 0, "ok": 0, "gone": 0, "invalid": 0}
        counts.update({r["status"]: int(r["n"]) for r in rows})
        return counts

    # --- Hugging Face Hub -----------------------------------------------------------

    def hub_papers_due(self, *, now: datetime, limit: int) -> list[tuple[str, date | None]]:
        if limit <= 0:
            return []
        with self.connections.reading() as db:
            # The terms of the partial index papers_hub_pending, written as it is, so
            # both planners walk it backwards and stop after ``limit`` entries.
            papers = self.dialect.indexed_by("papers", "papers_hub_pending")
            rows = db.fetchall(
                f"SELECT id, listed_day FROM {papers} "  # constants only
                "WHERE hub_pending = 1 AND source = 'arxiv' AND listed_day IS NOT NULL "
                "ORDER BY listed_day DESC, id DESC LIMIT ?",
                (limit,),
            )
            if len(rows) < limit:
                rows += db.fetchall(
                    "SELECT h.paper_id AS id, p.listed_day AS listed_day FROM hub_checks h "
                    "JOIN papers p ON p.id = h.paper_id WHERE h.next_check_at <= ? "
                    "ORDER BY h.next_check_at LIMIT ?",
                    (to_utc(now), limit - len(rows)),
                )
        return [(r["id"], date_or_none(r["listed_day"])) for r in rows]

    def save_hub_links(self, paper_id: str, links: HubLinks, *, next_check_at: datetime) -> bool:
        with self.connections.writing() as db:
            if not fetch_count(db, "SELECT COUNT(*) AS n FROM papers WHERE id = ?", (paper_id,)):
                return False
            old = self._hub_links(db, [paper_id]).get(paper_id)
            db.execute("DELETE FROM hub_artifacts WHERE paper_id = ?", (paper_id,))
            self.dialect.insert_rows(
                db,
                "hub_artifacts",
                ("paper_id", "kind", "artifact_id", "position", "likes", "downloads"),
                [
                    (paper_id, a.kind, a.id, i, a.likes, a.downloads)
                    for i, a in enumerate(_unique(links.artifacts))
                ],
            )
            db.execute(
                "INSERT INTO hub_checks (paper_id, checked_at, next_check_at, models, datasets, spaces) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (paper_id) DO UPDATE SET "
                "checked_at = excluded.checked_at, next_check_at = excluded.next_check_at, "
                "models = excluded.models, datasets = excluded.datasets, spaces = excluded.spaces",
                (
                    paper_id,
                    to_utc(links.checked_at),
                    to_utc(next_check_at),
                    links.models,
                    links.datasets,
                    links.spaces,
                ),
            )
            if old is None:
                # Only a first look-up: PostgreSQL's statement trigger on papers bumps
                # the papers' data version even for an UPDATE that matches no row.
                db.execute(
                    "UPDATE papers SET hub_pending = 0 WHERE id = ? AND hub_pending = 1",
                    (paper_id,),
                )
            changed = old is None or replace(old, checked_at=links.checked_at) != replace(
                links, artifacts=tuple(_unique(links.artifacts))
            )
            if changed:
                bump_data_version(db, "signals")
        return changed

    def hub_links_for_papers(self, paper_ids: Sequence[str]) -> dict[str, HubLinks]:
        with self.connections.reading() as db:
            return self._hub_links(db, list(dict.fromkeys(paper_ids)))

    def _hub_links(self, db: Db, paper_ids: list[str]) -> dict[str, HubLinks]:
        found: dict[str, HubLinks] = {}
        for part in chunks(paper_ids, ID_CHUNK):
            marks = ", ".join("?" * len(part))
            artifacts: dict[str, list[HubArtifact]] = {}
            for row in db.fetchall(
                "SELECT paper_id, kind, artifact_id, likes, downloads FROM hub_artifacts "
                f"WHERE paper_id IN ({marks}) ORDER BY paper_id, position",
                part,
            ):
                artifacts.setdefault(row["paper_id"], []).append(
                    HubArtifact(
                        row["kind"], row["artifact_id"], int(row["likes"]), row["downloads"]
                    )
                )
            for row in db.fetchall(f"SELECT * FROM hub_checks WHERE paper_id IN ({marks})", part):
                found[row["paper_id"]] = HubLinks(
                    checked_at=to_datetime(row["checked_at"]),
                    models=int(row["models"]),
                    datasets=int(row["datasets"]),
                    spaces=int(row["spaces"]),
                    artifacts=tuple(artifacts.get(row["paper_id"], ())),
                )
        return found

    def count_hub_checked(self) -> int:
        with self.connections.reading() as db:
            return fetch_count(db, "SELECT COUNT(*) AS n FROM hub_checks")

    # --- pauses asked for by remote services ----------------------------------------

    def signal_pause(self, source: str) -> SignalPause | None:
        with self.connections.reading() as db:
            row = db.fetchone(
                "SELECT name, resume_at, reason FROM signal_sources WHERE name = ?", (source,)
            )
        resume_at = datetime_or_none(row["resume_at"]) if row else None
        if row is None or resume_at is None:
            return None
        return SignalPause(source=row["name"], resume_at=resume_at, reason=row["reason"])

    def set_signal_pause(self, source: str, resume_at: datetime | None, reason: str = "") -> None:
        with self.connections.writing() as db:
            db.execute(
                "INSERT INTO signal_sources (name, resume_at, reason) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET resume_at = excluded.resume_at, "
                "reason = excluded.reason",
                (source, _when(resume_at), reason if resume_at is not None else ""),
            )


def _unique(artifacts: Sequence[HubArtifact]) -> list[HubArtifact]:
    """Each (kind, id) once, the first kept: the Hub's pages may overlap."""
    seen: set[tuple[str, str]] = set()
    out = []
    for a in artifacts:
        if (a.kind, a.id) not in seen:
            seen.add((a.kind, a.id))
            out.append(a)
    return out
