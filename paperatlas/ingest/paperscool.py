"""papers.cool listing pages, copied as text.

The page starts with a venue header and a total, then one block per paper::

    ICLR.2023 - Notable-top-5%
    Total: 91
    #1 REVISITING PRUNING AT INITIALIZATION ... [PDF60] [Copy] [Kimi203]
    Authors: Duc Hoang ; Shiwei Liu ; Radu Marculescu ; Zhangyang Wang
    Pruning neural networks at initialization (PaI) has received ...

Blank lines between the lines are optional. The ``[PDFn]`` / ``[Kimin]`` buttons carry view
counters (no number shown means zero); ``#N`` is the paper's rank on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Source

NAME = "paperscool"
DESCRIPTION = "papers.cool venue or arXiv page text (#N TITLE [PDF] [Kimi] / Authors: a ; b / abstract)"

_BLOCK = re.compile(r"^#(\d+)(?:\s+(.*))?$")
_BUTTONS = re.compile(r"(?:\s*\[[^\[\]]*\])+\s*$")
_BUTTON = re.compile(r"\[([^\[\]]*)\]")
_KNOWN_BUTTON = re.compile(r"^(PDF|Kimi|Copy|Translate|Related|Star|Cite|BibTeX)\s*(\d*)$", re.I)
_COUNTERS = {"pdf": "papers.cool PDF", "kimi": "papers.cool Kimi"}
_TOTAL = re.compile(r"^Total\s*:\s*([\d,]+)\s*$", re.I)
_VENUE = re.compile(r"^(?P<venue>[A-Za-z][\w&+-]*)\.(?P<year>\d{4})(?:\s+-\s+(?P<track>.+?))?\s*$")
_ARXIV = re.compile(r"(?i:\barxiv\b)|^[a-z-]+\.[A-Z]{2}\b")
_YEAR = re.compile(r"\b(19|20)\d{2}\b")
_AUTHORS = re.compile(r"^Authors?\s*:\s*(.*)$", re.I)
_FIELD = re.compile(r"^(Subjects?|Publish(?:ed)?|Date|Keywords?)\s*:\s*(.*)$", re.I)
_SNIFF_BLOCK = re.compile(r"^#\d+ .*\[PDF\d*\]", re.M)


@dataclass
class _Page:
    venue: str | None = None
    year: int | None = None
    track: str | None = None


@dataclass
class _Block:
    rank: int
    line: int
    title_line: str
    authors: list[str] | None = None
    body: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def sniff(source: Source) -> int:
    try:
        head = source.head
        if _SNIFF_BLOCK.search(head) or "[Kimi" in head:
            return 90
        return 0
    except Exception:  # noqa: BLE001 - sniffing never raises
        return 0


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    lines = source.lines()
    page, first = _read_header(lines, ctx)
    blocks = list(_blocks(lines, first, source.path))
    if not blocks:
        raise ParseError(
            "no papers.cool paper blocks ('#1 TITLE [PDF] ...') found",
            path=source.path,
            hint="copy the whole papers.cool page, or pick the right --format",
        )
    _check_ranks(blocks, ctx)
    if blocks[-1].authors is None and not blocks[-1].body:
        last = blocks.pop()
        ctx.warn(f"line {last.line}: skipped #{last.rank}, it has a title only (file truncated?)")
    for position, block in enumerate(blocks, 1):
        yield _record(block, position, page, ctx, source.path, is_last=position == len(blocks))


def parse_header(text: str) -> tuple[str | None, int | None, str | None]:
    """``"ICLR.2023 - Notable-top-5%"`` -> ``("ICLR", 2023, "Notable-top-5%")``; arXiv pages give
    venue ``"arXiv"`` and the rest of the header as the track."""
    text = text.strip()
    m = _VENUE.match(text)
    if m:
        return m["venue"], int(m["year"]), m["track"]
    if _ARXIV.search(text):
        year = _YEAR.search(text)
        rest = re.sub(r"\barxiv\b[.:]?", "", text, flags=re.I).strip(" -.:")
        return "arXiv", int(year.group()) if year else None, rest or None
    return None, None, None


def _read_header(lines: list[str], ctx: ParseContext) -> tuple[_Page, int]:
    """Header lines before the first block: venue line and ``Total: N``."""
    page = _Page()
    for i, raw in enumerate(lines):
        text = raw.strip()
        if _BLOCK.match(text):
            return page, i
        total = _TOTAL.match(text)
        if total:
            ctx.claimed_total = int(total.group(1).replace(",", ""))
        elif text and page.venue is None:
            page.venue, page.year, page.track = parse_header(text)
            if page.venue:
                ctx.page_venue = f"{page.venue} {page.year}" if page.year else page.venue
                ctx.page_track = page.track
            else:
                ctx.warn(f"line {i + 1}: header {text[:60]!r} names no venue")
    return page, len(lines)


def _blocks(lines: list[str], start: int, path: str) -> Iterator[_Block]:
    block: _Block | None = None
    for i in range(start, len(lines)):
        text = lines[i].strip()
        m = _BLOCK.match(text)
        if m:
            if block:
                yield block
            block = _Block(rank=int(m.group(1)), line=i + 1, title_line=m.group(2) or "")
        elif block and text:
            _add_line(block, text)
    if block:
        yield block


def _add_line(block: _Block, text: str) -> None:
    authors = _AUTHORS.match(text)
    other = _FIELD.match(text)
    if authors and block.authors is None and not block.body:
        block.authors = [a.strip() for a in authors.group(1).split(";") if a.strip()]
    elif other:
        block.extra[other.group(1).lower()] = other.group(2).strip()
    else:
        block.body.append(text)


def split_title(title_line: str) -> tuple[str, dict[str, int]]:
    """Title without its trailing buttons, and the counters the buttons carry."""
    run = _BUTTONS.search(title_line)
    if not run:
        return title_line.strip(), {}
    tokens = _BUTTON.findall(run.group())
    known = [bool(_KNOWN_BUTTON.match(t.strip())) for t in tokens]
    if True not in known:
        return title_line.strip(), {}
    keep = tokens[: known.index(True)]
    title = title_line[: run.start()] + "".join(f" [{t}]" for t in keep)
    counters = {}
    for token in tokens[known.index(True) :]:
        m = _KNOWN_BUTTON.match(token.strip())
        if m and m.group(1).lower() in _COUNTERS:
            counters[_COUNTERS[m.group(1).lower()]] = int(m.group(2) or 0)
    return title.strip(), counters


def _check_ranks(blocks: list[_Block], ctx: ParseContext) -> None:
    for before, after in zip(blocks, blocks[1:]):
        if after.rank != before.rank + 1:
            ctx.warn(
                f"line {after.line}: rank #{after.rank} follows #{before.rank}"
                " (a paper missing from the copy?)"
            )


def _record(
    block: _Block, position: int, page: _Page, ctx: ParseContext, path: str, is_last: bool
) -> Record:
    title, counters = split_title(block.title_line)
    if not title:
        raise ParseError(
            f"paper #{block.rank} has no title",
            path=path,
            line=block.line,
            record=position,
            hint="the title follows '#N ' on the same line; copy that block again",
        )
    rec = Record(
        title=title,
        authors=block.authors or [],
        abstract="\n".join(block.body),
        venue=page.venue or ctx.venue,
        year=page.year or ctx.year,
        track=page.track or ctx.track,
        session=ctx.session,
        counters=counters,
        position=position,
        line=block.line,
        extra={"rank": block.rank, **block.extra},
    )
    if block.authors is None:
        rec.warn("no 'Authors:' line")
    if not block.body:
        rec.warn("no abstract")
        if is_last:
            ctx.warn(f"line {block.line}: #{block.rank} has no abstract (file truncated?)")
    return rec
