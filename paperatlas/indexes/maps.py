"""Stored topic maps: a derived index of one map per set of papers (a venue-year, a search result).

A map is a JSON file ``<index folder>/maps/<key>.json`` (memory for an in-memory catalog), where
``key`` covers everything the map depends on: the set of paper ids (any order), the vector
model, the seed, ``MAP_VERSION`` (``paperatlas.maps.fingerprint``) and the vectors themselves
(a changed abstract is embedded again, so its map is built again). The same set therefore reads
the stored map; a paper added, removed or changed gives a new key and a new build. Files are
written whole (temporary file, then rename), so a reader never sees half a map; at most ``KEEP``
maps are kept, the least recently used removed first.

Beside the maps, ``venues.registry`` remembers the key of each venue-year's latest map (a
key is a hash: nothing else tells which map is whose), so search finds the maps of the venues
in scope without reading every vector of the catalog (``services.topics``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..maps import MAP_VERSION, TopicMap, fingerprint

NAME = "maps"
FORMAT = 1
KEEP = 64
REGISTRY = "venues.registry"  # not *.json: pruning counts only the maps


def map_key(ids: list[str], vectors: np.ndarray, model: str, seed: int = 0) -> str:
    """The key of the map of papers ``ids`` with these ``vectors`` (rows in the order of ``ids``)."""
    order = sorted(range(len(ids)), key=lambda i: ids[i])
    digest = hashlib.blake2b(fingerprint(ids, seed, model).encode(), digest_size=16)
    # rounded so that one vector read from int8 storage twice hashes the same
    digest.update(np.ascontiguousarray(np.round(np.asarray(vectors, dtype=np.float32)[order], 4)).tobytes())
    return digest.hexdigest()


class MapIndex:
    """The stored maps of one catalog; ``get_or_build`` is the one way in."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._memory: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()  # one build at a time: a second request for the same map waits and reads it
        self.builds = 0  # maps built by this object (tests and the CLI say whether a map was reused)
        self._venues: dict[tuple[str, int], str] = {}  # the registry of an in-memory catalog

    def venue_keys(self) -> dict[tuple[str, int], str]:
        """(venue, year) -> the key of its latest map (which may since have been pruned)."""
        if self.folder is None:
            return dict(self._venues)
        try:
            rows = json.loads((self.folder / REGISTRY).read_text(encoding="utf-8"))
            return {(str(v), int(y)): str(k) for v, y, k in rows}
        except (OSError, ValueError, TypeError):
            return {}  # none yet, or damaged: maps are remembered again as venue pages read them

    def remember(self, venue: str, year: int, key: str) -> None:
        """Note ``key`` as the map of ``venue`` in ``year`` (a no-op when it already is)."""
        with self._lock:
            known = self.venue_keys()
            if known.get((venue, year)) == key:
                return
            known[(venue, year)] = key
            if self.folder is None:
                self._venues = known
                return
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / REGISTRY
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            try:
                tmp.write_text(json.dumps(sorted([v, y, k] for (v, y), k in known.items()), ensure_ascii=False),
                               encoding="utf-8")
                os.replace(tmp, path)
            finally:
                tmp.unlink(missing_ok=True)

    def _path(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{key}.json"

    def get(self, key: str) -> TopicMap | None:
        data = self._read(key)
        if data is None or data.get("format") != FORMAT or data.get("version") != MAP_VERSION:
            return None
        return TopicMap.from_stored(data["map"])

    def _read(self, key: str) -> dict[str, Any] | None:
        if self.folder is None:
            return self._memory.get(key)
        path = self._path(key)
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            os.utime(path)  # recently used: kept longest
        except (OSError, ValueError):
            return None  # missing or damaged: built again
        return data

    def put(self, key: str, topic_map: TopicMap, about: dict[str, Any]) -> None:
        data = {"format": FORMAT, "version": MAP_VERSION, "key": key, "about": about, "map": topic_map.to_stored()}
        if self.folder is None:
            self._memory[key] = data
            while len(self._memory) > KEEP:  # the oldest first (dicts keep insertion order)
                del self._memory[next(iter(self._memory))]
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(key)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            tmp.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        self._prune()

    def _prune(self) -> None:
        assert self.folder is not None
        files = sorted(self.folder.glob("*.json"), key=lambda p: (p.stat().st_mtime_ns, p.name), reverse=True)
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)

    def get_or_build(self, key: str, build: Callable[[], TopicMap], about: dict[str, Any]) -> tuple[TopicMap, bool]:
        """The stored map under ``key``, or ``build()`` stored under it; and whether it was built now."""
        found = self.get(key)
        if found is not None:
            return found, False
        with self._lock:
            found = self.get(key)  # built by another thread while this one waited
            if found is not None:
                return found, False
            topic_map = build()
            self.put(key, topic_map, about)
            self.builds += 1
            return topic_map, True
