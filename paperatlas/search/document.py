"""What of a paper is searched: plain-text fields for the keyword index, one text to embed."""

from __future__ import annotations

import hashlib

from ..models import Paper
from ..normalize import latex_to_text


def keyword_fields(paper: Paper) -> dict[str, object]:
    """Fields for the keyword index: LaTeX turned into readable text, lists joined."""
    return {
        "id": paper.id,
        "title": latex_to_text(paper.title),
        "abstract": latex_to_text(paper.abstract),
        "authors": list(paper.authors),
        "keywords": list(paper.keywords),
        "venue": paper.venue or "",
        "year": paper.year or 0,
        "track": paper.track or "",
        "session": paper.session or "",
        "has_code": bool(paper.code_urls),
    }


def embedding_text(paper: Paper) -> str:
    """The text a paper is embedded from: title and abstract, plain."""
    title = latex_to_text(paper.title)
    abstract = latex_to_text(paper.abstract)
    return f"{title}. {abstract}" if title and abstract else title or abstract


def text_hash(text: str) -> str:
    """Key of an embedding: the same text is never embedded twice, whatever paper it belongs to."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
