"""The part of storing a file that needs no catalog: each record's identity in its file, its
stored form and digest, its match evidence and blocking keys, and the paper row it would start.

Pure, so ingest runs it in the parse workers, beside the one writer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ..filters import author_terms_text
from ..models import Record, record_to_dict
from ..normalize import abstract_key, title_key
from . import blocking, rules

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: object) -> str:
    """Compact JSON, one shared encoder (``json.dumps`` builds one per call)."""
    return _ENCODER.encode(value)


@dataclass
class Prepared:
    """Everything about one record that needs no database: computed ahead, maybe in a worker."""

    rec: Record
    key: str  # the record's identity inside its file (``record_key``)
    data: str  # its stored form, JSON
    digest: str  # hash of ``data``: tells a changed record from an unchanged one
    info: rules.MatchInfo
    keys: list[str]  # exact blocking keys (rules.keys)
    row: PaperRow  # the paper this record would start, if it starts one
    shown: list[str]  # the fields that row shows from this record
    blocks: list[int] = field(default_factory=list)  # fuzzy keys its paper is filed under
    probes: list[int] = field(default_factory=list)  # fuzzy keys it looks up
    bands: list[int] = field(default_factory=list)  # abstract LSH bands it looks up


@dataclass(frozen=True)
class PaperRow:
    """A paper's display values as a store keeps them: lists and maps as JSON text, plus the
    derived title key and author words (for exact matching and author filters)."""

    title: str
    title_key: str
    authors: str
    abstract: str
    venue: str | None
    year: int | None
    track: str | None
    session: str | None
    keywords: str
    links: str
    code_urls: str
    ids: str
    counters: str
    flags: str
    author_terms: str

    def values(self) -> tuple[object, ...]:
        return (self.title, self.title_key, self.authors, self.abstract, self.venue, self.year, self.track,
                self.session, self.keywords, self.links, self.code_urls, self.ids, self.counters, self.flags,
                self.author_terms)


PAPER_ROW_COLUMNS = ("title", "title_key", "authors", "abstract", "venue", "year", "track", "session",
                     "keywords", "links", "code_urls", "ids", "counters", "flags", "author_terms")


def paper_row(values: dict[str, object], key: str | None = None) -> PaperRow:
    """The stored form of resolved values (``rules.resolve``); ``key``: the title's key when
    the caller has it already."""
    title = str(values["title"])
    authors = list(values["authors"])  # type: ignore[call-overload]
    return PaperRow(
        title=title,
        title_key=(title_key(title) if title else "") if key is None else key,
        authors=dumps(authors),
        abstract=str(values["abstract"]),
        venue=values.get("venue"),  # type: ignore[arg-type]
        year=values.get("year"),  # type: ignore[arg-type]
        track=values.get("track"),  # type: ignore[arg-type]
        session=values.get("session"),  # type: ignore[arg-type]
        keywords=dumps(values["keywords"]),
        links=dumps(values["links"]),
        code_urls=dumps(values["code_urls"]),
        ids=dumps(values["ids"]),
        counters=dumps(values["counters"]),
        flags=dumps(values["flags"]),
        author_terms=author_terms_text([str(a) for a in authors]),
    )


_B32_PAIRS = [a + b for a in "abcdefghijklmnopqrstuvwxyz234567" for b in "abcdefghijklmnopqrstuvwxyz234567"]


def paper_id(seed: str) -> str:
    """A short id derived from what identifies the paper (so rebuilding gives the same ids): the
    first 50 bits of its hash in lower-case base32, ten characters at a time by pairs (the same
    text as ``base64.b32encode(digest).lower()[:10]``, at a third of the cost)."""
    n = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=10).digest()[:7], "big") >> 6
    pairs = _B32_PAIRS
    return pairs[n >> 40] + pairs[(n >> 30) & 1023] + pairs[(n >> 20) & 1023] + pairs[(n >> 10) & 1023] + pairs[n & 1023]


def paper_seed(item: Prepared) -> str:
    """What a new paper's id is derived from: its title (or abstract) key, venue and year."""
    rec, info = item.rec, item.info
    return "|".join([info.title_key or info.abstract_key, rec.venue or "", str(rec.year or "")])


def record_key(rec: Record, seen: dict[str, int], key: str | None = None) -> str:
    """Identity of a record inside its file that survives re-copying the page in another order
    (``key``: the title's key when the caller has it already)."""
    if rec.record_id:
        base = "id:" + rec.record_id
    elif rec.title:
        base = "t:" + (title_key(rec.title) if key is None else key)
    else:
        base = "a:" + hashlib.blake2b(abstract_key(rec.abstract).encode(), digest_size=12).hexdigest()
    seen[base] = seen.get(base, 0) + 1
    return base if seen[base] == 1 else f"{base}#{seen[base]}"


def prepare(records: list[Record]) -> list[Prepared]:
    """The pure part of ingesting a file's records (serialising, hashing, match and block keys)."""
    seen_keys: dict[str, int] = {}
    out = []
    for rec in records:
        info = rules.match_info(rec, 0)
        key = record_key(rec, seen_keys, info.title_key)
        data = dumps(_content(rec))
        digest = hashlib.blake2b(data.encode(), digest_size=16).hexdigest()
        values, origin = rules.resolve([rules.Sourced(0, "", rec)])
        row = paper_row(values, info.title_key if values["title"] == rec.title else None)
        out.append(Prepared(rec, key, data, digest, info, [], row, list(origin)))
    _drop_shared_ids(out)
    _mark_recurring_titles(out)
    for item, blocks in zip(out, blocking.block_keys([item.info for item in out])):
        item.keys, item.blocks, item.probes, item.bands = rules.keys(item.info), blocks.stored, blocks.probes, blocks.bands
    return out


def _drop_shared_ids(items: list[Prepared]) -> None:
    """An id that two different records of one listing carry (a proceedings DOI, a page's own
    link) names no single paper: it is not used for matching."""
    holders: dict[tuple[str, str], set[str]] = {}
    for item in items:
        for kind, value in item.info.ids.items():
            holders.setdefault((kind, value), set()).add(item.digest)
    shared = {pair for pair, digests in holders.items() if len(digests) > 1}
    for item in items if shared else ():
        item.info.ids = {k: v for k, v in item.info.ids.items() if (k, v) not in shared}


def _mark_recurring_titles(items: list[Prepared]) -> None:
    """A title two different records of one listing carry ("Book Review Column", "Editor's
    Notes") names no single paper: it is not used to match them."""
    holders: dict[str, set[str]] = {}
    for item in items:
        if item.info.title_key:
            holders.setdefault(item.info.title_key, set()).add(item.digest)
    for item in items:
        if len(holders.get(item.info.title_key, ())) > 1:
            item.info.title_recurring = True


def _content(rec: Record) -> dict[str, object]:
    data = record_to_dict(rec)
    data.pop("warnings", None)  # warnings describe the copy, not the paper
    return data
