"""The ``topic`` filter and facet: ``Filters.topic`` resolved through the stored topic maps to a set
of papers that every backend (SQLite, PostgreSQL, the keyword index) narrows by alike; ``topic:``
in the query; ``--topic``; ``topic=`` on the search page and ``/api/search``; the topic facet;
the venue page's topic links and its plan link.

Maps are built from the bundled samples (ICLR 2021: 122 papers) with the model-free ``hashing``
embedder, as tests/test_map_wiring.py does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from _search_helpers import ids_by_record, ingest_records
from _web_helpers import LiveServer, build_seeded
from click.testing import CliRunner
from conftest import CatalogMaker
from test_keyword import FILTER_CORPUS

from paperatlas import Atlas, Filters, Settings
from paperatlas.cli import cli
from paperatlas.errors import InvalidInput, NotFound
from paperatlas.maps import TopicMap
from paperatlas.search import search
from paperatlas.search.query import parse_query
from paperatlas.services import maps, plan, topics

ICLR_2021 = 122


def hashing(home: Path) -> Settings:
    return Settings(home=home, embedder="hashing")


# -- every backend narrows by a resolved topic alike (SQLite, PostgreSQL with --store=both, tantivy) ----
TOPIC_SETS = [
    (Filters(topic="t", topic_ids=frozenset({"f1", "f3", "f5"})), {"f1", "f3", "f5"}),
    (Filters(topic="t", topic_ids=frozenset({"f1", "f3", "f5"}), venue="iclr"), {"f1"}),
    (Filters(topic="t", topic_ids=frozenset({"f2", "f7"}), has_code=True), {"f7"}),
    (Filters(topic="t", topic_ids=frozenset({"f4", "nowhere"}), year_to=2020), {"f4"}),
    (Filters(topic="t", topic_ids=frozenset()), set()),
    (Filters(topic_ids=frozenset({"f8", "f6"})), {"f6", "f8"}),
]


@pytest.mark.parametrize("filters, expected", TOPIC_SETS, ids=[str(i) for i in range(len(TOPIC_SETS))])
def test_every_backend_narrows_by_the_topics_papers(atlas: Atlas, tmp_path: Path, filters: Filters,
                                                     expected: set[str]) -> None:
    ingest_records(atlas, tmp_path / "filters.jsonl", FILTER_CORPUS)
    atlas.indexes.sync_keyword()
    ids = ids_by_record(atlas)
    back = {v: k for k, v in ids.items()}
    f = replace(filters, topic_ids=frozenset(ids.get(x, x) for x in filters.topic_ids or ()))
    assert {back[p.id] for p in atlas.store.papers.list(f, limit=None)} == expected, "store list"
    assert {back[i] for i in atlas.store.papers.ids_matching(f)} == expected, "store ids"
    assert atlas.store.papers.count(f) == len(expected)
    assert {back[pid] for pid, _ in atlas.indexes.keyword.search("", f, k=100).hits} == expected, "keyword index"
    assert "topic_ids" not in f.to_dict()


def test_an_unresolved_topic_is_an_error_in_every_backend_never_ignored(atlas: Atlas, tmp_path: Path) -> None:
    ingest_records(atlas, tmp_path / "filters.jsonl", FILTER_CORPUS)
    atlas.indexes.sync_keyword()
    raw = Filters(topic="policy")
    for run in (lambda: atlas.store.papers.count(raw), lambda: atlas.store.papers.list(raw),
                lambda: atlas.indexes.keyword.search("", raw)):
        with pytest.raises(InvalidInput, match="topic 'policy' cannot narrow here") as caught:
            run()
        assert "--topic" in caught.value.hint
    with pytest.raises(InvalidInput, match="unknown filter 'topic_ids'"):
        Filters.from_mapping({"topic_ids": ["x"]})
    assert Filters.from_mapping({"topic": " rl "}) == Filters(topic="rl")


# -- the query language ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, topic, terms", [
    ("topic:reinforcement", "reinforcement", []),
    ('topic:"policy, reinforcement, rl" agents', "policy, reinforcement, rl", ["agents"]),
    ("graphs topic: molecules", "molecules", ["graphs"]),
    ("TOPIC:#3 venue:ICLR", "#3", []),
    ("-topic:rl words", None, ["words"]),
])
def test_topic_is_a_filter_field_of_the_query(text: str, topic: str | None, terms: list[str]) -> None:
    q = parse_query(text)
    assert q.topic == topic and q.terms == terms
    assert q.has_filters == (topic is not None or "venue:" in text)
    if text.startswith("-"):
        assert q.notes == ["-topic: is not supported, ignored"]


# -- resolution through real stored maps ----------------------------------------------------------------
@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> str | Path:
    folder = tmp_path_factory.mktemp("topics")
    path = build_seeded(catalogs.new(folder), hashing(folder / "home"))
    with Atlas.open(path, hashing(folder / "home")) as atlas:
        atlas.indexes.sync_vectors()
    return path


@pytest.fixture
def catalog(seeded: str | Path, tmp_path: Path, catalogs: CatalogMaker) -> Iterator[str | Path]:
    location = catalogs.copy(seeded, tmp_path)
    yield location
    catalogs.drop(location)


@pytest.fixture
def mapped(catalog: str | Path, tmp_path: Path) -> Iterator[tuple[Atlas, TopicMap]]:
    """The catalog open, ICLR 2021's map built and stored."""
    with Atlas.open(catalog, hashing(tmp_path / "home")) as atlas:
        yield atlas, maps.venue_map(atlas, "ICLR", 2021).map


def members(topic_map: TopicMap, cluster_ids: set[str]) -> set[str]:
    """The papers of these clusters, read off the map's points (a broad topic: its finer ones too)."""
    return {p.id for p in topic_map.points if p.cluster in cluster_ids or p.topic in cluster_ids}


def test_a_label_a_phrase_or_an_id_names_topics_and_every_mode_sees_their_papers(mapped: tuple[Atlas, TopicMap]) -> None:
    atlas, topic_map = mapped
    broad = max(topic_map.topics(), key=lambda c: c.size)
    fine = [c for c in topic_map.subtopics() if c.parent == broad.id]
    expected = members(topic_map, {broad.id})
    assert len(expected) == broad.size and {p.id for p in topic_map.points if p.cluster in {c.id for c in fine}} <= expected
    scope = Filters(venue="iclr", year=2021)
    for value in (broad.label, broad.label.upper(), "  " + broad.label.replace(", ", " ,  ") + " ", f"#{broad.id}"):
        assert topics.resolve(atlas, replace(scope, topic=value)).topic_ids == expected, value
    phrase = broad.label.split(", ")[0]
    by_phrase = {c.id for c in topic_map.clusters if phrase in c.label.split(", ")}
    assert topics.resolve(atlas, replace(scope, topic=phrase)).topic_ids == members(topic_map, by_phrase)
    # every search mode narrows to the same papers; the filter and topic: in the query agree
    runs = {"keyword": search(atlas, "", mode="keyword", k=500, filters=replace(scope, topic=broad.label))}
    runs["typed"] = search(atlas, f'venue:ICLR year:2021 topic:"{broad.label}"', mode="keyword", k=500)
    for mode in ("semantic", "hybrid"):
        runs[mode] = search(atlas, "learning", mode=mode, k=500, filters=replace(scope, topic=broad.label))
    words = search(atlas, "learning", mode="keyword", k=500, filters=replace(scope, topic=broad.label))
    assert {h.id for h in runs["keyword"].hits} == {h.id for h in runs["typed"].hits} == expected
    assert runs["keyword"].total == len(expected)
    for mode in ("semantic", "hybrid"):
        assert {h.id for h in runs[mode].hits} <= expected and {h.id for h in words.hits} <= {h.id for h in runs[mode].hits}
        assert runs[mode].total == len(expected), mode
    # without a venue and a year, the remembered maps in scope: the same papers
    assert topics.resolve(atlas, Filters(topic=broad.label)).topic_ids == expected


def test_bad_topics_and_missing_maps_say_what_to_do(mapped: tuple[Atlas, TopicMap], tmp_path: Path) -> None:
    atlas, topic_map = mapped
    with pytest.raises(NotFound, match="no topic 'no such topic at all' on the topic maps of ICLR 2021") as caught:
        search(atlas, "", filters=Filters(venue="ICLR", year=2021, topic="no such topic at all"))
    assert topic_map.topics()[0].label in caught.value.hint
    with pytest.raises(NotFound, match="no topic map is stored for ICLR 2023") as missing:
        search(atlas, "topic:anything venue:ICLR year:2023")
    assert "paperatlas map --venue ICLR --year 2023" in missing.value.hint
    with pytest.raises(NotFound, match="no topic '#nope'"):
        topics.resolve(atlas, Filters(venue="ICLR", year=2021, topic="#nope"))


def test_no_map_stored_at_all(catalog: str | Path, tmp_path: Path) -> None:
    with Atlas.open(catalog, hashing(tmp_path / "home")) as atlas:
        with pytest.raises(NotFound, match="no topic map is stored for ICLR 2021") as caught:
            search(atlas, "", filters=Filters(venue="ICLR", year=2021, topic="policy"))
        assert caught.value.hint.startswith("build its map first: paperatlas map --venue ICLR --year 2021")
        with pytest.raises(NotFound, match="no topic map is stored for any venue"):
            search(atlas, "topic:policy")
        assert "topic" not in search(atlas, "learning").facets  # no map: no topic facet


def test_an_id_needs_one_map_in_scope(mapped: tuple[Atlas, TopicMap]) -> None:
    atlas, _ = mapped
    iclr23 = maps.venue_map(atlas, "ICLR", 2023).map
    first = iclr23.topics()[0]
    with pytest.raises(InvalidInput, match="topic ids are per map, and 2 venue-year maps are in scope"):
        topics.resolve(atlas, Filters(topic=f"#{first.id}"))
    got = topics.resolve(atlas, Filters(venue="ICLR", year_from=2022, topic=f"#{first.id}")).topic_ids
    assert got == members(iclr23, {first.id})
    with pytest.raises(NotFound, match="no topic '#zz'") as caught:
        topics.resolve(atlas, Filters(venue="ICLR", year=2023, topic="#zz"))
    assert f"#{first.id} {first.label}" in caught.value.hint


def test_the_topic_facet_counts_the_matches_of_each_broad_topic(mapped: tuple[Atlas, TopicMap]) -> None:
    atlas, topic_map = mapped
    res = search(atlas, "", mode="keyword", filters=Filters(venue="ICLR", year=2021))
    sizes = {c.label: c.size for c in topic_map.topics()}
    assert dict(res.facets["topic"]) == dict(list(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0].lower())))[:20])
    assert sum(n for _, n in res.facets["topic"]) == ICLR_2021 or len(sizes) > 20
    # words narrow the counts to the matches; a topic chosen leaves only its own count
    worded = search(atlas, "graph", mode="keyword", filters=Filters(venue="ICLR", year=2021))
    assert sum(n for _, n in worded.facets["topic"]) == worded.total
    label, n = worded.facets["topic"][0]
    narrowed = search(atlas, "graph", mode="keyword", filters=Filters(venue="ICLR", year=2021, topic=label))
    assert narrowed.total == n and narrowed.facets["topic"] == [(label, n)]


def test_cli_search_topic(mapped: tuple[Atlas, TopicMap], catalog: str | Path) -> None:
    atlas, topic_map = mapped
    broad = max(topic_map.topics(), key=lambda c: c.size)
    atlas.close()
    runner = CliRunner()
    base = ["search", "--db", str(catalog), "--venue", "ICLR", "--year", "2021", "--mode", "keyword", "-k", "200"]
    got = runner.invoke(cli, [*base, "--topic", broad.label, "--json"], env={"PAPERATLAS_EMBEDDER": "hashing"})
    assert got.exit_code == 0, got.output
    data = json.loads(got.output)
    assert {h["id"] for h in data["hits"]} == members(topic_map, {broad.id}) and data["total"] == broad.size
    assert dict(data["facets"]["topic"])[broad.label] == broad.size
    bad = runner.invoke(cli, [*base, "--topic", "zzz unknown"], env={"PAPERATLAS_EMBEDDER": "hashing"})
    assert bad.exit_code == 1 and "no topic 'zzz unknown'" in bad.output


# -- the web: /api/search, the search page's facet (escaped), the venue page --------------------------------
def poison(atlas: Atlas, label: str) -> TopicMap:
    """ICLR 2021's stored map with its biggest topic relabelled ``label`` (labels come from paper text)."""
    found = maps.stored_venue_map(atlas, "ICLR", 2021)
    assert found is not None
    data = found.map.to_stored()
    biggest = max((c for c in data["clusters"] if c["parent"] is None), key=lambda c: c["size"])
    biggest["label"] = label
    changed = TopicMap.from_stored(data)
    maps.map_index(atlas).put(found.key, changed, {"papers": len(changed.points)})
    return changed


def test_web_search_and_api_filter_and_facet_by_topic_with_labels_escaped(mapped: tuple[Atlas, TopicMap]) -> None:
    atlas, _ = mapped
    evil = '<script>alert("x")</script>, policy & "rl"'
    topic_map = poison(atlas, evil)
    expected = members(topic_map, {next(c.id for c in topic_map.clusters if c.label == evil)})
    server = LiveServer(atlas)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            api = client.get("/api/search", params={"venue": "ICLR", "year": 2021, "mode": "keyword", "k": 200})
            assert api.status_code == 200, api.text
            facet = {f["value"]: f for f in api.json()["facets"]["topic"]}
            assert facet[evil]["count"] == len(expected)
            narrowed = client.get(facet[evil]["href"].replace("/?", "/api/search?", 1) + "&k=200").json()
            assert {h["id"] for h in narrowed["hits"]} == expected and narrowed["params"]["topic"] == evil
            page = client.get("/", params={"venue": "ICLR", "year": 2021, "topic": evil})
            assert page.status_code == 200
            assert "<script>alert" not in page.text
            assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;, policy &amp; &#34;rl&#34;" in page.text
            assert 'data-facet="topic"' in page.text
            unknown = client.get("/api/search", params={"venue": "ICLR", "year": 2021, "topic": "zzz unknown"})
            assert unknown.status_code == 404 and "no topic 'zzz unknown'" in unknown.json()["error"]["message"]
            nomap = client.get("/api/search", params={"venue": "ICLR", "year": 2023, "topic": "x"})
            assert nomap.status_code == 404 and "paperatlas map --venue ICLR --year 2023" in nomap.json()["error"]["hint"]
            # the map's topic list links each topic to the search narrowed to it
            clusters = client.get("/api/map/ICLR/2021").json()["clusters"]
            link = next(c["search"] for c in clusters if c["label"] == evil)
            assert link.startswith("/?venue=ICLR&year=2021&topic=%3Cscript%3E")
            assert {h["id"] for h in client.get(link.replace("/?", "/api/search?", 1) + "&k=200").json()["hits"]} == expected
            assert "pa-map-topic-search" in client.get("/static/map.js").text
    finally:
        server.stop()


def test_the_venue_page_links_the_plan_or_says_how_to_make_one(mapped: tuple[Atlas, TopicMap]) -> None:
    """ICLR 2023's listings name a session ("Poster Session 6"); ICLR 2021's name none."""
    atlas, _ = mapped
    server = LiveServer(atlas)
    try:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            assert client.get("/api/venue/ICLR/2021").json()["plan"] == {
                "href": None, "command": "paperatlas programme import FILE --venue ICLR --year 2021",
                "why": "import the organisers' programme (ICS, CSV or JSON)"}
            iclr23 = client.get("/api/venue/ICLR/2023").json()["plan"]
            assert iclr23["href"] is None
            assert iclr23["command"] == "paperatlas programme from-listings --venue ICLR --year 2023"
            page = client.get("/venue/ICLR/2023").text
            assert "<code>paperatlas programme from-listings --venue ICLR --year 2023</code>" in page
            plan.programme_from_listings(atlas, "ICLR", 2023)
            linked = client.get("/api/venue/ICLR/2023").json()["plan"]
            assert linked == {"href": "/plan?venue=ICLR&year=2023", "command": None}
            assert '<a href="/plan?venue=ICLR&amp;year=2023">your plan for ICLR 2023</a>' in client.get("/venue/ICLR/2023").text
            assert client.get(linked["href"]).status_code == 200
            assert "plan-link" not in client.get("/venue/-/-").text  # no venue, no year: no plan to offer
    finally:
        server.stop()


def test_with_words_too_many_topics_in_scope_give_no_facet_but_a_listing_still_counts(
        mapped: tuple[Atlas, TopicMap], monkeypatch: pytest.MonkeyPatch) -> None:
    atlas, topic_map = mapped
    monkeypatch.setattr(topics, "FACET_COUNTS", len(topic_map.topics()) - 1)
    assert "topic" not in search(atlas, "graph", mode="keyword", filters=Filters(venue="ICLR", year=2021)).facets
    listed = search(atlas, "", mode="keyword", filters=Filters(venue="ICLR", year=2021)).facets["topic"]
    assert len(listed) == min(len(topic_map.topics()), 20)


def test_listing_export_and_recommendations_narrow_by_topic_too(mapped: tuple[Atlas, TopicMap]) -> None:
    import io
    import json

    from paperatlas.recommend import recommend
    from paperatlas.services import catalog as catalog_service
    from paperatlas.services import library

    atlas, topic_map = mapped
    broad = max(topic_map.topics(), key=lambda c: c.size)
    expected = members(topic_map, {broad.id})
    narrowed = Filters(venue="ICLR", year=2021, topic=broad.label)
    listing = catalog_service.list_papers(atlas, narrowed, limit=None)
    assert {p.id for p in listing.papers} == expected and listing.total == len(expected)
    assert catalog_service.count(atlas, narrowed) == len(expected)
    out = io.StringIO()
    assert catalog_service.export_papers(atlas, out, "jsonl", narrowed) == len(expected)
    assert {json.loads(line)["id"] for line in out.getvalue().splitlines()} == expected
    outside = sorted({p.id for p in topic_map.points} - expected)
    library.set_stars(atlas, outside[:5])
    recs = recommend(atlas, "starred", filters=narrowed, k=50)
    assert recs.items and {r.id for r in recs.items} <= expected
