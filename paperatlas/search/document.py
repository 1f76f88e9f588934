"""What of a paper is searched: plain-text fields for the keyword index, one text to embed."""

from __future__ import annotations

import hashlib

import numpy as np

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


# Weight of the title's own vector in a paper's vector (see ``title_weighted``). Chosen on the dev
# halves of bench/search_quality.py: 0 / 0.3 / 0.5 gave semantic nDCG@10 0.316 / 0.334 / 0.334
# on (a) ICLR topical and 0.684 / 0.756 / 0.780 on (b) SciRepEval; 0.3 keeps hybrid above both
# of its parts on both benchmarks. Changing it changes ``vector_model`` (papers are re-embedded).
TITLE_WEIGHT = 0.3


def embedding_title(paper: Paper) -> str:
    """The title as embedded on its own (plain text)."""
    return latex_to_text(paper.title)


def title_weighted(text_vectors: np.ndarray, title_vectors: np.ndarray, weight: float = TITLE_WEIGHT) -> np.ndarray:
    """Unit rows of ``(1 - weight) * v(title + abstract) + weight * v(title)``.

    Why: MiniLM reads at most 256 word pieces, and in title + abstract the title is a small part
    of the text, while people search with title-like phrases; giving the title's own vector a
    share of the paper's vector raised semantic nDCG@10 on both quality benchmarks, at the
    cost of embedding one short text more per paper (about 10% more time), with no extra
    storage. A row whose title vector is all zeros (no title) keeps its text vector.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"title weight must be in [0, 1], got {weight}")
    text_vectors = np.asarray(text_vectors, dtype=np.float32)
    title_vectors = np.asarray(title_vectors, dtype=np.float32)
    has_title = np.linalg.norm(title_vectors, axis=1, keepdims=True) > 0
    mixed = np.where(has_title, (1 - weight) * text_vectors + weight * title_vectors, text_vectors)
    unit: np.ndarray = mixed / np.maximum(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-12)
    return unit


def vector_model(embedder_name: str, weight: float = TITLE_WEIGHT) -> str:
    """The name paper vectors are stored under: the embedder and how titles were weighted, so
    a change of either re-embeds instead of mixing incomparable vectors."""
    return embedder_name if weight == 0 else f"{embedder_name}+title{round(weight * 100):02d}"


def text_hash(text: str) -> str:
    """Key of an embedding: the same text is never embedded twice, whatever paper it belongs to."""
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
