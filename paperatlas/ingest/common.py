"""Small helpers shared by the structured parsers: field values as text, lists, authors, years,
arXiv ids and DOIs from the many shapes sources give them, and the ParseError (or, with
--skip-bad, the warning) for a record without a title or a value that is not a record.
"""

from __future__ import annotations

import html
import math
import re
from datetime import date, datetime
from typing import Any

from ..errors import ParseError
from ..normalize import normalize_arxiv, normalize_doi
from ..normalize import split_authors as _split_plain
from .base import ParseContext

SKIP_HINT = "add a title, or pass --skip-bad to ingest the rest and skip damaged records"


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


# keys that only spell a name: an author object with more than these carries data of its own
NAME_KEYS = frozenset(
    {"name", "fullname", "full_name", "display_name", "author", "value", "first", "given",
     "first_name", "last", "family", "last_name", "literal", "suffix", "dropping-particle",
     "non-dropping-particle"}
)
_MARKS = " *\u2020\u2021\u00a7\u00b6\u2217"  # equal-contribution / corresponding-author marks


def clean_name(name: str) -> str:
    """One author name as text: HTML entities decoded (``K&#228;fer``), marks such as ``*`` and
    ``\u2020`` after the name dropped, whitespace collapsed."""
    if "&" in name:
        name = html.unescape(name)
    return " ".join(name.split()).strip(_MARKS)


def _author_name(item: Any) -> str:
    if isinstance(item, str):
        return clean_name(item)
    if isinstance(item, dict):
        for key in ("name", "fullname", "full_name", "display_name", "author", "value", "literal"):
            v = item.get(key)
            if isinstance(v, str) and v.strip():
                return clean_name(v)
        first = text_of(item.get("first") or item.get("given") or item.get("first_name") or "")
        last = text_of(item.get("last") or item.get("family") or item.get("last_name") or "")
        particle = text_of(item.get("non-dropping-particle") or "")
        return clean_name(" ".join(p for p in (first, particle, last) if p))
    if isinstance(item, (list, tuple)):  # arXiv's authors_parsed: [last, first, suffix]
        parts = [text_of(p).strip() for p in item]
        if len(parts) >= 2:
            return clean_name(" ".join(p for p in (parts[1], parts[0], *parts[2:]) if p))
        return clean_name(" ".join(p for p in parts if p))
    return clean_name(text_of(item))


# --- author strings -------------------------------------------------------------------------
# Separators inside brackets ("Jane Doe (MIT, CSAIL)") are hidden behind private-use characters
# while the string is split, so that an affiliation never splits a name.
_HIDE = {" ": "\ue000", ",": "\ue001", ";": "\ue002", "|": "\ue003", "&": "\ue004", "\u00b7": "\ue005"}
_SHOW = {v: k for k, v in _HIDE.items()}
_OPEN, _CLOSE = "([{", ")]}"
_STRONG = re.compile(r"[;\u00b7\u2022\u2219\u22c5]")
_AND_WORD = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)
_PARTICLES = frozenset(
    {"van", "von", "de", "der", "den", "da", "di", "del", "della", "des", "du", "la", "le", "dos",
     "das", "ter", "ten", "bin", "ibn", "al", "el", "st.", "mc", "zu"}
)
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "phd", "ph.d.", "md"})
# one way only to read each string (no nested repeats): linear on any input
_INITIALS = re.compile(r"^[A-Z][a-z]?\.(?:(?:\s+|-)?[A-Z][a-z]?\.)*$")
_NAME_CHARS = frozenset("'\u2019.-")


def _name_word(word: str) -> bool:
    """A word of a given name: "Jane", "J.", "Jean-Pierre", "C.-P.", "\u592a\u90ce"."""
    return (
        word[:1].isalpha()
        and not word[:1].islower()
        and all(c.isalpha() or c in _NAME_CHARS for c in word)
    )


def _hide_bracketed(text: str) -> str:
    out, depth = [], 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE and depth:
            depth -= 1
        elif depth:
            ch = _HIDE.get(ch, ch)
        out.append(ch)
    return "".join(out)


def _show(text: str) -> str:
    return "".join(_SHOW.get(ch, ch) for ch in text)


def _is_last_first(left: str, right: str) -> bool:
    """"Doe" + "Jane", "van Dam" + "J.": the two halves of one "Last, First" name."""
    last, given = left.split(), right.split()
    if not 1 <= len(last) <= 3 or not 1 <= len(given) <= 4 or right.lower() in _SUFFIXES:
        return False
    if any(w.lower() not in _PARTICLES for w in last[:-1]) or not last[-1][:1].isalpha():
        return False
    return all(_name_word(w) for w in given) and not any(c.isdigit() for c in left)


def _reorder(piece: str) -> str:
    """"Doe, Jane" -> "Jane Doe"; anything else as it is."""
    if piece.count(",") == 1:
        left, right = (p.strip() for p in piece.split(","))
        right = right.strip(_MARKS)
        if left and right and _is_last_first(left, right):
            return f"{right} {left}"
    return piece


def _comma_parts(text: str) -> list[str] | None:
    """Parts of a comma-only author string when they are "Last, First" names, else None."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 2:
        return [_reorder(text)] if _reorder(text) != text else None
    if len(parts) >= 4 and len(parts) % 2 == 0:  # "Bal'azs, C., Berger, E. L., Yuan, C.-P."
        pairs = [(s, g.strip(_MARKS)) for s, g in zip(parts[::2], parts[1::2])]
        if all(_INITIALS.match(g) and 1 <= len(s.split()) <= 3 for s, g in pairs):
            return [f"{g} {s}" for s, g in pairs]
    return None


def split_author_string(text: str) -> tuple[list[str], list[str | None]]:
    """Names and their affiliations from one author string: ``|``-, ``;``-, ``,``- or
    ``and``-separated; HTML entities decoded first; an affiliation in brackets after a name
    ("Jane Doe (MIT)") is the name's affiliation, not another author; "Doe, Jane" is one author
    ("Jane Doe") while "Jane Doe, John Roe" are two."""
    if "&" in text:
        text = html.unescape(text)
    text = _hide_bracketed(" ".join(text.split()))
    if not text:
        return [], []
    if "|" in text:
        parts = [_reorder(p.strip()) for p in text.split("|")]
    elif _STRONG.search(text):
        parts = [_reorder(p.strip()) for p in _STRONG.split(text)]
    else:
        chunks = _AND_WORD.split(text)
        if len(chunks) > 1 and all(c.count(",") == 1 and _reorder(c) != c for c in chunks):
            parts = [_reorder(c) for c in chunks]  # BibTeX style: "Doe, Jane and Roe, John"
        elif len(chunks) == 1 and (pairs := _comma_parts(text)) is not None:
            parts = pairs
        else:
            parts = _split_plain(text)
    names: list[str] = []
    affiliations: list[str | None] = []
    for part in parts:
        name, aff = _affiliation(_show(part).strip())
        name = clean_name(name).strip(",;")
        if any(c.isalnum() for c in name):
            names.append(name)
            affiliations.append(aff)
    return names, affiliations


def _affiliation(part: str) -> tuple[str, str | None]:
    """"Jane Doe (MIT)" -> ("Jane Doe", "MIT"); a name without a bracketed ending as it is."""
    s = part.rstrip(_MARKS)
    if not s.endswith((")", "]")):
        return part, None
    i = s.rfind("(" if s.endswith(")") else "[")
    aff, name = s[i + 1 : -1], s[:i].rstrip()
    if i <= 0 or any(c in aff for c in "()[]") or not name.strip(_MARKS + ",;"):
        return part, None
    return name, " ".join(aff.split()) or None


def authors_and_affiliations(value: Any) -> tuple[list[str], list[str | None]]:
    """``split_authors`` plus the affiliations an author string gives in brackets (None where
    it gives none), position for position."""
    if isinstance(value, str):
        return split_author_string(value)
    names = split_authors(value)
    return names, [None] * len(names)


def split_authors(value: Any) -> list[str]:
    """Authors from a list of names / {"name": ...} dicts / [last, first, suffix] lists, or from
    one string (see ``split_author_string``)."""
    if isinstance(value, str):
        return split_author_string(value)[0]
    if isinstance(value, (list, tuple)):
        return [n for n in (_author_name(x) for x in value) if n]
    if isinstance(value, dict):
        n = _author_name(value)
        return [n] if n else []
    return []


def author_details(value: Any) -> Any:
    """The author objects of a list when they say more than a name (ids, affiliations, ...),
    else None: what ``split_authors`` would otherwise drop."""
    if isinstance(value, (list, tuple)) and any(
        isinstance(x, dict) and any(k not in NAME_KEYS and x[k] not in (None, "", [], {}) for k in x)
        for x in value
    ):
        return value
    return None


_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)")


def year_of(value: Any) -> int | None:
    """The year in a number, a date, a date string, CSL's ``{"date-parts": [[2020, 5]]}`` (or its
    ``raw``/``literal`` forms), or the first element of a list of those."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value if 1800 <= value <= 2100 else None
    if isinstance(value, float):
        return int(value) if not math.isnan(value) and 1800 <= value <= 2100 else None
    if isinstance(value, (date, datetime)):
        return value.year
    if isinstance(value, dict):
        for key in ("date-parts", "date_parts", "value", "raw", "literal", "year"):
            if key in value:
                found = year_of(value[key])
                if found is not None:
                    return found
        return None
    if isinstance(value, (list, tuple)):
        return year_of(value[0]) if value else None
    m = _YEAR.search(text_of(value))
    return int(m.group(1)) if m else None


_ARXIV_ID = re.compile(r"^(?:arxiv:)?(\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(v\d+)?$", re.IGNORECASE)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/([^?#\s]+?)(?:\.pdf)?(?:[?#].*)?$", re.IGNORECASE)


def arxiv_id(value: str) -> str | None:
    """The unversioned arXiv id in an id, an ``arXiv:`` reference or an arxiv.org URL, else None."""
    value = value.strip()
    m = _ARXIV_URL.search(value)
    if m:
        value = m.group(1)
    m = _ARXIV_ID.match(value)
    return m.group(1) if m else normalize_arxiv(value)


def doi_of(value: str) -> str | None:
    """The DOI in a value (``https://doi.org/…``, ``doi:…``, TeX-escaped), normalised."""
    return normalize_doi(value)


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
