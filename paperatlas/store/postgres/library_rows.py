"""Library rows written inside a PostgreSQL writer transaction (a library import, a merge or a
split): each says whether it added something or found it there already."""

from __future__ import annotations

from typing import Any, Self

from ..library_state import user_parts
from .connection import Connection

NOTE_SEPARATOR = "\n\n---\n"  # between a paper's own note and one merged into it


class LibraryRows:
    """Mixed into ``PostgresWriter``; ``self.conn`` is the connection of the open transaction. The
    ``put_*`` rows belong to ``user_id`` (0, the owner, unless ``as_user`` said otherwise); a
    paper's whole state (merges and splits) covers every user."""

    conn: Connection
    user_id: int = 0

    def as_user(self, user_id: int) -> Self:
        """The ``put_*`` rows from now on belong to this user (a user's library import)."""
        self.user_id = user_id
        return self

    def _one(self, sql: str, args: tuple[object, ...]) -> Any:
        row = self.conn.execute(sql, args).fetchone()
        return None if row is None else row[0]

    def put_star(self, paper_id: str, at: str) -> bool:
        sql = "INSERT INTO stars (user_id, paper_id, created_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING"
        return self.conn.execute(sql, (self.user_id, paper_id, at)).rowcount > 0

    def put_tag(self, paper_id: str, tag: str, at: str) -> bool:
        sql = "INSERT INTO tags (user_id, paper_id, tag, created_at) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING"
        return self.conn.execute(sql, (self.user_id, paper_id, tag, at)).rowcount > 0

    def put_note(self, paper_id: str, body: str, at: str) -> str:
        """'added', 'same' (the paper has this note), or 'appended' (after its own, as a merge does)."""
        own = self.note_of(paper_id)
        if own is None:
            self.conn.execute("INSERT INTO notes (user_id, paper_id, body, updated_at) VALUES (%s, %s, %s, %s)",
                              (self.user_id, paper_id, body, at))
            return "added"
        if own == body or body in own.split(NOTE_SEPARATOR):
            return "same"
        self.conn.execute("UPDATE notes SET body = body || %s || %s, updated_at = %s WHERE user_id = %s AND paper_id = %s",
                          (NOTE_SEPARATOR, body, at, self.user_id, paper_id))
        return "appended"

    def put_list(self, name: str, at: str) -> tuple[int, bool]:
        """The list's id, and whether it was created."""
        found = self._one("SELECT id FROM lists WHERE user_id = %s AND name = %s", (self.user_id, name))
        if found is not None:
            return int(found), False
        sql = "INSERT INTO lists (user_id, name, created_at) VALUES (%s, %s, %s) RETURNING id"
        return int(self._one(sql, (self.user_id, name, at))), True

    def put_feedback(self, profile: str, paper_id: str, kind: str, at: str) -> bool:
        sql = ("INSERT INTO profile_feedback (user_id, profile, paper_id, kind, created_at) VALUES (%s, %s, %s, %s, %s)"
               " ON CONFLICT DO NOTHING")
        return self.conn.execute(sql, (self.user_id, profile, paper_id, kind, at)).rowcount > 0

    def put_list_item(self, list_id: int, paper_id: str, at: str) -> bool:
        cur = self.conn.execute(
            "INSERT INTO list_items (list_id, paper_id, position, added_at)"
            " SELECT %s, %s, coalesce(max(position), 0) + 1, %s FROM list_items WHERE list_id = %s ON CONFLICT DO NOTHING",
            (list_id, paper_id, at, list_id),
        )
        return cur.rowcount > 0

    def drop_note(self, paper_id: str) -> None:
        self.conn.execute("DELETE FROM notes WHERE user_id = %s AND paper_id = %s", (self.user_id, paper_id))

    def note_of(self, paper_id: str) -> str | None:
        body = self._one("SELECT body FROM notes WHERE user_id = %s AND paper_id = %s", (self.user_id, paper_id))
        return None if body is None else str(body)

    # -- a paper's whole library state (kept with a merge so that a split can give it back) ---
    # The owner's rows at the top level (the shape stored before users existed), every other
    # user's under "users" by id; list items belong to their list, whoever owns it.
    def library_state(self, paper_id: str) -> dict[str, Any]:
        q = self.conn.execute
        state = self._user_state(paper_id, 0)
        state["lists"] = [[int(i), p, a] for i, p, a in q(
            "SELECT list_id, position, added_at FROM list_items WHERE paper_id = %s ORDER BY list_id", (paper_id,))]
        others = [int(r[0]) for r in q(
            "SELECT user_id FROM stars WHERE paper_id = %(p)s UNION SELECT user_id FROM tags WHERE paper_id = %(p)s"
            " UNION SELECT user_id FROM notes WHERE paper_id = %(p)s"
            " UNION SELECT user_id FROM profile_feedback WHERE paper_id = %(p)s ORDER BY 1", {"p": paper_id}) if r[0] != 0]
        if others:
            state["users"] = {str(u): self._user_state(paper_id, u) for u in others}
        return state

    def _user_state(self, paper_id: str, user: int) -> dict[str, Any]:
        q = self.conn.execute
        args = (paper_id, user)
        note = q("SELECT body, updated_at FROM notes WHERE paper_id = %s AND user_id = %s", args).fetchone()
        return {
            "star": self._one("SELECT created_at FROM stars WHERE paper_id = %s AND user_id = %s", args),
            "tags": [list(r) for r in q("SELECT tag, created_at FROM tags WHERE paper_id = %s AND user_id = %s ORDER BY tag",
                                        args)],
            "note": list(note) if note else None,
            "feedback": [list(r) for r in q("SELECT profile, kind, created_at FROM profile_feedback"
                                            " WHERE paper_id = %s AND user_id = %s ORDER BY seq", args)],
        }

    def add_library_state(self, paper_id: str, state: dict[str, Any]) -> None:
        """Give a paper these library rows (those it has already stay as they are)."""
        q = self.conn.execute
        for user, part in user_parts(state):
            if part.get("star"):
                q("INSERT INTO stars (user_id, paper_id, created_at) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                  (user, paper_id, part["star"]))
            for tag, at in part.get("tags", []):
                q("INSERT INTO tags (user_id, paper_id, tag, created_at) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                  (user, paper_id, tag, at))
            if part.get("note"):
                body, at = part["note"]
                q("INSERT INTO notes (user_id, paper_id, body, updated_at) VALUES (%s, %s, %s, %s)"
                  " ON CONFLICT (user_id, paper_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                  (user, paper_id, body, at))
            for profile, kind, at in part.get("feedback", []):
                q("INSERT INTO profile_feedback (user_id, profile, paper_id, kind, created_at) VALUES (%s, %s, %s, %s, %s)"
                  " ON CONFLICT DO NOTHING", (user, profile, paper_id, kind, at))
        for list_id, position, at in state.get("lists", []):
            # a list deleted since stays deleted
            q("INSERT INTO list_items (list_id, paper_id, position, added_at) SELECT id, %s, %s, %s FROM lists"
              " WHERE id = %s ON CONFLICT DO NOTHING", (paper_id, position, at, list_id))

    def remove_library_state(self, paper_id: str, state: dict[str, Any]) -> None:
        """Take these library rows off a paper."""
        q = self.conn.execute
        for user, part in user_parts(state):
            if part.get("star"):
                q("DELETE FROM stars WHERE user_id = %s AND paper_id = %s", (user, paper_id))
            for tag, _ in part.get("tags", []):
                q("DELETE FROM tags WHERE user_id = %s AND paper_id = %s AND tag = %s", (user, paper_id, tag))
            for profile, _, _ in part.get("feedback", []):
                q("DELETE FROM profile_feedback WHERE user_id = %s AND paper_id = %s AND profile = %s",
                  (user, paper_id, profile))
        for list_id, _, _ in state.get("lists", []):
            q("DELETE FROM list_items WHERE paper_id = %s AND list_id = %s", (paper_id, list_id))
