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

import html
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..errors import ParseError
from ..models import Record
from ..normalize import extract_code_urls, extract_ids, split_authors
from .base import ParseContext, Source

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


MAX_SPANS = 40  # links / bold / italic spans of one entry looked at for its title and authors
MAX_LINKS = 200  # links of one entry kept


# -- venues and years ----------------------------------------------------------------------------------
_VENUES = (
    "ICLR", "NeurIPS", "NIPS", "ICML", "CVPR", "ICCV", "ECCV", "WACV", "BMVC", "ACCV", "ACL", "EMNLP", "NAACL",
    "EACL", "AACL", "COLING", "CoNLL", "TACL", "LREC", "COLM", "AAAI", "IJCAI", "KDD", "WWW", "TheWebConf", "WSDM",
    "SIGIR", "CIKM", "RecSys", "ICDE", "ICDM", "SDM", "VLDB", "SIGMOD", "UAI", "AISTATS", "COLT", "CoRL", "RSS",
    "ICRA", "IROS", "MICCAI", "ISBI", "ICASSP", "Interspeech", "MLSys", "OSDI", "SOSP", "NSDI", "EuroSys", "ASPLOS",
    "ISCA", "MICRO", "HPCA", "TMLR", "JMLR", "TPAMI", "PAMI", "IJCV", "TIP", "TNNLS", "TOG", "SIGGRAPH Asia",
    "SIGGRAPH", "ACM MM", "CHI", "UIST", "ICSE", "FSE", "PLDI", "ECML-PKDD", "ECML", "LoG", "3DV", "ICLR Blogpost",
    "Nature Machine Intelligence", "Nature Communications", "Nature", "Science", "PNAS", "arXiv", "bioRxiv",
)  # fmt: skip
_CANONICAL = {v.casefold(): v for v in _VENUES} | {"nips": "NeurIPS", "neurips": "NeurIPS", "arxiv": "arXiv",
                                                    "pami": "TPAMI", "thewebconf": "WWW"}
# Names of four letters or more match in any case ("Arxiv", "Neurips"); short ones only as written.
_VENUE_ALT = "|".join(
    (f"(?i:{re.escape(v)})" if len(v) >= 4 else re.escape(v)).replace(r"\ ", r"\s") for v in _VENUES
)
_MODIFIER = r"(?:Workshops?|Findings|Oral|Spotlight|Poster|Main)"
_VENUE_YEAR = re.compile(
    rf"(?<![\w/.@-])(?P<pre>(?i:findings\s+of\s+(?:the\s+)?))?(?P<venue>{_VENUE_ALT})(?![\w-])"
    rf"(?:\s(?P<mod>(?i:{_MODIFIER})))?"
    r"(?:[\s,]{0,3}(?P<y4>(?:19|20)\d\d)|\s?['’](?P<y2>\d\d))(?![\d])"
    rf"(?:[\s,]{{0,3}}\(?(?P<post>(?i:{_MODIFIER}))\b)?"
)
_VENUE_ONLY = re.compile(rf"^\W*(?P<venue>{_VENUE_ALT})(?:\s(?P<mod>(?i:{_MODIFIER})))?\W*$")
# A venue not in the list above: an acronym ("IJCNN 2025", "ACL-IJCNLP 2021", "IEEE COMPSAC 2025").
_ACRONYM_YEAR = re.compile(
    r"(?<![\w/.@-])(?P<venue>(?:IEEE\s|ACM\s)?[A-Z][A-Za-z]{0,12}[A-Z][A-Za-z0-9]{0,12}(?:-[A-Z][A-Za-z0-9]{1,12})?)"
    r"\s?['’]?(?P<y4>(?:19|20)\d\d)(?![\d])"
)
_YEAR = re.compile(r"(?<![\d.])(19[5-9]\d|20[0-4]\d)(?![\d])")
_TRACKS = {"workshop": "Workshop", "workshops": "Workshop", "findings": "Findings", "oral": "Oral",
           "spotlight": "Spotlight", "poster": "Poster"}


@dataclass
class _Where:
    venue: str | None = None
    year: int | None = None
    track: str | None = None


def venue_year(text: str) -> _Where:
    """The first "VENUE YEAR" in ``text`` (a conference's before arXiv's), e.g. "ICLR 2023",
    "(NeurIPS'22)", "CVPR Workshop 2023", "Findings of EMNLP 2023"."""
    found = []
    for m in _VENUE_YEAR.finditer(text[:20_000]):
        venue = _CANONICAL.get(m.group("venue").casefold(), m.group("venue"))
        year = int(m.group("y4")) if m.group("y4") else 2000 + int(m.group("y2"))
        mod = (m.group("mod") or m.group("post") or ("findings" if m.group("pre") else "")).casefold()
        found.append(_Where(venue, year, _TRACKS.get(mod)))
        if venue != "arXiv":
            return found[-1]
    return found[0] if found else _Where()


# -- the Markdown as entries ---------------------------------------------------------------------------
@dataclass
class _Link:
    text: str
    url: str
    start: int  # offsets of the link's text in the entry's text
    end: int
    image: bool = False  # the link wraps an image (a badge)


@dataclass
class _Inline:
    """An entry's inline content flattened to text, with the spans of its links and emphasis."""

    text: str = ""
    links: list[_Link] = field(default_factory=list)
    strong: list[tuple[int, int]] = field(default_factory=list)
    em: list[tuple[int, int]] = field(default_factory=list)

    def add(self, tokens: list[Token]) -> None:
        if self.text:
            self.text += "\n"
        out, length = [self.text], len(self.text)
        opened: list[tuple[str, int, Token]] = []
        images: set[int] = set()  # depths in ``opened`` of links holding an image
        links: list[_Link] = []
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
                    links.append(_Link("", href, start, length, image=len(opened) in images))
                    images.discard(len(opened))
                else:
                    (self.strong if what == "strong" else self.em).append((start, length))
        self.text = "".join(out)
        for link in links:
            link.text = self.text[link.start : link.end]
        self.links.extend(links)

    def is_bold(self, link: _Link) -> bool:
        """``[**Title**](url)`` or ``**[Title](url)**``."""
        covered = 0
        for s, e in self.strong[:MAX_SPANS]:
            if s <= link.start + 1 and e >= link.end - 1:
                return True
            if s >= link.start and e <= link.end:
                covered += e - s
        return link.end > link.start and covered >= 0.8 * len(link.text.strip())


@dataclass
class _Entry:
    kind: str  # "item", "paragraph", "row"
    line: int
    section: list[str]
    inline: _Inline = field(default_factory=_Inline)
    cells: list[_Inline] = field(default_factory=list)
    header: list[str] = field(default_factory=list)


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"maxNesting": 40}).enable("table")


def _entries(text: str, ctx: ParseContext) -> list[_Entry]:
    tokens = _markdown().parse(text)
    entries: list[_Entry] = []
    headings: list[tuple[int, str]] = []
    items: list[_Entry] = []
    heading_level = 0
    header: list[str] = []
    row: list[_Inline] | None = None
    row_line = 0
    in_head = False
    for tok in tokens:
        kind = tok.type
        if kind == "heading_open":
            heading_level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 6
        elif kind == "inline" and heading_level:
            headings = [h for h in headings if h[0] < heading_level] + [(heading_level, _heading_text(tok))]
            heading_level = 0
        elif kind == "heading_close":
            heading_level = 0
        elif kind == "list_item_open":
            entry = _Entry("item", _line(tok), [h for _, h in headings if h])
            items.append(entry)
            entries.append(entry)
        elif kind == "list_item_close" and items:
            items.pop()
        elif kind == "thead_open":
            in_head, header = True, []
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            row, row_line = [], _line(tok)
        elif kind == "tr_close" and row is not None:
            if in_head:
                header = [clean(c.text) for c in row]
            else:
                entries.append(_Entry("row", row_line, [h for _, h in headings if h], cells=row, header=header))
            row = None
        elif kind == "inline" and row is not None:
            cell = _Inline()
            cell.add(tok.children or [])
            row.append(cell)
        elif kind == "inline" and items:
            items[-1].inline.add(tok.children or [])
        elif kind == "inline":
            entry = _Entry("paragraph", _line(tok), [h for _, h in headings if h])
            entry.inline.add(tok.children or [])
            entries.append(entry)
        elif kind in ("fence", "code_block"):
            _code_block(tok, ctx)
    return entries


def _line(tok: Token) -> int:
    return tok.map[0] + 1 if tok.map else 0


def _code_block(tok: Token, ctx: ParseContext) -> None:
    info = (tok.info or "").strip().lower()
    entries = len(re.findall(r"(?m)^\s*@\w{2,30}\s*[{(]", tok.content[:200_000]))
    if info.startswith("bib") or entries:
        what = f"{entries} entr{'y' if entries == 1 else 'ies'}" if entries else "no entries"
        ctx.warn(f"line {_line(tok)}: a BibTeX code block ({what}) was not read; "
                 "import it on its own as BibTeX to add it")


_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]{1,40}:")
_NUMBERING = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){0,4}\.?|[IVX]{1,6}\.|[A-Z]\.)\s+")


def _strip_symbols(text: str) -> str:
    """Without emoji, pictographs and GitHub :shortcodes: (keeps letters, digits, punctuation)."""
    text = _EMOJI_CODE.sub(" ", text)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("So", "Sk", "Cs", "Co", "Mn")
                   or ch.isalnum() or unicodedata.combining(ch))


def _heading_text(tok: Token) -> str:
    inline = _Inline()
    inline.add(tok.children or [])
    text = clean(_strip_symbols(inline.text))
    return clean(_NUMBERING.sub("", text)).strip(" :-–—")


def clean(text: str) -> str:
    return " ".join(html.unescape(text).split())


# -- one entry as a record -----------------------------------------------------------------------------
_LABELS = {
    "paper", "papers", "pdf", "arxiv", "openreview", "doi", "abs", "abstract", "preprint", "proceedings", "acl",
    "publication", "full paper", "link", "links", "url", "code", "codes", "github", "gitlab", "pytorch",
    "tensorflow", "jax", "implementation", "official code", "official", "repo", "repository", "source",
    "source code", "project", "project page", "website", "web", "webpage", "homepage", "home page", "page", "site",
    "demo", "video", "videos", "youtube", "slides", "slide", "poster", "blog", "post", "bibtex", "bib", "citation",
    "cite", "dataset", "data", "datasets", "model", "models", "checkpoint", "checkpoints", "weights", "colab",
    "notebook", "medium", "twitter", "tweet", "talk", "supp", "supplementary", "supplement", "zhihu", "leaderboard",
    "huggingface", "hugging face", "hf", "hf paper", "stars", "star", "docs", "documentation", "tutorial", "news",
    "benchmark", "api", "app", "media", "press", "reddit", "openreview link", "paper link", "code link", "details",
    "more", "here", "this", "kaggle", "hub", "space", "spaces", "results",
}  # fmt: skip
_CODE_LABELS = {"code", "codes", "github", "gitlab", "pytorch", "tensorflow", "jax", "implementation", "official code",
                "official", "repo", "repository", "source", "source code", "code link"}
_KIND_BY_LABEL = {
    "pdf": "pdf", "arxiv": "arxiv", "openreview": "forum", "doi": "doi", "project": "project", "project page": "project",
    "website": "project", "webpage": "project", "homepage": "project", "home page": "project", "page": "project",
    "site": "project", "demo": "demo", "video": "video", "youtube": "video", "slides": "slides", "slide": "slides",
    "poster": "poster", "blog": "blog", "post": "blog", "dataset": "data", "data": "data", "datasets": "data",
    "colab": "colab", "notebook": "colab", "supp": "supplementary", "supplementary": "supplementary",
    "huggingface": "huggingface", "hugging face": "huggingface", "hf": "huggingface", "hf paper": "huggingface",
}  # fmt: skip
_PAPER_LABELS = {"paper", "papers", "pdf", "arxiv", "openreview", "doi", "abs", "abstract", "preprint", "proceedings",
                 "acl", "publication", "full paper", "paper link", "openreview link", "hf paper"}
_DATE_LIKE = re.compile(r"^[\W\d_]*$|^\[?\d{4}[./-]\d{1,2}")
_QUOTED = re.compile(r"[\"“”]([^\"“”\n]{3,400})[\"“”]")
_TRAILING_WHERE = re.compile(r"\s*[(\[]([^()\[\]]{2,80})[)\]]\s*$")
_NAME_MARKS = re.compile(r"[*†‡§¶#✉∗⋆]+|\(\s*[^()]{0,60}\)|\d+(?=\s*(?:,|$))")
_ET_AL = re.compile(r"(?:,?\s*(?:et\s+al\.?|and\s+others|others|etc\.?))\s*$", re.I)
_PARTICLES = {"al", "bin", "da", "das", "de", "del", "della", "der", "di", "do", "dos", "du", "el", "la", "le", "ten",
              "ter", "van", "von", "y", "zu", "and"}
_PHRASE_WORDS = {"a", "an", "the", "of", "for", "in", "on", "with", "to", "via", "towards", "is", "are", "from", "by",
                 "at", "as", "into", "using", "based", "learning", "model", "models", "network", "networks", "new"}
_NO_NAME = {"none", "n/a", "na", "unknown", "tbd", "todo", "-", "anonymous authors"}
_SEGMENT_SPLIT = re.compile(r"\n|\s[-–—|]\s|(?<![A-Z])(?<!\bal)(?<!\bJr)\.\s+|[()\[\]]|:\s")


def _label(text: str) -> str:
    return clean(_strip_symbols(text)).strip(" []()<>:-–—|*_!`\"'").casefold()


def _is_label(text: str) -> bool:
    label = _label(text)
    return label in _LABELS or len(label) <= 3 or label.startswith(("code", "paper", "github", "project", "website"))


def _title_like(text: str) -> bool:
    text = clean(text).strip(" []()*_:-–—|\"'“”")
    if not 4 <= len(text) <= 500 or _DATE_LIKE.match(text) or "://" in text[:12]:
        return False
    if sum(ch.isalpha() for ch in text) < 4 or _is_label(text):
        return False
    return not _VENUE_ONLY.match(text) and not _VENUE_YEAR.fullmatch(text.strip(" .,"))


def _clean_title(text: str) -> tuple[str, _Where]:
    """A title without its decoration: emoji codes, surrounding quotes, a final period, and a
    trailing "(NeurIPS 2022)" (returned as where the paper appeared)."""
    title = clean(_EMOJI_CODE.sub(" ", text)).strip(" *_|:-–—")
    where = _Where()
    m = _TRAILING_WHERE.search(title)
    if m:
        found = venue_year(m.group(1))
        if found.venue or found.year:
            where, title = found, title[: m.start()].rstrip()
    title = title.strip(" \"'“”‘’,;")
    if title.endswith(".") and not title.endswith(("..", "al.", "etc.")):
        title = title[:-1].rstrip()
    return title, where


def names(text: str, strict: bool) -> list[str]:
    """The author names in ``text`` when it reads as a list of names (else []). ``strict``
    (plain text, not italics) wants names of two or more capitalised words, and two names or "et al."."""
    text = clean(text).strip(" .,;:")
    if not text or len(text) > 3000 or "://" in text:
        return []
    text = re.sub(r"^(?i:authors?\s*:\s*|by\s+)", "", text)
    text, et_al = _ET_AL.subn("", text)
    text = _NAME_MARKS.sub(" ", text).strip(" .,;:")
    found = [n.strip(" .,;:") for n in split_authors(text)]
    found = [n for n in found if n]
    if not found or len(found) > 200 or any(n.casefold() in _NO_NAME for n in found):
        return []
    for name in found:
        words = name.split()
        if not 1 <= len(words) <= (5 if strict else 8) or len(name) > 80 or any(ch.isdigit() for ch in name):
            return []
        if strict and (len(words) < 2 or not all(_name_word(w) for w in words)):
            return []
    if strict and len(found) < 2 and not et_al:
        return []
    return found


def _name_word(word: str) -> bool:
    """A word of a name as plain text writes it: capitalised, an initial or a particle; not a
    function word of a phrase ("A Challenging Benchmark") nor an acronym ("LLM")."""
    if word.casefold() in _PARTICLES:
        return True
    if not word[0].isalpha() or word[0].islower() or word.casefold() in _PHRASE_WORDS:
        return False
    return not (len(word) >= 3 and word.isupper())


@dataclass
class _Read:
    title: str = ""
    title_span: tuple[int, int] = (0, 0)
    title_url: str = ""
    authors: list[str] = field(default_factory=list)
    where: _Where = field(default_factory=_Where)
    evidence: bool = False


def _title(inline: _Inline, lead: int = 4) -> tuple[str, tuple[int, int], str]:
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


def _plain_title(inline: _Inline) -> tuple[str, tuple[int, int]]:
    """A title written as plain text: the first line up to its first link or venue."""
    text = inline.text
    end = text.find("\n")
    end = len(text) if end < 0 else end
    if inline.links:
        end = min(end, min(lk.start for lk in inline.links))
    m = _VENUE_YEAR.search(text, 0, end)
    if m:
        end = m.start()
    candidate = text[:end]
    cut = re.search(r"\s[-–—|]\s|\.\s", candidate)  # "Title. Authors" / "Title - Authors"
    if cut and len(candidate[: cut.start()].split()) >= 3:
        candidate = candidate[: cut.start()]
    if 3 <= len(candidate.split()) <= 40 and _title_like(candidate):
        return candidate, (0, len(candidate))
    return "", (0, 0)


def _links(inline: _Inline, rec: Record, title_url: str) -> bool:
    """Sort the entry's links into ``rec.links`` and ``rec.code_urls``; True if one is a paper link."""
    paper = False
    for link in inline.links[:MAX_LINKS]:
        url = link.url.strip()
        if not url or url.startswith("#") or url.lower().startswith(("mailto:", "javascript:", "data:")):
            continue
        label = _label(link.text)
        code_host = bool(extract_code_urls(url))
        is_paper = _paper_link(link)
        if label in _CODE_LABELS or (code_host and not is_paper):
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
        elif url == title_url or label in _PAPER_LABELS:
            kind = "paper"
        else:
            kind = _KIND_BY_LABEL.get(label) or "link"
        rec.links.setdefault(kind, url)
        paper = paper or is_paper
    return paper


def _authors(inline: _Inline, skip: list[tuple[int, int]]) -> list[str]:
    """An italic name list, else a plain one: a segment of the text outside the title and links."""
    text = inline.text

    def outside(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in skip)

    for start, end in inline.em[:MAX_SPANS]:
        if outside(start, end) and not _VENUE_YEAR.search(text, start, end):
            found = names(text[start:end], strict=False)
            if found:
                return found
    chars = list(text)
    for s, e in [*skip, *inline.em[:MAX_SPANS], *((lk.start, lk.end) for lk in inline.links[:MAX_LINKS])]:
        chars[s:e] = "\n" * (e - s)
    rest = _VENUE_YEAR.sub("\n", "".join(chars)[:20_000])
    for segment in [seg for seg in _SEGMENT_SPLIT.split(rest) if seg.strip()][:MAX_SPANS]:
        found = names(segment, strict=True)
        if found:
            return found
    return []


def _paper_link(link: _Link) -> bool:
    return bool(_PAPER_HOST.search(link.url + " ")) or _label(link.text) in _PAPER_LABELS


def _read_inline(inline: _Inline, plain: bool) -> _Read:
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
            m = _ACRONYM_YEAR.search(rest[:20_000])
            if m and not names(m.group("venue"), strict=False) == [rest.strip()]:
                read.where = _Where(m.group("venue"), int(m.group("y4")))
        if read.where.year is None:
            m = _YEAR.search(rest[:20_000])
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


def _row_record(entry: _Entry) -> tuple[Record, bool] | None:
    roles = [_column(h) for h in entry.header] + [""] * max(0, len(entry.cells) - len(entry.header))
    rec = Record(line=entry.line)
    joined = _Inline()
    for cell in entry.cells:
        joined.links.extend(_Link(lk.text, lk.url, 0, 0, lk.image) for lk in cell.links)
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
                only = _VENUE_ONLY.match(value)
                if only:
                    found.venue = _CANONICAL.get(only.group("venue").casefold(), only.group("venue"))
                    found.track = _TRACKS.get((only.group("mod") or "").casefold())
                elif len(value) <= 60 and any(ch.isalpha() for ch in value):
                    found.venue = value
            where.venue = where.venue or found.venue
            where.year = where.year or found.year
            where.track = where.track or found.track
        elif role == "year":
            m = _YEAR.search(value)
            where.year = where.year or (int(m.group(1)) if m else None)
        elif role == "keywords" and value:
            rec.keywords.append(value)
        elif role not in ("title", "code", "links") and value and entry.header:
            rec.extra[(entry.header[index] if index < len(entry.header) else "") or f"column {index + 1}"] = value
    rec.venue, rec.year, rec.track = where.venue, where.year, where.track
    evidence = _links(joined, rec, url) or evidence
    return rec, evidence or bool(rec.authors) or bool(where.venue)


def _record(entry: _Entry) -> tuple[Record, bool] | None:
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


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    entries = _entries(source.text(), ctx)
    skipped: list[int] = []
    position = 0
    for entry in entries:
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

