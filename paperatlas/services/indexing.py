"""Index use case: bring the keyword and semantic indexes up to date (resumable; embeds only
texts not embedded before), and optionally prune what no search can use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..errors import EmbedderUnavailable

if TYPE_CHECKING:
    from ..app import Atlas

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class IndexReport:
    keyword_changed: int
    embedded: int
    semantic_coverage: float
    terms_changed: int = 0
    pruned_vectors: int = 0
    pruned_links: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def build_indexes(atlas: Atlas, *, limit: int | None = None, prune: bool = False,
                  keyword_progress: Progress | None = None, vector_progress: Progress | None = None) -> IndexReport:
    """Keyword index first (searches can use it at once), then embeddings; ``limit`` caps how
    many papers are embedded now (the rest waits for the next run); ``prune`` then deletes
    vectors of other models and of vanished papers and compacts the catalog file."""
    changed = atlas.indexes.sync_keyword(keyword_progress)
    embedded = atlas.indexes.sync_vectors(vector_progress, limit)
    try:
        terms = atlas.indexes.sync_terms()  # the recommendations' features
    except EmbedderUnavailable:  # scikit-learn is not installed: recommendations say so when asked
        terms = 0
    pruned = (0, 0)
    if prune:
        pruned = atlas.indexes.prune()
        atlas.store.compact()
    return IndexReport(changed, embedded, atlas.indexes.coverage() or 0.0, terms, *pruned)
