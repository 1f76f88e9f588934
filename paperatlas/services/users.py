"""People of a lab server: ``paperatlas users add|list|revoke`` and how a request proves who it is.

A user is a name and a token: 256 random bits shown once when the user is added, stored only as
its SHA-256 (a stolen catalog or backup gives no working token; a token this random needs no
slow password hash). ``authenticate`` finds the user of a token by its hash: what a timing
attack could learn is how a SHA-256 of the attacker's own guess compares, nothing of a stored
token (the server's single ``--token`` is compared with ``hmac.compare_digest``).
Each user has their own library (``Atlas.for_user``); the catalog is shared. User 0 is the
catalog's owner (the CLI, a personal server, and the server's ``--token``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..errors import InvalidInput, NotFound
from ..store.users import User

if TYPE_CHECKING:
    from ..app import Atlas

TOKEN_PREFIX = "pa_"  # says what a token is when one turns up in a log or a paste
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
RESERVED = {"owner"}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def clean_name(name: str) -> str:
    name = name.strip()
    if not NAME.fullmatch(name) or name.lower() in RESERVED:
        raise InvalidInput(f"{name[:80]!r} is not a usable user name",
                           hint="use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit"
                                " (not 'owner'), e.g. ada or ada.lovelace")
    return name


def add_user(atlas: Atlas, name: str) -> tuple[User, str]:
    """A new user and their token (shown this once: only its hash is kept)."""
    name = clean_name(name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    user = atlas.store.users.add(name, token_hash(token), _now())
    if user is None:
        existing = atlas.store.users.get(name)
        state = "revoked" if existing is not None and not existing.active else "active"
        raise InvalidInput(f"a user named {name!r} exists already ({state})",
                           hint="choose another name; a revoked name stays taken so old records keep their owner")
    return user, token


def list_users(atlas: Atlas) -> list[User]:
    return atlas.store.users.all()


def revoke_user(atlas: Atlas, name: str) -> User:
    """Revoke a user's token at once: their next request is anonymous. Their library stays."""
    if not atlas.store.users.revoke(name, _now()):
        user = atlas.store.users.get(name)
        if user is None:
            raise NotFound(f"no user named {name!r}", hint="`paperatlas users list` lists them")
        raise InvalidInput(f"{name!r} was revoked already (at {user.revoked_at})", hint="add a new user for a new token")
    revoked = atlas.store.users.get(name)
    assert revoked is not None
    return revoked


def authenticate(atlas: Atlas, token: str | None) -> User | None:
    """The active user whose token this is, else None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    digest = token_hash(token)
    user = atlas.store.users.by_token_hash(digest)
    if user is None or not user.active:
        return None
    return user


def active_user(atlas: Atlas, user_id: int) -> User | None:
    """The user with this id if still active (a session cookie names its user by id)."""
    user = atlas.store.users.by_id(user_id)
    return user if user is not None and user.active else None


def server_key(atlas: Atlas, name: str) -> str:
    """A secret this catalog's servers sign with (session cookies, CSRF tokens): made once, kept
    in the catalog, so every worker process and every restart agrees on it."""
    return atlas.store.users.server_key(name, secrets.token_urlsafe(32))
