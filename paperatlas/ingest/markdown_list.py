"""Markdown paper lists: the README of an "awesome" list, a reading list, a lab's paper page.

Each paper is a list item, a table row or a paragraph, in one of the shapes such lists use::

    ## Sparse Attention
    1. [**Longformer: The Long-Document Transformer.**](https://arxiv.org/abs/2004.05150) _Iz Beltagy,
       Matthew E. Peters, Arman Cohan._ Arxiv 2020. [![stars](https://img.shields.io/…)](https://github.com/allenai/longformer)
    - Paper: [CAKE: Cascading and Adaptive KV Cache Eviction](https://openreview.net/forum?id=EQgEMAD4kv) ICLR 2025
    - "Title", A. Author, B. Author (NeurIPS'22) [[paper]](https://…) [[code]](https://github.com/…)

    **A Survey on Video Diffusion Models** \\
    *Zhen Xing, Qijun Feng, …* \\
    arXiv 2023. [[Paper](https://arxiv.org/pdf/2310.10647.pdf)] \\
    16 Oct 2023

    | Date | keywords | Paper | Publication |
    |------|----------|-------|-------------|
    | 2017-06 | Transformers | [Attention Is All You Need](https://arxiv.org/pdf/1706.03762.pdf) | NeurIPS |

The title is the bold text, the quoted text or the text of a link that is not a label such as
``[paper]`` or ``[code]``; authors are an italic name list or a plain one after the title; venue and
year come from "ICLR 2023", "(NeurIPS'22)", "CVPR Workshop 2023" and the like (a table's venue and
date columns). Links are sorted into arXiv/PDF/OpenReview/DOI/project links and code URLs. The
heading a paper sits under is kept as a keyword, the heading path as ``extra["section"]``.

Items that are plainly not papers (a table of contents, badges, links to other lists or to
projects with no paper link, authors or venue) are left out; the ones that have a title are
counted in one warning. Fenced code blocks (an awesome list's "cite us" BibTeX block) are not
read, with a warning. The Markdown is parsed by markdown-it-py (CommonMark plus tables); the
patterns here are bounded so hostile text stays linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import ParseError
from ..models import Record
from ..normalize import extract_code_urls, extract_ids, split_authors
from .base import ParseContext, Source
from .markdown_entries import EMOJI_CODE, MAX_LINKS, MAX_SPANS, Entry, Inline, Link, entries, strip_symbols
from .markdown_text import (
    ACRONYM_YEAR,
    CANONICAL,
    CODE_LABELS,
    KIND_BY_LABEL,
    LABELS,
    PAPER_LABELS,
    TRACKS,
    VENUE_ONLY,
    VENUE_YEAR,
    YEAR,
    Where,
    clean,
    names,
    venue_year,
)

NAME = "markdown_list"
DESCRIPTION = ("Markdown paper lists (awesome lists, reading lists): list items, table rows or **Title** paragraphs "
               "with paper/code links")

# -- sniffing ------------------------------------------------------------------------------------------
_MD_LINK = re.compile(r"\[[^\]\n]{1,400}\]\(\s*<?(?:https?://|www\.)", re.I)
_PAPER_HOST = re.compile(
    r"arxiv\.org/|openreview\.net/|aclanthology\.org/|aclweb\.org/|papers\.nips\.cc|neurips\.cc/|"
    r"proceedings\.|mlr\.press/|jmlr\.org/|thecvf\.com/|ecva\.net/|doi\.org/|dl\.acm\.org/|"
    r"ieeexplore\.ieee\.org/|link\.springer\.com/|sciencedirect\.com/|semanticscholar\.org/|"
    r"biorxiv\.org/|medrxiv\.org/|ojs\.aaai\.org/|ijcai\.org/|nature\.com/|science\.org/|pnas\.org/|"
    r"papers\.cool/|huggingface\.co/papers/|paperswithcode\.com/paper|ssrn\.com/|iclr\.cc/|icml\.cc/|"
    r"\.pdf(?:[)?#\s]|$)",
    re.I,
)
_LABEL_LINK = re.compile(r"\[\s*\[?\s*(?:paper|pdf|arxiv|openreview|code|github)\s*\]?\s*\]\(", re.I)
_STRUCTURE = re.compile(r"^\s{0,3}(?:#{1,6}\s|[-*+]\s|\d{1,4}[.)]\s|\|)|\*\*|__")


def sniff(source: Source) -> int:
    try:
        head = source.head
        stripped = head.lstrip()
        if not stripped or stripped[0] in "{<@%" or "\x00" in head[:4096]:
            return 0
        if stripped[0] == "[" and stripped[1:].lstrip()[:1] in ('{', '[', '"', "]", *"0123456789-"):
            return 0  # a JSON array
        papers = structure = headings = 0
        for line in head.splitlines()[:3000]:
            if _STRUCTURE.search(line):
                structure += 1
                headings += line.lstrip().startswith("#")
            if _MD_LINK.search(line) and (_PAPER_HOST.search(line) or _LABEL_LINK.search(line)):
                papers += 1
        if papers >= 10 and headings:
            return 95  # above page formats that claim any text with one of their words in it
        if papers >= 3 and (headings or structure >= 3):
            return 90
        if papers >= 1 and structure >= 1:
            return 40
        return 0
    except Exception:  # noqa: BLE001 - sniffing never raises
        return 0


# -- one entry as a record -----------------------------------------------------------------------------
_DATE_LIKE = re.compile(r"^[\W\d_]*$|^\[?\d{4}[./-]\d{1,2}")
_QUOTED = re.compile(r"[\"“”]([^\"“”\n]{3,400})[\"“”]")
_TRAILING_WHERE = re.compile(r"\s*[(\[]([^()\[\]]{2,80})[)\]]\s*$")
_SEGMENT_SPLIT = re.compile(r"\n|\s[-–—|]\s|(?<![A-Z])(?<!\bal)(?<!\bJr)\.\s+|[()\[\]]|:\s")


def _label(text: str) -> str:
    return clean(strip_symbols(text)).strip(" []()<>:-–—|*_!`\"'").casefold()


def _is_label(text: str) -> bool:
    label = _label(text)
    return label in LABELS or len(label) <= 3 or label.startswith(("code", "paper", "github", "project", "website"))


def _title_like(text: str) -> bool:
    text = clean(text).strip(" []()*_:-–—|\"'“”")
    if not 4 <= len(text) <= 500 or _DATE_LIKE.match(text) or "://" in text[:12]:
        return False
    if sum(ch.isalpha() for ch in text) < 4 or _is_label(text):
        return False
    return not VENUE_ONLY.match(text) and not VENUE_YEAR.fullmatch(text.strip(" .,"))


def _clean_title(text: str) -> tuple[str, Where]:
    """A title without its decoration: emoji codes, surrounding quotes, a final period, and a
    trailing "(NeurIPS 2022)" (returned as where the paper appeared)."""
    title = clean(EMOJI_CODE.sub(" ", text)).strip(" *_|:-–—")
    where = Where()
    m = _TRAILING_WHERE.search(title)
    if m:
        found = venue_year(m.group(1))
        if found.venue or found.year:
            where, title = found, title[: m.start()].rstrip()
    title = title.strip(" \"'“”‘’,;")
    if title.endswith(".") and not title.endswith(("..", "al.", "etc.")):
        title = title[:-1].rstrip()
    return title, where


@dataclass
class _Read:
    title: str = ""
    title_span: tuple[int, int] = (0, 0)
    title_url: str = ""
    authors: list[str] = field(default_factory=list)
    where: Where = field(default_factory=Where)
    evidence: bool = False


def _title(inline: Inline, lead: int = 4) -> tuple[str, tuple[int, int], str]:
    """The entry's title, its span in the text and the URL of the link it is (if one). The title
    opens the entry: at most ``lead`` words before it ("Paper:", "Zhang et al.", "[2023]"), not a
    sentence of prose that happens to hold a bold word or a link."""
    text = inline.text

    def _leads(start: int) -> bool:
        return start <= 200 and len(re.findall(r"[^\W_]+", text[:start])) <= lead

    links = [lk for lk in inline.links[:MAX_SPANS] if not lk.image and not lk.url.startswith("#") and _leads(lk.start)]
    for link in links:  # [**Title**](url) or **[Title](url)**
        if inline.is_bold(link) and _title_like(link.text):
            return link.text, (link.start, link.end), link.url
    for start, end in inline.strong[:MAX_SPANS]:  # **Title**
        inside = any(lk.start <= start and end <= lk.end for lk in inline.links[:MAX_SPANS])
        if not inside and _leads(start) and _title_like(text[start:end]):
            return text[start:end], (start, end), ""
    first_line = text.split("\n", 1)[0]
    m = _QUOTED.search(first_line)
    if m and _leads(m.start()) and _title_like(m.group(1)):
        return m.group(1), (m.start(1), m.end(1)), ""
    for link in links:  # [Title](url)
        if _title_like(link.text):
            return link.text, (link.start, link.end), link.url
    return "", (0, 0), ""


def _plain_title(inline: Inline) -> tuple[str, tuple[int, int]]:
    """A title written as plain text: the first line up to its first link or venue."""
    text = inline.text
    end = text.find("\n")
    end = len(text) if end < 0 else end
    if inline.links:
        end = min(end, min(lk.start for lk in inline.links))
    m = VENUE_YEAR.search(text, 0, end)
    if m:
        end = m.start()
    candidate = text[:end]
    cut = re.search(r"\s[-–—|]\s|\.\s", candidate)  # "Title. Authors" / "Title - Authors"
    if cut and len(candidate[: cut.start()].split()) >= 3:
        candidate = candidate[: cut.start()]
    if 3 <= len(candidate.split()) <= 40 and _title_like(candidate):
        return candidate, (0, len(candidate))
    return "", (0, 0)


def _links(inline: Inline, rec: Record, title_url: str) -> bool:
    """Sort the entry's links into ``rec.links`` and ``rec.code_urls``; True if one is a paper link."""
    paper = False
    for link in inline.links[:MAX_LINKS]:
        url = link.url.strip()
        if not url or url.startswith("#") or url.lower().startswith(("mailto:", "javascript:", "data:")):
            continue
        label = _label(link.text)
        code_host = bool(extract_code_urls(url))
        is_paper = _paper_link(link)
        if label in CODE_LABELS or (code_host and not is_paper):
            if url not in rec.code_urls:
                rec.code_urls.append(url)
            continue
        if link.image and not is_paper:
            continue  # a badge linking to somewhere that is neither code nor paper
        lower = url.lower()
        if "arxiv.org/" in lower:
            kind = "arxiv"
        elif "openreview.net/forum" in lower:
            kind = "forum"
        elif re.search(r"\.pdf(?:$|[?#])", lower) or "openreview.net/pdf" in lower or label == "pdf":
            kind = "pdf"
        elif "doi.org/" in lower:
            kind = "doi"
        elif url == title_url or label in PAPER_LABELS:
            kind = "paper"
        else:
            kind = KIND_BY_LABEL.get(label) or "link"
        rec.links.setdefault(kind, url)
        paper = paper or is_paper
    return paper


def _authors(inline: Inline, skip: list[tuple[int, int]]) -> list[str]:
    """An italic name list, else a plain one: a segment of the text outside the title and links."""
    text = inline.text

    def outside(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in skip)

    for start, end in inline.em[:MAX_SPANS]:
        if outside(start, end) and not VENUE_YEAR.search(text, start, end):
            found = names(text[start:end], strict=False)
            if found:
                return found
    chars = list(text)
    for s, e in [*skip, *inline.em[:MAX_SPANS], *((lk.start, lk.end) for lk in inline.links[:MAX_LINKS])]:
        chars[s:e] = "\n" * (e - s)
    rest = VENUE_YEAR.sub("\n", "".join(chars)[:20_000])
    for segment in [seg for seg in _SEGMENT_SPLIT.split(rest) if seg.strip()][:MAX_SPANS]:
        found = names(segment, strict=True)
        if found:
            return found
    return []


def _paper_link(link: Link) -> bool:
    return bool(_PAPER_HOST.search(link.url + " ")) or _label(link.text) in PAPER_LABELS


def _read_inline(inline: Inline, plain: bool) -> _Read:
    """Title, authors, venue and year of a list item or paragraph; a title in plain text
    (``plain``: list items) only when the entry links a paper."""
    read = _Read()
    title, span, url = _title(inline, lead=4 if plain else 1)
    if not title and plain and any(_paper_link(lk) for lk in inline.links[:MAX_LINKS]):
        title, span = _plain_title(inline)
    if not title:
        return read
    read.title, read.where = _clean_title(title)
    read.title_span, read.title_url = span, url
    read.authors = _authors(inline, [span])
    if not (read.where.venue or read.where.year):
        text = inline.text
        rest = text[: span[0]] + "\n" + text[span[1]:]
        read.where = venue_year(rest)
        if read.where.venue is None:
            m = ACRONYM_YEAR.search(rest[:20_000])
            if m and not names(m.group("venue"), strict=False) == [rest.strip()]:
                read.where = Where(m.group("venue"), int(m.group("y4")))
        if read.where.year is None:
            m = YEAR.search(rest[:20_000])
            read.where.year = int(m.group(1)) if m else None
    return read


# table columns, by header words
_COLUMNS = (
    ("title", ("title", "paper", "papers", "name", "article", "work")),
    ("authors", ("author", "authors")),
    ("venue", ("venue", "publication", "published", "conference", "conf", "journal", "pub", "where", "publisher",
               "source", "proceedings")),
    ("year", ("year", "date", "time", "when")),
    ("code", ("code", "github", "repo", "implementation", "codes")),
    ("links", ("link", "links", "pdf", "url", "arxiv", "project", "resources", "resource", "website", "homepage")),
    ("keywords", ("keywords", "keyword", "tags", "tag", "topic", "topics", "task", "tasks", "category", "field")),
)  # fmt: skip


def _column(header: str) -> str:
    words = re.findall(r"[a-z]+", header.casefold())
    for role, names_ in _COLUMNS:
        if any(w in names_ for w in words):
            return role
    return ""


def _row_record(entry: Entry) -> tuple[Record, bool] | None:
    roles = [_column(h) for h in entry.header] + [""] * max(0, len(entry.cells) - len(entry.header))
    rec = Record(line=entry.line)
    joined = Inline()
    for cell in entry.cells:
        joined.links.extend(Link(lk.text, lk.url, 0, 0, lk.image) for lk in cell.links)
    title_cell = next((c for c, r in zip(entry.cells, roles) if r == "title"), None)
    title, url = "", ""
    if title_cell is not None:
        linked, _, url = _title(title_cell)
        title = linked or title_cell.text
    else:  # no title column: the first cell with a title link
        for cell in entry.cells:
            linked, _, url = _title(cell)
            if linked and url:
                title = linked
                break
    if not _title_like(title):
        return None
    rec.title, where = _clean_title(title)
    evidence = title_cell is not None
    for index, (cell, role) in enumerate(zip(entry.cells, roles)):
        value = clean(cell.text)
        if role == "authors":
            rec.authors = names(value, strict=False) or split_authors(value)
        elif role == "venue" and value:
            found = venue_year(value)
            if not found.venue:
                only = VENUE_ONLY.match(value)
                if only:
                    found.venue = CANONICAL.get(only.group("venue").casefold(), only.group("venue"))
                    found.track = TRACKS.get((only.group("mod") or "").casefold())
                elif len(value) <= 60 and any(ch.isalpha() for ch in value):
                    found.venue = value
            where.venue = where.venue or found.venue
            where.year = where.year or found.year
            where.track = where.track or found.track
        elif role == "year":
            m = YEAR.search(value)
            where.year = where.year or (int(m.group(1)) if m else None)
        elif role == "keywords" and value:
            rec.keywords.append(value)
        elif role not in ("title", "code", "links") and value and entry.header:
            rec.extra[(entry.header[index] if index < len(entry.header) else "") or f"column {index + 1}"] = value
    rec.venue, rec.year, rec.track = where.venue, where.year, where.track
    evidence = _links(joined, rec, url) or evidence
    return rec, evidence or bool(rec.authors) or bool(where.venue)


def _record(entry: Entry) -> tuple[Record, bool] | None:
    """The entry as a record and whether it shows it is a paper; None if it has no title."""
    if entry.kind == "row":
        made = _row_record(entry)
    else:
        read = _read_inline(entry.inline, plain=entry.kind == "item")
        if not read.title or not _title_like(read.title):
            return None
        rec = Record(title=read.title, authors=read.authors, venue=read.where.venue, year=read.where.year,
                     track=read.where.track, line=entry.line)
        paper_link = _links(entry.inline, rec, read.title_url)
        made = rec, paper_link or bool(read.authors) or bool(read.where.venue)
    if made is None:
        return None
    rec, evidence = made
    if entry.section:
        rec.keywords = [entry.section[-1], *[k for k in rec.keywords if k != entry.section[-1]]]
        rec.extra["section"] = " > ".join(entry.section)
    rec.ids = extract_ids(*rec.links.values())
    return rec, evidence


# markdown-it-py keeps a token per inline element: 10 MB of list items take about 1 GB
# (bench/parser_worst_case.py). Real paper lists are far smaller: Awesome-LLM-Long-Context-Modeling's README
# is 0.47 MB, Awesome-LLM's 0.06 MB.
MAX_MARKDOWN_BYTES = 4 * 1024 * 1024  # 8x the largest real list; about 500 MB of tokens at most


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    if len(source.data) > MAX_MARKDOWN_BYTES:
        raise ParseError(f"a Markdown list of {len(source.data) // 2**20} MB is more than paperatlas reads as Markdown "
                         f"({MAX_MARKDOWN_BYTES // 2**20} MB)", path=ctx.path,
                         hint="split the list into smaller files, or export it as CSV or JSON")
    found = entries(source.text(), ctx)
    skipped: list[int] = []
    position = 0
    for entry in found:
        made = _record(entry)
        if made is None:
            continue
        rec, evidence = made
        if not evidence:
            skipped.append(entry.line)
            continue
        position += 1
        rec.position = position
        yield rec
    if skipped:
        lines = ", ".join(str(n) for n in skipped[:10]) + (", …" if len(skipped) > 10 else "")
        ctx.warn(f"{len(skipped)} entries with a title but no paper link, authors or venue were not read as "
                 f"papers (lines {lines})")
    if position == 0:
        raise ParseError(
            "no paper entries found in the Markdown",
            path=source.path,
            hint="each paper needs a title (**Title**, \"Title\" or [Title](url)) with a paper link, authors "
            "or a venue and year",
        )

