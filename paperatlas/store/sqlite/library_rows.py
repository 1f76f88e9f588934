"""Library rows written inside a writer transaction (a library import): each says whether it
added something or found it there already."""

from __future__ import annotations

import sqlite3
from typing import Any, Self

from ..library_state import user_parts


class LibraryRows:
    """Mixed into ``SQLiteWriter``; ``self.db`` is the connection of the open transaction. The
    ``put_*`` rows belong to ``user_id`` (0, the owner, unless ``as_user`` said otherwise); a
    paper's whole state (merges and splits) covers every user."""

    db: sqlite3.Connection
    user_id: int = 0

    def as_user(self, user_id: int) -> Self:
        """The ``put_*`` rows from now on belong to this user (a user's library import)."""
        self.user_id = user_id
        return self

    def put_star(self, paper_id: str, at: str) -> bool:
        sql = "INSERT OR IGNORE INTO stars (user_id, paper_id, created_at) VALUES (?, ?, ?)"
        return self.db.execute(sql, (self.user_id, paper_id, at)).rowcount > 0

    def put_tag(self, paper_id: str, tag: str, at: str) -> bool:
        sql = "INSERT OR IGNORE INTO tags (user_id, paper_id, tag, created_at) VALUES (?, ?, ?, ?)"
        return self.db.execute(sql, (self.user_id, paper_id, tag, at)).rowcount > 0

    def put_note(self, paper_id: str, body: str, at: str) -> str:
        """'added', 'same' (the paper has this note), or 'appended' (after its own, as a merge does)."""
        own = self.note_of(paper_id)
        if own is None:
            self.db.execute("INSERT INTO notes (user_id, paper_id, body, updated_at) VALUES (?, ?, ?, ?)",
                            (self.user_id, paper_id, body, at))
            return "added"
        if own == body or body in own.split("\n\n---\n"):
            return "same"
        self.db.execute("UPDATE notes SET body = body || char(10) || char(10) || '---' || char(10) || ?, updated_at = ?"
                        " WHERE user_id = ? AND paper_id = ?", (body, at, self.user_id, paper_id))
        return "appended"

    def put_list(self, name: str, at: str) -> tuple[int, bool]:
        """The list's id, and whether it was created."""
        row = self.db.execute("SELECT id FROM lists WHERE user_id = ? AND name = ?", (self.user_id, name)).fetchone()
        if row is not None:
            return int(row[0]), False
        cur = self.db.execute("INSERT INTO lists (user_id, name, created_at) VALUES (?, ?, ?)", (self.user_id, name, at))
        return int(cur.lastrowid or 0), True

    def put_feedback(self, profile: str, paper_id: str, kind: str, at: str) -> bool:
        sql = "INSERT OR IGNORE INTO profile_feedback (user_id, profile, paper_id, kind, created_at) VALUES (?, ?, ?, ?, ?)"
        return self.db.execute(sql, (self.user_id, profile, paper_id, kind, at)).rowcount > 0

    def put_list_item(self, list_id: int, paper_id: str, at: str) -> bool:
        cur = self.db.execute(
            "INSERT OR IGNORE INTO list_items (list_id, paper_id, position, added_at)"
            " SELECT ?, ?, coalesce(max(position), 0) + 1, ? FROM list_items WHERE list_id = ?",
            (list_id, paper_id, at, list_id),
        )
        return cur.rowcount > 0

    def drop_note(self, paper_id: str) -> None:
        self.db.execute("DELETE FROM notes WHERE user_id = ? AND paper_id = ?", (self.user_id, paper_id))

    def note_of(self, paper_id: str) -> str | None:
        row = self.db.execute("SELECT body FROM notes WHERE user_id = ? AND paper_id = ?", (self.user_id, paper_id)).fetchone()
        return None if row is None else str(row[0])

    # -- a paper's whole library state (kept with a merge so that a split can give it back) ---
    # The owner's rows at the top level (the shape stored before users existed), every other
    # user's under "users" by id; list items belong to their list, whoever owns it.
    def library_state(self, paper_id: str) -> dict[str, Any]:
        q = self.db.execute
        state = self._user_state(paper_id, 0)
        state["lists"] = [list(r) for r in q("SELECT list_id, position, added_at FROM list_items WHERE paper_id = ?",
                                             (paper_id,))]
        others = sorted({int(r[0]) for t in ("stars", "tags", "notes", "profile_feedback")
                         for r in q(f"SELECT user_id FROM {t} WHERE paper_id = ? AND user_id != 0", (paper_id,))})
        if others:
            state["users"] = {str(u): self._user_state(paper_id, u) for u in others}
        return state

    def _user_state(self, paper_id: str, user: int) -> dict[str, Any]:
        q = self.db.execute
        args = (paper_id, user)
        star = q("SELECT created_at FROM stars WHERE paper_id = ? AND user_id = ?", args).fetchone()
        note = q("SELECT body, updated_at FROM notes WHERE paper_id = ? AND user_id = ?", args).fetchone()
        return {
            "star": star[0] if star else None,
            "tags": [list(r) for r in q("SELECT tag, created_at FROM tags WHERE paper_id = ? AND user_id = ? ORDER BY tag",
                                        args)],
            "note": list(note) if note else None,
            "feedback": [list(r) for r in q("SELECT profile, kind, created_at FROM profile_feedback"
                                            " WHERE paper_id = ? AND user_id = ?", args)],
        }

    def add_library_state(self, paper_id: str, state: dict[str, Any]) -> None:
        """Give a paper these library rows (those it has already stay as they are)."""
        q = self.db.execute
        for user, part in user_parts(state):
            if part.get("star"):
                q("INSERT OR IGNORE INTO stars (user_id, paper_id, created_at) VALUES (?, ?, ?)", (user, paper_id, part["star"]))
            for tag, at in part.get("tags", []):
                q("INSERT OR IGNORE INTO tags (user_id, paper_id, tag, created_at) VALUES (?, ?, ?, ?)",
                  (user, paper_id, tag, at))
            if part.get("note"):
                body, at = part["note"]
                q("INSERT INTO notes (user_id, paper_id, body, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(user_id, paper_id)"
                  " DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at", (user, paper_id, body, at))
            for profile, kind, at in part.get("feedback", []):
                q("INSERT OR IGNORE INTO profile_feedback (user_id, profile, paper_id, kind, created_at) VALUES (?, ?, ?, ?, ?)",
                  (user, profile, paper_id, kind, at))
        for list_id, position, at in state.get("lists", []):
            if q("SELECT 1 FROM lists WHERE id = ?", (list_id,)).fetchone():  # a list deleted since stays deleted
                q("INSERT OR IGNORE INTO list_items (list_id, paper_id, position, added_at) VALUES (?, ?, ?, ?)",
                  (list_id, paper_id, position, at))

    def remove_library_state(self, paper_id: str, state: dict[str, Any]) -> None:
        """Take these library rows off a paper (a note only when it is exactly this one)."""
        q = self.db.execute
        for user, part in user_parts(state):
            if part.get("star"):
                q("DELETE FROM stars WHERE user_id = ? AND paper_id = ?", (user, paper_id))
            for tag, _ in part.get("tags", []):
                q("DELETE FROM tags WHERE user_id = ? AND paper_id = ? AND tag = ?", (user, paper_id, tag))
            for profile, _, _ in part.get("feedback", []):
                q("DELETE FROM profile_feedback WHERE user_id = ? AND paper_id = ? AND profile = ?", (user, paper_id, profile))
        for list_id, _, _ in state.get("lists", []):
            q("DELETE FROM list_items WHERE paper_id = ? AND list_id = ?", (paper_id, list_id))

