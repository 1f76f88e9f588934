"""Merging by hand, keeping apart, splitting, and the queue of uncertain pairs.

A person's decision is stored as an *action* (merge, distinct, split) with *links* between
records, each record named by its stable identity: the *source* it came from (the content hash
of the file when it was first read, kept when the file changes) and its record key in that
file. Neither paper ids (they change when papers merge or split) nor paths (a data folder moves)
are the truth, so decisions survive re-ingesting a changed file, moving the files, re-building
the catalog from the same files, and a library export/import into another catalog:

- ingest asks ``decisions_for`` about a file's new records (a 'same' link puts a record into its
  partner's paper; a 'distinct' link keeps it out), and ``enforce`` afterwards merges any papers
  that 'same' links say are one (whatever order the files came in);
- ``merge_papers`` moves one paper's records, keys and library state into another, without
  duplicates; ``split_paper`` restores the parts of the last merge (or one paper per record)
  with their own sources, and remembers they are distinct.

Every function runs inside the caller's writer transaction (``store.writer()``).
"""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING, Any

from ..errors import MergeError
from . import blocking, rules
from .prepare import paper_id, paper_row

if TYPE_CHECKING:
    from ..store.protocol import CatalogWriter, Identity

MAX_LINKS = 400  # a 'distinct' decision links at most this many record pairs


# -- what ingest does ----------------------------------------------------------------------------
def queue(w: CatalogWriter, who: Identity, paper: str, score: float, reason: str, now: str) -> None:
    """A new record that may be a copy of ``paper`` waits for a person (once per pair)."""
    other = w.members(paper)[:1]
    if other:
        w.queue_review(who, other[0], round(score, 3), reason, now)


def enforce(w: CatalogWriter, source_id: str) -> int:
    """Merge the papers that 'same' links of this source say are one; how many merges."""
    done = 0
    for a, b in w.links_of(source_id, "same"):
        keep, gone = w.paper_of(a), w.paper_of(b)
        if keep and gone and keep != gone:
            absorb(w, keep, gone)
            done += 1
    return done


def enforce_apart(w: CatalogWriter, source_id: str) -> int:
    """Separate records that 'distinct' links of this source keep apart but that share a paper
    (a catalog that merged them before the decision arrived, as a library import brings it):
    the record on the link's second side leaves for a paper of its own. How many left."""
    done = 0
    for a, b in w.links_of(source_id, "distinct"):
        paper = w.paper_of(a)
        if paper is not None and paper == w.paper_of(b):
            now = w.now()
            part = w.new_empty_paper(_id_choices(None, now, done), now)
            w.reassign(b, part)
            w.drop_match_keys(paper)
            for pid in (paper, part):
                rekey(w, pid)
                refresh(w, pid, now)
            done += 1
    return done


def refresh(w: CatalogWriter, paper: str, now: str | None = None) -> None:
    """Recompute a paper's display values (and where each came from) from all of its records."""
    values, origin = rules.resolve(w.paper_records(paper))
    w.set_paper(paper, paper_row(values), origin, now or w.now())


def rekey(w: CatalogWriter, paper: str) -> None:
    """Recompute a paper's exact and fuzzy blocking keys from its records."""
    infos = [rules.match_info(rec, file_id) for file_id, rec in w.paper_evidence(paper)]
    keys = sorted({(k, paper) for info in infos for k in rules.keys(info)})
    blocks = sorted({(k, paper) for row in blocking.block_keys(infos) for k in row.stored})
    w.add_keys(keys, blocks)


def absorb(w: CatalogWriter, keep: str, gone: str) -> None:
    """Move paper ``gone`` into ``keep``: records, keys and library state (no duplicates), then
    delete ``gone`` and recompute ``keep``."""
    w.move_paper(keep, gone)
    rekey(w, keep)
    refresh(w, keep)


# -- a person's decisions --------------------------------------------------------------------------
def merge_papers(w: CatalogWriter, keep: str, other: str) -> int:
    """Merge paper ``other`` into ``keep`` and remember it; returns the action id."""
    if keep == other:
        raise MergeError("a paper cannot be merged with itself", hint="name two different paper ids")
    w.require_paper(keep)
    w.require_paper(other)
    side_a, side_b = w.members(keep), w.members(other)
    anchor = side_a[0]
    links = [("same", anchor, who) for who in side_a[1:] + side_b]
    detail = {"a": side_a, "b": side_b, "a_paper": keep, "b_paper": other,
              # each side's library state as it was, so that a split gives each its own back
              "library": {"a": w.library_state(keep), "b": w.library_state(other)}}
    action_id = w.record_action("merge", detail, links, w.now())
    w.forget_reviews(side_a, side_b)
    absorb(w, keep, other)
    return action_id


def keep_apart(w: CatalogWriter, a: str, b: str) -> int:
    """Remember that papers ``a`` and ``b`` are different papers; returns the action id."""
    if a == b:
        raise MergeError("a paper is not distinct from itself", hint="name two different paper ids")
    w.require_paper(a)
    w.require_paper(b)
    side_a, side_b = w.members(a), w.members(b)
    links = [("distinct", x, y) for x, y in list(product(side_a, side_b))[:MAX_LINKS]]
    action_id = w.record_action("distinct", {"a": side_a, "b": side_b, "a_paper": a, "b_paper": b}, links, w.now())
    w.forget_reviews(side_a, side_b)
    return action_id


def split_paper(w: CatalogWriter, paper: str) -> list[str]:
    """Undo the last merge into ``paper`` (or, if no person merged it, give every record a paper
    of its own): the parts get their own sources, and are remembered as distinct. Returns the
    parts' paper ids; the first part (with the oldest record) keeps ``paper`` and the library
    state."""
    w.require_paper(paper)
    mine = w.members(paper)
    if len(mine) < 2:
        raise MergeError(f"paper {paper} has one source record: nothing to split",
                         hint="`paperatlas show ID --sources` lists a paper's records")
    now = w.now()
    parts, wanted_ids, undone, merged = _parts(w, paper, mine)
    if undone is not None:
        w.undo_action(undone, now)
    links = [("distinct", x, y) for i, p in enumerate(parts) for q in parts[i + 1:] for x, y in product(p, q)]
    w.record_action("split", {"paper": paper, "parts": parts}, links[:MAX_LINKS], now)
    ids = [paper] + [w.new_empty_paper(_id_choices(wanted, now, n), now) for n, wanted in enumerate(wanted_ids[1:])]
    for pid, part in zip(ids[1:], parts[1:]):
        for who in part:
            w.reassign(who, pid)
    w.drop_match_keys(paper)
    for pid in ids:  # block keys of records that left stay behind: the matcher re-judges them
        rekey(w, pid)
        refresh(w, pid, now)
    if isinstance(merged.get("library"), dict) and len(ids) == 2:
        _give_back_library(w, paper, ids[1], merged["library"])
    return ids


def _give_back_library(w: CatalogWriter, kept: str, part: str, before: dict[str, Any]) -> None:
    """After undoing a merge: the split-off part gets its own stars, tags, note, list places and
    feedback as they were before the merge, and the paper that stays loses what only the other
    part brought (what was added after the merge stays with it); for each user's library."""
    mine_all, theirs_all = before.get("a") or {}, before.get("b") or {}
    w.add_library_state(part, theirs_all)
    users = sorted({0, *(int(u) for s in (mine_all, theirs_all) for u in s.get("users", {}))})
    only_theirs: dict[str, Any] = {
        "lists": [x for x in theirs_all.get("lists", []) if x[0] not in {m[0] for m in mine_all.get("lists", [])}],
        "users": {},
    }
    for user in users:
        mine, theirs = _user_part(mine_all, user), _user_part(theirs_all, user)
        piece = {
            "star": theirs.get("star") if not mine.get("star") else None,
            "tags": [t for t in theirs.get("tags", []) if t[0] not in {m[0] for m in mine.get("tags", [])}],
            "feedback": [f for f in theirs.get("feedback", []) if f[0] not in {m[0] for m in mine.get("feedback", [])}],
        }
        if user == 0:
            only_theirs.update(piece)
        else:
            only_theirs["users"][str(user)] = piece
    w.remove_library_state(kept, only_theirs)
    for user in users:
        mine, theirs = _user_part(mine_all, user), _user_part(theirs_all, user)
        merged_note = _merged_note(mine.get("note"), theirs.get("note"))
        if merged_note is not None and w.as_user(user).note_of(kept) == merged_note:
            if mine.get("note"):
                note = {"note": mine["note"]}
                w.add_library_state(kept, note if user == 0 else {"users": {str(user): note}})
            else:
                w.drop_note(kept)
    w.as_user(0)


def _user_part(state: dict[str, Any], user: int) -> dict[str, Any]:
    """One user's rows in a paper's library state (``CatalogWriter.library_state``)."""
    return state if user == 0 else state.get("users", {}).get(str(user), {})


def _merged_note(mine: Any, theirs: Any) -> str | None:
    """The note a merge made of two (``move_paper`` joins them with a separator)."""
    if not theirs:
        return None
    if not mine:
        return str(theirs[0])
    return f"{mine[0]}\n\n---\n{theirs[0]}"


def _id_choices(wanted: str | None, now: str, n: int) -> list[str]:
    return ([wanted] if wanted else []) + [paper_id(f"split|{now}|{n}|{i}") for i in range(100)]


def _parts(w: CatalogWriter, paper: str,
           mine: list[Identity]) -> tuple[list[list[Identity]], list[str | None], int | None, dict[str, Any]]:
    """The groups to split into, the paper id each would like back, the merge undone and what
    it remembered."""
    here = set(mine)
    for action_id, detail in w.live_merges():
        side_b = [who for who in _identities(detail["b"]) if who in here]
        side_a = [who for who in _identities(detail["a"]) if who in here]
        if side_a and side_b:
            rest = [who for who in mine if who not in side_b]
            b_paper = detail.get("b_paper")
            return [rest, side_b], [paper, b_paper if isinstance(b_paper, str) else None], action_id, detail
    return [[who] for who in mine], [paper] + [None] * (len(mine) - 1), None, {}


def _identities(value: object) -> list[Identity]:
    return [(str(x[0]), str(x[1])) for x in value] if isinstance(value, list) else []
