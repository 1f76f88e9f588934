"""Mini-Conf's paper list (github.com/Mini-Conf/Mini-Conf, the template behind many virtual
conference sites: ICLR 2020, ACL 2020, EMNLP 2020, ISMIR, COLT, INLG, ...): ``sitedata/papers.csv``
(``UID,title,authors,abstract,keywords,sessions,...`` with ``|`` between authors, keywords and
sessions) or ``papers.json`` (a list of such objects, or an object of them keyed by UID).

Mapping: ``UID`` is the record id; ``title``; ``authors`` (``|``-separated or a list); ``abstract``;
``keywords``; the first of ``sessions`` (or ``session``) is the session, all of them kept in
``extra``; absolute URLs in ``pdf_url`` / ``pdf`` / ``paper`` to the PDF link (an OpenReview forum
URL to the forum and its id), ``code`` / ``github`` to the code links, ``url`` / ``paper_url`` /
``site`` to the page, ``video`` / ``full_video`` / ``presentation`` to the video, ``forum`` /
``openreview`` to the OpenReview forum. A site-relative path ("static/paperfiles/paper1_code.zip")
is no link: it stays in ``extra`` with every other field (``start_time``, ``slides``,
``slideslive_id``, ``discord``, ...). The venue and year come from ``--venue`` / ``--year`` (or a
file name like ``iclr2020.csv``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from typing import Any

from ..errors import ParseError
from ..models import Record
from ..normalize import extract_ids
from .base import ParseContext, Source
from .common import bad_record, missing_title, split_authors, split_list, text_of
from .json_scan import _DECODER, iter_json_document

NAME = "miniconf"
DESCRIPTION = "Mini-Conf virtual-conference papers.csv / papers.json (UID, title, authors with |, ...)"

# --------------------------------------------------------------------------------------------
# sniff

_OTHER = {"authors", "abstract", "keywords", "sessions", "session", "pdf_url", "paper_type"}


def _csv_header(head: str) -> list[str]:
    first = head.split("\n", 1)[0].rstrip("\r")
    try:
        return [c.strip().lstrip("\ufeff") for c in next(csv.reader([first]))]
    except (csv.Error, StopIteration):
        return []


def _first_object(head: str) -> dict[str, Any] | None:
    m = re.match(r'\[\s*(?=\{)|\{\s*"(?:[^"\\]|\\.){1,100}"\s*:\s*(?=\{)', head)
    if not m:
        return None
    try:
        obj, _ = _DECODER.raw_decode(head, m.end())
    except (ValueError, RecursionError):
        keys = re.findall(r'"([A-Za-z_ ]+)"\s*:', head[m.end() : m.end() + 20000])
        return dict.fromkeys(keys, "")
    return obj if isinstance(obj, dict) else None


def sniff(source: Source) -> int:
    try:
        head = source.head.lstrip()
        if not head:
            return 0
        if head[0] in "[{":
            obj = _first_object(head)
            if obj and "UID" in obj and "title" in obj and "content" not in obj:
                return 92 if _OTHER & set(obj) else 0
            return 0
        cells = {c.lower() for c in _csv_header(head)}
        if "uid" in cells and "title" in cells and len(_OTHER & cells) >= 2:
            return 92
        return 0
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


# --------------------------------------------------------------------------------------------
# parse


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    from .paperlists import venue_from_path  # paperlists imports the records module
    from .records import _csv_rows

    path = source.path
    text = source.text()
    stripped = text.lstrip()
    if not stripped:
        return
    items: Iterator[tuple[int, int | None, Any]]
    if stripped[0] in "[{":
        items = iter_json_document(text, path, list_keys=("papers", "data"))
    else:
        if text.count('"') % 2:  # quotes inside a quoted cell are doubled: an odd count is a cut
            raise ParseError(
                "the file ends inside a quoted cell (truncated copy?)",
                path=path,
                line=text.count("\n", 0, text.rfind('"')) + 1,
                hint="copy or download papers.csv again; the last row is cut off",
            )
        items = _whole_rows(_csv_rows(text, path), text, path)
    venue, year = venue_from_path(path, known_only=True)
    venue, year = ctx.venue or venue, ctx.year or year
    for pos, line, item in items:
        if not isinstance(item, dict):
            bad_record(ctx, pos, line, path, f"a JSON {type(item).__name__}, not a paper")
            continue
        rec = _record(item, pos, line)
        if not rec.title:
            missing_title(ctx, pos, line, path, rec.record_id)
            continue
        rec.venue, rec.year = rec.venue or venue, rec.year or year
        rec.track = rec.track or ctx.track
        yield rec


def _whole_rows(
    rows: Iterator[tuple[int, int, dict[str, Any]]], text: str, path: str
) -> Iterator[tuple[int, int | None, Any]]:
    """The rows, and a ParseError for a last row cut short (fewer cells than the header, and no
    line end after it): a truncated copy."""
    width = len(_csv_header(text.lstrip()))
    prev: tuple[int, int, dict[str, Any]] | None = None
    for row in rows:
        if prev is not None:
            yield prev
        prev = row
    if prev is None:
        return
    if len(prev[2]) < width and not text.endswith(("\n", "\r")):
        raise ParseError(
            f"the last row has {len(prev[2])} of the {width} cells of the header (truncated copy?)",
            path=path,
            line=prev[1],
            record=prev[0],
            hint="copy or download papers.csv again; the last row is cut off",
        )
    yield prev


def _lower(item: dict[str, Any]) -> dict[str, str]:
    return {str(k).strip().lower().replace(" ", "_"): str(k) for k in item}


def _url(value: Any) -> str:
    """An absolute web address ("" for site-relative paths, "N/A", ...)."""
    text = text_of(value).strip()
    return text if re.match(r"https?://", text, re.I) else ""


_PDF_KEYS = ("pdf_url", "pdf", "paper_pdf", "paper")
_CODE_KEYS = ("code", "github", "code_url", "code_link")
_SITE_KEYS = ("url", "paper_url", "site", "link")
_VIDEO_KEYS = ("video", "full_video", "presentation", "presentation_url")
_FORUM_KEYS = ("forum", "openreview", "forum_url")


def _record(item: dict[str, Any], pos: int, line: int | None) -> Record:
    low = _lower(item)
    taken: set[str] = set()

    def get(*names: str) -> Any:
        for name in names:
            key = low.get(name)
            if key is not None and item[key] not in (None, ""):
                taken.add(key)
                return item[key]
        return None

    rec = Record(position=pos, line=line)
    uid = text_of(get("uid", "id", "paper_id", "_key")).strip()
    rec.record_id = uid or None
    rec.title = text_of(get("title")).strip()
    rec.authors = split_authors(get("authors", "author"))
    rec.abstract = text_of(get("abstract")).strip()
    rec.keywords = split_list(get("keywords", "keyword"), "|;,")
    sessions = split_list(get("sessions", "session"), "|;")
    extra: dict[str, Any] = {}
    if sessions:
        rec.session = sessions[0]
        if len(sessions) > 1:
            extra["sessions"] = sessions
    rec.track = text_of(get("paper_type", "track", "type")).strip() or None

    def link(kind: str, names: tuple[str, ...]) -> None:
        for name in names:
            key = low.get(name)
            if key is None:
                continue
            url = _url(item[key])
            if url:
                rec.links.setdefault(kind, url)
                taken.add(key)

    link("forum", _FORUM_KEYS)
    link("pdf", _PDF_KEYS)
    link("site", _SITE_KEYS)
    link("video", _VIDEO_KEYS)
    for name in _CODE_KEYS:
        key = low.get(name)
        if key is not None:
            urls = [u for u in split_list(item[key], " ,;|") if _url(u)]
            if urls:
                rec.code_urls.extend(urls)
                taken.add(key)
    forum_key = low.get("forum")
    forum_id = text_of(item[forum_key]).strip() if forum_key is not None else ""
    if forum_key is not None and "/" not in forum_id and re.fullmatch(r"[A-Za-z0-9_\-]{5,20}", forum_id):
        rec.links.setdefault("forum", "https://openreview.net/forum?id=" + forum_id)
        taken.add(forum_key)
    for url in (rec.links.get("forum", ""), rec.links.get("pdf", "")):
        found = extract_ids(url)
        if "openreview" in found:
            rec.ids.setdefault("openreview", found["openreview"])
            rec.links.setdefault("forum", "https://openreview.net/forum?id=" + found["openreview"])

    for k, v in item.items():
        if k in taken or v in (None, "", [], {}):
            continue
        extra[str(k)] = v
    rec.extra = extra
    return rec
