"""A person's library in PostgreSQL: stars, tags, notes, reading lists and feedback on
recommendations (tables of ``m004_library``, owned per user since ``m010_users``).

``PostgresLibrary(db, user_id)`` sees and changes only that user's rows (0: the catalog's owner);
another user's reading list is "not found".

Every change is one transaction that first finds the paper and holds it (``FOR KEY SHARE``) until
the change commits: a merge that would move or delete that paper waits for it, and a change that
comes after such a merge finds the paper gone (NotFound) instead of starring a ghost. Inside a
writer transaction (a library import) the changes join it.
"""

from __future__ import annotations

from typing import Any

from ...errors import NotFound
from .connection import Connection, Database
from .migrations import NOW
from .papers import NOT_FOUND_HINT


def hold_paper(conn: Connection, paper_id: str) -> None:
    """NotFound unless the paper exists; else keep it from being merged away until commit."""
    if conn.execute("SELECT 1 FROM papers WHERE id = %s FOR KEY SHARE", (paper_id,)).fetchone() is None:
        raise NotFound(f"no paper with id {paper_id!r}", hint=NOT_FOUND_HINT)


class PostgresLibrary:
    """``store.protocol.LibraryStore`` over PostgreSQL."""

    def __init__(self, db: Database, user_id: int = 0) -> None:
        self.db = db
        self.user_id = user_id

    def _require_list(self, conn: Connection, list_id: int) -> None:
        if conn.execute("SELECT 1 FROM lists WHERE id = %s AND user_id = %s FOR KEY SHARE",
                        (list_id, self.user_id)).fetchone() is None:
            raise NotFound(f"no reading list with id {list_id}", hint="`paperatlas list show` lists them")

    def _change(self, paper_id: str, sql: str, args: tuple[object, ...]) -> bool:
        """One statement about an existing paper in its own transaction; True if a row changed."""
        with self.db.transaction() as conn:
            hold_paper(conn, paper_id)
            return conn.execute(sql, args).rowcount > 0

    # -- stars, tags, notes -------------------------------------------------------------------
    def star(self, paper_id: str, at: str | None = None) -> bool:
        sql = ("INSERT INTO stars (user_id, paper_id, created_at) VALUES (%s, %s, coalesce(%s, " + NOW + "))"
               " ON CONFLICT DO NOTHING")
        return self._change(paper_id, sql, (self.user_id, paper_id, at))

    def unstar(self, paper_id: str) -> bool:
        return self._change(paper_id, "DELETE FROM stars WHERE user_id = %s AND paper_id = %s", (self.user_id, paper_id))

    def starred_ids(self) -> list[str]:
        """Newest star first."""
        sql = "SELECT paper_id FROM stars WHERE user_id = %s ORDER BY created_at DESC, seq DESC"
        return [r[0] for r in self.db.rows(sql, (self.user_id,))]

    def add_tag(self, paper_id: str, tag: str, at: str | None = None) -> bool:
        sql = ("INSERT INTO tags (user_id, paper_id, tag, created_at) VALUES (%s, %s, %s, coalesce(%s, " + NOW + "))"
               " ON CONFLICT DO NOTHING")
        return self._change(paper_id, sql, (self.user_id, paper_id, tag, at))

    def remove_tag(self, paper_id: str, tag: str) -> bool:
        sql = "DELETE FROM tags WHERE user_id = %s AND paper_id = %s AND tag = %s"
        return self._change(paper_id, sql, (self.user_id, paper_id, tag))

    def tag_counts(self) -> list[tuple[str, int]]:
        sql = "SELECT tag, count(*) FROM tags WHERE user_id = %s GROUP BY tag ORDER BY tag"
        return [(t, int(n)) for t, n in self.db.rows(sql, (self.user_id,))]

    def tagged_ids(self, tag: str) -> list[str]:
        sql = "SELECT paper_id FROM tags WHERE user_id = %s AND tag = %s ORDER BY created_at, seq"
        return [r[0] for r in self.db.rows(sql, (self.user_id, tag))]

    def set_note(self, paper_id: str, body: str, at: str | None = None) -> bool:
        sql = ("INSERT INTO notes (user_id, paper_id, body, updated_at) VALUES (%s, %s, %s, coalesce(%s, " + NOW + "))"
               " ON CONFLICT (user_id, paper_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")
        return self._change(paper_id, sql, (self.user_id, paper_id, body, at))

    def delete_note(self, paper_id: str) -> bool:
        return self._change(paper_id, "DELETE FROM notes WHERE user_id = %s AND paper_id = %s", (self.user_id, paper_id))

    def notes(self) -> list[tuple[str, str, str]]:
        """(paper_id, body, updated_at), most recently edited first."""
        sql = "SELECT paper_id, body, updated_at FROM notes WHERE user_id = %s ORDER BY updated_at DESC, paper_id"
        return [(p, b, u) for p, b, u in self.db.rows(sql, (self.user_id,))]

    # -- reading lists --------------------------------------------------------------------------
    def list_id_by_name(self, name: str) -> int | None:
        value = self.db.one("SELECT id FROM lists WHERE user_id = %s AND name = %s", (self.user_id, name))
        return None if value is None else int(value)

    def create_list(self, name: str, at: str | None = None) -> int | None:
        """The new list's id, or None when the name is taken."""
        with self.db.transaction() as conn:
            row = conn.execute("INSERT INTO lists (user_id, name, created_at) VALUES (%s, %s, coalesce(%s, " + NOW + "))"
                               " ON CONFLICT (user_id, name) DO NOTHING RETURNING id", (self.user_id, name, at)).fetchone()
            return None if row is None else int(row[0])

    def rename_list(self, list_id: int, name: str) -> bool:
        """False when another list has that name."""
        with self.db.transaction() as conn:
            self._require_list(conn, list_id)
            taken = conn.execute("SELECT id FROM lists WHERE user_id = %s AND name = %s", (self.user_id, name)).fetchone()
            if taken is not None and int(taken[0]) != list_id:
                return False
            conn.execute("UPDATE lists SET name = %s WHERE id = %s", (name, list_id))
            return True

    def delete_list(self, list_id: int) -> None:
        with self.db.transaction() as conn:
            self._require_list(conn, list_id)
            conn.execute("DELETE FROM list_items WHERE list_id = %s", (list_id,))
            conn.execute("DELETE FROM lists WHERE id = %s", (list_id,))

    def add_to_list(self, list_id: int, paper_id: str, at: str | None = None) -> bool:
        with self.db.transaction() as conn:
            self._require_list(conn, list_id)
            hold_paper(conn, paper_id)
            cur = conn.execute(
                "INSERT INTO list_items (list_id, paper_id, position, added_at)"
                f" SELECT %s, %s, coalesce(max(position), 0) + 1, coalesce(%s, {NOW}) FROM list_items WHERE list_id = %s"
                " ON CONFLICT DO NOTHING",
                (list_id, paper_id, at, list_id),
            )
            return cur.rowcount > 0

    def remove_from_list(self, list_id: int, paper_id: str) -> bool:
        with self.db.transaction() as conn:
            self._require_list(conn, list_id)
            cur = conn.execute("DELETE FROM list_items WHERE list_id = %s AND paper_id = %s", (list_id, paper_id))
            return cur.rowcount > 0

    def lists(self) -> list[tuple[int, str, str]]:
        """(id, name, created_at) of every list, by name (A-Z folded, as SQLite's NOCASE)."""
        sql = "SELECT id, name, created_at FROM lists WHERE user_id = %s ORDER BY lower(name), id"
        return [(int(i), n, c) for i, n, c in self.db.rows(sql, (self.user_id,))]

    def list_items(self, list_id: int) -> list[str]:
        """The papers of one of this user's lists (none for another user's list)."""
        sql = ("SELECT i.paper_id FROM list_items i JOIN lists l ON l.id = i.list_id"
               " WHERE i.list_id = %s AND l.user_id = %s ORDER BY i.position")
        return [r[0] for r in self.db.rows(sql, (list_id, self.user_id))]

    def all_list_items(self) -> dict[int, list[tuple[str, str]]]:
        """list id -> [(paper id, added at)] in list order."""
        out: dict[int, list[tuple[str, str]]] = {}
        for list_id, paper_id, added in self.db.rows(
            "SELECT i.list_id, i.paper_id, i.added_at FROM list_items i JOIN lists l ON l.id = i.list_id"
            " WHERE l.user_id = %s ORDER BY i.list_id, i.position", (self.user_id,)
        ):
            out.setdefault(int(list_id), []).append((paper_id, added))
        return out

    # -- feedback on recommendations, per profile --------------------------------------------
    def set_feedback(self, profile: str, paper_id: str, kind: str | None) -> bool:
        """Say (``kind``, e.g. 'not_interested') or take back (None) something about a paper for
        one profile; True if anything changed."""
        if kind is None:
            return self.db.run("DELETE FROM profile_feedback WHERE user_id = %s AND profile = %s AND paper_id = %s",
                               (self.user_id, profile, paper_id)) > 0
        sql = ("INSERT INTO profile_feedback (user_id, profile, paper_id, kind, created_at) VALUES (%s, %s, %s, %s, "
               + NOW + ") ON CONFLICT (user_id, profile, paper_id) DO UPDATE SET kind = excluded.kind")
        return self._change(paper_id, sql, (self.user_id, profile, paper_id, kind))

    def feedback(self, profile: str) -> dict[str, str]:
        """paper id -> what was said about it for this profile."""
        sql = "SELECT paper_id, kind FROM profile_feedback WHERE user_id = %s AND profile = %s"
        return {p: k for p, k in self.db.rows(sql, (self.user_id, profile))}

    def starred_at(self) -> dict[str, str]:
        return {p: a for p, a in self.db.rows("SELECT paper_id, created_at FROM stars WHERE user_id = %s", (self.user_id,))}

    def tagged_at(self, tag: str) -> dict[str, str]:
        sql = "SELECT paper_id, created_at FROM tags WHERE user_id = %s AND tag = %s"
        return {p: a for p, a in self.db.rows(sql, (self.user_id, tag))}

    def listed_at(self, list_id: int) -> dict[str, str]:
        sql = ("SELECT i.paper_id, i.added_at FROM list_items i JOIN lists l ON l.id = i.list_id"
               " WHERE i.list_id = %s AND l.user_id = %s")
        return {p: a for p, a in self.db.rows(sql, (list_id, self.user_id))}

    # -- many papers at once (one query per table, never one per paper) -------------------------
    def states(self, paper_ids: list[str]) -> dict[str, dict[str, Any]]:
        """paper id -> {"starred", "tags", "note", "lists"} for each id given."""
        out: dict[str, dict[str, Any]] = {p: {"starred": False, "tags": [], "note": "", "lists": []} for p in paper_ids}
        if not paper_ids:
            return out
        ids = (self.user_id, list(paper_ids))
        with self.db.connection() as conn:
            for (pid,) in conn.execute("SELECT paper_id FROM stars WHERE user_id = %s AND paper_id = ANY(%s)", ids):
                out[pid]["starred"] = True
            for pid, tag in conn.execute("SELECT paper_id, tag FROM tags WHERE user_id = %s AND paper_id = ANY(%s)"
                                         " ORDER BY tag", ids):
                out[pid]["tags"].append(tag)
            for pid, body in conn.execute("SELECT paper_id, body FROM notes WHERE user_id = %s AND paper_id = ANY(%s)", ids):
                out[pid]["note"] = body
            for pid, list_id in conn.execute("SELECT i.paper_id, i.list_id FROM list_items i JOIN lists l ON l.id = i.list_id"
                                             " WHERE l.user_id = %s AND i.paper_id = ANY(%s) ORDER BY i.list_id", ids):
                out[pid]["lists"].append(int(list_id))
        return out

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every library row, for an export: stars (paper, at), tags (paper, tag, at), notes
        (paper, body, at), lists (id, name, at), items (list id, paper, position, at)."""
        def q(sql: str) -> list[tuple[Any, ...]]:
            return self.db.rows(sql, (self.user_id,))

        return {
            "stars": q("SELECT paper_id, created_at FROM stars WHERE user_id = %s ORDER BY created_at, seq"),
            "tags": q("SELECT paper_id, tag, created_at FROM tags WHERE user_id = %s ORDER BY created_at, seq"),
            "notes": q("SELECT paper_id, body, updated_at FROM notes WHERE user_id = %s ORDER BY paper_id"),
            "lists": [(int(i), n, c) for i, n, c in q("SELECT id, name, created_at FROM lists WHERE user_id = %s ORDER BY id")],
            "items": [(int(i), p, n, a) for i, p, n, a in q(
                "SELECT i.list_id, i.paper_id, i.position, i.added_at FROM list_items i JOIN lists l ON l.id = i.list_id"
                " WHERE l.user_id = %s ORDER BY i.list_id, i.position")],
            "feedback": q("SELECT profile, paper_id, kind, created_at FROM profile_feedback WHERE user_id = %s"
                          " ORDER BY created_at, seq"),
        }
