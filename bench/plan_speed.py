"""Plan speed: your plan for a 5,000-poster programme and a 50-paper list (target: under 1 s).

    python bench/plan_speed.py [--runs 7] [--posters 5000] [--list 50]

The catalog is the real ICLR 2023 listing (Paper Copilot, ``../shared/data/paperlists/iclr2023.json.gz``,
4,955 papers) ingested once into bench/out/plan/. The programme is synthetic (no public programme
of that year names its posters): the papers in a seeded random order, padded with titles the
catalog lacks up to ``--posters``, dealt into 14 poster sessions over four days (two at a time,
so sessions overlap and clashes occur), boards numbered in a shuffled order, written as CSV and
imported through ``services.plan.import_programme``. The list is ``--list`` seeded random
papers. Timed, each as the CLI and /plan call it: the plan of the list alone, the plan with
recommendations filling each session (the default), and the ICS + Markdown exports; p50 and
p99 of ``--runs`` runs after one warm-up.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from benchlib import open_atlas  # noqa: E402

from paperatlas import Filters  # noqa: E402
from paperatlas.plan.export import to_ics, to_markdown  # noqa: E402
from paperatlas.services import library  # noqa: E402
from paperatlas.services import plan as service  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

LISTING = HERE.parent.parent / "shared" / "data" / "paperlists" / "iclr2023.json.gz"
TARGET_S = 1.0
SESSIONS = 14


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def write_programme(path: Path, titles: list[str], posters: int, rng: random.Random) -> None:
    names = titles[:]
    rng.shuffle(names)
    names += [f"A poster the catalog lacks number {i}" for i in range(max(0, posters - len(names)))]
    names = names[:posters]
    per = -(-len(names) // SESSIONS)
    with path.open("w", newline="") as fp:
        out = csv.writer(fp)
        out.writerow(["session", "start", "end", "room", "board", "title"])
        for s in range(SESSIONS):
            day, slot = divmod(s, 4)
            start = f"2023-05-0{day + 2} {10 + (slot // 2) * 5}:{30 if slot % 2 else '00'}"  # two sessions overlap
            end = f"2023-05-0{day + 2} {12 + (slot // 2) * 5}:{30 if slot % 2 else '00'}"
            chunk = names[s * per:(s + 1) * per]
            boards = list(range(1, len(chunk) + 1))
            rng.shuffle(boards)
            for title, board in zip(chunk, boards):
                hall = "ABCD"[s % 4]
                out.writerow([f"Poster Session {s + 1}", start, end, f"Hall {hall}", f"{'ABCD'[board % 4]}{board}", title])


def timed(call: Callable[[], object], runs: int) -> list[float]:
    call()  # warm-up: caches, the recommender's first load
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        call()
        out.append(time.perf_counter() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--posters", type=int, default=5000)
    ap.add_argument("--list", dest="list_size", type=int, default=50)
    ap.add_argument("--out", type=Path, default=HERE / "out" / "plan")
    args = ap.parse_args()
    if not LISTING.exists():
        sys.exit(f"{LISTING} is missing (see ../shared/data/README.md)")
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "catalog.sqlite"
    rng = random.Random(20230501)
    with open_atlas(db) as atlas:
        if atlas.store.papers.count(Filters()) == 0:
            t0 = time.perf_counter()
            ingest_paths(atlas, [LISTING])
            print(f"ingest {LISTING.name}: {time.perf_counter() - t0:.1f} s", flush=True)
        venue_years = sorted(atlas.store.papers.venue_years(), key=lambda r: -int(r.get("papers") or r.get("count") or 0))
        top = venue_years[0]
        venue, year = str(top["venue"]), int(top["year"])
        papers = atlas.store.papers.list(Filters(venue=venue, year=year), limit=None)
        print(f"catalog: {venue} {year}, {len(papers)} papers", flush=True)
        programme = args.out / "programme.csv"
        write_programme(programme, [p.title for p in papers], args.posters, rng)
        t0 = time.perf_counter()
        res = service.import_programme(atlas, programme, venue, year)
        import_s = time.perf_counter() - t0
        print(f"programme: {res.report.entries} posters in {res.sessions} sessions, {res.report.matched} matched,"
              f" {res.report.unmatched} not in the catalog; import {import_s:.2f} s", flush=True)
        chosen = rng.sample([p.id for p in papers], args.list_size)
        if "bench" in [name for _, name, _ in atlas.store.library.lists()]:
            library.delete_list(atlas, library.find_list(atlas, "bench").id)
        library.create_list(atlas, "bench", chosen)
        t0 = time.perf_counter()
        atlas.indexes.sync_terms()
        print(f"term index (recommendations) ready in {time.perf_counter() - t0:.1f} s", flush=True)

        only = timed(lambda: service.make_plan(atlas, venue, year, "bench", recommend=False), args.runs)
        full = timed(lambda: service.make_plan(atlas, venue, year, "bench"), args.runs)
        last = service.make_plan(atlas, venue, year, "bench")
        exports = timed(lambda: (to_ics(last.plan, venue, year), to_markdown(last.plan, venue, year, last.label, last.titles)),
                        args.runs)
        plan = last.plan
        print(f"plan: {len(plan.sessions)} sessions, {sum(len(s.items) for s in plan.sessions)} papers shown,"
              f" {plan.chosen} chosen, {len(plan.clashes)} clashes, {len(plan.unscheduled)} unscheduled")
        print()
        print(f"{'figure':<52}{'p50':>9}{'p99':>9}{'target':>10}")
        for label, values in ((f"plan, {args.list_size}-paper list, {args.posters} posters (list only)", only),
                              (f"plan, {args.list_size}-paper list, {args.posters} posters (+ recommendations)", full),
                              ("ICS + Markdown export of that plan", exports)):
            ok = "ok" if statistics.median(values) < TARGET_S else "SLOW"
            print(f"{label:<52}{pct(values, 50):>8.3f}s{pct(values, 99):>8.3f}s{f'< {TARGET_S:.0f} s':>8} {ok}")
        print(f"{'programme import (CSV, match, store; once)':<52}{import_s:>8.3f}s{'':>9}{'(none)':>10}")


if __name__ == "__main__":
    main()
