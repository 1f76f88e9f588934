"""Merging bibliographic records: the DBLP-ACM entity-resolution benchmark (Köpcke, Thor & Rahm,
PVLDB 2010), today's code beside the code before the redesign, in one run.

    python bench/merge_bibliographic.py [--data DIR] [--before c0b42e5]

Two bibliography-style listings of the same papers (2,616 DBLP and 2,294 ACM records: title,
comma-separated authors, venue spelled differently, year; no abstracts, no ids) are ingested
into a fresh catalog, one file after the other. Two records are predicted to be the same paper
when they end up in one paper; precision, recall and F1 against the 2,224 true pairs; pairs
queued for review are counted apart (a person decides those).

Data: the Leipzig benchmark files (DBLP2.csv, ACM.csv, DBLP-ACM_perfectMapping.csv, latin-1;
https://dbs.uni-leipzig.de/research/projects/benchmark-datasets-for-entity-resolution, Creative
Commons, cite the paper above). Not shipped: ``--data`` names a folder holding them; by default
they are read from a fetched copy of benseverndev-oss/goldenmatch
(scripts/suggest_quality/vendored/DBLP-ACM, commit 4c06c0ae12707d9751e39d207022e8edf3eace55),
which vendors them with their provenance.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MIRROR = Path("/work/.mirror/benseverndev-oss+goldenmatch/repo")
VENDORED = "scripts/suggest_quality/vendored/DBLP-ACM"
FILES = ("DBLP2.csv", "ACM.csv", "DBLP-ACM_perfectMapping.csv")


def read(data: Path | None, name: str) -> bytes:
    if data is not None:
        return (data / name).read_bytes()
    return subprocess.run(["git", "--git-dir", str(MIRROR / ".git") if (MIRROR / ".git").exists() else str(MIRROR),
                           "show", f"HEAD:{VENDORED}/{name}"], check=True, capture_output=True).stdout


PROBE = r'''
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import paperatlas
files, out = [Path(p) for p in sys.argv[2:4]], Path(sys.argv[4])
db = out.with_suffix(".sqlite")
if hasattr(paperatlas, "Atlas"):
    from paperatlas import Atlas, Settings, Filters
    from paperatlas.services.ingest import ingest_paths
    atlas = Atlas.open(db, Settings(home=out.parent))
    for f in files:
        ingest_paths(atlas, [f])
    papers = list(atlas.store.papers.iter(Filters()))
    pending = [(p.paper_a, p.paper_b) for p in atlas.store.review.pending(None)]
else:
    from paperatlas.catalog import Catalog, review
    from paperatlas.ingest import ingest_paths
    atlas = Catalog(db)
    for f in files:
        ingest_paths(atlas, [f])
    papers = list(atlas.iter_papers())
    pending = [(p.paper_a, p.paper_b) for p in review.pending(atlas.db)]
groups = {p.id: [(s.file, s.record_id) for s in p.sources] for p in papers}
out.write_text(json.dumps({"groups": groups, "pending": pending}))
'''


def run(code: Path, files: list[Path], work: Path, label: str) -> dict[str, Any]:
    out = work / f"{label}.json"
    subprocess.run([sys.executable, "-c", PROBE, str(code), *map(str, files), str(out)], check=True, cwd=str(code))
    return dict(json.loads(out.read_text()))


def score(result: dict[str, Any], truth: set[tuple[str, str]]) -> tuple[float, float, float, int, int]:
    predicted: set[tuple[str, str]] = set()
    for sources in result["groups"].values():
        dblp = [rid for f, rid in sources if f.startswith("DBLP")]
        acm = [rid for f, rid in sources if f.startswith("ACM")]
        predicted |= {(d, a) for d in dblp for a in acm}
    of = {pid: sources for pid, sources in result["groups"].items()}
    review: set[tuple[str, str]] = set()
    for a, b in result["pending"]:
        both = of.get(a, []) + of.get(b, [])
        review |= {(d, c) for fd, d in both if fd.startswith("DBLP") for fc, c in both if fc.startswith("ACM")}
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, len(predicted), len(review & truth)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=None, help="folder with DBLP2.csv, ACM.csv, DBLP-ACM_perfectMapping.csv")
    ap.add_argument("--before", default="c0b42e5", help="the commit to compare with ('' to skip)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = []
        for name in FILES[:2]:  # latin-1 in the original; listings are read as UTF-8
            path = work / name
            path.write_text(read(args.data, name).decode("latin-1"), encoding="utf-8")
            files.append(path)
        rows = csv.DictReader(io.StringIO(read(args.data, FILES[2]).decode("latin-1")))
        truth = {(r["idDBLP"], r["idACM"]) for r in rows}
        sides = [("after", ROOT)]
        if args.before:
            before = HERE / "out" / "compare" / f"before-{args.before}"
            if not (before / "paperatlas").is_dir():
                before.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--force", "--detach", str(before), args.before],
                               check=True, stdout=subprocess.DEVNULL)
            sides.insert(0, ("before", before))
        print(f"DBLP-ACM: {len(truth)} true pairs")
        print(f"{'code':8} {'precision':>9} {'recall':>7} {'F1':>6} {'merged pairs':>13} {'true pairs in review':>21}")
        for label, code in sides:
            p, r, f1, n, rev = score(run(code, files, work, label), truth)
            print(f"{label:8} {p:9.4f} {r:7.4f} {f1:6.4f} {n:13} {rev:21}")


if __name__ == "__main__":
    main()
