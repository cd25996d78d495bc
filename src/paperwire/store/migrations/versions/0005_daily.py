"""Daily announcements (per category and day, with each listing's entries) and the
last run of each ingestion source.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _types() -> dict[str, str]:
    if op.get_bind().dialect.name == "postgresql":
        return {"ts": "TIMESTAMPTZ", "date": "DATE"}
    return {"ts": "TEXT", "date": "TEXT"}


def upgrade() -> None:
    t = _types()
    # One row per (category, day) we fetched: 'announced' with how many entries, or
    # 'none' when arXiv's listing was empty (weekend, holiday).
    op.execute(
        f"""
        CREATE TABLE announcement_days (
            category TEXT NOT NULL,
            day {t['date']} NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('announced', 'none')),
            papers INTEGER NOT NULL DEFAULT 0,
            fetched_at {t['ts']} NOT NULL,
            PRIMARY KEY (category, day)
        )
        """
    )
    op.execute("CREATE INDEX announcement_days_day ON announcement_days (day, category)")
    # What each day's listing held, including replacements (which never move a
    # paper's own announcement day, kept in papers.announced).
    op.execute(
        f"""
        CREATE TABLE announcement_entries (
            day {t['date']} NOT NULL,
            category TEXT NOT NULL,
            paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            announce_type TEXT NOT NULL,
            version INTEGER,
            PRIMARY KEY (day, category, paper_id)
        )
        """
    )
    op.execute("CREATE INDEX announcement_entries_paper ON announcement_entries (paper_id)")
    op.execute(
        f"""
        CREATE TABLE source_runs (
            source TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            last_started {t['ts']},
            last_finished {t['ts']},
            last_success {t['ts']},
            last_failure {t['ts']},
            added INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            failed INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            runs INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    _data_version_triggers()


def _data_version_triggers() -> None:
    """Day pages show "arXiv did not announce" from ``announcement_days``: a new or
    changed day bumps the ``announcements`` data version (``0004_site.py``) so cached
    pages are revalidated. A refetch that changes nothing (only ``fetched_at``) does not."""
    op.execute("INSERT INTO data_versions (name, version) VALUES ('announcements', 0)")
    changed = "OLD.status IS DISTINCT FROM NEW.status OR OLD.papers IS DISTINCT FROM NEW.papers"
    if op.get_bind().dialect.name == "postgresql":
        # Row triggers: a statement INSERT trigger would also fire for an upsert that
        # only updated (INSERT … ON CONFLICT DO UPDATE).
        op.execute(
            "CREATE TRIGGER announcement_days_data_version AFTER INSERT OR DELETE ON announcement_days "
            "FOR EACH ROW EXECUTE FUNCTION paperwire_bump_data_version('announcements')"
        )
        op.execute(
            "CREATE TRIGGER announcement_days_data_version_update AFTER UPDATE ON announcement_days "
            f"FOR EACH ROW WHEN ({changed}) "
            "EXECUTE FUNCTION paperwire_bump_data_version('announcements')"
        )
        return
    bump = (
        "BEGIN UPDATE data_versions SET version = version + 1, changed_at = CURRENT_TIMESTAMP "
        "WHERE name = 'announcements'; END"
    )
    for event in ("INSERT", "DELETE"):
        op.execute(
            f"CREATE TRIGGER announcement_days_data_version_{event.lower()} "
            f"AFTER {event} ON announcement_days {bump}"
        )
    op.execute(
        "CREATE TRIGGER announcement_days_data_version_update AFTER UPDATE ON announcement_days "
        f"WHEN {changed.replace('IS DISTINCT FROM', 'IS NOT')} {bump}"
    )


def downgrade() -> None:
    op.execute("DELETE FROM data_versions WHERE name = 'announcements'")
    op.execute("DROP TABLE source_runs")
    op.execute("DROP TABLE announcement_entries")
    op.execute("DROP TABLE announcement_days")
