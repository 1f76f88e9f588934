"""Cluster labels from class-based tf-idf keyphrases (c-TF-IDF), distinct across clusters.

c-TF-IDF is BERTopic's (Grootendorst 2022, "BERTopic: Neural topic modeling with a class-based
TF-IDF procedure", arXiv:2203.05794; ``bertopic/vectorizers/_ctfidf.py``; embedding-atlas labels
its clusters the same way): the papers of a cluster are joined into one document, and a term's
weight in cluster ``c`` is

    W[c, t] = tf[c, t] / sum_t' tf[c, t']  *  log(1 + A / f[t])

where ``f[t]`` is the term's frequency over all clusters and ``A`` the average number of term
occurrences per cluster. Two deliberate differences from BERTopic's code:
- ``tf[c, t]`` counts *papers* of the cluster that contain the term (not occurrences), so one
  abstract repeating a word cannot label a cluster; ``f[t]`` is then the number of papers;
- ``A`` stays a float (BERTopic truncates it to an int, which is 0 for tiny sets and zeroes
  every weight).

Terms are unigrams and bigrams of lower-cased words; stop words (English plus words every
abstract uses: "propose", "method", ...) are removed and a bigram never spans a stop word or
punctuation, so "learning of representations" gives no "learning representations".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from scipy import sparse

# English function words (the usual short list) and words frequent in any scientific abstract,
# which would otherwise label whichever cluster happens to use them most.
STOP_WORDS = frozenset(
    """
    a about above across after again against all almost alone along already also although always am among an and another
    any anyone anything are around as at be became because become becomes been before being below between beyond both but by
    can cannot could did do does doing done down due during each either else enough etc even ever every few for from further
    had has have having he her here hers herself him himself his how however i if in into is it its itself just least less
    many may me might more most much must my myself neither never nevertheless no nor not now of off often on once one only
    onto or other others otherwise our ours ourselves out over own per perhaps rather same several she should since so some
    still such than that the their theirs them themselves then there thereby therefore these they this those though through
    throughout thus to together too toward towards under until up upon us very via was we well were what whatever when where
    whereas whether which while who whom whose why will with within without would yet you your yours yourself
    paper papers propose proposed proposes proposing present presents presented introduce introduces introduced approach
    approaches method methods methodology result results show shows shown demonstrate demonstrates demonstrated achieve
    achieves achieved novel new existing previous prior recent recently work works based using use used uses study studies
    problem problems task tasks performance state art state-of-the-art outperform outperforms significantly significant
    experiment experiments experimental empirical empirically extensive evaluate evaluation framework frameworks able
    improve improves improved improvement improvements provide provides various different order specifically particular
    including include includes given make makes made first second two three way ways better best large small high low
    key important effective effectively efficient efficiently simple general able furthermore moreover addition additionally
    consider considered compared comparison code available https http www github com et al e g i e
    behind treat treats certain despite commonly cases case capable relevant past depends depend assume assumes understood
    increases increase expressed explore explores investigate investigates aim aims allows allow enables enable leads lead
    typically usually widely known little hence like remains remain
    """.split()
)

MIN_SHARE = 0.1
_LATEX = re.compile(r"\\[a-zA-Z]+")
_WORD = re.compile(r"[a-z][a-z0-9]*(?:[-'][a-z0-9]+)*")
# Phrase breaks: sentence and clause punctuation, brackets. A bigram never crosses one.
_BREAK = re.compile(r"[.,;:!?()\[\]{}\"]|\s-\s|\$")


def terms(text: str) -> list[str]:
    """The distinct unigrams and bigrams of ``text`` in first-seen order (see module doc)."""
    seen: dict[str, None] = {}
    for segment in _BREAK.split(_LATEX.sub(" ", text).lower()):
        previous: str | None = None
        for match in _WORD.finditer(segment):
            word = match.group().strip("'")
            if word.endswith("'s"):
                word = word[:-2]
            if word in STOP_WORDS or len(word) < 2:
                previous = None
                continue
            seen.setdefault(word, None)
            if previous is not None:
                seen.setdefault(f"{previous} {word}", None)
            previous = word
    return list(seen)


def ctfidf(counts: np.ndarray | sparse.csr_matrix, sizes: np.ndarray | None = None) -> sparse.csr_matrix:
    """c-TF-IDF weights (clusters x terms) of a count matrix (clusters x terms), sparse; see the
    module doc. ``sizes``: papers per cluster; when given, ``A`` is their mean (the unit of ``f``
    when counts are papers), else the mean number of counts per cluster (BERTopic's ``A``).
    A row without any count gets weight 0, and so does a term with no count anywhere."""
    matrix = sparse.csr_matrix(counts, dtype=np.float64)
    totals = np.asarray(matrix.sum(axis=1)).ravel()
    frequency = np.asarray(matrix.sum(axis=0)).ravel()
    scale = totals if sizes is None else np.asarray(sizes, dtype=np.float64)
    average = float(scale.mean()) if matrix.shape[0] else 0.0
    idf = np.log1p(np.divide(average, frequency, out=np.zeros_like(frequency), where=frequency > 0))
    inverse_totals = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
    weights: sparse.csr_matrix = sparse.csr_matrix(sparse.diags(inverse_totals) @ matrix @ sparse.diags(idf))
    return weights


def _words(term: str) -> set[str]:
    # "networks" and "network", and the parts of "bert-based", count as the words of a term when
    # deciding whether two terms overlap
    parts = term.replace("-", " ").split()
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in parts}


def keyphrases(weights: sparse.csr_matrix, vocabulary: Sequence[str], counts: sparse.csr_matrix | None = None,
               sizes: Sequence[int] | None = None, min_share: float = MIN_SHARE, pool: int = 40) -> list[list[str]]:
    """Per cluster (row), its best terms by weight (ties: the term first in ``vocabulary``), at
    most ``pool`` of them, skipping a term that shares a word with a better one already taken
    ("graph neural" after "graph"), so a label reads as several ideas, not one idea three times.

    With ``counts`` (papers of the cluster having the term) and ``sizes`` (papers per cluster),
    terms found in fewer than ``max(2, min_share * size)`` of the cluster's papers come only
    after the others: a rare word two papers share would otherwise name a small cluster."""
    weights = sparse.csr_matrix(weights)
    support = sparse.csr_matrix(counts) if counts is not None else None
    out: list[list[str]] = []
    for row in range(weights.shape[0]):
        start, end = weights.indptr[row], weights.indptr[row + 1]
        columns, values = weights.indices[start:end], weights.data[start:end]
        common = np.ones(len(columns), dtype=bool)
        if support is not None and sizes is not None:
            needed = max(2.0, min_share * sizes[row])
            have = np.asarray(support[row, columns].todense()).ravel() if len(columns) else np.zeros(0)
            common = have >= min(needed, float(sizes[row]))
        order = np.lexsort((columns, -values, ~common))  # common terms first, then weight desc, then vocabulary order
        chosen: list[str] = []
        used: set[str] = set()
        for index in order:
            if len(chosen) >= pool:
                break
            if values[index] <= 0:
                continue
            term = vocabulary[columns[index]]
            words = _words(term)
            if words & used:
                continue
            chosen.append(term)
            used |= words
        out.append(chosen)
    return out


def distinct_labels(phrases: Sequence[Sequence[str]], taken: set[str], k: int = 3, fallback: str = "topic") -> list[str]:
    """One label per cluster (in the given order, so earlier clusters keep their best label):
    its first ``k`` phrases joined by ", ", or, when that label is already ``taken``, the first
    ``k - 1`` with the next spare phrase that makes it unique; a cluster without phrases, or
    without a unique combination, is ``"<fallback> <n>"``. Every label returned is added to ``taken``."""
    labels: list[str] = []
    for number, options in enumerate(phrases, start=1):
        options = list(options)
        label = ""
        if options:
            head = options[: k - 1] if len(options) >= k else options[:-1]
            for spare in options[len(head):]:
                candidate = ", ".join([*head, spare])
                if candidate not in taken:
                    label = candidate
                    break
        suffix = number
        while not label or label in taken:
            label = f"{fallback} {suffix}"
            suffix += len(phrases)
        taken.add(label)
        labels.append(label)
    return labels
