"""Library export -> import into a fresh catalog: is every star, tag, note, list item and merge
decision back?

    python bench/library_transfer.py [--seed 3]

Catalog A: the bundled sample listings. A seeded random library on it: stars, tags, notes, three
reading lists, hand merges of papers the rules kept apart, keep-apart decisions and a split.
Catalog B: a fresh file that read the same listings in the reverse order, from copies in another
folder (so paper ids and file paths differ). ``library export`` from A, ``library import`` into
B, then each kind is compared by what identifies a paper across catalogs (its records' files and
keys), and the counts are printed beside A's. A second import must add nothing.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from paperatlas import Atlas, Filters, Settings  # noqa: E402
from paperatlas.services import library, review  # noqa: E402
from paperatlas.services.ingest import SAMPLES, ingest_paths  # noqa: E402
from paperatlas.services.transfer import export_library, import_library  # noqa: E402


def ingest(atlas: Atlas, folder: Path, reverse: bool) -> None:
    manifest = json.loads((SAMPLES / "manifest.json").read_text())["files"]
    from paperatlas.ingest import Overrides

    for path in sorted(folder.glob("*.txt"), reverse=reverse):
        known = {k: v for k, v in manifest.get(path.name, {}).items() if k in ("venue", "year", "track", "session")}
        ingest_paths(atlas, [path], overrides=Overrides(**known))


def identity(atlas: Atlas, paper_id: str) -> tuple[str, ...]:
    """A paper as any catalog that read the same files knows it: its records' files and keys."""
    records = atlas.store.papers.identities([paper_id])[paper_id]
    names = atlas.store.papers.source_names()
    return tuple(sorted(f"{names.get(s, s)}:{k}" for s, k in records))


def make_library(atlas: Atlas, rng: random.Random) -> None:
    ids = sorted(p.id for p in atlas.store.papers.iter(Filters()))
    library.set_stars(atlas, rng.sample(ids, 60))
    for pid in rng.sample(ids, 90):
        library.set_tags(atlas, pid, rng.sample(["rl", "theory", "must-read", "diffusion", "later"], rng.randint(1, 3)))
    for pid in rng.sample(ids, 30):
        library.set_note(atlas, pid, f"note on {pid}: " + rng.choice(["compare with baseline", "read §3", "αβγ"]))
    for name in ("ICLR 2023 posters", "for Monday", "theory reading group"):
        library.create_list(atlas, name, rng.sample(ids, 20))
    single = [p for p in atlas.store.papers.iter(Filters()) if len(p.sources) == 1]
    pairs = rng.sample(single, 12)
    for a, b in zip(pairs[0:8:2], pairs[1:8:2]):
        review.merge(atlas, a.id, b.id)
    for a, b in zip(pairs[8::2], pairs[9::2]):
        review.keep_apart(atlas, a.id, b.id)
    merged = [p for p in atlas.store.papers.iter(Filters()) if len(p.sources) == 2]
    review.split(atlas, rng.choice(merged).id)


def snapshot(atlas: Atlas) -> dict[str, set[tuple[object, ...]]]:
    lib = atlas.store.library.dump()
    lists = {i: name for i, name, _ in lib["lists"]}
    return {
        "stars": {identity(atlas, pid) for pid, _ in lib["stars"]},
        "tags": {(identity(atlas, pid), tag) for pid, tag, _ in lib["tags"]},
        "notes": {(identity(atlas, pid), body) for pid, body, _ in lib["notes"]},
        "list_items": {(lists[lid], identity(atlas, pid)) for lid, pid, _, _ in lib["items"]},
        "decisions": {decision(atlas, a) for a in review.decisions(atlas)},
        "decisions honoured": {decision(atlas, a) for a in review.decisions(atlas) if honoured(atlas, a)},
    }


def decision(atlas: Atlas, action: object) -> tuple[object, ...]:
    """A decision as any catalog knows it: kind, time, whether undone, links by file name and key."""
    names = atlas.store.papers.source_names()
    links = tuple(sorted((d, f"{names.get(a[0], a[0])}:{a[1]}", f"{names.get(b[0], b[0])}:{b[1]}")
                         for d, a, b in action.links))  # type: ignore[attr-defined]
    return (action.kind, action.decided_at, action.undone_at is not None, links)  # type: ignore[attr-defined]


def honoured(atlas: Atlas, action: object) -> bool:
    """The catalog agrees with a decision still in force: 'same' records share a paper,
    'distinct' records do not (an undone decision is honoured by being recorded)."""
    if action.undone_at is not None:  # type: ignore[attr-defined]
        return True
    with atlas.store.writer() as w:  # read-only use of the writer's look-ups
        return all((w.paper_of(a) == w.paper_of(b)) == (d == "same") for d, a, b in action.links)  # type: ignore[attr-defined]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        copies = root / "moved-listings"
        shutil.copytree(SAMPLES, copies)
        with Atlas.open(root / "a.sqlite", Settings(home=root)) as a:
            ingest(a, SAMPLES, reverse=False)
            make_library(a, random.Random(args.seed))
            before = snapshot(a)
            buf = io.StringIO()
            exported = export_library(a, buf)
        with Atlas.open(root / "b.sqlite", Settings(home=root)) as b:
            ingest(b, copies, reverse=True)
            report = import_library(b, io.StringIO(buf.getvalue()))
            after = snapshot(b)
            again = import_library(b, io.StringIO(buf.getvalue()))
    print(f"exported: {exported}")
    print(f"{'kind':20} {'in A':>6} {'in B':>6} {'same':>6}")
    ok = True
    for kind in before:
        same = len(before[kind] & after[kind])
        ok &= before[kind] == after[kind]
        print(f"{kind:20} {len(before[kind]):6} {len(after[kind]):6} {same:6}")
    print(f"import report: added {report.added}, missing {report.missing}, merges applied {report.merges_applied}")
    print(f"second import: added {sum(again.added.values())}, present {sum(again.present.values())}")
    for kind, *_ in sorted(before["decisions honoured"] - after["decisions honoured"], key=str):
        print(f"  not honoured in B: {kind} {_}")
    print("everything back: " + ("yes" if ok and not any(report.missing.values()) and not any(again.added.values()) else "NO"))


if __name__ == "__main__":
    main()
