"""Bulk loads: the DDL a bulk load set aside, so a crash mid-load can restore it.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # One row per index or trigger a bulk load dropped, with the statement that made it;
    # rows exist only while a load runs (or after it crashed, until the next store write
    # path restores them).
    op.execute(
        """
        CREATE TABLE bulk_load_saved (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            ddl TEXT NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE bulk_load_saved")
