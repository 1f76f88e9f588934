"""Hugging Face Papers search / listing pages (huggingface.co/papers), copied as text.

::

    Get trending papers in your email inbox once a day!
    Get trending papers in your email inbox!
    SubscribeOne Loss for All: Deep Hashing with a Single Cosine Similarity based Learning Objective
    A deep hashing model typically has two main learning objectives: ...
    MetaGCD: Learning to Continually Learn in Generalized Category Discovery
    In this paper, we consider a real-world scenario where ...

Title and abstract lines alternate; the page's "Subscribe" button text sticks to the first title.
Pairing goes by shape, not by stride: a title is a short line, an abstract is prose. A title
followed by another title has no abstract; prose after prose continues the abstract.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Source

NAME = "hf_papers"
DESCRIPTION = "Hugging Face Papers page text (title line, abstract line, ...)"

BOILERPLATE = frozenset(
    {
        "Get trending papers in your email inbox once a day!",
        "Get trending papers in your email inbox!",
        "Subscribe",
    }
)
_GLUED = re.compile(r"^Subscribe(?=[^\sa-z])")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]?$")
MAX_TITLE = 300
_STRUCTURED = ("{", "[", "@", "<")  # JSON, BibTeX, XML/HTML: not page text


@dataclass
class _Paper:
    line: int
    title: str
    body: list[str] = field(default_factory=list)


def sniff(source: Source) -> int:
    try:
        head = source.head
        if "Get trending papers in your email inbox" in head:
            return 90
        first = next((ln.strip() for ln in head.splitlines() if ln.strip()), "")
        return 60 if _GLUED.match(first) else 0
    except Exception:  # noqa: BLE001 - sniffing never raises
        return 0


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    papers = _pair(source.lines())
    if not any(is_prose(b) for p in papers for b in p.body) or papers[0].title.startswith(
        _STRUCTURED
    ):
        raise ParseError(
            "no title / abstract pairs found",
            path=source.path,
            hint="copy the Hugging Face Papers result list (titles with their abstracts), "
            "or pick the right --format",
        )
    if not papers[-1].body:
        ctx.warn(f"line {papers[-1].line}: the last paper has no abstract (file truncated?)")
    for position, paper in enumerate(papers, 1):
        yield _record(paper, position, ctx)


def is_prose(text: str) -> bool:
    """An abstract line: long, or a few sentences' worth ending like a sentence."""
    if len(text) > MAX_TITLE:
        return True
    return bool(_SENTENCE_END.search(text)) and (len(text) >= 120 or text.count(". ") >= 1)


def _is_short_sentence(text: str) -> bool:
    """A short line ending with a period: a brief abstract, or a title that ends with one."""
    return text.endswith(".") and not is_prose(text)


def _content(lines: list[str]) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for no, raw in enumerate(lines, 1):
        text = raw.strip()
        if text and text not in BOILERPLATE:
            out.append((no, _GLUED.sub("", text) if not out else text))
    return out


def _pair(lines: list[str]) -> list[_Paper]:
    content = _content(lines)
    papers: list[_Paper] = []
    for k, (no, text) in enumerate(content):
        after = content[k + 1][1] if k + 1 < len(content) else ""
        if papers and (is_prose(text) or _short_abstract(papers[-1], text, after)):
            papers[-1].body.append(text)
        else:
            papers.append(_Paper(no, text))
    return papers


def _short_abstract(last: _Paper, text: str, after: str) -> bool:
    """A short sentence right after a bare title is its abstract unless prose follows it (then
    it is the next paper's title)."""
    return not last.body and _is_short_sentence(text) and not is_prose(after)


def _record(paper: _Paper, position: int, ctx: ParseContext) -> Record:
    rec = Record(
        title=paper.title,
        abstract="\n".join(paper.body),
        venue=ctx.venue,
        year=ctx.year,
        track=ctx.track,
        session=ctx.session,
        position=position,
        line=paper.line,
    )
    if not paper.body:
        rec.warn("no abstract")
    if is_prose(paper.title):
        rec.warn("the title looks like prose: the page may have lost a title line")
    return rec
