"""The errors of fetching sources (all ``PaperatlasError``s, each with a hint)."""

from __future__ import annotations

from ..errors import PaperatlasError


class SourceError(PaperatlasError):
    """A source answered with something its connector cannot use (an API error, not a feed)."""
