"""What every parser gets and gives: the ``Source`` it reads and the ``ParseContext`` it reports to.

A parser is a module (or any object) with three attributes:

- ``NAME``: short format name used by ``--format`` (e.g. ``"paperscool"``),
- ``sniff(source) -> int``: confidence 0-100 that the source is in this format (cheap: look at
  ``source.head``; never raise),
- ``parse(source, ctx) -> Iterator[Record]``: the records, in file order. Raise only
  ``ParseError`` (with ``path``/``line``/``record`` and a ``hint``); report page-level facts
  (a claimed total, the venue the page header names) and non-fatal problems through ``ctx``.

Parsers never touch the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from ..errors import ParseError
from ..models import Record
from .limits import Limits, gunzip

HEAD_BYTES = 64 * 1024


@dataclass
class Source:
    """The bytes of one input file (already gunzipped) plus its display name."""

    path: str
    data: bytes
    _text: str | None = field(default=None, repr=False)

    @classmethod
    def from_bytes(cls, path: str, raw: bytes, max_bytes: int = Limits().max_bytes) -> Source:
        """The source of ``raw`` (gunzipped when it is gzip data, at most ``max_bytes`` after)."""
        if raw[:2] == b"\x1f\x8b":
            raw = gunzip(path, raw, max_bytes)
        return cls(path=path, data=raw)

    @property
    def head(self) -> str:
        """The first 64 KiB as text (undecodable bytes replaced), for sniffing."""
        return self.data[:HEAD_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")

    def text(self) -> str:
        """The whole file as text; a ParseError if it is not UTF-8."""
        if self._text is None:
            try:
                self._text = self.data.decode("utf-8").lstrip("\ufeff")
            except UnicodeDecodeError as exc:
                line = self.data[: exc.start].count(b"\n") + 1
                raise ParseError(
                    "the file is not UTF-8 text (binary data?)",
                    path=self.path,
                    line=line,
                    hint="save the page text as UTF-8, or pass the original structured file",
                ) from None
        return self._text

    def lines(self) -> list[str]:
        """Text lines without their line endings (``\\r\\n`` and ``\\r`` handled)."""
        return self.text().splitlines()


@dataclass
class ParseContext:
    """What the user supplied and what the parser found about the page as a whole."""

    path: str = ""
    venue: str | None = None  # --venue etc.: fill in what a page does not say
    year: int | None = None
    track: str | None = None
    session: str | None = None
    skip_bad: bool = False  # skip damaged records with a warning instead of failing the file
    limits: Limits = field(default_factory=Limits)  # nesting depth, macro size … (see ingest.limits)
    claimed_total: int | None = None  # "Total: 693" on the page
    page_venue: str | None = None  # what the page header says, for the report
    page_track: str | None = None
    warnings: list[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        self.warnings.append(message)


class Parser(Protocol):
    NAME: str
    DESCRIPTION: str

    def sniff(self, source: Source) -> int: ...

    def parse(self, source: Source, ctx: ParseContext) -> Iterator[Record]: ...
