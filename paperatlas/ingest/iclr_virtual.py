"""Conference virtual-site session pages (iclr.cc / neurips.cc / icml.cc "virtual"), copied as text.

::

    Poster Session 6
    Summarization Programs: Interpretable Abstractive Summarization with Neural Modular Trees
    Swarnadeep Saha · Shiyue Zhang · Peter Hase · Mohit Bansal
    Current abstractive summarization models either suffer from ...

The structure is found from the author lines, not from a fixed stride: a line of names joined by
" · " is an author line and the line before it the title; everything up to the next title is the
abstract (which may be missing or span lines). A single-author paper has no " · ": it is found as a
title line followed by a line shaped like one name, followed by prose (or by nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Source

NAME = "iclr_virtual"
DESCRIPTION = "virtual-site session page text (Poster Session N / title / a · b · c / abstract)"

SEP = " · "
MAX_TITLE = 300  # a longer line before an author line is an abstract: the title is missing
_SESSION = re.compile(
    r"^(?:(?:Poster|Oral|Spotlight|Lightning|Demo)\s+Session|Session)\s+\w+\S*(?:\s.{0,40})?$", re.I
)
_PARTICLES = {
    "al", "bin", "da", "das", "de", "del", "della", "der", "di", "do", "dos", "du", "el", "i",
    "la", "le", "ten", "ter", "van", "von", "y", "zu",
}  # fmt: skip
_NAME_WORD = re.compile(r"^[^\W\d_][\w'’.\-]*$")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?$")


@dataclass
class _Line:
    no: int  # 1-based line number
    text: str


@dataclass
class _Entry:
    title: _Line
    authors: list[str]
    session: str | None
    body: list[_Line] = field(default_factory=list)


def sniff(source: Source) -> int:
    try:
        lines = [ln.strip() for ln in source.head.splitlines() if ln.strip()]
        if lines and _SESSION.match(lines[0]):
            return 90
        authors = sum(1 for ln in lines[:200] if is_author_line(ln))
        return 80 if authors >= 3 else 0
    except Exception:  # noqa: BLE001 - sniffing never raises
        return 0


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    lines, sessions = _content_lines(source.lines())
    entries = _entries(lines, sessions, ctx, source.path)
    if not entries:
        raise ParseError(
            "no author lines ('Name · Name · Name') found",
            path=source.path,
            hint="copy the session page with its author lines, or pick the right --format",
        )
    for position, entry in enumerate(entries, 1):
        yield _record(entry, position, ctx, is_last=position == len(entries))


def is_author_line(text: str) -> bool:
    """Names joined by " · ", each short enough to be a name."""
    if SEP not in text:
        return False
    parts = [p.strip() for p in text.split(SEP)]
    return all(0 < len(p) <= 80 and len(p.split()) <= 8 for p in parts)


def is_single_name(text: str) -> bool:
    """A line shaped like one person's name: a few capitalised words, particles allowed."""
    words = text.split()
    if not 1 <= len(words) <= 6 or len(text) > 60 or text.endswith("."):
        return False
    if not all(_NAME_WORD.match(w) for w in words):
        return False
    lower = [w for w in words if not w[0].isupper()]
    return all(w.lower() in _PARTICLES for w in lower) or text.islower()


def _is_prose(text: str) -> bool:
    return len(text) >= 200 or (bool(_SENTENCE_END.search(text)) and len(text.split()) >= 12)


def _content_lines(raw: list[str]) -> tuple[list[_Line], dict[int, str]]:
    """Non-blank lines, with the session headers taken out (index of first line -> session)."""
    lines: list[_Line] = []
    sessions: dict[int, str] = {}
    for no, text in enumerate(raw, 1):
        text = text.strip()
        if not text:
            continue
        if _SESSION.match(text) and not is_author_line(text):
            sessions[len(lines)] = text
        else:
            lines.append(_Line(no, text))
    return lines, sessions


def _entries(
    lines: list[_Line], sessions: dict[int, str], ctx: ParseContext, path: str
) -> list[_Entry]:
    anchors = [i for i, ln in enumerate(lines) if is_author_line(ln.text)]
    for a in anchors:
        if a == 0 or is_author_line(lines[a - 1].text) or len(lines[a - 1].text) > MAX_TITLE:
            raise ParseError(
                "an author line has no title line before it",
                path=path,
                line=lines[a].no,
                hint="each paper is: title line, author line (names joined by ' · '), abstract",
            )
    starts = _with_single_authors(lines, [(a - 1, a) for a in anchors])
    _report_leading_text(lines, starts, ctx)
    entries: list[_Entry] = []
    for k, (t, a) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        session = next((s for i, s in sorted(sessions.items(), reverse=True) if i <= t), ctx.session)
        entries.extend(_split_entry(lines, t, a, end, session))
    if entries and not entries[-1].authors:
        orphan = entries.pop()
        ctx.warn(
            f"line {orphan.title.no}: skipped {orphan.title.text[:60]!r}, a title with no author "
            "line at the end of the file (file truncated?)"
        )
    return entries


def _split_entry(lines: list[_Line], t: int, a: int, end: int, session: str | None) -> list[_Entry]:
    """The paper at t/a, plus a title with no author line if one ends its abstract."""
    text = lines[a].text
    authors = [p.strip() for p in text.split(SEP)] if SEP in text else [text]
    body = lines[a + 1 : end]
    entry = _Entry(title=lines[t], authors=authors, session=session, body=body)
    if body and _looks_like_title(body[-1].text):
        entry.body = body[:-1]
        return [entry, _Entry(title=body[-1], authors=[], session=session)]
    return [entry]


def _looks_like_title(text: str) -> bool:
    return not _is_prose(text) and not text.endswith(".") and "://" not in text


def _with_single_authors(lines: list[_Line], starts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Add single-author papers found in the gaps between the " · " anchored ones."""
    found = []
    bounds = [0] + [a + 1 for _, a in starts]
    ends = [t for t, _ in starts] + [len(lines)]
    for lo, hi in zip(bounds, ends):
        i = lo
        while i + 1 < hi:
            if _single_author_at(lines, i, hi, first=i == lo):
                found.append((i, i + 1))
                i += 2
            else:
                i += 1
    return sorted(starts + found)


def _single_author_at(lines: list[_Line], i: int, hi: int, first: bool) -> bool:
    title, name = lines[i].text, lines[i + 1].text
    if _is_prose(title) or not is_single_name(name):
        return False
    after_ok = i + 2 == hi or _is_prose(lines[i + 2].text)
    before_ok = first or bool(_SENTENCE_END.search(lines[i - 1].text)) or _is_prose(lines[i - 1].text)
    return after_ok and before_ok and not title.endswith(".")


def _report_leading_text(lines: list[_Line], starts: list[tuple[int, int]], ctx: ParseContext) -> None:
    if starts and starts[0][0] > 0:
        first = lines[0]
        ctx.warn(f"line {first.no}: {starts[0][0]} line(s) before the first paper were not read")


def _record(entry: _Entry, position: int, ctx: ParseContext, is_last: bool) -> Record:
    rec = Record(
        title=entry.title.text,
        authors=entry.authors,
        abstract="\n".join(ln.text for ln in entry.body),
        venue=ctx.venue,
        year=ctx.year,
        track=ctx.track,
        session=entry.session,
        position=position,
        line=entry.title.no,
    )
    if not entry.authors:
        rec.warn("no author line")
        ctx.warn(f"line {entry.title.no}: {entry.title.text[:60]!r} has no author line")
    if not entry.body:
        rec.warn("no abstract")
        if is_last:
            ctx.warn(f"line {entry.title.no}: the last paper has no abstract (file truncated?)")
    return rec
