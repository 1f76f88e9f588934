"""paperatlas: a local-first discovery engine for research papers."""

from .errors import CatalogError, NotFound, PaperatlasError, ParseError
from .models import Paper, Record, SourceRef

__all__ = ["CatalogError", "NotFound", "Paper", "PaperatlasError", "ParseError", "Record", "SourceRef"]
__version__ = "0.1.0"
