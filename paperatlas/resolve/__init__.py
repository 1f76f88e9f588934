"""Entity resolution: which records are one paper.

- ``rules``: pure match evidence, the three-way judge (merge, review, distinct) and the choice of
  display values; ``blocking``: fuzzy blocking keys (MinHash/LSH and friends);
- ``prepare``: the pure per-record work of storing a file (runs in the parse workers);
- ``matcher`` and ``batch``: storing one file, matching its new records against the catalog;
- ``review``: a person's merge, keep-apart and split decisions, and the queue of uncertain pairs.

Everything that reads or writes goes through the store's writer (``store.protocol.CatalogWriter``),
so any store that implements it gets the same resolution.
"""

from .batch import BatchResult, store_file
from .prepare import Prepared, prepare

__all__ = ["BatchResult", "Prepared", "prepare", "store_file"]
