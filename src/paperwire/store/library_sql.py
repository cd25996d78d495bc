"""Each reader's library: saved papers with tags and a private note.

``library_items`` holds one row per (user, paper), its tags as a JSON list in the
order the reader gave them; ``library_tags`` holds one row per tag of an item, so a
library is filtered by tag through an index. Every write that saves or unsaves a paper
changes ``paper_stats.saves`` in the same transaction by one statement, and bumps the
``community`` data version, so counts stay exact and page caches follow. Every
statement names the user: no method reads or changes another user's rows.

Times are stored in UTC, so SQLite's ISO text sorts in time order as PostgreSQL's
``timestamptz`` does, and a page cursor (``saved_at``, ``paper_id``) compares alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from paperwire.models import LibraryItem
from paperwire.store.codec import to_datetime, to_utc
from paperwire.store.sql import ID_CHUNK, Db, Part, add_paper_stat, bump_data_version, chunks

SaveResult = Literal["created", "updated", "full"]
LibraryKey = tuple[datetime, str]  # (saved_at, paper_id) of the last item of a page


class LibraryStore(Protocol):
    """What the rest of paperwire may ask of this part of the store. Tags are handed in
    normalised (``community/library.py``): each one its own matching key."""

    def save_library_item(
        self,
        user_id: int,
        paper_id: str,
        *,
        tags: Sequence[str],
        note: str,
        now: datetime,
        max_items: int,
    ) -> SaveResult:
        """Save the paper with these tags and note, or replace the tags and note of the
        saved one. ``full``: not saved, the user already has ``max_items`` papers."""
        ...

    def add_library_items(
        self, user_id: int, paper_ids: Sequence[str], *, now: datetime, max_items: int
    ) -> list[str]:
        """Save the papers not saved yet, without tags or note, in one transaction, up
        to ``max_items`` in the library; the ids it saved, in the order given. Papers
        already saved keep their tags and note."""
        ...

    def remove_library_item(self, user_id: int, paper_id: str, *, now: datetime) -> bool:
        """Unsave; False when the paper was not in the user's library."""
        ...

    def library_item(self, user_id: int, paper_id: str) -> LibraryItem | None: ...

    def library_items(
        self,
        user_id: int,
        *,
        tag: str | None = None,
        after: LibraryKey | None = None,
        limit: int = 50,
    ) -> list[LibraryItem]:
        """The user's saved papers, last saved first (then paper id descending),
        strictly after ``after``; only those tagged ``tag`` when given."""
        ...

    def count_library_items(self, user_id: int) -> int: ...

    def library_holds(self, user_id: int, paper_ids: Sequence[str]) -> set[str]:
        """Which of these papers the user's library holds."""
        ...

    def library_tag_counts(self, user_id: int) -> dict[str, int]:
        """Each tag of the user's library with its number of papers, most first."""
        ...


def _item(row: dict[str, Any]) -> LibraryItem:
    return LibraryItem(
        paper_id=row["paper_id"],
        tags=tuple(json.loads(row["tags"])),
        note=row["note"],
        saved_at=to_datetime(row["saved_at"]).astimezone(UTC),
        updated_at=to_datetime(row["updated_at"]).astimezone(UTC),
    )


def _count(db: Db, user_id: int) -> int:
    row = db.fetchone("SELECT COUNT(*) AS n FROM library_items WHERE user_id = ?", (user_id,))
    return int(row["n"]) if row else 0


def _write_tags(db: Db, user_id: int, paper_id: str, tags: Sequence[str]) -> None:
    db.execute("DELETE FROM library_tags WHERE user_id = ? AND paper_id = ?", (user_id, paper_id))
    rows = [(user_id, paper_id, tag) for tag in dict.fromkeys(tags)]
    if rows:
        db.executemany(
            "INSERT INTO library_tags (user_id, paper_id, tag_key) VALUES (?, ?, ?)", rows
        )


class Library(Part):
    """Libraries, written once for both backends."""

    def save_library_item(
        self,
        user_id: int,
        paper_id: str,
        *,
        tags: Sequence[str],
        note: str,
        now: datetime,
        max_items: int,
    ) -> SaveResult:
        at = to_utc(now)
        tags_json = json.dumps(list(tags), ensure_ascii=False)
        with self.connections.writing() as db:
            result = self._save(db, user_id, paper_id, tags_json, note, at, max_items)
            if result != "full":
                _write_tags(db, user_id, paper_id, tags)
                bump_data_version(db, "community")
        return result

    @staticmethod
    def _save(
        db: Db, user_id: int, paper_id: str, tags_json: str, note: str, at: datetime, max_items: int
    ) -> SaveResult:
        # An update, else an insert that does nothing on conflict: when a concurrent
        # save inserted the row in between (PostgreSQL), the update runs again and
        # finds it, so the paper is saved, and counted, once.
        for _ in range(2):
            if db.fetchall(
                "UPDATE library_items SET tags = ?, note = ?, updated_at = ? "
                "WHERE user_id = ? AND paper_id = ? RETURNING paper_id",
                (tags_json, note, at, user_id, paper_id),
            ):
                return "updated"
            if _count(db, user_id) >= max_items:
                return "full"
            if db.fetchall(
                "INSERT INTO library_items (user_id, paper_id, tags, note, saved_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id, paper_id) DO NOTHING "
                "RETURNING paper_id",
                (user_id, paper_id, tags_json, note, at, at),
            ):
                add_paper_stat(db, paper_id, "saves", 1)
                return "created"
        raise RuntimeError("a library item was saved and removed concurrently; try again")

    def add_library_items(
        self, user_id: int, paper_ids: Sequence[str], *, now: datetime, max_items: int
    ) -> list[str]:
        at = to_utc(now)
        wanted = list(dict.fromkeys(paper_ids))
        added: set[str] = set()
        with self.connections.writing() as db:
            room = max_items - _count(db, user_id)
            for part in chunks(wanted, ID_CHUNK // 2):
                if room <= 0:
                    break
                marks = ", ".join("?" * len(part))
                held = {
                    r["paper_id"]
                    for r in db.fetchall(
                        f"SELECT paper_id FROM library_items WHERE user_id = ? AND paper_id IN ({marks})",
                        [user_id, *part],
                    )
                }
                new = [p for p in part if p not in held][: max(room, 0)]
                if not new:
                    continue
                values = ", ".join("(?, ?, '[]', '', ?, ?)" for _ in new)
                rows = db.fetchall(
                    "INSERT INTO library_items (user_id, paper_id, tags, note, saved_at, updated_at) "
                    f"VALUES {values} ON CONFLICT (user_id, paper_id) DO NOTHING RETURNING paper_id",
                    [v for p in new for v in (user_id, p, at, at)],
                )
                fresh = sorted(r["paper_id"] for r in rows)  # one lock order for every writer
                for paper_id in fresh:
                    add_paper_stat(db, paper_id, "saves", 1)
                added.update(fresh)
                room -= len(fresh)
            if added:
                bump_data_version(db, "community")
        return [p for p in wanted if p in added]

    def remove_library_item(self, user_id: int, paper_id: str, *, now: datetime) -> bool:
        with self.connections.writing() as db:
            gone = db.fetchall(
                "DELETE FROM library_items WHERE user_id = ? AND paper_id = ? RETURNING paper_id",
                (user_id, paper_id),
            )
            if not gone:
                return False
            add_paper_stat(db, paper_id, "saves", -1)
            bump_data_version(db, "community")
        return True

    def library_item(self, user_id: int, paper_id: str) -> LibraryItem | None:
        with self.connections.reading() as db:
            row = db.fetchone(
                "SELECT * FROM library_items WHERE user_id = ? AND paper_id = ?",
                (user_id, paper_id),
            )
        return _item(row) if row else None

    def library_items(
        self,
        user_id: int,
        *,
        tag: str | None = None,
        after: LibraryKey | None = None,
        limit: int = 50,
    ) -> list[LibraryItem]:
        clauses = ["li.user_id = ?"]
        params: list[Any] = [user_id]
        if tag is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM library_tags t WHERE t.user_id = li.user_id "
                "AND t.tag_key = ? AND t.paper_id = li.paper_id)"
            )
            params.append(tag)
        if after is not None:
            clauses.append("(li.saved_at, li.paper_id) < (?, ?)")
            params += [to_utc(after[0]), after[1]]
        with self.connections.reading() as db:
            rows = db.fetchall(
                f"SELECT li.* FROM library_items li WHERE {' AND '.join(clauses)} "
                "ORDER BY li.saved_at DESC, li.paper_id DESC LIMIT ?",
                [*params, limit],
            )
        return [_item(r) for r in rows]

    def count_library_items(self, user_id: int) -> int:
        with self.connections.reading() as db:
            return _count(db, user_id)

    def library_holds(self, user_id: int, paper_ids: Sequence[str]) -> set[str]:
        held: set[str] = set()
        with self.connections.reading() as db:
            for part in chunks(sorted(set(paper_ids)), ID_CHUNK):
                marks = ", ".join("?" * len(part))
                rows = db.fetchall(
                    f"SELECT paper_id FROM library_items WHERE user_id = ? AND paper_id IN ({marks})",
                    [user_id, *part],
                )
                held.update(r["paper_id"] for r in rows)
        return held

    def library_tag_counts(self, user_id: int) -> dict[str, int]:
        with self.connections.reading() as db:
            rows = db.fetchall(
                "SELECT tag_key, COUNT(*) AS n FROM library_tags WHERE user_id = ? "
                "GROUP BY tag_key ORDER BY n DESC, tag_key",
                (user_id,),
            )
        return {r["tag_key"]: int(r["n"]) for r in rows}
