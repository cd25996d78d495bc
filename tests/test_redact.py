"""Credentials are masked wherever the program shows a URL it was given or an error
that quotes one: the one masking function, and the CLI that prints the database URL."""

from __future__ import annotations

import pytest

from paperwire.redact import redact_secrets
from tests.conftest import fresh_pg_database
from tests.test_cli import run


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("postgresql://paper:s3cr@t@db:5432/pw?sslmode=require", "postgresql://paper:***@db:5432/pw?sslmode=require"),
        ("postgresql+psycopg://u:p%40ss@/db?host=/run/pg", "postgresql+psycopg://u:***@/db?host=/run/pg"),
        ("https://ghp_abc123@github.com/a/b.git", "https://***@github.com/a/b.git"),
        ("GET https://x.org/q?a=1&api_key=K1&token=T2#top: 503", "GET https://x.org/q?a=1&api_key=***&token=***#top: 503"),
        ("https://s3/x?X-Amz-Signature=abc;sig=def", "https://s3/x?X-Amz-Signature=***;sig=***"),
        ("host=db user=u password=hunter2 sslpassword=x dbname=p", "host=db user=u password=*** sslpassword=*** dbname=p"),
        ("GET https://x.org/q?token=a:b:c: HTTP 401", "GET https://x.org/q?token=***: HTTP 401"),
        ("https://x.org/q?key=SECRET", "https://x.org/q?key=***"),
    ],
)
def test_redact_masks_credentials(text: str, shown: str) -> None:
    assert redact_secrets(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "sqlite:///./paperwire.db",
        "http://x/rss/cs.CV: HTTP 503",
        "mail me at user@example.org",
        "https://arxiv.org/a/user@x",  # "@" in the path is no userinfo
        "monkey=banana&keyword=cat&q=token",
    ],
)
def test_redact_leaves_text_without_secrets_alone(text: str) -> None:
    assert redact_secrets(text) == text


@pytest.mark.postgres
def test_db_upgrade_prints_the_url_without_its_password(pg_server: object) -> None:
    url = fresh_pg_database(pg_server)
    assert "postgres:@" in url  # the private server trusts local connections
    with_password = url.replace("postgres:@", "postgres:hunter2-pw@", 1)
    result = run(["db", "upgrade"], with_password)
    assert result.returncode == 0, result.stderr
    assert "hunter2-pw" not in result.stdout + result.stderr
    assert "postgres:***@" in result.stdout


def test_an_unsupported_database_url_is_named_by_its_scheme_only() -> None:
    from paperwire.store import open_store

    with pytest.raises(ValueError) as err:
        open_store("mysql://admin:hunter2@db/papers")
    assert "'mysql'" in str(err.value) and "hunter2" not in str(err.value)
