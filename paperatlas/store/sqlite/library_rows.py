"""Library rows written inside a writer transaction (a library import): each says whether it
added something or found it there already."""

from __future__ import annotations

import sqlite3
from typing import Any


class LibraryRows:
    """Mixed into ``SQLiteWriter``; ``self.db`` is the connection of the open transaction."""

    db: sqlite3.Connection

    def put_star(self, paper_id: str, at: str) -> bool:
        return self.db.execute("INSERT OR IGNORE INTO stars (paper_id, created_at) VALUES (?, ?)", (paper_id, at)).rowcount > 0

    def put_tag(self, paper_id: str, tag: str, at: str) -> bool:
        sql = "INSERT OR IGNORE INTO tags (paper_id, tag, created_at) VALUES (?, ?, ?)"
        return self.db.execute(sql, (paper_id, tag, at)).rowcount > 0

    def put_note(self, paper_id: str, body: str, at: str) -> str:
        """'added', 'same' (the paper has this note), or 'appended' (after its own, as a merge does)."""
        row = self.db.execute("SELECT body FROM notes WHERE paper_id = ?", (paper_id,)).fetchone()
        if row is None:
            self.db.execute("INSERT INTO notes (paper_id, body, updated_at) VALUES (?, ?, ?)", (paper_id, body, at))
            return "added"
        if row[0] == body or body in row[0].split("\n\n---\n"):
            return "same"
        self.db.execute("UPDATE notes SET body = body || char(10) || char(10) || '---' || char(10) || ?, updated_at = ?"
                        " WHERE paper_id = ?", (body, at, paper_id))
        return "appended"

    def put_list(self, name: str, at: str) -> tuple[int, bool]:
        """The list's id, and whether it was created."""
        row = self.db.execute("SELECT id FROM lists WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return int(row[0]), False
        cur = self.db.execute("INSERT INTO lists (name, created_at) VALUES (?, ?)", (name, at))
        return int(cur.lastrowid or 0), True

    def put_feedback(self, profile: str, paper_id: str, kind: str, at: str) -> bool:
        sql = "INSERT OR IGNORE INTO profile_feedback (profile, paper_id, kind, created_at) VALUES (?, ?, ?, ?)"
        return self.db.execute(sql, (profile, paper_id, kind, at)).rowcount > 0

    def put_list_item(self, list_id: int, paper_id: str, at: str) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO list_items (list_id, paper_id, position, added_at)"
            " SELECT ?, ?, coalesce(max(position), 0) + 1, ? FROM list_items WHERE list_id = ?",
            (list_id, paper_id, at, list_id),
        )
        return cur.rowcount > 0

    def drop_note(self, paper_id: str) -> None:
        self.db.execute("DELETE FROM notes WHERE paper_id = ?", (paper_id,))

    def note_of(self, paper_id: str) -> str | None:
        row = self.db.execute("SELECT body FROM notes WHERE paper_id = ?", (paper_id,)).fetchone()
        return None if row is None else str(row[0])

    # -- a paper's whole library state (kept with a merge so that a split can give it back) ---
    def library_state(self, paper_id: str) -> dict[str, Any]:
        q = self.db.execute
        star = q("SELECT created_at FROM stars WHERE paper_id = ?", (paper_id,)).fetchone()
        note = q("SELECT body, updated_at FROM notes WHERE paper_id = ?", (paper_id,)).fetchone()
        return {
            "star": star[0] if star else None,
            "tags": [list(r) for r in q("SELECT tag, created_at FROM tags WHERE paper_id = ? ORDER BY tag", (paper_id,))],
            "note": list(note) if note else None,
            "lists": [list(r) for r in q("SELECT list_id, position, added_at FROM list_items WHERE paper_id = ?", (paper_id,))],
            "feedback": [list(r) for r in q("SELECT profile, kind, created_at FROM profile_feedback WHERE paper_id = ?",
                                             (paper_id,))],
        }

    def add_library_state(self, paper_id: str, state: dict[str, Any]) -> None:
        """Give a paper these library rows (those it has already stay as they are)."""
        q = self.db.execute
        if state.get("star"):
            q("INSERT OR IGNORE INTO stars (paper_id, created_at) VALUES (?, ?)", (paper_id, state["star"]))
        for tag, at in state.get("tags", []):
            q("INSERT OR IGNORE INTO tags (paper_id, tag, created_at) VALUES (?, ?, ?)", (paper_id, tag, at))
        if state.get("note"):
            body, at = state["note"]
            q("INSERT INTO notes (paper_id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT(paper_id) DO UPDATE"
              " SET body = excluded.body, updated_at = excluded.updated_at", (paper_id, body, at))
        for list_id, position, at in state.get("lists", []):
            if q("SELECT 1 FROM lists WHERE id = ?", (list_id,)).fetchone():  # a list deleted since stays deleted
                q("INSERT OR IGNORE INTO list_items (list_id, paper_id, position, added_at) VALUES (?, ?, ?, ?)",
                  (list_id, paper_id, position, at))
        for profile, kind, at in state.get("feedback", []):
            q("INSERT OR IGNORE INTO profile_feedback (profile, paper_id, kind, created_at) VALUES (?, ?, ?, ?)",
              (profile, paper_id, kind, at))

    def remove_library_state(self, paper_id: str, state: dict[str, Any]) -> None:
        """Take these library rows off a paper (a note only when it is exactly this one)."""
        q = self.db.execute
        if state.get("star"):
            q("DELETE FROM stars WHERE paper_id = ?", (paper_id,))
        for tag, _ in state.get("tags", []):
            q("DELETE FROM tags WHERE paper_id = ? AND tag = ?", (paper_id, tag))
        for list_id, _, _ in state.get("lists", []):
            q("DELETE FROM list_items WHERE paper_id = ? AND list_id = ?", (paper_id, list_id))
        for profile, _, _ in state.get("feedback", []):
            q("DELETE FROM profile_feedback WHERE paper_id = ? AND profile = ?", (paper_id, profile))
