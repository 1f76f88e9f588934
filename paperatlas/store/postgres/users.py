"""Users of a lab server and the server's signing keys in PostgreSQL (tables of ``m010_users``)."""

from __future__ import annotations

from typing import Any

from ..users import User
from .connection import Database

COLUMNS = "id, name, created_at, revoked_at"


def _user(row: Any) -> User | None:
    return None if row is None else User(int(row[0]), row[1], row[2], row[3])


class PostgresUsers:
    """``store.users.UserStore`` over PostgreSQL."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _first(self, sql: str, args: tuple[object, ...]) -> User | None:
        rows = self.db.rows(sql, args)
        return _user(rows[0]) if rows else None

    def add(self, name: str, token_hash: str, at: str) -> User | None:
        with self.db.transaction() as conn:
            row = conn.execute("INSERT INTO users (name, token_hash, created_at) VALUES (%s, %s, %s)"
                               " ON CONFLICT DO NOTHING RETURNING id", (name, token_hash, at)).fetchone()
            return None if row is None else User(int(row[0]), name, at)

    def by_token_hash(self, token_hash: str) -> User | None:
        return self._first(f"SELECT {COLUMNS} FROM users WHERE token_hash = %s", (token_hash,))

    def get(self, name: str) -> User | None:
        return self._first(f"SELECT {COLUMNS} FROM users WHERE name = %s", (name,))

    def by_id(self, user_id: int) -> User | None:
        return self._first(f"SELECT {COLUMNS} FROM users WHERE id = %s", (user_id,))

    def all(self) -> list[User]:
        return [u for r in self.db.rows(f"SELECT {COLUMNS} FROM users ORDER BY id") if (u := _user(r))]

    def revoke(self, name: str, at: str) -> bool:
        return self.db.run("UPDATE users SET revoked_at = %s WHERE name = %s AND revoked_at IS NULL", (at, name)) > 0

    def server_key(self, name: str, new_value: str) -> str:
        with self.db.transaction() as conn:
            conn.execute("INSERT INTO server_keys (name, value) VALUES (%s, %s) ON CONFLICT DO NOTHING", (name, new_value))
            row = conn.execute("SELECT value FROM server_keys WHERE name = %s", (name,)).fetchone()
            return new_value if row is None else str(row[0])
