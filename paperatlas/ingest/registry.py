"""The one place where formats are registered, and auto-detection over them."""

from __future__ import annotations

from ..errors import ParseError
from .base import Parser, Source

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
    """The parser that claims the source most confidently; a ParseError naming the formats if none."""
    if not source.data.strip():
        raise ParseError("the file is empty", path=source.path, hint="copy the listing again")
    scored = sorted(
        ((p.sniff(source), name, p) for name, p in parsers().items()), key=lambda t: (-t[0], t[1])
    )
    best_score, _, best = scored[0]
    if best_score <= 0:
        if b"\x00" in source.data[:8192]:
            what = "the file looks binary"
        else:
            what = "the file is in no format paperatlas knows"
        raise ParseError(
            what,
            path=source.path,
            hint="known formats: "
            + ", ".join(sorted(parsers()))
            + "; pass --format NAME if you know which one it is",
        )
    return best


_loaded = False


def _ensure_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    from . import builtin  # noqa: F401  (registers the built-in parsers)
