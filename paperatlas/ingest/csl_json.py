"""CSL-JSON: Zotero's "CSL JSON" export, what citeproc-js / pandoc / Manubot read and write, and
paperatlas's own ``export --format csl``. A JSON array of items (or an object with an ``items``
list, or Crossref's ``{"message": {"items": [...]}}``; JSON Lines of items are read too).

Mapping: ``title``; ``author`` [{given, family, literal, particles, suffix}] to display names;
year from ``issued`` (``date-parts``, else ``raw`` / ``literal``; Crossref's ``published-print``
/ ``published-online`` when there is no ``issued``); venue ``container-title`` (else
``event-title`` / ``event``); ``DOI``, ``URL``, ``abstract``, ``keyword``; arXiv ids from the DOI
(10.48550/arXiv.…), the URL, ``note`` (Zotero's Extra and Manubot write "arXiv: …" there) and
``number`` / ``archive_location`` of arXiv items; ``genre`` as the track (paperatlas's own export
writes the track there); ``id`` (else ``citation-key``) as the record id. CSL rich-text markup
(``<i>``, ``<sup>``, ``<span class="nocase">``) and Crossref's JATS tags are taken out of titles
and abstracts. Every other field is kept in ``extra``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import ParseError
from ..models import Record
from ..normalize import extract_ids, latex_to_text, normalize_arxiv, normalize_doi
from .base import ParseContext, Source
from .common import bad_record, jsonable, missing_title, split_list, text_of, year_of
from .json_scan import JSON_HINT, is_jsonl, iter_json_document, iter_jsonl

NAME = "csl_json"
DESCRIPTION = "CSL-JSON (Zotero's CSL JSON export, citeproc, pandoc, Manubot; also Crossref works JSON)"

LIST_KEYS = ("items", "references", "citationItems")

# --------------------------------------------------------------------------------------------
# sniff: only CSL-shaped JSON scores above the generic records parser (70-85)

_DATE_PARTS = re.compile(r'"(?:issued|published-print|published-online)"\s*:\s*\{\s*"(?:date-parts|raw|literal)"')
_CONTAINER = re.compile(r'"container-title"\s*:')
_CSL_NAME = re.compile(r'"(?:author|editor)"\s*:\s*\[\s*\{[^\[\]]{0,600}?"(?:family|given|literal)"\s*:')
_CITATION_KEY = re.compile(r'"citation-key"\s*:')
_CSL_TYPE = re.compile(
    r'"type"\s*:\s*"(?:article-journal|paper-conference|article-magazine|article-newspaper|'
    r'entry-encyclopedia|entry-dictionary|post-weblog|review-book|personal_communication|'
    r'legal_case|motion_picture|musical_score|chapter|thesis|report|webpage|manuscript)"'
)


def sniff(source: Source) -> int:
    try:
        head = source.head
        stripped = head.lstrip()
        if not stripped or stripped[0] not in "[{":
            return 0
        signals = sum(
            1 for pattern in (_DATE_PARTS, _CONTAINER, _CSL_NAME, _CITATION_KEY, _CSL_TYPE) if pattern.search(head)
        )
        if signals >= 3:
            return 95
        if signals == 2:
            return 92
        return 40 if signals == 1 else 0
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


# --------------------------------------------------------------------------------------------
# parse


def _items(text: str, path: str) -> Iterator[tuple[int, int | None, Any]]:
    stripped = text.lstrip()
    if not stripped:
        return
    if stripped[0] == "{" and is_jsonl(stripped):
        yield from iter_jsonl(text, path)
        return
    if stripped[0] not in "[{":
        raise ParseError(
            "not CSL-JSON: the file does not start with '[' or '{'",
            path=path,
            line=1,
            hint="a CSL-JSON file is a JSON array of items, e.g. Zotero's Export > CSL JSON",
        )
    for pos, line, item in iter_json_document(text, path, list_keys=LIST_KEYS):
        message = item.get("message") if isinstance(item, dict) else None
        if pos == 1 and isinstance(message, dict):  # Crossref's REST API: {"message": {...}}
            works = message.get("items")
            if isinstance(works, list):
                yield from ((i, None, w) for i, w in enumerate(works, 1))
            else:
                yield 1, line, message
            return
        if pos == 1 and _keyed(item):  # {"key1": {item}, "key2": {item}}: items keyed by their id
            for i, (key, value) in enumerate(item.items(), 1):
                yield i, None, ({"id": key, **value} if "id" not in value else value)
            return
        yield pos, line, item


def _keyed(obj: Any) -> bool:
    """An object of CSL items keyed by id (no title of its own, every value an item)."""
    return (
        isinstance(obj, dict)
        and bool(obj)
        and "title" not in obj
        and all(isinstance(v, dict) and ("title" in v or "type" in v) for v in obj.values())
    )


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    path = source.path
    text = source.text()
    items = _items(text, path)
    while True:
        try:
            pos, line, item = next(items)
        except StopIteration:
            return
        except RecursionError:
            raise ParseError("the JSON is nested too deeply", path=path, hint="is it the right file?") from None
        except ParseError:
            raise
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            raise ParseError(f"the JSON cannot be read: {exc}", path=path, hint=JSON_HINT) from None
        if not isinstance(item, dict):
            bad_record(ctx, pos, line, path, f"a JSON {_json_type(item)}, not a CSL item (an object)")
            continue
        rec = item_record(item)
        rec.position, rec.line = pos, line
        if not rec.title:
            missing_title(ctx, pos, line, path, rec.record_id)
            continue
        yield rec


def _json_type(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(type(value), "number")


# --------------------------------------------------------------------------------------------
# fields

_MARKUP = re.compile(
    r"</?((?:jats:)?[A-Za-z][\w.\-]*)(?:\s[^<>]{0,300})?/?>",
)
_INLINE = {"i", "b", "em", "strong", "sup", "sub", "sc", "span", "u", "tt", "bold", "italic", "a",
           "inline-formula", "monospace", "underline", "small-caps", "xref", "ext-link"}
_BLOCK = {"p", "br", "div", "sec", "title", "abstract", "list", "list-item", "label"}


def _tag(m: re.Match[str]) -> str:
    name = m.group(1).lower().removeprefix("jats:")
    if name in _INLINE:
        return ""
    if name in _BLOCK:
        return " "
    return m.group(0)


def strip_markup(text: str) -> str:
    """CSL rich text (``<i>``, ``<sup>``, ``<span class="nocase">``) and JATS (``<jats:p>``) as
    plain text; entities (``&amp;``) decoded only where there was markup. Anything else that looks
    like a tag ("a <b and c> d" aside) stays as written."""
    if "<" not in text:
        return text
    plain = _MARKUP.sub(_tag, text)
    return html.unescape(plain).strip() if plain != text else text


def _string(value: Any) -> str:
    """A text field; Crossref writes some as one-element lists (``"title": ["…"]``)."""
    if isinstance(value, list):
        for v in value:
            s = text_of(v).strip()
            if s:
                return s
        return ""
    return text_of(value).strip()


def _plain(text: str) -> str:
    return latex_to_text(text) if "\\" in text or "{" in text else " ".join(text.split())


def csl_name(value: Any) -> str:
    """A CSL name object as one display name ("Given non-dropping-particle Family, Suffix")."""
    if isinstance(value, str):
        name = _plain(value)
        if "," in name:  # "Family, Given"
            family, _, given = name.partition(",")
            return " ".join(p for p in (given.strip(), family.strip()) if p)
        return name
    if not isinstance(value, dict):
        return ""
    literal = _string(value.get("literal"))
    if literal:
        return _plain(literal)
    parts = [
        _string(value.get(key))
        for key in ("given", "dropping-particle", "non-dropping-particle", "family", "suffix")
    ]
    return _plain(" ".join(p for p in parts if p))


def csl_year(value: Any) -> int | None:
    """The year of a CSL date: ``date-parts`` [[2021, 5, 9]] (numbers or strings), else ``raw`` /
    ``literal`` / ``season`` text; also a bare string or number and the old ``[{"year": …}]``."""
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            first = parts[0][0]
            if isinstance(first, (int, float, str)) and not isinstance(first, bool):
                year = year_of(first)
                if year:
                    return year
        for key in ("raw", "literal", "year"):
            year = year_of(text_of(value.get(key)))
            if year:
                return year
        return None
    if isinstance(value, list):
        for v in value[:3]:
            if isinstance(v, dict):
                year = csl_year(v)
                if year:
                    return year
        return None
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return year_of(value)
    return None


_ARXIV_TEXT = re.compile(r"\barxiv\b", re.IGNORECASE)
_CONFERENCE_TYPES = {"paper-conference", "article", "article-journal", "speech", ""}
_MAPPED = {
    "title", "author", "issued", "container-title", "event-title", "event", "DOI", "URL", "abstract",
    "keyword", "id", "citation-key", "genre", "_key",
}


def _link_kind(url: str) -> str:
    lower = url.lower()
    if "arxiv.org/" in lower:
        return "arxiv"
    if "doi.org/" in lower and normalize_doi(url):
        return "doi"
    if lower.endswith(".pdf"):
        return "pdf"
    return "site"


def _arxiv(item: dict[str, Any], doi_raw: str, url: str, note: str) -> str | None:
    found = extract_ids(doi_raw, url, note).get("arxiv")
    if found:
        return found
    # an arXiv item: the id is its number (Manubot) or archive_location (Zotero)
    where = " ".join(_string(item.get(k)) for k in ("container-title", "publisher", "archive", "source"))
    if _ARXIV_TEXT.search(where):
        for key in ("number", "archive_location"):
            value = _string(item.get(key))
            found = normalize_arxiv(value) if value else None
            if found:
                return found
    return None


def item_record(item: dict[str, Any]) -> Record:
    """One CSL item as a Record (position and line are the caller's)."""
    rec = Record()
    rec.title = strip_markup(_string(item.get("title")))
    authors = item.get("author")
    names: Iterable[Any] = authors if isinstance(authors, list) else [authors] if authors else []
    rec.authors = list(dict.fromkeys(n for n in (csl_name(a) for a in names) if n))
    rec.year = csl_year(item.get("issued"))
    if rec.year is None and "issued" not in item:
        for key in ("published-print", "published-online", "published"):
            rec.year = csl_year(item.get(key))
            if rec.year:
                break
    venue = _string(item.get("container-title")) or _string(item.get("event-title"))
    if not venue and isinstance(item.get("event"), str):
        venue = _string(item.get("event"))
    rec.venue = strip_markup(_plain(venue)) or None
    rec.abstract = strip_markup(_string(item.get("abstract")))
    rec.keywords = list(dict.fromkeys(split_list(_string(item.get("keyword")), ";,")))
    # "_key": the key of an item in an object of items keyed by id, as json_scan names it
    rec.record_id = _string(item.get("id")) or _string(item.get("citation-key")) or _string(item.get("_key")) or None
    genre = _string(item.get("genre"))
    if genre and _string(item.get("type")) in _CONFERENCE_TYPES:
        rec.track = genre

    doi_raw, url, note = _string(item.get("DOI")), _string(item.get("URL")), _string(item.get("note"))
    if url:
        rec.links[_link_kind(url)] = url
    doi = normalize_doi(doi_raw) if doi_raw else None
    doi = doi or extract_ids(note).get("doi") or (normalize_doi(url) if _link_kind(url) == "doi" else None)
    if doi:
        rec.ids["doi"] = doi
        rec.links.setdefault("doi", "https://doi.org/" + doi)
    arxiv = _arxiv(item, doi_raw, url, note)
    if arxiv:
        rec.ids["arxiv"] = arxiv
        rec.links.setdefault("arxiv", "https://arxiv.org/abs/" + arxiv)

    extra = {k: v for k, v in item.items() if k not in _MAPPED}
    if genre and not rec.track:
        extra["genre"] = genre
    rec.extra = jsonable(extra)
    return rec
