"""Plain lists of abstracts: paragraphs of prose separated by blank lines, with an optional
``Total: N`` header. Records have no title; matching them to papers is done by abstract.

::

    Total: 693

    While energy-based models (EBMs) exhibit a number of desirable properties, ...

    Traditional off-policy actor-critic Reinforcement Learning (RL) algorithms ...

A file with no blank lines at all is read as one abstract per line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Source

NAME = "abstracts"
DESCRIPTION = "abstracts only: paragraphs of prose separated by blank lines ('Total: N' optional)"

_TOTAL = re.compile(r"^Total\s*:\s*([\d,]+)\s*$", re.I)
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?$")
_CUES = re.compile(
    r"\b(?:we (?:propose|present|introduce|show|study|develop|consider|find|demonstrate)|"
    r"in this (?:paper|work)|this (?:paper|work)|our (?:method|approach|model|results)|"
    r"state-of-the-art|experiments?|outperforms?)\b",
    re.I,
)
_STRUCTURED = ("{", "[", "@", "<", "%", "#")
MIN_WORDS = 25  # a paragraph shorter than this is not an abstract


@dataclass
class _Paragraph:
    line: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def sniff(source: Source) -> int:
    try:
        return _score(source.head)
    except Exception:  # noqa: BLE001 - sniffing never raises
        return 0


def _score(head: str) -> int:
    text = head.strip()
    if not text or text.startswith(_STRUCTURED):
        return 0
    lines = text.splitlines()
    has_total = bool(_TOTAL.match(lines[0].strip()))
    body = [p for p in _split(lines[1:] if has_total else lines, 1)]
    if has_total and body and all(_is_prose(p.text) for p in body[:-1]):
        return 30
    if len(body) < 3 or not all(_is_prose(p.text) for p in body[:-1]):
        return 0
    cued = sum(1 for p in body if _CUES.search(p.text))
    return 20 if cued * 2 >= len(body) else 0


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    lines = source.lines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), len(lines))
    start = first
    if first < len(lines):
        total = _TOTAL.match(lines[first].strip())
        if total:
            ctx.claimed_total = int(total.group(1).replace(",", ""))
            start = first + 1
    paragraphs = _split(lines[start:], start + 1)
    _check(paragraphs, lines, first, source.path)
    for position, para in enumerate(paragraphs, 1):
        yield _record(para, position, ctx, is_last=position == len(paragraphs))


def _split(lines: list[str], first_no: int) -> list[_Paragraph]:
    """Blank-line separated paragraphs; one a line when the text has no blank lines at all."""
    filled = [i for i, ln in enumerate(lines) if ln.strip()]
    blank_separated = bool(filled) and any(
        not ln.strip() for ln in lines[filled[0] : filled[-1]]
    )
    paragraphs: list[_Paragraph] = []
    current: _Paragraph | None = None
    for offset, raw in enumerate(lines):
        text = raw.strip()
        if not text:
            current = None
            continue
        if current is None or not blank_separated:
            current = _Paragraph(first_no + offset, [])
            paragraphs.append(current)
        current.lines.append(text)
    return paragraphs


def _is_prose(text: str) -> bool:
    return len(text.split()) >= MIN_WORDS


def _check(paragraphs: list[_Paragraph], lines: list[str], first: int, path: str) -> None:
    head = lines[first].strip() if first < len(lines) else ""
    if head.startswith(_STRUCTURED) or not paragraphs:
        raise ParseError(
            "this is not a list of abstracts" if paragraphs else "no abstracts found",
            path=path,
            line=first + 1,
            hint="an abstracts file is paragraphs of prose separated by blank lines; "
            "pick the right --format for structured files",
        )
    if not any(_is_prose(p.text) for p in paragraphs):
        raise ParseError(
            "no paragraph is long enough to be an abstract",
            path=path,
            line=first + 1,
            hint="an abstracts file is paragraphs of prose separated by blank lines; "
            "pick the right --format",
        )
    for para in paragraphs[:-1]:
        if not _is_prose(para.text):
            raise ParseError(
                f"paragraph {para.text[:50]!r} is too short to be an abstract",
                path=path,
                line=para.line,
                hint="an abstracts file holds only abstracts, separated by blank lines; "
                "remove other lines or pick the right --format",
            )


def _record(para: _Paragraph, position: int, ctx: ParseContext, is_last: bool) -> Record:
    rec = Record(
        abstract=para.text,
        venue=ctx.venue,
        year=ctx.year,
        track=ctx.track,
        session=ctx.session,
        position=position,
        line=para.line,
    )
    if is_last and not (_is_prose(para.text) and _SENTENCE_END.search(para.text)):
        rec.warn("the abstract may be cut off")
        ctx.warn(f"line {para.line}: the last abstract may be cut off (file truncated?)")
    return rec
