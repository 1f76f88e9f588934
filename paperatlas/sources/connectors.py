"""The built-in connectors, registered on import (one module each)."""

from __future__ import annotations

from . import arxiv, arxiv_rss, huggingface, openreview, paperscool, semantic_scholar, url  # noqa: F401
