"""What the topic facet and the ``topic:`` filter cost a search (ICLR 2021, 2,966 papers).

    python bench/topic_facet_speed.py [--queries 60]

Data: ../shared/data/iclr2021.jsonl.gz (OpenReview metadata, CC BY 4.0), ingested as ICLR 2021
into a temporary catalog; vectors from the model-free ``hashing`` embedder (the map and the
facet do not care where vectors come from; the semantic run is not timed here). Queries: 2-3
words drawn from the titles, fixed seed. Each is run through ``search(..., mode="keyword")`` as
the CLI and the web call it (facets and snippets for 20 hits), one thread.

Figures, p50 and p95 in ms:
- baseline: the venue-year has no stored map (no topic facet: what search cost before);
- with facet: its map stored, the topic facet counted (one count query per broad topic);
- listing: no words, the venue-year's papers (the facet counted from the store's ids), before
  and after the map is stored;
- topic filter: the same queries narrowed by the biggest topic;
- cold resolve: the first resolution after the catalog changed (the map's key recomputed from
  the venue's vectors), once.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from paperatlas import Atlas, Filters, Settings  # noqa: E402
from paperatlas.ingest import Overrides  # noqa: E402
from paperatlas.search import search  # noqa: E402
from paperatlas.services import maps, topics  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data" / "iclr2021.jsonl.gz"
SCOPE = Filters(venue="ICLR", year=2021)


def timed(atlas: Atlas, queries: list[str], filters: Filters) -> tuple[float, float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        search(atlas, q, mode="keyword", filters=filters)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", type=int, default=60)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(home=Path(tmp) / "home", embedder="hashing")
        with Atlas.open(Path(tmp) / "catalog.sqlite", settings) as atlas:
            ingest_paths(atlas, [DATA], overrides=Overrides(venue="ICLR", year=2021))
            atlas.settle(120)
            atlas.indexes.sync_keyword()
            atlas.indexes.sync_vectors()
            papers = atlas.store.papers.count(SCOPE)
            rng = random.Random(7)
            titles = [p.title.split() for p in atlas.store.papers.list(SCOPE, limit=None) if len(p.title.split()) > 3]
            queries = [" ".join(rng.sample(rng.choice(titles), rng.choice((2, 3)))) for _ in range(args.queries)]
            timed(atlas, queries[:5], SCOPE)  # warm up
            base = timed(atlas, queries, SCOPE)
            listing_base = timed(atlas, [""] * 20, SCOPE)
            start = time.perf_counter()
            built = maps.venue_map(atlas, "ICLR", 2021).map
            build_s = time.perf_counter() - start
            facet = timed(atlas, queries, SCOPE)
            listing = timed(atlas, [""] * 20, SCOPE)
            biggest = max(built.topics(), key=lambda c: c.size)
            narrowed = timed(atlas, queries, Filters(venue="ICLR", year=2021, topic=biggest.label))
            topics._CHECKED.clear()  # as after a change to the catalog: the map's key computed again
            start = time.perf_counter()
            topics.resolve(atlas, Filters(venue="ICLR", year=2021, topic=biggest.label))
            cold = (time.perf_counter() - start) * 1000
    print(f"ICLR 2021: {papers} papers, {len(built.topics())} topics, map built in {build_s:.1f} s; {args.queries} queries")
    print(f"{'search (keyword, 20 hits)':32} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (p50, p95) in (("baseline: no map stored", base), ("with the topic facet", facet),
                             ("narrowed by topic", narrowed), ("listing, no map stored", listing_base),
                             ("listing with the topic facet", listing)):
        print(f"{name:32} {p50:8.1f} {p95:8.1f}")
    print(f"cold topic resolution (key recomputed): {cold:.1f} ms, once per catalog change")


if __name__ == "__main__":
    main()
