"""Library rows written inside a PostgreSQL writer transaction (a library import, a merge or a
split): each says whether it added something or found it there already."""

from __future__ import annotations

from typing import Any

from .connection import Connection

NOTE_SEPARATOR = "\n\n---\n"  # between a paper's own note and one merged into it


class LibraryRows:
    """Mixed into ``PostgresWriter``; ``self.conn`` is the connection of the open transaction."""

    conn: Connection

    def _one(self, sql: str, args: tuple[object, ...]) -> Any:
        row = self.conn.execute(sql, args).fetchone()
        return None if row is None else row[0]

    def put_star(self, paper_id: str, at: str) -> bool:
        sql = "INSERT INTO stars (paper_id, created_at) VALUES (%s, %s) ON CONFLICT DO NOTHING"
        return self.conn.execute(sql, (paper_id, at)).rowcount > 0

    def put_tag(self, paper_id: str, tag: str, at: str) -> bool:
        sql = "INSERT INTO tags (paper_id, tag, created_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
        return self.conn.execute(sql, (paper_id, tag, at)).rowcount > 0

    def put_note(self, paper_id: str, body: str, at: str) -> str:
        """'added', 'same' (the paper has this note), or 'appended' (after its own, as a merge does)."""
        own = self._one("SELECT body FROM notes WHERE paper_id = %s", (paper_id,))
        if own is None:
            self.conn.execute("INSERT INTO notes (paper_id, body, updated_at) VALUES (%s, %s, %s)", (paper_id, body, at))
            return "added"
        if own == body or body in own.split(NOTE_SEPARATOR):
            return "same"
        self.conn.execute("UPDATE notes SET body = body || %s || %s, updated_at = %s WHERE paper_id = %s",
                          (NOTE_SEPARATOR, body, at, paper_id))
        return "appended"

    def put_list(self, name: str, at: str) -> tuple[int, bool]:
        """The list's id, and whether it was created."""
        found = self._one("SELECT id FROM lists WHERE name = %s", (name,))
        if found is not None:
            return int(found), False
        return int(self._one("INSERT INTO lists (name, created_at) VALUES (%s, %s) RETURNING id", (name, at))), True

    def put_feedback(self, profile: str, paper_id: str, kind: str, at: str) -> bool:
        sql = ("INSERT INTO profile_feedback (profile, paper_id, kind, created_at) VALUES (%s, %s, %s, %s)"
               " ON CONFLICT DO NOTHING")
        return self.conn.execute(sql, (profile, paper_id, kind, at)).rowcount > 0

    def put_list_item(self, list_id: int, paper_id: str, at: str) -> bool:
        cur = self.conn.execute(
            "INSERT INTO list_items (list_id, paper_id, position, added_at)"
            " SELECT %s, %s, coalesce(max(position), 0) + 1, %s FROM list_items WHERE list_id = %s ON CONFLICT DO NOTHING",
            (list_id, paper_id, at, list_id),
        )
        return cur.rowcount > 0

    def drop_note(self, paper_id: str) -> None:
        self.conn.execute("DELETE FROM notes WHERE paper_id = %s", (paper_id,))

    def note_of(self, paper_id: str) -> str | None:
        body = self._one("SELECT body FROM notes WHERE paper_id = %s", (paper_id,))
        return None if body is None else str(body)

    # -- a paper's whole library state (kept with a merge so that a split can give it back) ---
    def library_state(self, paper_id: str) -> dict[str, Any]:
        q = self.conn.execute
        star = self._one("SELECT created_at FROM stars WHERE paper_id = %s", (paper_id,))
        note = q("SELECT body, updated_at FROM notes WHERE paper_id = %s", (paper_id,)).fetchone()
        return {
            "star": star,
            "tags": [list(r) for r in q("SELECT tag, created_at FROM tags WHERE paper_id = %s ORDER BY tag", (paper_id,))],
            "note": list(note) if note else None,
            "lists": [[int(i), p, a] for i, p, a in q(
                "SELECT list_id, position, added_at FROM list_items WHERE paper_id = %s ORDER BY list_id", (paper_id,))],
            "feedback": [list(r) for r in q(
                "SELECT profile, kind, created_at FROM profile_feedback WHERE paper_id = %s ORDER BY seq", (paper_id,))],
        }

    def add_library_state(self, paper_id: str, state: dict[str, Any]) -> None:
        """Give a paper these library rows (those it has already stay as they are)."""
        q = self.conn.execute
        if state.get("star"):
            q("INSERT INTO stars (paper_id, created_at) VALUES (%s, %s) ON CONFLICT DO NOTHING", (paper_id, state["star"]))
        for tag, at in state.get("tags", []):
            q("INSERT INTO tags (paper_id, tag, created_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", (paper_id, tag, at))
        if state.get("note"):
            body, at = state["note"]
            q("INSERT INTO notes (paper_id, body, updated_at) VALUES (%s, %s, %s) ON CONFLICT (paper_id) DO UPDATE"
              " SET body = excluded.body, updated_at = excluded.updated_at", (paper_id, body, at))
        for list_id, position, at in state.get("lists", []):
            # a list deleted since stays deleted
            q("INSERT INTO list_items (list_id, paper_id, position, added_at) SELECT id, %s, %s, %s FROM lists"
              " WHERE id = %s ON CONFLICT DO NOTHING", (paper_id, position, at, list_id))
        for profile, kind, at in state.get("feedback", []):
            q("INSERT INTO profile_feedback (profile, paper_id, kind, created_at) VALUES (%s, %s, %s, %s)"
              " ON CONFLICT DO NOTHING", (profile, paper_id, kind, at))

    def remove_library_state(self, paper_id: str, state: dict[str, Any]) -> None:
        """Take these library rows off a paper."""
        q = self.conn.execute
        if state.get("star"):
            q("DELETE FROM stars WHERE paper_id = %s", (paper_id,))
        for tag, _ in state.get("tags", []):
            q("DELETE FROM tags WHERE paper_id = %s AND tag = %s", (paper_id, tag))
        for list_id, _, _ in state.get("lists", []):
            q("DELETE FROM list_items WHERE paper_id = %s AND list_id = %s", (paper_id, list_id))
        for profile, _, _ in state.get("feedback", []):
            q("DELETE FROM profile_feedback WHERE paper_id = %s AND profile = %s", (paper_id, profile))
