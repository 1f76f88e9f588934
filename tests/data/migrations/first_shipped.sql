PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT);
INSERT INTO _migrations VALUES('m001_core','2026-11-27T06:57:41Z');
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
INSERT INTO files VALUES(1,'/data/listings/papers.jsonl','papers.jsonl','ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff','jsonl',2,NULL,NULL,NULL,'2026-11-27T06:57:41Z');
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
INSERT INTO papers VALUES('fbccitunfx','Attention Is All You Need','attention is all you need','["Ashish Vaswani","Noam Shazeer"]','The dominant sequence transduction models are based on complex recurrent or convolutional neural networks.','NeurIPS',2017,'Oral',NULL,'[]','{}','[]','{"arxiv":"1706.03762"}','{}','[]','{"title":1,"abstract":1,"authors":1,"venue":1,"year":1,"track":1}','2026-11-27T06:57:41Z','2026-11-27T06:57:41Z');
INSERT INTO papers VALUES('z3fk3a7c2u','Deep Residual Learning for Image Recognition','deep residual learning for image recognition','["Kaiming He","Xiangyu Zhang"]','Deeper neural networks are more difficult to train. We present a residual learning framework.','CVPR',2016,NULL,NULL,'[]','{}','[]','{}','{}','[]','{"title":2,"abstract":2,"authors":2,"venue":2,"year":2}','2026-11-27T06:57:41Z','2026-11-27T06:57:41Z');
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
INSERT INTO records VALUES(1,1,'t:attention is all you need',NULL,1,1,'fbccitunfx','0cf8aa813717325446e7719e63985e22','{"title":"Attention Is All You Need","authors":["Ashish Vaswani","Noam Shazeer"],"abstract":"The dominant sequence transduction models are based on complex recurrent or convolutional neural networks.","venue":"NeurIPS","year":2017,"track":"Oral","session":null,"keywords":[],"links":{},"code_urls":[],"ids":{"arxiv":"1706.03762"},"counters":{},"record_id":null,"flags":[],"extra":{}}');
INSERT INTO records VALUES(2,1,'t:deep residual learning for image recognition',NULL,2,2,'z3fk3a7c2u','00b848580b259ea091f254a76cb9a846','{"title":"Deep Residual Learning for Image Recognition","authors":["Kaiming He","Xiangyu Zhang"],"abstract":"Deeper neural networks are more difficult to train. We present a residual learning framework.","venue":"CVPR","year":2016,"track":null,"session":null,"keywords":[],"links":{},"code_urls":[],"ids":{},"counters":{},"record_id":null,"flags":[],"extra":{}}');
CREATE TABLE match_keys (
            key TEXT NOT NULL,                -- "t:<title key>", "a:<abstract key>", "openreview:<id>"
            paper_id TEXT NOT NULL,
            PRIMARY KEY (key, paper_id)
        ) WITHOUT ROWID;
INSERT INTO match_keys VALUES('arxiv:1706.03762','fbccitunfx');
INSERT INTO match_keys VALUES('t:47f7e2d42e8f1f1fbb820869','fbccitunfx');
INSERT INTO match_keys VALUES('t:98af106c74c4e4c61e88b297','z3fk3a7c2u');
CREATE INDEX papers_venue_year ON papers(venue, year);
CREATE INDEX papers_title_key ON papers(title_key);
CREATE INDEX records_paper ON records(paper_id);
CREATE INDEX match_keys_paper ON match_keys(paper_id);
COMMIT;
