"""A signed-in reader for the web load benchmark: prints the ``Cookie`` header of a real
session, made by the site's own functions (never a forged cookie).

The account (made once, as ``paperwire users add`` makes it) votes for every third
paper and saves every fifth of the front page's first page, so the signed-in pages
carry pressed vote buttons and saved states as a real reader's do. A new session is
started on every run; its cookie is signed with the secret key of ``PAPERWIRE_DATA_DIR``
(generated there when missing), the key the server started afterwards reads.

Usage: PAPERWIRE_DATA_DIR=… python bench/web_reader.py DATABASE_URL
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from paperwire.browse.listing import newest_papers
from paperwire.community import accounts, library
from paperwire.community.votes import set_vote
from paperwire.config import Settings
from paperwire.secret import load_secret_key
from paperwire.store import open_store
from paperwire.web import auth

EMAIL = "bench-reader@example.org"
FRONT_PAGE = 50  # web/pages.py PAGE_SIZE


def main() -> None:
    url = sys.argv[1]
    settings = Settings(database_url=url)
    store = open_store(url)
    now = datetime.now(UTC)
    user = store.get_user_by_email(EMAIL) or accounts.add_user(
        store, EMAIL, now=now, name="Bench <Reader>"
    )
    papers = newest_papers(store, limit=FRONT_PAGE, with_counts=False).papers
    for i, paper in enumerate(papers):
        if i % 3 == 0:
            set_vote(store, user, paper.id, voted=True, now=now)
        if i % 5 == 0:
            library.save_paper(store, user, paper, now=now)
    session = accounts.start_session(store, user, now=now, days=settings.session_days)
    cookie = auth.cookie_value(load_secret_key(settings), session.token)
    store.close()
    print(f"Cookie: {auth.cookie_name(settings)}={cookie}")


if __name__ == "__main__":
    main()
