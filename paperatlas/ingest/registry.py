"""The one place where formats are registered, and auto-detection over them.

Detection sniffs first: each parser looks at the head of the text and says how sure it is. When
no parser is sure (``detect_by_parsing``: best score below ``CONFIDENT``; ``detect``: no score at
all), each parser reads the start of the text and the one that reads it best is taken (the most
titles, authors and abstracts, with at least one complete record: a title with authors or an
abstract): six lines pasted from a session page, without the page's header line, still read as
that page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..errors import ParseError
from ..models import Record
from .base import ParseContext, Parser, Source

CONFIDENT = 50  # a sniff score from here on is trusted without reading the text
TRIAL_BYTES = 256 * 1024  # the start of the text each parser reads when sniffing is not sure
TRIAL_SECONDS = 3.0  # all trial reads together
TRIAL_RECORDS = 5000  # records counted per parser

_PARSERS: dict[str, Parser] = {}


def register(parser: Parser) -> Parser:
    """Add a parser (built-ins use this same door). A later one with the same NAME replaces it."""
    _PARSERS[parser.NAME] = parser
    return parser


def parsers() -> dict[str, Parser]:
    _ensure_builtins()
    return dict(_PARSERS)


def get(name: str) -> Parser:
    known = parsers()
    if name not in known:
        raise ParseError(
            f"unknown format {name!r}",
            hint="known formats: " + ", ".join(sorted(known)),
        )
    return known[name]


def detect(source: Source) -> Parser:
    """The parser that claims the source most confidently; when none claims it at all, the one
    that reads it best (as ``detect_by_parsing`` tries them); a ParseError naming the formats if
    none does."""
    scored = _sniffed(source)
    best_score, _, best = scored[0]
    if best_score <= 0:
        trial = _by_parsing(source, scored)
        if trial is None:
            raise _unknown(source)
        return trial.parser
    return best


@dataclass(frozen=True)
class Detection:
    """What detection chose and how: ``by`` is "sniff" (the parser claimed the text) or "parsing"
    (no parser was sure, and this one read the most complete records from the start of it)."""

    parser: Parser
    score: int  # the parser's sniff score
    by: str
    found: int = 0  # "parsing": records read from the start of the text
    complete: int = 0  # ... of them with a title and authors or an abstract

    @property
    def name(self) -> str:
        return self.parser.NAME


def detect_by_parsing(
    source: Source, *, time_limit: float = TRIAL_SECONDS, size_limit: int = TRIAL_BYTES
) -> Detection:
    """The format of ``source``: the confident sniffer's (score >= ``CONFIDENT``) as ``detect``
    would pick it; otherwise the parser that reads the first ``size_limit`` bytes best (the most
    titles, authors and abstracts, at least one complete record; all parsers together within
    ``time_limit`` seconds; see ``_by_parsing``), else the best sniffer; a ParseError naming the
    formats if nothing reads it."""
    scored = _sniffed(source)
    best_score, _, best = scored[0]
    if best_score >= CONFIDENT:
        return Detection(best, best_score, "sniff")
    trial = _by_parsing(source, scored, time_limit, size_limit)
    if trial is not None:
        return trial
    if best_score > 0:
        return Detection(best, best_score, "sniff")
    raise _unknown(source)


def _sniffed(source: Source) -> list[tuple[int, str, Parser]]:
    """Every parser's sniff score, best first (ties by name)."""
    if not source.data.strip():
        raise ParseError("the file is empty", path=source.path, hint="copy the listing again")
    return sorted(((p.sniff(source), name, p) for name, p in parsers().items()), key=lambda t: (-t[0], t[1]))


def _unknown(source: Source) -> ParseError:
    if b"\x00" in source.data[:8192]:
        what = "the file looks binary"
    else:
        what = "the file is in no format paperatlas knows"
    return ParseError(
        what,
        path=source.path,
        hint="known formats: " + ", ".join(sorted(parsers())) + "; pass --format NAME if you know which one it is",
    )


def _by_parsing(
    source: Source,
    scored: list[tuple[int, str, Parser]],
    time_limit: float = TRIAL_SECONDS,
    size_limit: int = TRIAL_BYTES,
) -> Detection | None:
    """Each parser reads the start of the text; the one that reads the most (title, authors,
    abstract) fields wins, then the one with more complete records (a title and authors or an
    abstract), then the higher sniff score; None if the winner reads no complete record (abstracts
    read as abstracts beat one "title" over all of them, then detection keeps to sniffing). A
    parser that fails on the text is out; one that runs past the time left keeps what it read so
    far, and the parsers after it are not tried."""
    if b"\x00" in source.data[:8192]:
        return None
    data = source.data
    if len(data) > size_limit:
        cut = data.rfind(b"\n", 0, size_limit)
        data = data[: cut if cut > 0 else size_limit]
    deadline = time.monotonic() + time_limit
    best: tuple[tuple[int, int, int, int], Detection] | None = None
    for score, _, parser in scored:
        if time.monotonic() > deadline:
            break
        found = fields = complete = full = 0
        try:
            for rec in parser.parse(Source(source.path, data), ParseContext(path=source.path)):
                titled, authors, abstract = _fields(rec)
                found += 1
                fields += titled + authors + abstract
                complete += titled and (authors or abstract)
                full += titled and authors and abstract
                if found >= TRIAL_RECORDS or time.monotonic() > deadline:
                    break
        except Exception:  # noqa: BLE001 - a parser that cannot read the text is out (ParseError or a bug alike)
            continue
        key = (fields, full, complete, score)
        if best is None or key > best[0]:
            best = key, Detection(parser, score, "parsing", found, complete)
    return best[1] if best and best[1].complete else None


def _fields(rec: Record) -> tuple[bool, bool, bool]:
    """Whether a record read on trial has a title, authors and an abstract that look like ones: a
    title of two words or more, a name with a capital (or in a script without case), an abstract
    of ten words or more. (A shopping list read as "title, then one lower-case author" is not a
    paper.)"""
    title = (rec.title or "").strip()
    titled = (len(title.split()) >= 2 or len(title) >= 8) and " · " not in title  # not an author line
    authors = any(_name_like(str(a)) for a in rec.authors[:50])
    abstract = len((rec.abstract or "").split()) >= 10
    return titled, authors, abstract


def _name_like(name: str) -> bool:
    words = name.split()
    return 1 <= len(words) <= 8 and any(w[0].isalpha() and not w[0].islower() for w in words)


_loaded = False


def _ensure_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from . import builtin  # noqa: F401  (registers the built-in parsers)
