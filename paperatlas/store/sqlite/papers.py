"""Reading papers: one paper with its sources, filtered lists, files, statistics and the venue
overviews. ``filter_sql`` is the SQL compilation of ``filters.Filters``."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterator
from typing import Any

from ...errors import NotFound
from ...filters import Filters, name_terms
from ...models import Paper, Record, SourceRef, record_from_dict
from ..protocol import FileState
from .connection import Database, in_chunks

PAPER_COLUMNS = (
    "id, title, authors, abstract, venue, year, track, session, keywords, links, code_urls, ids,"
    " counters, flags, field_sources"
)
JSON_FIELDS = ("authors", "keywords", "links", "code_urls", "ids", "counters", "flags")
COLUMN_NAMES = tuple(PAPER_COLUMNS.replace(" ", "").split(","))
INDEX_COLUMNS = ("id", "title", "authors", "abstract", "venue", "year", "track", "session", "keywords", "code_urls")
NOT_FOUND_HINT = "`paperatlas papers` or `paperatlas search` lists the ids"
# ``venue_papers`` orders (``counter`` is built there); unknown values last, ties by title then id
VENUE_SORTS = {
    "title": "title COLLATE NOCASE, id",
    "track": "track IS NULL, track COLLATE NOCASE, session IS NULL, session COLLATE NOCASE, title COLLATE NOCASE, id",
    "counter": "",
}


def _json(text: str) -> Any:
    # most of these columns are empty: skip the decoder for them (a tenth of a read's time)
    if text == "[]":
        return []
    if text == "{}":
        return {}
    return json.loads(text)


def filter_sql(filters: Filters) -> tuple[list[str], list[Any]]:
    """WHERE clauses over ``papers`` (and their arguments) for ``filters`` (see filters.py for
    what each field means; ``author_terms`` holds `` w1 w2 … ``; a topic is its resolved ids)."""
    clauses: list[str] = []
    args: list[Any] = []
    for column in ("venue", "track", "session"):
        value = getattr(filters, column)
        if value and value.strip():
            # SQLite folds only A-Z; a value with other letters is compared lower-cased by
            # Python (``pa_lower``, registered on the connection), as the keyword index does.
            value = value.strip()
            clauses.append(f"({column} = ? COLLATE NOCASE OR (? AND pa_lower({column}) = ?))")
            args += [value, not value.isascii(), value.lower()]
    for field, op in (("year", "="), ("year_from", ">="), ("year_to", "<=")):
        value = getattr(filters, field)
        if value is not None:
            clauses.append(f"year {op} ?")
            args.append(value)
    if filters.author and filters.author.strip():
        words = name_terms(filters.author)
        clauses += ["instr(author_terms, ?) > 0"] * len(words) or ["0"]
        args += [f" {w} " for w in words]
    if filters.has_code is not None:
        clauses.append("code_urls != '[]'" if filters.has_code else "code_urls = '[]'")
    topic = filters.topic_set()
    if topic is not None:
        # one JSON argument, not one per id: a topic of thousands of papers stays one statement
        clauses.append("id IN (SELECT value FROM json_each(?))" if topic else "0")
        args += [json.dumps(sorted(topic))] if topic else []
    return clauses, args


def _where(filters: Filters) -> tuple[str, list[Any]]:
    clauses, args = filter_sql(filters)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


class SQLitePapers:
    """``store.protocol.PaperReads`` over SQLite."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _source_refs(self, paper_ids: builtins.list[str]) -> dict[str, builtins.list[tuple[int, SourceRef]]]:
        out: dict[str, builtins.list[tuple[int, SourceRef]]] = {pid: [] for pid in paper_ids}
        for chunk, marks in in_chunks(paper_ids):
            rows = self.db.execute(
                "SELECT r.paper_id, r.id, f.name, f.format, coalesce(r.record_id, r.position), r.line"
                f" FROM records r JOIN files f ON f.id = r.file_id WHERE r.paper_id IN ({marks})"
                " ORDER BY r.id",
                chunk,
            )
            for pid, pk, name, fmt, rid, line in rows:
                out[pid].append((pk, SourceRef(name, fmt, str(rid), line)))
        return out

    def _to_papers(self, rows: builtins.list[tuple[Any, ...]], with_sources: bool = True) -> builtins.list[Paper]:
        refs = self._source_refs([r[0] for r in rows]) if with_sources else {r[0]: [] for r in rows}
        papers = []
        for row in rows:
            data = dict(zip(COLUMN_NAMES, row))
            for name in JSON_FIELDS:
                data[name] = _json(data[name])
            by_pk = dict(refs[data["id"]])
            origin = _json(data.pop("field_sources"))
            papers.append(Paper(
                **data,
                field_sources={k: by_pk[pk] for k, pk in origin.items() if pk in by_pk},
                sources=[ref for _, ref in refs[data["id"]]],
            ))
        return papers

    def get(self, paper_id: str) -> Paper:
        row = self.db.execute(f"SELECT {PAPER_COLUMNS} FROM papers WHERE id = ?", (paper_id,)).fetchone()
        if row is None:
            raise NotFound(f"no paper with id {paper_id!r}", hint=NOT_FOUND_HINT)
        return self._to_papers([row])[0]

    def exists(self, paper_id: str) -> bool:
        return self.db.one("SELECT 1 FROM papers WHERE id = ?", (paper_id,)) is not None

    def list(self, filters: Filters, limit: int | None = 50, offset: int = 0) -> builtins.list[Paper]:
        where, args = _where(filters)
        sql = f"SELECT {PAPER_COLUMNS} FROM papers{where} ORDER BY venue, year, title, id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args = [*args, limit, offset]
        return self._to_papers(self.db.execute(sql, args).fetchall())

    def iter(self, filters: Filters, chunk: int = 1000) -> Iterator[Paper]:
        offset = 0
        while True:
            batch = self.list(filters, limit=chunk, offset=offset)
            yield from batch
            if len(batch) < chunk:
                return
            offset += chunk

    def count(self, filters: Filters) -> int:
        where, args = _where(filters)
        return int(self.db.one(f"SELECT count(*) FROM papers{where}", args))

    def ids_matching(self, filters: Filters) -> set[str]:
        where, args = _where(filters)
        return {row[0] for row in self.db.execute(f"SELECT id FROM papers{where}", args)}

    def by_ids(self, ids: builtins.list[str], with_sources: bool = True) -> dict[str, Paper]:
        """The papers with these ids (unknown ids are left out), with their sources unless told
        not to (indexers need only the text: sources cost a second query per chunk)."""
        out: dict[str, Paper] = {}
        for chunk, marks in in_chunks(ids):
            rows = self.db.execute(f"SELECT {PAPER_COLUMNS} FROM papers WHERE id IN ({marks})", chunk).fetchall()
            out.update((p.id, p) for p in self._to_papers(rows, with_sources))
        return out

    def for_indexing(self, ids: builtins.list[str]) -> dict[str, Paper]:
        """The papers with these ids, holding only what indexers read (text, authors, keywords,
        venue, year, track, session, code links); about twice as fast as ``by_ids``."""
        out: dict[str, Paper] = {}
        columns = ", ".join(INDEX_COLUMNS)
        for chunk, marks in in_chunks(ids):
            for pid, title, authors, abstract, venue, year, track, session, keywords, code_urls in self.db.execute(
                f"SELECT {columns} FROM papers WHERE id IN ({marks})", chunk
            ):
                out[pid] = Paper(id=pid, title=title, authors=_json(authors), abstract=abstract, venue=venue,
                                 year=year, track=track, session=session, keywords=_json(keywords),
                                 code_urls=_json(code_urls))
        return out

    def records_of(self, paper_id: str) -> builtins.list[tuple[SourceRef, Record]]:
        if not self.exists(paper_id):
            raise NotFound(f"no paper with id {paper_id!r}", hint=NOT_FOUND_HINT)
        rows = self.db.execute(
            "SELECT f.name, f.format, coalesce(r.record_id, r.position), r.line, r.data, r.position"
            " FROM records r JOIN files f ON f.id = r.file_id WHERE r.paper_id = ? ORDER BY r.id",
            (paper_id,),
        )
        return [
            (SourceRef(name, fmt, str(rid), line), record_from_dict(json.loads(data), pos, line))
            for name, fmt, rid, line, data, pos in rows
        ]

    def identities(self, paper_ids: builtins.list[str]) -> dict[str, builtins.list[tuple[str, str]]]:
        """Each paper's records as (source id, record key), oldest first."""
        out: dict[str, builtins.list[tuple[str, str]]] = {pid: [] for pid in paper_ids}
        for chunk, marks in in_chunks(paper_ids):
            rows = self.db.execute(
                "SELECT r.paper_id, f.source_id, r.record_key FROM records r JOIN files f ON f.id = r.file_id"
                f" WHERE r.paper_id IN ({marks}) ORDER BY r.id", chunk)
            for pid, source, key in rows:
                out[pid].append((source, key))
        return out

    def extras(self, paper_ids: builtins.list[str]) -> dict[str, builtins.list[tuple[str, dict[str, Any]]]]:
        """Each paper's records' ``extra`` (what no field took: a source's TL;DR, ...) with the
        name of the file it came from, oldest first; records with an empty extra are left out."""
        out: dict[str, builtins.list[tuple[str, dict[str, Any]]]] = {pid: [] for pid in paper_ids}
        for chunk, marks in in_chunks(paper_ids):
            rows = self.db.execute(
                "SELECT r.paper_id, f.name, json_extract(r.data, '$.extra') FROM records r JOIN files f ON f.id = r.file_id"
                f" WHERE r.paper_id IN ({marks}) AND json_extract(r.data, '$.extra') NOT IN ('{{}}', 'null') ORDER BY r.id",
                chunk)
            for pid, name, extra in rows:
                value = json.loads(extra) if extra else {}
                if isinstance(value, dict) and value:
                    out[pid].append((name, value))
        return out

    def source_names(self) -> dict[str, str]:
        """Source id -> the name of the file it was read from."""
        return {s: n for s, n in self.db.execute("SELECT source_id, name FROM files ORDER BY id")}

    def paper_by_record(self, file: str, record_id: str) -> str | None:
        """The paper holding the record ``record_id`` of the file named ``file`` (its base name as
        sources show it; a compression suffix or the extension may be left out)."""
        names = [file, *(file + s for s in (".gz", ".bz2", ".xz"))]
        files = [r[0] for r in self.db.execute(
            f"SELECT id FROM files WHERE name IN ({','.join('?' * len(names))}) ORDER BY id", names)]
        if not files:
            stem = file.split(".")[0]
            files = [i for i, n in self.db.execute("SELECT id, name FROM files ORDER BY id") if n.split(".")[0] == stem]
        for file_id in files:
            row = self.db.execute("SELECT paper_id FROM records WHERE file_id = ? AND record_id = ?",
                                  (file_id, record_id)).fetchone()
            if row is None and record_id.isdigit():
                row = self.db.execute("SELECT paper_id FROM records WHERE file_id = ? AND record_id IS NULL AND position = ?",
                                      (file_id, int(record_id))).fetchone()
            if row is not None:
                return str(row[0])
        return None

    def paper_ids_of_file(self, file_id: int) -> builtins.list[str]:
        """The papers a stored file's records are in, in file order."""
        rows = self.db.execute("SELECT paper_id FROM records WHERE file_id = ? ORDER BY position", (file_id,))
        return list(dict.fromkeys(r[0] for r in rows))

    def added_since(self, stamp: str) -> set[str]:
        """Papers that entered the catalog at or after ``stamp`` (ISO time, UTC)."""
        return {r[0] for r in self.db.execute("SELECT id FROM papers WHERE created_at >= ?", (stamp,))}

    def authors_of(self, ids: builtins.list[str]) -> dict[str, builtins.list[str]]:
        out: dict[str, builtins.list[str]] = {}
        for chunk, marks in in_chunks(ids):
            for pid, authors in self.db.execute(f"SELECT id, authors FROM papers WHERE id IN ({marks})", chunk):
                out[pid] = _json(authors)
        return out

    def file_by_fingerprint(self, fingerprint: str) -> FileState | None:
        """The stored file this exact ingest (content and options) made, from any path."""
        row = self.db.execute(
            "SELECT id, name, path, fingerprint, source_id, format, records, claimed_total, page_venue, page_track"
            " FROM files WHERE fingerprint = ? ORDER BY id LIMIT 1", (fingerprint,)
        ).fetchone()
        return None if row is None else FileState(*row)

    def files(self) -> builtins.list[dict[str, Any]]:
        cols = ["name", "path", "format", "records", "claimed_total", "page_venue", "page_track", "ingested_at"]
        rows = self.db.execute(
            f"SELECT {', '.join('f.' + c for c in cols)},"
            " (SELECT count(DISTINCT paper_id) FROM records r WHERE r.file_id = f.id)"
            " FROM files f ORDER BY f.id"
        )
        return [dict(zip([*cols, "papers"], row)) for row in rows]

    def stats(self) -> dict[str, Any]:
        """Counts per venue/year/track, per source file (with claimed totals), and field coverage."""
        one = self.db.one
        coverage = {
            name: one(f"SELECT count(*) FROM papers WHERE {cond}")
            for name, cond in {
                "title": "title != ''", "abstract": "abstract != ''", "authors": "authors != '[]'",
                "venue": "venue IS NOT NULL", "year": "year IS NOT NULL", "track": "track IS NOT NULL",
                "session": "session IS NOT NULL", "code": "code_urls != '[]'", "keywords": "keywords != '[]'",
            }.items()
        }
        venues = [
            {"venue": v, "year": y, "track": t, "papers": n}
            for v, y, t, n in self.db.execute(
                "SELECT venue, year, track, count(*) FROM papers GROUP BY venue, year, track ORDER BY venue, year, track"
            )
        ]
        return {
            "papers": one("SELECT count(*) FROM papers"),
            "records": one("SELECT count(*) FROM records"),
            "files": self.files(),
            "multi_source_papers": one(
                "SELECT count(*) FROM (SELECT paper_id FROM records GROUP BY paper_id HAVING count(DISTINCT file_id) > 1)"
            ),
            "coverage": coverage,
            "venues": venues,
        }

    # -- venue overviews -------------------------------------------------------------------------
    def venue_years(self) -> builtins.list[dict[str, Any]]:
        """One row per (venue, year): papers, tracks, sessions, and papers with code."""
        rows = self.db.execute(
            "SELECT venue, year, count(*), count(DISTINCT track), count(DISTINCT session),"
            " sum(code_urls != '[]') FROM papers GROUP BY venue, year ORDER BY venue IS NULL, venue, year DESC"
        )
        keys = ("venue", "year", "papers", "tracks", "sessions", "with_code")
        return [dict(zip(keys, row)) for row in rows]

    def venue_tracks(self, venue: str | None, year: int | None) -> builtins.list[dict[str, Any]]:
        """Papers per (track, session) of one venue and year (None: the value is unknown)."""
        v_sql, v_args = _same("venue", venue)
        y_sql, y_args = _same("year", year)
        rows = self.db.execute(
            f"SELECT track, session, count(*) FROM papers WHERE {v_sql} AND {y_sql}"
            " GROUP BY track, session ORDER BY track IS NULL, track, session IS NULL, session",
            [*v_args, *y_args],
        )
        return [{"track": t, "session": s, "papers": n} for t, s, n in rows]

    def venue_sources(self, venue: str | None, year: int | None) -> builtins.list[dict[str, Any]]:
        """The files that hold papers of one venue and year, with what each page claims to list."""
        v_sql, v_args = _same("p.venue", venue)
        y_sql, y_args = _same("p.year", year)
        rows = self.db.execute(
            "SELECT f.name, f.format, f.records, f.claimed_total, f.page_venue, f.page_track,"
            " count(DISTINCT r.paper_id) FROM files f JOIN records r ON r.file_id = f.id"
            f" JOIN papers p ON p.id = r.paper_id WHERE {v_sql} AND {y_sql} GROUP BY f.id ORDER BY f.id",
            [*v_args, *y_args],
        )
        keys = ("file", "format", "records", "claimed_total", "page_venue", "page_track", "papers")
        return [dict(zip(keys, row)) for row in rows]

    def venue_papers(self, venue: str | None, year: int | None, filters: Filters, sort: str = "title",
                     counter: str | None = None, limit: int = 50, offset: int = 0) -> tuple[builtins.list[Paper], int]:
        """A page of one venue and year's papers (None: the value is unknown) narrowed by
        ``filters``, and how many there are. ``sort``: ``title``; ``track`` (track, session,
        title; unknown last); ``counter`` (the popularity counter named ``counter``, highest
        first, papers without it last; ties by title)."""
        if sort not in VENUE_SORTS:
            raise ValueError(f"unknown venue sort {sort!r}")
        v_sql, v_args = _same("venue", venue)
        y_sql, y_args = _same("year", year)
        clauses, f_args = filter_sql(filters)
        where = " AND ".join([v_sql, y_sql, *clauses])
        args = [*v_args, *y_args, *f_args]
        total = int(self.db.one(f"SELECT count(*) FROM papers WHERE {where}", args))
        if sort == "counter":
            # json_each, not a json_extract path: a counter's name may hold any character
            ranked = (f"SELECT {PAPER_COLUMNS}, (SELECT j.value FROM json_each(papers.counters) j WHERE j.key = ?) AS c"
                      f" FROM papers WHERE {where} ORDER BY c IS NULL, c DESC, title COLLATE NOCASE, id LIMIT ? OFFSET ?")
            rows = [row[:-1] for row in self.db.execute(ranked, [counter or "", *args, limit, offset])]
        else:
            order = VENUE_SORTS[sort]
            rows = self.db.execute(f"SELECT {PAPER_COLUMNS} FROM papers WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
                                   [*args, limit, offset]).fetchall()
        return self._to_papers(rows), total

    def venue_counters(self, venue: str | None, year: int | None) -> builtins.list[tuple[str, int]]:
        """The popularity counters the papers of one venue and year carry, with how many papers
        carry each; most common first."""
        v_sql, v_args = _same("venue", venue)
        y_sql, y_args = _same("year", year)
        rows = self.db.execute(
            f"SELECT j.key, count(*) FROM papers, json_each(papers.counters) j WHERE {v_sql} AND {y_sql}"
            " AND papers.counters != '{}' GROUP BY j.key ORDER BY count(*) DESC, j.key", [*v_args, *y_args])
        return [(str(k), int(n)) for k, n in rows]


def _same(column: str, value: Any) -> tuple[str, list[Any]]:
    """``column = value`` where a None value means the column is NULL."""
    if value is None:
        return f"{column} IS NULL", []
    return f"{column} = ?", [value]  # exact, so the (venue, year) index is used
