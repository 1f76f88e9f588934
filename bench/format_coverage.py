"""Per format: records in each real fixture file vs records stored, and the share of records with
a title, authors, year, abstract and a strong id (issue 9's table).

    python bench/format_coverage.py [--json]

Every fixture under tests/data/{bibtex,bibformats,shapes,structured,markdown,seeds} (each cited
in the README beside it: repository, path, commit) is ingested into a fresh catalog on its own,
with format detection as a user gets it. "in file" is what the parser read (``found``),
"stored" the records that reached the catalog (new + merged + updated + repeated), "skipped"
the difference; the shares come from the ingest report's coverage counts. Unmapped source fields
are listed per file (kept with each record, nothing dropped silently).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from benchlib import open_atlas  # noqa: E402

from paperatlas.services.ingest import ingest_paths  # noqa: E402

DATA = HERE.parent / "tests" / "data"
FOLDERS = ("bibtex", "bibformats", "shapes", "structured", "markdown", "seeds")
SHARES = ("title", "authors", "year", "abstract", "ids")


def fixtures() -> list[Path]:
    return [p for folder in FOLDERS for p in sorted((DATA / folder).iterdir())
            if p.is_file() and p.name != "README.md" and p.suffix != ".py"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, path in enumerate(fixtures()):
            with open_atlas(Path(tmp) / f"c{i}.sqlite") as atlas:
                [report] = ingest_paths(atlas, [path])
            stored = report.new + report.merged + report.updated + report.repeated
            rows.append({"file": f"{path.parent.name}/{path.name}", "format": report.format, "in_file": report.found,
                         "stored": stored, "error": report.error,
                         **{k: report.coverage.get(k, 0) / report.found if report.found else 0.0 for k in SHARES},
                         "unmapped": sorted(report.unmapped)})
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'file':48} {'format':16} {'in file':>7} {'stored':>6}  " + "  ".join(f"{k:>8}" for k in SHARES))
    for r in rows:
        shares = "  ".join(f"{r[k]:>8.0%}" for k in SHARES)
        print(f"{r['file'][:48]:48} {str(r['format'])[:16]:16} {r['in_file']:>7} {r['stored']:>6}  {shares}"
              + (f"  ERROR {r['error']}" if r["error"] else ""))
    by_format: dict[str, list[dict[str, object]]] = defaultdict(list)
    for r in rows:
        by_format[str(r["format"])].append(r)
    print(f"\nper format ({len(rows)} files):")
    print(f"{'format':18} {'files':>5} {'in file':>8} {'stored':>7}  " + "  ".join(f"{k:>8}" for k in SHARES))
    for fmt, group in sorted(by_format.items()):
        found = sum(int(r["in_file"]) for r in group)  # type: ignore[call-overload]
        stored = sum(int(r["stored"]) for r in group)  # type: ignore[call-overload]
        shares = "  ".join(
            f"{sum(float(r[k]) * int(r['in_file']) for r in group) / max(found, 1):>8.0%}"  # type: ignore[arg-type, call-overload]
            for k in SHARES)
        print(f"{fmt:18} {len(group):>5} {found:>8} {stored:>7}  {shares}")
    lost = [r for r in rows if r["stored"] != r["in_file"] or r["error"]]
    print(f"\nfiles where stored != in file (or an error): {len(lost)} (target 0, each explained by a warning)")
    for r in lost:
        print(f"  {r['file']}: {r['in_file']} read, {r['stored']} stored{', ' + str(r['error']) if r['error'] else ''}")


if __name__ == "__main__":
    main()
