"""Named, append-only schema migrations. Never edit one that has shipped: add the next."""

from __future__ import annotations

import sqlite3
from typing import Callable

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[tuple[str, Migration]] = []


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append((fn.__name__, fn))
    return fn


def run_script(db: sqlite3.Connection, sql: str) -> None:
    """Execute several statements inside the caller's transaction.

    ``executescript`` would COMMIT first, so statements are split with ``complete_statement``
    (which understands trigger bodies) and run one by one.
    """
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            db.execute(buf)
            buf = ""
    if buf.strip():
        db.execute(buf)


@migration
def m001_core(db: sqlite3.Connection) -> None:
    run_script(
        db,
        """
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,        -- absolute path (or a label for pasted text)
            name TEXT NOT NULL,               -- display name
            fingerprint TEXT NOT NULL,        -- sha256 of content + format + user overrides
            format TEXT NOT NULL,
            records INTEGER NOT NULL,
            claimed_total INTEGER,
            page_venue TEXT,
            page_track TEXT,
            ingested_at TEXT NOT NULL
        );
        CREATE TABLE papers (
            id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            title_key TEXT NOT NULL,
            authors TEXT NOT NULL DEFAULT '[]',
            abstract TEXT NOT NULL DEFAULT '',
            venue TEXT,
            year INTEGER,
            track TEXT,
            session TEXT,
            keywords TEXT NOT NULL DEFAULT '[]',
            links TEXT NOT NULL DEFAULT '{}',
            code_urls TEXT NOT NULL DEFAULT '[]',
            ids TEXT NOT NULL DEFAULT '{}',
            counters TEXT NOT NULL DEFAULT '{}',
            flags TEXT NOT NULL DEFAULT '[]',
            field_sources TEXT NOT NULL DEFAULT '{}',  -- field -> records.id shown
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX papers_venue_year ON papers(venue, year);
        CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            file_id INTEGER NOT NULL REFERENCES files(id),
            record_key TEXT NOT NULL,         -- identity inside the file across re-ingests
            record_id TEXT,                   -- the record's own id in its source, if any
            position INTEGER NOT NULL,
            line INTEGER,
            paper_id TEXT NOT NULL REFERENCES papers(id),
            content_hash TEXT NOT NULL,
            data TEXT NOT NULL,               -- the cleaned record, JSON
            UNIQUE (file_id, record_key)
        );
        CREATE INDEX records_paper ON records(paper_id);
        CREATE TABLE match_keys (
            key TEXT NOT NULL,                -- "t:<title key>", "a:<abstract key>", "openreview:<id>"
            paper_id TEXT NOT NULL,
            PRIMARY KEY (key, paper_id)
        ) WITHOUT ROWID;
        CREATE INDEX match_keys_paper ON match_keys(paper_id);
        """
    )


def apply(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations not applied yet, each in its own transaction; return their names."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    done = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    applied = []
    for name, fn in MIGRATIONS:
        if name in done:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            fn(db)
            db.execute(
                "INSERT INTO _migrations VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))", (name,)
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def unknown(db: sqlite3.Connection) -> list[str]:
    """Migrations recorded in the file that this version does not know (a newer paperatlas)."""
    known = {name for name, _ in MIGRATIONS}
    return [r[0] for r in db.execute("SELECT name FROM _migrations") if r[0] not in known]
