"""Damaged input never crashes a parser: for every registered parser, ``sniff`` never raises (and
returns 0-100) and ``parse`` raises nothing but ``ParseError``, on random bytes and text, mutated
valid samples, JSON-ish structures and huge single lines. ``Source.from_bytes`` on data that starts
like gzip raises only ``ParseError``.

Every parser in the registry is covered, whoever wrote it: a failure names the parser and the input.
"""

from __future__ import annotations

import gzip
import json
import os
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperatlas.errors import ParseError
from paperatlas.ingest import registry
from paperatlas.ingest.base import ParseContext, Source

PARSERS = registry.parsers()
DATA = Path(__file__).parent / "data"
SAMPLES = sorted(
    p.read_bytes()[:16384]
    for sub in ("structured", "seeds")
    if (DATA / sub).is_dir()
    for p in sorted((DATA / sub).iterdir())
    if p.is_file() and p.suffix != ".md"
)
# names that steer parsers that look at the path (file-name venues, .tsv, ...)
PATHS = st.sampled_from(["x", "iclr2021.json", "papers.tsv", "refs.bib", "feed.xml", "data.jsonl"])
# PAPERATLAS_FUZZ_EXAMPLES=5000 for a longer hunt
FUZZ = settings(
    max_examples=int(os.environ.get("PAPERATLAS_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def exercise(data: bytes, path: str = "x") -> None:
    """Sniff and parse ``data`` with every parser; fail naming the parser on anything but ParseError."""
    source = Source(path=path, data=data)
    for name, parser in sorted(PARSERS.items()):
        try:
            score = parser.sniff(source)
        except Exception:  # noqa: BLE001
            raise AssertionError(
                f"{name}.sniff raised on {data[:300]!r} (path {path!r}):\n{traceback.format_exc()}"
            ) from None
        assert isinstance(score, int) and 0 <= score <= 100, f"{name}.sniff returned {score!r}"
        try:
            for rec in parser.parse(source, ParseContext(path="x")):
                assert rec.position >= 1 or rec.position == 0
        except ParseError:
            pass
        except Exception:  # noqa: BLE001
            raise AssertionError(
                f"{name}.parse raised on {data[:300]!r} (path {path!r}):\n{traceback.format_exc()}"
            ) from None
    try:
        registry.detect(source)
    except ParseError:
        pass


def test_registry_has_parsers():
    assert len(PARSERS) >= 5
    assert SAMPLES


@FUZZ
@given(data=st.binary(max_size=3000), path=PATHS)
def test_random_bytes(data, path):
    exercise(data, path)


@FUZZ
@given(text=st.text(max_size=2000), path=PATHS)
def test_random_text(text, path):
    exercise(text.encode("utf-8", "surrogatepass"), path)


# --- mutations of valid samples -----------------------------------------------------------------

_JUNK = st.sampled_from(
    list("{}[]()\",:;@#%=\\\n\t <>/&'") + ["\x00", "\ufeff", "é", "null", "}}", "]]", "@misc{", "<entry>",
                                           '"title":', "Total: 3", "\r\n"]
) | st.text(max_size=8)


@st.composite
def mutated(draw):
    data = draw(st.sampled_from(SAMPLES))
    text = data.decode("utf-8", "replace")
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "insert", "delete", "duplicate", "swap", "replace"]))
        n = len(text)
        at = draw(st.integers(0, n))
        if op == "truncate":
            text = text[:at]
        elif op == "insert":
            text = text[:at] + draw(_JUNK) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 50)) :]
        elif op == "replace":
            ch = draw(st.sampled_from(list("{}[]\",:@")))
            text = text[:at] + ch + text[at + 1 :]
        else:
            lines = text.split("\n")
            if len(lines) > 1:
                i = draw(st.integers(0, len(lines) - 1))
                j = draw(st.integers(0, len(lines) - 1))
                if op == "duplicate":
                    lines.insert(j, lines[i])
                else:
                    lines[i], lines[j] = lines[j], lines[i]
                text = "\n".join(lines)
    return text.encode("utf-8", "surrogatepass")


@FUZZ
@given(data=mutated(), path=PATHS)
def test_mutated_samples(data, path):
    exercise(data, path)


@FUZZ
@given(data=st.sampled_from(SAMPLES), cut=st.integers(0, 16384))
def test_truncated_bytes_of_samples(data, cut):
    exercise(data[:cut])  # may cut inside a multi-byte character


# --- JSON-ish structures ------------------------------------------------------------------------

KEYS = st.sampled_from([
    "title", "Title", "name", "authors", "author", "abstract", "id", "forum", "content", "notes",
    "papers", "data", "rows", "row", "row_idx", "status", "track", "site", "pdf", "github", "year",
    "venue", "venueid", "keywords", "links", "ids", "counters", "flags", "code_urls", "value",
    "invitation", "details", "directReplies", "decision", "doi", "arxiv", "openreview", "count",
]) | st.text(max_size=6)
SCALARS = (
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30) | st.sampled_from(["2021", "ICLR 2024 poster", "/pdf/x.pdf", "a;b", "A and B"])
)
JSONISH = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)


@FUZZ
@given(value=JSONISH, shape=st.sampled_from(["plain", "list", "notes", "papers", "jsonl"]), path=PATHS)
def test_jsonish_structures(value, shape, path):
    if shape == "list":
        value = [value, value]
    elif shape == "notes":
        value = {"notes": [value], "count": 1}
    elif shape == "papers":
        value = {"papers": [value]}
    if shape == "jsonl":
        items = value if isinstance(value, list) else [value, value]
        text = "\n".join(json.dumps(v) for v in items)
    else:
        text = json.dumps(value, indent=1)
    exercise(text.encode("utf-8", "surrogatepass"), path)


@FUZZ
@given(rows=st.lists(st.dictionaries(KEYS, SCALARS, min_size=1, max_size=5), min_size=1, max_size=4))
def test_record_like_json_arrays(rows):
    # shapes each parser claims: paperlists-like arrays, openreview notes, catalog-export lines
    exercise(json.dumps(rows).encode(), "iclr2021.json")
    exercise(json.dumps({"notes": [{"id": "a", "forum": "a", "content": r} for r in rows]}).encode())
    exercise("\n".join(json.dumps(r) for r in rows).encode(), "x.jsonl")


# --- huge single lines (built once) -------------------------------------------------------------

_MB5 = 5 * 1024 * 1024
HUGE = {
    "letters": b"a" * _MB5,
    "words": b"word " * (_MB5 // 5),
    "json-string": b'[{"title": "' + b"x" * _MB5 + b'", "status": "Poster"}]',
    "open-brackets": b"[" * 200_000,
    "open-braces": b'{"a":' * 200_000,
    "bibtex-open": b"@misc{k, title={" + b"{" * 100_000 + b"x" * _MB5,
    "xml-deep": b'<feed xmlns="http://www.w3.org/2005/Atom">' + b"<entry>" * 100_000,
    "csv-line": b"title,authors\n" + b'"' + b"y" * _MB5,
    "quotes": b'"' * _MB5,
}


@pytest.mark.parametrize("kind", sorted(HUGE))
def test_huge_single_lines(kind):
    exercise(HUGE[kind])


# --- gzip ---------------------------------------------------------------------------------------


@FUZZ
@given(tail=st.binary(max_size=500))
def test_gzip_magic_with_random_bytes(tail):
    try:
        Source.from_bytes("x.gz", b"\x1f\x8b" + tail)
    except ParseError:
        pass


@FUZZ
@given(data=st.sampled_from(SAMPLES), cut=st.integers(0, 4000), flip=st.integers(0, 4000))
def test_damaged_gzip_of_samples(data, cut, flip):
    raw = bytearray(gzip.compress(data))
    if flip < len(raw):
        raw[flip] ^= 0xFF
    try:
        source = Source.from_bytes("x.gz", bytes(raw[: max(cut, 2)]))
    except ParseError:
        return
    exercise(source.data)


def test_exercise_names_a_crashing_parser(monkeypatch):
    class Broken:
        NAME = "broken"
        DESCRIPTION = "raises a bare exception"

        @staticmethod
        def sniff(source):
            return 0

        @staticmethod
        def parse(source, ctx):
            raise ValueError("boom")
            yield  # pragma: no cover

    monkeypatch.setitem(PARSERS, "broken", Broken)
    with pytest.raises(AssertionError, match="broken.parse raised"):
        exercise(b"anything")
