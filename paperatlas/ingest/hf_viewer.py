"""Hugging Face dataset-viewer tables, copied as text.

The copy starts with one block per column: the column name, its dtype ("stringlengths",
"stringclasses", "int64", ...) and its statistics (min / max lengths, "3 values", ...)::

    title
    stringlengths
    19
    143
    url
    ...

then the rows, one cell per line, in column order. Column names are read from the header, the
usual ones are mapped onto Record fields and the others kept in ``Record.extra``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Source

NAME = "hf_viewer"
DESCRIPTION = "Hugging Face dataset-viewer text (column / dtype / stats header, then one cell a line)"

_DTYPE = re.compile(
    r"^(?:large_)?(?:string|int\d*|uint\d*|float\d*|bool|list|sequence|dict|struct|"
    r"timestamp(?:\[[^\]]*\])?|date\d*|time\d*|null|binary|image|audio|decimal\S*)"
    r"(?:lengths|classes|values|date)?$"
)
_STAT = re.compile(r"^(?:-?[\d.,]+(?:e[+-]?\d+)?[kKMBGT]?%?|\d[\d,]* (?:values|classes)|null|"
                   r"\d{4}-\d{2}-\d{2}[\dT:. -]*)$")  # fmt: skip
_STATS_BY_SUFFIX = {"lengths": 2, "classes": 1, "values": 1, "date": 2}
_VENUE_YEAR = re.compile(r"^(?P<venue>.*?\S)\s+(?P<year>(?:19|20)\d{2})$")
_NULLS = {"", "null", "None", "NaN"}


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str


def sniff(source: Source) -> int:
    try:
        columns, _ = read_header(source.head.splitlines())
        return 90 if len(columns) >= 2 else 40 if columns else 0
    except Exception:  # noqa: BLE001 - sniffing never raises
        return 0


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    lines = source.lines()
    columns, start = read_header(lines)
    if not columns:
        raise ParseError(
            "no dataset-viewer header (column name, dtype, stats) found",
            path=source.path,
            line=1,
            hint="copy the viewer table including its column headers, or pick the right --format",
        )
    end = len(lines)
    while end > start and not lines[end - 1].strip():
        end -= 1
    width = len(columns)
    complete = start + (end - start) // width * width
    if complete < end:
        ctx.warn(
            f"line {complete + 1}: skipped the last row, it has {end - complete} of {width} cells"
            " (file truncated?)"
        )
    url_columns = _url_columns(lines, columns, start, complete)
    for position, first in enumerate(range(start, complete, width), 1):
        cells = [lines[first + k].strip() for k in range(width)]
        _check_row(cells, columns, url_columns, source.path, first, position)
        yield _record(dict(zip((c.name for c in columns), cells)), position, first + 1, ctx)


def read_header(lines: list[str]) -> tuple[list[Column], int]:
    """The columns the header names and the index of the first row line."""
    columns: list[Column] = []
    i = 0
    while i + 1 < len(lines) and _DTYPE.match(lines[i + 1].strip()):
        name, dtype = lines[i].strip(), lines[i + 1].strip()
        if not name or _DTYPE.match(name):
            break
        columns.append(Column(name, dtype))
        i += 2
        suffix = next((s for s in _STATS_BY_SUFFIX if dtype.endswith(s)), None)
        wanted = _STATS_BY_SUFFIX[suffix] if suffix else 2
        while wanted and i < len(lines) and _STAT.match(lines[i].strip()):
            if i + 1 < len(lines) and _DTYPE.match(lines[i + 1].strip()):
                break  # this line is the next column's name
            i, wanted = i + 1, wanted - 1
    return columns, i


def _url_columns(lines: list[str], columns: list[Column], start: int, end: int) -> list[int]:
    """Columns whose first-row cell is a URL: every row must have a URL (or nothing) there."""
    if end <= start:
        return []
    return [k for k in range(len(columns)) if lines[start + k].strip().startswith("http")]


def _check_row(
    cells: list[str], columns: list[Column], url_columns: list[int], path: str, first: int, pos: int
) -> None:
    for k in url_columns:
        if cells[k] not in _NULLS and not cells[k].startswith("http"):
            raise ParseError(
                f"row {pos}: column {columns[k].name!r} should hold a URL but holds {cells[k][:50]!r}",
                path=path,
                line=first + k + 1,
                record=pos,
                hint="a cell is missing or spans lines above this row; copy the table again "
                "(one cell a line, in the header's column order)",
            )


def _record(row: dict[str, str], position: int, line: int, ctx: ParseContext) -> Record:
    rec = Record(position=position, line=line)
    for name, value in row.items():
        if value in _NULLS:
            continue
        setter = _FIELDS.get(name.strip().lower().replace(" ", "_"))
        if setter:
            setter(rec, value)
        else:
            rec.extra[name] = value
    rec.venue = rec.venue or ctx.venue
    rec.year = rec.year or ctx.year
    rec.track = rec.track or ctx.track
    rec.session = rec.session or ctx.session
    if not rec.title:
        rec.warn("no title")
    return rec


def split_list(value: str) -> list[str]:
    """A JSON list cell, or ``;``-separated, or ``,``-separated text."""
    if value.startswith("["):
        try:
            items = json.loads(value)
            if isinstance(items, list):
                return [str(x).strip() for x in items if str(x).strip()]
        except ValueError:
            pass
    sep = ";" if ";" in value else ","
    return [x.strip() for x in value.split(sep) if x.strip()]


def _set_tags(rec: Record, value: str) -> None:
    """``"ICLR 2021,Poster"`` -> venue ICLR, year 2021, track Poster; other tags -> keywords."""
    for tag in split_list(value):
        m = _VENUE_YEAR.match(tag)
        if m and rec.venue is None:
            rec.venue, rec.year = m["venue"], int(m["year"])
        elif rec.track is None:
            rec.track = tag
        else:
            rec.keywords.append(tag)


def _set_venue(rec: Record, value: str) -> None:
    m = _VENUE_YEAR.match(value)
    rec.venue = m["venue"] if m else value
    if m and rec.year is None:
        rec.year = int(m["year"])


def _set_year(rec: Record, value: str) -> None:
    m = re.match(r"^\s*((?:19|20)\d{2})", value)
    if m:
        rec.year = int(m.group(1))
    else:
        rec.extra["year"] = value


def _set_url(rec: Record, value: str) -> None:
    rec.links["forum" if "openreview.net/forum" in value else "site"] = value


def _link(kind: str) -> Callable[[Record, str], None]:
    def set_link(rec: Record, value: str) -> None:
        rec.links[kind] = value

    return set_link


def _text(attr: str) -> Callable[[Record, str], None]:
    def set_text(rec: Record, value: str) -> None:
        setattr(rec, attr, value)

    return set_text


def _set_authors(rec: Record, value: str) -> None:
    rec.authors = split_list(value)


def _set_keywords(rec: Record, value: str) -> None:
    rec.keywords.extend(split_list(value))


def _set_code(rec: Record, value: str) -> None:
    rec.code_urls.extend(split_list(value))


_FIELDS: dict[str, Callable[[Record, str], None]] = {
    "title": _text("title"),
    "paper_title": _text("title"),
    "abstract": _text("abstract"),
    "summary": _text("abstract"),
    "authors": _set_authors,
    "author": _set_authors,
    "author_names": _set_authors,
    "tags": _set_tags,
    "venue": _set_venue,
    "conference": _set_venue,
    "year": _set_year,
    "track": _text("track"),
    "decision": _text("track"),
    "session": _text("session"),
    "keywords": _set_keywords,
    "keyword": _set_keywords,
    "url": _set_url,
    "forum": _link("forum"),
    "forum_url": _link("forum"),
    "detail_url": _link("detail"),
    "pdf": _link("pdf"),
    "pdf_url": _link("pdf"),
    "arxiv_url": _link("arxiv"),
    "doi": _link("doi"),
    "code": _set_code,
    "code_url": _set_code,
    "github": _set_code,
    "id": _text("record_id"),
    "paper_id": _text("record_id"),
}
