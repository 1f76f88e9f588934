"""Fit the weights of paperatlas.tldr (its ``WEIGHTS``) on SciTLDR-A train, choose by dev.

    python bench/tldr_train.py --scitldr PATH [--write]

The abstracts are split by ``paperatlas.tldr.split_sentences`` (what the product does), each
sentence gets ``sentence_features`` and its ROUGE F1 (mean of ROUGE-1/2/L, Google's rouge-score,
Porter stemming) against the TL;DR. The model is a conditional logit: P(sentence i | abstract) =
softmax_i(w . x_i), trained on the oracle sentence (the best by that mean ROUGE) by minimising the
negative log-likelihood plus an L2 penalty with L-BFGS (scipy, bench only). The L2 strength is
chosen on dev by mean ROUGE of the chosen sentence against the author's TL;DR. The test splits
are never read here. ``--write`` replaces the ``WEIGHTS`` block in paperatlas/tldr.py; without it
the block is printed.

Deterministic: no sampling; L-BFGS from zeros.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from rouge_score import rouge_scorer  # noqa: E402
from tldr_data import Item, load_scitldr  # noqa: E402

from paperatlas import tldr  # noqa: E402

SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)


def mean_rouge(pred: str, ref: str) -> float:
    s = SCORER.score(ref, pred)
    return (s["rouge1"].fmeasure + s["rouge2"].fmeasure + s["rougeL"].fmeasure) / 3


def prepare(items: list[Item]) -> list[tuple[np.ndarray, np.ndarray, list[str]]]:
    """Per abstract: feature matrix, per-sentence mean ROUGE vs the author's TL;DR, sentences."""
    out = []
    for it in items:
        sents = tldr.split_sentences(it.abstract)
        if len(sents) < 2:
            continue
        X = np.asarray(tldr.sentence_features(it.title, sents), dtype=float)
        y = np.asarray([mean_rouge(s, it.targets[0]) for s in sents])
        out.append((X, y, sents))
    return out


def fit(data: list[tuple[np.ndarray, np.ndarray, list[str]]], l2: float) -> np.ndarray:
    d = data[0][0].shape[1]
    Xs = [X for X, _, _ in data]
    labels = [int(np.argmax(y)) for _, y, _ in data]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * l2 * float(w @ w), l2 * w.copy()
        for X, k in zip(Xs, labels):
            z = X @ w
            z -= z.max()
            p = np.exp(z)
            p /= p.sum()
            total -= float(np.log(p[k] + 1e-300))
            grad += X.T @ p - X[k]
        return total / len(Xs), grad / len(Xs)

    res = minimize(loss, np.zeros(d), jac=True, method="L-BFGS-B", options={"maxiter": 500})
    return np.asarray(res.x)


def pick_score(data: list[tuple[np.ndarray, np.ndarray, list[str]]], choose: list[int]) -> float:
    return float(np.mean([y[k] for (_, y, _), k in zip(data, choose)]))


def heuristics(data: list[tuple[np.ndarray, np.ndarray, list[str]]]) -> dict[str, list[int]]:
    f = {name: i for i, name in enumerate(tldr.FEATURES)}
    out: dict[str, list[int]] = {"lead-1": [], "last": [], "first contribution cue": [], "title overlap": [],
                                 "centrality": [], "oracle": []}
    for X, y, _ in data:
        n = len(y)
        out["lead-1"].append(0)
        out["last"].append(n - 1)
        cue = np.flatnonzero(X[:, f["first_contrib"]])
        out["first contribution cue"].append(int(cue[0]) if len(cue) else 0)
        out["title overlap"].append(int(np.argmax(X[:, f["title_overlap"]])))
        out["centrality"].append(int(np.argmax(X[:, f["centrality"]])))
        out["oracle"].append(int(np.argmax(y)))
    return out


def weights_block(w: np.ndarray) -> str:
    body = "".join(f'    "{name}": {v:.4f},\n' for name, v in zip(tldr.FEATURES, w))
    return "WEIGHTS: dict[str, float] = {\n" + body + "}\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scitldr", type=Path, default=os.environ.get("SCITLDR_DIR"))
    ap.add_argument("--write", action="store_true", help="write the chosen WEIGHTS into paperatlas/tldr.py")
    args = ap.parse_args()
    train = prepare(load_scitldr(args.scitldr, "train"))
    dev = prepare(load_scitldr(args.scitldr, "dev"))
    print(f"train {len(train)} abstracts, dev {len(dev)} (mean ROUGE-1/2/L F1 of the chosen sentence vs the author TL;DR)")
    for name, choose in heuristics(dev).items():
        print(f"  dev  {name:<24} {pick_score(dev, choose):.4f}")
    best: tuple[float, float, np.ndarray] | None = None
    for l2 in (0.0, 0.01, 0.1, 0.3, 1.0, 3.0, 10.0):
        w = fit(train, l2)
        choose = [int(np.argmax(X @ w)) for X, _, _ in dev]
        score = pick_score(dev, choose)
        on_train = pick_score(train, [int(np.argmax(X @ w)) for X, _, _ in train])
        print(f"  dev  conditional logit l2={l2:<6} {score:.4f}  (train {on_train:.4f})")
        if best is None or score > best[0] + 1e-9:
            best = (score, l2, w)
    assert best is not None
    print(f"chosen l2={best[1]}")
    block = weights_block(best[2])
    print(block)
    if args.write:
        path = HERE.parent / "paperatlas" / "tldr.py"
        text = path.read_text(encoding="utf-8")
        new, n = re.subn(r"WEIGHTS: dict\[str, float\] = \{.*?\n\}\n", lambda _: block, text, count=1, flags=re.S)
        if n != 1:
            new, n = re.subn(r"WEIGHTS: dict\[str, float\] = \{[^\n]*\}\n", lambda _: block, text, count=1)
        if n != 1:
            raise SystemExit(f"{path}: no WEIGHTS block to replace")
        path.write_text(new, encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
