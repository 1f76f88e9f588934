"""Library rows written inside a writer transaction (a library import): each says whether it
added something or found it there already."""

from __future__ import annotations

import sqlite3


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
