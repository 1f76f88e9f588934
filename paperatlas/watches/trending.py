"""Trending: which papers' counters (Hugging Face upvotes, papers.cool PDF opens, ...) rise
unusually fast, judged against the other papers of the same counter.

``rises``: per (paper, counter), the latest value minus a baseline: the last value observed
before the window, else the first observed inside it (a paper needs two observations to rise;
a source synced for the first time shows no rises).

``trending``: a rise is unusual when its *modified z-score* is at least 3.5 (Iglewicz & Hoaglin,
"How to Detect and Handle Outliers", ASQC Basic References in Quality Control 16, 1993, §3.2:
M = 0.6745 (x − median) / MAD, outliers at M > 3.5). Counters rise in bursts and most papers
do not rise at all, so the MAD is often 0; then the mean absolute deviation stands in with
its consistency constant, M = (x − median) / (1.253314 · MeanAD) (the same fallback as IBM SPSS
Modeler's and Iglewicz & Hoaglin's discussion of MeanAD). Each counter is judged on its own
distribution, so 40 upvotes and 40 PDF opens mean different things. A rise must also be at
least ``min_rise``.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

Z_THRESHOLD = 3.5  # Iglewicz & Hoaglin's cut-off for an outlier
MIN_RISE = 5  # a rise of a few clicks is noise whatever the distribution says
MAD_SCALE = 0.6745  # the 0.75 quantile of the standard normal: MAD/0.6745 estimates sigma
MEANAD_SCALE = 1.253314  # sqrt(pi/2): MeanAD * 1.253314 estimates sigma


@dataclass(frozen=True)
class Rise:
    paper_id: str
    counter: str
    value: int  # the latest observed
    rise: int
    score: float = 0.0  # the modified z-score among the counter's rises


def rises(series: Iterable[tuple[str, str, int, str]], window_start: str) -> list[Rise]:
    """Rises over the window from ``(paper, counter, value, observed_at)`` rows (ISO times that
    sort as text). Rows may come in any order."""
    by_key: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for paper, counter, value, at in series:
        by_key.setdefault((paper, counter), []).append((at, int(value)))
    out = []
    for (paper, counter), points in sorted(by_key.items()):
        points.sort()
        before = [v for at, v in points if at < window_start]
        inside = [v for at, v in points if at >= window_start]
        if not inside:
            continue
        baseline = before[-1] if before else inside[0]
        out.append(Rise(paper, counter, inside[-1], inside[-1] - baseline))
    return out


def modified_z(values: list[float]) -> list[float]:
    """Iglewicz & Hoaglin's modified z-score of each value (MeanAD when the MAD is 0; all 0 when
    every value is the same)."""
    if not values:
        return []
    med = statistics.median(values)
    deviations = [abs(v - med) for v in values]
    mad = statistics.median(deviations)
    if mad > 0:
        return [MAD_SCALE * (v - med) / mad for v in values]
    mean_ad = statistics.fmean(deviations)
    if mean_ad == 0:
        return [0.0 for _ in values]
    return [(v - med) / (MEANAD_SCALE * mean_ad) for v in values]


def scored(found: list[Rise], population: dict[str, int] | None = None) -> list[Rise]:
    """Each rise with its modified z-score among the rises of the same counter. ``population``:
    how many papers carry each counter at all; those without an observation in the window did
    not rise (0), and count in the distribution (a quiet catalog makes a jump stand out)."""
    by_counter: dict[str, list[Rise]] = {}
    for r in found:
        by_counter.setdefault(r.counter, []).append(r)
    out = []
    for counter, group in by_counter.items():
        quiet = max(0, (population or {}).get(counter, 0) - len(group))
        scores = modified_z([float(g.rise) for g in group] + [0.0] * quiet)
        for r, z in zip(group, scores):
            out.append(Rise(r.paper_id, r.counter, r.value, r.rise, z))
    return out


def trending(found: list[Rise], population: dict[str, int] | None = None, z: float = Z_THRESHOLD,
             min_rise: int = MIN_RISE) -> list[Rise]:
    """The unusual rises, best first (one per paper: its highest-scoring counter)."""
    best: dict[str, Rise] = {}
    for r in scored(found, population):
        if r.rise >= min_rise and r.score >= z and (r.paper_id not in best or r.score > best[r.paper_id].score):
            best[r.paper_id] = r
    return sorted(best.values(), key=lambda r: (-r.score, -r.rise, r.paper_id))


def rising(found: list[Rise], population: dict[str, int] | None = None) -> list[Rise]:
    """Every paper that rose, highest score first (the "rising this week" sort), one per paper."""
    best: dict[str, Rise] = {}
    for r in scored(found, population):
        if r.rise > 0 and (r.paper_id not in best or r.score > best[r.paper_id].score):
            best[r.paper_id] = r
    return sorted(best.values(), key=lambda r: (-r.score, -r.rise, r.paper_id))
