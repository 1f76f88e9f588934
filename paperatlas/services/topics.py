"""Topics as a filter and a facet of search: ``topic:`` resolved through the stored topic maps.

Which maps: the stored maps of the venue-years that the request's venue and year filters allow
(with ``venue:`` and ``year:`` typed into the query); every stored venue-year map when nothing
narrows. Nothing is built here: a map is built by ``paperatlas map --venue V --year Y`` or by
opening the venue page, and a venue-year map once read or built is remembered by the maps index
(``MapIndex.remember``), so search finds it without reading the catalog's vectors. A remembered
map counts only while it is still the map of the venue-year's papers as they are now (the
venue page's own test, ``maps.stored_venue_map``; its answer is kept until the catalog or the
vectors change).

What a topic value names, case and spacing ignored:

- a topic's whole label, as the venue page and the facet show it (``policy, reinforcement, rl``);
- one phrase of a label (``reinforcement``): every topic whose label holds that phrase;
- ``#ID``: the topic of that id on the one map in scope (ids are per map: with several maps in
  scope a venue and a year must pick one).

Broad topics and finer ones are both named by their labels; a broad topic holds the papers of
all its finer topics. A value naming several topics (on one map or several) allows the papers
of all of them; a topic given both as a filter and in the query allows the papers of both.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..errors import InvalidInput, NotFound, PaperatlasError
from ..filters import Filters
from . import maps

if TYPE_CHECKING:
    from ..app import Atlas
    from ..indexes.keyword import KeywordIndex
    from ..maps import TopicMap
    from ..search.query import ParsedQuery

FACET_SIZE = 20  # topics the facet lists, most papers first
FACET_MAPS = 12  # more maps in scope than this: no topic facet
# With words each broad topic costs one count query (about 1 ms, mostly fixed cost;
# bench/topic_facet_speed.py) and a map has 10-20: more topics in scope than this, no facet
# (narrow by venue and year to get it back).
FACET_COUNTS = 24
BUILD_HINT = "build a venue's map first: paperatlas map --venue V --year Y, or open the venue page (/venue/V/Y)"


@dataclass(frozen=True)
class VenueMap:
    venue: str
    year: int
    map: TopicMap


# (venue, year) -> (what the answer depends on, the map or None), per open catalog
_CHECKED: weakref.WeakKeyDictionary[Atlas, dict[tuple[str, int], tuple[object, VenueMap | None]]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def norm(text: str) -> str:
    """A label or value as compared: lower case, the phrases of a label trimmed, spaces single."""
    return ", ".join(" ".join(part.split()) for part in text.lower().split(","))


def _phrases(label: str) -> set[str]:
    return {p for p in norm(label).split(", ") if p}


def _scope(filters: Filters, parsed: ParsedQuery | None) -> tuple[list[str], int | None, int | None]:
    """The venues (as given; empty: any), and the years from and to, a request allows."""
    venues = [v.strip() for v in (filters.venue, parsed.venue if parsed else None) if v and v.strip()]
    lows = [y for y in (filters.year, filters.year_from, parsed.year_from if parsed else None) if y is not None]
    highs = [y for y in (filters.year, filters.year_to, parsed.year_to if parsed else None) if y is not None]
    return venues, max(lows) if lows else None, min(highs) if highs else None


def _scope_text(filters: Filters, parsed: ParsedQuery | None) -> str:
    venues, lo, hi = _scope(filters, parsed)
    years = "" if lo is None and hi is None else f" {lo}" if lo == hi else f" {lo or '…'}-{hi or '…'}"
    return (" and ".join(dict.fromkeys(venues)) or "any venue") + years


def stored_maps(atlas: Atlas, filters: Filters, parsed: ParsedQuery | None = None) -> list[VenueMap]:
    """The stored, current maps of the venue-years in scope (see the module doc), by venue and year."""
    venues, lo, hi = _scope(filters, parsed)
    index = maps.map_index(atlas)
    pairs = {(v, y) for v, y in index.venue_keys()
             if all(v.lower() == want.lower() for want in venues)
             and (lo is None or y >= lo) and (hi is None or y <= hi)}
    if len(venues) == 1 and lo is not None and lo == hi and not pairs:
        # one venue-year asked for, its map stored before maps were remembered: the exact test
        pairs = {(venues[0], lo)}
    found: dict[str, VenueMap] = {}
    for venue, year in sorted(pairs):
        checked = _checked(atlas, venue, year)
        if checked is not None:
            found.setdefault(f"{venue.lower()}\x1f{year}", checked)
    return list(found.values())


def _checked(atlas: Atlas, venue: str, year: int) -> VenueMap | None:
    vectors = atlas.indexes.require_vectors()
    marker = (atlas.store.feed.last_change(), atlas.store.feed.index_seq(vectors.state_name),
              maps.map_index(atlas).venue_keys().get((venue, year)))
    with _LOCK:
        cache = _CHECKED.setdefault(atlas, {})
        hit = cache.get((venue.lower(), year))
    if hit is not None and hit[0] == marker:
        return hit[1]
    try:
        stored = maps.stored_venue_map(atlas, venue, year)
    except NotFound:  # the venue-year has no papers any more
        stored = None
    answer = None if stored is None else VenueMap(venue, year, stored.map)
    with _LOCK:
        _CHECKED.setdefault(atlas, {})[(venue.lower(), year)] = (marker, answer)
    return answer


def topic_papers(found: list[VenueMap], value: str) -> set[str]:
    """The papers of the topics ``value`` names on these maps (see the module doc); NotFound
    when it names none, InvalidInput for an id with several maps in scope."""
    wanted = norm(value)
    if wanted.startswith("#"):
        if len(found) > 1:
            raise InvalidInput(f"topic {value!r}: topic ids are per map, and {len(found)} venue-year maps are in scope",
                               hint="add a venue and a year (venue:ICLR year:2023), or give the topic's label")
        named = {(0, c.id) for c in found[0].map.clusters if c.id.lower() == wanted[1:].strip()}
    else:
        named = {(i, c.id) for i, vm in enumerate(found) for c in vm.map.clusters
                 if norm(c.label) == wanted or wanted in _phrases(c.label)}
    if not named:
        ids = wanted.startswith("#")
        labels = [f"#{c.id} {c.label}" if ids else c.label for vm in found for c in vm.map.topics()][:8]
        raise NotFound(f"no topic {value[:100]!r} on the topic maps of {', '.join(f'{m.venue} {m.year}' for m in found)}",
                       hint="topics there: " + "; ".join(labels) + " (give a whole label or one of its phrases)")
    return {p.id for i, vm in enumerate(found) for p in vm.map.points if (i, p.cluster) in named or (i, p.topic) in named}


def resolve(atlas: Atlas, filters: Filters, parsed: ParsedQuery | None = None) -> Filters:
    """``filters`` with the topic filter (and a ``topic:`` of the query) resolved to the papers it
    allows (``Filters.topic_ids``); unchanged when no topic is asked for. NotFound when no map is
    stored for the scope or no topic there has that name."""
    values = [v.strip() for v in (filters.topic, parsed.topic if parsed else None) if v and v.strip()]
    if not values or filters.topic_ids is not None:
        return filters
    found = stored_maps(atlas, filters, parsed)
    if not found:
        venues, lo, hi = _scope(filters, parsed)
        one = len(venues) == 1 and lo is not None and lo == hi
        hint = (f"build its map first: paperatlas map --venue {venues[0]} --year {lo}, or open /venue/{venues[0]}/{lo}"
                if one else BUILD_HINT)
        raise NotFound(f"no topic map is stored for {_scope_text(filters, parsed)}: topic {values[0][:100]!r} cannot be"
                       " looked up", hint=hint)
    ids: set[str] | None = None
    for value in values:
        papers = topic_papers(found, value)
        ids = papers if ids is None else ids & papers
    return replace(filters, topic=filters.topic or values[0], topic_ids=frozenset(ids or ()))


def facet(atlas: Atlas, keyword: KeywordIndex, parsed: ParsedQuery, filters: Filters) -> list[tuple[str, int]]:
    """The broad topics of the maps in scope with how many of the matches each holds, most first
    (topics of one label on several maps count as one); empty when no map is stored for the
    scope, more than ``FACET_MAPS`` are, or, with words, more than ``FACET_COUNTS`` topics would
    need counting. ``filters``: resolved (``resolve``)."""
    try:
        found = stored_maps(atlas, filters, parsed)
    except PaperatlasError:  # no vectors, or the maps extra missing: no maps to count on
        return []
    if not found or len(found) > FACET_MAPS:
        return []
    groups: dict[str, tuple[str, set[str]]] = {}
    for vm in found:
        members: dict[str, set[str]] = {}
        for point in vm.map.points:
            members.setdefault(point.topic, set()).add(point.id)
        for topic in vm.map.topics():
            shown, ids = groups.setdefault(norm(topic.label), (topic.label, set()))
            ids |= members.get(topic.id, set())
    counts = []
    if not (parsed.positive or parsed.excluded or parsed.excluded_phrases):
        # a listing (filters only): the matches are the store's, one query for every topic
        from ..search import allowed_ids

        matches = allowed_ids(atlas, parsed, filters)
        for shown, ids in groups.values():
            n = len(ids if matches is None else ids & matches)
            if n:
                counts.append((shown, n))
        return sorted(counts, key=lambda c: (-c[1], c[0].lower()))[:FACET_SIZE]
    if len(groups) > FACET_COUNTS:
        return []
    for shown, ids in groups.values():
        allowed = frozenset(ids if filters.topic_ids is None else ids & filters.topic_ids)
        n = keyword.search(parsed, replace(filters, topic_ids=allowed), k=0, all_words_first=False).total if allowed else 0
        if n:
            counts.append((shown, n))
    return sorted(counts, key=lambda c: (-c[1], c[0].lower()))[:FACET_SIZE]
