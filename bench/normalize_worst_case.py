"""Worst-case inputs for the normalisers: each 1 MB adversarial string must stay fast (linear).

    python bench/normalize_worst_case.py

Baseline printed beside each: the time to casefold the same string (a linear C pass).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from paperatlas import normalize as n  # noqa: E402

CASES = {
    "prose": "Deep learning with $\\ell_1$ \\emph{sparsity}. " * 25_000,
    "open braces": "{" * 1_000_000,
    "frac": "\\frac{" * 170_000,
    "cite options": "\\cite[" * 170_000,
    "urls": "\\url{{" * 170_000,
    "openreview": "openreview.net/forum?x=1&" * 40_000,
    "doi parens": "10.1000/" + "(" * 1_000_000,
    "github": "github.com/" * 100_000,
    "anon": "code " * 200_000 + "anonym",
    "and": " and " * 200_000,
    "names": "Kumar Pratik " * 100_000,
}
FUNCS = {
    "latex_to_text": n.latex_to_text,
    "title_key": n.title_key,
    "extract_ids": n.extract_ids,
    "extract_code_urls": n.extract_code_urls,
    "is_code_anonymized": n.is_code_anonymized,
    "split_authors": n.split_authors,
    "repair_doubled_name": n.repair_doubled_name,
}


def main() -> None:
    print(f"{'input':14} {'casefold ms':>11} " + " ".join(f"{f[:12]:>12}" for f in FUNCS))
    worst = 0.0
    for name, text in CASES.items():
        t0 = time.perf_counter()
        text.casefold()
        base = (time.perf_counter() - t0) * 1000
        row = []
        for fn in FUNCS.values():
            t0 = time.perf_counter()
            fn(text)
            ms = (time.perf_counter() - t0) * 1000
            worst = max(worst, ms)
            row.append(f"{ms:12.0f}")
        print(f"{name:14} {base:11.1f} " + " ".join(row))
    print(f"worst: {worst:.0f} ms per MB (budget 5,000)")


if __name__ == "__main__":
    main()
