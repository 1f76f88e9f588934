"""Generic paper records: JSON array / object with a list / JSONL / CSV / TSV / Parquet.

Field names are matched case-insensitively with common aliases (``paper_title``, ``author_names``,
``pdf_url``, ``github``, ...). An object of records keyed by their ids (``{"p1": {...}, ...}``) is
read as its records, and wrappers around records (``[{"conference": "ICLR", "year": 2020, "papers":
[...]}]``) as the records inside, with the wrapper's venue and year where a record has none (the
wrapper's fields kept in each record's ``extra["group"]``). Author strings split on ``|``, ``;``,
``,`` or ``and`` as they are written (see ``common.split_author_string``). The catalog's own JSONL
export reads back without loss of links, ids, counters, code URLs and flags; Hugging Face dataset
exports (JSONL, Parquet, the datasets server's ``{"rows": [{"row": {...}}]}``) are read the same
way.

The JSON helpers (positions and line numbers of array elements, JSON errors as ParseError) are
in ``json_scan``, the small value helpers in ``common`` and the field-name aliases in
``field_map``; they are shared by the ``paperlists``, ``openreview``, ``bibtex`` and
``arxiv_atom`` parsers, which import them from here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Source
from .common import (
    SKIP_HINT,
    arxiv_id,
    bad_record,
    doi_of,
    jsonable,
    missing_title,
    openreview_url,
    split_authors,
    split_list,
    text_of,
    year_of,
)
from .field_map import _ROLE, _norm_key, record_from_mapping
from .json_scan import (
    _DECODER,
    JSON_HINT,
    LIST_KEYS,
    decode_at,
    expand_groups,
    is_jsonl,
    iter_json_array,
    iter_json_document,
    iter_jsonl,
    json_error,
)

# The parser (NAME, DESCRIPTION, sniff, parse: registered by builtin.py), and the helpers that the
# other structured parsers import from this module.
__all__ = [
    "DESCRIPTION",
    "JSON_HINT",
    "LIST_KEYS",
    "NAME",
    "SKIP_HINT",
    "_DECODER",
    "arxiv_id",
    "bad_record",
    "decode_at",
    "doi_of",
    "expand_groups",
    "is_jsonl",
    "iter_json_array",
    "iter_json_document",
    "iter_jsonl",
    "json_error",
    "jsonable",
    "missing_title",
    "openreview_url",
    "parse",
    "record_from_mapping",
    "sniff",
    "split_authors",
    "split_list",
    "text_of",
    "year_of",
]

NAME = "records"
DESCRIPTION = (
    "paper records as JSON / JSONL / CSV / TSV / Parquet with common field names "
    "(also the catalog's own JSONL export and Hugging Face dataset exports)"
)


# --------------------------------------------------------------------------------------------
# sniff


_TITLE_KEY = re.compile(r'"(?:title|paper_title|papertitle|name)"\s*:', re.IGNORECASE)
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
    except Exception:  # noqa: BLE001 - sniff never raises
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
    from .paperlists import venue_from_path  # paperlists imports this module

    # a known venue in the file name (iclr2021.jsonl -> ICLR 2021) fills in, after what the user says
    venue, year = venue_from_path(path, known_only=True)
    venue, year = ctx.venue or venue, ctx.year or year
    for pos, line, item, group in expand_groups(items):
        if not isinstance(item, dict):
            bad_record(ctx, pos, line, path, f"a JSON {type(item).__name__}, not an object")
            continue
        rec = record_from_mapping(item, pos, line, split_cells=split_cells)
        if group:  # [{"venue": "ICLR", "year": 2020, "papers": [...]}]: the wrapper's venue and year
            wrapper = record_from_mapping(group, 0, None)
            rec.venue = rec.venue or wrapper.venue
            rec.year = rec.year or wrapper.year
            rec.extra["group"] = group
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
        import pyarrow.parquet as pq  # optional dependency
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
    except Exception as exc:  # noqa: BLE001 - pyarrow raises many kinds (ArrowInvalid, OSError, ...)
        raise ParseError(
            f"cannot read the Parquet file ({type(exc).__name__}: {str(exc)[:200]})",
            path=source.path,
            record=pos + 1 if pos else None,
            hint="the file may be truncated; export it again",
        ) from None
