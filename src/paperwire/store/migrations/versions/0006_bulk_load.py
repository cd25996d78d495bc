"""Bulk loads (the DDL a bulk load set aside, so a crash mid-load can restore it) and
leases (one holder at a time for jobs such as a harvest of one OAI set).

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
    # A lease is held by ``owner`` until ``expires`` (seconds since the epoch, from the
    # holder's clock): a holder that dies simply stops renewing and the lease lapses.
    op.execute(
        """
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            expires DOUBLE PRECISION NOT NULL
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE leases")
    op.execute("DROP TABLE bulk_load_saved")
