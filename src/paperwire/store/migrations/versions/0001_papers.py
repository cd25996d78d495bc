"""Papers, their categories and authors.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _types() -> dict[str, str]:
    if op.get_bind().dialect.name == "postgresql":
        return {"ts": "TIMESTAMPTZ", "date": "DATE", "now": "now()"}
    return {"ts": "TEXT", "date": "TEXT", "now": "CURRENT_TIMESTAMP"}


def upgrade() -> None:
    t = _types()
    op.execute(
        f"""
        CREATE TABLE papers (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL DEFAULT 'arxiv',
            version INTEGER,
            title TEXT NOT NULL,
            abstract TEXT NOT NULL DEFAULT '',
            authors TEXT NOT NULL DEFAULT '[]',
            categories TEXT NOT NULL DEFAULT '[]',
            primary_category TEXT,
            submitted {t['ts']},
            updated {t['ts']},
            announced {t['date']},
            announce_type TEXT,
            doi TEXT,
            journal_ref TEXT,
            comments TEXT,
            license TEXT,
            links TEXT NOT NULL DEFAULT '[]',
            mesh_terms TEXT NOT NULL DEFAULT '[]',
            refs TEXT NOT NULL DEFAULT '[]',
            has_code INTEGER NOT NULL DEFAULT 0,
            listed_day {t['date']},
            fingerprint TEXT NOT NULL,
            created_at {t['ts']} NOT NULL DEFAULT {t['now']},
            modified_at {t['ts']} NOT NULL DEFAULT {t['now']}
        )
        """
    )
    # The day a paper is listed under: its announcement day, else its first version's.
    op.execute("CREATE INDEX papers_listed_day ON papers (listed_day, id)")
    op.execute("CREATE INDEX papers_announced ON papers (announced)")
    op.execute("CREATE INDEX papers_submitted ON papers (submitted)")
    op.execute("CREATE INDEX papers_source ON papers (source)")
    op.execute(
        """
        CREATE TABLE paper_categories (
            paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            category TEXT NOT NULL,
            PRIMARY KEY (paper_id, category)
        )
        """
    )
    op.execute("CREATE INDEX paper_categories_category ON paper_categories (category, paper_id)")
    op.execute(
        """
        CREATE TABLE paper_authors (
            paper_id TEXT NOT NULL REFERENCES papers (id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            PRIMARY KEY (paper_id, position)
        )
        """
    )
    op.execute("CREATE INDEX paper_authors_name_key ON paper_authors (name_key, paper_id)")


def downgrade() -> None:
    op.execute("DROP TABLE paper_authors")
    op.execute("DROP TABLE paper_categories")
    op.execute("DROP TABLE papers")
