"""SQL for a person's library: stars, tags, notes and reading lists (tables of ``m004_library``).

Every change runs in one transaction (``BEGIN IMMEDIATE`` … ``COMMIT``; the connection is in
autocommit mode) and first checks that the paper exists, so a typo never stars a ghost.
Callers serialise writers on a shared connection (the web app holds one write lock).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ..errors import NotFound
from .store import in_chunks, transaction

NOW = "strftime('%Y-%m-%dT%H:%M:%SZ','now')"




def require_paper(db: sqlite3.Connection, paper_id: str) -> None:
    if db.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone() is None:
        raise NotFound(f"no paper with id {paper_id!r}", hint="`paperatlas papers` lists the ids")


def require_list(db: sqlite3.Connection, list_id: int) -> None:
    if db.execute("SELECT 1 FROM lists WHERE id = ?", (list_id,)).fetchone() is None:
        raise NotFound(f"no reading list with id {list_id}", hint="`paperatlas list show` lists them")


def _change(db: sqlite3.Connection, paper_id: str, sql: str, args: tuple[object, ...]) -> bool:
    """Run one statement about an existing paper in its own transaction; True if a row changed."""
    with transaction(db):
        require_paper(db, paper_id)
        return db.execute(sql, args).rowcount > 0


# -- stars -----------------------------------------------------------------------------------
def star(db: sqlite3.Connection, paper_id: str) -> bool:
    sql = f"INSERT OR IGNORE INTO stars (paper_id, created_at) VALUES (?, {NOW})"
    return _change(db, paper_id, sql, (paper_id,))


def unstar(db: sqlite3.Connection, paper_id: str) -> bool:
    return _change(db, paper_id, "DELETE FROM stars WHERE paper_id = ?", (paper_id,))


def starred_ids(db: sqlite3.Connection) -> list[str]:
    """Newest star first."""
    return [r[0] for r in db.execute("SELECT paper_id FROM stars ORDER BY created_at DESC, rowid DESC")]


# -- tags ------------------------------------------------------------------------------------
def add_tag(db: sqlite3.Connection, paper_id: str, tag: str) -> bool:
    sql = f"INSERT OR IGNORE INTO tags (paper_id, tag, created_at) VALUES (?, ?, {NOW})"
    return _change(db, paper_id, sql, (paper_id, tag))


def remove_tag(db: sqlite3.Connection, paper_id: str, tag: str) -> bool:
    return _change(db, paper_id, "DELETE FROM tags WHERE paper_id = ? AND tag = ?", (paper_id, tag))


def tag_counts(db: sqlite3.Connection) -> list[tuple[str, int]]:
    return [(t, n) for t, n in db.execute("SELECT tag, count(*) FROM tags GROUP BY tag ORDER BY tag")]


def tagged_ids(db: sqlite3.Connection, tag: str) -> list[str]:
    rows = db.execute("SELECT paper_id FROM tags WHERE tag = ? ORDER BY created_at, rowid", (tag,))
    return [r[0] for r in rows]


# -- notes -----------------------------------------------------------------------------------
def set_note(db: sqlite3.Connection, paper_id: str, body: str) -> bool:
    sql = (
        f"INSERT INTO notes (paper_id, body, updated_at) VALUES (?, ?, {NOW})"
        " ON CONFLICT(paper_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at"
    )
    return _change(db, paper_id, sql, (paper_id, body))


def delete_note(db: sqlite3.Connection, paper_id: str) -> bool:
    return _change(db, paper_id, "DELETE FROM notes WHERE paper_id = ?", (paper_id,))


def notes(db: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """(paper_id, body, updated_at), most recently edited first."""
    return list(db.execute("SELECT paper_id, body, updated_at FROM notes ORDER BY updated_at DESC, paper_id"))


# -- reading lists ---------------------------------------------------------------------------
def list_id_by_name(db: sqlite3.Connection, name: str) -> int | None:
    row = db.execute("SELECT id FROM lists WHERE name = ?", (name,)).fetchone()
    return None if row is None else int(row[0])


def create_list(db: sqlite3.Connection, name: str) -> int | None:
    """The new list's id, or None when the name is taken."""
    with transaction(db):
        if list_id_by_name(db, name) is not None:
            return None
        cur = db.execute(f"INSERT INTO lists (name, created_at) VALUES (?, {NOW})", (name,))
        return int(cur.lastrowid or 0)


def rename_list(db: sqlite3.Connection, list_id: int, name: str) -> bool:
    """False when another list has that name."""
    with transaction(db):
        require_list(db, list_id)
        if list_id_by_name(db, name) not in (None, list_id):
            return False
        db.execute("UPDATE lists SET name = ? WHERE id = ?", (name, list_id))
        return True


def delete_list(db: sqlite3.Connection, list_id: int) -> None:
    with transaction(db):
        require_list(db, list_id)
        db.execute("DELETE FROM list_items WHERE list_id = ?", (list_id,))
        db.execute("DELETE FROM lists WHERE id = ?", (list_id,))


def add_to_list(db: sqlite3.Connection, list_id: int, paper_id: str) -> bool:
    with transaction(db):
        require_list(db, list_id)
        require_paper(db, paper_id)
        cur = db.execute(
            "INSERT OR IGNORE INTO list_items (list_id, paper_id, position, added_at)"
            f" SELECT ?, ?, coalesce(max(position), 0) + 1, {NOW} FROM list_items WHERE list_id = ?",
            (list_id, paper_id, list_id),
        )
        return cur.rowcount > 0


def remove_from_list(db: sqlite3.Connection, list_id: int, paper_id: str) -> bool:
    with transaction(db):
        require_list(db, list_id)
        cur = db.execute("DELETE FROM list_items WHERE list_id = ? AND paper_id = ?", (list_id, paper_id))
        return cur.rowcount > 0


def lists(db: sqlite3.Connection) -> list[tuple[int, str, str]]:
    """(id, name, created_at) of every list, by name."""
    return list(db.execute("SELECT id, name, created_at FROM lists ORDER BY name COLLATE NOCASE, id"))


def list_items(db: sqlite3.Connection, list_id: int) -> list[str]:
    rows = db.execute("SELECT paper_id FROM list_items WHERE list_id = ? ORDER BY position", (list_id,))
    return [r[0] for r in rows]


def all_list_items(db: sqlite3.Connection) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for list_id, paper_id in db.execute("SELECT list_id, paper_id FROM list_items ORDER BY list_id, position"):
        out.setdefault(int(list_id), []).append(paper_id)
    return out


# -- state of many papers at once (one query per table, never one per paper) -----------------
def states(db: sqlite3.Connection, paper_ids: list[str]) -> dict[str, dict[str, Any]]:
    """paper id -> {"starred", "tags", "note", "lists"} for each id given."""
    out: dict[str, dict[str, Any]] = {p: {"starred": False, "tags": [], "note": "", "lists": []} for p in paper_ids}
    for chunk, marks in in_chunks(paper_ids):
        for (pid,) in db.execute(f"SELECT paper_id FROM stars WHERE paper_id IN ({marks})", chunk):
            out[pid]["starred"] = True
        for pid, tag in db.execute(f"SELECT paper_id, tag FROM tags WHERE paper_id IN ({marks}) ORDER BY tag", chunk):
            out[pid]["tags"].append(tag)
        for pid, body in db.execute(f"SELECT paper_id, body FROM notes WHERE paper_id IN ({marks})", chunk):
            out[pid]["note"] = body
        rows = db.execute(f"SELECT paper_id, list_id FROM list_items WHERE paper_id IN ({marks}) ORDER BY list_id", chunk)
        for pid, list_id in rows:
            out[pid]["lists"].append(int(list_id))
    return out
