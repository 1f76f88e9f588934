"""Fuzzy blocking keys: which (record, paper) pairs are worth judging at all.

Each key is a 64-bit integer stored in ``block_keys`` (key, paper) and looked up by key, so the
pairs compared grow with the number of real look-alikes, not with the square of the catalog:

- ``s``: the author surnames with venue and year (a title rewritten between submission and
  camera-ready keeps its authors);
- ``p``: the normalised PDF URL;
- eight LSH bands of a MinHash signature (Broder 1997) over word 3-shingles of the abstract's
  first 60 words: two abstracts whose shingle sets have Jaccard similarity J meet in at least one
  band with probability 1 - (1 - J^2)^8 (0.9997 at J = 0.8, 0.90 at J = 0.5). Only records without
  a usable title are filed this way (see ``block_keys``).

Exact keys (ids, title key, abstract key) are ``rules.keys``, stored as text in ``match_keys``.

Why not datasketch: its MinHash hashes each token with SHA-1 in Python and builds one object per
record, and its LSH index lives in memory; here the signature of a whole file is a few numpy
operations (ingest computes it in the parse workers), and the index is the SQLite table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from .rules import MatchInfo, is_weak_title

LSH_BANDS, LSH_ROWS = 8, 2


@dataclass
class Blocks:
    """The fuzzy keys of one record: those its paper is filed under, and those it looks up
    (``bands`` only matter once some paper filed bands: see ``BANDS_FILED``)."""

    stored: list[int] = field(default_factory=list)
    probes: list[int] = field(default_factory=list)
    bands: list[int] = field(default_factory=list)


# Filed, besides its bands, by every paper that files abstract bands: while no paper has, nobody
# needs to look bands up (a catalog of titled listings never does).
BANDS_FILED = -1


def block_keys(infos: list[MatchInfo]) -> list[Blocks]:
    """The fuzzy blocking keys of many records at once, as 64-bit integers (compact to store and
    to look up); MinHash is vectorised over the batch.

    Abstract bands are filed only for records without a usable title, and every record looks
    them up: a titled record finds an abstract-only copy filed before it (even an edited one); a
    copy that comes after its paper finds it through the exact abstract key. Titled records, the
    vast majority, meet through titles, authors and ids, and file no bands (1.7 fewer rows to
    write per record)."""
    out: list[Blocks] = []
    for info in infos:
        keys = []
        if "pdf" in info.ids:
            keys.append(_int_digest("p:" + info.ids["pdf"]))
        if info.surnames:
            year = min(info.years) if info.years else 0
            keys.append(_int_digest(f"s:{' '.join(sorted(info.surnames))}|{info.venue}|{year}"))
        out.append(Blocks(keys, list(keys)))
    for info, blocks, bands in zip(infos, out, lsh_bands([info.abstract_key for info in infos])):
        blocks.bands.extend(bands)
        if bands and (not info.title_key or is_weak_title(info.title_key)):
            blocks.stored.extend([*bands, BANDS_FILED])
    return out


def _int_digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


def _constants(name: str, n: int) -> np.ndarray:
    """Fixed 64-bit constants from a name: keys stay the same across processes and versions."""
    return np.array([_int_digest(f"{name}{i}") & (2**64 - 1) for i in range(n)], dtype=np.uint64)


# Multiply-shift hashing (Dietzfelbinger et al. 1997): h_i(x) = (a_i * x + b_i mod 2^64) >> 32,
# with odd a_i.
_MH_A = _constants("minhash-a", LSH_BANDS * LSH_ROWS) | np.uint64(1)
_MH_B = _constants("minhash-b", LSH_BANDS * LSH_ROWS)
_SHINGLE_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


def minhash(texts: list[str]) -> list[np.ndarray | None]:
    """MinHash signatures (Broder 1997) over word 3-shingles of each text: ``LSH_BANDS *
    LSH_ROWS`` values each; None for a text of fewer than three words."""
    owners, mins = _minhash_batch(texts)
    sigs: list[np.ndarray | None] = [None] * len(texts)
    for row, i in enumerate(owners):
        sigs[i] = mins[row]
    return sigs


_POWERS = np.cumprod(np.full(64, 0x100000001B3, dtype=np.uint64)) // np.uint64(0x100000001B3)


def _word_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(a 64-bit hash of every word of every text, the index of the text it belongs to): a
    polynomial hash over the word's UTF-8 bytes, computed for all texts at once."""
    raw = np.frombuffer("\n".join(t.replace("\n", " ") for t in texts).encode(), dtype=np.uint8)
    sep = raw <= 32  # spaces, and the newlines that end each text
    is_start = ~sep & np.concatenate(([True], sep[:-1]))
    starts = np.flatnonzero(is_start)
    if not len(starts):
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    text_of = np.searchsorted(np.flatnonzero(raw == 10), starts)
    index = np.arange(len(raw), dtype=np.int32)
    offset = (index - np.maximum.accumulate(np.where(is_start, index, 0)))[~sep]
    values = (raw[~sep].astype(np.uint64) + np.uint64(1)) * _POWERS[np.minimum(offset, 63)]
    words = np.add.reduceat(values, np.flatnonzero(offset == 0))
    words ^= words >> np.uint64(31)
    return words * np.uint64(0x94D049BB133111EB), text_of


def _minhash_batch(texts: list[str]) -> tuple[list[int], np.ndarray]:
    """(which texts have a signature, their signatures as rows). A shingle hash mixes its three
    word hashes; the whole batch is a few numpy operations."""
    w, text_of = _word_hashes(texts)
    whole = np.flatnonzero(text_of[:-2] == text_of[2:]) if len(w) > 2 else np.zeros(0, dtype=np.int64)
    if not len(whole):  # no text of three words or more
        return [], np.zeros((0, LSH_BANDS * LSH_ROWS), dtype=np.uint32)
    shingles = w[whole] * _SHINGLE_MIX[0] + w[whole + 1] * _SHINGLE_MIX[1] + w[whole + 2]
    owner = text_of[whole]
    begin = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
    hashed = (shingles[:, None] * _MH_A[None, :] + _MH_B[None, :]) >> np.uint64(32)
    return owner[begin].tolist(), np.minimum.reduceat(hashed, begin, axis=0).astype(np.uint32)


_BAND_MIX = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB], dtype=np.uint64)


def lsh_bands(texts: list[str]) -> list[list[int]]:
    """LSH band keys of each text's MinHash signature (``LSH_ROWS`` values mixed into one 64-bit
    key per band, the band number mixed in too); none for a text of fewer than three words."""
    out: list[list[int]] = [[] for _ in texts]
    owners, mins = _minhash_batch(texts)
    if owners:
        rows = mins.astype(np.uint64).reshape(len(owners), LSH_BANDS, LSH_ROWS)
        mixed = (rows * _BAND_MIX[:LSH_ROWS]).sum(axis=2) + np.arange(LSH_BANDS, dtype=np.uint64)
        for i, bands in zip(owners, mixed.view(np.int64).tolist()):
            out[i] = bands
    return out
