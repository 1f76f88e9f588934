"""A Markdown paper list as entries (``markdown_list`` turns each into a record): list items, table
rows and paragraphs with their inline text flattened, the spans of links and emphasis kept, the
heading above each, and code blocks set aside. Parsed by markdown-it-py (CommonMark plus tables,
nesting bounded)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .base import ParseContext
from .markdown_text import clean

MAX_SPANS = 40  # links / bold / italic spans of one entry looked at for its title and authors
MAX_LINKS = 200  # links of one entry kept


@dataclass
class Link:
    text: str
    url: str
    start: int  # offsets of the link's text in the entry's text
    end: int
    image: bool = False  # the link wraps an image (a badge)


@dataclass
class Inline:
    """An entry's inline content flattened to text, with the spans of its links and emphasis."""

    text: str = ""
    links: list[Link] = field(default_factory=list)
    strong: list[tuple[int, int]] = field(default_factory=list)
    em: list[tuple[int, int]] = field(default_factory=list)

    def add(self, tokens: list[Token]) -> None:
        if self.text:
            self.text += "\n"
        out, length = [self.text], len(self.text)
        opened: list[tuple[str, int, Token]] = []
        images: set[int] = set()  # depths in ``opened`` of links holding an image
        links: list[Link] = []
        for tok in tokens:
            kind = tok.type
            if kind in ("text", "code_inline"):
                out.append(tok.content)
                length += len(tok.content)
            elif kind in ("softbreak", "hardbreak") or (kind == "html_inline" and tok.content[:3].lower() == "<br"):
                out.append("\n")
                length += 1
            elif kind == "image":
                if opened and opened[-1][0] == "link":
                    images.add(len(opened) - 1)
            elif kind.endswith("_open") and kind[:-5] in ("link", "strong", "em"):
                opened.append((kind[:-5], length, tok))
            elif kind.endswith("_close") and opened and opened[-1][0] == kind[:-6]:
                what, start, open_tok = opened.pop()
                if what == "link":
                    href = str(open_tok.attrs.get("href") or "")
                    links.append(Link("", href, start, length, image=len(opened) in images))
                    images.discard(len(opened))
                else:
                    (self.strong if what == "strong" else self.em).append((start, length))
        self.text = "".join(out)
        for link in links:
            link.text = self.text[link.start : link.end]
        self.links.extend(links)

    def is_bold(self, link: Link) -> bool:
        """``[**Title**](url)`` or ``**[Title](url)**``."""
        covered = 0
        for s, e in self.strong[:MAX_SPANS]:
            if s <= link.start + 1 and e >= link.end - 1:
                return True
            if s >= link.start and e <= link.end:
                covered += e - s
        return link.end > link.start and covered >= 0.8 * len(link.text.strip())


@dataclass
class Entry:
    kind: str  # "item", "paragraph", "row"
    line: int
    section: list[str]
    inline: Inline = field(default_factory=Inline)
    cells: list[Inline] = field(default_factory=list)
    header: list[str] = field(default_factory=list)


def markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"maxNesting": 40}).enable("table")


def tame_brackets(text: str) -> str:
    """``text`` with the ``[`` of lines that hold far more of them than links turned into ``(``.
    markdown-it-py spends tens of microseconds and a token on each ``[`` that may open a link (or
    is escaped), so a 10 MB line of brackets took minutes and gigabytes (bench/parser_worst_case.py).
    Such a line holds no paper entry; lines of real links with a few stray brackets are left as
    they are."""
    if text.count("[") <= 2 * text.count("](") + 8:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.count("[") > 2 * line.count("](") + 8:
            lines[i] = line.replace("[", "(")
    return "\n".join(lines)


def entries(text: str, ctx: ParseContext) -> list[Entry]:
    tokens = markdown().parse(tame_brackets(text))
    entries: list[Entry] = []
    headings: list[tuple[int, str]] = []
    items: list[Entry] = []
    heading_level = 0
    header: list[str] = []
    row: list[Inline] | None = None
    row_line = 0
    in_head = False
    for tok in tokens:
        kind = tok.type
        if kind == "heading_open":
            heading_level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 6
        elif kind == "inline" and heading_level:
            headings = [h for h in headings if h[0] < heading_level] + [(heading_level, heading_text(tok))]
            heading_level = 0
        elif kind == "heading_close":
            heading_level = 0
        elif kind == "list_item_open":
            entry = Entry("item", line_of(tok), [h for _, h in headings if h])
            items.append(entry)
            entries.append(entry)
        elif kind == "list_item_close" and items:
            items.pop()
        elif kind == "thead_open":
            in_head, header = True, []
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            row, row_line = [], line_of(tok)
        elif kind == "tr_close" and row is not None:
            if in_head:
                header = [clean(c.text) for c in row]
            else:
                entries.append(Entry("row", row_line, [h for _, h in headings if h], cells=row, header=header))
            row = None
        elif kind == "inline" and row is not None:
            cell = Inline()
            cell.add(tok.children or [])
            row.append(cell)
        elif kind == "inline" and items:
            items[-1].inline.add(tok.children or [])
        elif kind == "inline":
            entry = Entry("paragraph", line_of(tok), [h for _, h in headings if h])
            entry.inline.add(tok.children or [])
            entries.append(entry)
        elif kind in ("fence", "code_block"):
            code_block(tok, ctx)
    return entries


def line_of(tok: Token) -> int:
    return tok.map[0] + 1 if tok.map else 0


def code_block(tok: Token, ctx: ParseContext) -> None:
    info = (tok.info or "").strip().lower()
    entries = len(re.findall(r"(?m)^\s*@\w{2,30}\s*[{(]", tok.content[:200_000]))
    if info.startswith("bib") or entries:
        what = f"{entries} entr{'y' if entries == 1 else 'ies'}" if entries else "no entries"
        ctx.warn(f"line {line_of(tok)}: a BibTeX code block ({what}) was not read; "
                 "import it on its own as BibTeX to add it")


EMOJI_CODE = re.compile(r":[a-z0-9_+\-]{1,40}:")
NUMBERING = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){0,4}\.?|[IVX]{1,6}\.|[A-Z]\.)\s+")


def strip_symbols(text: str) -> str:
    """Without emoji, pictographs and GitHub :shortcodes: (keeps letters, digits, punctuation)."""
    text = EMOJI_CODE.sub(" ", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Sk", "Cs", "Co", "Mn")
                   or ch.isalnum() or unicodedata.combining(ch))


def heading_text(tok: Token) -> str:
    inline = Inline()
    inline.add(tok.children or [])
    text = clean(strip_symbols(inline.text))
    return clean(NUMBERING.sub("", text)).strip(" :-–—")
