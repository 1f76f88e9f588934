"""A person's library in SQLite: stars, tags, notes and reading lists (tables of ``m004_library``).

Every change is one transaction and first checks that the paper exists, so a typo never stars a
ghost. Inside a writer transaction (a library import) the changes join it.
"""

from __future__ import annotations

from typing import Any

from ...errors import NotFound
from .connection import Database, in_chunks
from .papers import NOT_FOUND_HINT

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ','now')"


class SQLiteLibrary:
    """``store.protocol.LibraryStore`` over SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _require_paper(self, paper_id: str) -> None:
        if self.db.one("SELECT 1 FROM papers WHERE id = ?", (paper_id,)) is None:
            raise NotFound(f"no paper with id {paper_id!r}", hint=NOT_FOUND_HINT)

    def _require_list(self, list_id: int) -> None:
        if self.db.one("SELECT 1 FROM lists WHERE id = ?", (list_id,)) is None:
            raise NotFound(f"no reading list with id {list_id}", hint="`paperatlas list show` lists them")

    def _change(self, paper_id: str, sql: str, args: tuple[object, ...]) -> bool:
        """One statement about an existing paper in its own transaction; True if a row changed."""
        with self.db.transaction() as conn:
            self._require_paper(paper_id)
            return conn.execute(sql, args).rowcount > 0

    # -- stars, tags, notes -------------------------------------------------------------------
    def star(self, paper_id: str, at: str | None = None) -> bool:
        sql = "INSERT OR IGNORE INTO stars (paper_id, created_at) VALUES (?, coalesce(?, " + NOW + "))"
        return self._change(paper_id, sql, (paper_id, at))

    def unstar(self, paper_id: str) -> bool:
        return self._change(paper_id, "DELETE FROM stars WHERE paper_id = ?", (paper_id,))

    def starred_ids(self) -> list[str]:
        """Newest star first."""
        return [r[0] for r in self.db.execute("SELECT paper_id FROM stars ORDER BY created_at DESC, rowid DESC")]

    def add_tag(self, paper_id: str, tag: str, at: str | None = None) -> bool:
        sql = "INSERT OR IGNORE INTO tags (paper_id, tag, created_at) VALUES (?, ?, coalesce(?, " + NOW + "))"
        return self._change(paper_id, sql, (paper_id, tag, at))

    def remove_tag(self, paper_id: str, tag: str) -> bool:
        return self._change(paper_id, "DELETE FROM tags WHERE paper_id = ? AND tag = ?", (paper_id, tag))

    def tag_counts(self) -> list[tuple[str, int]]:
        return [(t, n) for t, n in self.db.execute("SELECT tag, count(*) FROM tags GROUP BY tag ORDER BY tag")]

    def tagged_ids(self, tag: str) -> list[str]:
        rows = self.db.execute("SELECT paper_id FROM tags WHERE tag = ? ORDER BY created_at, rowid", (tag,))
        return [r[0] for r in rows]

    def set_note(self, paper_id: str, body: str, at: str | None = None) -> bool:
        sql = (
            "INSERT INTO notes (paper_id, body, updated_at) VALUES (?, ?, coalesce(?, " + NOW + "))"
            " ON CONFLICT(paper_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at"
        )
        return self._change(paper_id, sql, (paper_id, body, at))

    def delete_note(self, paper_id: str) -> bool:
        return self._change(paper_id, "DELETE FROM notes WHERE paper_id = ?", (paper_id,))

    def notes(self) -> list[tuple[str, str, str]]:
        """(paper_id, body, updated_at), most recently edited first."""
        return list(self.db.execute("SELECT paper_id, body, updated_at FROM notes ORDER BY updated_at DESC, paper_id"))

    # -- reading lists --------------------------------------------------------------------------
    def list_id_by_name(self, name: str) -> int | None:
        value = self.db.one("SELECT id FROM lists WHERE name = ?", (name,))
        return None if value is None else int(value)

    def create_list(self, name: str, at: str | None = None) -> int | None:
        """The new list's id, or None when the name is taken."""
        with self.db.transaction() as conn:
            if self.list_id_by_name(name) is not None:
                return None
            cur = conn.execute("INSERT INTO lists (name, created_at) VALUES (?, coalesce(?, " + NOW + "))", (name, at))
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
        return list(self.db.execute("SELECT id, name, created_at FROM lists ORDER BY name COLLATE NOCASE, id"))

    def list_items(self, list_id: int) -> list[str]:
        rows = self.db.execute("SELECT paper_id FROM list_items WHERE list_id = ? ORDER BY position", (list_id,))
        return [r[0] for r in rows]

    def all_list_items(self) -> dict[int, list[tuple[str, str]]]:
        """list id -> [(paper id, added at)] in list order."""
        out: dict[int, list[tuple[str, str]]] = {}
        for list_id, paper_id, added in self.db.execute(
            "SELECT list_id, paper_id, added_at FROM list_items ORDER BY list_id, position"
        ):
            out.setdefault(int(list_id), []).append((paper_id, added))
        return out

    # -- feedback on recommendations, per profile --------------------------------------------
    def set_feedback(self, profile: str, paper_id: str, kind: str | None) -> bool:
        """Say (``kind``, e.g. 'not_interested') or take back (None) something about a paper for
        one profile; True if anything changed."""
        if kind is None:
            with self.db.transaction() as conn:
                return conn.execute("DELETE FROM profile_feedback WHERE profile = ? AND paper_id = ?",
                                    (profile, paper_id)).rowcount > 0
        sql = ("INSERT INTO profile_feedback (profile, paper_id, kind, created_at) VALUES (?, ?, ?, " + NOW + ")"
               " ON CONFLICT(profile, paper_id) DO UPDATE SET kind = excluded.kind")
        return self._change(paper_id, sql, (profile, paper_id, kind))

    def feedback(self, profile: str) -> dict[str, str]:
        """paper id -> what was said about it for this profile."""
        return dict(self.db.execute("SELECT paper_id, kind FROM profile_feedback WHERE profile = ?", (profile,)).fetchall())

    def starred_at(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT paper_id, created_at FROM stars").fetchall())

    def tagged_at(self, tag: str) -> dict[str, str]:
        return dict(self.db.execute("SELECT paper_id, created_at FROM tags WHERE tag = ?", (tag,)).fetchall())

    def listed_at(self, list_id: int) -> dict[str, str]:
        return dict(self.db.execute("SELECT paper_id, added_at FROM list_items WHERE list_id = ?", (list_id,)).fetchall())

    # -- many papers at once (one query per table, never one per paper) -------------------------
    def states(self, paper_ids: list[str]) -> dict[str, dict[str, Any]]:
        """paper id -> {"starred", "tags", "note", "lists"} for each id given."""
        out: dict[str, dict[str, Any]] = {p: {"starred": False, "tags": [], "note": "", "lists": []} for p in paper_ids}
        for chunk, marks in in_chunks(paper_ids):
            for (pid,) in self.db.execute(f"SELECT paper_id FROM stars WHERE paper_id IN ({marks})", chunk):
                out[pid]["starred"] = True
            for pid, tag in self.db.execute(f"SELECT paper_id, tag FROM tags WHERE paper_id IN ({marks}) ORDER BY tag", chunk):
                out[pid]["tags"].append(tag)
            for pid, body in self.db.execute(f"SELECT paper_id, body FROM notes WHERE paper_id IN ({marks})", chunk):
                out[pid]["note"] = body
            sql = f"SELECT paper_id, list_id FROM list_items WHERE paper_id IN ({marks}) ORDER BY list_id"
            rows = self.db.execute(sql, chunk)
            for pid, list_id in rows:
                out[pid]["lists"].append(int(list_id))
        return out

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every library row, for an export: stars (paper, at), tags (paper, tag, at), notes
        (paper, body, at), lists (id, name, at), items (list id, paper, position, at)."""
        q = self.db.execute
        return {
            "stars": [tuple(r) for r in q("SELECT paper_id, created_at FROM stars ORDER BY created_at, rowid")],
            "tags": [tuple(r) for r in q("SELECT paper_id, tag, created_at FROM tags ORDER BY created_at, rowid")],
            "notes": [tuple(r) for r in q("SELECT paper_id, body, updated_at FROM notes ORDER BY paper_id")],
            "lists": [tuple(r) for r in q("SELECT id, name, created_at FROM lists ORDER BY id")],
            "items": [tuple(r) for r in q(
                "SELECT list_id, paper_id, position, added_at FROM list_items ORDER BY list_id, position")],
            "feedback": [tuple(r) for r in q(
                "SELECT profile, paper_id, kind, created_at FROM profile_feedback ORDER BY created_at, rowid")],
        }
