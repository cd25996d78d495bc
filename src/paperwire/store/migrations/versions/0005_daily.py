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


def downgrade() -> None:
    op.execute("DROP TABLE source_runs")
    op.execute("DROP TABLE announcement_entries")
    op.execute("DROP TABLE announcement_days")
