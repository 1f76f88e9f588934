"""Topic-map use cases: the map of a venue-year, or of any set of papers (a search result, a list).

The map is built from the papers' stored vectors (the semantic index) and their texts (title,
abstract, keywords: the labels come from them) by ``paperatlas.maps.build_map``, and kept in
the maps index (``indexes.maps``): asking again for the same set of papers reads the stored map.
Papers without a vector yet are left off the map, and the map's notes say how many and what to
run. Needs the ``maps`` extra (openTSNE, scikit-learn).
"""

from __future__ import annotations

import importlib.util
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import deadline
from ..errors import EmbedderUnavailable, InvalidInput, NotFound
from ..filters import Filters

if TYPE_CHECKING:
    from ..app import Atlas
    from ..indexes.maps import MapIndex
    from ..maps import TopicMap
    from ..models import Paper

Progress = Callable[[str, int, int], None]
INSTALL_HINT = "pip install 'paperatlas[maps]' (openTSNE and scikit-learn)"
SEED = 0
MAX_PAPERS = 100_000  # a bigger set is refused: the map's page and JSON would not be usable anyway
_INDEXES: weakref.WeakKeyDictionary[Atlas, MapIndex] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()  # one MapIndex per Atlas, so its build lock is the only one


@dataclass(frozen=True)
class MapResult:
    """A map, the papers on it (id -> title, authors, track, session), whether it was built now."""

    map: TopicMap
    papers: dict[str, dict[str, Any]]
    built: bool
    missing: int  # papers of the set left off the map: no vector yet
    key: str = ""  # the maps index's key

    def to_dict(self) -> dict[str, Any]:
        """The map's JSON (``TopicMap.to_dict``) with ``notes``, each cluster's ``keyphrases`` and ``top``
        papers, and ``papers``: title, authors, track and session per point, for hover, search and lists."""
        data = self.map.to_dict()
        by_id = {c.id: c for c in self.map.clusters}
        for cluster in data["clusters"]:
            cluster["keyphrases"] = list(by_id[cluster["id"]].keyphrases)
            cluster["top"] = list(by_id[cluster["id"]].top)
        data["notes"] = list(self.map.notes)
        data["papers"] = self.papers
        return data


def require_extra() -> None:
    """Fail with the extra to install when the map's libraries are missing."""
    missing = [name for name in ("openTSNE", "sklearn", "scipy", "threadpoolctl") if importlib.util.find_spec(name) is None]
    if missing:
        raise EmbedderUnavailable(f"topic maps need {', '.join(missing)} (not installed)", hint=INSTALL_HINT)


def map_index(atlas: Atlas) -> MapIndex:
    """The maps index of this catalog (one per open Atlas)."""
    from ..indexes.maps import NAME, MapIndex

    with _INDEXES_LOCK:
        index = _INDEXES.get(atlas)
        if index is None:
            index = _INDEXES[atlas] = MapIndex(atlas.indexes.path(NAME))
        return index


def venue_ids(atlas: Atlas, venue: str | None, year: int | None) -> list[str]:
    """The ids of the papers of ``venue`` in ``year`` (every year when None); NotFound when none."""
    if not venue or not venue.strip():
        raise InvalidInput("a map needs a venue", hint="e.g. paperatlas map --venue ICLR --year 2023")
    ids = sorted(atlas.store.papers.ids_matching(Filters(venue=venue, year=year)))
    if not ids:
        where = f"{venue} {year}" if year is not None else venue
        raise NotFound(f"no papers of {where} in the catalog", hint="paperatlas stats lists the venues and years")
    return ids


def venue_map(atlas: Atlas, venue: str | None, year: int | None, progress: Progress | None = None) -> MapResult:
    """The topic map of the papers of ``venue`` in ``year`` (every year when None)."""
    return _remembered(atlas, venue, year, map_of(atlas, venue_ids(atlas, venue, year), progress))


def stored_venue_map(atlas: Atlas, venue: str | None, year: int | None) -> MapResult | None:
    """The venue's map if it is stored and up to date (no build: for a request that must answer at once)."""
    found = stored_map_of(atlas, venue_ids(atlas, venue, year))
    return None if found is None else _remembered(atlas, venue, year, found)


def _remembered(atlas: Atlas, venue: str | None, year: int | None, found: MapResult) -> MapResult:
    """``found``, noted as the venue-year's map, so that a ``topic:`` search finds it."""
    if venue and year is not None:
        map_index(atlas).remember(venue, year, found.key)
    return found


def map_of(atlas: Atlas, paper_ids: Sequence[str], progress: Progress | None = None) -> MapResult:
    """The topic map of these papers (any order; unknown ids are an error), built once per set."""
    found = _map_of(atlas, paper_ids, progress, build=True)
    assert found is not None
    return found


def stored_map_of(atlas: Atlas, paper_ids: Sequence[str]) -> MapResult | None:
    """The stored map of exactly these papers (as they are now), or None when it would have to be built."""
    return _map_of(atlas, paper_ids, None, build=False)


def _map_of(atlas: Atlas, paper_ids: Sequence[str], progress: Progress | None, build: bool) -> MapResult | None:
    require_extra()
    from ..indexes.maps import map_key
    from ..maps import build_map

    ids = sorted(dict.fromkeys(paper_ids))
    if len(ids) > MAX_PAPERS:
        raise InvalidInput(f"{len(ids)} papers are more than a map shows ({MAX_PAPERS})", hint="narrow the set (a venue, a year)")
    papers = atlas.store.papers.for_indexing(ids)
    unknown = [pid for pid in ids if pid not in papers]
    if unknown:
        raise NotFound(f"paper {unknown[0]!r} is not in the catalog ({len(unknown)} unknown ids)", hint="check the ids")
    vectors_index = atlas.indexes.require_vectors()
    present, vectors = vectors_index.vectors_for(ids)
    missing = len(ids) - len(present)
    if not present:
        raise EmbedderUnavailable(f"none of the {len(ids)} papers has a vector yet",
                                  hint="paperatlas index (embeds the catalog once; the map is built from the vectors)")
    key = map_key(present, vectors, vectors_index.model, SEED)
    index = map_index(atlas)
    if not build:
        stored = index.get(key)
        if stored is None:
            return None
        topic_map, built = stored, False
    else:
        def make() -> TopicMap:
            texts = [_text(papers[pid]) for pid in present]
            made = build_map(present, vectors, texts, seed=SEED, progress=_checked(progress))
            made.method["vectors"] = vectors_index.model
            return made

        topic_map, built = index.get_or_build(key, make, {"papers": len(present), "model": vectors_index.model})
    if missing:
        topic_map.notes.append(f"{missing} of {len(ids)} papers have no vector yet and are not on the map: run paperatlas index")
    return MapResult(topic_map, _paper_info(present, papers), built, missing, key)


def _checked(progress: Progress | None) -> Progress:
    """Progress that also stops a build whose web request ran out of time (``deadline``)."""

    def report(stage: str, done: int, total: int) -> None:
        deadline.check("building the topic map")
        if progress is not None:
            progress(stage, done, total)

    return report


def _text(paper: Paper) -> str:
    from ..search.document import embedding_text

    text = embedding_text(paper)
    return f"{text}. {'. '.join(paper.keywords)}" if paper.keywords else text


def _paper_info(ids: list[str], papers: dict[str, Paper]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for pid in ids:
        paper = papers.get(pid)
        if paper is not None:
            out[pid] = {"title": paper.title, "authors": paper.authors, "track": paper.track, "session": paper.session}
    return out


RECOMMENDED_ON_MAP = 50  # the best this many recommendations of the starred papers are marked


def library_marks(atlas: Atlas, ids: list[str], venue: str | None, year: int | None) -> dict[str, list[str]]:
    """Of the map's papers, those you starred and those your starred papers recommend (the best
    ``RECOMMENDED_ON_MAP`` of the venue-year; none when nothing is starred or the recommender
    is not installed)."""
    on_map = set(ids)
    starred = [pid for pid in atlas.library.starred_ids() if pid in on_map]
    recommended: list[str] = []
    if starred:
        from ..errors import PaperatlasError
        from ..recommend import recommend

        try:
            found = recommend(atlas, "starred", filters=Filters(venue=venue, year=year), k=RECOMMENDED_ON_MAP)
            recommended = [item.id for item in found.items if item.id in on_map]
        except (PaperatlasError, ImportError):  # no profile to learn from, or scikit-learn missing
            recommended = []
    return {"starred": starred, "recommended": recommended}
