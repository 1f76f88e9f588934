"""JSON helpers shared by the structured parsers (``records``, ``paperlists``, ``openreview``).

Listings are big and often damaged (a truncated copy, a stray comma), so documents are read
element by element rather than with one ``json.loads``: each record keeps its position and line
number, and a syntax error becomes a ParseError that names the line to look at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Iterator
from typing import Any

from ..errors import ParseError
from .field_map import _has_title

JSON_HINT = "the JSON is damaged (truncated copy?); check the file near that line"

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
LIST_KEYS = ("papers", "data", "records", "items", "rows", "results", "entries", "hits", "notes")
# the list in a wrapper around records: [{"venue": "ICLR", "year": 2020, "submissions": [...]}]
GROUP_KEYS = ("submissions", "papers", "notes", "records", "items", "entries", "data", "results",
              "hits", "rows")


def _skip_ws(text: str, idx: int = 0) -> int:
    """The index of the first non-whitespace character at or after ``idx``."""
    m = _WS.match(text, idx)
    assert m is not None  # the pattern matches the empty string
    return m.end()


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

    __slots__ = ("idx", "line", "text")

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
) -> Generator[tuple[int, int, Any], None, int]:
    """(position, line, value) of each element of the JSON array whose ``[`` is at ``start``.

    Returns the end offset (just after ``]``) as the generator's return value.
    """
    lines = lines or _Lines(text)
    n = len(text)
    idx = _skip_ws(text, start + 1)
    if idx < n and text[idx] == "]":
        return idx + 1
    pos = 0
    while True:
        if idx >= n:
            raise _syntax(text, idx, path, "the array is not closed (truncated file?)")
        value, end = decode_at(text, idx, path)
        pos += 1
        yield pos, lines.at(idx), value
        idx = _skip_ws(text, end)
        ch = text[idx : idx + 1]
        if ch == ",":
            idx = _skip_ws(text, idx + 1)
        elif ch == "]":
            return idx + 1
        elif not ch:
            raise _syntax(text, idx, path, "the array is not closed (truncated file?)")
        else:
            raise _syntax(text, idx, path, "expected ',' or ']' between array elements")


def _check_end(text: str, end: int, path: str) -> None:
    idx = _skip_ws(text, end)
    if idx < len(text):
        raise _syntax(text, idx, path, "extra data after the end of the JSON document")


def is_record(obj: Any) -> bool:
    """A mapping that looks like one paper: a title field, or an OpenReview note's ``content``."""
    return isinstance(obj, dict) and (_has_title(obj) or isinstance(obj.get("content"), dict))


def is_keyed(obj: Any) -> bool:
    """A JSON object of records keyed by their ids ({"Syx4wnEtvH": {note}, ...}, a virtual
    conference site's papers.json) rather than one record."""
    return (
        isinstance(obj, dict)
        and bool(obj)
        and not _has_title(obj)
        and all(isinstance(v, dict) for v in obj.values())
        and any(is_record(v) for v in obj.values())
    )


def keyed_item(key: str, value: dict[str, Any]) -> dict[str, Any]:
    """A record of a keyed object, with its key as ``_key`` when no field of it repeats the key."""
    if any(isinstance(v, str) and v == key for v in value.values()):
        return value
    return {"_key": key, **value}


def group_items(item: Any) -> tuple[list[Any], dict[str, Any]] | None:
    """A wrapper around records (``{"venue": "NIPS.cc", "year": 2018, "submissions": [...]}``):
    (its records, its other fields); None for anything else."""
    if not isinstance(item, dict) or is_record(item):
        return None
    for key in GROUP_KEYS:
        inner = item.get(key)
        if (
            isinstance(inner, list)
            and all(isinstance(x, dict) for x in inner)
            and (not inner or any(is_record(x) for x in inner))
        ):
            return inner, {k: v for k, v in item.items() if k != key}
    return None


def expand_groups(
    items: Iterable[tuple[int, int | None, Any]],
) -> Iterator[tuple[int, int | None, Any, dict[str, Any]]]:
    """(position, line, item, group) for each record, the records of wrappers (see
    ``group_items``) in place of the wrappers, with the wrapper's other fields as ``group`` ({}
    for a record that is in no wrapper). Records inside a wrapper get the wrapper's line."""
    pos = 0
    for _, line, item in items:
        group = group_items(item)
        if group is None:
            pos += 1
            yield pos, line, item, {}
            continue
        inner, meta = group
        for x in inner:
            pos += 1
            yield pos, line, x, meta


def iter_json_document(
    text: str, path: str, list_keys: Iterable[str] = LIST_KEYS, meta: dict[str, Any] | None = None
) -> Generator[tuple[int, int | None, Any], None, None]:
    """(position, line, item) of the records of a JSON document: the elements of a top-level array,
    of the first list under one of ``list_keys`` in a top-level object (else of its only list of
    objects), the values of an object of records keyed by their ids (see ``is_keyed``), or the
    object itself as one record. ``meta`` receives the top-level object's other keys (once the
    iteration is done)."""
    start = _skip_ws(text)
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
    starts: dict[str, int] = {}
    idx = _skip_ws(text, start + 1)
    if text[idx : idx + 1] == "}":
        idx += 1
    else:
        while True:
            if text[idx : idx + 1] != '"':
                raise _syntax(text, idx, path, "expected a property name in double quotes")
            key, idx = decode_at(text, idx, path)
            idx = _skip_ws(text, idx)
            if text[idx : idx + 1] != ":":
                raise _syntax(text, idx, path, "expected ':' after a property name")
            idx = _skip_ws(text, idx + 1)
            if idx >= n:
                raise _syntax(text, idx, path, "the object is not closed (truncated file?)")
            if text[idx] == "[" and not found and key.lower() in wanted:
                found = True
                idx = yield from iter_json_array(text, idx, path, lines)
                obj[key] = []
            else:
                if text[idx] == "[":
                    lists.append((key, idx))
                starts[key] = idx
                obj[key], idx = decode_at(text, idx, path)
            idx = _skip_ws(text, idx)
            ch = text[idx : idx + 1]
            if ch == ",":
                idx = _skip_ws(text, idx + 1)
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
    if is_keyed(obj):
        for pos, (key, value) in enumerate(obj.items(), 1):
            yield pos, lines.at(starts[key]), keyed_item(key, value)
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


def json_items(text: str, path: str, refusal: str, hint: str, list_keys: Iterable[str] = LIST_KEYS,
               meta: dict[str, Any] | None = None) -> Iterator[tuple[int, int | None, Any]]:
    """(position, line, item) of a JSON parser's input: JSON Lines of objects, else a JSON document
    (``iter_json_document``); nothing for an empty file; ``ParseError(refusal)`` with ``hint``
    when the text starts with neither ``[`` nor ``{``."""
    stripped = text.lstrip()
    if not stripped:
        return iter(())
    if stripped[0] == "{" and is_jsonl(stripped):
        return iter_jsonl(text, path)
    if stripped[0] in "[{":
        return iter_json_document(text, path, list_keys=list_keys, meta=meta)
    raise ParseError(refusal, path=path, line=1, hint=hint)


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
