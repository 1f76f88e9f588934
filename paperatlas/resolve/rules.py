"""Pure rules for merging records of the same paper: blocking keys, signals, the decision, and
field resolution.

No I/O here. The catalog finds candidate papers through ``keys`` (exact) and
``blocking.block_keys`` (fuzzy), asks ``judge`` for a ``Verdict`` (merge, review or distinct, with a score and a reason),
and when a paper gains or changes a record asks ``resolve`` which value of each field to show.

Blocking (which pairs are compared at all; each key is looked up in an index, so the number of
pairs grows with the number of real look-alikes, not with the square of the catalog):
- exact: strong ids (``openreview:``, ``arxiv:``, ``doi:``), the title key (``t:``) and the first
  60 words of the abstract (``a:``);
- fuzzy (``blocking.py``): the author surnames with venue and year (a title rewritten between
  submission and camera-ready), a PDF URL, and MinHash/LSH bands over word 3-shingles of the
  abstract (an abstract-only copy whose abstract was edited or cut differently).

Signals (each a small function below): shared or conflicting ids, title similarity, abstract
similarity, author overlap (case, initials and name order do not matter), year gap and venue.

Rules (the why is next to each, in ``judge``):
- *different* ids of the same kind keep papers apart, whatever the titles say; a shared id merges;
- equal abstract keys merge (an abstract-only copy of a page finds its paper);
- equal title keys merge unless the evidence disagrees (abstracts not alike, years apart,
  different venues, no author in common);
- near-equal titles, near-equal abstracts, or the same authors at the same venue and year with a
  similar title merge; weaker agreement goes to review; the rest stays distinct;
- a paper never takes two records from the same file (a listing names each paper once), and no
  automatic merge grows a paper beyond ``MAX_GROUP`` records (it goes to review instead).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from ..models import Record
from ..normalize import abstract_key, title_key
from . import venues

Decision = Literal["merge", "review", "distinct"]

STRONG_IDS = ("openreview", "arxiv", "doi")  # different values of one kind: different papers
# A PDF URL names one paper's file, but one paper has many (publisher, mirror, arXiv): the same
# URL is evidence for, a different one is no evidence against.
SHARED_ONLY_IDS = ("pdf",)
MIN_ABSTRACT_WORDS = 25
ABSTRACT_WINDOW = 700  # characters of (whitespace-clean) abstract that the key is made from
ABSTRACT_SIMILARITY = 0.6  # below this (normalised Indel), two abstracts are different texts
ABSTRACT_SAME = 0.8  # at or above this, two abstracts are versions of one text
TITLE_SAME = 0.9  # token-sort similarity of title keys: typos, punctuation, a word
TITLE_RELATED = 0.5  # a rewritten title that still shares its words (with the same authors)
MAX_GROUP = 8  # an automatic merge never grows a paper beyond this many records
MAX_TEAM = 30  # a same-author-list rule means little for collaborations larger than this

# Titles that name no paper: placeholders that listings show for withdrawn or blank entries.
PLACEHOLDER_TITLES = frozenset(
    {"withdraw", "withdrawn", "blank", "untitled", "untitled paper", "tba", "tbd", "none", "null",
     "n a", "na", "title", "paper", "no title", "anonymous", "removed", "deleted", "test"}
)
STOPWORDS = frozenset(
    "a an and are as at be by for from in into is it its of on or the to towards toward via with"
    " using through".split()
)

# Where a format's values rank when sources disagree: structured, official lists beat text copied
# from a page; a page that names venue and track beats one that does not.
FORMAT_RANK = {
    "paperlists": 5,
    "openreview": 5,
    "arxiv_atom": 4,
    "bibtex": 4,
    "records": 4,
    "hf_viewer": 3,
    "iclr_virtual": 3,
    "paperscool": 2,
    "hf_papers": 2,
    "abstracts": 1,
}


@dataclass
class MatchInfo:
    """What ``judge`` needs to know about one side of a candidate pair (a record, or a paper as
    the union of its records)."""

    title_key: str = ""
    abstract_key: str = ""
    abstract_head: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    venue: str = ""  # the venue's key (venues.canonical): one key for "VLDB" and "Very Large Data Bases"
    venue_known: bool = False  # the key is in the curated table (two known keys that differ: two venues)
    venue_name: str = ""  # as written, for the acronym check
    years: set[int] = field(default_factory=set)
    surnames: set[str] = field(default_factory=set)
    name_tokens: set[str] = field(default_factory=set)  # every word of every author name
    # the title names more than one record of its listing ("Book Review Column" in every issue of
    # a newsletter): it does not identify a paper (prepare marks it per file)
    title_recurring: bool = False
    files: set[int] = field(default_factory=set)
    size: int = 1  # records behind this view


@dataclass(frozen=True)
class Verdict:
    """The outcome for one candidate pair: what to do, how sure (0..1, orders candidates), why."""

    decision: Decision
    score: float
    reason: str


# -- names, venues, titles ------------------------------------------------------------------------
def _fold(text: str) -> str:
    if text.isascii():
        return text.casefold()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})


def _name_words(name: str) -> list[str]:
    folded = _fold(name)
    if "," in folded:  # "Smith, John" and "Smith, J." name the surname first
        last, _, first = folded.partition(",")
        folded = f"{first} {last}"
    words = folded.replace(".", " ").replace("-", " ").split()
    while words and words[-1] in _NAME_SUFFIXES:
        words.pop()
    # German umlauts are spelled both ways ("Mück", "Mueck"): one form for both
    return [w.replace("ue", "u").replace("oe", "o").replace("ae", "a") for w in words]


def surname(name: str) -> str:
    """Last word of a name, folded: tolerant to initials, case and "Smith, J." ("J. Smith" ~
    "John SMITH" ~ "Smith J")."""
    return _surname(_name_words(name))


def _surname(words: list[str]) -> str:
    end = len(words)
    while end > 1 and len(words[end - 1]) == 1:  # "Smith J": a trailing initial
        end -= 1
    return words[end - 1] if end else ""


def venue_key(venue: str | None) -> str:
    """The venue's key: "ICLR 2021", "iclr" and "ICLR.cc" name one venue, and so do "VLDB" and
    "Very Large Data Bases" (``venues.canonical``)."""
    return venues.canonical(venue or "")[0]


def is_weak_title(key: str) -> bool:
    """A title key too thin to identify a paper: one word, a placeholder, LaTeX or punctuation."""
    return len(key) < 4 or " " not in key or key in PLACEHOLDER_TITLES


def title_words(key: str) -> frozenset[str]:
    """Content words of a title key (stopwords dropped)."""
    return frozenset(key.split()) - STOPWORDS


def match_info(rec: Record, file_id: int) -> MatchInfo:
    # The key keeps 60 words; 700 characters hold ~100 of them, and long abstracts are common.
    text = rec.abstract or ""
    if len(text) > ABSTRACT_WINDOW:  # cut at a word boundary so that two copies cut alike
        text = text[:ABSTRACT_WINDOW].rsplit(None, 1)[0]
    head = abstract_key(text) if text else ""
    surnames, tokens = set(), set()
    for name in rec.authors:
        words = _name_words(name)
        tokens.update(words)
        if last := _surname(words):
            surnames.add(last)
    return MatchInfo(
        title_key=title_key(rec.title) if rec.title else "",
        abstract_key=head if len(head.split()) >= MIN_ABSTRACT_WORDS else "",
        abstract_head=head,
        ids=_ids(rec),
        venue=venue_key(rec.venue),
        venue_known=venues.canonical(rec.venue or "")[1],
        venue_name=rec.venue or "",
        years={rec.year} if rec.year else set(),
        surnames=surnames,
        name_tokens=tokens,
        files={file_id},
    )


def _ids(rec: Record) -> dict[str, str]:
    ids = {k: v for k, v in rec.ids.items() if k in STRONG_IDS and _is_paper_id(k, v)}
    if url := pdf_url(rec.links):
        ids["pdf"] = url
    return ids


def _is_paper_id(kind: str, value: str) -> bool:
    # An arXiv DOI repeats the arXiv id; kept as a DOI it would contradict the journal DOI.
    return bool(value) and not (kind == "doi" and value.startswith("10.48550/arxiv."))


def pdf_url(links: Mapping[str, object]) -> str:
    """The record's PDF URL, normalised (no scheme, "www.", query or fragment; lower case), or ""
    when it has none or it is an arXiv PDF or OpenReview's ``pdf?id=`` (whose ids say the same)."""
    for kind, url in links.items():
        if not isinstance(url, str):
            continue
        low = url.strip().lower()
        if kind != "pdf" and not low.split("?")[0].endswith(".pdf"):
            continue
        low = low.split("#")[0].split("?")[0].rstrip("/")
        low = low.removeprefix("https://").removeprefix("http://").removeprefix("www.")
        known = low.startswith(("arxiv.org/", "export.arxiv.org/")) or low == "openreview.net/pdf"
        if "/" in low and "." in low.split("/")[0] and not known:
            return low
    return ""


def combine(infos: Iterable[MatchInfo]) -> MatchInfo:
    """The match view of a paper: the union of its records' evidence."""
    out = MatchInfo(size=0)
    for info in infos:
        out.title_key = out.title_key or info.title_key
        out.abstract_key = out.abstract_key or info.abstract_key
        if len(info.abstract_head) > len(out.abstract_head):
            out.abstract_head = info.abstract_head
        for kind, value in info.ids.items():
            out.ids.setdefault(kind, value)
        if not out.venue and info.venue:
            out.venue, out.venue_known, out.venue_name = info.venue, info.venue_known, info.venue_name
        out.years |= info.years
        out.surnames |= info.surnames
        out.name_tokens |= info.name_tokens
        out.title_recurring = out.title_recurring or info.title_recurring
        out.files |= info.files
        out.size += info.size
    return out


# -- blocking ----------------------------------------------------------------------------------
def keys(info: MatchInfo) -> list[str]:
    """The exact blocking keys: strong ids, the title key, the abstract key."""
    out = [f"{kind}:{value}" for kind, value in sorted(info.ids.items()) if kind in STRONG_IDS]
    if len(info.title_key) >= 3 and not is_weak_title(info.title_key) and not info.title_recurring:
        out.append("t:" + _digest(info.title_key))
    if info.abstract_key:
        out.append("a:" + _digest(info.abstract_key))
    return out


def _digest(text: str, size: int = 12) -> str:
    return hashlib.blake2b(text.encode(), digest_size=size).hexdigest()


# -- signals -------------------------------------------------------------------------------------
def id_signal(a: MatchInfo, b: MatchInfo) -> tuple[int, str]:
    """(+1, kind) for a shared id, (-1, kind) for different strong ids of one kind, (0, "")."""
    shared = [k for k in STRONG_IDS if k in a.ids and k in b.ids]
    for kind in shared:
        if a.ids[kind] != b.ids[kind]:
            return -1, kind
    if shared:
        return 1, shared[0]
    for kind in SHARED_ONLY_IDS:
        if kind in a.ids and a.ids[kind] == b.ids.get(kind):
            return 1, kind
    return 0, ""


def title_similarity(a: MatchInfo, b: MatchInfo) -> float | None:
    """Token-sort similarity of the title keys (word order does not matter); None when either
    title is missing or too thin to count (``is_weak_title``)."""
    if is_weak_title(a.title_key) or is_weak_title(b.title_key) or a.title_recurring or b.title_recurring:
        return None
    if a.title_key == b.title_key:
        return 1.0
    return float(fuzz.token_sort_ratio(a.title_key, b.title_key)) / 100


def title_word_overlap(a: MatchInfo, b: MatchInfo) -> float:
    """Share of the shorter title's content words found in the other title (0 when either title
    is thin). Character similarity alone finds "Learning Sparse Graphs" and "Learning Dense Maps"
    alike; the words they share say otherwise."""
    if is_weak_title(a.title_key) or is_weak_title(b.title_key):
        return 0.0
    wa, wb = title_words(a.title_key), title_words(b.title_key)
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def abstract_similarity(a: MatchInfo, b: MatchInfo) -> float | None:
    """Normalised Indel similarity of the abstract heads; None unless both have some abstract."""
    if not a.abstract_head or not b.abstract_head:
        return None
    return float(Indel.normalized_similarity(a.abstract_head, b.abstract_head))


def author_overlap(a: MatchInfo, b: MatchInfo) -> tuple[float | None, int]:
    """(share of the shorter author list found in the other, how many); (None, 0) without
    authors. A surname counts when it is any word of a name on the other side, so "Pratik Kumar"
    ~ "Kumar Pratik" and "J. Smith" ~ "John Smith"."""
    if not a.surnames or not b.surnames:
        return None, 0
    hits = max(len(a.surnames & b.name_tokens), len(b.surnames & a.name_tokens))
    return min(1.0, hits / min(len(a.surnames), len(b.surnames))), hits


def year_gap(a: MatchInfo, b: MatchInfo) -> int | None:
    if not a.years or not b.years:
        return None
    return min(abs(x - y) for x in a.years for y in b.years)


def same_venue(a: MatchInfo, b: MatchInfo) -> bool | None:
    """True for one venue (same key, or one name the initials of the other); False for two
    venues the table knows apart; None when it cannot tell (a venue missing, or names it does
    not know): listings spell venues in too many ways for unknown names to count against."""
    if not a.venue or not b.venue:
        return None
    if a.venue == b.venue:
        return True
    if a.venue_known and b.venue_known:
        return False
    if venues.acronym_of(a.venue_name, b.venue_name) or venues.acronym_of(b.venue_name, a.venue_name):
        return True
    return None


# -- the decision --------------------------------------------------------------------------------
def decide(rec: MatchInfo, paper: MatchInfo) -> Decision:
    """Is the record ``rec`` another copy of ``paper``? ``judge`` says why."""
    return judge(rec, paper).decision


def judge(rec: MatchInfo, paper: MatchInfo) -> Verdict:
    """The verdict for one record against one paper, with the group-size guard applied, and the
    numbers guard: a merge that rests on close titles (not an id, not the same abstract, not the
    same title) goes to review when both titles carry numbers and they differ ("... Llama 2"
    and "... Llama 3", "Part 1" and "Part 2": one character apart, and two papers)."""
    verdict = _rules(rec, paper)
    if verdict.decision == "merge" and verdict.score < 0.95 and _numbers_differ(rec.title_key, paper.title_key):
        return Verdict("review", verdict.score, f"{verdict.reason}; but the titles' numbers differ")
    if verdict.decision == "merge" and paper.size >= MAX_GROUP:
        return Verdict("review", verdict.score, f"{verdict.reason}; but the paper already has"
                       f" {paper.size} records (a merge group stops at {MAX_GROUP})")
    return verdict


def joinable(a: MatchInfo, b: MatchInfo) -> bool:
    """Can two papers that one record matches both be one paper (nothing says they are not)?
    Used to close merges transitively: an abstract-only copy and an official entry without an
    abstract meet through a third record that has both the abstract and the id."""
    if a.files & b.files or id_signal(a, b)[0] < 0 or a.size + b.size > MAX_GROUP:
        return False
    gap = year_gap(a, b)
    if (gap is not None and gap > 1) or same_venue(a, b) is False:
        return False
    ab = abstract_similarity(a, b)
    return ab is None or ab >= ABSTRACT_SIMILARITY


def _rules(a: MatchInfo, b: MatchInfo) -> Verdict:
    if a.files & b.files:
        return Verdict("distinct", 0.0, "both in one file")  # a listing names each paper once
    sign, kind = id_signal(a, b)
    if sign < 0:
        return Verdict("distinct", 0.0, f"different {kind} ids")  # two papers can share a title
    if sign > 0:
        return Verdict("merge", 1.0, f"same {kind} id")
    gap = year_gap(a, b)
    if gap is not None and gap > 1:
        return Verdict("distinct", 0.0, f"years {gap} apart")
    ts, words = title_similarity(a, b), title_word_overlap(a, b)
    # Titles "say otherwise" when they share neither letters nor words: a group that reuses an
    # abstract for next year's paper (robotics venues do) has two papers, not one.
    titles_differ = ts is not None and ts < TITLE_SAME and not (words >= 0.5 and ts >= TITLE_RELATED)
    au, shared = author_overlap(a, b)
    venue = same_venue(a, b)
    same_authors = au is not None and au >= 0.8 and (shared >= 2 or len(a.surnames | b.surnames) == 1)
    # ... unless the same authors retitled it for the same venue and year (submission vs final).
    # A year apart, only a near-equal title will do: next year's paper often reuses the abstract.
    retitled = same_authors and venue is True and gap == 0
    titles_close = ts is None or ts >= TITLE_SAME or retitled or (not titles_differ and gap == 0)
    if a.abstract_key and a.abstract_key == b.abstract_key:
        if not titles_close:
            return Verdict("review", 0.7, "same abstract, different titles")
        return Verdict("merge", 0.99, "same abstract")
    ab = abstract_similarity(a, b)
    if ts == 1.0:
        return _same_title(ab, au, venue, same_authors)
    if ab is not None and ab < ABSTRACT_SIMILARITY:
        return Verdict("distinct", 0.0, "abstracts differ")
    long_enough = bool(a.abstract_key and b.abstract_key)  # a short text is no evidence for
    if long_enough and ab is not None and ab >= ABSTRACT_SAME:
        if au == 0 or not titles_close or venue is False:
            return Verdict("review", 0.6, "abstracts agree but titles, authors or venues do not")
        return Verdict("merge", 0.9, f"abstracts agree ({ab:.2f})")
    if ts is not None and ts >= TITLE_SAME and venue is not False:
        if au is not None and au >= 0.5:
            return Verdict("merge", 0.85 + ts / 10, f"titles nearly equal ({ts:.2f}), authors agree")
        return Verdict("review", 0.6, f"titles nearly equal ({ts:.2f}), authors unknown or differ")
    if _subtitle_dropped(a, b) and au is not None and au >= 0.5 and venue is not False and (gap or 0) == 0:
        # "Mediator Languages - a Proposal for a Standard" and the same with ": report of a
        # workshop": one listing cut the subtitle
        return Verdict("merge", 0.8, "one title is the other without its subtitle; authors agree")
    if same_authors and venue and gap == 0:
        # A title rewritten between submission and camera-ready keeps its authors and venue. One
        # shared surname is weaker evidence than several: a single author needs a closer title.
        related = TITLE_RELATED if shared >= 2 else 0.7
        close = ts is not None and ts >= related and words >= 0.5
        if len(a.surnames | b.surnames) <= MAX_TEAM and close and ts is not None:
            return Verdict("merge", 0.5 + ts / 2.5, f"same authors, venue and year; title similar ({ts:.2f})")
        if ts is None or ts >= 0.45 or words > 0 or len(a.surnames | b.surnames) > MAX_TEAM:
            return Verdict("review", 0.4 + (ts or 0) / 5, "same authors, venue and year; titles differ")
    if long_enough and ab is not None and ab >= 0.7:
        return Verdict("review", 0.5, f"abstracts similar ({ab:.2f})")
    return Verdict("distinct", 0.0, "not enough in common")


MIN_PREFIX_WORDS = 4


def _numbers_differ(a: str, b: str) -> bool:
    """Both title keys hold number words, and not the same ones."""
    na = {w for w in a.split() if w.isdigit()}
    nb = {w for w in b.split() if w.isdigit()}
    return bool(na) and bool(nb) and na != nb


def _subtitle_dropped(a: MatchInfo, b: MatchInfo) -> bool:
    """Is one title's key the start of the other's (at least ``MIN_PREFIX_WORDS`` words)?"""
    if a.title_recurring or b.title_recurring or is_weak_title(a.title_key) or is_weak_title(b.title_key):
        return False
    short, long = sorted((a.title_key.split(), b.title_key.split()), key=len)
    return len(short) >= MIN_PREFIX_WORDS and len(long) > len(short) and long[: len(short)] == short


def _same_title(ab: float | None, au: float | None, venue: bool | None, same_authors: bool) -> Verdict:
    """Equal title keys: one paper unless the evidence disagrees."""
    if ab is not None and ab < ABSTRACT_SIMILARITY:
        if same_authors and venue is not False:  # the abstract was revised between versions
            return Verdict("merge", 0.9, "same title and authors; abstracts differ")
        # "Natural Language Reinforcement Learning" x 2 in one Hugging Face page
        return Verdict("distinct", 0.0, "same title, different abstracts")
    if venue is False:
        return Verdict("distinct", 0.0, "same title, different venues")
    if au == 0:
        return Verdict("distinct", 0.0, "same title, no author in common")
    return Verdict("merge", 0.95, "same title")


# -- display values ------------------------------------------------------------------------------
@dataclass
class Sourced:
    """A record together with where it sits, as ``resolve`` sees it."""

    record_pk: int
    format: str
    record: Record


def _is_shouting(title: str) -> bool:
    return title.isupper()  # every cased letter upper case, and there is one


def resolve(records: list[Sourced]) -> tuple[dict[str, object], dict[str, int]]:
    """Display values of a paper from all its records, and which record each came from.

    Higher ``FORMAT_RANK`` wins a field, earlier records break ties; titles prefer mixed case
    over ALL CAPS (papers.cool shouts some titles); the longest abstract wins (copies truncate);
    keywords, code URLs, flags and counters are united; links and ids are merged key by key.
    """
    if len(records) == 1:
        return _resolve_one(records[0])
    ranked = sorted(records, key=lambda s: -FORMAT_RANK.get(s.format, 0))
    values: dict[str, object] = {}
    origin: dict[str, int] = {}

    def pick(name: str, candidates: list[Sourced], value_of) -> None:  # type: ignore[no-untyped-def]
        for s in candidates:
            value = value_of(s.record)
            if value:
                values[name], origin[name] = value, s.record_pk
                return

    titled = sorted(ranked, key=lambda s: _is_shouting(s.record.title))
    pick("title", titled, lambda r: r.title)
    longest = sorted(ranked, key=lambda s: -len(s.record.abstract or ""))
    pick("abstract", longest, lambda r: r.abstract)
    for name in ("authors", "venue", "year", "track", "session"):
        pick(name, ranked, lambda r, n=name: getattr(r, n))
    values["keywords"] = _union(s.record.keywords for s in ranked)
    values["code_urls"] = _union(s.record.code_urls for s in ranked)
    values["flags"] = _union(s.record.flags for s in ranked)
    for name in ("links", "ids", "counters"):
        merged: dict[str, object] = {}
        for s in reversed(ranked):
            merged.update(getattr(s.record, name))
        values[name] = merged
    values.setdefault("title", "")
    values.setdefault("abstract", "")
    values.setdefault("authors", [])
    return values, origin


def _resolve_one(only: Sourced) -> tuple[dict[str, object], dict[str, int]]:
    """``resolve`` of a single record, without the ranking (ingest calls it for every record)."""
    rec = only.record
    values: dict[str, object] = {"title": "", "abstract": "", "authors": []}
    origin: dict[str, int] = {}
    for name in ("title", "abstract", "authors", "venue", "year", "track", "session"):
        value = getattr(rec, name)
        if value:
            values[name], origin[name] = value, only.record_pk
    values["keywords"] = _union([rec.keywords])
    values["code_urls"] = _union([rec.code_urls])
    values["flags"] = _union([rec.flags])
    values["links"], values["ids"], values["counters"] = dict(rec.links), dict(rec.ids), dict(rec.counters)
    return values, origin


def _union(lists: Iterable[list[str]]) -> list[str]:
    seen: dict[str, str] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item.casefold(), item)
    return list(seen.values())
