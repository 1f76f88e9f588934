"""Before and after the core redesign, in one run: ingest time of the Paper Copilot records and
search latency p50/p99 (keyword, semantic, hybrid) on the resulting catalog.

    python bench/core_compare.py [--before c0b42e5] [--files 277] [--queries 300]

The earlier version is checked out as a git worktree (bench/out/compare/before) and runs in its
own process with this venv; the current tree runs the same way. Both get the same inputs:
- the listing files (../shared/data/paperlists, all 277 by default: 168k records), in one order;
- paper vectors: embedding 168k abstracts takes hours on 2 cores, so each paper's vector is a
  real MiniLM vector of one of 1,000 ICLR 2021 abstracts plus noise (cosine ~0.8), chosen by a
  hash of its text (bench/core_probe.py), stored through each version's own sync path;
- 300 queries: half real topical phrases (ICLR 2021 author keywords), half 2-4 title words.
Query vectors come from the real model in both. The sides run one after the other on this noisy
2-core machine; ``--rounds 2`` runs before/after twice, alternating, and keeps each side's best.

What differs on purpose: keyword search of several words now ranks papers matching every word
first (issue 14), which costs a second tantivy query for such queries.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT.parent / "shared" / "data"
OUT = HERE / "out" / "compare"
POOL = 1_000


def worktree(ref: str) -> Path:
    """The earlier version's tree, checked out once (no work tree of ours is touched)."""
    path = OUT / f"before-{ref}"
    if not (path / "paperatlas").is_dir():
        OUT.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--force", "--detach", str(path), ref], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def inputs(n_files: int, n_queries: int) -> tuple[Path, Path, Path]:
    files = sorted((DATA / "paperlists").glob("*.json.gz"))
    random.Random(0).shuffle(files)
    files_json = OUT / "files.json"
    files_json.write_text(json.dumps([str(f) for f in files[:n_files]]))
    rows = [json.loads(line) for line in gzip.open(DATA / "iclr2021.jsonl.gz", "rt")]
    pool_path = OUT / "pool.npy"
    if not pool_path.exists():
        sys.path.insert(0, str(ROOT))
        import numpy as np

        from paperatlas.embeddings import get_embedder

        sample = random.Random(1).sample([r for r in rows if r.get("abstract")], POOL)
        vectors = get_embedder().embed([f"{r['title']}. {r['abstract']}" for r in sample])
        np.save(pool_path, vectors)
    rng = random.Random(7)
    counts = Counter(k.strip().lower() for r in rows for k in set(r.get("keywords") or []))
    topical = sorted(k for k, c in counts.items() if c >= 3)
    words = [w for r in rows for w in str(r.get("title", "")).split() if len(w) > 3 and w.isalpha()]
    queries = rng.sample(topical, n_queries // 2)
    queries += [" ".join(rng.sample(words, rng.choice([2, 3, 4]))) for _ in range(n_queries - n_queries // 2)]
    rng.shuffle(queries)
    queries_json = OUT / "queries.json"
    queries_json.write_text(json.dumps(queries))
    return files_json, pool_path, queries_json


def run(code: Path, label: str, files: Path, pool: Path, queries: Path) -> dict[str, Any]:
    out = OUT / f"{label}.json"
    print(f"  {label}: {code}", flush=True)
    subprocess.run([sys.executable, str(HERE / "core_probe.py"), "--code", str(code), "--files", str(files),
                    "--pool", str(pool), "--queries", str(queries), "--out", str(out)], check=True, cwd=str(code))
    return dict(json.loads(out.read_text()))


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Each figure at its best over the rounds (noise only ever adds time)."""
    out = dict(runs[0])
    for key in ("ingest_s", "keyword_index_s", "vectors_s"):
        out[key] = min(r[key] for r in runs)
    out["latency_ms"] = {m: [min(r["latency_ms"][m][i] for r in runs) for i in (0, 1)] for m in runs[0]["latency_ms"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="c0b42e5", help="the commit before the redesign")
    ap.add_argument("--files", type=int, default=277, help="how many Paper Copilot files (277: all, 168k records)")
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    before_code = worktree(args.before)
    files, pool, queries = inputs(args.files, args.queries)
    rounds: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for n in range(args.rounds):
        print(f"round {n + 1}")
        rounds["before"].append(run(before_code, "before", files, pool, queries))
        rounds["after"].append(run(ROOT, "after", files, pool, queries))
    b, a = best(rounds["before"]), best(rounds["after"])
    print(f"\n{b['records']} records in {args.files} files -> {b['papers']} papers before, {a['papers']} after"
          f" ({b['failed_files']}/{a['failed_files']} files refused)")
    print(f"{'figure':32} {'before':>16} {'after':>16} {'change':>8}")
    for key, name in (("ingest_s", "ingest (s)"), ("keyword_index_s", "keyword index build (s)"),
                      ("vectors_s", "store + index vectors (s)")):
        print(f"{name:32} {b[key]:16.1f} {a[key]:16.1f} {a[key] / b[key] - 1:+8.0%}")
    for mode in b["latency_ms"]:
        (b50, b99), (a50, a99) = b["latency_ms"][mode], a["latency_ms"][mode]
        print(f"{mode + ' p50 / p99 (ms)':32} {b50:7.1f} / {b99:<6.1f} {a50:7.1f} / {a99:<6.1f} {a50 / b50 - 1:+8.0%}")
    print(f"{'peak memory (MB)':32} {b['peak_rss_mb']:16.0f} {a['peak_rss_mb']:16.0f}")


if __name__ == "__main__":
    main()
