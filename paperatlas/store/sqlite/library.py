"""A person's library in SQLite: stars, tags, notes and reading lists (tables of ``m004_library``,
owned per user since ``m014_users``).

``SQLiteLibrary(db, user_id)`` sees and changes only that user's rows (0: the catalog's owner);
another user's reading list is "not found". Every change is one transaction and first checks that
the paper exists, so a typo never stars a ghost. Inside a writer transaction (a library import)
the changes join it.
"""

from __future__ import annotations

from typing import Any

from ...errors import NotFound
from .connection import Database, in_chunks
from .papers import NOT_FOUND_HINT

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ','now')"


class SQLiteLibrary:
    """``store.protocol.LibraryStore`` over SQLite."""

    def __init__(self, db: Database, user_id: int = 0) -> None:
        self.db = db
        self.user_id = user_id

    def _require_paper(self, paper_id: str) -> None:
        if self.db.one("SELECT 1 FROM papers WHERE id = ?", (paper_id,)) is None:
            raise NotFound(f"no paper with id {paper_id!r}", hint=NOT_FOUND_HINT)

    def _require_list(self, list_id: int) -> None:
        if self.db.one("SELECT 1 FROM lists WHERE id = ? AND user_id = ?", (list_id, self.user_id)) is None:
            raise NotFound(f"no reading list with id {list_id}", hint="`paperatlas list show` lists them")

    def _change(self, paper_id: str, sql: str, args: tuple[object, ...]) -> bool:
        """One statement about an existing paper in its own transaction; True if a row changed."""
        with self.db.transaction() as conn:
            self._require_paper(paper_id)
            return conn.execute(sql, args).rowcount > 0

    # -- stars, tags, notes -------------------------------------------------------------------
    def star(self, paper_id: str, at: str | None = None) -> bool:
        sql = "INSERT OR IGNORE INTO stars (user_id, paper_id, created_at) VALUES (?, ?, coalesce(?, " + NOW + "))"
        return self._change(paper_id, sql, (self.user_id, paper_id, at))

    def unstar(self, paper_id: str) -> bool:
        return self._change(paper_id, "DELETE FROM stars WHERE user_id = ? AND paper_id = ?", (self.user_id, paper_id))

    def starred_ids(self) -> list[str]:
        """Newest star first."""
        sql = "SELECT paper_id FROM stars WHERE user_id = ? ORDER BY created_at DESC, rowid DESC"
        return [r[0] for r in self.db.execute(sql, (self.user_id,))]

    def add_tag(self, paper_id: str, tag: str, at: str | None = None) -> bool:
        sql = "INSERT OR IGNORE INTO tags (user_id, paper_id, tag, created_at) VALUES (?, ?, ?, coalesce(?, " + NOW + "))"
        return self._change(paper_id, sql, (self.user_id, paper_id, tag, at))

    def remove_tag(self, paper_id: str, tag: str) -> bool:
        sql = "DELETE FROM tags WHERE user_id = ? AND paper_id = ? AND tag = ?"
        return self._change(paper_id, sql, (self.user_id, paper_id, tag))

    def tag_counts(self) -> list[tuple[str, int]]:
        rows = self.db.execute("SELECT tag, count(*) FROM tags WHERE user_id = ? GROUP BY tag ORDER BY tag", (self.user_id,))
        return [(t, n) for t, n in rows]

    def tagged_ids(self, tag: str) -> list[str]:
        sql = "SELECT paper_id FROM tags WHERE user_id = ? AND tag = ? ORDER BY created_at, rowid"
        rows = self.db.execute(sql, (self.user_id, tag))
        return [r[0] for r in rows]

    def set_note(self, paper_id: str, body: str, at: str | None = None) -> bool:
        sql = (
            "INSERT INTO notes (user_id, paper_id, body, updated_at) VALUES (?, ?, ?, coalesce(?, " + NOW + "))"
            " ON CONFLICT(user_id, paper_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at"
        )
        return self._change(paper_id, sql, (self.user_id, paper_id, body, at))

    def delete_note(self, paper_id: str) -> bool:
        return self._change(paper_id, "DELETE FROM notes WHERE user_id = ? AND paper_id = ?", (self.user_id, paper_id))

    def notes(self) -> list[tuple[str, str, str]]:
        """(paper_id, body, updated_at), most recently edited first."""
        sql = "SELECT paper_id, body, updated_at FROM notes WHERE user_id = ? ORDER BY updated_at DESC, paper_id"
        return list(self.db.execute(sql, (self.user_id,)))

    # -- reading lists --------------------------------------------------------------------------
    def list_id_by_name(self, name: str) -> int | None:
        value = self.db.one("SELECT id FROM lists WHERE user_id = ? AND name = ?", (self.user_id, name))
        return None if value is None else int(value)

    def create_list(self, name: str, at: str | None = None) -> int | None:
        """The new list's id, or None when the name is taken."""
        with self.db.transaction() as conn:
            if self.list_id_by_name(name) is not None:
                return None
            cur = conn.execute("INSERT INTO lists (user_id, name, created_at) VALUES (?, ?, coalesce(?, " + NOW + "))",
                               (self.user_id, name, at))
            return int(cur.lastrowid or 0)

    def rename_list(self, list_id: int, name: str) -> bool:
        """False when another list has that name."""
        with self.db.transaction() as conn:
            self._require_list(list_id)
            if self.list_id_by_name(name) not in (None, list_id):
                return False
            conn.execute("UPDATE lists SET name = ? WHERE id = ?", (name, list_id))
            return True

    def delete_list(self, list_id: int) -> None:
        with self.db.transaction() as conn:
            self._require_list(list_id)
            conn.execute("DELETE FROM list_items WHERE list_id = ?", (list_id,))
            conn.execute("DELETE FROM lists WHERE id = ?", (list_id,))

    def add_to_list(self, list_id: int, paper_id: str, at: str | None = None) -> bool:
        with self.db.transaction() as conn:
            self._require_list(list_id)
            self._require_paper(paper_id)
            cur = conn.execute(
                "INSERT OR IGNORE INTO list_items (list_id, paper_id, position, added_at)"
                " SELECT ?, ?, coalesce(max(position), 0) + 1, coalesce(?, " + NOW + ") FROM list_items WHERE list_id = ?",
                (list_id, paper_id, at, list_id),
            )
            return cur.rowcount > 0

    def remove_from_list(self, list_id: int, paper_id: str) -> bool:
        with self.db.transaction() as conn:
            self._require_list(list_id)
            cur = conn.execute("DELETE FROM list_items WHERE list_id = ? AND paper_id = ?", (list_id, paper_id))
            return cur.rowcount > 0

    def lists(self) -> list[tuple[int, str, str]]:
        """(id, name, created_at) of every list, by name."""
        sql = "SELECT id, name, created_at FROM lists WHERE user_id = ? ORDER BY name COLLATE NOCASE, id"
        return list(self.db.execute(sql, (self.user_id,)))

    def list_items(self, list_id: int) -> list[str]:
        """The papers of one of this user's lists (none for another user's list)."""
        rows = self.db.execute("SELECT i.paper_id FROM list_items i JOIN lists l ON l.id = i.list_id"
                               " WHERE i.list_id = ? AND l.user_id = ? ORDER BY i.position", (list_id, self.user_id))
        return [r[0] for r in rows]

    def all_list_items(self) -> dict[int, list[tuple[str, str]]]:
        """list id -> [(paper id, added at)] in list order."""
        out: dict[int, list[tuple[str, str]]] = {}
        for list_id, paper_id, added in self.db.execute(
            "SELECT i.list_id, i.paper_id, i.added_at FROM list_items i JOIN lists l ON l.id = i.list_id"
            " WHERE l.user_id = ? ORDER BY i.list_id, i.position", (self.user_id,)
        ):
            out.setdefault(int(list_id), []).append((paper_id, added))
        return out

    # -- feedback on recommendations, per profile --------------------------------------------
    def set_feedback(self, profile: str, paper_id: str, kind: str | None) -> bool:
        """Say (``kind``, e.g. 'not_interested') or take back (None) something about a paper for
        one profile; True if anything changed."""
        if kind is None:
            with self.db.transaction() as conn:
                return conn.execute("DELETE FROM profile_feedback WHERE user_id = ? AND profile = ? AND paper_id = ?",
                                    (self.user_id, profile, paper_id)).rowcount > 0
        sql = ("INSERT INTO profile_feedback (user_id, profile, paper_id, kind, created_at) VALUES (?, ?, ?, ?, " + NOW + ")"
               " ON CONFLICT(user_id, profile, paper_id) DO UPDATE SET kind = excluded.kind")
        return self._change(paper_id, sql, (self.user_id, profile, paper_id, kind))

    def feedback(self, profile: str) -> dict[str, str]:
        """paper id -> what was said about it for this profile."""
        sql = "SELECT paper_id, kind FROM profile_feedback WHERE user_id = ? AND profile = ?"
        return dict(self.db.execute(sql, (self.user_id, profile)).fetchall())

    def starred_at(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT paper_id, created_at FROM stars WHERE user_id = ?", (self.user_id,)).fetchall())

    def tagged_at(self, tag: str) -> dict[str, str]:
        sql = "SELECT paper_id, created_at FROM tags WHERE user_id = ? AND tag = ?"
        return dict(self.db.execute(sql, (self.user_id, tag)).fetchall())

    def listed_at(self, list_id: int) -> dict[str, str]:
        sql = ("SELECT i.paper_id, i.added_at FROM list_items i JOIN lists l ON l.id = i.list_id"
               " WHERE i.list_id = ? AND l.user_id = ?")
        return dict(self.db.execute(sql, (list_id, self.user_id)).fetchall())

    # -- many papers at once (one query per table, never one per paper) -------------------------
    def states(self, paper_ids: list[str]) -> dict[str, dict[str, Any]]:
        """paper id -> {"starred", "tags", "note", "lists"} for each id given."""
        out: dict[str, dict[str, Any]] = {p: {"starred": False, "tags": [], "note": "", "lists": []} for p in paper_ids}
        user = self.user_id
        for chunk, marks in in_chunks(paper_ids):
            args = (user, *chunk)
            for (pid,) in self.db.execute(f"SELECT paper_id FROM stars WHERE user_id = ? AND paper_id IN ({marks})", args):
                out[pid]["starred"] = True
            sql = f"SELECT paper_id, tag FROM tags WHERE user_id = ? AND paper_id IN ({marks}) ORDER BY tag"
            for pid, tag in self.db.execute(sql, args):
                out[pid]["tags"].append(tag)
            for pid, body in self.db.execute(f"SELECT paper_id, body FROM notes WHERE user_id = ? AND paper_id IN ({marks})",
                                             args):
                out[pid]["note"] = body
            sql = (f"SELECT i.paper_id, i.list_id FROM list_items i JOIN lists l ON l.id = i.list_id"
                   f" WHERE l.user_id = ? AND i.paper_id IN ({marks}) ORDER BY i.list_id")
            rows = self.db.execute(sql, args)
            for pid, list_id in rows:
                out[pid]["lists"].append(int(list_id))
        return out

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every library row, for an export: stars (paper, at), tags (paper, tag, at), notes
        (paper, body, at), lists (id, name, at), items (list id, paper, position, at)."""
        def q(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in self.db.execute(sql, (self.user_id,))]

        return {
            "stars": q("SELECT paper_id, created_at FROM stars WHERE user_id = ? ORDER BY created_at, rowid"),
            "tags": q("SELECT paper_id, tag, created_at FROM tags WHERE user_id = ? ORDER BY created_at, rowid"),
            "notes": q("SELECT paper_id, body, updated_at FROM notes WHERE user_id = ? ORDER BY paper_id"),
            "lists": q("SELECT id, name, created_at FROM lists WHERE user_id = ? ORDER BY id"),
            "items": q("SELECT i.list_id, i.paper_id, i.position, i.added_at FROM list_items i"
                       " JOIN lists l ON l.id = i.list_id WHERE l.user_id = ? ORDER BY i.list_id, i.position"),
            "feedback": q("SELECT profile, paper_id, kind, created_at FROM profile_feedback WHERE user_id = ?"
                          " ORDER BY created_at, rowid"),
        }
