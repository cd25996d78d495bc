"""A snapshot into an empty database is a bulk load: secondary indexes and the insert
trigger are set aside and rebuilt at the end, the keyword index is filled as rows go
in. These tests check that what a bulk load leaves is what upserts leave, and that a
load killed midway is restored."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paperwire.ingest.snapshot import import_snapshot
from paperwire.ingest.snapshot_convert import convert_lines
from paperwire.models import SearchFilters, UpsertCounts
from paperwire.search.keyword import keyword_search
from paperwire.search.query import parse_query
from paperwire.store import Store, open_store
from paperwire.store.codec import PAPER_COLUMNS
from tests.conftest import fresh_pg_database, migrated_sqlite

from .test_snapshot import record, write_lines

_SCHEMA_OBJECTS = {
    "sqlite": "SELECT type AS kind, name FROM sqlite_master "
    "WHERE type IN ('index', 'trigger') AND sql IS NOT NULL",
    "postgresql": "SELECT 'index' AS kind, indexname AS name FROM pg_indexes "
    "WHERE schemaname = current_schema() UNION ALL "
    "SELECT 'trigger', tgname FROM pg_trigger WHERE NOT tgisinternal",
}


def schema_objects(store: Store) -> set[tuple[str, str]]:
    """Named indexes and triggers of the database."""
    with store._reading() as db:  # type: ignore[attr-defined]
        rows = db.fetchall(_SCHEMA_OBJECTS[store.dialect])
    return {(row["kind"], row["name"]) for row in rows}


def lines_for(n: int, **kw: object) -> list[str]:
    return [json.dumps(record(i, **kw)) for i in range(1, n + 1)]


def test_bulk_load_leaves_indexes_triggers_and_search_as_upserts_do(
    store: Store, tmp_path: Path
) -> None:
    before = schema_objects(store)
    version = store.data_version().version
    lines = [
        json.dumps(record(i, title=f"Quokka census {i}" if i == 17 else f"Paper number {i}"))
        for i in range(1, 24)
    ]
    path = write_lines(tmp_path / "snap.jsonl", lines)
    report = import_snapshot(store, path, batch_size=5, chunk_bytes=1500, workers=0)
    assert report.ok and report.counts == UpsertCounts(added=23)
    assert schema_objects(store) == before  # everything set aside came back
    assert store.restore_bulk_load() == 0  # nothing left set aside
    assert store.data_version().version > version  # pages cached before are stale
    assert store.keyword_backlog() == 0
    assert [h.paper_id for h in keyword_search(store, parse_query("quokka"), limit=5)] == [
        "2101.00017"
    ]
    # authors are indexed too, with the text the update trigger will present on change
    assert len(keyword_search(store, parse_query("turing"), limit=50)) == 23
    assert store.count_listed(filters=SearchFilters(categories=("stat.ML",))) == 23
    assert store.count_listed(filters=SearchFilters(author="alan turing")) == 23
    explain = "EXPLAIN QUERY PLAN" if store.dialect == "sqlite" else "EXPLAIN (COSTS OFF)"
    with store._reading() as db:  # type: ignore[attr-defined]
        if store.dialect == "postgresql":
            db.execute("SET enable_seqscan = off")  # 23 rows: the planner would scan
        plan = db.fetchall(
            f"{explain} SELECT paper_id FROM paper_authors WHERE name_key = 'alan turing'"
        )
    assert "paper_authors_name_key" in " ".join(str(list(row.values())[-1]) for row in plan)


def test_changing_a_bulk_loaded_paper_leaves_no_stale_keyword_entries(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "snap.jsonl", lines_for(8))
    assert import_snapshot(sqlite_store, path, workers=0).counts == UpsertCounts(added=8)
    changed = record(
        3,
        title="Wombat burrows",
        authors_parsed=[["Hopper", "Grace", ""]],
        versions=[
            {"version": "v1", "created": "Fri, 1 Jan 2021 10:00:00 GMT"},
            {"version": "v2", "created": "Mon, 1 Feb 2021 10:00:00 GMT"},
        ],
    )
    write_lines(path, [json.dumps(changed)])
    assert import_snapshot(sqlite_store, path, workers=0).counts == UpsertCounts(updated=1)
    # the trigger removed exactly the tokens the bulk load indexed (title and authors)
    assert keyword_search(sqlite_store, parse_query('"Paper number 3"'), limit=5) == []
    assert len(keyword_search(sqlite_store, parse_query("turing"), limit=50)) == 7
    assert [h.paper_id for h in keyword_search(sqlite_store, parse_query("wombat hopper"), limit=5)] == [
        "2101.00003"
    ]


def test_a_repeated_id_falls_back_to_upserts_and_the_last_record_wins(
    store: Store, tmp_path: Path
) -> None:
    lines = lines_for(9)
    again = record(2, title="Paper number 2, platypus", authors_parsed=[["Hopper", "Grace", ""]])
    path = write_lines(tmp_path / "snap.jsonl", [*lines, json.dumps(again)])
    # small chunks: the repeat arrives in a later batch, after the first was inserted
    report = import_snapshot(store, path, batch_size=3, chunk_bytes=900, workers=0)
    assert report.counts.added == 9 and report.counts.failed == 0
    assert store.count_papers() == 9
    got = store.get_paper("2101.00002")
    assert got is not None and got.title == "Paper number 2, platypus"
    assert [a.name for a in got.authors] == ["Grace Hopper"]
    assert store.count_listed(filters=SearchFilters(author="grace hopper")) == 1
    assert store.keyword_backlog() == 0
    assert [h.paper_id for h in keyword_search(store, parse_query("platypus"), limit=5)] == [
        "2101.00002"
    ]


V1 = {"version": "v1", "created": "Fri, 1 Jan 2021 10:00:00 GMT"}
V2 = {"version": "v2", "created": "Mon, 1 Feb 2021 10:00:00 GMT"}


@pytest.mark.parametrize(
    ("first", "last", "kept", "counted"),
    [
        ([V1], [V1], "wombat", UpsertCounts(added=1019, updated=1)),  # the last record wins
        ([V1, V2], [V1], "first record", UpsertCounts(added=1019, unchanged=1)),  # never older
        ([V1], [V1, V2], "wombat", UpsertCounts(added=1019, updated=1)),
    ],
    ids=["same-version", "older-last", "newer-last"],
)
def test_a_repeated_id_ends_as_in_a_sequential_load_when_a_later_batch_is_written_first(
    store: Store,
    tmp_path: Path,
    first: list[dict[str, str]],
    last: list[dict[str, str]],
    kept: str,
    counted: UpsertCounts,
) -> None:
    # A PostgreSQL bulk load writes two batches at once. The second, small, stores the
    # repeated id while the first, long, is still on its way there: the first then
    # meets it and falls back to upserts, and paper and counts must still come out as
    # a load writing one batch after the other leaves them (SQLite does just that).
    text = " ".join(f"word{w}" for w in range(150))
    lines = [json.dumps(record(i, abstract=text)) for i in range(1, 1001)]
    lines[-1] = json.dumps(record(1000, title="Paper number 1000, first record", versions=first))
    lines += [json.dumps(record(i)) for i in range(1001, 1020)]
    lines.append(json.dumps(record(1000, title="Paper number 1000, wombat", versions=last)))
    path = write_lines(tmp_path / "snap.jsonl", lines)
    report = import_snapshot(store, path, batch_size=1000, chunk_bytes=4096, workers=0)
    assert report.counts == counted
    got = store.get_paper("2101.01000")
    assert got is not None and got.title == f"Paper number 1000, {kept}"
    assert [h.paper_id for h in keyword_search(store, parse_query(kept), limit=5)] == [
        "2101.01000"
    ]
    assert store.count_papers() == 1019
    assert store.count_listed(filters=SearchFilters(author="alan turing")) == 1019


def test_a_load_killed_midway_is_restored_by_the_next_store_that_asks(database_url: str) -> None:
    before = schema_objects(open_store(database_url))
    # the loading process dies after setting the indexes aside: end_bulk_load never runs
    subprocess.run(
        [sys.executable, "-c", "import sys; from paperwire.store import open_store; "
         "sys.exit(0 if open_store(sys.argv[1]).begin_bulk_load() else 3)", database_url],
        check=True,
    )
    reopened = open_store(database_url)
    try:
        dropped = before - schema_objects(reopened)
        assert ("index", "papers_listed_day") in dropped
        if reopened.dialect == "sqlite":  # per-row insert trigger; PostgreSQL's are per statement
            assert ("trigger", "papers_data_version_insert") in dropped
        else:  # the keyword index (GIN) is rebuilt too, not the primary keys
            assert ("index", "papers_search_tsv") in dropped
            assert not {name for _, name in dropped if name.endswith("_pkey")}
        assert reopened.restore_bulk_load() == len(dropped)  # its holder is gone
        assert schema_objects(reopened) == before
        assert reopened.restore_bulk_load() == 0  # idempotent
        assert reopened.begin_bulk_load() is True  # the dead load's lease is taken over
        reopened.end_bulk_load()
    finally:
        reopened.close()


def test_a_second_store_neither_starts_a_bulk_load_nor_restores_a_running_one(
    database_url: str, tmp_path: Path
) -> None:
    loading, other = open_store(database_url), open_store(database_url)
    try:
        before = schema_objects(loading)
        assert loading.begin_bulk_load() is True
        set_aside = before - schema_objects(loading)
        assert set_aside
        assert other.begin_bulk_load() is False  # one load at a time
        assert other.restore_bulk_load() == 0  # not leftovers: their load is running
        assert before - schema_objects(other) == set_aside
        path = write_lines(tmp_path / "snap.jsonl", lines_for(3))
        assert import_snapshot(other, path, workers=0).counts == UpsertCounts(added=3)
        assert before - schema_objects(other) == set_aside  # still the running load's
        loading.end_bulk_load()
        assert schema_objects(other) == before
        assert other.get_paper("2101.00002") is not None
    finally:
        loading.close()
        other.close()


def test_a_database_with_papers_is_never_bulk_loaded(store: Store, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "snap.jsonl", lines_for(3))
    import_snapshot(store, path, workers=0)
    assert store.begin_bulk_load() is False
    assert store.restore_bulk_load() == 0


@pytest.mark.parametrize("workers", [0, 1])
def test_converter_processes_and_in_process_load_the_same(
    store: Store, tmp_path: Path, workers: int
) -> None:
    path = write_lines(tmp_path / "snap.jsonl", [*lines_for(12), "{broken"])
    report = import_snapshot(store, path, batch_size=4, chunk_bytes=1200, workers=workers)
    assert report.counts == UpsertCounts(added=12, failed=1)
    assert [e.split(": ")[0] for e in report.errors] == [f"{path}:13"]
    got = store.get_paper("2101.00005")
    assert got is not None and [a.name for a in got.authors] == ["Ada Lovelace", "Alan Turing"]
    assert got.has_code  # the code link in the comments survived the trip between processes


def table_rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    with store._reading() as db:  # type: ignore[attr-defined]
        return [tuple(row.values()) for row in db.fetchall(sql)]


def empty_database_like(store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """Another migrated, empty database on the backend of ``store``."""
    if store.dialect == "postgresql":
        return fresh_pg_database(request.getfixturevalue("pg_server"))
    return migrated_sqlite(tmp_path, "other.db")


_PAPER_ROWS = (
    f"SELECT {', '.join(PAPER_COLUMNS)} FROM papers ORDER BY id",  # not the clocks
    "SELECT * FROM paper_categories ORDER BY paper_id, position",
    "SELECT * FROM paper_authors ORDER BY paper_id, position",
)


def test_bulk_rows_are_stored_exactly_as_upserts_store_them(
    store: Store, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Bulk rows carry dates as ready ISO text (no adapter call when bound): the text
    # must be what the adapters write for the upsert path, or a listing day, a date
    # filter or the next rerun's comparison would differ between the two paths.
    lines = [
        *lines_for(5),
        json.dumps(record(6, versions=[
            {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
            {"version": "v3", "created": "Tue, 3 Apr 2007 01:02:03 GMT"},
        ], categories="math.PR math.PR cs.IT")),
    ]
    path = write_lines(tmp_path / "snap.jsonl", lines)
    assert import_snapshot(store, path, workers=0).counts == UpsertCounts(added=6)

    upserted = open_store(empty_database_like(store, tmp_path, request))
    try:
        papers, errors = convert_lines(str(path), 1, path.read_bytes().splitlines())
        assert errors == []
        assert upserted.upsert_papers(papers) == UpsertCounts(added=6)
        keyword = ("SELECT id, search_tsv::text FROM papers ORDER BY id",)
        for sql in _PAPER_ROWS + (keyword if store.dialect == "postgresql" else ()):
            assert table_rows(store, sql) == table_rows(upserted, sql)
    finally:
        upserted.close()
    got = store.get_paper("2101.00006")
    assert got is not None and got.submitted is not None and got.updated is not None
    assert (got.submitted.isoformat(), got.updated.isoformat()) == (
        "2007-04-02T19:18:42+00:00", "2007-04-03T01:02:03+00:00"
    )
    # the rerun compares fingerprints: nothing changed
    assert import_snapshot(store, path, workers=0).counts == UpsertCounts(unchanged=6)


def journal_mode(store: Store) -> str:
    return str(store.connections.writer.execute("PRAGMA journal_mode").fetchone()[0])  # type: ignore[attr-defined]


def test_a_bulk_load_writes_through_a_rollback_journal_and_returns_to_wal(
    sqlite_store: Store, tmp_path: Path
) -> None:
    assert journal_mode(sqlite_store) == "wal"
    assert sqlite_store.begin_bulk_load() is True
    assert journal_mode(sqlite_store) == "delete"  # pages written once, not twice
    sqlite_store.end_bulk_load()
    assert journal_mode(sqlite_store) == "wal"
    path = write_lines(tmp_path / "snap.jsonl", lines_for(4))
    assert import_snapshot(sqlite_store, path, workers=0).counts == UpsertCounts(added=4)
    assert journal_mode(sqlite_store) == "wal"
    # foreign keys, off around each bulk transaction, are on again for what follows
    assert sqlite_store.connections.writer.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # type: ignore[attr-defined]


def test_a_bulk_load_stays_in_wal_while_another_connection_reads(
    sqlite_url: str, tmp_path: Path
) -> None:
    reader = open_store(sqlite_url)
    loader = open_store(sqlite_url)
    try:
        assert reader.count_papers() == 0  # holds a connection to the file
        path = write_lines(tmp_path / "snap.jsonl", lines_for(6))
        assert loader.begin_bulk_load() is True
        assert journal_mode(loader) == "wal"  # SQLite refuses the switch; the load goes on
        loader.end_bulk_load()
        assert import_snapshot(loader, path, workers=0).counts == UpsertCounts(added=6)
        assert reader.count_papers() == 6  # the reader sees the load, in WAL throughout
        assert journal_mode(loader) == "wal"
    finally:
        loader.close()
        reader.close()
