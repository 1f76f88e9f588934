"""Generic paper records: JSON array / object with a list / JSONL / CSV / TSV / Parquet.

Field names are matched case-insensitively with common aliases (``paper_title``, ``author_names``,
``pdf_url``, ``github``, ...). The catalog's own JSONL export reads back without loss of links,
ids, counters, code URLs and flags; Hugging Face dataset exports (JSONL, Parquet, the datasets
server's ``{"rows": [{"row": {...}}]}``) are read the same way.

The JSON helpers here (positions and line numbers of array elements, JSON errors as ParseError)
are shared by the ``paperlists`` and ``openreview`` parsers.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import date, datetime
from typing import Any, Iterable, Iterator

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Source

NAME = "records"
DESCRIPTION = (
    "paper records as JSON / JSONL / CSV / TSV / Parquet with common field names "
    "(also the catalog's own JSONL export and Hugging Face dataset exports)"
)

SKIP_HINT = "add a title, or pass --skip-bad to ingest the rest and skip damaged records"
JSON_HINT = "the JSON is damaged (truncated copy?); check the file near that line"

# --------------------------------------------------------------------------------------------
# JSON helpers (shared)

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
LIST_KEYS = ("papers", "data", "records", "items", "rows", "results", "entries", "hits", "notes")


def json_error(exc: json.JSONDecodeError, path: str, what: str = "JSON") -> ParseError:
    return ParseError(
        f"malformed {what}: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        path=path,
        line=exc.lineno,
        hint=JSON_HINT,
    )


def _too_deep(path: str, line: int | None = None) -> ParseError:
    return ParseError("the JSON is nested too deeply", path=path, line=line, hint="is it the right file?")


class _Lines:
    """Line numbers of increasing offsets into a text, counted incrementally."""

    __slots__ = ("text", "idx", "line")

    def __init__(self, text: str) -> None:
        self.text, self.idx, self.line = text, 0, 1

    def at(self, idx: int) -> int:
        if idx < self.idx:  # not expected; recount from the start
            self.idx, self.line = 0, 1
        self.line += self.text.count("\n", self.idx, idx)
        self.idx = idx
        return self.line


def decode_at(text: str, idx: int, path: str) -> tuple[Any, int]:
    """One JSON value starting exactly at ``idx``: (value, end)."""
    try:
        return _DECODER.raw_decode(text, idx)
    except json.JSONDecodeError as exc:
        raise json_error(exc, path) from None
    except RecursionError:
        raise _too_deep(path, text.count("\n", 0, idx) + 1) from None


def _syntax(text: str, idx: int, path: str, msg: str) -> ParseError:
    line = text.count("\n", 0, idx) + 1
    col = idx - (text.rfind("\n", 0, idx) + 1) + 1
    return ParseError(f"malformed JSON: {msg} (line {line}, column {col})", path=path, line=line, hint=JSON_HINT)


def iter_json_array(
    text: str, start: int, path: str, lines: _Lines | None = None
) -> Iterator[tuple[int, int, Any]]:
    """(position, line, value) of each element of the JSON array whose ``[`` is at ``start``.

    Returns the end offset (just after ``]``) as the generator's return value.
    """
    lines = lines or _Lines(text)
    n = len(text)
    idx = _WS.match(text, start + 1).end()
    if idx < n and text[idx] == "]":
        return idx + 1
    pos = 0
    while True:
        if idx >= n:
            raise _syntax(text, idx, path, "the array is not closed (truncated file?)")
        value, end = decode_at(text, idx, path)
        pos += 1
        yield pos, lines.at(idx), value
        idx = _WS.match(text, end).end()
        ch = text[idx : idx + 1]
        if ch == ",":
            idx = _WS.match(text, idx + 1).end()
        elif ch == "]":
            return idx + 1
        elif not ch:
            raise _syntax(text, idx, path, "the array is not closed (truncated file?)")
        else:
            raise _syntax(text, idx, path, "expected ',' or ']' between array elements")


def _check_end(text: str, end: int, path: str) -> None:
    idx = _WS.match(text, end).end()
    if idx < len(text):
        raise _syntax(text, idx, path, "extra data after the end of the JSON document")


def iter_json_document(
    text: str, path: str, list_keys: Iterable[str] = LIST_KEYS, meta: dict[str, Any] | None = None
) -> Iterator[tuple[int, int | None, Any]]:
    """(position, line, item) of the records of a JSON document: the elements of a top-level array,
    of the first list under one of ``list_keys`` in a top-level object (else of its only list of
    objects), or the object itself as one record. ``meta`` receives the top-level object's other
    keys (once the iteration is done)."""
    start = _WS.match(text).end()
    ch = text[start : start + 1]
    lines = _Lines(text)
    if ch == "[":
        end = yield from iter_json_array(text, start, path, lines)
        _check_end(text, end, path)
        return
    if ch != "{":
        value, end = decode_at(text, start, path)  # a scalar, or a syntax error with a line
        _check_end(text, end, path)
        raise ParseError(
            f"the JSON document is a {type(value).__name__}, not a list of records",
            path=path,
            line=1,
            hint="expected a JSON array of objects, or an object with a list under 'papers'",
        )
    wanted = {k.lower() for k in list_keys}
    n = len(text)
    found = False
    obj: dict[str, Any] = {}
    lists: list[tuple[str, int]] = []
    idx = _WS.match(text, start + 1).end()
    if text[idx : idx + 1] == "}":
        idx += 1
    else:
        while True:
            if text[idx : idx + 1] != '"':
                raise _syntax(text, idx, path, "expected a property name in double quotes")
            key, idx = decode_at(text, idx, path)
            idx = _WS.match(text, idx).end()
            if text[idx : idx + 1] != ":":
                raise _syntax(text, idx, path, "expected ':' after a property name")
            idx = _WS.match(text, idx + 1).end()
            if idx >= n:
                raise _syntax(text, idx, path, "the object is not closed (truncated file?)")
            if text[idx] == "[" and not found and key.lower() in wanted:
                found = True
                idx = yield from iter_json_array(text, idx, path, lines)
                obj[key] = []
            else:
                if text[idx] == "[":
                    lists.append((key, idx))
                obj[key], idx = decode_at(text, idx, path)
            idx = _WS.match(text, idx).end()
            ch = text[idx : idx + 1]
            if ch == ",":
                idx = _WS.match(text, idx + 1).end()
            elif ch == "}":
                idx += 1
                break
            elif not ch:
                raise _syntax(text, idx, path, "the object is not closed (truncated file?)")
            else:
                raise _syntax(text, idx, path, "expected ',' or '}' after a property value")
    _check_end(text, idx, path)
    if meta is not None:
        meta.update(obj)
    if found:
        return
    candidates = [
        (k, i) for k, i in lists if obj[k] and all(isinstance(x, dict) for x in obj[k])
    ]
    if len(candidates) == 1 and not _has_title(obj):
        yield from iter_json_array(text, candidates[0][1], path, _Lines(text))
        return
    yield 1, lines.at(start), obj


def is_jsonl(text: str) -> bool:
    """JSON Lines: the first non-blank line is a complete JSON object and another line follows
    that starts with ``{``."""
    text = text.lstrip()
    first, sep, rest = text.partition("\n")
    first = first.strip()
    if not sep or not (first.startswith("{") and first.endswith("}")):
        return False
    nxt = rest.lstrip()
    if not nxt.startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except (ValueError, RecursionError):
        return False


def iter_jsonl(text: str, path: str) -> Iterator[tuple[int, int, Any]]:
    """(position, line, value) for each non-blank line of a JSON Lines text."""
    pos = 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"line {lineno} is not valid JSON: {exc.msg} (column {exc.colno})",
                path=path,
                line=lineno,
                hint="each line of a JSONL file must be one complete JSON object; "
                "the copy may be truncated",
            ) from None
        except RecursionError:
            raise _too_deep(path, lineno) from None
        pos += 1
        yield pos, lineno, value


# --------------------------------------------------------------------------------------------
# shared small helpers


def text_of(value: Any) -> str:
    """A field value as text: strings as they are, numbers as text, {"value": x} unwrapped."""
    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)):
        return "" if isinstance(value, float) and math.isnan(value) else str(value)
    if isinstance(value, dict) and "value" in value:
        return text_of(value["value"])
    return ""


def split_list(value: Any, seps: str = ";,") -> list[str]:
    """A list of strings from a list, or from a string split on the first of ``seps`` it contains."""
    if isinstance(value, str):
        for sep in seps:
            if sep in value:
                return [p.strip() for p in value.split(sep) if p.strip()]
        value = value.strip()
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            s = text_of(item).strip()
            if s:
                out.append(s)
        return out
    s = text_of(value).strip()
    return [s] if s else []


def _author_name(item: Any) -> str:
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, dict):
        for key in ("name", "fullname", "full_name", "display_name", "author", "value"):
            v = item.get(key)
            if isinstance(v, str) and v.strip():
                return v.strip()
        first = text_of(item.get("first") or item.get("given") or item.get("first_name") or "")
        last = text_of(item.get("last") or item.get("family") or item.get("last_name") or "")
        return f"{first} {last}".strip()
    if isinstance(item, (list, tuple)):  # arXiv's authors_parsed: [last, first, suffix]
        parts = [text_of(p).strip() for p in item]
        if len(parts) >= 2:
            return " ".join(p for p in (parts[1], parts[0], *parts[2:]) if p)
        return " ".join(p for p in parts if p)
    return text_of(item).strip()


_AND = re.compile(r",?\s+and\s+")


def split_authors(value: Any) -> list[str]:
    """Authors from a list of names / {"name": ...} dicts, or a `;`-, `,`- or `and`-separated string."""
    if isinstance(value, str):
        if ";" in value:
            parts = value.split(";")
        elif " and " in value:
            parts = [p for chunk in _AND.split(value) for p in chunk.split(",")]
        else:
            parts = value.split(",")
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, (list, tuple)):
        return [n for n in (_author_name(x) for x in value) if n]
    if isinstance(value, dict):
        n = _author_name(value)
        return [n] if n else []
    return []


_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def year_of(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 1800 <= value <= 2100 else None
    if isinstance(value, float):
        return int(value) if not math.isnan(value) and 1800 <= value <= 2100 else None
    if isinstance(value, (date, datetime)):
        return value.year
    m = _YEAR.search(text_of(value))
    return int(m.group(1)) if m else None


_ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$", re.I)
_OPENREVIEW_ID = re.compile(r"^[A-Za-z0-9_\-]{5,20}$")
_NEW_ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}(v\d+)?$")
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^?#\s]+?)(?:\.pdf)?(?:[?#].*)?$", re.I)


def arxiv_id(value: str) -> str | None:
    """The unversioned arXiv id in an id or an arxiv.org URL, else None."""
    value = value.strip()
    m = _ARXIV_URL.search(value)
    if m:
        value = m.group(1)
    m = _ARXIV_ID.match(value)
    return m.group(1) if m else None


def doi_of(value: str) -> str | None:
    value = value.strip()
    low = value.lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if low.startswith(prefix):
            value = value[len(prefix) :].strip()
            break
    return value if value.startswith("10.") and "/" in value else None


def openreview_url(value: str) -> str:
    """Absolute OpenReview URL for a path like ``/pdf/abc.pdf`` or ``/forum?id=x``."""
    if value.startswith("/"):
        return "https://openreview.net" + value
    return value


def missing_title(ctx: ParseContext, pos: int, line: int | None, path: str, record_id: str | None = None) -> None:
    """Raise the "no title" ParseError, or (with ctx.skip_bad) warn and return."""
    where = f"record {pos}" + (f" (line {line})" if line else "")
    if getattr(ctx, "skip_bad", False):
        ctx.warn(f"{where}: no title; skipped")
        return
    named = f"record {pos}" + (f" (id {record_id!r})" if record_id else "")
    raise ParseError(f"{named} has no title", path=path, line=line, record=pos, hint=SKIP_HINT)


def bad_record(ctx: ParseContext, pos: int, line: int | None, path: str, what: str) -> None:
    """A record that is not a record at all (a number where an object should be)."""
    where = f"record {pos}" + (f" (line {line})" if line else "")
    if getattr(ctx, "skip_bad", False):
        ctx.warn(f"{where}: {what}; skipped")
        return
    raise ParseError(
        f"record {pos} is {what}",
        path=path,
        line=line,
        record=pos,
        hint="pass --skip-bad to ingest the rest and skip damaged records",
    )


def jsonable(value: Any) -> Any:
    """A value that json.dumps accepts (dates as ISO text, bytes dropped, NaN as None)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return None
    return str(value)


# --------------------------------------------------------------------------------------------
# field mapping

_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "paper_id", "paperid", "uid", "_id", "openreview_id", "forum_id", "note_id",
           "arxiv_id", "arxivid", "doc_id", "corpus_id", "corpusid", "key", "citation_key"),
    "title": ("title", "paper_title", "papertitle", "title_text", "name"),
    "authors": ("authors", "author", "author_names", "authornames", "authors_list", "author_list",
                "creators", "authors_parsed"),
    "abstract": ("abstract", "summary", "paper_abstract", "abstract_text", "abstracttext"),
    "venue": ("venue", "conference", "booktitle", "journal", "venue_name", "conference_name"),
    "year": ("year", "pub_year", "publication_year", "date", "published", "publication_date",
             "pub_date", "published_at", "publishedat", "publishdate", "created", "submitted"),
    "track": ("track", "status", "decision", "presentation_type", "presentation", "type"),
    "session": ("session", "session_name", "sess"),
    "keywords": ("keywords", "tags", "topics", "keyword", "subjects"),
}
_LINK_ALIASES: dict[str, tuple[str, ...]] = {
    "forum": ("forum", "forum_url", "forumurl", "openreview_url", "openreview_link"),
    "site": ("url", "link", "site", "paperurl", "paper_url", "html_url", "abs_url", "page", "page_url",
             "landing_page"),
    "pdf": ("pdf", "pdf_url", "pdfurl", "pdf_link", "pdflink"),
    "project": ("project", "project_page", "project_url", "homepage"),
    "video": ("video", "video_url", "youtube"),
    "arxiv": ("arxiv_url", "arxiv_link"),
    "detail": ("detail", "detail_url"),
}
_CODE_ALIASES = ("code", "github", "code_url", "codeurl", "code_link", "repo", "repository", "repo_url",
                 "github_url", "github_link", "code_urls")
_DOI_ALIASES = ("doi",)
_ARXIV_ALIASES = ("arxiv", "arxiv_id", "arxivid", "eprint")

# normalised key -> (role, rank) (rank: earlier alias wins)
_ROLE: dict[str, tuple[str, int]] = {}
for _role, _names in _ALIASES.items():
    for _rank, _n in enumerate(_names):
        _ROLE.setdefault(_n, (_role, _rank))
for _kind, _names in _LINK_ALIASES.items():
    for _rank, _n in enumerate(_names):
        _ROLE.setdefault(_n, ("link:" + _kind, _rank))
for _rank, _n in enumerate(_CODE_ALIASES):
    _ROLE.setdefault(_n, ("code", _rank))
_ROLE["openreview"] = ("openreview", 0)  # a forum URL or a bare forum id
for _n in _DOI_ALIASES:
    _ROLE.setdefault(_n, ("doi", 0))
for _rank, _n in enumerate(_ARXIV_ALIASES):
    _ROLE.setdefault(_n, ("arxiv", _rank))
# the catalog export's own structured fields
for _n in ("links", "code_urls", "ids", "counters", "flags"):
    _ROLE[_n] = ("export:" + _n, 0)


_LIST_ROLES = {"authors", "keywords", "code", "export:links", "export:ids", "export:counters",
               "export:flags", "export:code_urls"}


def _norm_key(key: str) -> str:
    return key.strip().lower().replace(" ", "_").replace("-", "_").replace(".", "_")


def _empty(value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def record_from_mapping(
    row: dict[str, Any], pos: int, line: int | None, *, split_cells: bool = False
) -> Record:
    """A Record from one mapping of field names to values (title may be empty: callers check)."""
    if "row" in row and isinstance(row["row"], dict) and ("row_idx" in row or len(row) <= 3):
        row = row["row"]  # Hugging Face datasets-server rows
    best: dict[str, tuple[int, str, Any]] = {}
    extra: dict[str, Any] = {}
    for key, value in row.items():
        key = str(key)
        role = _ROLE.get(_norm_key(key))
        if role is None:
            if not _empty(value):
                extra[key] = value
            continue
        if _empty(value):
            continue
        name, rank = role
        prev = best.get(name)
        if prev is None or rank < prev[0]:
            if prev is not None:
                extra[prev[1]] = prev[2]
            best[name] = (rank, key, value)
        else:
            extra[key] = value

    def get(name: str) -> Any:
        hit = best.get(name)
        return hit[2] if hit else None

    if split_cells:  # CSV cells holding JSON lists ('["a", "b"]')
        for name, (rank, key, value) in list(best.items()):
            if name not in _LIST_ROLES:
                continue
            if isinstance(value, str) and value[:1] in "[{" and value.rstrip()[-1:] in "]}":
                try:
                    best[name] = (rank, key, json.loads(value))
                except (ValueError, RecursionError):
                    pass

    rec = Record(position=pos, line=line)
    rid = get("id")
    if rid is not None and not isinstance(rid, (dict, list)):
        rec.record_id = text_of(rid).strip() or None
    rec.title = text_of(get("title")).strip()
    rec.authors = split_authors(get("authors"))
    rec.abstract = text_of(get("abstract")).strip()
    venue = text_of(get("venue")).strip()
    rec.venue = venue or None
    rec.year = year_of(get("year"))
    if rec.year is None and best.get("year"):
        rec.warn(f"no year in {best['year'][1]!r}: {text_of(best['year'][2])[:40]!r}")
    rec.track = text_of(get("track")).strip() or None
    rec.session = text_of(get("session")).strip() or None
    rec.keywords = split_list(get("keywords"))

    # the catalog export's structured fields, taken as they are (other shapes go to extra)
    for name in ("export:links", "export:ids", "export:counters", "export:flags", "export:code_urls"):
        hit = best.get(name)
        if hit is None:
            continue
        key, value = hit[1], hit[2]
        if name in ("export:links", "export:ids") and isinstance(value, dict):
            target = rec.links if name == "export:links" else rec.ids
            target.update({str(k): v for k, v in value.items() if isinstance(v, str) and v})
        elif name == "export:counters" and isinstance(value, dict):
            rec.counters = {
                str(k): int(v)
                for k, v in value.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            }
        elif name == "export:flags" and isinstance(value, (list, str)):
            rec.flags = split_list(value, ",")
        elif name == "export:code_urls" and isinstance(value, (list, str)):
            rec.code_urls = split_list(value, " ,;")
        else:
            extra[key] = value

    for name, (_rank, key, value) in best.items():
        if name.startswith("link:"):
            url = text_of(value).strip() if not isinstance(value, list) else ""
            if url:
                rec.links.setdefault(name[5:], url)
            elif not isinstance(value, (str, int, float)):
                extra[key] = value
        elif name == "openreview":
            value_text = text_of(value).strip()
            if "/" not in value_text and _OPENREVIEW_ID.match(value_text):
                rec.ids.setdefault("openreview", value_text)
                rec.links.setdefault("forum", "https://openreview.net/forum?id=" + value_text)
            elif value_text:
                rec.links.setdefault("forum", value_text)
            else:
                extra[key] = value
        elif name == "code":
            for url in split_list(value, " ,;"):
                if url not in rec.code_urls:
                    rec.code_urls.append(url)
        elif name == "doi":
            doi = doi_of(text_of(value))
            if doi:
                rec.ids.setdefault("doi", doi)
                rec.links.setdefault("doi", "https://doi.org/" + doi)
            else:
                extra[key] = value
        elif name == "arxiv":
            aid = arxiv_id(text_of(value))
            if aid:
                rec.ids.setdefault("arxiv", aid)
                rec.links.setdefault("arxiv", "https://arxiv.org/abs/" + aid)
            else:
                extra[key] = value
    if rec.record_id and "arxiv" not in rec.ids:
        id_key = _norm_key(best["id"][1])
        if id_key in ("arxiv_id", "arxivid") or _NEW_ARXIV_ID.match(rec.record_id):
            aid = arxiv_id(rec.record_id)
            if aid:
                rec.ids["arxiv"] = aid
                rec.links.setdefault("arxiv", "https://arxiv.org/abs/" + aid)
        elif id_key in ("openreview_id", "forum_id"):
            rec.ids.setdefault("openreview", rec.record_id)
            rec.links.setdefault("forum", "https://openreview.net/forum?id=" + rec.record_id)
    if "pdf" in rec.links:
        rec.links["pdf"] = openreview_url(rec.links["pdf"]) if rec.links["pdf"].startswith("/pdf") else rec.links["pdf"]
    rec.extra = extra
    return rec


def _has_title(obj: Any) -> bool:
    return isinstance(obj, dict) and any(
        _ROLE.get(_norm_key(str(k)), ("",))[0] == "title" for k in obj
    )


# --------------------------------------------------------------------------------------------
# sniff


_TITLE_KEY = re.compile(r'"(?:title|paper_title|papertitle|name)"\s*:', re.I)
_EXPORT_KEYS = ('"field_sources"', '"sources"')
_HEADER_SEPS = ("\t", ";", ",", "|")


def _csv_delimiter(header: str, path: str) -> str | None:
    if path.lower().endswith((".tsv", ".tsv.gz", ".tab")) and "\t" in header:
        return "\t"
    counts = [(header.count(sep), sep) for sep in _HEADER_SEPS]
    best = max(counts, key=lambda t: t[0])
    if "\t" in header:
        return "\t"
    return best[1] if best[0] > 0 else None


def _header_cells(header: str, delim: str) -> list[str]:
    try:
        return next(csv.reader([header], delimiter=delim))
    except (csv.Error, StopIteration):
        return []


def sniff(source: Source) -> int:
    try:
        data = source.data
        if data[:4] == b"PAR1":
            return 90
        head = source.head
        stripped = head.lstrip()
        if not stripped:
            return 0
        first = stripped[0]
        if first in "[{":
            if not _TITLE_KEY.search(head):
                return 0
            if first == "{" and is_jsonl(stripped):
                if all(k in head for k in _EXPORT_KEYS) or ('"links"' in head and '"ids"' in head):
                    return 85
                return 80
            return 70
        header = stripped.split("\n", 1)[0].rstrip("\r")
        delim = _csv_delimiter(header, source.path)
        if delim is None or len(header) > 4000:
            return 0
        roles = {_ROLE.get(_norm_key(c), ("",))[0] for c in _header_cells(header, delim)}
        if "title" in roles:
            return 75 if len(roles) > 2 else 60
        return 0
    except Exception:  # sniff never raises
        return 0


# --------------------------------------------------------------------------------------------
# parse


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    path = source.path
    items: Iterable[tuple[int, int | None, Any]]
    split_cells = False
    if source.data[:4] == b"PAR1":
        items = _parquet_rows(source)
    else:
        text = source.text()
        stripped = text.lstrip()
        if not stripped:
            return
        if stripped[0] == "{" and is_jsonl(stripped):
            items = iter_jsonl(text, path)
        elif stripped[0] in "[{":
            items = iter_json_document(text, path)
        else:
            items, split_cells = _csv_rows(text, path), True
    from .paperlists import venue_from_path  # noqa: PLC0415 (paperlists imports this module)

    # a known venue in the file name (iclr2021.jsonl -> ICLR 2021) fills in, after what the user says
    venue, year = venue_from_path(path, known_only=True)
    venue, year = ctx.venue or venue, ctx.year or year
    for pos, line, item in items:
        if not isinstance(item, dict):
            bad_record(ctx, pos, line, path, f"a JSON {type(item).__name__}, not an object")
            continue
        rec = record_from_mapping(item, pos, line, split_cells=split_cells)
        # the catalog's own export may hold abstract-only papers (an abstracts listing has no titles)
        if not rec.title and not (rec.abstract and "sources" in item):
            missing_title(ctx, pos, line, path, rec.record_id)
            continue
        if venue and not rec.venue:
            rec.venue = venue
            rec.year = rec.year or year
        yield rec


def _csv_rows(text: str, path: str) -> Iterator[tuple[int, int, dict[str, Any]]]:
    header_line = text.split("\n", 1)[0].rstrip("\r")
    delim = _csv_delimiter(header_line, path)
    if delim is None:
        raise ParseError(
            "not a CSV/TSV table (no delimiter in the header line)",
            path=path,
            line=1,
            hint="the first line must name the columns, e.g. title,authors,abstract",
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    try:
        header = next(reader, None)
        if not header:
            return
        names = [h.strip().lstrip("\ufeff") for h in header]
        pos = 0
        last = reader.line_num
        for cells in reader:
            start, last = last + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            pos += 1
            row: dict[str, Any] = {}
            for i, cell in enumerate(cells):
                key = names[i] if i < len(names) and names[i] else f"column {i + 1}"
                row[key] = cell
            yield pos, start, row
    except csv.Error as exc:
        raise ParseError(
            f"malformed CSV: {exc}", path=path, line=reader.line_num or None,
            hint="check the quoting near that line (an unclosed quote, or a very long field)",
        ) from None


def _parquet_rows(source: Source) -> Iterator[tuple[int, None, dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq  # noqa: PLC0415 (optional dependency)
    except ImportError:
        raise ParseError(
            "reading Parquet needs pyarrow",
            path=source.path,
            hint="pip install 'paperatlas[parquet]'",
        ) from None
    pos = 0
    try:
        pf = pq.ParquetFile(io.BytesIO(source.data))
        batches = pf.iter_batches(batch_size=4096)
        for batch in batches:
            for row in batch.to_pylist():
                pos += 1
                yield pos, None, {k: jsonable(v) for k, v in row.items()}
    except ParseError:
        raise
    except Exception as exc:  # pyarrow raises many kinds (ArrowInvalid, OSError, ...)
        raise ParseError(
            f"cannot read the Parquet file ({type(exc).__name__}: {str(exc)[:200]})",
            path=source.path,
            record=pos + 1 if pos else None,
            hint="the file may be truncated; export it again",
        ) from None
