"""What changed about a paper, typed: the pure part of watches (``services.watches`` runs them).

A paper's *state* is what a watch reports changes of: its arXiv version, its track (decision)
and its code links. ``changes(before, after, is_new)`` compares two states and gives the typed
reasons, each with the state it reports (an item is reported once per watch and state: the
store's UNIQUE key) and details for people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

REASONS = {
    "new": "new paper matching the watch",
    "new_version": "new arXiv version",
    "decision": "decision arrived",
    "track_changed": "track changed",
    "code": "code link appeared",
    "trending": "rising this week",
    "followed_author": "new paper by an author you follow",
}
# Tracks that mean "no decision yet": a change from one of these is a decision arriving.
UNDECIDED = {"", "submitted", "under review", "pending", "active"}
_VERSION = re.compile(r"(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})v(\d+)", re.I)


@dataclass(frozen=True)
class Change:
    reason: str
    state: str  # what is reported: the same (paper, reason, state) is never reported twice to a watch
    detail: dict[str, Any] = field(default_factory=dict)


def reason_words(reason: str, detail: dict[str, Any]) -> str:
    """A reason as a person reads it: ``decision arrived: Submitted → Poster``."""
    base = REASONS.get(reason, reason)
    if reason == "new_version" and detail.get("version"):
        return f"{base}: v{detail['version']}"
    if reason in ("decision", "track_changed") and "to" in detail:
        return f"{base}: {detail.get('from') or 'none'} → {detail['to'] or 'none'}"
    if reason == "code" and detail.get("urls"):
        return f"{base}: {detail['urls'][0]}"
    if reason == "trending" and "rise" in detail:
        return f"{base}: {detail['counter']} +{detail['rise']} in {detail.get('days', 7)} days (now {detail['value']})"
    if reason == "followed_author" and detail.get("authors"):
        return f"{base}: {', '.join(detail['authors'])}"
    return base


def arxiv_version(texts: Iterable[str]) -> int | None:
    """The highest arXiv version named in these ids and URLs (``2001.01234v3`` -> 3), or None."""
    found = [int(m.group(1)) for t in texts if t for m in _VERSION.finditer(t)]
    return max(found) if found else None


def paper_state(track: str | None, code_urls: Iterable[str], version_texts: Iterable[str],
                ids: dict[str, str] | None = None) -> dict[str, Any]:
    """What changes are typed against; ``key``: the paper's strong id, which outlives its paper
    id (a record re-keyed by a new version may come back as a new paper)."""
    key = next((f"{k}:{v}" for k, v in sorted((ids or {}).items()) if k in ("arxiv", "openreview", "doi") and v), None)
    return {"version": arxiv_version(version_texts), "track": track or None, "code": sorted(set(code_urls)), "key": key}


def changes(before: dict[str, Any] | None, after: dict[str, Any], is_new: bool) -> list[Change]:
    """The typed reasons between two states of one paper. A new paper is ``new`` (its state
    says the rest); a paper seen before gets ``new_version`` when its version rose, ``decision``
    when its track left an undecided value (``track_changed`` for any other track change), and
    ``code`` when a code link appeared that it did not have. No state before and not new: the
    paper was in the catalog before the watches were, so nothing is known to have changed."""
    if is_new:
        return [Change("new", "", {"version": after.get("version"), "track": after.get("track")})]
    if before is None:
        return []
    out = []
    v0, v1 = before.get("version"), after.get("version")
    if v1 is not None and (v0 is None or v1 > v0):
        out.append(Change("new_version", f"v{v1}", {"version": v1, "previous": v0}))
    t0, t1 = before.get("track"), after.get("track")
    if (t0 or "") != (t1 or ""):
        decided = (t0 or "").strip().lower() in UNDECIDED and (t1 or "").strip().lower() not in UNDECIDED
        out.append(Change("decision" if decided else "track_changed", t1 or "", {"from": t0, "to": t1}))
    added = sorted(set(after.get("code") or []) - set(before.get("code") or []))
    if added:
        out.append(Change("code", " ".join(added), {"urls": added}))
    return out
