"""The write path: one file's records into the catalog, in one transaction."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from .. import blocking, merge
from ..models import Record, record_from_dict, record_to_dict
from ..normalize import abstract_key, title_key
from . import review


@dataclass
class FileInfo:
    """The file being ingested, as the catalog records it."""

    path: str
    name: str
    fingerprint: str
    format: str
    claimed_total: int | None = None
    page_venue: str | None = None
    page_track: str | None = None


@dataclass
class BatchResult:
    found: int = 0
    new: int = 0
    merged: int = 0
    unchanged: int = 0
    updated: int = 0
    repeated: int = 0  # the same record twice in one file: kept once
    review: int = 0  # new papers that may be another paper: a pair waits in the review queue
    decided: int = 0  # records placed by a person's earlier merge/split decision
    candidates: int = 0  # (record, paper) pairs that blocking found and the rules judged
    joined: int = 0  # papers merged into another because one new record matched both
    match_seconds: float = 0.0  # spent finding and judging candidates (the rest is storing)
    not_in_file_any_more: int = 0
    warnings: list[str] = field(default_factory=list)
    paper_ids: list[str] = field(default_factory=list)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: object) -> str:
    return _ENCODER.encode(value)  # one shared encoder: json.dumps builds one per call


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_B32_PAIRS = [a + b for a in "abcdefghijklmnopqrstuvwxyz234567" for b in "abcdefghijklmnopqrstuvwxyz234567"]


def _paper_id(seed: str) -> str:
    """A short id derived from what identifies the paper (so rebuilding gives the same ids): the
    first 50 bits of its hash in lower-case base32, ten characters at a time by pairs (the same
    text as ``base64.b32encode(digest).lower()[:10]``, at a third of the cost)."""
    n = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=10).digest()[:7], "big") >> 6
    pairs = _B32_PAIRS
    return pairs[n >> 40] + pairs[(n >> 30) & 1023] + pairs[(n >> 20) & 1023] + pairs[(n >> 10) & 1023] + pairs[n & 1023]


class BatchWriter:
    """Ingests one file. Use through ``write_batch``, which owns the transaction."""

    def __init__(self, db: sqlite3.Connection, file_id: int, format: str, path: str = "") -> None:
        self.db = db
        self.file_id = file_id
        self.format = format
        self.path = path
        self._last_pk: int | None = None
        self.now = _now()
        self.infos: dict[str, merge.MatchInfo] = {}
        self.touched: set[str] = set()
        self.rows: list[tuple[object, ...]] = []

    # -- matching ---------------------------------------------------------------------------
    def paper_info(self, paper_id: str) -> merge.MatchInfo:
        if paper_id not in self.infos:
            self.infos[paper_id] = paper_match_info(self.db, paper_id)
        return self.infos[paper_id]

    def lookup(self, table: str, keys: set[str] | set[int]) -> dict[object, list[str]]:
        """The papers under each of these keys of ``match_keys`` or ``block_keys``, in one query."""
        hits: dict[object, list[str]] = {}
        if not keys:
            return hits
        rows = self.db.execute(
            f"SELECT j.value, m.paper_id FROM json_each(?) j JOIN {table} m ON m.key = j.value",
            (_dumps(list(keys)),),
        )
        for key, pid in rows:
            hits.setdefault(key, []).append(pid)
        return hits

    # -- writing ----------------------------------------------------------------------------
    def insert_record(
        self, rec: Record, key: str, paper_id: str, data: str, digest: str, pk: int | None = None
    ) -> int:
        """Queue a record row (written by ``flush_records``, all of a file in one statement)."""
        pk = self.next_record_pk() if pk is None else pk
        self.rows.append((pk, self.file_id, key, rec.record_id, rec.position, rec.line, paper_id, digest, data))
        self._last_pk = pk
        return pk

    def flush_records(self) -> None:
        self.db.executemany(
            "INSERT INTO records (id, file_id, record_key, record_id, position, line, paper_id,"
            " content_hash, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.rows,
        )
        self.rows = []

    def next_record_pk(self) -> int:
        if self._last_pk is None:
            self._last_pk = int(self.db.execute("SELECT coalesce(max(id), 0) FROM records").fetchone()[0])
        return self._last_pk + 1

    def new_paper(self, item: "Prepared", record_pk: int) -> str:
        """Insert a paper shown entirely from its first record; its id is stable for its content."""
        rec, info = item.rec, item.info
        seed = "|".join([info.title_key or info.abstract_key, rec.venue or "", str(rec.year or "")])
        origin = _dumps({name: record_pk for name in item.shown})
        for attempt in range(100):
            pid = _paper_id(f"{seed}|{attempt}")
            try:
                self.db.execute(
                    "INSERT INTO papers (id, title, title_key, authors, abstract, venue, year, track,"
                    " session, keywords, links, code_urls, ids, counters, flags, field_sources,"
                    " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (pid, *item.row, origin, self.now, self.now),
                )
                return pid
            except sqlite3.IntegrityError:  # the rare id collision: the next attempt differs
                continue
        raise RuntimeError("could not allocate a paper id")

    def refresh(self, paper_id: str) -> None:
        refresh_paper(self.db, paper_id, self.now)


def paper_match_info(db: sqlite3.Connection, paper_id: str) -> merge.MatchInfo:
    """The match view of a stored paper: the union of its records' evidence."""
    rows = db.execute("SELECT file_id, data FROM records WHERE paper_id = ?", (paper_id,)).fetchall()
    return merge.combine(merge.match_info(record_from_dict(json.loads(d)), f) for f, d in rows)


def refresh_paper(db: sqlite3.Connection, paper_id: str, now: str | None = None) -> None:
    """Recompute a paper's display values (and where each came from) from all of its records."""
    rows = db.execute(
        "SELECT r.id, f.format, r.data, r.position, r.line FROM records r"
        " JOIN files f ON f.id = r.file_id WHERE r.paper_id = ? ORDER BY r.id",
        (paper_id,),
    ).fetchall()
    sourced = [
        merge.Sourced(pk, fmt, record_from_dict(json.loads(data), pos, line))
        for pk, fmt, data, pos, line in rows
    ]
    values, origin = merge.resolve(sourced)
    db.execute(
        "UPDATE papers SET title=?, title_key=?, authors=?, abstract=?, venue=?, year=?,"
        " track=?, session=?, keywords=?, links=?, code_urls=?, ids=?, counters=?, flags=?,"
        " field_sources=?, updated_at=? WHERE id=?",
        (*_row(values), _dumps(origin), now or _now(), paper_id),
    )


def _row(values: dict[str, object], key: str | None = None) -> tuple[object, ...]:
    """The papers columns from title to flags, in table order, JSON-encoded where needed
    (``key``: the title's key when the caller has it already)."""
    if key is None:
        key = title_key(str(values["title"])) if values["title"] else ""
    return (
        values["title"],
        key,
        _dumps(values["authors"]),
        values["abstract"],
        values.get("venue"),
        values.get("year"),
        values.get("track"),
        values.get("session"),
        _dumps(values["keywords"]),
        _dumps(values["links"]),
        _dumps(values["code_urls"]),
        _dumps(values["ids"]),
        _dumps(values["counters"]),
        _dumps(values["flags"]),
    )


def record_key(rec: Record, seen: dict[str, int], key: str | None = None) -> str:
    """Identity of a record inside its file that survives re-copying the page in another order
    (``key``: the title's key when the caller has it already)."""
    if rec.record_id:
        base = "id:" + rec.record_id
    elif rec.title:
        base = "t:" + (title_key(rec.title) if key is None else key)
    else:
        base = "a:" + hashlib.blake2b(abstract_key(rec.abstract).encode(), digest_size=12).hexdigest()
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}#{seen[base]}"


def unchanged_file(db: sqlite3.Connection, path: str, fingerprint: str) -> dict[str, object] | None:
    """The stored facts of a file when this exact content was already ingested from ``path``."""
    row = db.execute(
        "SELECT records, claimed_total, page_venue, page_track, format FROM files"
        " WHERE path = ? AND fingerprint = ?",
        (path, fingerprint),
    ).fetchone()
    if row is None:
        return None
    return dict(zip(("records", "claimed_total", "page_venue", "page_track", "format"), row))


def write_batch(
    db: sqlite3.Connection,
    info: FileInfo,
    records: list[Record] | list[Prepared],
    progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Store one file's records in one transaction: all of them, or (on any error) none."""
    items = [r for r in records if isinstance(r, Prepared)]
    if len(items) != len(records):
        items = prepare([r for r in records if isinstance(r, Record)])
    result = BatchResult(found=len(items))
    db.execute("BEGIN IMMEDIATE")
    try:
        row = db.execute("SELECT id, fingerprint FROM files WHERE path = ?", (info.path,)).fetchone()
        if row and row[1] == info.fingerprint:
            result.unchanged = len(items)
            db.execute("COMMIT")
            return result
        file_id = _upsert_file(db, info, len(items), row[0] if row else None)
        _write_records(BatchWriter(db, file_id, info.format, info.path), items, result, progress)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return result


def _upsert_file(db: sqlite3.Connection, info: FileInfo, count: int, file_id: int | None) -> int:
    values = (
        info.name, info.fingerprint, info.format, count, info.claimed_total, info.page_venue,
        info.page_track, _now(),
    )
    if file_id is not None:
        db.execute(
            "UPDATE files SET name=?, fingerprint=?, format=?, records=?, claimed_total=?,"
            " page_venue=?, page_track=?, ingested_at=? WHERE id=?",
            (*values, file_id),
        )
        return file_id
    cur = db.execute(
        "INSERT INTO files (name, fingerprint, format, records, claimed_total, page_venue,"
        " page_track, ingested_at, path) VALUES (?,?,?,?,?,?,?,?,?)",
        (*values, info.path),
    )
    return int(cur.lastrowid or 0)


@dataclass
class Prepared:
    """Everything about one record that needs no database: computed ahead, maybe in a worker."""

    rec: Record
    key: str
    data: str
    digest: str
    info: merge.MatchInfo
    keys: list[str]  # exact blocking keys (match_keys)
    row: tuple[object, ...]  # the papers row if this record starts a new paper
    shown: list[str]  # the fields that row shows from this record
    blocks: list[int] = field(default_factory=list)  # fuzzy keys its paper is filed under
    probes: list[int] = field(default_factory=list)  # fuzzy keys it looks up
    bands: list[int] = field(default_factory=list)  # abstract LSH bands it looks up


def prepare(records: list[Record]) -> list[Prepared]:
    """The pure part of ingesting a file's records (serialising, hashing, match and block keys)."""
    seen_keys: dict[str, int] = {}
    out = []
    for rec in records:
        info = merge.match_info(rec, 0)
        key = record_key(rec, seen_keys, info.title_key)
        data = _dumps(_content(rec))
        digest = hashlib.blake2b(data.encode(), digest_size=16).hexdigest()
        values, origin = merge.resolve([merge.Sourced(0, "", rec)])
        row = _row(values, info.title_key if values["title"] == rec.title else None)
        out.append(Prepared(rec, key, data, digest, info, [], row, list(origin)))
    _drop_shared_ids(out)
    for item, blocks in zip(out, blocking.block_keys([item.info for item in out])):
        item.keys, item.blocks, item.probes, item.bands = merge.keys(item.info), blocks.stored, blocks.probes, blocks.bands
    return out


def _drop_shared_ids(items: list[Prepared]) -> None:
    """An id that two different records of one listing carry (a proceedings DOI, a page's own
    link) names no single paper: it is not used for matching."""
    holders: dict[tuple[str, str], set[str]] = {}
    for item in items:
        for kind, value in item.info.ids.items():
            holders.setdefault((kind, value), set()).add(item.digest)
    shared = {pair for pair, digests in holders.items() if len(digests) > 1}
    for item in items if shared else ():
        item.info.ids = {k: v for k, v in item.info.ids.items() if (k, v) not in shared}


def _content(rec: Record) -> dict[str, object]:
    data = record_to_dict(rec)
    data.pop("warnings", None)  # warnings describe the copy, not the paper
    return data


def _write_records(
    w: BatchWriter,
    items: list[Prepared],
    result: BatchResult,
    progress: Callable[[int], None] | None,
) -> None:
    existing = {
        key: (pk, digest, pid)
        for key, pk, digest, pid in w.db.execute(
            "SELECT record_key, id, content_hash, paper_id FROM records WHERE file_id = ?",
            (w.file_id,),
        )
    }
    first_of: dict[str, int] = {}  # content digest -> the first new record with that content
    for i, item in enumerate(items):
        item.info.files = {w.file_id}
        if item.key not in existing:
            first_of.setdefault(item.digest, i)
    started = time.perf_counter()
    plan = Matcher(w, result).plan([items[i] for i in sorted(first_of.values())])
    result.match_seconds = time.perf_counter() - started
    placed: dict[int, str] = {}
    for i, item in enumerate(items):
        if item.key in existing:
            pid = _write_known(w, item, existing[item.key], result)
        elif first_of[item.digest] != i:
            pid = _write_repeat(w, item, items[first_of[item.digest]], placed[first_of[item.digest]], result)
        else:
            pid = placed[i] = _write_new(w, item, plan.get(item.key), result)
        result.paper_ids.append(pid)
        if progress and (i + 1) % 500 == 0:
            progress(500)
    if progress:
        progress(len(items) % 500)
    _finish(w, plan, [items[i] for i in placed], placed, result)
    gone = set(existing) - {item.key for item in items}
    result.not_in_file_any_more = len(gone)
    if gone:
        result.warnings.append(
            f"{len(gone)} records from the previous ingest of this file are not in it any more;"
            " they stay in the catalog"
        )


def _finish(w: BatchWriter, plan: "Matcher", new: list[Prepared], placed: dict[int, str], result: BatchResult) -> None:
    """Store the new records, their keys and review pairs; join bridged papers; refresh papers."""
    w.flush_records()
    pids = list(placed.values())
    # Sorted, the inserts walk each B-tree once from left to right.
    match_keys = sorted((k, pid) for item, pid in zip(new, pids) for k in item.keys)
    block_keys = sorted((k, pid) for item, pid in zip(new, pids) for k in item.blocks)
    w.db.executemany("INSERT OR IGNORE INTO match_keys (key, paper_id) VALUES (?, ?)", match_keys)
    w.db.executemany("INSERT OR IGNORE INTO block_keys (key, paper_id) VALUES (?, ?)", block_keys)
    review.add_pending(w.db, w.path, plan.reviews(), w.now)
    for keep, other in plan.bridges:
        review.absorb(w.db, keep, other)
        w.touched.discard(other)
        result.joined += 1
    for pid in sorted(w.touched):
        w.refresh(pid)
    review.enforce(w.db, w.path)


def _write_repeat(w: BatchWriter, item: Prepared, first: Prepared, pid: str, result: BatchResult) -> str:
    """The same record twice in one file: stored, in the first one's paper, with a warning."""
    result.repeated += 1
    result.warnings.append(f"record {item.rec.position} repeats record {first.rec.position} of this file; kept once")
    w.insert_record(item.rec, item.key, pid, item.data, item.digest)
    return pid


def _write_known(w: BatchWriter, item: Prepared, known: tuple[int, str, str], result: BatchResult) -> str:
    """A record this file had before: it stays with its paper; new content refreshes the paper."""
    pk, old_digest, pid = known
    if old_digest == item.digest:
        result.unchanged += 1
        return pid
    rec = item.rec
    w.db.execute(
        "UPDATE records SET content_hash=?, data=?, position=?, line=?, record_id=? WHERE id=?",
        (item.digest, item.data, rec.position, rec.line, rec.record_id, pk),
    )
    w.infos.pop(pid, None)
    w.touched.add(pid)
    result.updated += 1
    return pid


def _write_new(w: BatchWriter, item: Prepared, pid: str | None, result: BatchResult) -> str:
    """A record new to this file: into the paper the matcher chose, or a paper of its own."""
    if pid is None:
        # records.id is an INTEGER PRIMARY KEY: the next one is max+1 inside this transaction
        pk = w.next_record_pk()
        pid = w.new_paper(item, pk)
        w.insert_record(item.rec, item.key, pid, item.data, item.digest, pk)
        result.new += 1
        return pid
    w.insert_record(item.rec, item.key, pid, item.data, item.digest)
    w.touched.add(pid)
    result.merged += 1
    return pid


class Matcher:
    """Chooses, for all new records of one file at once, the paper each joins (or none).

    Candidates come from one look-up of every blocking key of the file; each (record, paper)
    pair is judged by ``merge.judge``; merges are then assigned best score first, one record of
    this file per paper, so an exact match is never stolen by a fuzzy one. A person's earlier
    decisions about a record (``review.decisions_for``) come before any rule.
    """

    HOT_KEY = 50  # a fuzzy key shared by more papers than this says nothing (block purging)

    def __init__(self, w: BatchWriter, result: BatchResult) -> None:
        self.w, self.result = w, result
        self.choice: dict[str, str] = {}  # record key -> paper id
        self.pending: list[tuple[Prepared, str, merge.Verdict]] = []
        self.bridges: list[tuple[str, str]] = []  # (paper, another paper the same record matched)

    def get(self, record_key: str) -> str | None:
        return self.choice.get(record_key)

    def plan(self, items: list[Prepared]) -> "Matcher":
        hits = self._hits(items)
        decisions = review.decisions_for(self.w.db, self.w.path, [item.key for item in items])
        proposals: list[tuple[float, int, str, merge.Verdict]] = []
        reviews: dict[int, list[tuple[str, merge.Verdict]]] = {}
        for n, item in enumerate(items):
            found = {pid for k in item.keys + item.probes + item.bands if k in hits for pid in hits[k]}
            forced, banned = None, set()
            if item.key in decisions:
                forced, banned = review.apply_decisions(self.w.db, decisions[item.key])
            if forced:
                proposals.append((2.0, n, forced, merge.Verdict("merge", 2.0, "a person merged them")))
                self.result.decided += 1
            for pid, verdict in self._judge(item, found - banned - {forced}):
                if verdict.decision == "merge":
                    proposals.append((verdict.score, n, pid, verdict))
                else:
                    reviews.setdefault(n, []).append((pid, verdict))
        self._assign(items, proposals)
        self._queue(items, reviews)
        return self

    def _hits(self, items: list[Prepared]) -> dict[object, list[str]]:
        """Blocking key -> papers, for every key of these records (text keys are exact, integer
        keys fuzzy; a fuzzy key that names too many papers is dropped)."""
        exact = self.w.lookup("match_keys", {k for item in items for k in item.keys})
        probes = {k for item in items for k in item.probes}
        if self.w.db.execute("SELECT 1 FROM block_keys WHERE key = ?", (blocking.BANDS_FILED,)).fetchone():
            probes.update(k for item in items for k in item.bands)
        fuzzy = self.w.lookup("block_keys", probes)
        return exact | {k: pids for k, pids in fuzzy.items() if len(pids) <= self.HOT_KEY}

    def _judge(self, item: Prepared, papers: set[str]) -> list[tuple[str, merge.Verdict]]:
        """The verdicts other than 'distinct' of one record against its candidate papers."""
        out = []
        for pid in papers:
            info = self.w.paper_info(pid)
            if not info.size:
                continue  # fuzzy keys of a paper that merged away
            verdict = merge.judge(item.info, info)
            self.result.candidates += 1
            if verdict.decision != "distinct":
                out.append((pid, verdict))
        return out

    def _assign(self, items: list[Prepared], proposals: list[tuple[float, int, str, merge.Verdict]]) -> None:
        """Best score first, each record to one paper and each paper to one record of this file."""
        taken: set[str] = set()
        ranked = sorted(proposals, key=lambda p: (-p[0], p[1], p[2]))
        for _, n, pid, _ in ranked:
            if items[n].key not in self.choice and pid not in taken:
                self.choice[items[n].key] = pid
                taken.add(pid)
        self._bridges(items, ranked, taken)

    def _queue(self, items: list[Prepared], reviews: dict[int, list[tuple[str, merge.Verdict]]]) -> None:
        """The best uncertain pair of each record waits for a person; a record that joined a paper
        only queues a pair whose two papers could be one."""
        joined = {pid for pair in self.bridges for pid in pair}
        for n, options in reviews.items():
            chosen = self.choice.get(items[n].key)
            if chosen is not None:
                mine = self.w.paper_info(chosen)
                options = [(p, v) for p, v in options if p not in joined and merge.joinable(mine, self.w.paper_info(p))]
            if options:
                pid, verdict = max(options, key=lambda f: (f[1].score, f[0]))
                self.pending.append((items[n], pid, verdict))
        self.result.review += len(self.pending)

    def _bridges(self, items: list[Prepared], ranked: list[tuple[float, int, str, merge.Verdict]], taken: set[str]) -> None:
        """A record that matches two papers joins them (when nothing says they differ)."""
        infos = {pid: self.w.paper_info(pid) for pid in taken}
        for _, n, pid, verdict in ranked:
            chosen = self.choice.get(items[n].key)
            if chosen is None or pid == chosen or pid in taken or verdict.score > 1.0:
                continue
            info = self.w.paper_info(pid)
            if merge.joinable(infos[chosen], info) and not review.kept_apart(self.w.db, chosen, pid):
                self.bridges.append((chosen, pid))
                infos[chosen] = merge.combine([infos[chosen], info])
                taken.add(pid)

    def reviews(self) -> list[tuple[str, str, float, str]]:
        """(record key, paper id, score, reason) of each new record that waits for review."""
        return [(item.key, pid, v.score, v.reason) for item, pid, v in self.pending]
