"""Topic maps of a set of papers: a 2-D layout, two levels of labelled clusters, deterministic.

Pure functions over numpy arrays and strings (no catalog access); ``build_map`` is the entry
point. Needs scikit-learn and openTSNE (the ``maps`` extra).
"""

from __future__ import annotations

from .build import MAP_VERSION, Cluster, Point, Progress, TopicMap, build_map, fingerprint
from .labels import ctfidf, distinct_labels, keyphrases, terms

__all__ = [
    "MAP_VERSION", "Cluster", "Point", "Progress", "TopicMap", "build_map", "ctfidf", "distinct_labels", "fingerprint",
    "keyphrases", "terms",
]
