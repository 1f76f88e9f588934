"""paperatlas: a local-first discovery engine for research papers.

The library is the product; the CLI and the web app are thin adapters over it::

    from paperatlas import Atlas, Filters, search
    from paperatlas.services.ingest import ingest_paths

    with Atlas.open("papers.sqlite") as atlas:
        ingest_paths(atlas, ["iclr2023.json"])
        for hit in search(atlas, "contrastive learning", filters=Filters(venue="ICLR")).hits:
            print(hit.score, hit.paper.title)
"""

__version__ = "0.2.0"

from .app import Atlas
from .errors import (
    CatalogError,
    EmbedderUnavailable,
    IndexBusy,
    InvalidInput,
    LibraryError,
    MergeError,
    NotFound,
    PaperatlasError,
    ParseError,
    SettingsError,
    TransferError,
)
from .filters import Filters
from .models import Paper, Record, SourceRef
from .search import Hit, SearchResults, related, search, search_batch
from .settings import Settings, resolve

__all__ = [
    "Atlas",
    "CatalogError",
    "EmbedderUnavailable",
    "Filters",
    "Hit",
    "IndexBusy",
    "InvalidInput",
    "LibraryError",
    "MergeError",
    "NotFound",
    "Paper",
    "PaperatlasError",
    "ParseError",
    "Record",
    "SearchResults",
    "Settings",
    "SettingsError",
    "SourceRef",
    "TransferError",
    "related",
    "resolve",
    "search",
    "search_batch",
]
