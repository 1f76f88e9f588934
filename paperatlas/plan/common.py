"""What every programme reader returns, and the small rules they share."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from types import ModuleType

from ..errors import PaperatlasError
from ..store.protocol import ProgrammeEntry, ProgrammeSession

MAX_SESSIONS = 20_000  # a programme with more is not a programme; the readers stop there and say so
MAX_ENTRIES = 200_000
_KINDS = (("poster", "poster"), ("oral", "oral"), ("spotlight", "spotlight"), ("keynote", "keynote"), ("invited", "keynote"),
          ("tutorial", "tutorial"), ("workshop", "workshop"), ("social", "social"), ("panel", "panel"), ("talk", "talk"))


@dataclass
class Parsed:
    """A programme as read from one file: sessions in file order, warnings naming file and line.
    ``loose`` marks entries taken from free text (an ICS description's lines): kept only when they
    match a catalog paper, because such text also holds prose. ``event_refs`` is, per session index,
    the paper the event itself may be (organisers' calendars often have one event per poster)."""

    sessions: list[ProgrammeSession] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    loose: set[tuple[int, int]] = field(default_factory=set)
    event_refs: dict[int, ProgrammeEntry] = field(default_factory=dict)


def session_kind(name: str) -> str | None:
    """poster, oral, spotlight, keynote, tutorial, workshop, social, panel or talk, from the name."""
    low = name.casefold()
    return next((kind for word, kind in _KINDS if re.search(rf"\b{word}", low)), None)


def session_key(name: str, starts_at: str | None, uid: str | None = None) -> str:
    """A session's identity across re-imports: the organisers' UID when the file has one, else
    its name and start (a renamed or moved session without a UID is a new session)."""
    if uid:
        return "uid:" + " ".join(uid.split())[:200]
    digest = hashlib.blake2b(f"{' '.join(name.split()).casefold()}|{starts_at or ''}".encode(), digest_size=10).hexdigest()
    return "ns:" + digest


def icalendar_module() -> ModuleType:
    """The ``icalendar`` library, imported on first use so that the rest of paperatlas runs without it."""
    try:
        import icalendar
    except ImportError as exc:
        raise PaperatlasError("reading and writing calendars needs the icalendar library",
                              hint="pip install icalendar (or paperatlas with its 'plan' extra)") from exc
    return icalendar
