"""The shape of one paper's library state as a merge keeps it (``CatalogWriter.library_state``),
shared by both stores."""

from __future__ import annotations

from typing import Any


def user_parts(state: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(user id, their rows) of a paper's library state: the owner's (user 0) at the top level,
    other users' under "users" by id (states stored before users existed have only the owner's)."""
    return [(0, state), *((int(u), part) for u, part in state.get("users", {}).items())]
