"""The people of a lab server (``m014_users`` / ``m010_users``): a name and a token each, of
which the store keeps only the SHA-256 (``services.users`` makes and checks tokens). User 0 is
the catalog's owner (the CLI, a personal server) and has no row. And the server's signing keys,
shared by every process serving the catalog and kept across restarts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class User:
    id: int
    name: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


OWNER = User(0, "owner", "")


class UserStore(Protocol):
    def add(self, name: str, token_hash: str, at: str) -> User | None: ...  # None: the name is taken
    def by_token_hash(self, token_hash: str) -> User | None: ...
    def get(self, name: str) -> User | None: ...
    def by_id(self, user_id: int) -> User | None: ...
    def all(self) -> list[User]: ...
    def revoke(self, name: str, at: str) -> bool: ...  # False: no such active user
    def server_key(self, name: str, new_value: str) -> str: ...  # the stored key, ``new_value`` stored if none yet
