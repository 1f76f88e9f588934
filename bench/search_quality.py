"""Search quality: BM25, semantic, RRF and our hybrid, side by side, on two real benchmarks.

    python bench/search_quality.py [--tune]

(a) ICLR 2021 topical: 3,014 submissions from ../shared/data/iclr2021.jsonl.gz, indexed WITHOUT
    their keywords; query = an author keyword used by 5-60 papers, relevant = the papers that
    listed it. nDCG@10 (binary gain) and recall@100.
(b) SciRepEval search: 100 real Semantic Scholar queries, ~10 candidates each with click labels
    0/1/2; re-rank each query's candidates. nDCG@10 (linear gain, as trec_eval).

Queries are split in two halves by a hash of their text: hybrid parameters are tuned on "dev"
(``--tune`` prints the grid) and reported on "test" and on all queries. Catalogs (with their
embeddings) are cached under bench/out/quality/ so a second run embeds nothing.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from benchlib import open_atlas  # noqa: E402

from paperatlas import Atlas, Filters  # noqa: E402
from paperatlas.search import HybridParams, fusion, hybrid_rank  # noqa: E402
from paperatlas.services.ingest import ingest_paths  # noqa: E402

DATA = HERE.parent.parent / "shared" / "data"
OUT = HERE / "out" / "quality"
Ranker = Callable[[str], list[str]]


def ndcg(ranked: list[str], gains: dict[str, float], k: int = 10) -> float:
    dcg = sum(gains.get(d, 0.0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(gains.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall(ranked: list[str], relevant: set[str], k: int = 100) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def is_dev(query: str) -> bool:
    return hashlib.blake2b(query.encode(), digest_size=2).digest()[0] % 2 == 0


def build(name: str, records: list[dict]) -> Atlas:
    """A cached catalog of these records, keyword-indexed and fully embedded."""
    OUT.mkdir(parents=True, exist_ok=True)
    src = OUT / f"{name}.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    cat = open_atlas(OUT / f"{name}.sqlite")
    ingest_paths(cat, [src])
    cat.indexes.sync_keyword()
    vectors = cat.indexes.vectors()
    if vectors is None:
        sys.exit(f"semantic index unavailable: {cat.indexes.semantic_error}")
    t0 = time.perf_counter()
    n = cat.indexes.sync_vectors()
    if n:
        print(f"[{name}] embedded {n} papers in {time.perf_counter() - t0:.0f} s")
    return cat


def paper_of(cat: Atlas) -> dict[str, str]:
    """The record's own id in the source file -> catalog paper id."""
    return {src.record_id: p.id for p in cat.store.papers.iter(Filters()) for src in p.sources}


def rankers(cat: Atlas, params: HybridParams, restrict: dict[str, list[str]] | None = None) -> dict[str, Ranker]:
    keyword = cat.indexes.keyword
    index = cat.indexes.require_vectors()
    embedder = cat.embedder()
    none = Filters()

    def lexical(q: str) -> list[tuple[str, float]]:
        # pure BM25 order (the index's default puts papers matching every word first): "bm25"
        # is the BM25 baseline, and hybrid fuses BM25 scores, as search() does
        run = keyword.search(q, none, k=1000 if restrict else 100, all_words_first=False).hits
        if restrict is not None:
            allowed = set(restrict[q])
            run = [(d, sc) for d, sc in run if d in allowed]
        return run

    def semantic(q: str) -> list[tuple[str, float]]:
        vector = embedder.embed_query(q)
        if restrict is not None:
            return fusion.cosine_run(vector, *index.vectors_for(restrict[q]))
        return index.search(vector, 100)  # no filters: every paper allowed

    def hybrid(q: str) -> list[str]:
        vector = embedder.embed_query(q)
        run = hybrid_rank(index, vector, lexical(q), None, 100, params, restrict=restrict[q] if restrict else None)
        return [d for d, _ in run]

    def rrf(q: str) -> list[str]:
        return [d for d, _ in fusion.rrf([lexical(q), semantic(q)])]

    def ids(run: Callable[[str], list[tuple[str, float]]]) -> Ranker:
        return lambda q: [d for d, _ in run(q)]

    def pad(rank: Ranker) -> Ranker:  # re-ranking: unmatched candidates go last, in given order
        if restrict is None:
            return rank
        return lambda q: list(dict.fromkeys(rank(q) + restrict[q]))

    return {"bm25": pad(ids(lexical)), "semantic": pad(ids(semantic)), "rrf": pad(rrf), "hybrid": pad(hybrid)}


def iclr_topical() -> tuple[Atlas, dict[str, set[str]]]:
    rows = [json.loads(line) for line in gzip.open(DATA / "iclr2021.jsonl.gz", "rt")]
    counts = Counter(k.strip().lower() for r in rows for k in set(r.get("keywords") or []))
    queries = {k for k, n in counts.items() if 5 <= n <= 60}
    records = [{"id": r["id"], "title": r["title"], "abstract": r.get("abstract") or "",
                "authors": r.get("authors") or [], "venue": "ICLR", "year": 2021} for r in rows]
    cat = build("iclr2021_nokeywords", records)
    to_paper = paper_of(cat)
    relevant: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        for kw in {k.strip().lower() for k in r.get("keywords") or []} & queries:
            relevant[kw].add(to_paper[r["id"]])
    return cat, dict(relevant)


def scirepeval() -> tuple[Atlas, dict[str, dict[str, float]], dict[str, list[str]]]:
    rows = [json.loads(line) for line in open(DATA / "scirepeval" / "search_small.jsonl")]
    records = {}
    for row in rows:
        for c in row["candidates"]:
            records[c["corpus_id"]] = {"id": str(c["corpus_id"]), "title": c["title"], "abstract": c.get("abstract") or "",
                                       "authors": c.get("author_names") or [], "year": int(c["year"]) if c.get("year") else None}
    cat = build("scirepeval_search", list(records.values()))
    to_paper = paper_of(cat)
    gains = {row["query"]: {to_paper[str(c["corpus_id"])]: float(c["score"]) for c in row["candidates"]} for row in rows}
    restrict = {row["query"]: [to_paper[str(c["corpus_id"])] for c in row["candidates"]] for row in rows}
    return cat, gains, restrict


def evaluate(rank: Ranker, qrels: dict[str, dict[str, float]], recall_k: int | None) -> dict[str, tuple[float, float]]:
    """mean nDCG@10 (and recall@k) on dev, test and all queries."""
    out = {}
    for part in ("dev", "test", "all"):
        qs = [q for q in qrels if part == "all" or (part == "dev") == is_dev(q)]
        runs = {q: rank(q) for q in qs}
        nd = sum(ndcg(runs[q], qrels[q]) for q in qs) / len(qs)
        rc = (sum(recall(runs[q], {d for d, g in qrels[q].items() if g > 0}, recall_k) for q in qs) / len(qs)
              if recall_k else float("nan"))
        out[part] = (nd, rc)
    return out


def report(title: str, results: dict[str, dict[str, tuple[float, float]]], with_recall: bool) -> None:
    print(f"\n{title}")
    head = f"{'method':10} {'nDCG@10 dev':>12} {'test':>7} {'all':>7}"
    print(head + (f" {'R@100 all':>10}" if with_recall else ""))
    for name, r in results.items():
        line = f"{name:10} {r['dev'][0]:12.3f} {r['test'][0]:7.3f} {r['all'][0]:7.3f}"
        print(line + (f" {r['all'][1]:10.3f}" if with_recall else ""))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tune", action="store_true", help="print the dev-set grid of hybrid parameters")
    args = ap.parse_args()
    params = HybridParams()
    cat_a, rel_a = iclr_topical()
    qrels_a = {q: {d: 1.0 for d in ds} for q, ds in rel_a.items()}
    cat_b, qrels_b, restrict_b = scirepeval()
    if args.tune:
        tune(cat_a, qrels_a, cat_b, qrels_b, restrict_b)
    print(f"hybrid parameters: {params}")
    print(f"(a) {len(qrels_a)} topical queries over {cat_a.store.papers.count(Filters())} ICLR 2021 papers;"
          f" (b) {len(qrels_b)} SciRepEval queries")
    ra = {n: evaluate(r, qrels_a, 100) for n, r in rankers(cat_a, params).items()}
    report("(a) ICLR 2021, query = author keyword (indexed without keywords)", ra, True)
    rb = {n: evaluate(r, qrels_b, None) for n, r in rankers(cat_b, params, restrict_b).items()}
    report("(b) SciRepEval search, re-rank candidates (click labels)", rb, False)
    for name, res in (("a", ra), ("b", rb)):
        best_single = max(res["bm25"]["test"][0], res["semantic"]["test"][0])
        verdict = "ok" if res["hybrid"]["test"][0] >= best_single else "BELOW"
        print(f"({name}) hybrid test {res['hybrid']['test'][0]:.3f} vs best single {best_single:.3f}: {verdict}")


def tune(cat_a: Atlas, qrels_a: dict, cat_b: Atlas, qrels_b: dict, restrict_b: dict) -> None:
    """The dev grid: for each setting, hybrid's margin over the better single method on the dev
    half of (a) and of (b); settings are ranked by the smaller of the two margins."""
    def dev(cat: Atlas, qrels: dict, restrict: dict | None, p: HybridParams, name: str) -> float:
        return evaluate(rankers(cat, p, restrict)[name], qrels, None)["dev"][0]

    base = HybridParams()
    best_a = max(dev(cat_a, qrels_a, None, base, m) for m in ("bm25", "semantic"))
    best_b = max(dev(cat_b, qrels_b, restrict_b, base, m) for m in ("bm25", "semantic"))
    rows = []
    for norm in ("minmax", "tmm"):
        for alpha in (0.3, 0.4, 0.5):
            for gamma in (0.0, 0.5, 1.0):
                for docs, beta in ((3, 0.5), (10, 0.5), (10, 1.0)):
                    p = HybridParams(alpha=alpha, gamma=gamma, norm=norm, prf_docs=docs, prf_beta=beta)
                    da, db = dev(cat_a, qrels_a, None, p, "hybrid"), dev(cat_b, qrels_b, restrict_b, p, "hybrid")
                    rows.append((min(da - best_a, db - best_b), da, db, p))
    print(f"dev grid (best single on dev: (a) {best_a:.3f}, (b) {best_b:.3f}); top 10 by the smaller margin")
    for margin, da, db, p in sorted(rows, key=lambda r: -r[0])[:10]:
        print(f"  {margin:+.3f}  (a) {da:.3f} (b) {db:.3f}  {p.norm} alpha={p.alpha} gamma={p.gamma}"
              f" prf={p.prf_docs}x{p.prf_beta}")


if __name__ == "__main__":
    main()
