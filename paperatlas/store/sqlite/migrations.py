"""Named, append-only schema migrations of the SQLite store. Never edit one that has shipped: add
the next. (m001 and m002 were once edited after shipping; they are back to their shipped text,
and m006/m007 make the changes those edits made, so every catalog ends with the same schema:
tests/test_migrations.py checks it against catalogs written by the first shipped version.)"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from ...filters import author_terms_text

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
        CREATE INDEX papers_title_key ON papers(title_key);
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


@migration
def m002_change_feed(db: sqlite3.Connection) -> None:
    """Every insert, update or delete of a paper, in order, so derived indexes (keyword, vectors)
    catch up incrementally; ``index_state`` remembers how far each index has read."""
    run_script(
        db,
        """
        CREATE TABLE paper_changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            paper_id TEXT NOT NULL,
            op TEXT NOT NULL                  -- 'upsert' or 'delete'
        );
        CREATE TRIGGER papers_changes_insert AFTER INSERT ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (new.id, 'upsert');
        END;
        CREATE TRIGGER papers_changes_update AFTER UPDATE ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (new.id, 'upsert');
        END;
        CREATE TRIGGER papers_changes_delete AFTER DELETE ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (old.id, 'delete');
        END;
        INSERT INTO paper_changes (paper_id, op) SELECT id, 'upsert' FROM papers;
        CREATE TABLE index_state (
            name TEXT PRIMARY KEY,            -- e.g. 'keyword', 'vectors:minilm-l6-int8'
            seq INTEGER NOT NULL,             -- last paper_changes.seq applied
            info TEXT NOT NULL DEFAULT '{}'
        );
        """,
    )


@migration
def m003_embeddings(db: sqlite3.Connection) -> None:
    """Embeddings keyed by model and a hash of the embedded text: nothing is embedded twice."""
    run_script(
        db,
        """
        CREATE TABLE embeddings (
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            vector BLOB NOT NULL,             -- int8 components
            scale REAL NOT NULL,              -- vector = int8 * scale (unit length before quantising)
            PRIMARY KEY (model, text_hash)
        ) WITHOUT ROWID;
        CREATE TABLE paper_embeddings (
            paper_id TEXT NOT NULL,
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            PRIMARY KEY (paper_id, model)
        ) WITHOUT ROWID;
        """,
    )


@migration
def m004_library(db: sqlite3.Connection) -> None:
    """A person's own state: stars, tags, notes and reading lists."""
    run_script(
        db,
        """
        CREATE TABLE stars (
            paper_id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL
        );
        CREATE TABLE tags (
            paper_id TEXT NOT NULL,
            tag TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, tag)
        );
        CREATE INDEX tags_tag ON tags(tag);
        CREATE TABLE notes (
            paper_id TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE lists (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE list_items (
            list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
            paper_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (list_id, paper_id)
        );
        """,
    )


@migration
def m005_merge_review(db: sqlite3.Connection) -> None:
    """Fuzzy blocking keys; a person's merge decisions and the queue of uncertain pairs, both keyed
    by stable record identities (file path + record key), never by paper ids, which change when
    papers merge or split: decisions survive re-ingest and re-building from the same files."""
    run_script(
        db,
        """
        CREATE TABLE merge_actions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,               -- 'merge', 'distinct' or 'split'
            detail TEXT NOT NULL DEFAULT '{}',  -- JSON: the records of each side, paper ids then
            decided_at TEXT NOT NULL,
            undone_at TEXT                    -- a later split undid this merge
        );
        CREATE TABLE merge_links (            -- what an action says about two records
            action_id INTEGER NOT NULL REFERENCES merge_actions(id),
            decision TEXT NOT NULL,           -- 'same' or 'distinct'
            a_path TEXT NOT NULL,
            a_key TEXT NOT NULL,
            b_path TEXT NOT NULL,
            b_key TEXT NOT NULL
        );
        CREATE INDEX merge_links_a ON merge_links(a_path, a_key);
        CREATE INDEX merge_links_b ON merge_links(b_path, b_key);
        CREATE TABLE block_keys (             -- fuzzy blocking keys (merge.block_keys): 64-bit
            key INTEGER NOT NULL,             -- hashes of title words, authors+venue+year, and
            paper_id TEXT NOT NULL,           -- abstract LSH bands; looked up by key only
            PRIMARY KEY (key, paper_id)
        ) WITHOUT ROWID;
        CREATE TABLE merge_review (           -- a new record that may be a copy of another paper
            id INTEGER PRIMARY KEY,
            a_path TEXT NOT NULL,             -- the record that became a paper of its own
            a_key TEXT NOT NULL,
            b_path TEXT NOT NULL,             -- a record of the paper it may belong to
            b_key TEXT NOT NULL,
            score REAL NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (a_path, a_key, b_path, b_key)
        );
        """,
    )


@migration
def m006_no_title_key_index(db: sqlite3.Connection) -> None:
    """Matching looks titles up in ``match_keys``; the index on ``papers.title_key`` only cost
    time on every insert (catalogs made while m001 was edited never had it)."""
    db.execute("DROP INDEX IF EXISTS papers_title_key")


CHANGE_FEED_TABLE = """CREATE TABLE paper_changes (
            seq INTEGER PRIMARY KEY,          -- rowids only grow: rows are never deleted
            paper_id TEXT NOT NULL,
            op TEXT NOT NULL                  -- 'upsert' or 'delete'
        )"""
CHANGE_FEED_TRIGGERS = """
        CREATE TRIGGER papers_changes_insert AFTER INSERT ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (new.id, 'upsert');
        END;
        CREATE TRIGGER papers_changes_update AFTER UPDATE ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (new.id, 'upsert');
        END;
        CREATE TRIGGER papers_changes_delete AFTER DELETE ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (old.id, 'delete');
        END;
"""


@migration
def m007_change_feed_without_autoincrement(db: sqlite3.Connection) -> None:
    """A plain INTEGER PRIMARY KEY instead of AUTOINCREMENT: no ``sqlite_sequence`` write per
    paper insert. Rows are never deleted, so sequence numbers still only grow."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'paper_changes'").fetchone()[0]
    if "AUTOINCREMENT" not in sql.upper():
        return  # made while m002 was edited: already so
    run_script(
        db,
        """
        CREATE TEMP TABLE paper_changes_copy AS SELECT seq, paper_id, op FROM paper_changes;
        DROP TRIGGER papers_changes_insert;
        DROP TRIGGER papers_changes_update;
        DROP TRIGGER papers_changes_delete;
        DROP TABLE paper_changes;
        """,
    )
    db.execute(CHANGE_FEED_TABLE)
    run_script(db, CHANGE_FEED_TRIGGERS)
    db.execute("INSERT INTO paper_changes (seq, paper_id, op) SELECT seq, paper_id, op FROM paper_changes_copy ORDER BY seq")
    db.execute("DROP TABLE temp.paper_changes_copy")
    db.execute("DELETE FROM sqlite_sequence WHERE name = 'paper_changes'")


@migration
def m008_source_identity(db: sqlite3.Connection) -> None:
    """Decisions and review pairs name records by their *source* (the content hash of the file
    when it was first read, kept when the file changes) instead of its path, so moving the data
    folder orphans nothing and a library export names records any catalog can find. Files
    remember the hash of their bytes, so the same content read from another path is unchanged.
    Files stored before this keep their fingerprint as their source id."""
    run_script(
        db,
        """
        ALTER TABLE files ADD COLUMN content_hash TEXT;   -- sha256 of the bytes as read
        ALTER TABLE files ADD COLUMN source_id TEXT;      -- stable identity, kept when the file changes
        UPDATE files SET source_id = fingerprint;
        CREATE INDEX files_source ON files(source_id);
        CREATE INDEX files_fingerprint ON files(fingerprint);
        CREATE INDEX files_content ON files(content_hash);
        CREATE TEMP TABLE links_copy AS
            SELECT l.action_id, l.decision, coalesce(fa.source_id, 'path:' || l.a_path) AS a_source, l.a_key,
                   coalesce(fb.source_id, 'path:' || l.b_path) AS b_source, l.b_key
            FROM merge_links l LEFT JOIN files fa ON fa.path = l.a_path LEFT JOIN files fb ON fb.path = l.b_path
            ORDER BY l.rowid;
        CREATE TEMP TABLE review_copy AS
            SELECT q.id, coalesce(fa.source_id, 'path:' || q.a_path) AS a_source, q.a_key,
                   coalesce(fb.source_id, 'path:' || q.b_path) AS b_source, q.b_key, q.score, q.reason, q.created_at
            FROM merge_review q LEFT JOIN files fa ON fa.path = q.a_path LEFT JOIN files fb ON fb.path = q.b_path;
        DROP TABLE merge_links;
        DROP TABLE merge_review;
        CREATE TABLE merge_links (            -- what an action says about two records
            action_id INTEGER NOT NULL REFERENCES merge_actions(id),
            decision TEXT NOT NULL,           -- 'same' or 'distinct'
            a_source TEXT NOT NULL,           -- files.source_id
            a_key TEXT NOT NULL,              -- records.record_key
            b_source TEXT NOT NULL,
            b_key TEXT NOT NULL
        );
        CREATE INDEX merge_links_a ON merge_links(a_source, a_key);
        CREATE INDEX merge_links_b ON merge_links(b_source, b_key);
        CREATE TABLE merge_review (           -- a new record that may be a copy of another paper
            id INTEGER PRIMARY KEY,
            a_source TEXT NOT NULL,           -- the record that became a paper of its own
            a_key TEXT NOT NULL,
            b_source TEXT NOT NULL,           -- a record of the paper it may belong to
            b_key TEXT NOT NULL,
            score REAL NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (a_source, a_key, b_source, b_key)
        );
        INSERT INTO merge_links SELECT * FROM links_copy;
        INSERT INTO merge_review SELECT * FROM review_copy;
        DROP TABLE temp.links_copy;
        DROP TABLE temp.review_copy;
        """,
    )
    sources = dict(db.execute("SELECT path, source_id FROM files").fetchall())
    for action_id, raw in db.execute("SELECT id, detail FROM merge_actions").fetchall():
        detail = json.loads(raw)
        for side in ("a", "b"):
            if isinstance(detail.get(side), list):
                detail[side] = [[sources.get(p, "path:" + p), k] for p, k in detail[side]]
        if isinstance(detail.get("parts"), list):
            detail["parts"] = [[[sources.get(p, "path:" + p), k] for p, k in part] for part in detail["parts"]]
        db.execute("UPDATE merge_actions SET detail = ? WHERE id = ?", (json.dumps(detail, ensure_ascii=False), action_id))


@migration
def m009_author_terms(db: sqlite3.Connection) -> None:
    """The words of each paper's author names (``filters.name_terms``), so an author filter means
    the same in SQL as in the keyword index. Filled in without touching the change feed: no
    derived index reads it."""
    db.execute("ALTER TABLE papers ADD COLUMN author_terms TEXT NOT NULL DEFAULT ''")
    db.execute("DROP TRIGGER papers_changes_update")
    rows = db.execute("SELECT id, authors FROM papers WHERE authors != '[]'").fetchall()
    db.executemany(
        "UPDATE papers SET author_terms = ? WHERE id = ?",
        [(author_terms_text([str(a) for a in json.loads(authors)]), pid) for pid, authors in rows],
    )
    db.execute(
        """CREATE TRIGGER papers_changes_update AFTER UPDATE ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (new.id, 'upsert');
        END"""
    )


@migration
def m010_profile_feedback(db: sqlite3.Connection) -> None:
    """What a person said about a recommendation, per profile ('starred', 'tag:rl', 'list:mine'):
    'not interested' (an explicit negative, undoable by deleting the row); and records found by
    their own id in their file (profiles in batch mode name papers that way)."""
    run_script(
        db,
        """
        CREATE TABLE profile_feedback (
            profile TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            kind TEXT NOT NULL,               -- 'not_interested'
            created_at TEXT NOT NULL,
            PRIMARY KEY (profile, paper_id)
        );
        CREATE INDEX profile_feedback_paper ON profile_feedback(paper_id);
        CREATE INDEX records_file_record ON records(file_id, record_id);   -- a record by its own id (batch profiles)
        """,
    )


@migration
def m011_sources(db: sqlite3.Connection) -> None:
    """Sources that fetch themselves (``paperatlas sources``), the entries each has delivered (the
    latest payload of each, so a changed entry rebuilds its partition's document and a re-fetch
    updates the same records), and one row per sync run with the change-feed span it covers."""
    run_script(
        db,
        """
        CREATE TABLE sources (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,               -- the connector: 'arxiv', 'openreview', ...
            options TEXT NOT NULL DEFAULT '{}',   -- JSON; never credentials
            state TEXT NOT NULL DEFAULT '{}',     -- JSON: cursor, validators, high-water mark
            created_at TEXT NOT NULL
        );
        CREATE TABLE source_items (
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            key TEXT NOT NULL,                -- the entry's id in the source
            partition TEXT NOT NULL,          -- the document it is stored in (a day, a bucket)
            version TEXT NOT NULL,            -- sha256 of the payload
            payload BLOB NOT NULL,            -- zlib of the entry as fetched
            stamp TEXT,                       -- the entry's own date
            first_seen TEXT NOT NULL,
            changed_at TEXT NOT NULL,
            PRIMARY KEY (source_id, key)
        ) WITHOUT ROWID;
        CREATE INDEX source_items_partition ON source_items(source_id, partition);
        CREATE TABLE sync_runs (
            id INTEGER PRIMARY KEY,
            source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,             -- 'running', 'ok', 'error', 'interrupted'
            counts TEXT NOT NULL DEFAULT '{}',    -- JSON: requests, pages, items, new, merged, ...
            error TEXT,
            seq_from INTEGER NOT NULL,        -- paper_changes.seq before the run
            seq_to INTEGER                    -- ... and after it
        );
        CREATE INDEX sync_runs_source ON sync_runs(source_id, id);
        """,
    )


@migration
def m012_programme(db: sqlite3.Connection) -> None:
    """Conference programmes (``paperatlas programme``): one per venue (case-folded) and year, its
    sessions with times, rooms and the papers each presents (a reference as the programme wrote
    it, the catalog paper it matched or NULL, the poster board). A re-import replaces the whole
    programme; what a person chose lives in the library and is not touched."""
    run_script(
        db,
        """
        CREATE TABLE programmes (
            venue_key TEXT NOT NULL,          -- the venue, case-folded
            year INTEGER NOT NULL,
            venue TEXT NOT NULL,              -- as given
            source TEXT NOT NULL,             -- 'ics:<file>', 'csv:<file>', 'json:<file>', 'listings'
            imported_at TEXT NOT NULL,
            PRIMARY KEY (venue_key, year)
        );
        CREATE TABLE programme_sessions (
            id INTEGER PRIMARY KEY,
            venue_key TEXT NOT NULL,
            year INTEGER NOT NULL,
            key TEXT NOT NULL,                -- identity across re-imports (organisers' UID, or name + start)
            name TEXT NOT NULL,
            starts_at TEXT,                   -- ISO 8601: with offset when zoned, without when floating, date when all-day
            ends_at TEXT,
            tz TEXT,                          -- the zone's name as given (display)
            all_day INTEGER NOT NULL DEFAULT 0,
            room TEXT,
            kind TEXT,                        -- poster, oral, spotlight, talk, ...
            description TEXT NOT NULL DEFAULT '',
            url TEXT,
            position INTEGER NOT NULL,        -- order in the programme file
            UNIQUE (venue_key, year, key),
            FOREIGN KEY (venue_key, year) REFERENCES programmes(venue_key, year) ON DELETE CASCADE
        );
        CREATE TABLE programme_entries (
            session_id INTEGER NOT NULL REFERENCES programme_sessions(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            ref TEXT NOT NULL,                -- how the programme named the paper
            paper_id TEXT,                    -- NULL: a paper the catalog lacks
            board TEXT,
            ids TEXT NOT NULL DEFAULT '{}',   -- JSON: strong ids the reference carried
            PRIMARY KEY (session_id, position)
        );
        CREATE INDEX programme_entries_paper ON programme_entries(paper_id);
        """,
    )


@migration
def m013_watches(db: sqlite3.Connection) -> None:
    """Watches (saved searches and recommendation profiles), what each reported (one row per
    paper, reason and state: the UNIQUE key is what makes an item reported once until it changes
    again), followed authors, the last state seen of each paper (to type a change: new version,
    decision, code), and counters as a time series (trending)."""
    run_script(
        db,
        """
        CREATE TABLE watches (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,               -- 'query', 'profile' or 'follows'
            query TEXT NOT NULL DEFAULT '',
            filters TEXT NOT NULL DEFAULT '{}',  -- JSON: Filters.to_dict()
            mode TEXT NOT NULL DEFAULT 'keyword',
            profile TEXT,                     -- starred | tag:X | list:N
            created_at TEXT NOT NULL,
            created_seq INTEGER NOT NULL,     -- the change feed when it was added: nothing before is reported
            checked_at TEXT,
            error TEXT                        -- the last check's problem with this watch (a profile emptied, ...)
        );
        CREATE TABLE watch_items (
            id INTEGER PRIMARY KEY,
            watch_id INTEGER NOT NULL REFERENCES watches(id) ON DELETE CASCADE,
            paper_id TEXT NOT NULL,
            reason TEXT NOT NULL,             -- new, new_version, decision, track_changed, code, trending, followed_author
            state TEXT NOT NULL DEFAULT '',   -- what was reported: 'v3', 'Poster', a week and counter, ...
            detail TEXT NOT NULL DEFAULT '{}',
            title TEXT NOT NULL DEFAULT '',   -- as it was when reported (the paper may be merged away later)
            reported_at TEXT NOT NULL,
            seen_at TEXT,
            UNIQUE (watch_id, paper_id, reason, state)
        );
        CREATE INDEX watch_items_time ON watch_items(watch_id, reported_at);
        CREATE TABLE follows (
            key TEXT PRIMARY KEY,             -- the name's words, folded and sorted
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE paper_snapshots (
            paper_id TEXT PRIMARY KEY,
            key TEXT,                         -- its strong id (arxiv:…, openreview:…): outlives a paper id
            state TEXT NOT NULL               -- JSON: version, track, code urls
        );
        CREATE INDEX paper_snapshots_key ON paper_snapshots(key);
        CREATE TABLE watch_state (
            name TEXT PRIMARY KEY,            -- 'checked', 'counters': how far the change feed was read
            seq INTEGER NOT NULL
        );
        CREATE TABLE counter_series (
            paper_id TEXT NOT NULL,
            counter TEXT NOT NULL,
            value INTEGER NOT NULL,
            observed_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, counter, observed_at)
        );
        CREATE INDEX counter_series_time ON counter_series(observed_at);
        """,
    )


@migration
def m014_users(db: sqlite3.Connection) -> None:
    """People of a lab server, each with their own library: ``users`` (a token, stored as its
    SHA-256 only), and a ``user_id`` on every library row (0: the catalog's owner, the one user of
    a personal catalog; what was there before belongs to the owner). Reading lists are owned by
    a user (names are unique per user) and their items follow the list. SQLite cannot change a
    primary key in place, so the library tables are rebuilt (rows keep their order: rowid)."""
    run_script(
        db,
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,           -- from 1; 0 is the owner, who has no row
            name TEXT NOT NULL UNIQUE,
            token_hash TEXT NOT NULL UNIQUE,  -- hex SHA-256 of the token (tokens are 256-bit random)
            created_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE server_keys (            -- secrets a server signs with (session cookies, CSRF)
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE stars_new (
            user_id INTEGER NOT NULL DEFAULT 0,
            paper_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, paper_id)
        );
        INSERT INTO stars_new (user_id, paper_id, created_at) SELECT 0, paper_id, created_at FROM stars ORDER BY rowid;
        DROP TABLE stars;
        ALTER TABLE stars_new RENAME TO stars;
        CREATE INDEX stars_paper ON stars(paper_id);
        CREATE TABLE tags_new (
            user_id INTEGER NOT NULL DEFAULT 0,
            paper_id TEXT NOT NULL,
            tag TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, paper_id, tag)
        );
        INSERT INTO tags_new (user_id, paper_id, tag, created_at) SELECT 0, paper_id, tag, created_at FROM tags ORDER BY rowid;
        DROP TABLE tags;
        ALTER TABLE tags_new RENAME TO tags;
        CREATE INDEX tags_tag ON tags(user_id, tag);
        CREATE INDEX tags_paper ON tags(paper_id);
        CREATE TABLE notes_new (
            user_id INTEGER NOT NULL DEFAULT 0,
            paper_id TEXT NOT NULL,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (user_id, paper_id)
        );
        INSERT INTO notes_new (user_id, paper_id, body, updated_at)
            SELECT 0, paper_id, body, updated_at FROM notes ORDER BY rowid;
        DROP TABLE notes;
        ALTER TABLE notes_new RENAME TO notes;
        CREATE INDEX notes_paper ON notes(paper_id);
        CREATE TABLE profile_feedback_new (
            user_id INTEGER NOT NULL DEFAULT 0,
            profile TEXT NOT NULL,
            paper_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, profile, paper_id)
        );
        INSERT INTO profile_feedback_new (user_id, profile, paper_id, kind, created_at)
            SELECT 0, profile, paper_id, kind, created_at FROM profile_feedback ORDER BY rowid;
        DROP TABLE profile_feedback;
        ALTER TABLE profile_feedback_new RENAME TO profile_feedback;
        CREATE INDEX profile_feedback_paper ON profile_feedback(paper_id);
        """,
    )
    # lists keep their ids; the items reference them, so both are rebuilt, the items' table
    # dropped first (with foreign keys on, dropping lists first would cascade to its items).
    # Renaming lists_new to lists rewrites the new items' REFERENCES to follow it.
    run_script(
        db,
        """
        CREATE TABLE lists_new (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL DEFAULT 0,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (user_id, name)
        );
        CREATE TABLE list_items_new (
            list_id INTEGER NOT NULL REFERENCES lists_new(id) ON DELETE CASCADE,
            paper_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (list_id, paper_id)
        );
        INSERT INTO lists_new (id, user_id, name, created_at) SELECT id, 0, name, created_at FROM lists ORDER BY id;
        INSERT INTO list_items_new (list_id, paper_id, position, added_at)
            SELECT list_id, paper_id, position, added_at FROM list_items ORDER BY rowid;
        DROP TABLE list_items;
        DROP TABLE lists;
        ALTER TABLE lists_new RENAME TO lists;
        ALTER TABLE list_items_new RENAME TO list_items;
        CREATE INDEX list_items_paper ON list_items(paper_id);
        """,
    )
    # Watches (saved searches) and followed authors are a user's too: names unique per user.
    run_script(
        db,
        """
        CREATE TABLE watches_new (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL DEFAULT 0,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            query TEXT NOT NULL DEFAULT '',
            filters TEXT NOT NULL DEFAULT '{}',
            mode TEXT NOT NULL DEFAULT 'keyword',
            profile TEXT,
            created_at TEXT NOT NULL,
            created_seq INTEGER NOT NULL,
            checked_at TEXT,
            error TEXT,
            UNIQUE (user_id, name)
        );
        CREATE TABLE watch_items_new (
            id INTEGER PRIMARY KEY,
            watch_id INTEGER NOT NULL REFERENCES watches_new(id) ON DELETE CASCADE,
            paper_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}',
            title TEXT NOT NULL DEFAULT '',
            reported_at TEXT NOT NULL,
            seen_at TEXT,
            UNIQUE (watch_id, paper_id, reason, state)
        );
        INSERT INTO watches_new (id, user_id, name, kind, query, filters, mode, profile, created_at, created_seq,
                                 checked_at, error)
            SELECT id, 0, name, kind, query, filters, mode, profile, created_at, created_seq, checked_at, error
            FROM watches ORDER BY id;
        INSERT INTO watch_items_new SELECT id, watch_id, paper_id, reason, state, detail, title, reported_at, seen_at
            FROM watch_items ORDER BY id;
        DROP TABLE watch_items;
        DROP TABLE watches;
        ALTER TABLE watches_new RENAME TO watches;
        ALTER TABLE watch_items_new RENAME TO watch_items;
        CREATE INDEX watch_items_time ON watch_items(watch_id, reported_at);
        CREATE TABLE follows_new (
            user_id INTEGER NOT NULL DEFAULT 0,
            key TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, key)
        );
        INSERT INTO follows_new (user_id, key, name, created_at) SELECT 0, key, name, created_at FROM follows ORDER BY rowid;
        DROP TABLE follows;
        ALTER TABLE follows_new RENAME TO follows;
        """,
    )
