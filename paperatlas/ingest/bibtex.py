"""BibTeX: ``@inproceedings{key, title = {...}, author = "A and B", ...}``.

A small hand-written reader (no dependency): braced and quoted values with nested braces, ``#``
concatenation, ``@string`` macros and month names, ``@comment`` / ``@preamble`` and free text
between entries (ignored). Titles lose their outer braces but keep inner LaTeX; "Last, First"
authors become "First Last".
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Any

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Source
from .records import arxiv_id, doi_of, missing_title, year_of

NAME = "bibtex"
DESCRIPTION = "BibTeX (.bib): @inproceedings / @article / @misc ... entries"

_ENTRY_START = re.compile(r"@[ \t]*([A-Za-z][\w\-]*)[ \t\r\n]*([{(])")
_LINE_START_ENTRY = re.compile(r"(?m)^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]")
_IDENT = re.compile(r"[^\s\"#%'(),={}]+")
_WS = re.compile(r"\s*")
_KEY = re.compile(r"[^\s,{}()=\"#%]*")
_AND = re.compile(r"\s+and\s+", re.I)
_MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May", "jun": "June",
    "jul": "July", "aug": "August", "sep": "September", "oct": "October", "nov": "November",
    "dec": "December",
}
_NOT_CLOSED = "the entry is not closed: unbalanced braces, or a truncated file"
_KNOWN_TYPES = {
    "article", "book", "booklet", "conference", "inbook", "incollection", "inproceedings", "manual",
    "mastersthesis", "misc", "phdthesis", "proceedings", "techreport", "unpublished", "online",
    "software", "dataset", "thesis", "report", "electronic", "patent", "www",
}


def sniff(source: Source) -> int:
    try:
        head = source.head
        stripped = head.lstrip()
        if not stripped or stripped[0] in "[{<":
            return 0
        m = _LINE_START_ENTRY.search(head)
        if not m:
            return 0
        entry = _ENTRY_START.match(head, head.index("@", m.start()))
        kind = entry.group(1).lower() if entry else ""
        known = kind in _KNOWN_TYPES or kind in ("string", "comment", "preamble")
        # first meaningful line: skip blank lines and %-comments
        for line in stripped.splitlines():
            s = line.strip()
            if s and not s.startswith("%"):
                first_is_entry = s.startswith("@")
                break
        else:
            first_is_entry = False
        if first_is_entry:
            return 90 if known else 70
        return 60 if known else 30
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


class _Reader:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.macros: dict[str, str] = {}

    def line(self, idx: int) -> int:
        return bisect.bisect_left(self.newlines, idx) + 1

    def error(self, msg: str, idx: int, hint: str = "", record: int | None = None) -> ParseError:
        return ParseError(
            msg,
            path=self.path,
            line=self.line(idx),
            record=record,
            hint=hint or "check the entry's braces and quotes near that line",
        )

    def skip_ws(self, idx: int) -> int:
        m = _WS.match(self.text, idx)
        assert m is not None  # the pattern matches the empty string
        return m.end()

    def balanced(self, idx: int, entry_start: int) -> int:
        """``idx`` is just after an opening ``{``: the index of its matching ``}``."""
        text = self.text
        depth = 1
        while True:
            o = text.find("{", idx)
            c = text.find("}", idx)
            if c < 0:
                raise self.error(
                    "unbalanced braces: a '{' is never closed",
                    entry_start,
                    "a '}' is missing in the entry that starts on this line (or the file is truncated)",
                )
            if 0 <= o < c:
                depth += 1
                idx = o + 1
            else:
                depth -= 1
                idx = c + 1
                if depth == 0:
                    return c

    def quoted(self, idx: int, entry_start: int) -> tuple[str, int]:
        """``idx`` is just after an opening ``"``: (content, index after the closing quote)."""
        text = self.text
        depth = 0
        i = idx
        n = len(text)
        while i < n:
            ch = text[i]
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth < 0:
                    raise self.error("unbalanced braces: a '}' without its '{' in a quoted value", i)
            elif ch == '"' and depth == 0 and text[i - 1] != "\\":
                return text[idx:i], i + 1
            elif ch == "\\":
                i += 1
            i += 1
        raise self.error("a quoted value is never closed", entry_start,
                         "a closing '\"' is missing in the entry that starts on this line")

    def value(self, idx: int, entry_start: int) -> tuple[str, int]:
        """A field value (parts joined by ``#``): (text, index after it)."""
        text = self.text
        parts: list[str] = []
        while True:
            idx = self.skip_ws(idx)
            ch = text[idx : idx + 1]
            if ch == "{":
                end = self.balanced(idx + 1, entry_start)
                parts.append(text[idx + 1 : end])
                idx = end + 1
            elif ch == '"':
                content, idx = self.quoted(idx + 1, entry_start)
                parts.append(content)
            elif ch and (ch.isalnum() or ch in "_-.:+/"):
                m = _IDENT.match(text, idx)
                assert m is not None  # ch, checked above, starts an identifier
                word = m.group(0)
                idx = m.end()
                if word.isdigit():
                    parts.append(word)
                else:
                    low = word.lower()
                    parts.append(self.macros.get(low) or _MONTHS.get(low) or word)
            elif not ch:
                raise self.error(_NOT_CLOSED, entry_start,
                                 "a '}' is missing at the end of the entry that starts on this line")
            else:
                raise self.error(f"unexpected {ch!r} where a field value should be", idx)
            idx = self.skip_ws(idx)
            if text[idx : idx + 1] == "#":
                idx += 1
                continue
            return "".join(parts), idx

    def entries(self) -> Iterator[tuple[int, str, str | None, list[tuple[str, str]]]]:
        """(start index, entry type, key, [(field, value)]) of each entry in the file."""
        text = self.text
        idx = 0
        while True:
            at = text.find("@", idx)
            if at < 0:
                return
            m = _ENTRY_START.match(text, at)
            if not m or "%" in text[text.rfind("\n", 0, at) + 1 : at]:  # not an entry, or %-commented
                idx = at + 1
                continue
            kind = m.group(1).lower()
            close = "}" if m.group(2) == "{" else ")"
            body = m.end()
            if kind in ("comment",):
                if m.group(2) == "{":
                    idx = self.balanced(body, at) + 1
                else:
                    end = text.find(")", body)
                    idx = end + 1 if end >= 0 else len(text)
                continue
            if kind == "preamble":
                if m.group(2) == "{":
                    idx = self.balanced(body, at) + 1
                else:
                    _, idx = self.value(body, at)
                    idx = self.skip_ws(idx) + 1
                continue
            fields, key, idx = self._fields(body, at, close, allow_key=kind != "string")
            if kind == "string":
                for name, value in fields:
                    self.macros[name.lower()] = value
                continue
            yield at, kind, key, fields

    def _fields(self, idx: int, at: int, close: str, allow_key: bool) -> tuple[list[tuple[str, str]], str | None, int]:
        text = self.text
        key: str | None = None
        idx = self.skip_ws(idx)
        if allow_key:
            m = _KEY.match(text, idx)
            assert m is not None  # the pattern matches the empty string
            after = self.skip_ws(m.end())
            if text[after : after + 1] in (",", close) and m.group(0):
                key = m.group(0)
                idx = after + 1 if text[after] == "," else after
            elif text[after : after + 1] == "," and not m.group(0):  # "@misc{, title=...}"
                idx = after + 1
        fields: list[tuple[str, str]] = []
        while True:
            idx = self.skip_ws(idx)
            ch = text[idx : idx + 1]
            if ch == close:
                return fields, key, idx + 1
            if ch == ",":
                idx += 1
                continue
            if not ch:
                raise self.error(_NOT_CLOSED, at,
                                 "a '}' is missing at the end of the entry that starts on this line")
            if ch == "@":
                raise self.error("the entry is not closed before the next '@' entry", at,
                                 "a '}' or ',' is missing in the entry that starts on this line")
            m = _IDENT.match(text, idx)
            if not m:
                raise self.error(f"unexpected {ch!r} where a field name should be", idx)
            name = m.group(0).lower()
            idx = self.skip_ws(m.end())
            if text[idx : idx + 1] != "=":
                raise self.error(f"field {name!r} has no '=' and value", idx)
            value, idx = self.value(idx + 1, at)
            fields.append((name, value))
            idx = self.skip_ws(idx)
            ch = text[idx : idx + 1]
            if ch not in (",", close):
                if not ch:
                    raise self.error(_NOT_CLOSED, at,
                                     "a '}' is missing at the end of the entry that starts on this line")
                raise self.error(f"expected ',' or '{close}' after the value of {name!r}", idx)


def _strip_outer_braces(value: str) -> str:
    value = value.strip()
    while len(value) >= 2 and value[0] == "{" and value[-1] == "}":
        depth = 0
        for i, ch in enumerate(value):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0 and i != len(value) - 1:
                    return value  # "{A} and {B}": the first brace closes early
        value = value[1:-1].strip()
    return value


def _split_depth0(value: str, pattern: re.Pattern[str]) -> list[str]:
    """Split on a pattern only where it is outside braces."""
    if "{" not in value:
        return pattern.split(value)
    parts, depth, last = [], 0, 0
    spans = [(m.start(), m.end()) for m in pattern.finditer(value)]
    depth_at = []
    for ch in value:
        depth_at.append(depth)
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
    for s, e in spans:
        if depth_at[s] == 0:
            parts.append(value[last:s])
            last = e
    parts.append(value[last:])
    return parts


_COMMA = re.compile(",")


def _author(name: str) -> str:
    name = " ".join(name.split())
    pieces = [p.strip() for p in _split_depth0(name, _COMMA)]
    if len(pieces) == 2 and pieces[1]:
        name = f"{pieces[1]} {pieces[0]}"
    elif len(pieces) >= 3:  # "von Last, Jr, First"
        name = f"{pieces[2]} {pieces[0]} {pieces[1]}"
    name = name.strip()
    return _strip_outer_braces(name) if name.startswith("{") else name


def authors_of(value: str) -> list[str]:
    out = []
    for part in _split_depth0(value.strip(), _AND):
        part = part.strip()
        if part and part.lower() != "others":
            a = _author(part)
            if a:
                out.append(a)
    return out


def _record(kind: str, key: str | None, fields: list[tuple[str, str]], pos: int, line: int) -> Record:
    f: dict[str, str] = {}
    for name, value in fields:
        f.setdefault(name, value)
    rec = Record(position=pos, line=line, record_id=key or None)
    rec.title = _strip_outer_braces(f.get("title", ""))
    rec.authors = authors_of(f.get("author", ""))
    rec.abstract = _strip_outer_braces(f.get("abstract", ""))
    venue = f.get("booktitle") or f.get("journal") or f.get("journaltitle") or ""
    rec.venue = _strip_outer_braces(venue) or None
    rec.year = year_of(f.get("year") or f.get("date") or "")
    kw = f.get("keywords") or f.get("keyword") or ""
    sep = ";" if ";" in kw else ","
    rec.keywords = [k.strip() for k in kw.split(sep) if k.strip()]
    url = f.get("url", "").strip()
    if url:
        rec.links["site"] = url
        if "openreview.net/forum" in url:
            rec.links["forum"] = url
    pdf = f.get("pdf", "").strip()
    if pdf:
        rec.links["pdf"] = pdf
    doi = doi_of(f.get("doi", ""))
    if doi:
        rec.ids["doi"] = doi
        rec.links["doi"] = "https://doi.org/" + doi
    eprint = f.get("eprint", "").strip()
    prefix = (f.get("archiveprefix") or f.get("eprinttype") or "").strip().lower()
    if eprint and prefix in ("", "arxiv"):
        aid = arxiv_id(eprint)
        if aid:
            rec.ids["arxiv"] = aid
            rec.links["arxiv"] = "https://arxiv.org/abs/" + aid
    for name in ("code", "github", "code_url"):
        if f.get(name, "").strip():
            rec.code_urls.append(f[name].strip())
    used = {"title", "author", "abstract", "booktitle", "journal", "journaltitle", "year", "keywords",
            "keyword", "url", "pdf", "doi", "code", "github", "code_url"}
    extra: dict[str, Any] = {"entry_type": kind}
    for name, value in fields:
        if name not in used and name not in extra:
            extra[name] = value
    rec.extra = extra
    return rec


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    reader = _Reader(source.text(), source.path)
    pos = 0
    for at, kind, key, fields in reader.entries():
        pos += 1
        line = reader.line(at)
        rec = _record(kind, key, fields, pos, line)
        if not rec.title:
            missing_title(ctx, pos, line, source.path, rec.record_id)
            continue
        yield rec
