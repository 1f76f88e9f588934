"""Pure rules for merging records of the same paper: match keys, the decision, field resolution.

No I/O here: the catalog finds candidates through ``match_keys`` and asks ``decide``; when a paper
gains or changes a record it asks ``resolve`` which value of each field to show.

Rules (the why is next to each):
- A shared strong id (OpenReview forum, arXiv, DOI) merges; *different* ids of the same kind keep
  papers apart, whatever the titles say (two papers can share a title).
- Equal title keys merge unless the evidence disagrees: both have abstracts and they are not alike
  ("Natural Language Reinforcement Learning" x 2 in one Hugging Face page), years more than one
  apart, different venues, or no author in common.
- Equal abstract keys (first 60 normalised words, at least 25 words long) merge: that is how an
  abstract-only copy of a page finds its paper.
- A paper never takes two records from the same file: a listing names each paper once.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Literal

from rapidfuzz.distance import Indel

from .models import Record
from .normalize import abstract_key, title_key

Decision = Literal["merge", "distinct"]

STRONG_IDS = ("openreview", "arxiv", "doi")
MIN_ABSTRACT_WORDS = 25
ABSTRACT_WINDOW = 700  # characters of (whitespace-clean) abstract that the key is made from
ABSTRACT_SIMILARITY = 0.6  # normalised Indel similarity of the abstract keys (first 60 words)

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
    """What ``decide`` needs to know about one side of a candidate pair."""

    title_key: str = ""
    abstract_key: str = ""
    abstract_head: str = ""
    ids: dict[str, str] = field(default_factory=dict)
    venue: str = ""
    years: set[int] = field(default_factory=set)
    surnames: set[str] = field(default_factory=set)
    files: set[int] = field(default_factory=set)


def _fold(text: str) -> str:
    if text.isascii():
        return text.casefold()
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


def surname(name: str) -> str:
    """Last token of a name, folded: tolerant to initials and case ("J. Smith" ~ "John SMITH")."""
    parts = _fold(name).replace(".", " ").split()
    return parts[-1] if parts else ""


def venue_key(venue: str | None) -> str:
    return "".join(ch for ch in _fold(venue or "") if ch.isalnum())


def match_info(rec: Record, file_id: int) -> MatchInfo:
    # The key keeps 60 words; 700 characters hold ~100 of them, and long abstracts are common.
    text = rec.abstract or ""
    if len(text) > ABSTRACT_WINDOW:  # cut at a word boundary so that two copies cut alike
        text = text[:ABSTRACT_WINDOW].rsplit(None, 1)[0]
    head = abstract_key(text) if text else ""
    return MatchInfo(
        title_key=title_key(rec.title) if rec.title else "",
        abstract_key=head if len(head.split()) >= MIN_ABSTRACT_WORDS else "",
        abstract_head=head,
        ids={k: v for k, v in rec.ids.items() if k in STRONG_IDS},
        venue=venue_key(rec.venue),
        years={rec.year} if rec.year else set(),
        surnames={s for s in (surname(a) for a in rec.authors) if s},
        files={file_id},
    )


def keys(info: MatchInfo) -> list[str]:
    """The blocking keys under which a record (or paper) is found as a candidate."""
    out = [f"{kind}:{value}" for kind, value in sorted(info.ids.items())]
    if len(info.title_key) >= 3:
        out.append("t:" + _digest(info.title_key))
    if info.abstract_key:
        out.append("a:" + _digest(info.abstract_key))
    return out


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def combine(infos: Iterable[MatchInfo]) -> MatchInfo:
    """The match view of a paper: the union of its records' evidence."""
    out = MatchInfo()
    for info in infos:
        out.title_key = out.title_key or info.title_key
        out.abstract_key = out.abstract_key or info.abstract_key
        if len(info.abstract_head) > len(out.abstract_head):
            out.abstract_head = info.abstract_head
        for kind, value in info.ids.items():
            out.ids.setdefault(kind, value)
        out.venue = out.venue or info.venue
        out.years |= info.years
        out.surnames |= info.surnames
        out.files |= info.files
    return out


def decide(rec: MatchInfo, paper: MatchInfo) -> Decision:
    """Is the record ``rec`` another copy of ``paper``? See the module docstring for the rules."""
    if rec.files & paper.files:
        return "distinct"
    shared = [k for k in STRONG_IDS if k in rec.ids and k in paper.ids]
    if any(rec.ids[k] != paper.ids[k] for k in shared):
        return "distinct"
    if shared:
        return "merge"
    if rec.abstract_key and rec.abstract_key == paper.abstract_key:
        return "merge"
    if rec.title_key and rec.title_key == paper.title_key:
        return "merge" if _compatible(rec, paper) else "distinct"
    return "distinct"


def _compatible(a: MatchInfo, b: MatchInfo) -> bool:
    """No evidence against two same-titled records being one paper."""
    if a.abstract_head and b.abstract_head:
        if Indel.normalized_similarity(a.abstract_head, b.abstract_head) < ABSTRACT_SIMILARITY:
            return False
    if a.years and b.years and min(abs(x - y) for x in a.years for y in b.years) > 1:
        return False
    if a.venue and b.venue and a.venue != b.venue:
        return False
    if a.surnames and b.surnames and not (a.surnames & b.surnames):
        return False
    return True


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


def _union(lists: Iterable[list[str]]) -> list[str]:
    seen: dict[str, str] = {}
    for items in lists:
        for item in items:
            seen.setdefault(item.casefold(), item)
    return list(seen.values())
