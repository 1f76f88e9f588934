"""Errors raised by the core, translated to messages and exit codes (CLI) or statuses (web) at
the boundary. Every error carries a ``hint``: what the user can do about it.

PaperatlasError
├── ParseError            a file (or a record in it) could not be read            CLI 1, HTTP 400
├── InvalidInput          a parameter, option or body field that cannot be used    CLI 2, HTTP 400
│   ├── SettingsError     a settings file or variable with an unknown key or a wrong type
│   ├── LibraryError      a library change that cannot be made as asked (empty tag, name taken)
│   ├── MergeError        a merge or split that cannot be done as asked
│   └── TransferError     a library export that cannot be imported (newer version, damaged)
├── NotFound              a paper id, list, file or resource that does not exist   CLI 1, HTTP 404
├── CatalogError          the catalog cannot be opened or used (newer version, damaged)  HTTP 500
│   └── CatalogUnavailable  its server cannot be reached right now (it went away)  HTTP 503
├── EmbedderUnavailable   the embedding model or its runtime is not installed
└── IndexBusy             another process holds a derived index; try again          HTTP 503
    └── WriteBusy         another write (an import) holds the catalog past the caller's wait
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


class InvalidInput(PaperatlasError):
    """A value given by the user (option, parameter, body field) that cannot be used as given."""


class SettingsError(InvalidInput):
    """A settings file, variable or flag with an unknown name or a value of the wrong type."""


class LibraryError(InvalidInput):
    """A library change that cannot be made as asked (empty tag, list name taken, note too long)."""


class MergeError(InvalidInput):
    """A merge or split that cannot be done as asked (a paper with itself, one record)."""


class TransferError(InvalidInput):
    """A library export that cannot be imported (another program's file, a newer version)."""


class NotFound(PaperatlasError):
    """Something named by the user does not exist."""


class CatalogError(PaperatlasError):
    """The catalog cannot be used (written by a newer version, damaged, not a catalog)."""


class CatalogUnavailable(CatalogError):
    """The catalog's server cannot be reached right now (stopped, restarting, network gone): the
    request fails and a later one, once the server is back, works (HTTP 503, not 500)."""


class EmbedderUnavailable(PaperatlasError):
    """An embedder cannot run here: its model package or runtime is not installed."""


class IndexBusy(PaperatlasError):
    """A derived index is being written by another process (or thread) right now."""


class WriteBusy(IndexBusy):
    """Another write transaction (an import) held the catalog longer than the caller may wait."""
