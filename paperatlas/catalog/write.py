"""The write path: one file's records into the catalog, in one transaction."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from .. import merge
from ..models import Record, record_from_dict, record_to_dict
from ..normalize import abstract_key, title_key


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
    not_in_file_any_more: int = 0
    skipped_identical_file: bool = False
    warnings: list[str] = field(default_factory=list)
    paper_ids: list[str] = field(default_factory=list)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(value: object) -> str:
    return _ENCODER.encode(value)  # one shared encoder: json.dumps builds one per call


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _paper_id(seed: str) -> str:
    """A short id derived from what identifies the paper (so rebuilding gives the same ids)."""
    digest = hashlib.blake2b(seed.encode(), digest_size=10).digest()
    return base64.b32encode(digest).decode().lower()[:10]


class BatchWriter:
    """Ingests one file. Use through ``write_batch``, which owns the transaction."""

    def __init__(self, db: sqlite3.Connection, file_id: int, format: str) -> None:
        self.db = db
        self.file_id = file_id
        self.format = format
        self._last_pk: int | None = None
        self.now = _now()
        self.infos: dict[str, merge.MatchInfo] = {}
        self.touched: set[str] = set()

    # -- matching ---------------------------------------------------------------------------
    def paper_info(self, paper_id: str) -> merge.MatchInfo:
        if paper_id not in self.infos:
            rows = self.db.execute(
                "SELECT file_id, data FROM records WHERE paper_id = ?", (paper_id,)
            ).fetchall()
            self.infos[paper_id] = merge.combine(
                merge.match_info(record_from_dict(json.loads(d)), f) for f, d in rows
            )
        return self.infos[paper_id]

    def find_paper(self, info: merge.MatchInfo, keys: list[str]) -> str | None:
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        candidates = [
            r[0]
            for r in self.db.execute(
                f"SELECT DISTINCT paper_id FROM match_keys WHERE key IN ({marks}) ORDER BY paper_id",
                keys,
            )
        ]
        for pid in candidates:
            if merge.decide(info, self.paper_info(pid)) == "merge":
                return pid
        return None

    # -- writing ----------------------------------------------------------------------------
    def add_keys(self, paper_id: str, keys: list[str]) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO match_keys (key, paper_id) VALUES (?, ?)",
            [(k, paper_id) for k in keys],
        )

    def insert_record(
        self, rec: Record, key: str, paper_id: str, data: str, digest: str, pk: int | None = None
    ) -> int:
        cur = self.db.execute(
            "INSERT INTO records (id, file_id, record_key, record_id, position, line, paper_id,"
            " content_hash, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (pk, self.file_id, key, rec.record_id, rec.position, rec.line, paper_id, digest, data),
        )
        self._last_pk = int(cur.lastrowid or 0)
        return self._last_pk

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
        """Recompute a paper's display values from all of its records."""
        rows = self.db.execute(
            "SELECT r.id, f.format, r.data, r.position, r.line FROM records r"
            " JOIN files f ON f.id = r.file_id WHERE r.paper_id = ? ORDER BY r.id",
            (paper_id,),
        ).fetchall()
        sourced = [
            merge.Sourced(pk, fmt, record_from_dict(json.loads(data), pos, line))
            for pk, fmt, data, pos, line in rows
        ]
        values, origin = merge.resolve(sourced)
        self.db.execute(
            "UPDATE papers SET title=?, title_key=?, authors=?, abstract=?, venue=?, year=?,"
            " track=?, session=?, keywords=?, links=?, code_urls=?, ids=?, counters=?, flags=?,"
            " field_sources=?, updated_at=? WHERE id=?",
            (*_row(values), _dumps(origin), self.now, paper_id),
        )


def _row(values: dict[str, object]) -> tuple[object, ...]:
    """The papers columns from title to flags, in table order, JSON-encoded where needed."""
    return (
        values["title"],
        title_key(str(values["title"])) if values["title"] else "",
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


def record_key(rec: Record, seen: dict[str, int]) -> str:
    """Identity of a record inside its file that survives re-copying the page in another order."""
    if rec.record_id:
        base = "id:" + rec.record_id
    elif rec.title:
        base = "t:" + title_key(rec.title)
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
            result.skipped_identical_file = True
            db.execute("COMMIT")
            return result
        file_id = _upsert_file(db, info, len(items), row[0] if row else None)
        _write_records(BatchWriter(db, file_id, info.format), items, result, progress)
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
    keys: list[str]
    row: tuple[object, ...]  # the papers row if this record starts a new paper
    shown: list[str]  # the fields that row shows from this record


def prepare(records: list[Record]) -> list[Prepared]:
    """The pure part of ingesting a file's records (serialising, hashing, match keys)."""
    seen_keys: dict[str, int] = {}
    out = []
    for rec in records:
        key = record_key(rec, seen_keys)
        data = _dumps(_content(rec))
        digest = hashlib.blake2b(data.encode(), digest_size=16).hexdigest()
        info = merge.match_info(rec, 0)
        values, origin = merge.resolve([merge.Sourced(0, "", rec)])
        out.append(Prepared(rec, key, data, digest, info, merge.keys(info), _row(values), list(origin)))
    return out


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
    seen_content: dict[str, tuple[str, int]] = {}
    for i, item in enumerate(items, 1):
        item.info.files = {w.file_id}
        result.paper_ids.append(_write_one(w, item, existing, seen_content, result))
        if progress and i % 500 == 0:
            progress(500)
    if progress:
        progress(len(items) % 500)
    gone = set(existing) - {item.key for item in items}
    result.not_in_file_any_more = len(gone)
    if gone:
        result.warnings.append(
            f"{len(gone)} records from the previous ingest of this file are not in it any more;"
            " they stay in the catalog"
        )
    for pid in sorted(w.touched):
        w.refresh(pid)


def _content(rec: Record) -> dict[str, object]:
    data = record_to_dict(rec)
    data.pop("warnings", None)  # warnings describe the copy, not the paper
    return data


def _write_one(
    w: BatchWriter,
    item: Prepared,
    existing: dict[str, tuple[int, str, str]],
    seen_content: dict[str, tuple[str, int]],
    result: BatchResult,
) -> str:
    rec, key, data, digest = item.rec, item.key, item.data, item.digest
    if key in existing:
        pk, old_digest, pid = existing[key]
        if old_digest == digest:
            result.unchanged += 1
        else:
            w.db.execute(
                "UPDATE records SET content_hash=?, data=?, position=?, line=?, record_id=? WHERE id=?",
                (digest, data, rec.position, rec.line, rec.record_id, pk),
            )
            w.infos.pop(pid, None)
            w.touched.add(pid)
            result.updated += 1
        return pid
    if digest in seen_content:
        pid, first = seen_content[digest]
        result.repeated += 1
        result.warnings.append(f"record {rec.position} repeats record {first} of this file; kept once")
        w.insert_record(rec, key, pid, data, digest)
        return pid
    pid = w.find_paper(item.info, item.keys)
    if pid is None:
        # records.id is an INTEGER PRIMARY KEY: the next one is max+1 inside this transaction
        pk = w.next_record_pk()
        pid = w.new_paper(item, pk)
        w.insert_record(rec, key, pid, data, digest, pk)
        result.new += 1
    else:
        w.insert_record(rec, key, pid, data, digest)
        w.touched.add(pid)
        result.merged += 1
    w.add_keys(pid, item.keys)
    if pid in w.infos:
        w.infos[pid] = merge.combine([w.infos[pid], item.info])
    else:
        w.infos[pid] = item.info
    seen_content[digest] = (pid, rec.position)
    return pid
