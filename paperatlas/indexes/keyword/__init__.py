"""The keyword index (tantivy BM25): ``KeywordIndex``, its schema, query builder and explainer."""

from .index import NAME, KeywordHits, KeywordIndex

__all__ = ["NAME", "KeywordHits", "KeywordIndex"]
