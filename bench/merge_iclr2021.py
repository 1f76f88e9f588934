"""Merge benchmark on ICLR 2021: precision and recall of cross-source merging against OpenReview ids.

    python bench/merge_iclr2021.py [--data ../shared/data]

Sources, ingested in this order into a fresh catalog:
  1. paperlists/iclr2021.json.gz   the official list (final titles, authors, no abstracts)
  2. seeds 000_*.txt and 002_*.txt  an abstract-only page and a Hugging Face viewer page
  3. iclr2021.jsonl.gz              3,014 submissions with abstracts
Two variants of source 3:
  - "with ids":  as shipped (every record carries its OpenReview forum id);
  - "blind":     a copy with the submission-time titles (``title_evanzd``; rows without one keep
                 the final title) and no id, forum URL or author ids, so that titles, abstracts
                 and authors must do the work; "blind, reversed" ingests the same four sources
                 in the opposite order (merging must not depend on it).
Truth: every record's OpenReview id (its own, or, for the blind copy, the id of the row it was
made from; for the abstract-only seed, the submission whose abstract it copies). A predicted pair
is two records of one paper; a true pair is two records with one id. Pairs whose titles changed
beyond case and spacing are reported separately, and so are pairs left in the review queue.
Targets: precision >= 0.999, recall >= 0.99.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
from itertools import combinations
from pathlib import Path

from rapidfuzz import fuzz, process

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from benchlib import open_atlas  # noqa: E402

from paperatlas import Filters  # noqa: E402
from paperatlas.ingest import Overrides  # noqa: E402
from paperatlas.normalize import title_key  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

SAMPLES = HERE.parent / "paperatlas" / "samples"
DROP_BLIND = ("id", "forum_url", "author_ids", "title_evanzd", "in_papercopilot", "in_evanzd")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (text or "").lower()).strip()


def blind_copy(rows: list[dict], folder: Path) -> Path:
    """iclr2021.jsonl with submission-time titles and no ids (the name keeps venue and year)."""
    path = folder / "iclr2021.jsonl"
    with path.open("w", encoding="utf-8") as fp:
        for row in rows:
            out = {k: v for k, v in row.items() if k not in DROP_BLIND}
            out["title"] = row.get("title_evanzd") or row["title"]
            fp.write(json.dumps(out, ensure_ascii=False) + "\n")
    return path


def truth_of(rows: list[dict], blind_path: Path | None):
    """A function (file name, source ref, record) -> OpenReview id or None."""
    by_abstract = {_norm(r.get("abstract") or "")[:300]: r["id"] for r in rows if r.get("abstract")}

    def truth(path: str, ref, rec) -> str | None:  # type: ignore[no-untyped-def]
        if blind_path is not None and path == str(blind_path.resolve()):
            return rows[int(ref.record_id) - 1]["id"]
        if rec.ids.get("openreview"):
            return rec.ids["openreview"]
        if ref.format == "abstracts":
            head = _norm(rec.abstract)[:300]
            if head in by_abstract:
                return by_abstract[head]
            # LaTeX or Unicode spelled differently: the closest submission abstract, if close
            best = process.extractOne(head, list(by_abstract), scorer=fuzz.ratio, score_cutoff=90)
            return by_abstract[best[0]] if best else None
        return rec.record_id

    return truth


def run(variant: str, data: Path, rows: list[dict], tmp: Path) -> dict:
    blind = blind_copy(rows, tmp) if variant.startswith("blind") else None
    third = blind or data / "iclr2021.jsonl.gz"
    seeds = sorted(SAMPLES.glob("000_*.txt")) + sorted(SAMPLES.glob("002_*.txt"))
    changed = {r["id"] for r in rows if blind and r.get("title_evanzd")
               and title_key(r["title_evanzd"]) != title_key(r["title"])}
    with open_atlas(tmp / f"{variant}.sqlite") as atlas:
        t0 = time.perf_counter()
        steps = [
            ([data / "paperlists" / "iclr2021.json.gz"], None),
            (seeds[:1], Overrides(venue="ICLR", year=2021)),
            (seeds[1:], None),
            ([third], None),
        ]
        reports = []
        for paths, over in steps[::-1] if variant.endswith("reversed") else steps:
            reports += ingest_paths(atlas, paths, overrides=over)
        elapsed = time.perf_counter() - t0
        truth = truth_of(rows, blind)
        paths = {f["name"]: f["path"] for f in atlas.store.papers.files()}
        records = []  # (paper id, file, truth)
        for paper in atlas.store.papers.iter(Filters()):
            for ref, rec in atlas.store.papers.records_of(paper.id):
                records.append((paper.id, ref.file, truth(paths[ref.file], ref, rec)))
        pending = atlas.store.review.pending()
    paper_of: dict[int, str] = {}
    unknown = sum(1 for _, _, t in records if t is None)
    predicted, true = set(), set()
    by_paper: dict[str, list[int]] = {}
    by_truth: dict[str, list[int]] = {}
    for i, (pid, _, t) in enumerate(records):
        by_paper.setdefault(pid, []).append(i)
        if t:
            by_truth.setdefault(t, []).append(i)
        paper_of[i] = pid
    for group, out in ((by_paper, predicted), (by_truth, true)):
        for members in group.values():
            out.update((a, b) for a, b in combinations(sorted(members), 2) if records[a][1] != records[b][1])
    scored = {p for p in predicted if records[p[0]][2] and records[p[1]][2]}
    hit = scored & true
    queued = {frozenset((p.paper_a, p.paper_b)) for p in pending}
    missed = true - predicted
    missed_queued = sum(1 for a, b in missed if frozenset((paper_of[a], paper_of[b])) in queued)
    changed_true = {p for p in true if records[p[0]][2] in changed}
    return {
        "variant": variant,
        "seconds": elapsed,
        "records": len(records),
        "papers": len(by_paper),
        "no_truth": unknown,
        "pairs_true": len(true),
        "pairs_predicted": len(scored),
        "precision": len(hit) / len(scored) if scored else 1.0,
        "recall": len(hit) / len(true) if true else 1.0,
        "wrong": sorted(scored - true)[:10],
        "wrong_n": len(scored - true),
        "changed_true": len(changed_true),
        "changed_found": len(changed_true & predicted),
        "missed": len(missed),
        "missed_in_review": missed_queued,
        "review_pairs": len(pending),
        "candidates": sum(r.candidates for r in reports),
        "records_list": records,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(HERE.parent.parent / "shared" / "data"))
    args = ap.parse_args()
    data = Path(args.data)
    with gzip.open(data / "iclr2021.jsonl.gz", "rt", encoding="utf-8") as fp:
        rows = [json.loads(line) for line in fp]
    print(f"{'variant':16} {'records':>7} {'papers':>6} {'true':>6} {'found':>6} {'wrong':>5}"
          f" {'precision':>9} {'recall':>7} {'changed titles':>15} {'review':>6} {'missed (queued)':>16} {'sec':>5}")
    for variant in ("with ids", "blind", "blind, reversed"):
        with tempfile.TemporaryDirectory() as tmp:
            r = run(variant, data, rows, Path(tmp))
        changed = f"{r['changed_found']}/{r['changed_true']}" if r["changed_true"] else "-"
        print(f"{variant:16} {r['records']:>7} {r['papers']:>6} {r['pairs_true']:>6} {r['pairs_predicted']:>6}"
              f" {r['wrong_n']:>5} {r['precision']:>9.4f} {r['recall']:>7.4f} {changed:>15} {r['review_pairs']:>6}"
              f" {r['missed']:>9} ({r['missed_in_review']:>3}) {r['seconds']:>5.1f}")
        for a, b in r["wrong"]:
            recs = r["records_list"]
            print(f"    WRONG: {recs[a][1]} {recs[a][2]}  ~  {recs[b][1]} {recs[b][2]}")
        if r["no_truth"]:
            print(f"    {r['no_truth']} records without a known OpenReview id (left out of precision)")
        print(f"    candidate (record, paper) pairs judged: {r['candidates']}")
    print("targets: precision >= 0.999, recall >= 0.99"
          " (changed titles: the submission title differs from the final one beyond case and spacing)")


if __name__ == "__main__":
    main()
