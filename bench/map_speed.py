"""Topic-map build time and peak memory for 5k and 20k papers, vectors already computed.

    python bench/map_speed.py                       # 5,000 and 20,000 papers
    python bench/map_speed.py --sizes 50000 --no-baseline

Papers: 20,000 with abstracts drawn (seeded) from every Paper Copilot file in
../shared/data/paperlists (see its README for source and licence); 5,000 = the first 5,000 of
them. Vectors: the product's paper vectors, embedded once and cached in bench/out/maps/ (the
first run embeds 20,000 abstracts: about an hour on 2 busy cores). Sizes above 20,000 repeat the
papers with their vectors moved by small noise (new ids), to show time and memory stay bounded.

Each size runs ``build_map`` in its own process: wall and CPU time per stage, and the peak
resident memory of the process during the build (Linux VmHWM, counted afresh after the inputs
are loaded), beside its resident memory just before (interpreter, libraries, inputs) and the size
of the vectors. Beside: the issue's target (20k in under 2 minutes on 2 cores) and
k-means on tf-idf of the same texts (the quality benchmark's baseline) on the same papers.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from map_quality import DATA, OUT, embed_cached  # noqa: E402

POOL = 20_000
TARGET_S = {20_000: 120.0}


def corpus(n: int = POOL) -> tuple[list[str], list[str], np.ndarray]:
    """(ids, texts, vectors) of ``n`` papers (module doc); the sample is cached as JSON."""
    cache = OUT / "paperlists20k.json"
    if cache.exists():
        sample = [tuple(row) for row in json.loads(cache.read_text())]
    else:
        pool: list[tuple[str, str, str]] = []
        for path in sorted((DATA / "paperlists").glob("*.json.gz")):
            for position, rec in enumerate(json.loads(gzip.open(path).read())):
                title, abstract = str(rec.get("title") or "").strip(), str(rec.get("abstract") or "").strip()
                if title and abstract:  # id: file and position (some records have no id, or repeat one)
                    pool.append((f"{path.name.split('.')[0]}:{position}", title, abstract))
        sample = random.Random(0).sample(pool, POOL)
        OUT.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(sample))
    vectors = embed_cached("paperlists20k", [t for _, t, _ in sample], [f"{t}. {a}" for _, t, a in sample])
    ids, texts = [i for i, _, _ in sample], [f"{t}. {a}" for _, t, a in sample]
    if n > POOL:  # repeats, moved by noise (module doc)
        rng = np.random.default_rng(0)
        copies = -(-n // POOL)
        ids = [f"{pid}#{c}" if c else pid for c in range(copies) for pid in ids][:n]
        texts = (texts * copies)[:n]
        noisy = np.vstack([vectors] + [vectors + rng.normal(scale=0.02, size=vectors.shape).astype(np.float32)
                                       for _ in range(copies - 1)])[:n]
        vectors = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)
    return ids[:n], texts[:n], vectors[:n]


def reset_peak_rss() -> None:
    """Start the peak-memory count afresh (Linux: VmHWM), so it covers the build only."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(n: int, baseline: tuple[int, int] | None) -> None:
    """One measurement, printed as one JSON line."""
    from threadpoolctl import threadpool_limits

    from paperatlas.maps import build_map

    ids, texts, vectors = corpus(n)
    import sklearn.cluster  # noqa: F401  (imports counted before the build, as a running server has them)

    before = rss_mb("VmRSS")
    reset_peak_rss()
    stages: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    last = [wall]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0.0) + now - last[0]
        last[0] = now

    if baseline:
        from map_quality import tfidf_kmeans

        with threadpool_limits(1):
            for k in baseline:
                tfidf_kmeans(texts, k)
        counts = list(baseline)
    else:
        topic_map = build_map(ids, vectors, texts, seed=0, progress=progress)
        counts = [len(topic_map.topics()), len(topic_map.subtopics())]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(json.dumps({"n": n, "wall": wall, "cpu": cpu, "peak_mb": rss_mb("VmHWM"), "before_mb": before,
                      "inputs_mb": vectors.nbytes / 2**20, "stages": stages, "counts": counts}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="5000,20000")
    parser.add_argument("--child", type=int)
    parser.add_argument("--baseline", help="k1,k2: time the tf-idf k-means baseline at these counts instead")
    parser.add_argument("--no-baseline", action="store_true", help="time build_map only (large sizes)")
    args = parser.parse_args()
    if args.child:
        child(args.child, tuple(int(k) for k in args.baseline.split(",")) if args.baseline else None)  # type: ignore[arg-type]
        return
    corpus(POOL)  # embed once, in this process, before any timing
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"machine: 2 cores, load average {load} at start (other work slows wall time; CPU time is the build's own)")
    print(f"{'papers':>7s} {'method':26s} {'wall s':>7s} {'CPU s':>6s} {'target s':>8s} {'peak MB':>8s} {'before MB':>9s} "
          f"{'inputs MB':>9s}  stages (wall s)")
    for n in (int(s) for s in args.sizes.split(",")):
        counts: list[int] = []
        for baseline in (False,) if args.no_baseline else (False, True):
            command = [sys.executable, __file__, "--child", str(n)]
            if baseline:
                command += ["--baseline", ",".join(map(str, counts))]
            line = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
            r = json.loads(line)
            counts = r["counts"]
            name = f"tf-idf k-means {counts[0]}+{counts[1]}" if baseline else f"build_map ({counts[0]}+{counts[1]})"
            target = f"{TARGET_S[n]:.0f}" if n in TARGET_S and not baseline else "-"
            stages = ", ".join(f"{k} {v:.1f}" for k, v in r["stages"].items())
            print(f"{n:7d} {name:26s} {r['wall']:7.1f} {r['cpu']:6.1f} {target:>8s} {r['peak_mb']:8.0f} {r['before_mb']:9.0f} "
                  f"{r['inputs_mb']:9.1f}  {stages}", flush=True)


if __name__ == "__main__":
    main()
