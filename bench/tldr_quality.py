"""Extractive TL;DR quality against real author TL;DRs, beside the lead-1 and last-sentence
baselines, in one run; plus sentence-splitter agreement and speed.

    python bench/tldr_quality.py --scitldr PATH --paperlists PATH [--repeat 3]

(or set SCITLDR_DIR / PAPERLISTS_DIR; see bench/tldr_data.py for what each path is and where it
comes from). Test sets, neither tuned on (bench/tldr_train.py reads SciTLDR-A train and dev only):

* SciTLDR-A test (618 abstracts). ROUGE against the author's TL;DR, and the SciTLDR paper's
  multi-target score (the reference with the best ROUGE-1 among the author's and the
  peer-review-derived TL;DRs, as allenai/scitldr scripts/cal-rouge.py does).
* Paper Copilot records with an author ``tldr`` and an ``abstract``, minus every paper that is
  in SciTLDR (ICLR 2018 overlaps it), so the two test sets are disjoint and neither was tuned on.

ROUGE-1/2/L F1 by Google's rouge-score package (``RougeScorer(use_stemmer=True)``, Porter
stemming), averaged over papers (x100). Every method goes through the product's pipeline:
``paperatlas.tldr.split_sentences`` then ``cap_length``; "oracle" is the one sentence with the
best mean ROUGE against the author's TL;DR, the ceiling of any one-sentence extract.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from rouge_score import rouge_scorer  # noqa: E402
from tldr_data import Item, load_paperlists, load_scitldr  # noqa: E402

from paperatlas.tldr import cap_length, extractive_tldr, split_sentences  # noqa: E402

OUT = HERE / "out" / "tldr"
SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
KEYS = ("rouge1", "rouge2", "rougeL")


def lead1(title: str, abstract: str) -> str | None:
    s = split_sentences(abstract)
    return cap_length(s[0]) if s else None


def last(title: str, abstract: str) -> str | None:
    s = split_sentences(abstract)
    return cap_length(s[-1]) if s else None


def scores(pred: str, ref: str) -> tuple[float, float, float]:
    s = SCORER.score(ref, pred)
    return s["rouge1"].fmeasure, s["rouge2"].fmeasure, s["rougeL"].fmeasure


def oracle(item: Item) -> str:
    sents = [cap_length(s) for s in split_sentences(item.abstract)]
    return max(sents, key=lambda s: sum(scores(s, item.targets[0])))


METHODS: dict[str, Callable[[str, str], str | None]] = {
    "extractive_tldr (ours)": extractive_tldr,
    "lead-1 (first sentence)": lead1,
    "last sentence": last,
}


def evaluate(items: list[Item], multi: bool) -> dict[str, dict[str, list[tuple[float, float, float]]]]:
    """Per method: per-paper (R1, R2, RL) against the author ('author') and, if ``multi``, the
    best-ROUGE-1 reference ('multi')."""
    out: dict[str, dict[str, list[tuple[float, float, float]]]] = {}
    preds = {name: [fn(it.title, it.abstract) or "" for it in items] for name, fn in METHODS.items()}
    preds["oracle (best single sentence)"] = [oracle(it) for it in items]
    for name, ps in preds.items():
        author = [scores(p, it.targets[0]) for p, it in zip(ps, items)]
        res = {"author": author}
        if multi:
            res["multi"] = [max((scores(p, t) for t in it.targets), key=lambda s: s[0]) for p, it in zip(ps, items)]
        out[name] = res
    return out


def mean3(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    n = max(len(rows), 1)
    return (100 * sum(r[0] for r in rows) / n, 100 * sum(r[1] for r in rows) / n, 100 * sum(r[2] for r in rows) / n)


def bootstrap_diff(a: list[float], b: list[float], rounds: int = 2000, seed: int = 13) -> tuple[float, float, float]:
    """Paired bootstrap (Efron & Tibshirani 1993; Koehn, EMNLP 2004, for MT metrics): mean of
    a - b and its 95% interval, x100."""
    rng = random.Random(seed)
    n = len(a)
    diffs = [x - y for x, y in zip(a, b)]
    means = sorted(sum(diffs[rng.randrange(n)] for _ in range(n)) / n for _ in range(rounds))
    return 100 * sum(diffs) / n, 100 * means[int(0.025 * rounds)], 100 * means[int(0.975 * rounds)]


def print_table(title: str, res: dict[str, dict[str, list[tuple[float, float, float]]]]) -> dict[str, object]:
    n = len(next(iter(res.values()))["author"])
    multi = "multi" in next(iter(res.values()))
    print(f"\n{title}  ({n} papers; ROUGE F1 x100)")
    head = f"  {'method':<32}{'author R1':>10}{'R2':>7}{'RL':>7}"
    if multi:
        head += f"{'multi R1':>11}{'R2':>7}{'RL':>7}"
    print(head)
    summary: dict[str, object] = {"papers": n}
    for name, r in res.items():
        a = mean3(r["author"])
        line = f"  {name:<32}{a[0]:>10.2f}{a[1]:>7.2f}{a[2]:>7.2f}"
        entry = {"author": [round(x, 2) for x in a]}
        if multi:
            m = mean3(r["multi"])
            line += f"{m[0]:>11.2f}{m[1]:>7.2f}{m[2]:>7.2f}"
            entry["multi"] = [round(x, 2) for x in m]
        print(line)
        summary[name] = entry
    ours = res["extractive_tldr (ours)"]["author"]
    for base in ("lead-1 (first sentence)", "last sentence"):
        for k, key in enumerate(("R1", "RL")):
            idx = 0 if k == 0 else 2
            d, lo, hi = bootstrap_diff([x[idx] for x in ours], [x[idx] for x in res[base]["author"]])
            print(f"  ours - {base:<24} author {key}: {d:+.2f}  (95% paired bootstrap CI {lo:+.2f} .. {hi:+.2f})")
            summary[f"ours-{base}-{key}"] = [round(d, 2), round(lo, 2), round(hi, 2)]
    return summary


def boundaries(text: str, segments: list[str], punctuated_only: bool = False) -> set[int]:
    """End offsets (in ``text``) of every segment but the last; with ``punctuated_only``, only
    of segments ending in terminal punctuation (SciTLDR's own split also breaks at the line
    ends of the PDF text it came from, mid-sentence: those are not sentence boundaries)."""
    out, cur = set(), 0
    for seg in segments:
        seg = seg.strip()
        if not seg:
            continue
        pos = text.find(seg[:20], cur)
        if pos < 0:
            pos = cur
        cur = pos + len(seg)
        if not punctuated_only or seg.rstrip("\"'\u201d\u2019)]")[-1:] in ".!?\u2026":
            out.add(cur)
    out.discard(len(text.rstrip()))
    return out


def splitter_agreement(items: list[Item], repeat: int) -> dict[str, object]:
    """Boundary precision/recall/F1 against the data's own sentence split, and sentences/s."""
    splitters: dict[str, Callable[[str], list[str]]] = {"paperatlas.tldr.split_sentences": split_sentences}
    try:
        import pysbd

        seg = pysbd.Segmenter(language="en", clean=False)
        splitters["pysbd 0.3.4"] = seg.segment
    except ImportError:
        pass
    try:
        import sentencex

        splitters["sentencex"] = lambda t: list(sentencex.segment("en", t))
    except ImportError:
        pass
    print(f"\nsentence splitting vs SciTLDR-A test's own split ({len(items)} abstracts; its boundaries after . ! ? only)")
    print(f"  {'splitter':<34}{'P':>7}{'R':>7}{'F1':>7}{'abstracts/s':>13}")
    texts = [it.abstract for it in items]
    out: dict[str, object] = {}
    for name, fn in splitters.items():
        tp = fp = fn_ = 0
        for it in items:
            gold = boundaries(it.abstract, it.gold_sentences, punctuated_only=True)
            pred = boundaries(it.abstract, fn(it.abstract))
            tp += len(gold & pred)
            fp += len(pred - gold)
            fn_ += len(gold - pred)
        best = float("inf")
        for _ in range(1 if name != "paperatlas.tldr.split_sentences" else repeat):
            t0 = time.perf_counter()
            for t in texts:
                fn(t)
            best = min(best, time.perf_counter() - t0)
        p, r = tp / max(tp + fp, 1), tp / max(tp + fn_, 1)
        f1 = 2 * p * r / max(p + r, 1e-9)
        print(f"  {name:<34}{p:>7.3f}{r:>7.3f}{f1:>7.3f}{len(texts) / best:>13,.0f}")
        out[name] = {"p": round(p, 4), "r": round(r, 4), "f1": round(f1, 4), "abstracts_per_s": round(len(texts) / best)}
    return out


def speed(items: list[Item], repeat: int) -> dict[str, float]:
    """Abstracts per second of CPU time of this one process (``time.process_time``: on a shared
    machine wall time also counts other processes' turns), best of ``repeat``; wall time beside."""
    pairs = [(it.title, it.abstract) for it in items]
    print(f"\nspeed on one core ({len(pairs)} real abstracts, best of {repeat}; CPU time, wall time in brackets)")
    out = {}
    for name, fn in (("extractive_tldr (ours)", extractive_tldr), ("lead-1 (split + first)", lead1)):
        cpu = wall = float("inf")
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            for title, abstract in pairs:
                fn(title, abstract)
            cpu = min(cpu, time.process_time() - c0)
            wall = min(wall, time.perf_counter() - t0)
        rate = len(pairs) / cpu
        print(f"  {name:<32}{rate:>10,.0f} abstracts/s   ({1e6 * cpu / len(pairs):.0f} us each; wall {len(pairs) / wall:,.0f}/s)")
        out[name] = round(rate)
    print("  target: >= 2,000 abstracts/s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scitldr", type=Path, default=os.environ.get("SCITLDR_DIR"), help="allenai/scitldr clone or mirror")
    ap.add_argument("--paperlists", type=Path, default=os.environ.get("PAPERLISTS_DIR"),
                    help="papercopilot/paperlists clone or mirror")
    ap.add_argument("--repeat", type=int, default=3, help="timing repeats (best is kept)")
    args = ap.parse_args()

    test = load_scitldr(args.scitldr, "test")
    in_scitldr = {it.id for split in ("train", "dev", "test") for it in load_scitldr(args.scitldr, split)}
    copilot, excluded = load_paperlists(args.paperlists, in_scitldr)
    summary: dict[str, object] = {"rouge": "rouge-score, RougeScorer(['rouge1','rouge2','rougeL'], use_stemmer=True), F1 x100"}
    summary["scitldr_a_test"] = print_table("SciTLDR-A test", evaluate(test, multi=True))
    venues = sorted({it.id.split(":")[0] for it in copilot})
    summary["paper_copilot"] = print_table(
        f"Paper Copilot author TL;DRs ({', '.join(venues)}; {excluded} papers also in SciTLDR left out)",
        evaluate(copilot, multi=False),
    )
    summary["splitter"] = splitter_agreement(test, args.repeat)
    summary["speed"] = speed(test + copilot, args.repeat)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "quality.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {OUT / 'quality.json'}")


if __name__ == "__main__":
    main()
