"""One-line extractive TL;DR: the sentence of an abstract that best states its contribution.

Method: **Edmundson-style sentence scoring with learned weights.** Edmundson ("New Methods in
Automatic Extracting", JACM 16(2), 1969) scores each sentence by a weighted sum of cue-phrase,
title-word and location evidence; here the evidence is the one abstracts carry (contribution cues
such as "we propose" / "in this paper", as in Teufel & Moens' argumentative zoning, CL 28(4),
2002; overlap with the title; position in the abstract; degree centrality among the abstract's
sentences, after Erkan & Radev's LexRank, JAIR 22, 2004; length), and the weights are fitted as a
conditional logit (McFadden 1974: a softmax over the sentences of one abstract) to pick the
sentence closest in ROUGE to the author's TL;DR on the SciTLDR-A train split (Cachola et al.,
"TLDR: Extreme Summarization of Scientific Documents", Findings of EMNLP 2020). The weights are
the constants in ``WEIGHTS``; ``bench/tldr_train.py`` produced them, ``bench/tldr_quality.py``
measures the method beside the lead-sentence and last-sentence baselines: ROUGE-1/2/L F1 against
the author's TL;DR 37.1/17.7/30.5 on SciTLDR-A test (lead-1 25.9/9.3/20.1, last 20.6/4.2/15.2)
and 38.4/18.7/31.6 on 700 Paper Copilot author TL;DRs (lead-1 27.7/10.7/22.0).

Pure functions, no I/O. Every function accepts any string without raising and runs in about
linear time: abstracts are scraped text. The returned sentence is the abstract's own text
(LaTeX kept, whitespace collapsed), capped at ``MAX_CHARS`` at a word boundary outside maths.
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Sequence

MAX_CHARS = 300
ELLIPSIS = "\u2026"

# ---------------------------------------------------------------------------------------------
# Sentence splitting
# ---------------------------------------------------------------------------------------------

# Spans no sentence boundary may fall in: maths and LaTeX environments, URLs, e-mail addresses.
# Each alternative is bounded so an unclosed opener cannot make the scan quadratic; each regex
# runs only on text that holds its marker, so plain prose costs a few substring tests.
_MATH = re.compile(
    r"\$\$[^$]{1,2000}\$\$|\$[^$]{1,1000}\$|\\\((?:[^\\]|\\(?!\))){1,1000}\\\)"
    r"|\\\[(?:[^\\]|\\(?!\])){1,2000}\\\]|\\begin\{(?P<env>[A-Za-z]+\*?)\}[\s\S]{0,2000}?\\end\{(?P=env)\}"
)
_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]'}]")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,64}(?:\.[\w-]{1,64}){0,8}\.[A-Za-z]{2,}")
# A candidate end: terminal punctuation, closing quotes/brackets, then whitespace.
_CANDIDATE = re.compile(r"[.!?\u2026]+[\"'\u201d\u2019)\]]*\s+")
# "results.We propose": scraped abstracts lose the space after a full stop.
_GLUED = re.compile(r"[.!?](?=[A-Z][a-z])")
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_NEXT_WORD = re.compile(r"[\"'(\[\u201c\u2018]*([A-Za-z]+)")

# Abbreviations after which a full stop never ends a sentence in an abstract (lower-cased,
# without the final full stop).
_ABBREV_NEVER_FINAL = frozenset(
    """e.g eg i.e ie cf vs viz fig figs eq eqs secs tab tabs ref refs thm lem def prop alg appx ch
    chap nos pp dr prof mr mrs ms approx ca w.r.t wrt c.f a.k.a e.t.c st sect eqn eqns defn dept
    univ""".split()
)
# Abbreviations (and initials) that usually continue the sentence but may end one: split after
# them only when the next word is a usual sentence opener.
_ABBREV_MAYBE_FINAL = frozenset("al etc i.i.d iid resp inc ltd co jr sr sec no vol min max".split())
_OPENERS = frozenset(
    """we our this these those the in it to however moreover furthermore finally experiments
    experimental results extensive empirical specifically additionally further unlike as for on
    with by here then thus therefore consequently overall code source a an such recent existing
    despite although while when previous prior many most some several""".split()
)
_OPENING_MARKS = "([{\"'\u201c\u2018"


def _protected_spans(text: str) -> tuple[list[int], list[int]]:
    """Sorted, non-overlapping (start, end) of maths, URLs and e-mail addresses in ``text``."""
    spans: list[tuple[int, int]] = []
    if "$" in text or "\\" in text:
        spans += [m.span() for m in _MATH.finditer(text)]
    if "http" in text or "www." in text:
        spans += [m.span() for m in _URL.finditer(text)]
    if "@" in text:
        spans += [m.span() for m in _EMAIL.finditer(text)]
    spans.sort()
    starts: list[int] = []
    ends: list[int] = []
    for a, b in spans:
        if ends and a < ends[-1]:  # overlapping (a URL inside maths): merge
            ends[-1] = max(ends[-1], b)
            continue
        starts.append(a)
        ends.append(b)
    return starts, ends


def _inside(pos: int, starts: list[int], ends: list[int]) -> bool:
    if not starts:
        return False
    i = bisect.bisect_right(starts, pos) - 1
    return i >= 0 and pos < ends[i]


def _is_boundary(text: str, punct_start: int, punct: str, after: int) -> bool:
    """Does the punctuation at ``punct_start`` (followed by whitespace up to ``after``) end a
    sentence? Decided from the token before it and the character after the whitespace."""
    if after >= len(text):
        return True
    nxt = text[after]
    if nxt.islower():  # "e.g. the", "et al. show", "Fig. 2a. shows": never a new sentence
        return False
    if punct[0] in "!?\u2026" or punct.startswith(".."):
        return True
    # The token before the full stop; the window keeps a long text without spaces linear.
    lo = max(0, punct_start - 64)
    space = max(text.rfind(" ", lo, punct_start), text.rfind("\n", lo, punct_start), text.rfind("\t", lo, punct_start))
    prev = text[max(space + 1, lo) : punct_start].lstrip(_OPENING_MARKS)
    key = prev.lower()
    if key in _ABBREV_NEVER_FINAL:
        return False
    single_initial = len(prev) == 1 and prev.isupper()
    # "U.S", "Ph.D", "i.i.d": dotted letters; a decimal ("93.5. We") is not one.
    dotted = "." in prev and any(c.isalpha() for c in prev) and all(len(part) <= 2 for part in prev.split("."))
    if key in _ABBREV_MAYBE_FINAL or single_initial or dotted:
        word = _NEXT_WORD.match(text, after)
        return word is not None and word.group(1).lower() in _OPENERS
    if nxt.isdigit() and prev[-1:].isdigit():  # "1. 2" is a list or a version, not two sentences
        return False
    return True


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` in order, whitespace collapsed, LaTeX and URLs kept whole.

    Rule-based: a full stop ends a sentence unless it follows a known abbreviation ("e.g.",
    "Fig.", "et al." before a word that does not open sentences), an initial or dotted letters,
    or is followed by a lower-case word; a blank line always ends one; maths (``$...$``,
    ``\\(...\\)``, environments), URLs and e-mail addresses are never split; "results.We" is
    split. Written here rather than taken from a library: on SciTLDR-A test's own sentence
    boundaries it agrees best (F1 0.995, against 0.992 for sentencex and 0.986 for pySBD,
    ``bench/tldr_quality.py``), and both libraries split inside ``$...$`` and keep a URL's final
    full stop with the next sentence.
    """
    if not text or not text.strip():
        return []
    starts, ends = _protected_spans(text)
    cuts: list[int] = []
    if "\n" in text:
        cuts += [m.start() for m in _PARAGRAPH.finditer(text)]
    for m in _CANDIDATE.finditer(text):
        punct_start = m.start()
        if _inside(punct_start, starts, ends):
            continue
        punct = m.group(0).rstrip()
        if _is_boundary(text, punct_start, punct, m.end()):
            cuts.append(punct_start + len(punct))
    for m in _GLUED.finditer(text):
        before = text[max(0, m.start() - 2) : m.start()]
        if len(before) == 2 and all(c.islower() or c in ")]" for c in before) and not _inside(m.start(), starts, ends):
            cuts.append(m.end())
    cuts.sort()
    out: list[str] = []
    prev = 0
    for cut in cuts + [len(text)]:
        if cut <= prev:
            continue
        piece = " ".join(text[prev:cut].split())
        if piece:
            out.append(piece)
        prev = cut
    return out


# ---------------------------------------------------------------------------------------------
# Length cap
# ---------------------------------------------------------------------------------------------


def cap_length(sentence: str, max_chars: int = MAX_CHARS) -> str:
    """``sentence`` if it is at most ``max_chars`` long, else cut at the last space before the
    limit that is not inside maths or a URL, with trailing ",;:" dropped and "…" added.

    When there is no such space before the limit (a formula spans it), the cut goes before the
    formula, or, if the formula opens the sentence, at the first safe space after it when that
    is within twice the limit: maths is not cut in half. Only a sentence with no usable space
    at all (one unbroken token) is cut mid-token.
    """
    if len(sentence) <= max_chars:
        return sentence
    starts, ends = _protected_spans(sentence)
    limit = max_chars - 1  # room for the ellipsis
    cut = -1
    pos = sentence.rfind(" ", 0, limit + 1)
    while pos > 0:
        if not _inside(pos, starts, ends):
            cut = pos
            break
        pos = sentence.rfind(" ", 0, pos)
    if cut <= 0:
        pos = sentence.find(" ", limit)
        while pos != -1 and _inside(pos, starts, ends):
            pos = sentence.find(" ", pos + 1)
        if pos != -1 and pos <= 2 * max_chars:
            cut = pos
        else:
            i = bisect.bisect_right(starts, limit) - 1
            inside = i >= 0 and limit < ends[i]
            cut = starts[i] if inside and starts[i] > 0 else limit
    head = sentence[:cut].rstrip(" ,;:\u2013\u2014-")
    return (head or sentence[:limit]) + ELLIPSIS


# ---------------------------------------------------------------------------------------------
# Sentence features
# ---------------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_STOP = frozenset(
    """a an the of in on for to and or but with by from as at is are was were be been being this
    that these those it its we our us their they them which who whom whose what when where how
    than then there here such can could may might will would shall should do does did done not
    no nor so very also into over under about between through both each more most other some any
    all only own same few via using use used based new novel approach method methods paper work
    propose proposed show shows present presents results""".split()
)
# Cue phrases (Edmundson 1969; Teufel & Moens 2002), matched on the word list of a sentence.
# Contribution: "we [also|first|then|here] <verb>" with one of these verb stems, "this paper",
# "our work", "in this study", "we call", "dubbed", "termed", "our contribution".
_CONTRIB_VERBS = (
    "propos", "present", "introduc", "develop", "design", "describ", "formulat", "devis", "put",
    "offer", "stud", "investigat", "explor", "analy", "consider", "address", "tackl", "focus",
    "establish", "provid", "deriv", "prov", "extend", "leverag", "cast", "fram", "reformulat",
    "revisit", "examin", "seek", "aim", "build", "construct", "learn", "train",
)
_ADVERBS = frozenset("first also then further here now instead therefore thus".split())
_DOCUMENT = frozenset("paper work article study note contribution contributions letter".split())
_NAMING = frozenset("dubbed termed called coined".split())
# Results: "we|results|experiments ... show", "outperform", "state-of-the-art", "achieve", "improve".
_RESULT_SUBJECTS = frozenset("we results experiments evaluation evaluations analysis analyses".split())
_RESULT_VERBS = ("show", "demonstrat", "find", "found", "observ", "confirm", "verif", "validat", "indicat",
                 "reveal", "suggest", "prove")
_RESULT_WORDS = ("outperform", "achiev", "improv", "significant", "state-of-the-art", "surpass")
# Background: what the field does, before the paper's own move.
_BACKGROUND_WORDS = frozenset(
    """recent recently however although despite existing traditional conventional previous prior
    remain remains widely popular commonly typically often suffer suffers limited lack lacks""".split()
)
_BACKGROUND_PREFIXES = ("challeng", "recent", "suffer")
_BACKGROUND_BIGRAMS = frozenset({("has", "been"), ("have", "been"), ("is", "known"), ("are", "known")})
# Housekeeping: where the code is, not what the paper does.
_META_OBJECTS = frozenset("code implementation implementations software dataset datasets data models repository".split())
_META_VERBS = frozenset("available released release".split())

FEATURES: tuple[str, ...] = (
    "first", "second", "last", "position", "cue_contrib", "first_contrib", "cue_result",
    "cue_background", "cue_meta", "we", "title_overlap", "title_name", "centrality", "log_words",
    "short",
)


def _words(text: str) -> list[str]:
    """Lower-cased words of ``text`` with maths, URLs and e-mail addresses taken out."""
    lower = text.lower()
    starts, ends = _protected_spans(lower)
    if starts:
        lower = "".join(lower[a:b] for a, b in zip([0, *ends], [*starts, len(lower)]))
    return _WORD.findall(lower)


def _content(words: list[str]) -> set[str]:
    """Content words: stop words dropped, plural "s" stripped (the S-stemmer: Harman, "How
    effective is suffixing?", JASIS 42(1), 1991)."""
    out = set()
    for w in words:
        if w in _STOP or len(w) < 2:
            continue
        if len(w) > 3 and w[-1] == "s" and not w.endswith(("ss", "us", "is")):
            w = w[:-3] + "y" if w.endswith("ies") and len(w) > 4 else w[:-1]
        out.add(w)
    return out


def _cue_contrib(words: list[str]) -> bool:
    for i, w in enumerate(words):
        if w == "we":
            j = i + 1
            while j < len(words) and words[j] in _ADVERBS:
                j += 1
            if j < len(words) and words[j].startswith(_CONTRIB_VERBS):
                return True
            if j < len(words) and words[j] == "call":
                return True
        elif w in _DOCUMENT and i > 0 and words[i - 1] in ("this", "our", "present"):
            return True
        elif w in _NAMING:
            return True
    return False


def _cue_result(words: list[str]) -> bool:
    for i, w in enumerate(words):
        if w.startswith(_RESULT_WORDS):
            return True
        if w in _RESULT_SUBJECTS:
            j = i + 1
            if j < len(words) and words[j] == "also":
                j += 1
            if j < len(words) and words[j].startswith(_RESULT_VERBS):
                return True
    return False


def _cue_background(words: list[str]) -> bool:
    for i, w in enumerate(words):
        if w in _BACKGROUND_WORDS or w.startswith(_BACKGROUND_PREFIXES):
            return True
        if i and (words[i - 1], w) in _BACKGROUND_BIGRAMS:
            return True
    return False


def _cue_meta(sentence: str, wordset: set[str]) -> bool:
    if "http" in sentence or "github" in wordset:
        return True
    return bool(wordset & _META_VERBS) and bool(wordset & _META_OBJECTS)


def _title_name(title: str) -> str | None:
    """The method name a title leads with ("FearNet: Brain-Inspired ..." -> "fearnet")."""
    head, sep, _ = title.partition(":")
    if not sep:
        return None
    head = head.strip()
    if 0 < len(head) <= 30 and len(head.split()) <= 2:
        return head.lower()
    return None


def sentence_features(title: str, sentences: Sequence[str]) -> list[list[float]]:
    """One row of ``FEATURES`` per sentence (see the module docstring for their sources)."""
    n = len(sentences)
    words = [_words(s) for s in sentences]
    bags = [_content(w) for w in words]
    title_bag = _content(_words(title))
    name = _title_name(title)
    contrib = [_cue_contrib(w) for w in words]
    first_contrib = contrib.index(True) if True in contrib else -1
    # Degree centrality: the mean cosine of a sentence's binary bag of words to the other
    # sentences' (LexRank's continuous degree, Erkan & Radev 2004, without the power iteration:
    # on 5-10 sentences the two rank alike). Summed per word, sum_j |A & B_j| / sqrt(|A| |B_j|)
    # = sum_{w in A} mass[w] / sqrt(|A|) with mass[w] = sum_{j: w in B_j} 1 / sqrt(|B_j|): linear
    # in the words, where comparing every pair of sentences would be quadratic in them.
    mass: dict[str, float] = {}
    for bag in bags:
        if bag:
            inv = 1.0 / math.sqrt(len(bag))
            for w in bag:
                mass[w] = mass.get(w, 0.0) + inv
    rows = []
    for i, s in enumerate(sentences):
        bag = bags[i]
        wordset = set(words[i])
        centrality = 0.0
        if n > 1 and bag:
            root = math.sqrt(len(bag))
            inv = 1.0 / root
            # Each word's mass includes this sentence's own 1/sqrt(|A|): take it out (a word no
            # other sentence has gives exactly 0). fsum is exactly rounded whatever the set's
            # order (which varies with PYTHONHASHSEED): the same scores in every process.
            centrality = math.fsum(mass[w] - inv for w in bag) / root / (n - 1)
        n_words = len(s.split())
        rows.append([
            1.0 if i == 0 else 0.0,
            1.0 if i == 1 else 0.0,
            1.0 if i == n - 1 and n > 1 else 0.0,
            i / (n - 1) if n > 1 else 0.0,
            1.0 if contrib[i] else 0.0,
            1.0 if i == first_contrib else 0.0,
            1.0 if _cue_result(words[i]) else 0.0,
            1.0 if _cue_background(words[i]) else 0.0,
            1.0 if _cue_meta(s, wordset) else 0.0,
            1.0 if "we" in wordset or "our" in wordset else 0.0,
            len(bag & title_bag) / len(title_bag) if title_bag else 0.0,
            1.0 if name and name in s.lower() else 0.0,
            centrality,
            math.log1p(n_words),
            1.0 if n_words < 6 else 0.0,
        ])
    return rows


# Fitted by bench/tldr_train.py on SciTLDR-A train (see the module docstring); do not edit by hand.
WEIGHTS: dict[str, float] = {
    "first": 0.0905,
    "second": -0.1453,
    "last": -0.0998,
    "position": -0.2802,
    "cue_contrib": 0.4962,
    "first_contrib": 0.3035,
    "cue_result": 0.1456,
    "cue_background": -0.3657,
    "cue_meta": -0.6420,
    "we": 0.5636,
    "title_overlap": 2.1157,
    "title_name": -0.1169,
    "centrality": 3.2784,
    "log_words": -0.2945,
    "short": -0.9615,
}


def score_sentences(title: str, sentences: Sequence[str], weights: dict[str, float] | None = None) -> list[float]:
    """Each sentence's score: the weighted sum of its features (higher = better TL;DR)."""
    w = [(weights or WEIGHTS)[name] for name in FEATURES]
    return [sum(a * b for a, b in zip(w, row)) for row in sentence_features(title, sentences)]


def extractive_tldr(title: str, abstract: str, weights: dict[str, float] | None = None) -> str | None:
    """The abstract's sentence that best states the paper's contribution, capped at
    ``MAX_CHARS``; None for an empty abstract. Ties go to the earlier sentence."""
    sentences = split_sentences(abstract or "")
    if not sentences:
        return None
    if len(sentences) == 1:
        return cap_length(sentences[0])
    scores = score_sentences(title or "", sentences, weights)
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    return cap_length(sentences[best])
