PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT);
INSERT INTO _migrations VALUES('m001_core','2026-11-27T06:57:46Z');
INSERT INTO _migrations VALUES('m002_change_feed','2026-11-27T06:57:46Z');
INSERT INTO _migrations VALUES('m003_embeddings','2026-11-27T06:57:46Z');
INSERT INTO _migrations VALUES('m004_library','2026-11-27T06:57:46Z');
INSERT INTO _migrations VALUES('m005_merge_review','2026-11-27T06:57:46Z');
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
INSERT INTO files VALUES(1,'/tmp/fixtures/listings/a.jsonl','a.jsonl','090ffd753b9629218335289b00be717d7cf3c7f5f1cf22eefcee11906c732a31','records',2,NULL,NULL,NULL,'2026-11-27T06:57:46Z');
INSERT INTO files VALUES(2,'/tmp/fixtures/listings/b.jsonl','b.jsonl','d023eb2ea4bb47c13df0452bdbdf74bc9698ba89fcb64bdaf62c02f35704200b','records',2,NULL,NULL,NULL,'2026-11-27T06:57:46Z');
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
INSERT INTO papers VALUES('fbccitunfx','Attention Is All You Need','attention is all you need','["Ashish Vaswani","Noam Shazeer"]','The dominant sequence transduction models are based on complex recurrent or convolutional neural networks that include an encoder and a decoder.','NeurIPS',2017,'Oral',NULL,'[]','{}','[]','{}','{}','[]','{"title":1,"abstract":1,"authors":1,"venue":1,"year":1,"track":1}','2026-11-27T06:57:46Z','2026-11-27T06:57:46Z');
INSERT INTO papers VALUES('z3fk3a7c2u','Deep Residual Learning for Image Recognition','deep residual learning for image recognition','["Kaiming He","Xiangyu Zhang"]','Deeper neural networks are more difficult to train. We present a residual learning framework to ease the training of networks.','CVPR',2016,NULL,NULL,'[]','{}','[]','{}','{}','[]','{"title":2,"abstract":2,"authors":2,"venue":2,"year":2}','2026-11-27T06:57:46Z','2026-11-27T06:57:46Z');
INSERT INTO papers VALUES('hvptukhldl','Batch Normalization: Accelerating Deep Network Training','batch normalization accelerating deep network training','["Sergey Ioffe","Christian Szegedy"]','Training deep neural networks is complicated by the fact that the distribution of each layer''s inputs changes during training.','ICML',2015,NULL,NULL,'[]','{}','[]','{}','{}','[]','{"title":4,"abstract":4,"authors":4,"venue":4,"year":4}','2026-11-27T06:57:46Z','2026-11-27T06:57:46Z');
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
INSERT INTO records VALUES(1,1,'t:attention is all you need',NULL,1,1,'fbccitunfx','0943a7e493fc14a45785b704a71f3f54','{"title":"Attention Is All You Need","authors":["Ashish Vaswani","Noam Shazeer"],"abstract":"The dominant sequence transduction models are based on complex recurrent or convolutional neural networks that include an encoder and a decoder.","venue":"NeurIPS","year":2017,"track":"Oral","session":null,"keywords":[],"links":{},"code_urls":[],"ids":{},"counters":{},"record_id":null,"flags":[],"extra":{}}');
INSERT INTO records VALUES(2,1,'t:deep residual learning for image recognition',NULL,2,2,'z3fk3a7c2u','a04b10c796673f8b9dbf295074d1945d','{"title":"Deep Residual Learning for Image Recognition","authors":["Kaiming He","Xiangyu Zhang"],"abstract":"Deeper neural networks are more difficult to train. We present a residual learning framework to ease the training of networks.","venue":"CVPR","year":2016,"track":null,"session":null,"keywords":[],"links":{},"code_urls":[],"ids":{},"counters":{},"record_id":null,"flags":[],"extra":{}}');
INSERT INTO records VALUES(3,2,'t:attention is all you need extended',NULL,1,1,'fbccitunfx','a72955a6d3ae6b834b974d7fd4dfe02e','{"title":"Attention is all you need (extended)","authors":["A. Vaswani"],"abstract":"Transformers, a new simple network architecture based solely on attention mechanisms.","venue":"arXiv","year":2017,"track":null,"session":null,"keywords":[],"links":{},"code_urls":[],"ids":{},"counters":{},"record_id":null,"flags":[],"extra":{}}');
INSERT INTO records VALUES(4,2,'t:batch normalization accelerating deep network training',NULL,2,2,'hvptukhldl','70c8a9bd7ce4ec52f3496e729a9aae26','{"title":"Batch Normalization: Accelerating Deep Network Training","authors":["Sergey Ioffe","Christian Szegedy"],"abstract":"Training deep neural networks is complicated by the fact that the distribution of each layer''s inputs changes during training.","venue":"ICML","year":2015,"track":null,"session":null,"keywords":[],"links":{},"code_urls":[],"ids":{},"counters":{},"record_id":null,"flags":[],"extra":{}}');
CREATE TABLE match_keys (
            key TEXT NOT NULL,                -- "t:<title key>", "a:<abstract key>", "openreview:<id>"
            paper_id TEXT NOT NULL,
            PRIMARY KEY (key, paper_id)
        ) WITHOUT ROWID;
INSERT INTO match_keys VALUES('t:47f7e2d42e8f1f1fbb820869','fbccitunfx');
INSERT INTO match_keys VALUES('t:7ded04df71ef003095696cc2','fbccitunfx');
INSERT INTO match_keys VALUES('t:4f5e20111ae221c89d30db45','hvptukhldl');
INSERT INTO match_keys VALUES('t:98af106c74c4e4c61e88b297','z3fk3a7c2u');
CREATE TABLE paper_changes (
            seq INTEGER PRIMARY KEY,          -- rowids only grow: rows are never deleted
            paper_id TEXT NOT NULL,
            op TEXT NOT NULL                  -- 'upsert' or 'delete'
        );
INSERT INTO paper_changes VALUES(1,'fbccitunfx','upsert');
INSERT INTO paper_changes VALUES(2,'z3fk3a7c2u','upsert');
INSERT INTO paper_changes VALUES(3,'kaqqbw2aw5','upsert');
INSERT INTO paper_changes VALUES(4,'hvptukhldl','upsert');
INSERT INTO paper_changes VALUES(5,'kaqqbw2aw5','delete');
INSERT INTO paper_changes VALUES(6,'fbccitunfx','upsert');
CREATE TABLE index_state (
            name TEXT PRIMARY KEY,            -- e.g. 'keyword', 'vectors:minilm-l6-int8'
            seq INTEGER NOT NULL,             -- last paper_changes.seq applied
            info TEXT NOT NULL DEFAULT '{}'
        );
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
CREATE TABLE stars (
            paper_id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL
        );
INSERT INTO stars VALUES('fbccitunfx','2026-11-27T06:57:46Z');
CREATE TABLE tags (
            paper_id TEXT NOT NULL,
            tag TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (paper_id, tag)
        );
INSERT INTO tags VALUES('fbccitunfx','transformers','2026-11-27T06:57:46Z');
CREATE TABLE notes (
            paper_id TEXT PRIMARY KEY,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
INSERT INTO notes VALUES('z3fk3a7c2u','read §3','2026-11-27T06:57:46Z');
CREATE TABLE lists (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
INSERT INTO lists VALUES(1,'classics','2026-11-27T06:57:46Z');
CREATE TABLE list_items (
            list_id INTEGER NOT NULL REFERENCES lists(id) ON DELETE CASCADE,
            paper_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (list_id, paper_id)
        );
INSERT INTO list_items VALUES(1,'z3fk3a7c2u',1,'2026-11-27T06:57:46Z');
INSERT INTO list_items VALUES(1,'fbccitunfx',2,'2026-11-27T06:57:46Z');
CREATE TABLE merge_actions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,               -- 'merge', 'distinct' or 'split'
            detail TEXT NOT NULL DEFAULT '{}',  -- JSON: the records of each side, paper ids then
            decided_at TEXT NOT NULL,
            undone_at TEXT                    -- a later split undid this merge
        );
INSERT INTO merge_actions VALUES(1,'merge','{"a": [["/tmp/fixtures/listings/a.jsonl", "t:attention is all you need"]], "b": [["/tmp/fixtures/listings/b.jsonl", "t:attention is all you need extended"]], "a_paper": "fbccitunfx", "b_paper": "kaqqbw2aw5"}','2026-11-27T06:57:46Z',NULL);
INSERT INTO merge_actions VALUES(2,'distinct','{"a": [["/tmp/fixtures/listings/a.jsonl", "t:deep residual learning for image recognition"]], "b": [["/tmp/fixtures/listings/b.jsonl", "t:batch normalization accelerating deep network training"]], "a_paper": "z3fk3a7c2u", "b_paper": "hvptukhldl"}','2026-11-27T06:57:46Z',NULL);
CREATE TABLE merge_links (            -- what an action says about two records
            action_id INTEGER NOT NULL REFERENCES merge_actions(id),
            decision TEXT NOT NULL,           -- 'same' or 'distinct'
            a_path TEXT NOT NULL,
            a_key TEXT NOT NULL,
            b_path TEXT NOT NULL,
            b_key TEXT NOT NULL
        );
INSERT INTO merge_links VALUES(1,'same','/tmp/fixtures/listings/a.jsonl','t:attention is all you need','/tmp/fixtures/listings/b.jsonl','t:attention is all you need extended');
INSERT INTO merge_links VALUES(2,'distinct','/tmp/fixtures/listings/a.jsonl','t:deep residual learning for image recognition','/tmp/fixtures/listings/b.jsonl','t:batch normalization accelerating deep network training');
CREATE TABLE block_keys (             -- fuzzy blocking keys (merge.block_keys): 64-bit
            key INTEGER NOT NULL,             -- hashes of title words, authors+venue+year, and
            paper_id TEXT NOT NULL,           -- abstract LSH bands; looked up by key only
            PRIMARY KEY (key, paper_id)
        ) WITHOUT ROWID;
INSERT INTO block_keys VALUES(-6744647018174224570,'hvptukhldl');
INSERT INTO block_keys VALUES(-3145892242407294094,'z3fk3a7c2u');
INSERT INTO block_keys VALUES(4578210333517295898,'fbccitunfx');
INSERT INTO block_keys VALUES(4578210333517295898,'kaqqbw2aw5');
INSERT INTO block_keys VALUES(7426546758670891224,'fbccitunfx');
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
CREATE INDEX papers_venue_year ON papers(venue, year);
CREATE INDEX records_paper ON records(paper_id);
CREATE INDEX match_keys_paper ON match_keys(paper_id);
CREATE TRIGGER papers_changes_insert AFTER INSERT ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (new.id, 'upsert');
        END;
CREATE TRIGGER papers_changes_update AFTER UPDATE ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (new.id, 'upsert');
        END;
CREATE TRIGGER papers_changes_delete AFTER DELETE ON papers BEGIN
            INSERT INTO paper_changes (paper_id, op) VALUES (old.id, 'delete');
        END;
CREATE INDEX tags_tag ON tags(tag);
CREATE INDEX merge_links_a ON merge_links(a_path, a_key);
CREATE INDEX merge_links_b ON merge_links(b_path, b_key);
COMMIT;
