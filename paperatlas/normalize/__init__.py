"""Clean forms of what sources say, for matching and display. The original text is never lost:
parsers keep it, these functions derive from it. Shared by every parser and by the catalog.

Every function here must accept any string without raising, and run in (near) linear time:
sources are scraped pages and their text is hostile by accident.

The parts, by theme (import from ``paperatlas.normalize``; the submodules are its layout):

- ``whitespace``: ``clean_ws``, the whitespace rule every other part uses;
- ``latex``: ``latex_to_text``, LaTeX to readable plain text;
- ``keys``: ``title_key`` / ``abstract_key``, folded keys for matching;
- ``authors``: ``split_authors``, ``repair_doubled_name``;
- ``links``: ``extract_code_urls``, ``is_code_anonymized``;
- ``ids``: ``extract_ids`` (OpenReview forum, arXiv, DOI), ``normalize_doi``, ``normalize_arxiv``;
- ``record``: ``clean_record``, all of the above applied to a parsed record.
"""

from __future__ import annotations

from .authors import repair_doubled_name, split_authors
from .ids import extract_ids, normalize_arxiv, normalize_doi
from .keys import _COMBINING as _COMBINING
from .keys import abstract_key, title_key
from .latex import latex_to_text
from .links import extract_code_urls, is_code_anonymized
from .record import clean_record
from .whitespace import _WS as _WS
from .whitespace import clean_ws

__all__ = [
    "abstract_key",
    "clean_record",
    "clean_ws",
    "extract_code_urls",
    "extract_ids",
    "normalize_arxiv",
    "normalize_doi",
    "is_code_anonymized",
    "latex_to_text",
    "repair_doubled_name",
    "split_authors",
    "title_key",
]
