"""Seeds benchmark: records read, papers after merging, merges against an independent truth.

    python bench/seeds.py

Truth: bench/seeds_truth.json, computed once by a naive script that does not use paperatlas.
Target (issue 2): 713 records read, 705 papers, the 8 cross-file pairs merged, 0 wrong merges.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from benchlib import open_atlas  # noqa: E402

from paperatlas import Filters  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

SEEDS = sorted((HERE.parent / "paperatlas" / "samples").glob("*.txt"))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def main() -> None:
    truth = json.loads((HERE / "seeds_truth.json").read_text())
    expected = {(tuple(p["files"]), _norm(p["title"])) for p in truth["pairs"]}
    with tempfile.TemporaryDirectory() as tmp, open_atlas(Path(tmp) / "c.sqlite") as atlas:
        t0 = time.perf_counter()
        reports = ingest_paths(atlas, SEEDS)
        elapsed = time.perf_counter() - t0
        groups = [p for p in atlas.store.papers.iter(Filters()) if len(p.sources) > 1]
        found = {(tuple(sorted(s.file[:3] for s in p.sources)), _norm(p.title)) for p in groups}
        again = ingest_paths(atlas, SEEDS)
        papers = atlas.store.papers.count(Filters())
    records = sum(r.found for r in reports)
    wrong = found - expected
    missed = expected - found
    print(f"{'figure':32} {'measured':>10} {'target':>10}")
    for name, got, want in [
        ("records read", records, truth["records"]),
        ("papers after merging", papers, truth["papers"]),
        ("cross-file merges", len(found), len(expected)),
        ("wrong merges", len(wrong), 0),
        ("missed merges", len(missed), 0),
        ("re-ingest changes", sum(r.new + r.merged + r.updated for r in again), 0),
    ]:
        print(f"{name:32} {got:>10} {want:>10}  {'ok' if got == want else 'MISS'}")
    print(f"ingest time: {elapsed * 1000:.0f} ms for 5 files")
    for r in reports:
        print(f"  {Path(r.path).name}: {r.format}, {r.found} records, {r.new} new, {r.merged} merged"
              + (f", {r.completeness}" if r.completeness else ""))
    for item in sorted(wrong):
        print("WRONG:", item)
    for item in sorted(missed):
        print("MISSED:", item)


if __name__ == "__main__":
    main()
