"""dblp XML: records of the dblp.xml dump (``<article>``, ``<inproceedings>``, ``<incollection>``,
``<book>``, ``<phdthesis>``, ``<mastersthesis>`` with ``<author>``, ``<title>``, ``<year>``,
``<booktitle>``/``<journal>``, ``<ee>``, ``<url>`` and a ``key`` attribute), a dump excerpt
(records without the ``<dblp>`` root are read too) and dblp person pages (``<dblpperson>``).
``<proceedings>`` volumes, ``<www>`` home pages and ``<person>``/``<data>`` records are not papers:
they are counted in a warning and skipped.

Safety: the XML is read with ``defusedxml``'s parser, streamed (records are yielded as they end,
each with the line of its start tag). No file or URL that the document names is ever read: an
external entity (``<!ENTITY x SYSTEM "file:///etc/passwd">``, XXE), a parameter entity or an
unparsed entity is refused with an error, and so is an entity whose text holds other entities or
markup (the "billion laughs" expansion bomb); an entity that stands for a little plain text
(``<!ENTITY uuml "ü">``) is allowed. The external DTD that dblp.xml names
(``<!DOCTYPE dblp SYSTEM "dblp.dtd">``) is never loaded: dblp's named character entities
(``&uuml;``, ``&eacute;`` …, all HTML entity names) are turned into character references with
Python's ``html.entities`` before the XML parser sees them.

Mapping: the dblp ``key`` (``conf/iclr/SmithJ21``) is the record id; authors lose dblp's homonym
numbers ("Wei Wang 0001"); the title loses the full stop dblp ends titles with; venue is
``journal`` or ``booktitle``; ids from ``<ee>`` links (doi.org → DOI, arxiv.org or
10.48550/arXiv → arXiv) and from CoRR keys (``journals/corr/abs-2002-06038`` → 2002.06038).
The dblp record page is the ``detail`` link. Other fields (pages, volume, crossref, mdate, author
pids and ORCIDs, …) are kept in ``extra``.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Iterator
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from ..errors import ParseError
from ..models import Record
from ..normalize import extract_ids, normalize_doi
from .base import ParseContext, Source
from .common import jsonable, missing_title, year_of

NAME = "dblp_xml"
DESCRIPTION = "dblp XML (records of the dblp.xml dump, an excerpt of it, dblp person pages)"

PAPER_TAGS = frozenset({"article", "inproceedings", "incollection", "book", "phdthesis", "mastersthesis"})
OTHER_TAGS = frozenset({"proceedings", "www", "person", "data"})
RECORD_TAGS = PAPER_TAGS | OTHER_TAGS
_XML_ENTITIES = frozenset({"amp", "lt", "gt", "quot", "apos"})
_MAX_ENTITY_TEXT = 64  # a declared entity may stand for this much plain text, no more
_CHUNK = 1 << 20

# --------------------------------------------------------------------------------------------
# sniff

_TAGS = "|".join(sorted(RECORD_TAGS))
_DBLP_ROOT = re.compile(r"<!DOCTYPE\s+dblp\b|<dblp(?:person)?[\s>]")
_DBLP_RECORD = re.compile(
    r"<(?:" + _TAGS + r")\s[^<>]{0,400}?\bkey\s*=\s*[\"'](?:journals|conf|books|phd|homepages|series|"
    r"reference|tr|ms|persons|www|dblpnote|data|journal)/"
)


def sniff(source: Source) -> int:
    try:
        head = source.head.lstrip()
        if not head.startswith("<"):
            return 0
        root = _DBLP_ROOT.search(head) is not None
        record = _DBLP_RECORD.search(head) is not None
        if root and record:
            return 95
        if record:
            return 90
        return 80 if root else 0
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


# --------------------------------------------------------------------------------------------
# bytes for the XML parser: named entities as character references, a root for an excerpt

_ENTITY_REF = re.compile(rb"&([A-Za-z][A-Za-z0-9]{1,31});")
_FIRST_TAG = re.compile(rb"<(?![?!/])([A-Za-z_][\w.\-]*)")
_DECLARED = re.compile(rb"<!ENTITY\s+([A-Za-z_][\w.\-]*)")


def _char_refs(declared: frozenset[str]) -> Any:
    """The substitution for ``&name;``: an HTML entity name becomes character references, unless
    the document declares that name itself (its own declaration wins, as in XML)."""

    def sub(m: re.Match[bytes]) -> bytes:
        name = m.group(1).decode("ascii")
        if name in _XML_ENTITIES or name in declared:
            return m.group(0)
        text = html.entities.html5.get(name + ";")
        if text is None:
            return m.group(0)  # left for the parser: an error there, naming the line
        return "".join(f"&#{ord(c)};" for c in text).encode("ascii")

    return sub


def _pieces(data: bytes) -> Iterator[bytes]:
    """The document in chunks of about 1 MiB for the parser, named entities replaced, and wrapped
    in ``<dblp>`` … ``</dblp>`` when its first element is a record (an excerpt without the root)."""
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff")
    first = _FIRST_TAG.search(data, 0, 1 << 16)
    prolog = data[: first.start() if first else 1 << 16]
    declared = frozenset(m.group(1).decode("ascii", "replace") for m in _DECLARED.finditer(prolog))
    sub = _char_refs(declared)
    wrap_at = -1
    if not utf16 and first and first.group(1).decode("ascii", "replace") in RECORD_TAGS:
        wrap_at = first.start()
    n, start = len(data), 0
    if wrap_at >= 0:
        yield _ENTITY_REF.sub(sub, data[:wrap_at]) + b"<dblp>"
        start = wrap_at
    while start < n:
        end = min(n, start + _CHUNK)
        if end < n:  # never cut an entity reference in two
            amp = data.rfind(b"&", max(start, end - 40), end)
            if amp > start and data.find(b";", amp, end) < 0:
                end = amp
        chunk = data[start:end]
        yield chunk if utf16 else _ENTITY_REF.sub(sub, chunk)
        start = end
    if wrap_at >= 0:
        yield b"</dblp>"


# --------------------------------------------------------------------------------------------
# the parser's target: records as they end


class _Refused(Exception):
    """The document asks for something paperatlas never does (read a file, expand a bomb)."""


Field = tuple[str, dict[str, str], str]


class _Collector:
    """An ElementTree parser target that keeps only what dblp records need, so memory stays flat
    however long the file: each record's direct children as (tag, attributes, text)."""

    def __init__(self) -> None:
        self.expat: Any = None
        self.depth = 0
        self.record_depth = 0  # depth of the open record element; 0 when none is open
        self.tag = ""
        self.attrib: dict[str, str] = {}
        self.line: int | None = None
        self.fields: list[Field] = []
        self.field_depth = 0
        self.field_tag = ""
        self.field_attrib: dict[str, str] = {}
        self.buf: list[str] = []
        self.done: list[tuple[str, dict[str, str], int | None, list[Field]]] = []

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        self.depth += 1
        if not self.record_depth:
            if tag in RECORD_TAGS:
                self.record_depth, self.tag, self.attrib = self.depth, tag, dict(attrib)
                self.line = getattr(self.expat, "CurrentLineNumber", None)
                self.fields = []
        elif self.depth == self.record_depth + 1:
            self.field_depth, self.field_tag, self.field_attrib, self.buf = self.depth, tag, dict(attrib), []

    def data(self, text: str) -> None:
        if self.field_depth:
            self.buf.append(text)

    def end(self, tag: str) -> None:
        if self.field_depth and self.depth == self.field_depth:
            self.fields.append((self.field_tag, self.field_attrib, "".join(self.buf)))
            self.field_depth, self.buf = 0, []
        elif self.record_depth and self.depth == self.record_depth:
            self.done.append((self.tag, self.attrib, self.line, self.fields))
            self.record_depth, self.fields = 0, []
        self.depth -= 1

    def close(self) -> None:
        return None


def _entity_decl(
    name: str, is_parameter: bool, value: str | None, base: str | None, sysid: str | None,
    pubid: str | None, notation: str | None,
) -> None:
    ref = f"%{name};" if is_parameter else f"&{name};"
    if sysid or pubid or notation or value is None:
        where = sysid or pubid or "an external resource"
        raise _Refused(
            f"the XML declares an external entity {ref} ({where}): paperatlas never reads files "
            "or URLs that a document names (XXE)"
        )
    if is_parameter:
        raise _Refused(f"the XML declares a parameter entity {ref}, which paperatlas does not expand")
    if "&" in value or "<" in value or len(value) > _MAX_ENTITY_TEXT:
        raise _Refused(
            f"the XML declares an entity {ref} that expands to other entities or markup or to more "
            f"than {_MAX_ENTITY_TEXT} characters: refused (an entity-expansion bomb?)"
        )


def _unparsed_decl(name: str, base: str | None, sysid: str | None, pubid: str | None, notation: str | None) -> None:
    raise _Refused(f"the XML declares an unparsed external entity &{name}; ({sysid or pubid}): refused")


def _external_ref(context: str | None, base: str | None, sysid: str | None, pubid: str | None) -> int:
    raise _Refused(f"the XML refers to an external entity ({sysid or pubid}): paperatlas never reads it (XXE)")


def _make_parser(target: _Collector) -> Any:
    parser: Any = DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=False, forbid_external=True)
    expat = parser.parser
    expat.EntityDeclHandler = _entity_decl
    expat.UnparsedEntityDeclHandler = _unparsed_decl
    expat.ExternalEntityRefHandler = _external_ref
    target.expat = expat
    return parser


# --------------------------------------------------------------------------------------------
# parse


def _records(source: Source, ctx: ParseContext) -> Iterator[tuple[str, dict[str, str], int | None, list[Field]]]:
    """(tag, attributes, line, fields) of every record element, in file order."""
    target = _Collector()
    parser = _make_parser(target)
    path = source.path
    try:
        for piece in _pieces(source.data):
            parser.feed(piece)
            if target.done:
                yield from target.done
                target.done = []
        parser.close()
        yield from target.done
    except _Refused as exc:
        line = getattr(target.expat, "CurrentLineNumber", None)
        raise ParseError(
            str(exc), path=path, line=line,
            hint="a dblp export declares no entities; download the file from dblp again",
        ) from None
    except DefusedXmlException as exc:
        raise ParseError(
            f"the XML was refused ({type(exc).__name__}: {exc})", path=path,
            hint="a dblp export declares no entities; download the file from dblp again",
        ) from None
    except Exception as exc:  # noqa: BLE001 - ParseError from the XML parser, odd encodings, ...
        position = getattr(exc, "position", None)
        line = position[0] if isinstance(position, tuple) and position else None
        message = f"malformed XML: {exc}" if position else f"cannot read the XML ({type(exc).__name__}: {exc})"
        if ctx.skip_bad and line is not None:  # keep the records before the damage
            yield from target.done
            ctx.warn(f"line {line}: {message}; the rest of the file was not read")
            return
        raise ParseError(
            message, path=path, line=line,
            hint="the file is damaged or truncated; download it again (--skip-bad keeps the records before the damage)",
        ) from None


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    skipped: dict[str, int] = {}
    for pos, (tag, attrib, line, fields) in enumerate(_records(source, ctx), 1):
        if tag not in PAPER_TAGS:
            skipped[tag] = skipped.get(tag, 0) + 1
            continue
        rec = record_of(tag, attrib, fields)
        rec.position, rec.line = pos, line
        if not rec.title:
            missing_title(ctx, pos, line, source.path, rec.record_id)
            continue
        yield rec
    if skipped:
        what = ", ".join(f"{n} <{tag}>" for tag, n in sorted(skipped.items()))
        ctx.warn(f"skipped {what} record(s): proceedings volumes, home pages and data sets are not papers")


# --------------------------------------------------------------------------------------------
# fields

_HOMONYM = re.compile(r"\s+\d{4}$")
_CORR_NEW = re.compile(r"^journals/corr/abs-(\d{4})-(\d{4,5})$")
_CORR_OLD = re.compile(r"^journals/corr/([a-z\-]+)-[A-Za-z]{2}-(\d{7})$")
_CORR_VOLUME = re.compile(r"^abs/(\d{4}\.\d{4,5})$")


_ABBREVIATION_END = re.compile(r"(?:\b\w\.){2,}$|\b(?:al|etc|vs|Inc|Ltd|Co|Jr|Sr|St)\.$|\.\.$")


def _clean(text: str) -> str:
    return " ".join(text.split())


def _title(text: str) -> str:
    """dblp ends every title with a full stop of its own; an abbreviation's stop ("U.S.A.") stays."""
    if text.endswith(".") and not _ABBREVIATION_END.search(text):
        return text[:-1].rstrip()
    return text


def corr_arxiv(key: str, volume: str = "") -> str | None:
    """The arXiv id of a dblp CoRR record: ``journals/corr/abs-2002-06038`` → ``2002.06038``."""
    m = _CORR_NEW.match(key)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    m = _CORR_OLD.match(key)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    m = _CORR_VOLUME.match(volume.strip())
    return m.group(1) if m else None


def record_of(tag: str, attrib: dict[str, str], fields: list[Field]) -> Record:
    rec = Record()
    key = (attrib.get("key") or "").strip()
    rec.record_id = key or None
    extra: dict[str, Any] = {"type": tag}
    for name in ("mdate", "publtype", "cdate"):
        if attrib.get(name):
            extra[name] = attrib[name]
    authors: list[str] = []
    author_ids: list[dict[str, str]] = []
    ees: list[str] = []
    others: dict[str, list[str]] = {}
    for ftag, fattrib, raw in fields:
        text = _clean(raw)
        if not text:
            continue
        if ftag == "author":
            name = _HOMONYM.sub("", text)
            authors.append(name)
            ident = {k: v for k, v in fattrib.items() if k in ("pid", "orcid")}
            if ident:
                author_ids.append({"name": text, **ident})
        elif ftag == "title" and not rec.title:
            rec.title = _title(text)
        elif ftag == "year" and rec.year is None:
            rec.year = year_of(text)
        elif ftag == "ee":
            ees.append(text)
        else:
            others.setdefault(ftag, []).append(text)
    rec.authors = authors
    journal, booktitle = others.pop("journal", []), others.pop("booktitle", [])
    venue = (journal or booktitle or [""])[0]
    rec.venue = venue or None
    if journal and booktitle:
        extra["booktitle"] = booktitle[0]

    unused: list[str] = []
    for url in ees:
        found = extract_ids(url)
        doi = normalize_doi(url) if "doi.org/" in url.lower() else None
        if doi and "doi" not in rec.ids:
            rec.ids["doi"] = doi
            rec.links["doi"] = url
        elif found.get("arxiv") and "arxiv" not in rec.links and "arxiv.org/" in url.lower():
            rec.links["arxiv"] = url
        elif "site" not in rec.links and url.lower().startswith(("http://", "https://")):
            rec.links["site"] = url
        else:
            unused.append(url)
        if found.get("arxiv") and "arxiv" not in rec.ids:
            rec.ids["arxiv"] = found["arxiv"]
    arxiv = corr_arxiv(key, (others.get("volume") or [""])[0])
    if arxiv and "arxiv" not in rec.ids:
        rec.ids["arxiv"] = arxiv
    if rec.ids.get("arxiv"):
        rec.links.setdefault("arxiv", "https://arxiv.org/abs/" + rec.ids["arxiv"])
    if key:
        rec.links["detail"] = "https://dblp.org/rec/" + key
    if unused:
        extra["ee"] = unused
    if author_ids:
        extra["author_ids"] = author_ids
    for ftag, values in others.items():
        extra[ftag] = values[0] if len(values) == 1 else values
    rec.extra = jsonable(extra)
    return rec
