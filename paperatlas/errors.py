"""Errors raised by the core, translated to messages and exit codes at the boundary.

PaperatlasError
├── ParseError        a file could not be read as any (or the requested) format
├── NotFound          a paper id, file or resource that does not exist
└── CatalogError      the catalog file cannot be opened or is from a newer version

Every error carries a ``hint``: what the user can do about it.
"""

from __future__ import annotations


class PaperatlasError(Exception):
    """Base class of every error paperatlas raises on purpose."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ParseError(PaperatlasError):
    """A file (or one record in it) could not be parsed.

    ``path`` names the file, ``line`` (1-based) or ``record`` (1-based position) where known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str = "",
        line: int | None = None,
        record: int | str | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message, hint)
        self.path = path
        self.line = line
        self.record = record

    def where(self) -> str:
        parts = [self.path or "<input>"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.record is not None:
            parts.append(f"record {self.record}")
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.where()}: {self.message}"
        return f"{text}\n  hint: {self.hint}" if self.hint else text


class NotFound(PaperatlasError):
    """Something named by the user does not exist."""


class CatalogError(PaperatlasError):
    """The catalog database cannot be used."""
