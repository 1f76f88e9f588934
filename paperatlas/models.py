"""Typed value objects shared by the parsers, the catalog and the interfaces."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Record:
    """One paper as one source file shows it, before it is merged into the catalog.

    Parsers fill in what the source says (raw text, lightly cleaned); ``normalize.clean_record``
    derives the clean forms. ``position`` is the 1-based order of the record in its file and
    ``line`` the 1-based line where it starts (when the format has lines).
    """

    title: str = ""
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    venue: str | None = None
    year: int | None = None
    track: str | None = None  # decision / presentation type: Poster, Oral, Spotlight, notable-top-5%
    session: str | None = None  # e.g. "Poster Session 6"
    keywords: list[str] = field(default_factory=list)
    # kind -> url: "forum", "pdf", "site", "detail", "arxiv", "doi", ...
    links: dict[str, str] = field(default_factory=dict)
    code_urls: list[str] = field(default_factory=list)
    # strong identifiers: "openreview", "arxiv", "doi" (normalised by normalize.extract_ids)
    ids: dict[str, str] = field(default_factory=dict)
    # counter name -> value, e.g. {"papers.cool PDF": 60, "papers.cool Kimi": 203}
    counters: dict[str, int] = field(default_factory=dict)
    record_id: str | None = None  # the record's own id in its source (Paper Copilot id, ...)
    position: int = 0
    line: int | None = None
    warnings: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # e.g. "code-anonymized"
    extra: dict[str, Any] = field(default_factory=dict)  # other source fields, kept verbatim

    def warn(self, message: str) -> None:
        self.warnings.append(message)


@dataclass(frozen=True)
class SourceRef:
    """Where a value came from: a file, its format and the record inside it."""

    file: str
    format: str
    record_id: str  # the record's own id, or its position when the source has none
    line: int | None = None


@dataclass
class Paper:
    """A paper in the catalog: display values chosen from all of its source records."""

    id: str
    title: str
    authors: list[str] = field(default_factory=list)
    abstract: str = ""
    venue: str | None = None
    year: int | None = None
    track: str | None = None
    session: str | None = None
    keywords: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    code_urls: list[str] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    # field name -> SourceRef of the record whose value is shown
    field_sources: dict[str, SourceRef] = field(default_factory=dict)
    sources: list[SourceRef] = field(default_factory=list)


_RECORD_FIELDS = (
    "title", "authors", "abstract", "venue", "year", "track", "session", "keywords", "links",
    "code_urls", "ids", "counters", "record_id", "warnings", "flags", "extra",
)


def record_to_dict(rec: Record) -> dict[str, Any]:
    """The stored form of a record: its content, without where it sits in the file."""
    return {name: getattr(rec, name) for name in _RECORD_FIELDS}


def record_from_dict(data: dict[str, Any], position: int = 0, line: int | None = None) -> Record:
    known = {k: v for k, v in data.items() if k in _RECORD_FIELDS}
    return Record(position=position, line=line, **known)


def paper_to_dict(paper: Paper) -> dict[str, Any]:
    """The export form of a paper: every field plus where each came from."""
    out = {name: getattr(paper, name) for name in (
        "id", "title", "authors", "abstract", "venue", "year", "track", "session", "keywords",
        "links", "code_urls", "ids", "counters", "flags",
    )}
    out["field_sources"] = {k: _ref(v) for k, v in paper.field_sources.items()}
    out["sources"] = [_ref(s) for s in paper.sources]
    return out


def _ref(ref: SourceRef) -> dict[str, Any]:
    return {"file": ref.file, "format": ref.format, "record_id": ref.record_id, "line": ref.line}
