"""Keyword engines side by side at ~100k papers: tantivy (paperatlas KeywordIndex), bm25s, FTS5.

    python bench/keyword_engines.py [--catalog PATH] [--papers 100000] [--queries 400]

Without ``--catalog`` it ingests Paper Copilot files from ``../shared/data/paperlists`` (shuffled
with a fixed seed) into a temporary catalog until about ``--papers`` records (~60 s); with
``--catalog`` it reuses (or first builds) that catalog file. Every engine indexes the same
documents: ``document.keyword_fields`` of every paper (title, abstract, authors, keywords).

Queries (fixed seed):
- known-item, abstract: 6 random content words of a paper's abstract; MRR@10 of that paper;
- known-item, title: 2-4 random content words of a paper's title; MRR@10 of that paper;
- topical: 2-4 consecutive words from a random abstract (latency only);
- hostile: ``c++``, ``C#``, ``α-β``, unbalanced quotes, ``AND``/``OR``/``NOT``, 10 KB junk ...
  (latency, and whether the engine raised).

Each engine gets the same words: tantivy through ``parse_query`` (its real path), bm25s through
its own tokenizer with the PyStemmer English stemmer (title, keywords, authors and abstract
concatenated: it has no fields), FTS5 through the porter tokenizer with ``bm25()`` column
weights equal to the tantivy boosts and an OR of the quoted tokens (top 10 only, no total).
Latency is per query, top 10, single thread; tantivy's includes the total count and the ids.

Also printed for tantivy: the real ``sync`` from the catalog (the first build a user waits
for; reading the catalog is timed on its own), facets and snippets latency, MRR under a few
author boosts (query time), and with ``--tune-repeats N`` MRR under other title/keyword repeats
(index time, rebuilt on N papers).

Results (100,062 papers from 153 Paper Copilot files; 2-core machine shared with other jobs,
load average 3-7, so wall times are inflated and vary ±50% between runs; CPU times are steadier):

    engine       build s  size MB  p50 ms  p99 ms  MRR@10 abstract  MRR@10 title  errors
    tantivy      18-33      86-87    1.2-1.6  8-14     0.804           0.725          0
    bm25s        34-44      49       4-5     17-24     0.800           0.619          0
    sqlite-fts5  15-19     144      72-77   228-314    0.756           0.691          0

    tantivy sync from the catalog (first build): 20-57 s wall, 21-31 s CPU, of which reading
      the catalog (papers_by_ids + keyword_fields) is 10-33 s wall; one SELECT of the same
      columns takes 0.6-2.5 s. A sync with nothing to do: 0.2-0.5 ms.
    facets p50 2.5-7 ms; snippets + why for 20 hits p50 12-27 ms (1.9 + 2.1 ms timed alone)
    per-field BM25 summed (title 3, keywords 2, authors 1.5, abstract 1): MRR 0.129 / 0.695;
      all boosts 1: 0.394 / 0.486 -- hence the single BM25F-like text field.
    repeats on 30k papers (abstract / title MRR): x1,x1 0.945/0.753; x2,x1 0.933/0.841;
      x3,x2 0.911/0.859 (chosen); x4,x2 0.897/0.867.
    authors boost 0.25/0.5/1.0/2.0: 0.804/0.804/0.795/0.646 (abstract), title flat; 0.5 chosen.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from benchlib import open_atlas  # noqa: E402

from paperatlas import Atlas, Filters  # noqa: E402
from paperatlas.indexes.keyword import KeywordIndex  # noqa: E402
from paperatlas.indexes.keyword import index as kw  # noqa: E402
from paperatlas.indexes.keyword import queries as kw_queries  # noqa: E402
from paperatlas.indexes.keyword import schema as kw_schema  # noqa: E402
from paperatlas.search.document import keyword_fields  # noqa: E402
from paperatlas.search.query import STOPWORDS, parse_query  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

WORD = re.compile(r"[A-Za-z]{3,}")
HOSTILE = [
    "c++", "C#", "α-β", "\"graph neural", "graph neural\"", "\"\"\"", "AND", "OR NOT AND",
    "graph AND NOT neural OR", "title:", "author:\"", "year:abc", "(((((", "*:*", "~~~^^^",
    "\\\\\\", "-", "+", "NOT -\"x", "venue:ICLR year:2020-2023 -", "x" * 10_000,
    ("lorem (ipsum) \"dolor\" AND -sit OR ~amet^2 " * 250)[:10_000], "🤖 emoji query 😀",
    "SELECT * FROM papers; DROP TABLE papers", "<script>alert(1)</script>", "null", "\x00\x01",
    "reinforcement learning" + " OR" * 200, "ünïcödé façade naïve", "数据 学习 图神经网络",
]


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def build_catalog(path: Path, data: Path, papers: int) -> None:
    files = sorted(data.glob("*.json.gz"))
    random.Random(0).shuffle(files)
    chosen, n = [], 0
    for f in files:
        if n >= papers:
            break
        chosen.append(f)
        n += len(json.loads(gzip.decompress(f.read_bytes())))
    t0 = time.perf_counter()
    with open_atlas(path) as atlas:  # no keyword index built here: main times that build
        ingest_paths(atlas, chosen, skip_bad=True)
        print(f"ingested {len(chosen)} files, {n} records -> {atlas.store.papers.count(Filters())} papers"
              f" in {time.perf_counter() - t0:.1f} s")


def load_fields(atlas: Atlas) -> tuple[list[dict], float]:
    t0 = time.perf_counter()
    # raw SQL on the SQLite store: every id in id order (the store's API has no ordered id list)
    ids = [r[0] for r in atlas.store.db.execute("SELECT id FROM papers ORDER BY id")]
    out = []
    for i in range(0, len(ids), kw.CHANGES_BATCH):
        out += [keyword_fields(p) for p in atlas.store.papers.by_ids(ids[i : i + kw.CHANGES_BATCH]).values()]
    return out, time.perf_counter() - t0


def make_queries(fields: list[dict], n: int) -> dict[str, list[tuple[str, str | None]]]:
    rng = random.Random(1)
    with_abs = [f for f in fields if len(f["abstract"].split()) >= 40]
    q: dict[str, list[tuple[str, str | None]]] = {"abstract": [], "title": [], "topical": []}
    n_abs, n_title = int(n * 0.4), int(n * 0.3)
    while len(q["abstract"]) < n_abs:
        f = rng.choice(with_abs)
        words = [w.lower() for w in WORD.findall(f["abstract"]) if w.lower() not in STOPWORDS]
        if len(set(words)) >= 6:
            q["abstract"].append((" ".join(rng.sample(sorted(set(words)), 6)), f["id"]))
    while len(q["title"]) < n_title:
        f = rng.choice(fields)
        words = [w.lower() for w in WORD.findall(f["title"]) if w.lower() not in STOPWORDS]
        if len(set(words)) >= 3:
            k = rng.randint(2, min(4, len(set(words))))
            q["title"].append((" ".join(rng.sample(sorted(set(words)), k)), f["id"]))
    while len(q["topical"]) < n - n_abs - n_title:
        words = rng.choice(with_abs)["abstract"].split()
        k = rng.randint(2, 4)
        at = rng.randrange(0, len(words) - k)
        q["topical"].append((" ".join(words[at : at + k]), None))
    q["hostile"] = [(h, None) for h in HOSTILE]
    return q


# engines: each gives build() -> seconds, size_mb(), search(text) -> list of ids (top 10)


class Tantivy:
    name = "tantivy"

    def __init__(self, tmp: Path) -> None:
        self.path = tmp / "tantivy"

    def build(self, fields: list[dict]) -> None:
        self.index = KeywordIndex(self.path)
        self.index.bulk_load(fields)

    def size_mb(self) -> float:
        return dir_mb(self.path)

    def search(self, text: str) -> list[str]:
        # pure BM25 order, as the other engines rank (the index's default puts papers matching
        # every word first): this compares BM25 implementations
        return [i for i, _ in self.index.search(text, k=10, all_words_first=False).hits]


class BM25S:
    name = "bm25s"

    def __init__(self, tmp: Path) -> None:
        import bm25s
        import Stemmer

        self.bm25s = bm25s
        self.stemmer = Stemmer.Stemmer("english")
        self.path = tmp / "bm25s"

    def build(self, fields: list[dict]) -> None:
        self.ids = [f["id"] for f in fields]
        texts = [
            " ".join([f["title"], " ".join(f["keywords"]), " ".join(f["authors"]), f["abstract"]])
            for f in fields
        ]
        tokens = self.bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.model = self.bm25s.BM25()
        self.model.index(tokens, show_progress=False)
        self.model.save(str(self.path), show_progress=False)
        self.vocab = self.model.vocab_dict

    def size_mb(self) -> float:
        return dir_mb(self.path)

    def search(self, text: str) -> list[str]:
        toks = self.bm25s.tokenize([text[:1000]], stopwords="en", stemmer=self.stemmer,
                                   return_ids=False, show_progress=False)[0]
        toks = [t for t in toks if t in self.vocab]
        if not toks:
            return []
        docs, _ = self.model.retrieve([toks], k=10, show_progress=False, n_threads=1)
        return [self.ids[i] for i in docs[0]]


class FTS5:
    name = "sqlite-fts5"

    def __init__(self, tmp: Path) -> None:
        self.path = tmp / "fts.sqlite"

    def build(self, fields: list[dict]) -> None:
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, keywords, authors, abstract,"
            " tokenize='porter unicode61 remove_diacritics 2')"
        )
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
            ((f["id"], f["title"], " ".join(f["keywords"]), " ".join(f["authors"]), f["abstract"])
             for f in fields),
        )
        self.db.execute("COMMIT")
        self.db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        # the same weights as tantivy's text field: title x3, keywords x2, abstract x1
        self.sql = (
            "SELECT id FROM docs WHERE docs MATCH ? ORDER BY"
            f" bm25(docs, 0, {kw_schema.TITLE_REPEAT}, {kw_schema.KEYWORDS_REPEAT}, {kw_queries.FIELD_BOOSTS['authors']},"
            " 1) LIMIT 10"
        )

    def size_mb(self) -> float:
        return self.path.stat().st_size / 1e6

    def search(self, text: str) -> list[str]:
        q = parse_query(text)
        toks = [t for t in dict.fromkeys(q.terms + q.required) if t not in STOPWORDS] or q.terms
        if not toks:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in toks)
        return [r[0] for r in self.db.execute(self.sql, (match,))]


def mrr(engine, queries: list[tuple[str, str | None]]) -> float:
    total = 0.0
    for text, target in queries:
        ids = engine.search(text)
        if target in ids:
            total += 1 / (ids.index(target) + 1)
    return total / len(queries)


def run_queries(engine, queries: dict[str, list[tuple[str, str | None]]]) -> tuple[list[float], int]:
    lat, errors = [], 0
    for group in queries.values():
        for text, _ in group:
            t0 = time.perf_counter()
            try:
                engine.search(text)
            except Exception as exc:  # noqa: BLE001 - counting, not hiding
                errors += 1
                print(f"  {engine.name} raised on {text[:40]!r}: {type(exc).__name__}: {exc}"[:160])
            lat.append((time.perf_counter() - t0) * 1000)
    return lat, errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--catalog", help="catalog file to reuse (built there first if missing)")
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data" / "paperlists"))
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--engines", default="tantivy,bm25s,fts5")
    ap.add_argument("--tune-repeats", type=int, default=0, metavar="N",
                    help="also rebuild tantivy on N papers with other title/keyword repeats")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        cat_path = Path(args.catalog) if args.catalog else tmp / "catalog.sqlite"
        if not cat_path.exists():
            build_catalog(cat_path, Path(args.data), args.papers)
        cat = open_atlas(cat_path)

        # the real first build: sync from the catalog's change feed, into a throwaway index
        sync_dir = tmp / "sync-catalog.sqlite"
        cat.store.backup(sync_dir)  # a copy, so the catalog's own index position is not touched
        with open_atlas(sync_dir) as sync_cat:
            sync_cat.store.feed.set_index_seq(kw.NAME, 0)
            sync_index_dir = sync_cat.indexes.path(kw.NAME)
            t0, c0 = time.perf_counter(), time.process_time()
            index = KeywordIndex(sync_index_dir)
            changed = index.sync(sync_cat.store)
            t_sync, c_sync = time.perf_counter() - t0, time.process_time() - c0
            t0 = time.perf_counter()
            again = index.sync(sync_cat.store)
            t_again = (time.perf_counter() - t0) * 1000
        if sync_index_dir is not None:
            shutil.rmtree(sync_index_dir, ignore_errors=True)

        fields, t_load = load_fields(cat)
        t0 = time.perf_counter()
        rows = cat.store.db.execute(  # the floor: the same columns in one raw SELECT
            "SELECT id, title, abstract, authors, keywords, venue, year, track, session, code_urls"
            " FROM papers").fetchall()
        for r in rows:
            json.loads(r[3]), json.loads(r[4]), json.loads(r[9])
        t_raw = time.perf_counter() - t0
        del rows
        print(f"{len(fields)} papers; reading them from the catalog (papers_by_ids + keyword_fields):"
              f" {t_load:.1f} s (the same columns in one SELECT + json.loads: {t_raw:.1f} s)")
        print(f"tantivy sync from the catalog (first build): {t_sync:.1f} s wall, {c_sync:.1f} s CPU"
              f" ({changed} changes); a second sync: {again} changes in {t_again:.2f} ms")
        queries = make_queries(fields, args.queries)
        print("queries: " + ", ".join(f"{len(v)} {k}" for k, v in queries.items()))

        chosen = {"tantivy": Tantivy, "bm25s": BM25S, "fts5": FTS5}
        rows = []
        engines = {}
        for key in args.engines.split(","):
            engine = chosen[key](tmp)
            t0 = time.perf_counter()
            engine.build(fields)
            t_build = time.perf_counter() - t0
            engine.search("warm up")
            lat, errors = run_queries(engine, queries)
            rows.append((
                engine.name, t_build, engine.size_mb(), pct(lat, 0.5), pct(lat, 0.99), max(lat),
                mrr(engine, queries["abstract"]), mrr(engine, queries["title"]), errors,
            ))
            engines[key] = engine
            print(f"  {engine.name} done", flush=True)

        print()
        head = ("engine", "build s", "size MB", "p50 ms", "p99 ms", "max ms", "MRR@10 abs",
                "MRR@10 title", "errors")
        print("  ".join(f"{h:>12}" for h in head))
        for r in rows:
            print(f"{r[0]:>12}  {r[1]:>12.1f}  {r[2]:>12.1f}  {r[3]:>12.2f}  {r[4]:>12.2f}"
                  f"  {r[5]:>12.1f}  {r[6]:>12.3f}  {r[7]:>12.3f}  {r[8]:>12}")

        if "tantivy" in engines:
            index = engines["tantivy"].index
            texts = [t for g in ("abstract", "title", "topical") for t, _ in queries[g]][:200]
            lat_f, lat_s, lat_f2 = [], [], []
            for text in texts:
                t0 = time.perf_counter()
                index.facets(text, None)
                lat_f.append((time.perf_counter() - t0) * 1000)
                ids = [i for i, _ in index.search(text, k=20, all_words_first=False).hits]
                t0 = time.perf_counter()
                index.snippets(text, ids)
                index.why(text, ids)
                lat_s.append((time.perf_counter() - t0) * 1000)
            for text in texts[:50]:
                t0 = time.perf_counter()
                index.facets(text, Filters(year_from=2020))
                index.search(text, Filters(year_from=2020), k=20, all_words_first=False)
                lat_f2.append((time.perf_counter() - t0) * 1000)
            print(f"\ntantivy facets (venue, year, track, session): p50 {pct(lat_f, .5):.1f} ms,"
                  f" p99 {pct(lat_f, .99):.1f} ms; snippets+why for 20 hits: p50 {pct(lat_s, .5):.1f} ms,"
                  f" p99 {pct(lat_s, .99):.1f} ms; search+facets with year>=2020:"
                  f" p50 {pct(lat_f2, .5):.1f} ms")

            print("\nauthors boost (query time) -> MRR@10 abstract / title")
            saved = dict(kw_queries.FIELD_BOOSTS)
            for boost in (0.25, 0.5, 1.0, 2.0):
                kw_queries.FIELD_BOOSTS["authors"] = boost
                a, t = mrr(engines["tantivy"], queries["abstract"]), mrr(engines["tantivy"], queries["title"])
                mark = "  (chosen)" if boost == saved["authors"] else ""
                print(f"  {boost}: {a:.3f} / {t:.3f}{mark}")
            kw_queries.FIELD_BOOSTS.update(saved)

            if args.tune_repeats:
                sub = random.Random(2).sample(fields, min(len(fields), args.tune_repeats))
                subq = make_queries(sub, 300)
                print(f"\ntitle/keywords repeats in the text field (index time), {len(sub)} papers"
                      " -> MRR@10 abstract / title")
                saved_r = (kw_schema.TITLE_REPEAT, kw_schema.KEYWORDS_REPEAT)
                for reps in ((1, 1), (2, 1), (3, 2), (4, 2)):
                    kw_schema.TITLE_REPEAT, kw_schema.KEYWORDS_REPEAT = reps
                    engine = Tantivy(tmp / f"tune-{reps[0]}-{reps[1]}")
                    engine.build(sub)
                    a, t = mrr(engine, subq["abstract"]), mrr(engine, subq["title"])
                    mark = "  (chosen)" if reps == saved_r else ""
                    print(f"  title x{reps[0]}, keywords x{reps[1]}: {a:.3f} / {t:.3f}{mark}")
                kw_schema.TITLE_REPEAT, kw_schema.KEYWORDS_REPEAT = saved_r
        cat.close()


if __name__ == "__main__":
    main()
