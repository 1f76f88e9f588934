"""Users of a lab server and the server's signing keys in SQLite (tables of ``m014_users``)."""

from __future__ import annotations

from typing import Any

from ..users import User
from .connection import Database

COLUMNS = "id, name, created_at, revoked_at"


def _user(row: Any) -> User | None:
    return None if row is None else User(int(row[0]), row[1], row[2], row[3])


class SQLiteUsers:
    """``store.users.UserStore`` over SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, name: str, token_hash: str, at: str) -> User | None:
        with self.db.transaction() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO users (name, token_hash, created_at) VALUES (?, ?, ?)",
                               (name, token_hash, at))
            return None if cur.rowcount == 0 else User(int(cur.lastrowid or 0), name, at)

    def by_token_hash(self, token_hash: str) -> User | None:
        return _user(self.db.execute(f"SELECT {COLUMNS} FROM users WHERE token_hash = ?", (token_hash,)).fetchone())

    def get(self, name: str) -> User | None:
        return _user(self.db.execute(f"SELECT {COLUMNS} FROM users WHERE name = ?", (name,)).fetchone())

    def by_id(self, user_id: int) -> User | None:
        return _user(self.db.execute(f"SELECT {COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone())

    def all(self) -> list[User]:
        return [u for r in self.db.execute(f"SELECT {COLUMNS} FROM users ORDER BY id") if (u := _user(r))]

    def revoke(self, name: str, at: str) -> bool:
        with self.db.transaction() as conn:
            sql = "UPDATE users SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL"
            return conn.execute(sql, (at, name)).rowcount > 0

    def server_key(self, name: str, new_value: str) -> str:
        with self.db.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO server_keys (name, value) VALUES (?, ?)", (name, new_value))
            return str(conn.execute("SELECT value FROM server_keys WHERE name = ?", (name,)).fetchone()[0])
