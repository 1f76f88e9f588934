"""Indexing a catalog as a user does: `paperatlas index` over real papers with abstracts.

    python bench/index_speed.py [--n 3014]

Ingests the first --n ICLR 2021 submissions (../shared/data/iclr2021.jsonl.gz: title + abstract
each) into a fresh catalog, then runs `paperatlas index` in its own process: the keyword index
and every paper vector (title + abstract, and the title on its own, mixed as the index stores
them). Prints papers/s, CPU seconds per paper, the process's peak memory, and the bytes per
paper the vectors take in the catalog. Targets (issue 5): vectors <= 0.6 KB per paper.
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from benchlib import SETTINGS, open_atlas  # noqa: E402

from paperatlas import Filters  # noqa: E402
from paperatlas.embeddings import get_embedder  # noqa: E402
from paperatlas.search.document import vector_model  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data" / "iclr2021.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=3014)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "iclr2021.jsonl"
        with gzip.open(DATA, "rt") as fh, src.open("w") as out:
            for i, line in enumerate(fh):
                if i >= args.n:
                    break
                out.write(line)
        db = Path(tmp) / "catalog.sqlite"
        with open_atlas(db) as atlas:  # (the keyword index too is left to `paperatlas index`)
            ingest_paths(atlas, [src])
            papers = atlas.store.papers.count(Filters())
        # the embedder `paperatlas index` uses, with its model cache (<home>/models)
        embedder = get_embedder(SETTINGS.embedder, cache_dir=SETTINGS.model_cache)
        embedder.session  # build the model graph once, outside the timed run  # noqa: B018
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "paperatlas", "index", "--db", str(db), "--json"],
                              capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        report = json.loads(proc.stdout)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        model = vector_model(embedder.name)
        with open_atlas(db) as atlas:
            as_written = atlas.store.vectors.storage_bytes(model) / papers
        subprocess.run([sys.executable, "-m", "paperatlas", "index", "--db", str(db), "--prune", "--json"],
                       capture_output=True, text=True, check=True)
        with open_atlas(db) as atlas:
            compacted = atlas.store.vectors.storage_bytes(model) / papers
        print(f"paperatlas index over {papers} papers (title + abstract): {wall:.0f} s wall,"
              f" {papers / wall:.1f} papers/s, {cpu / papers * 1000:.0f} CPU-ms per paper,"
              f" peak memory {after.ru_maxrss / 1024:.0f} MB")
        print(f"embedded {report['embedded']} texts; the vector tables take {as_written:.0f} B per paper as"
              f" written and {compacted:.0f} B after `paperatlas index --prune` compacts the file"
              f" (target <= 600; the int8 vector itself is {embedder.dim} B + an 8 B scale)")


if __name__ == "__main__":
    main()
