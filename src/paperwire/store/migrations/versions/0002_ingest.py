"""Harvest state: how far each OAI-PMH harvest got, so a rerun resumes.

One row per (source, set, metadata prefix). ``set_spec`` is '' for a harvest of
everything. See ``store/harvest_sql.py`` for what each column means.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _types() -> dict[str, str]:
    if op.get_bind().dialect.name == "postgresql":
        return {"ts": "TIMESTAMPTZ", "date": "DATE"}
    return {"ts": "TEXT", "date": "TEXT"}


def upgrade() -> None:
    t = _types()
    op.execute(
        f"""
        CREATE TABLE harvest_state (
            source TEXT NOT NULL,
            set_spec TEXT NOT NULL DEFAULT '',
            prefix TEXT NOT NULL,
            from_date {t['date']},
            until_date {t['date']},
            resumption_token TEXT,
            page_cursor INTEGER NOT NULL DEFAULT 0,
            complete_list_size INTEGER,
            pages_done INTEGER NOT NULL DEFAULT 0,
            records_done INTEGER NOT NULL DEFAULT 0,
            max_datestamp {t['date']},
            harvested_until {t['date']},
            started_at {t['ts']},
            updated_at {t['ts']},
            completed_at {t['ts']},
            PRIMARY KEY (source, set_spec, prefix)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE harvest_state")
