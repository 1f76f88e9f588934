"""Paper Copilot benchmark: ingest all 277 conference files, then re-ingest them.

    python bench/paperlists.py [--data ../shared/data/paperlists] [--limit N]

Prints, side by side in one run: the floor (gunzip + json.loads of every file, nothing else),
the first ingest, and the re-ingest; peak memory (ru_maxrss) of this process.
Targets (issue 2): 168,226 records in < 60 s, peak memory < 1 GB, re-ingest < 30 s with 0 changes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from benchlib import SETTINGS, open_atlas  # noqa: E402

from paperatlas import Filters  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402


def peak_mb() -> float:
    """Upper bound of peak resident memory: this process plus each parse worker at the largest
    peak any of them reached (getrusage reports only the largest child)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + SETTINGS.parse_workers * worker) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data" / "paperlists"))
    ap.add_argument("--limit", type=int, default=0, help="only the first N files")
    args = ap.parse_args()
    files = sorted(Path(args.data).glob("*.json.gz"))
    if args.limit:
        files = files[: args.limit]

    t0 = time.perf_counter()
    floor_records = sum(len(json.loads(gzip.decompress(f.read_bytes()))) for f in files)
    floor = time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp, open_atlas(Path(tmp) / "c.sqlite") as atlas:
        t0 = time.perf_counter()
        first = ingest_paths(atlas, files, skip_bad=True)
        t_first = time.perf_counter() - t0
        mem_first = peak_mb()
        t0 = time.perf_counter()
        again = ingest_paths(atlas, files, skip_bad=True)
        t_again = time.perf_counter() - t0
        papers = atlas.store.papers.count(Filters())
        size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir() if p.is_file()) / 1e6  # not the index folder

    failed = [r for r in first if not r.ok]
    records = sum(r.found for r in first)
    changes = sum(r.new + r.merged + r.updated for r in again)
    skipped = sum(1 for r in first for w in r.warnings if "skipped" in w)
    print(f"ingested with --skip-bad: {skipped} damaged records skipped, each with a warning")
    print(f"files: {len(files)}, records in files: {floor_records}, read by ingest: {records}, failed files: {len(failed)}")
    print(f"papers after merging: {papers} ({sum(r.merged for r in first)} records merged into another record's paper)")
    print(f"merge candidates judged: {sum(r.candidates for r in first)} (record, paper) pairs in"
          f" {sum(r.match_seconds for r in first):.1f} s of the writer's time;"
          f" {sum(r.review for r in first)} new papers queued for review")
    print(f"{'step':40} {'seconds':>8} {'target':>8}")
    print(f"{'floor: gunzip + json.loads only':40} {floor:8.1f} {'':>8}")
    print(f"{'first ingest':40} {t_first:8.1f} {'< 60':>8}  {'ok' if t_first < 60 else 'MISS'}")
    again_ok = "ok" if t_again < 30 and changes == 0 else "MISS"
    print(f"{'re-ingest (' + str(changes) + ' changes)':40} {t_again:8.1f} {'< 30':>8}  {again_ok}")
    print(f"peak memory, writer + {SETTINGS.parse_workers} parse workers (upper bound): {mem_first:.0f} MB (target < 1024)"
          f"  {'ok' if mem_first < 1024 else 'MISS'}")
    print(f"catalog size: {size_mb:.0f} MB, throughput {records / t_first:.0f} records/s")
    for r in failed:
        print("FAILED:", r.error)


if __name__ == "__main__":
    main()
