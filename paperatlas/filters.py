"""One ``Filters`` type: what every listing and every search mode narrows by.

Each backend compiles it once (``store.sqlite.papers.filter_sql`` for SQL,
``indexes.keyword.filters.compile_filters`` for tantivy), and search uses one compilation per
request for every mode, so keyword, semantic and hybrid runs see the same papers. Both compilers
share the meaning written here, and a test runs them side by side on tricky values:

- ``venue``, ``track``, ``session``: the whole value, case-insensitive ("iclr" = "ICLR").
- ``year`` exact; ``year_from`` / ``year_to`` inclusive bounds.
- ``author``: every word of it is a word of the paper's author names, in any order, case and
  accents folded ("Huang Feiqing" and "feiqing huang" find "Feiqing Huang"). Words are
  ``name_terms``, the same in both backends.
- ``has_code``: True, only papers with a code link; False, only papers without.
- ``topic``: papers of a topic of the stored topic maps (``services.topics`` says which topics a
  value names and which maps are looked in). It is resolved once per request, through the maps,
  to the set of paper ids ``topic_ids``; backends compile only that set (SQL ``id IN``, a tantivy
  term set on ``id``), so every mode sees the same papers. A ``topic`` not yet resolved is an
  error in a backend, never silently ignored. ``topic_ids`` is internal: ``to_dict`` and
  ``from_mapping`` leave it out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from .errors import InvalidInput

MAX_TERM_BYTES = 40  # longer words are dropped, as the keyword index drops them
INTERNAL = frozenset({"topic_ids"})  # set by code, never from a request


@dataclass(frozen=True)
class Filters:
    venue: str | None = None
    year: int | None = None
    year_from: int | None = None
    year_to: int | None = None
    track: str | None = None
    session: str | None = None
    author: str | None = None
    has_code: bool | None = None
    topic: str | None = None
    topic_ids: frozenset[str] | None = None  # ``topic`` resolved (services.topics.resolve)

    @property
    def empty(self) -> bool:
        return self == Filters()

    def to_dict(self) -> dict[str, Any]:
        # not asdict: it would copy a topic's id set only to drop it
        return {f.name: v for f in fields(self) if f.name not in INTERNAL and (v := getattr(self, f.name)) is not None}

    def topic_set(self) -> frozenset[str] | None:
        """The papers the topic filter allows (None: no topic filter); InvalidInput when the topic
        was not resolved through the maps first (a caller that cannot resolve topics)."""
        if self.topic_ids is not None:
            return self.topic_ids
        if self.topic and self.topic.strip():
            raise InvalidInput(f"topic {self.topic[:80]!r} cannot narrow here: topics are searched through the stored"
                               " topic maps", hint="use it in a search: paperatlas search --topic TOPIC (or topic: in the query)")
        return None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], where: str = "filters") -> Filters:
        """From strings or JSON values (web parameters, a batch body); InvalidInput naming the
        field when a value does not fit."""
        known = {f.name for f in fields(cls)} - INTERNAL
        unknown = sorted(set(values) - known)
        if unknown:
            raise InvalidInput(f"{where}: unknown filter {unknown[0]!r}", hint=f"filters are {', '.join(sorted(known))}")
        out: dict[str, Any] = {}
        for name, value in values.items():
            if value is None or value == "":
                continue
            if name in ("year", "year_from", "year_to"):
                out[name] = year_value(value, f"{where}.{name}")
            elif name == "has_code":
                out[name] = bool_value(value, f"{where}.{name}")
            elif isinstance(value, str):
                out[name] = value.strip()[:300] or None
            else:
                raise InvalidInput(f"{where}.{name} must be text, not {value!r}", hint=f'e.g. "{name}": "ICLR"')
        return cls(**out)


def year_value(value: Any, where: str) -> int:
    """A year from an int or a string of digits; InvalidInput for anything else."""
    if isinstance(value, bool):
        raise InvalidInput(f"{where} must be a year, not {value!r}", hint="e.g. 2023")
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]{1,6}", text):  # ASCII digits only: '²'.isdigit() is True
        raise InvalidInput(f"{where} must be a year, not {text[:40]!r}", hint="e.g. 2023")
    return int(text)


def bool_value(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise InvalidInput(f"{where} must be true or false, not {text[:40]!r}", hint="use 1 or 0")


# Letters that Unicode decomposition keeps whole but ASCII folding (tantivy's AsciiFoldingFilter,
# Lucene's) spells out.
_FOLD_EXTRA = str.maketrans({
    "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th",
    "Þ": "th", "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "ħ": "h", "Ħ": "h",
})
_WORD = re.compile(r"[^\W_]+")


def fold_name(text: str) -> str:
    """A name with accents and case folded the one way both backends see it: compatibility
    decomposition, every combining mark dropped (typed precomposed or as a separate mark:
    "Schölkopf", "Scho\u0308lkopf", "İbrahim" -> "scholkopf", "ibrahim"), letters that do not
    decompose spelled out (ø, ł, ß, æ), lower case. The keyword index is given names folded
    this way (its own analyzer then only splits them into words)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def name_terms(text: str) -> list[str]:
    """The words of a name as filters and the author index see them: letters and digits of
    ``fold_name(text)``, words over 40 bytes dropped (as the keyword index drops them)."""
    return [w for w in _WORD.findall(fold_name(text)) if len(w.encode()) <= MAX_TERM_BYTES]


def author_terms_text(authors: list[str]) -> str:
    """The stored form of a paper's author words for SQL filtering: `` w1 w2 … `` (spaces
    around each word, so ``instr(col, ' word ')`` matches whole words)."""
    words = dict.fromkeys(w for name in authors for w in name_terms(name))
    return " " + " ".join(words) + " " if words else ""
