"""RIS (``TY  - JOUR`` … ``ER  -``: Zotero, Mendeley, EndNote, Scopus, publishers' "export
citation") and the Web of Science tagged export (``FN``/``PT J``/``AU``/``TI``/``SO``/``ER``/``EF``).

The tags of each record are read by ``rispy`` (``RisParser``, and ``WokParser`` for Web of Science,
which rispy reads too). This module first cuts the file into records itself, so that each record
keeps its line number and a record that the file ends inside (no ``ER`` line: a truncated copy) is
an error that names its line, or with --skip-bad a warning, instead of being dropped silently.

Mapping (RIS tag / WoS tag → field): title TI, T1 (ST when neither) / TI; authors AU, A1 /
AF, else AU, "Last, First" becoming "First Last"; year PY, Y1, DA / PY, EY, PD; DOI DO (else one
in a URL) / DI; abstract AB, N2 / AB; venue T2, JF, JO, BT, J2, JA / SO, CT, SE; keywords KW /
DE; links UR, L1 (PDF), L2 / none; record id ID, AN / UT. Everything else is kept in ``extra``
under rispy's field names (``volume``, ``publisher``, …) or, for tags rispy does not know, the tag.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import rispy

from ..errors import ParseError
from ..models import Record
from ..normalize import extract_ids, latex_to_text, normalize_arxiv, normalize_doi
from .base import ParseContext, Source
from .common import jsonable, missing_title, year_of

NAME = "ris"
DESCRIPTION = (
    "RIS (.ris from Zotero, Mendeley, EndNote, Scopus, publishers) and Web of Science tagged "
    "export (PT/AU/TI/SO/ER)"
)

# "TY  - JOUR"; "ER  -" may end with or without the space. One-space tags ("TY - JOUR") are
# accepted only in a file whose first TY line is written that way.
_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
_RIS_TAG_LOOSE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?: (.*))?$")
_BARE_ER = re.compile(r"^ER\s*$")
# Web of Science: "PT J", "AU Smith, J", "ER"; continuation lines start with spaces.
_WOS_TAG = re.compile(r"^([A-Z][A-Z0-9])(?: (.*))?$")
_WOS_FIRST = re.compile(r"^(?:FN |VR |PT )")

SKIP_HINT = "pass --skip-bad to ingest the other records and skip this one"


# --------------------------------------------------------------------------------------------
# sniff


def _first_lines(head: str, limit: int = 40) -> list[str]:
    out: list[str] = []
    for line in head.splitlines():
        if line.strip():
            out.append(line.rstrip())
            if len(out) >= limit:
                break
    return out


def sniff(source: Source) -> int:
    try:
        head = source.head
        stripped = head.lstrip()
        if not stripped or stripped[0] in "[{<@":
            return 0
        lines = _first_lines(head)
        if not lines:
            return 0
        if _is_wos(lines):
            return 95 if lines[0].startswith("FN ") else 92
        loose = _RIS_TAG_LOOSE
        ty = next((i for i, line in enumerate(lines) if (m := loose.match(line)) and m.group(1) == "TY"), None)
        if ty is None:
            return 0
        tags = sum(1 for line in lines[ty + 1 :] if loose.match(line))
        if tags == 0 and not any(_BARE_ER.match(line) for line in lines[ty + 1 :]):
            return 30
        if ty == 0:
            return 95
        return 90 if ty < 10 else 80
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


def _is_wos(lines: list[str]) -> bool:
    """A Web of Science tagged export: an FN/VR header or a PT line first, tags without "  - "."""
    if not lines or not _WOS_FIRST.match(lines[0]):
        return False
    if lines[0].startswith("FN "):
        return True
    tags = {m.group(1) for line in lines if (m := _WOS_TAG.match(line))}
    return "PT" in tags and len(tags & {"AU", "AF", "TI", "SO", "PY", "DI", "AB", "UT"}) >= 2


# --------------------------------------------------------------------------------------------
# records: the file cut into tagged chunks, each with its line


@dataclass
class _Chunk:
    line: int  # 1-based line of the TY / PT tag
    lines: list[str] = field(default_factory=list)  # normalised lines, start tag .. end tag
    closed: bool = False
    broken_by: int | None = None  # the line of the next record's start tag, when ER is missing
    tails: dict[int, list[str]] = field(default_factory=dict)  # continuation values of lines[i]

    def joined(self) -> list[str]:
        """The lines with their continuation values appended, joined once here: appending each
        to the growing line was quadratic in a value's continuation lines (bench/parser_worst_case.py)."""
        if not self.tails:
            return self.lines
        return [f"{line.rstrip()} {' '.join(self.tails[i])}" if i in self.tails else line for i, line in enumerate(self.lines)]


# Tags whose continuation lines are further values (EndNote writes one keyword a line after a
# single KW); the continuation lines of other tags continue the value. The chunks hand rispy
# only tag lines, so a repeated tag followed by a continuation line cannot trip it up.
_RIS_LIST_TAGS = frozenset(rispy.RisParser.DEFAULT_LIST_TAGS)
_WOS_LIST_TAGS = frozenset(rispy.WokParser.DEFAULT_LIST_TAGS)


def _continue(cur: _Chunk, tag: str, value: str, list_tags: frozenset[str], sep: str) -> None:
    if tag in list_tags:
        cur.lines.append(f"{tag}{sep}{value}")
    else:
        cur.tails.setdefault(len(cur.lines) - 1, []).append(value)


def _ris_chunks(lines: list[str], loose: bool) -> Iterator[_Chunk]:
    tag_re = _RIS_TAG_LOOSE if loose else _RIS_TAG
    cur: _Chunk | None = None
    last = "TY"
    for no, raw in enumerate(lines, 1):
        m = tag_re.match(raw)
        tag = m.group(1) if m else ("ER" if _BARE_ER.match(raw) else None)
        value = (m.group(2) or "").strip() if m else ""
        if tag == "TY":
            if cur is not None:
                cur.broken_by = no
                yield cur
            cur, last = _Chunk(line=no, lines=[f"TY  - {value}"]), "TY"
        elif cur is None:
            continue  # text between records: "1.", "Record #1 of 2", provider headers
        elif tag == "ER":
            cur.lines.append("ER  - ")
            cur.closed = True
            yield cur
            cur = None
        elif tag is not None:
            cur.lines.append(f"{tag}  - {value}")
            last = tag
        elif raw.strip():
            _continue(cur, last, raw.strip(), _RIS_LIST_TAGS, "  - ")
    if cur is not None:
        yield cur


def _wos_chunks(lines: list[str]) -> Iterator[_Chunk]:
    cur: _Chunk | None = None
    last = "PT"
    for no, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        m = None if raw.startswith(" ") else _WOS_TAG.match(raw)
        tag = m.group(1) if m else None
        if tag == "PT":
            if cur is not None:
                cur.broken_by = no
                yield cur
            cur, last = _Chunk(line=no, lines=[raw.rstrip()]), "PT"
        elif cur is None:
            continue  # FN / VR header, EF trailer
        elif tag == "ER":
            cur.lines.append("ER")
            cur.closed = True
            yield cur
            cur = None
        elif tag is not None:
            cur.lines.append(raw.rstrip())
            last = tag
        else:
            _continue(cur, last, raw.strip(), _WOS_LIST_TAGS, " ")
    if cur is not None:
        yield cur


# --------------------------------------------------------------------------------------------
# parse


def _text(source: Source, ctx: ParseContext) -> str:
    """The file as text: UTF-8, else Windows-1252 (what EndNote and older exports write)."""
    try:
        return source.text()
    except ParseError:
        if b"\x00" in source.data[:4096]:
            raise
        ctx.warn("the file is not UTF-8; read it as Windows-1252")
        try:
            return source.data.decode("cp1252").lstrip("\ufeff")
        except UnicodeDecodeError:
            return source.data.decode("latin-1").lstrip("\ufeff")


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    path = source.path
    lines = _text(source, ctx).splitlines()
    first = _first_lines("\n".join(lines[:200]))
    wos = _is_wos(first)
    if wos:
        chunks = _wos_chunks(lines)
        reader: Any = rispy.WokParser(enforce_list_tags=False)
    else:
        ty_line = next((line for line in lines if _RIS_TAG_LOOSE.match(line) and line.startswith("TY")), "")
        chunks = _ris_chunks(lines, loose=bool(ty_line) and not _RIS_TAG.match(ty_line))
        reader = rispy.RisParser(enforce_list_tags=False)
    end_tag = "ER" if wos else "ER  -"
    for pos, chunk in enumerate(chunks, 1):
        if not chunk.closed:
            if chunk.broken_by is not None:
                what = f"is not closed: the next record starts at line {chunk.broken_by} before its {end_tag!r} line"
            else:
                what = f"is not closed: the file ends before its {end_tag!r} line (truncated copy?)"
            if ctx.skip_bad:
                ctx.warn(f"record {pos} (line {chunk.line}) {what}; skipped")
                continue
            raise ParseError(
                f"record {pos} (line {chunk.line}) {what}",
                path=path,
                line=chunk.line,
                record=pos,
                hint="export the references again (every record ends with an ER line); " + SKIP_HINT,
            )
        try:
            entries = reader.parse_lines(iter(chunk.joined()))
        except Exception as exc:  # noqa: BLE001 - rispy on damaged tags: one clear error
            if ctx.skip_bad:
                ctx.warn(f"record {pos} (line {chunk.line}): cannot be read ({type(exc).__name__}); skipped")
                continue
            raise ParseError(
                f"record {pos} (line {chunk.line}) cannot be read ({type(exc).__name__}: {exc})",
                path=path,
                line=chunk.line,
                record=pos,
                hint=SKIP_HINT,
            ) from None
        if not entries or not isinstance(entries[0], dict):
            continue
        rec = _wos_record(entries[0]) if wos else _ris_record(entries[0])
        rec.position, rec.line = pos, chunk.line
        if not rec.title:
            missing_title(ctx, pos, chunk.line, path, rec.record_id)
            continue
        yield rec


# --------------------------------------------------------------------------------------------
# fields


def _values(entry: dict[str, Any], key: str) -> list[str]:
    """The non-empty string values under ``key`` (rispy gives a string or a list)."""
    value = entry.get(key)
    items = value if isinstance(value, list) else [value]
    return [v.strip() for v in items if isinstance(v, str) and v.strip()]


def _first(entry: dict[str, Any], *keys: str) -> str:
    for key in keys:
        values = _values(entry, key)
        if values:
            return values[0]
    return ""


def _plain(text: str) -> str:
    """Text for a name or venue: LaTeX markup (``M{\\"u}ller``) read as text, else as written."""
    return latex_to_text(text) if "\\" in text or "{" in text else " ".join(text.split())


def display_name(raw: str) -> str:
    """"Last, First" (also "Last,First" and "Last, First, Jr.") as "First Last"; others as written."""
    name = _plain(raw)
    if "," not in name:
        return name
    last, _, rest = name.partition(",")
    first, _, suffix = rest.partition(",")
    parts = [first.strip(), last.strip(), suffix.strip()]
    return " ".join(p for p in parts if p)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _split_keywords(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        out.extend(p.strip() for p in value.split(";") if p.strip())
    return _dedupe(out)


def _flatten_unknown(entry: dict[str, Any]) -> dict[str, Any]:
    """rispy keeps tags it does not know under ``unknown_tag`` {tag: [values]}; lift them up."""
    out: dict[str, Any] = {}
    unknown = entry.get("unknown_tag")
    if isinstance(unknown, dict):
        for tag, values in unknown.items():
            if tag is None:
                continue
            vals = [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
            out[str(tag)] = vals[0] if len(vals) == 1 else vals
    return out


def _link_kind(url: str) -> str:
    lower = url.lower()
    if "arxiv.org/" in lower:
        return "arxiv"
    if "doi.org/" in lower:
        return "doi"
    if lower.endswith(".pdf") or "/pdf/" in lower:
        return "pdf"
    return "site"


def _add_links(rec: Record, urls: list[str], kind: str | None = None) -> list[str]:
    """Put web URLs into ``rec.links`` (the first of each kind); return the ones not used."""
    unused: list[str] = []
    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            unused.append(url)  # "file:///…" attachments, "internal-pdf://…": kept in extra
            continue
        k = kind or _link_kind(url)
        if k not in rec.links:
            rec.links[k] = url
        elif url not in rec.links.values():
            unused.append(url)
    return unused


def _ids(rec: Record, doi_raw: str, texts: list[str]) -> None:
    doi = normalize_doi(doi_raw) if doi_raw else None
    found = extract_ids(*(t for t in texts if t))
    doi = doi or found.get("doi")
    if doi:
        rec.ids["doi"] = doi
        rec.links.setdefault("doi", "https://doi.org/" + doi)
    arxiv = found.get("arxiv") or (normalize_arxiv(doi_raw) if doi_raw else None)
    if arxiv:
        rec.ids["arxiv"] = arxiv
        rec.links.setdefault("arxiv", "https://arxiv.org/abs/" + arxiv)


_RIS_MAPPED = {
    "title", "primary_title", "short_title", "authors", "first_authors", "year", "publication_year",
    "date", "doi", "abstract", "notes_abstract", "secondary_title", "alternate_title3",
    "journal_name", "alternate_title1", "alternate_title2", "keywords", "urls", "file_attachments1",
    "file_attachments2", "id", "unknown_tag",
}


def _ris_record(entry: dict[str, Any]) -> Record:
    rec = Record()
    unknown = _flatten_unknown(entry)
    rec.title = _first(entry, "title", "primary_title") or _first(entry, "short_title")
    rec.authors = _dedupe([display_name(a) for a in _values(entry, "authors") + _values(entry, "first_authors")])
    rec.authors = [a for a in rec.authors if a]
    for key in ("year", "publication_year", "date"):
        year = year_of(_first(entry, key))
        if year:
            rec.year = year
            break
    rec.abstract = _first(entry, "abstract", "notes_abstract")
    bt = unknown.get("BT")
    venue = _first(entry, "secondary_title", "alternate_title3", "journal_name") or (
        bt if isinstance(bt, str) else ""
    ) or _first(entry, "alternate_title1", "alternate_title2")
    rec.venue = _plain(venue) or None
    rec.keywords = _split_keywords(_values(entry, "keywords"))
    rec.record_id = _first(entry, "id", "accession_number") or None
    urls = _values(entry, "urls")
    extra: dict[str, Any] = {k: v for k, v in entry.items() if k not in _RIS_MAPPED}
    extra.update(unknown)
    unused_urls = _add_links(rec, urls)
    unused_l1 = _add_links(rec, _values(entry, "file_attachments1"), kind="pdf")
    unused_l2 = _add_links(rec, _values(entry, "file_attachments2"))
    for key, unused in (("urls", unused_urls), ("file_attachments1", unused_l1), ("file_attachments2", unused_l2)):
        if unused:
            extra[key] = unused
    # the title of a record with both TI and T1, the short title, the venue not chosen: kept
    for key in ("primary_title", "short_title", "alternate_title1", "alternate_title2"):
        value = _first(entry, key)
        if value and value not in (rec.title, venue):
            extra[key] = value
    bt_text = bt if isinstance(bt, str) else ""
    if bt_text == venue:
        extra.pop("BT", None)
    notes = _values(entry, "notes") + _values(entry, "type_of_work")
    _ids(rec, _first(entry, "doi"), [*urls, *_values(entry, "file_attachments2"), *notes])
    rec.extra = jsonable(extra)
    return rec


_WOS_MAPPED = {
    "publication_type", "document_title", "authors", "author_full_name", "group_authors",
    "publication_year", "early_access_year", "publication_date", "doi", "abstract",
    "publication_name", "conference_title", "book_series_title", "author_keywords",
    "accession_number", "unknown_tag", "end_of_record",
}


def _wos_record(entry: dict[str, Any]) -> Record:
    rec = Record()
    unknown = _flatten_unknown(entry)
    rec.title = _first(entry, "document_title")
    names = _values(entry, "author_full_name") or _values(entry, "authors")
    rec.authors = [a for a in _dedupe([display_name(n) for n in names]) if a]
    if not rec.authors:
        rec.authors = _values(entry, "group_authors")
    for key in ("publication_year", "early_access_year", "publication_date"):
        year = year_of(_first(entry, key))
        if year:
            rec.year = year
            break
    rec.abstract = _first(entry, "abstract")
    venue = _first(entry, "publication_name", "conference_title", "book_series_title")
    rec.venue = _plain(venue) or None
    rec.keywords = _split_keywords(_values(entry, "author_keywords"))
    rec.record_id = _first(entry, "accession_number") or None
    extra: dict[str, Any] = {k: v for k, v in entry.items() if k not in _WOS_MAPPED}
    extra.update(unknown)
    for key in ("publication_type", "conference_title", "book_series_title", "publication_date"):
        value = _first(entry, key)
        if value and value != venue:
            extra[key] = value
    if _values(entry, "author_full_name") and _values(entry, "authors"):
        extra["authors"] = _values(entry, "authors")  # the abbreviated forms ("Smith, J")
    _ids(rec, _first(entry, "doi"), [])
    rec.extra = jsonable(extra)
    return rec
