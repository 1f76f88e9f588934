"""Recommendation latency: retrain + rank a profile over the whole catalog, p50/p99, at 10k and
100k papers, for profiles of 5, 50 and 500 papers (target: 50 papers over 100k under 1 s).

    python bench/recommend_speed.py [--sizes 10000,100000] [--profiles 20]

Uses the catalogs bench/search_speed.py builds under bench/out/speed (real Paper Copilot papers,
vectors for every paper); the term index is built once (its time is printed). Each measured call
is ``paperatlas.recommend.recommend`` as the CLI and the web page call it, with no filter, so
every paper of the catalog is a candidate; the batch line of a 50-paper profile is timed too.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from benchlib import open_atlas  # noqa: E402

from paperatlas import Filters  # noqa: E402
from paperatlas.recommend import Profile, recommend  # noqa: E402


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--profiles", type=int, default=20, help="profiles per size")
    ap.add_argument("--cache", type=Path, default=HERE / "out" / "speed")
    args = ap.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        path = args.cache / f"catalog-{size}.sqlite"
        if not path.exists():
            sys.exit(f"{path} is missing: run bench/search_speed.py --sizes {size} first")
        with open_atlas(path) as atlas:
            t0 = time.perf_counter()
            built = atlas.indexes.sync_terms()
            print(f"{size}: term index {'built' if built else 'loaded'} in {time.perf_counter() - t0:.1f} s"
                  f" ({len(atlas.indexes.terms())} papers)", flush=True)
            ids = sorted(atlas.store.papers.ids_matching(Filters()))
            rng = random.Random(size)
            recommend(atlas, Profile("warm", rng.sample(ids, 5)), k=20)
            for n in (5, 50, 500):
                times = []
                for i in range(args.profiles):
                    profile = Profile(f"p{n}-{i}", rng.sample(ids, n))
                    t0 = time.perf_counter()
                    res = recommend(atlas, profile, k=20)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert len(res.items) == 20
                rows.append((len(ids), n, pct(times, 50), pct(times, 99)))
                print(f"  {n:4} papers: p50 {rows[-1][2]:.0f} ms, p99 {rows[-1][3]:.0f} ms", flush=True)
    print(f"\n{'papers':>8} {'profile':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for size, n, p50, p99 in rows:
        print(f"{size:8} {n:8} {p50:8.0f} {p99:8.0f}")
    for size, n, p50, _ in rows:
        if n == 50 and size >= 100_000:
            print(f"50-paper profile over {size} papers: p50 {p50:.0f} ms (target < 1000): {'ok' if p50 < 1000 else 'MISS'}")


if __name__ == "__main__":
    main()
