"""Ingest speed of a 5,000-entry BibTeX file and of 100k Kaggle arXiv-snapshot lines (records/s),
beside the speed of the library parser alone on the same bytes (issue 9).

    python bench/format_speed.py [--bib-entries 5000] [--kaggle-lines 100000] [--data ../shared/data/paperlists]

Inputs are built from real papers (Paper Copilot JSON in ../shared/data/paperlists): the BibTeX
file joins the OpenReview BibTeX entries Paper Copilot keeps per paper (``bibtex``); the snapshot
lines carry the Kaggle arXiv dataset's fields (id, authors, authors_parsed, title, abstract,
versions, ...) filled with the papers' titles, authors, abstracts and years.
Baselines, the library alone: ``bibtexparser.parse_string`` for BibTeX, ``json.loads`` per line
for the snapshot. Each figure: best of --repeat runs (these 2-core machines are noisy).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from benchlib import open_atlas  # noqa: E402

from paperatlas.models import Paper  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

PAPERLISTS = HERE.parent.parent / "shared" / "data" / "paperlists"


def real_papers(n: int, data: Path) -> Iterator[Paper]:
    """Papers from the Paper Copilot files, in file order, until ``n``."""
    count = 0
    for path in sorted(data.glob("*.json.gz")):
        for item in json.loads(gzip.decompress(path.read_bytes())):
            title = str(item.get("title") or "").strip()
            if not title:
                continue
            authors = [a.strip() for a in str(item.get("author") or "").split(";") if a.strip()]
            yield Paper(id=f"p{count}", title=title, authors=authors, abstract=str(item.get("abstract") or ""),
                        venue=path.name.split(".")[0].rstrip("0123456789").upper(), year=int(item.get("year") or 2023))
            count += 1
            if count == n:
                return


def bibtex_file(n: int, data: Path) -> str:
    """The ``bibtex`` field Paper Copilot keeps per paper (OpenReview's own BibTeX entries)."""
    entries: list[str] = []
    for path in sorted(data.glob("*.json.gz")):
        entries += [str(item["bibtex"]).strip() for item in json.loads(gzip.decompress(path.read_bytes()))
                    if str(item.get("bibtex") or "").lstrip().startswith("@")]
        if len(entries) >= n:
            break
    return "\n\n".join(entries[:n]) + "\n"


def kaggle_lines(n: int, data: Path) -> str:
    lines = []
    for i, p in enumerate(real_papers(n, data)):
        parsed = [[a.split()[-1], " ".join(a.split()[:-1]), ""] for a in p.authors if a.split()]
        lines.append(json.dumps({
            "id": f"{2100 + i // 100000:04d}.{i % 100000:05d}", "submitter": p.authors[0] if p.authors else None,
            "authors": ", ".join(p.authors), "title": p.title, "comments": None, "journal-ref": None, "doi": None,
            "report-no": None, "categories": "cs.LG", "license": None, "abstract": p.abstract,
            "versions": [{"version": "v1", "created": f"Mon, 1 May {p.year} 10:00:00 GMT"}],
            "update_date": f"{p.year}-05-01", "authors_parsed": parsed}))
    return "\n".join(lines) + "\n"


def best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        count = fn()
        times.append(time.perf_counter() - t0)
    return min(times), count


def ingest_once(path: Path, folder: Path, run: list[int]) -> int:
    run[0] += 1
    with open_atlas(folder / f"c{run[0]}.sqlite") as atlas:
        [report] = ingest_paths(atlas, [path], skip_bad=True)  # real entries: one Paper Copilot truncated
    assert report.ok, report.error
    return report.found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bib-entries", type=int, default=5000)
    ap.add_argument("--kaggle-lines", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--data", type=Path, default=PAPERLISTS, help="the Paper Copilot folder")
    args = ap.parse_args()
    import bibtexparser

    with tempfile.TemporaryDirectory() as tmp:
        folder, run = Path(tmp), [0]
        bib = folder / "papers.bib"
        bib.write_text(bibtex_file(args.bib_entries, args.data), encoding="utf-8")
        snapshot = folder / "arxiv-metadata-oai-snapshot.json"
        snapshot.write_text(kaggle_lines(args.kaggle_lines, args.data), encoding="utf-8")
        text = bib.read_text(encoding="utf-8")
        lines = snapshot.read_text(encoding="utf-8").splitlines()
        cases = [
            ("BibTeX", bib, lambda: len(bibtexparser.parse_string(text).entries), "bibtexparser.parse_string"),
            ("Kaggle arXiv snapshot", snapshot, lambda: sum(1 for line in lines if json.loads(line)), "json.loads per line"),
        ]
        print(f"{'input':24} {'records':>8} {'MB':>6}  {'ingest rec/s':>12}  {'library alone rec/s':>20}  library")
        for name, path, alone, library in cases:
            ingest_s, found = best(lambda: ingest_once(path, folder, run), args.repeat)  # noqa: B023
            alone_s, _ = best(alone, args.repeat)
            mb = path.stat().st_size / 1e6
            print(f"{name:24} {found:>8} {mb:>6.1f}  {found / ingest_s:>12,.0f}  {found / alone_s:>20,.0f}  {library}")
        print("ingest = detect + parse + normalise + merge + store in a fresh catalog (one transaction)")


if __name__ == "__main__":
    main()
