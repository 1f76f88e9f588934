"""Merging by hand, splitting, and the queue of uncertain pairs (tables of ``m005_merge_review``).

A person's decision is stored as an *action* (merge, distinct, split) with *links* between
records, each record named by its stable identity: the path of its file and its record key. Paper
ids are never stored as the truth, because they change when papers merge or split. So decisions
survive re-ingesting a changed file and re-building the catalog from the same files:

- ingest asks ``decisions_for`` about a file's new records (a 'same' link puts a record into its
  partner's paper; a 'distinct' link keeps it out), and ``enforce`` afterwards merges any papers
  that 'same' links say are one (whatever order the files came in);
- ``merge_papers`` moves one paper's records, match keys and library state (stars, tags, notes,
  list items) into another, without duplicates; ``split_paper`` restores the parts of the last
  merge (or one paper per record) with their own sources, and remembers they are distinct.

Each public function is one transaction unless it says it runs inside the caller's.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from itertools import product

from .. import blocking, merge
from ..errors import NotFound, PaperatlasError
from ..models import record_from_dict
from . import write
from .store import transaction

Identity = tuple[str, str]  # (file path, record key)
MAX_LINKS = 400  # a 'distinct' decision links at most this many record pairs


class MergeError(PaperatlasError):
    """A merge or split that cannot be done as asked (a paper with itself, one record)."""


@dataclass
class PendingPair:
    """Two papers that may be one, waiting for a person: ``paperatlas merges --pending``."""

    paper_a: str
    paper_b: str
    title_a: str
    title_b: str
    score: float
    reason: str


@dataclass
class Action:
    """A person's decision, as remembered: ``paperatlas merges --decisions``."""

    id: int
    kind: str
    decided_at: str
    undone_at: str | None
    detail: dict[str, object] = field(default_factory=dict)




# -- identities ----------------------------------------------------------------------------------
def members(db: sqlite3.Connection, paper_id: str) -> list[Identity]:
    """The identities of a paper's records, oldest first."""
    rows = db.execute(
        "SELECT f.path, r.record_key FROM records r JOIN files f ON f.id = r.file_id"
        " WHERE r.paper_id = ? ORDER BY r.id",
        (paper_id,),
    )
    return [(p, k) for p, k in rows]


def paper_of(db: sqlite3.Connection, who: Identity) -> str | None:
    row = db.execute(
        "SELECT r.paper_id FROM records r JOIN files f ON f.id = r.file_id"
        " WHERE f.path = ? AND r.record_key = ?",
        who,
    ).fetchone()
    return row[0] if row else None


def _require(db: sqlite3.Connection, paper_id: str) -> None:
    if db.execute("SELECT 1 FROM papers WHERE id = ?", (paper_id,)).fetchone() is None:
        raise NotFound(f"no paper with id {paper_id!r}", hint="`paperatlas papers` lists the ids")


# -- what ingest asks ----------------------------------------------------------------------------
def decisions_for(db: sqlite3.Connection, path: str, keys: list[str]) -> dict[str, list[tuple[str, Identity]]]:
    """For records of the file ``path``: record key -> [(decision, the other record)], from the
    actions not undone. Inside the caller's transaction."""
    out: dict[str, list[tuple[str, Identity]]] = {}
    wanted = set(keys)
    rows = db.execute(
        "SELECT l.decision, l.a_path, l.a_key, l.b_path, l.b_key FROM merge_links l"
        " JOIN merge_actions a ON a.id = l.action_id"
        " WHERE a.undone_at IS NULL AND (l.a_path = ? OR l.b_path = ?) ORDER BY l.rowid",
        (path, path),
    )
    for decision, a_path, a_key, b_path, b_key in rows:
        if a_path == path and a_key in wanted:
            out.setdefault(a_key, []).append((decision, (b_path, b_key)))
        if b_path == path and b_key in wanted:
            out.setdefault(b_key, []).append((decision, (a_path, a_key)))
    return out


def apply_decisions(db: sqlite3.Connection, entries: list[tuple[str, Identity]]) -> tuple[str | None, set[str]]:
    """(the paper a 'same' link puts the record into, the papers 'distinct' links keep it out of)."""
    forced, banned = None, set()
    for decision, other in entries:
        pid = paper_of(db, other)
        if pid is None:
            continue
        if decision == "distinct":
            banned.add(pid)
        elif forced is None:
            forced = pid
    return (None if forced in banned else forced), banned


def enforce(db: sqlite3.Connection, path: str) -> int:
    """Merge the papers that 'same' links of the file ``path`` say are one; how many merges.
    Inside the caller's transaction."""
    done = 0
    rows = db.execute(
        "SELECT l.a_path, l.a_key, l.b_path, l.b_key FROM merge_links l"
        " JOIN merge_actions a ON a.id = l.action_id"
        " WHERE a.undone_at IS NULL AND l.decision = 'same' AND (l.a_path = ? OR l.b_path = ?)",
        (path, path),
    ).fetchall()
    for a_path, a_key, b_path, b_key in rows:
        keep, gone = paper_of(db, (a_path, a_key)), paper_of(db, (b_path, b_key))
        if keep and gone and keep != gone:
            absorb(db, keep, gone)
            done += 1
    return done


def kept_apart(db: sqlite3.Connection, a: str, b: str) -> bool:
    """Does a person's decision say that papers ``a`` and ``b`` are different papers?"""
    row = db.execute(
        "SELECT 1 FROM merge_links l JOIN merge_actions x ON x.id = l.action_id"
        " JOIN files fa ON fa.path = l.a_path JOIN records ra ON ra.file_id = fa.id AND ra.record_key = l.a_key"
        " JOIN files fb ON fb.path = l.b_path JOIN records rb ON rb.file_id = fb.id AND rb.record_key = l.b_key"
        " WHERE x.undone_at IS NULL AND l.decision = 'distinct'"
        " AND ((ra.paper_id = ? AND rb.paper_id = ?) OR (ra.paper_id = ? AND rb.paper_id = ?)) LIMIT 1",
        (a, b, b, a),
    ).fetchone()
    return row is not None


def add_pending(db: sqlite3.Connection, path: str, reviews: list[tuple[str, str, float, str]], now: str) -> None:
    """Queue (record key of ``path``, paper id, score, reason) pairs. Inside the caller's
    transaction; a pair already queued stays as it is."""
    for key, pid, score, reason in reviews:
        who = members(db, pid)[:1]
        if who:
            db.execute(
                "INSERT OR IGNORE INTO merge_review (a_path, a_key, b_path, b_key, score, reason,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (path, key, *who[0], round(score, 3), reason, now),
            )


# -- the queue and the decisions -----------------------------------------------------------------
def pending(db: sqlite3.Connection, limit: int | None = None) -> list[PendingPair]:
    """Pairs waiting for review, best first: one per pair of papers, both papers still apart."""
    rows = db.execute(
        "SELECT ra.paper_id, rb.paper_id, pa.title, pb.title, q.score, q.reason FROM merge_review q"
        " JOIN files fa ON fa.path = q.a_path JOIN records ra ON ra.file_id = fa.id AND ra.record_key = q.a_key"
        " JOIN files fb ON fb.path = q.b_path JOIN records rb ON rb.file_id = fb.id AND rb.record_key = q.b_key"
        " JOIN papers pa ON pa.id = ra.paper_id JOIN papers pb ON pb.id = rb.paper_id"
        " WHERE ra.paper_id != rb.paper_id ORDER BY q.score DESC, q.id"
    )
    out: dict[frozenset[str], PendingPair] = {}
    for a, b, ta, tb, score, reason in rows:
        out.setdefault(frozenset((a, b)), PendingPair(a, b, ta, tb, score, reason))
    pairs = [p for p in out.values() if not kept_apart(db, p.paper_a, p.paper_b)]
    return pairs[:limit] if limit else pairs


def actions(db: sqlite3.Connection) -> list[Action]:
    rows = db.execute("SELECT id, kind, decided_at, undone_at, detail FROM merge_actions ORDER BY id")
    return [Action(i, k, d, u, json.loads(x)) for i, k, d, u, x in rows]


def _record_action(db: sqlite3.Connection, kind: str, detail: dict[str, object], links: list[tuple[str, Identity, Identity]]) -> int:
    cur = db.execute(
        "INSERT INTO merge_actions (kind, detail, decided_at) VALUES (?, ?, ?)",
        (kind, json.dumps(detail, ensure_ascii=False), write._now()),
    )
    action_id = int(cur.lastrowid or 0)
    db.executemany(
        "INSERT INTO merge_links (action_id, decision, a_path, a_key, b_path, b_key) VALUES (?, ?, ?, ?, ?, ?)",
        [(action_id, d, *a, *b) for d, a, b in links],
    )
    return action_id


def _resolve_queue(db: sqlite3.Connection, a: list[Identity], b: list[Identity]) -> None:
    """A person decided about these two groups: their queued pairs are answered."""
    for x, y in product(a, b):
        for first, second in ((x, y), (y, x)):
            db.execute(
                "DELETE FROM merge_review WHERE a_path = ? AND a_key = ? AND b_path = ? AND b_key = ?",
                (*first, *second),
            )


# -- merge, keep apart, split ----------------------------------------------------------------------
def merge_papers(db: sqlite3.Connection, keep: str, other: str) -> int:
    """Merge paper ``other`` into ``keep`` and remember it; returns the action id."""
    if keep == other:
        raise MergeError("a paper cannot be merged with itself", hint="name two different paper ids")
    with transaction(db):
        _require(db, keep)
        _require(db, other)
        side_a, side_b = members(db, keep), members(db, other)
        anchor = side_a[0]
        links = [("same", anchor, who) for who in side_a[1:] + side_b]
        detail = {"a": side_a, "b": side_b, "a_paper": keep, "b_paper": other}
        action_id = _record_action(db, "merge", detail, links)
        _resolve_queue(db, side_a, side_b)
        absorb(db, keep, other)
    return action_id


def keep_apart(db: sqlite3.Connection, a: str, b: str) -> int:
    """Remember that papers ``a`` and ``b`` are different papers; returns the action id."""
    if a == b:
        raise MergeError("a paper is not distinct from itself", hint="name two different paper ids")
    with transaction(db):
        _require(db, a)
        _require(db, b)
        side_a, side_b = members(db, a), members(db, b)
        links = [("distinct", x, y) for x, y in list(product(side_a, side_b))[:MAX_LINKS]]
        action_id = _record_action(db, "distinct", {"a": side_a, "b": side_b, "a_paper": a, "b_paper": b}, links)
        _resolve_queue(db, side_a, side_b)
    return action_id


def split_paper(db: sqlite3.Connection, paper_id: str) -> list[str]:
    """Undo the last merge into ``paper_id`` (or, if no person merged it, give every record a
    paper of its own): the parts get their own sources, and are remembered as distinct. Returns
    the parts' paper ids; the first part (with the oldest record) keeps ``paper_id`` and the
    library state."""
    with transaction(db):
        _require(db, paper_id)
        mine = members(db, paper_id)
        if len(mine) < 2:
            raise MergeError(f"paper {paper_id} has one source record: nothing to split",
                             hint="`paperatlas show ID --sources` lists a paper's records")
        parts, wanted_ids, undone = _parts(db, paper_id, mine)
        if undone is not None:
            db.execute("UPDATE merge_actions SET undone_at = ? WHERE id = ?", (write._now(), undone))
        links = [("distinct", x, y) for i, p in enumerate(parts) for q in parts[i + 1:] for x, y in product(p, q)]
        _record_action(db, "split", {"paper": paper_id, "parts": parts}, links[:MAX_LINKS])
        ids = [paper_id] + [_new_paper_id(db, wanted) for wanted in wanted_ids[1:]]
        for pid, part in zip(ids[1:], parts[1:]):
            for who in part:
                db.execute(
                    "UPDATE records SET paper_id = ? WHERE record_key = ?"
                    " AND file_id = (SELECT id FROM files WHERE path = ?)",
                    (pid, who[1], who[0]),
                )
        db.execute("DELETE FROM match_keys WHERE paper_id = ?", (paper_id,))
        for pid in ids:  # block keys of records that left stay behind: the matcher re-judges them
            _rekey(db, pid)
            _refresh(db, pid)
    return ids


def _parts(db: sqlite3.Connection, paper_id: str, mine: list[Identity]) -> tuple[list[list[Identity]], list[str | None], int | None]:
    """The groups to split into, the paper id each would like back, and the merge undone."""
    here = set(mine)
    rows = db.execute(
        "SELECT id, detail FROM merge_actions WHERE kind = 'merge' AND undone_at IS NULL ORDER BY id DESC"
    ).fetchall()
    for action_id, raw in rows:
        detail = json.loads(raw)
        side_b = [tuple(x) for x in detail["b"] if tuple(x) in here]
        side_a = [tuple(x) for x in detail["a"] if tuple(x) in here]
        if side_a and side_b:
            rest = [who for who in mine if who not in side_b]
            return [rest, side_b], [paper_id, detail.get("b_paper")], action_id  # type: ignore[list-item]
    return [[who] for who in mine], [paper_id] + [None] * (len(mine) - 1), None


def _new_paper_id(db: sqlite3.Connection, wanted: str | None) -> str:
    now = write._now()
    candidates = ([wanted] if wanted else []) + [write._paper_id(f"split|{now}|{i}") for i in range(100)]
    for pid in candidates:
        try:
            db.execute(
                "INSERT INTO papers (id, title, title_key, created_at, updated_at) VALUES (?, '', '', ?, ?)",
                (pid, now, now),
            )
            return pid
        except sqlite3.IntegrityError:
            continue
    raise RuntimeError("could not allocate a paper id")


def _rekey(db: sqlite3.Connection, paper_id: str) -> None:
    """Recompute a paper's blocking keys from its records."""
    rows = db.execute("SELECT file_id, data FROM records WHERE paper_id = ?", (paper_id,)).fetchall()
    infos = [merge.match_info(record_from_dict(json.loads(data)), f) for f, data in rows]
    keys = {k for info in infos for k in merge.keys(info)}
    blocks = {k for row in blocking.block_keys(infos) for k in row.stored}
    db.executemany("INSERT OR IGNORE INTO match_keys (key, paper_id) VALUES (?, ?)", [(k, paper_id) for k in keys])
    db.executemany("INSERT OR IGNORE INTO block_keys (key, paper_id) VALUES (?, ?)", [(k, paper_id) for k in blocks])


def _refresh(db: sqlite3.Connection, paper_id: str) -> None:
    write.refresh_paper(db, paper_id)


_LIBRARY_MOVES = (
    "INSERT OR IGNORE INTO stars (paper_id, created_at) SELECT :keep, created_at FROM stars WHERE paper_id = :gone",
    "INSERT OR IGNORE INTO tags (paper_id, tag, created_at) SELECT :keep, tag, created_at FROM tags WHERE paper_id = :gone",
    # Both papers have a note: keep both texts, the merged-in one after a separator.
    "UPDATE notes SET body = body || char(10) || char(10) || '---' || char(10) ||"
    " (SELECT body FROM notes WHERE paper_id = :gone), updated_at = :now"
    " WHERE paper_id = :keep AND EXISTS (SELECT 1 FROM notes WHERE paper_id = :gone)",
    "INSERT OR IGNORE INTO notes (paper_id, body, updated_at) SELECT :keep, body, updated_at FROM notes WHERE paper_id = :gone",
    "INSERT OR IGNORE INTO list_items (list_id, paper_id, position, added_at)"
    " SELECT list_id, :keep, position, added_at FROM list_items WHERE paper_id = :gone",
)


def absorb(db: sqlite3.Connection, keep: str, gone: str) -> None:
    """Move paper ``gone`` into ``keep``: records, match keys and library state (no duplicates),
    then delete ``gone`` and recompute ``keep``. Inside the caller's transaction.

    ``block_keys`` has no index by paper (ingest never needs one), so the rows of ``gone`` stay:
    they lead to a paper without records, which the matcher skips."""
    args = {"keep": keep, "gone": gone, "now": write._now()}
    db.execute("UPDATE records SET paper_id = :keep WHERE paper_id = :gone", args)
    for sql in _LIBRARY_MOVES:
        db.execute(sql, args)
    for table in ("stars", "tags", "notes", "list_items", "match_keys"):
        db.execute(f"DELETE FROM {table} WHERE paper_id = ?", (gone,))
    db.execute("DELETE FROM papers WHERE id = ?", (gone,))
    _rekey(db, keep)
    _refresh(db, keep)
