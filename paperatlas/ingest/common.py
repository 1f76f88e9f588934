"""Small helpers shared by the structured parsers: field values as text, lists, authors, years,
arXiv ids and DOIs from the many shapes sources give them, and the ParseError (or, with
--skip-bad, the warning) for a record without a title or a value that is not a record.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from ..errors import ParseError
from ..normalize.ids import normalize_arxiv, normalize_doi
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
