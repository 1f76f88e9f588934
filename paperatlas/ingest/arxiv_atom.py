"""The arXiv API's Atom feed (export.arxiv.org/api/query?search_query=...): one ``<entry>`` per paper
with ``id``, ``title``, ``summary``, ``author/name``, ``published``, ``arxiv:primary_category``,
``link`` (abstract page, PDF, DOI), ``arxiv:doi``, ``arxiv:journal_ref`` and ``arxiv:comment``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Source
from .records import doi_of, missing_title, year_of

NAME = "arxiv_atom"
DESCRIPTION = "arXiv API Atom XML (export.arxiv.org/api/query results)"

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
_ENTRY_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?entry[\s>/]")
_VERSION = re.compile(r"v\d+$")


def sniff(source: Source) -> int:
    try:
        head = source.head.lstrip()
        if not head.startswith("<"):
            return 0
        if "http://www.w3.org/2005/Atom" not in head or "<feed" not in head and ":feed" not in head:
            return 0
        return 90 if "arxiv.org" in head else 50
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


def _text(el: ET.Element | None) -> str:
    return "".join(el.itertext()).strip() if el is not None else ""


def _arxiv_id(raw: str) -> str:
    """``http://arxiv.org/abs/2101.12345v2`` -> ``2101.12345v2`` (old ids: ``hep-th/9901001v1``)."""
    raw = raw.strip()
    for marker in ("/abs/", "/pdf/"):
        if marker in raw:
            return raw.split(marker, 1)[1].split("?", 1)[0].split("#", 1)[0].removesuffix(".pdf")
    return raw.removeprefix("arXiv:").removeprefix("arxiv:")


def _root(source: Source) -> ET.Element:
    data = source.data
    if b"<!ENTITY" in data:
        line = data[: data.index(b"<!ENTITY")].count(b"\n") + 1
        raise ParseError(
            "the XML declares entities (<!ENTITY>), which paperatlas does not expand",
            path=source.path,
            line=line,
            hint="an arXiv API response has no DOCTYPE; fetch the feed again",
        )
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        err_line = exc.position[0] if getattr(exc, "position", None) else None
        raise ParseError(
            f"malformed XML: {exc}",
            path=source.path,
            line=err_line,
            hint="the feed is damaged or truncated; fetch it again",
        ) from None
    except Exception as exc:  # noqa: BLE001 - encoding declarations expat does not know, ...
        raise ParseError(
            f"cannot read the XML ({type(exc).__name__}: {exc})",
            path=source.path,
            hint="the feed is damaged; fetch it again",
        ) from None


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    root = _root(source)
    if root.tag != ATOM + "feed":
        raise ParseError(
            f"the XML root is <{root.tag}>, not an Atom <feed>",
            path=source.path,
            line=1,
            hint="pass the response of the arXiv API (export.arxiv.org/api/query?...)",
        )
    entries = root.findall(ATOM + "entry")
    # ElementTree keeps no line numbers: find the <entry> tags in the bytes, in the same order
    starts = [m.start() for m in _ENTRY_TAG.finditer(source.data)]
    lines: list[int | None]
    if len(starts) == len(entries):
        lines, prev, count = [], 0, 1
        for s in starts:
            count += source.data.count(b"\n", prev, s)
            prev = s
            lines.append(count)
    else:
        lines = [None] * len(entries)
    for pos, (entry, line) in enumerate(zip(entries, lines), 1):
        raw_id = _text(entry.find(ATOM + "id"))
        if "/api/errors" in raw_id:
            raise ParseError(
                f"the feed is an arXiv API error: {_text(entry.find(ATOM + 'summary'))[:200]}",
                path=source.path,
                line=line,
                record=pos,
                hint="fix the query and fetch the feed again",
            )
        rec = Record(position=pos, line=line, venue="arXiv")
        vid = _arxiv_id(raw_id)
        rec.record_id = vid or None
        if vid:
            rec.ids["arxiv"] = _VERSION.sub("", vid)
        rec.title = _text(entry.find(ATOM + "title"))
        rec.abstract = _text(entry.find(ATOM + "summary"))
        rec.authors = [n for n in (_text(a.find(ATOM + "name")) for a in entry.findall(ATOM + "author")) if n]
        published = _text(entry.find(ATOM + "published"))
        rec.year = year_of(published)
        extra: dict[str, object] = {}
        if published:
            extra["published"] = published
        updated = _text(entry.find(ATOM + "updated"))
        if updated:
            extra["updated"] = updated
        primary = entry.find(ARXIV + "primary_category")
        if primary is not None and primary.get("term"):
            extra["primary_category"] = primary.get("term")
        cats = [c.get("term") for c in entry.findall(ATOM + "category") if c.get("term")]
        if cats:
            extra["categories"] = cats
        for link in entry.findall(ATOM + "link"):
            href = (link.get("href") or "").strip()
            if not href:
                continue
            rel, title = link.get("rel", "alternate"), link.get("title", "")
            if title == "pdf":
                rec.links.setdefault("pdf", href)
            elif title == "doi":
                rec.links.setdefault("doi", href)
            elif rel == "alternate":
                rec.links.setdefault("arxiv", href)
        if "arxiv" not in rec.links and rec.ids.get("arxiv"):
            rec.links["arxiv"] = "https://arxiv.org/abs/" + rec.ids["arxiv"]
        doi = doi_of(_text(entry.find(ARXIV + "doi")))
        if doi:
            rec.ids["doi"] = doi
            rec.links.setdefault("doi", "https://doi.org/" + doi)
        for tag, key in (("journal_ref", "journal_ref"), ("comment", "comment")):
            value = _text(entry.find(ARXIV + tag))
            if value:
                extra[key] = value
        affs = [_text(a) for a in entry.iter(ARXIV + "affiliation")]
        if any(affs):
            extra["affiliations"] = affs
        rec.extra = extra
        if not rec.title:
            missing_title(ctx, pos, line, source.path, rec.record_id)
            continue
        yield rec
