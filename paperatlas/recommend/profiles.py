"""Profiles: what a recommendation learns from. Each comes from the library: the starred papers
(``starred``), the papers of a tag (``tag:rl``), of a reading list (``list:mine``), or, in batch
mode, papers named by their source records. Positives carry when they entered the library (for
recency weights); negatives are the papers marked "not interested" for that profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from ..app import Atlas

NOT_INTERESTED = "not_interested"


@dataclass(frozen=True)
class Profile:
    name: str  # "starred", "tag:rl", "list:mine", or a batch line's qid
    positives: list[str]
    negatives: list[str] = field(default_factory=list)
    ages_days: list[float] = field(default_factory=list)  # per positive; empty: unknown

    @property
    def label(self) -> str:
        kind, _, value = self.name.partition(":")
        return {"starred": "your starred papers", "tag": f"papers tagged {value}", "list": f"the list {value}"}.get(
            kind, self.name)


def parse_spec(starred: bool = False, tag: str | None = None, list_name: str | None = None) -> str:
    """The profile name for command-line style choices (one of them)."""
    chosen = [name for name, on in (("starred", starred), (f"tag:{tag}", tag), (f"list:{list_name}", list_name)) if on]
    if len(chosen) != 1:
        raise InvalidInput("choose one profile", hint="--starred, --tag NAME or --list NAME")
    return chosen[0]


def profile_of(atlas: Atlas, name: str) -> Profile:
    """The profile called ``name`` ("starred", "tag:NAME", "list:NAME"), read from the library."""
    from ..services.library import clean_tag, find_list

    lib = atlas.library
    kind, _, value = name.partition(":")
    if kind == "starred" and not value:
        added = lib.starred_at()
    elif kind == "tag" and value:
        name = f"tag:{clean_tag(value)}"
        added = lib.tagged_at(clean_tag(value))
    elif kind == "list" and value:
        lst = find_list(atlas, value)
        name, added = f"list:{lst.name}", lib.listed_at(lst.id)
    else:
        raise InvalidInput(f"unknown profile {name!r}", hint="use starred, tag:NAME or list:NAME")
    feedback = lib.feedback(name)
    positives = sorted(added, key=lambda pid: (added[pid], pid))
    now = datetime.now(UTC)
    return Profile(name, positives, sorted(p for p, kind in feedback.items() if kind == NOT_INTERESTED),
                   [_age_days(added[pid], now) for pid in positives])


def _age_days(stamp: str, now: datetime) -> float:
    try:
        then = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return 0.0
    return max((now - then).total_seconds() / 86400, 0.0)


def profile_names(atlas: Atlas) -> list[tuple[str, str, int]]:
    """(name, label, papers) of every profile the library has: starred, each tag, each list."""
    lib = atlas.library
    out = [("starred", "your starred papers", len(lib.starred_ids()))]
    out += [(f"tag:{t}", f"papers tagged {t}", n) for t, n in lib.tag_counts()]
    items = lib.all_list_items()
    out += [(f"list:{name}", f"the list {name}", len(items.get(i, []))) for i, name, _ in lib.lists()]
    return out


def set_not_interested(atlas: Atlas, name: str, paper_id: str, undo: bool = False) -> bool:
    """Mark (or unmark) a paper "not interested" for a profile; True if anything changed."""
    profile_of(atlas, name)  # an unknown profile or list is an error, not a silent row
    if not atlas.store.papers.exists(paper_id):
        raise NotFound(f"no paper with id {paper_id!r}", hint="`paperatlas recommend` lists the ids it suggests")
    return atlas.library.set_feedback(name, paper_id, None if undo else NOT_INTERESTED)
