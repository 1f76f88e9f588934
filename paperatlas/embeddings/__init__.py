"""Embedders: text → unit vectors, behind one small base class and a registry.

``Embedder.embed_batch(texts)`` is the only thing a backend implements; ``embed`` (batching,
validation) and ``embed_query`` live in the base class. Built-in embedders are registered
through the same ``register_embedder`` door that tests and plugins use:

- ``minilm-l6-int8`` (default): all-MiniLM-L6-v2, int8 ONNX graph built from the bundled weights
- ``minilm-l6``: the same model in float32 (slower, closest to sentence-transformers)
- ``hashing``: a deterministic bag-of-words hashing embedder without any model, for tests

Vectors are stored as int8 with one scale per vector (``quantize`` / ``dequantize``).
"""

from __future__ import annotations

import hashlib
import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ..errors import EmbedderUnavailable

__all__ = [
    "DEFAULT_EMBEDDER",
    "Embedder",
    "EmbedderUnavailable",
    "HashingEmbedder",
    "dequantize",
    "embedder_names",
    "get_embedder",
    "quantize",
    "register_embedder",
]

DEFAULT_EMBEDDER = "minilm-l6-int8"


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors of ``dim`` components."""

    name: str
    dim: int

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """float32 array (len(texts), dim), each row of unit length."""

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """``embed_batch`` over batches, checked: float32 (n, dim), rows of unit length. Lone
        surrogates (valid in JSON escapes, not in UTF-8) become U+FFFD first: tokenizers reject them."""
        texts = [_valid_utf8(t) for t in texts]
        parts = [self.embed_batch(list(texts[i : i + batch_size])) for i in range(0, len(texts), batch_size)]
        out = np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
        if out.shape != (len(texts), self.dim):
            raise ValueError(f"embedder {self.name} returned shape {out.shape}, expected {(len(texts), self.dim)}")
        return _unit(out.astype(np.float32, copy=False))

    def embed_query(self, text: str) -> np.ndarray:
        """One text → a (dim,) unit vector."""
        vector: np.ndarray = self.embed([text])[0]
        return vector


def _valid_utf8(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:  # lone surrogates: each becomes U+FFFD (a paired one, the character)
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit: np.ndarray = vectors / np.maximum(norms, 1e-12)
    return unit


# int8 storage --------------------------------------------------------------------------------


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-vector symmetric int8: ``q = round(v / scale)`` with ``scale = max|v| / 127``."""
    vectors = np.asarray(vectors, dtype=np.float32)
    scale = np.maximum(np.abs(vectors).max(axis=1), 1e-12) / 127.0
    q = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def dequantize(q: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return q.astype(np.float32) * np.asarray(scale, dtype=np.float32)[:, None]


# registry ------------------------------------------------------------------------------------
# A plugin registry (names -> factories), like the parser registry: which embedders exist is
# process-wide, instances are not (the application object holds the one it uses).

Factory = Callable[..., Embedder]
_FACTORIES: dict[str, Factory] = {}
_BUILTINS_DONE: list[bool] = []


def register_embedder(name: str, factory: Factory) -> None:
    """Make ``get_embedder(name)`` call ``factory()``; a factory that takes a ``cache_dir``
    keyword gets the folder for prepared model files. Registering a name again replaces it."""
    _FACTORIES[name] = factory


def embedder_names() -> list[str]:
    _ensure_builtins()
    return sorted(_FACTORIES)


def get_embedder(name: str | None = None, *, cache_dir: Path | None = None) -> Embedder:
    """A new embedder of the kind registered as ``name`` (default ``minilm-l6-int8``).

    Raises ``ValueError`` for an unknown name and ``EmbedderUnavailable`` when its model or
    runtime is not installed.
    """
    _ensure_builtins()
    name = name or DEFAULT_EMBEDDER
    if name not in _FACTORIES:
        raise ValueError(f"unknown embedder {name!r}; known: {', '.join(sorted(_FACTORIES))}")
    factory = _FACTORIES[name]
    if cache_dir is not None and "cache_dir" in inspect.signature(factory).parameters:
        return factory(cache_dir=cache_dir)
    return factory()


def _ensure_builtins() -> None:
    """Register the built-in embedders on first use (no import-time side effects); a name
    registered before keeps its factory."""
    if _BUILTINS_DONE:
        return
    from . import minilm

    def int8(cache_dir: Path | None = None) -> Embedder:
        return minilm.MiniLMEmbedder(quantized=True, cache_dir=cache_dir)

    def float32(cache_dir: Path | None = None) -> Embedder:
        return minilm.MiniLMEmbedder(quantized=False, cache_dir=cache_dir)

    for builtin, factory in (("minilm-l6-int8", int8), ("minilm-l6", float32), ("hashing", HashingEmbedder)):
        _FACTORIES.setdefault(builtin, factory)
    _BUILTINS_DONE.append(True)


# a model-free embedder -----------------------------------------------------------------------

_WORD = re.compile(r"\w+")


class HashingEmbedder(Embedder):
    """Bag of lower-cased words hashed into ``dim`` signed buckets: deterministic, instant, and
    texts sharing words score higher. For tests, and as a stand-in when no model is installed."""

    def __init__(self, dim: int = 64, name: str = "hashing") -> None:
        self.dim = dim
        self.name = name

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()) or [""]:
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        out[~out.any(axis=1), 0] = 1.0
        return _unit(out)
