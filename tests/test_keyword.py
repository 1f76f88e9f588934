"""Keyword search on real tantivy indexes built from real ingested files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperatlas.catalog import Catalog, Filters
from paperatlas.ingest import ingest_paths
from paperatlas.search import keyword as kw
from paperatlas.search.keyword import KeywordIndex, index_dir
from paperatlas.search.query import parse_query
from paperatlas.search.types import SearchFilters

SAMPLES = Path(__file__).parent.parent / "paperatlas" / "samples"

# A small corpus where each paper is there to make one point.
CORPUS = [
    # title match vs abstract-only match of "molecules"
    dict(id="t-title", title="Equivariant Models of Molecules",
         abstract="We propose a rotation aware architecture evaluated on quantum chemistry benchmarks.",
         authors=["Ada Lovelace", "Alan Turing"], venue="ConfA", year=2021, track="Oral",
         session="Session 1", code="https://github.com/example/equivariant"),
    dict(id="t-abstract", title="Rotation Aware Architectures",
         abstract="We propose an equivariant architecture evaluated on molecules from chemistry benchmarks.",
         authors=["Grace Hopper"], venue="ConfA", year=2022, track="Poster", session="Session 2"),
    # phrase: adjacent vs apart
    dict(id="p-adjacent", title="Message Passing Revisited",
         abstract="A study of graph neural architectures and their expressive power on benchmarks.",
         authors=["Edsger Dijkstra"], venue="ConfB", year=2022, track="Poster", session="Session 2"),
    dict(id="p-apart", title="Neural Ranking of Documents",
         abstract="A neural ranker that builds a citation graph of documents for retrieval.",
         authors=["Barbara Liskov"], venue="ConfB", year=2023, track="Poster", session="Session 3"),
    # stemming: "network" singular only
    dict(id="s-network", title="A Single Network Suffices",
         abstract="One network for all tasks.", authors=["John Backus"], venue="confb", year=2023,
         track="Spotlight", session="Session 3"),
    # author-only match, accents folded
    dict(id="a-author", title="Compilers for Everyone",
         abstract="A gentle introduction to compiler construction.", authors=["Bernhard Schölkopf"],
         venue="ConfC", year=2020, track="Oral", session="Session 1",
         code="https://github.com/example/compilers"),
    # exclusion: diffusion with and without images
    dict(id="d-image", title="Diffusion Models for Image Synthesis",
         abstract="Denoising diffusion generates images.", authors=["Ada Lovelace"], venue="ConfC",
         year=2023, track="Poster", session="Session 4"),
    dict(id="d-text", title="Diffusion Models for Text",
         abstract="Denoising diffusion generates sentences.", authors=["Alan Turing"], venue="ConfC",
         year=2023, track="Poster", session="Session 4"),
]


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _id_of(catalog: Catalog) -> dict[str, str]:
    """Source record id -> paper id."""
    return {rec.record_id: paper.id for paper in catalog.iter_papers()
            for _, rec in catalog.records_of(paper.id)}


@pytest.fixture
def small(catalog: Catalog, tmp_path: Path) -> tuple[Catalog, KeywordIndex, dict[str, str]]:
    ingest_paths(catalog, [_write_jsonl(tmp_path / "corpus.jsonl", CORPUS)])
    index = KeywordIndex.for_catalog(catalog)
    assert index.sync(catalog) == len(CORPUS)
    return catalog, index, _id_of(catalog)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> tuple[Catalog, KeywordIndex]:
    """The bundled seed listings (705 papers), indexed once for the read-only tests."""
    cat = Catalog(tmp_path_factory.mktemp("seeds") / "catalog.sqlite")
    ingest_paths(cat, sorted(SAMPLES.glob("*.txt")))
    index = KeywordIndex.for_catalog(cat)
    index.sync(cat)
    yield cat, index
    cat.close()


def ranked(index: KeywordIndex, query: str, ids: dict[str, str], **kw_args: object) -> list[str]:
    back = {v: k for k, v in ids.items()}
    return [back[i] for i, _ in index.search(query, **kw_args)[0]]  # type: ignore[arg-type]


# ranking


def test_title_match_beats_abstract_only_match(small) -> None:
    _, index, ids = small
    assert ranked(index, "molecules", ids) == ["t-title", "t-abstract"]
    assert ranked(index, "equivariant", ids) == ["t-title", "t-abstract"]


def test_more_matching_words_rank_higher(small) -> None:
    _, index, ids = small
    got = ranked(index, "diffusion text sentences", ids)
    assert got[0] == "d-text" and "d-image" in got


def test_phrase_query_ranks_the_exact_phrase_first(small) -> None:
    _, index, ids = small
    assert set(ranked(index, "graph neural", ids)) >= {"p-adjacent", "p-apart"}
    assert ranked(index, '"graph neural"', ids) == ["p-adjacent"]
    assert ranked(index, '"neural graph"', ids) == []


def test_stemming(small) -> None:
    _, index, ids = small
    assert ranked(index, "networks", ids) == ["s-network"]
    assert set(ranked(index, "generating image", ids)) >= {"d-image"}


def test_authors_are_searched_and_folded(small) -> None:
    _, index, ids = small
    assert ranked(index, "scholkopf", ids) == ["a-author"]
    assert ranked(index, "Schölkopf", ids) == ["a-author"]
    assert set(ranked(index, "author:Lovelace", ids)) == {"t-title", "d-image"}


def test_excluded_terms(small) -> None:
    _, index, ids = small
    assert ranked(index, "diffusion -image", ids) == ["d-text"]
    assert ranked(index, "diffusion NOT images", ids) == ["d-text"]  # stems alike
    assert ranked(index, 'diffusion -"image synthesis"', ids) == ["d-text"]


def test_required_terms(small) -> None:
    _, index, ids = small
    assert ranked(index, "diffusion AND sentences", ids) == ["d-text"]
    assert set(ranked(index, "+molecules rotation", ids)) == {"t-title", "t-abstract"}


def test_fielded_title(small) -> None:
    _, index, ids = small
    assert ranked(index, "title:equivariant", ids) == ["t-title"]
    assert ranked(index, 'title:"diffusion models" text', ids) == ["d-text", "d-image"]


def test_scores_are_positive_and_descending(small) -> None:
    _, index, _ = small
    hits, total = index.search("diffusion models molecules")
    scores = [s for _, s in hits]
    assert total == len(hits) and scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_paging(small) -> None:
    _, index, _ = small
    every, total = index.search("", k=100)
    assert total == len(CORPUS) == len(every)
    assert index.search("", k=3, offset=0)[0] + index.search("", k=5, offset=3)[0] == every
    assert index.search("", k=0) == ([], len(CORPUS))


# filters and facets


def test_filters(small) -> None:
    _, index, ids = small
    assert set(ranked(index, "", ids, filters=SearchFilters(venue="confb"))) == {
        "p-adjacent", "p-apart", "s-network"}  # case-insensitive, "confb" == "ConfB"
    assert ranked(index, "molecules", ids, filters=SearchFilters(year=2022)) == ["t-abstract"]
    assert set(ranked(index, "", ids, filters=SearchFilters(year_from=2022, year_to=2022))) == {
        "t-abstract", "p-adjacent"}
    assert set(ranked(index, "", ids, filters=SearchFilters(track="oral"))) == {"t-title", "a-author"}
    assert set(ranked(index, "", ids, filters=SearchFilters(session="Session 4"))) == {"d-image", "d-text"}
    assert set(ranked(index, "", ids, filters=SearchFilters(author="turing"))) == {"t-title", "d-text"}
    assert set(ranked(index, "", ids, filters=SearchFilters(has_code=True))) == {"t-title", "a-author"}
    assert len(ranked(index, "", ids, filters=SearchFilters(has_code=False))) == len(CORPUS) - 2
    assert ranked(index, "diffusion", ids, filters=SearchFilters(venue="ConfA")) == []
    assert ranked(index, "", ids, filters=SearchFilters(venue="No Such Venue")) == []


def test_filters_do_not_change_scores(small) -> None:
    _, index, _ = small
    plain = dict(index.search("diffusion")[0])
    narrowed = dict(index.search("diffusion", SearchFilters(venue="ConfC", year=2023))[0])
    assert narrowed == plain


def test_filters_in_the_query_text(small) -> None:
    _, index, ids = small
    assert set(ranked(index, "venue:confc year:2023", ids)) == {"d-image", "d-text"}
    assert ranked(index, "diffusion year:<2023", ids) == []
    assert set(ranked(index, "year:2020-2021", ids)) == {"t-title", "a-author"}


def test_browse_lists_newest_first(small) -> None:
    _, index, ids = small
    hits, total = index.search("", k=100)
    years = [dict((c["id"], c["year"]) for c in CORPUS)[k] for k in ranked(index, "", ids, k=100)]
    assert years == sorted(years, reverse=True) and total == len(CORPUS)
    assert all(score == 0.0 for _, score in hits)
    assert set(ranked(index, "-diffusion", ids, k=100)) == {c["id"] for c in CORPUS} - {"d-image", "d-text"}


def test_facets_exact_counts(small) -> None:
    _, index, _ = small
    f = index.facets("", None, fields=("venue", "year", "track", "session", "has_code"))
    assert f["venue"] == [("ConfB", 3), ("ConfC", 3), ("ConfA", 2)]  # confb folded into ConfB
    assert f["year"] == [("2023", 4), ("2022", 2), ("2020", 1), ("2021", 1)]
    assert f["track"] == [("Poster", 5), ("Oral", 2), ("Spotlight", 1)]
    assert dict(f["session"]) == {"Session 1": 2, "Session 2": 2, "Session 3": 2, "Session 4": 2}
    assert dict(f["has_code"]) == {"true": 2, "false": 6}
    g = index.facets("diffusion", SearchFilters(year=2023))
    assert g == {"venue": [("ConfC", 2)], "year": [("2023", 2)], "track": [("Poster", 2)],
                 "session": [("Session 4", 2)]}
    assert index.facets("nothingmatchesthis", None)["venue"] == []


def test_facets_match_the_catalog_on_the_seeds(seeds) -> None:
    cat, index = seeds
    f = index.facets("", None)
    stats = cat.stats()
    by_track: dict[str, int] = {}
    by_year: dict[str, int] = {}
    for row in stats["venues"]:
        if row["track"]:
            by_track[row["track"]] = by_track.get(row["track"], 0) + row["papers"]
        if row["year"]:
            by_year[str(row["year"])] = by_year.get(str(row["year"]), 0) + row["papers"]
    assert dict(f["track"]) == by_track
    assert dict(f["year"]) == by_year
    assert dict(f["venue"]) == {"ICLR": cat.count(Filters(venue="ICLR"))}
    assert dict(f["session"]) == {"Poster Session 6": cat.count(Filters(session="Poster Session 6"))}
    assert index.search("", SearchFilters(year=2021))[1] == cat.count(Filters(year=2021))
    assert index.search("")[1] == cat.count() == index.num_docs
    everything, total = index.search("", k=10_000_000)  # k past the size is fine
    assert len(everything) == total == cat.count()
    iclr = {pid for pid, _ in index.search("", SearchFilters(venue="iclr"), k=10_000_000)[0]}
    assert iclr == {p.id for p in cat.papers(Filters(venue="ICLR"), limit=None)}


def test_seed_queries(seeds) -> None:
    cat, index = seeds
    hits, total = index.search("graph neural networks", k=5)
    assert total > 5 and len(hits) == 5
    assert all("graph" in cat.get(pid).title.lower() for pid, _ in hits[:3])
    phrase_hits, phrase_total = index.search('"graph neural networks"', k=50)
    assert 0 < phrase_total < total
    for pid, _ in phrase_hits:
        p = cat.get(pid)
        assert "graph neural network" in (p.title + " " + p.abstract).lower().replace("-", " ")


# keeping up with the catalog


def test_incremental_sync(catalog: Catalog, tmp_path: Path) -> None:
    index = KeywordIndex.for_catalog(catalog)
    assert index.path == index_dir(catalog.path) == Path(str(catalog.path) + ".index") / "keyword"
    first = _write_jsonl(tmp_path / "a.jsonl", CORPUS[:5])
    ingest_paths(catalog, [first])
    calls: list[tuple[int, int]] = []
    assert index.sync(catalog, progress=lambda done, total: calls.append((done, total))) == 5
    assert calls and calls[-1][0] == calls[-1][1]
    assert catalog.index_seq("keyword") == catalog.last_change()
    assert index.sync(catalog) == 0
    assert index.num_docs == 5

    ingest_paths(catalog, [_write_jsonl(tmp_path / "b.jsonl", CORPUS[5:])])
    assert index.sync(catalog) == 3
    assert index.sync(catalog) == 0
    assert index.num_docs == len(CORPUS)
    ids = _id_of(catalog)
    assert ranked(index, "sentences", ids) == ["d-text"]

    # a changed copy of the first file: one abstract now says something else
    changed = [dict(r) for r in CORPUS[:5]]
    changed[4]["abstract"] = "One transformer for all tasks."
    _write_jsonl(first, changed)
    ingest_paths(catalog, [first])
    assert index.sync(catalog) == 1
    assert ranked(index, "transformer", ids) == ["s-network"]
    assert ranked(index, "one network for all", ids)[0] == "s-network"
    assert index.num_docs == len(CORPUS)

    # a paper deleted from the catalog leaves the index on the next sync
    gone = ids["d-image"]
    catalog.db.execute("BEGIN")
    catalog.db.execute("DELETE FROM records WHERE paper_id = ?", (gone,))
    catalog.db.execute("DELETE FROM match_keys WHERE paper_id = ?", (gone,))
    catalog.db.execute("DELETE FROM papers WHERE id = ?", (gone,))
    catalog.db.execute("COMMIT")
    assert index.sync(catalog) == 1
    assert ranked(index, "diffusion", ids) == ["d-text"]
    assert index.num_docs == len(CORPUS) - 1

    # a second handle on the same directory sees the same index and has nothing to do
    again = KeywordIndex.for_catalog(catalog)
    assert again.num_docs == len(CORPUS) - 1 and again.sync(catalog) == 0


def test_new_schema_version_rebuilds(catalog: Catalog, tmp_path: Path) -> None:
    ingest_paths(catalog, [_write_jsonl(tmp_path / "a.jsonl", CORPUS)])
    index = KeywordIndex.for_catalog(catalog)
    index.sync(catalog)
    meta = index.path / kw.META_FILE
    meta.write_text(json.dumps({"schema_version": -1, "seq": 99}))
    rebuilt = KeywordIndex.for_catalog(catalog)
    assert rebuilt.num_docs == 0
    assert rebuilt.sync(catalog) == len(CORPUS) and rebuilt.num_docs == len(CORPUS)
    assert json.loads(meta.read_text())["schema_version"] == kw.SCHEMA_VERSION


def test_lost_or_damaged_index_is_rebuilt(catalog: Catalog, tmp_path: Path) -> None:
    ingest_paths(catalog, [_write_jsonl(tmp_path / "a.jsonl", CORPUS)])
    KeywordIndex.for_catalog(catalog).sync(catalog)
    import shutil

    shutil.rmtree(index_dir(catalog.path))
    index = KeywordIndex.for_catalog(catalog)
    assert index.sync(catalog) == len(CORPUS) and index.num_docs == len(CORPUS)
    for f in index_dir(catalog.path).glob("*.store"):
        f.write_bytes(b"garbage")
    (index_dir(catalog.path) / "meta.json").write_text("{not json")
    again = KeywordIndex.for_catalog(catalog)
    assert again.sync(catalog) == len(CORPUS) and again.num_docs == len(CORPUS)


def test_new_catalog_at_the_same_path_replaces_the_index(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with Catalog(path) as cat:
        ingest_paths(cat, [_write_jsonl(tmp_path / "a.jsonl", CORPUS)])
        KeywordIndex.for_catalog(cat).sync(cat)
    for p in tmp_path.glob("c.sqlite*"):
        if p.is_file():
            p.unlink()
    with Catalog(path) as cat:
        ingest_paths(cat, [_write_jsonl(tmp_path / "b.jsonl", CORPUS[:2])])
        index = KeywordIndex.for_catalog(cat)
        assert index.sync(cat) == 2 and index.num_docs == 2


def test_in_memory_catalog() -> None:
    with Catalog(memory=True) as cat:
        ingest_paths(cat, sorted(SAMPLES.glob("*.txt"))[:1])
        n = cat.count()
        index = KeywordIndex.for_catalog(cat)
        assert index.path is None
        assert index.sync(cat) == n and index.num_docs == n
        assert index.sync(cat) == 0
        # a new handle has an empty RAM index: it must rebuild, not trust the catalog's position
        other = KeywordIndex.for_catalog(cat)
        assert other.sync(cat) == n and other.num_docs == n


# snippets and why


def test_snippets_are_escaped_and_marked(catalog: Catalog, tmp_path: Path) -> None:
    evil = [
        dict(id="x1", title="<script>alert(1)</script> Attacks on Parsers",
             abstract="An <img src=x onerror=alert(1)> payload & friends break naive parsers."),
        dict(id="x2", title="Parsers <b>bold</b>", abstract="Nothing to see here."),
    ]
    ingest_paths(catalog, [_write_jsonl(tmp_path / "evil.jsonl", evil)])
    index = KeywordIndex.for_catalog(catalog)
    index.sync(catalog)
    ids = _id_of(catalog)
    snips = index.snippets("parsers", [ids["x1"], ids["x2"]])
    one, two = snips[ids["x1"]], snips[ids["x2"]]
    assert one == "…1)&gt; payload &amp; friends break naive <mark>parsers</mark>."
    whole = index.snippets("img parsers", [ids["x1"]])[ids["x1"]]
    assert whole == ("An &lt;<mark>img</mark> src=x onerror=alert(1)&gt; payload &amp; friends"
                     " break naive <mark>parsers</mark>.")
    assert "<mark>Parsers</mark> &lt;b&gt;bold&lt;/b&gt;" == two  # only the title matches
    for s in snips.values():
        assert "<img" not in s and "<script" not in s and "<b>" not in s
    t = index.snippets("script", [ids["x1"]])[ids["x1"]]
    assert t.startswith("&lt;<mark>script</mark>&gt;alert(1)&lt;/") and "<script" not in t
    plain = index.snippets("zebra", [ids["x2"]])[ids["x2"]]
    assert plain == "Nothing to see here."
    assert index.snippets("parsers", ["no-such-id"]) == {}


def test_snippet_window_is_short_and_centered(seeds) -> None:
    cat, index = seeds
    hits, _ = index.search("moiré patterns demoireing", k=1)
    snip = index.snippets("moiré patterns", [hits[0][0]])[hits[0][0]]
    assert "<mark>" in snip and len(snip.replace("<mark>", "").replace("</mark>", "").split()) <= 32


def test_why(small) -> None:
    _, index, ids = small
    why = index.why("molecules lovelace", [ids["t-title"], ids["t-abstract"]])
    assert why[ids["t-title"]] == ["title: molecules", "authors: lovelace"]
    assert why[ids["t-abstract"]] == ["abstract: molecules"]
    assert index.matched_fields('"graph neural"', ids["p-adjacent"]) == ["abstract: graph, neural"]
    assert index.matched_fields("author:turing", ids["d-text"]) == ["authors: turing"]


# never an error


HOSTILE = [
    "c++", "C#", "α-β", '"graph neural', 'graph neural"', '"""', "AND", "OR NOT AND",
    "graph AND NOT neural OR", "title:", 'author:"', "year:abc", "(((((", "*:*", "~~~^^^", "\\\\",
    "-", "+", 'NOT -"x', "venue:ICLR year:2020-2023 -", "x" * 10_000, "\x00\x01", "🤖",
    ("lorem (ipsum) \"dolor\" AND -sit OR ~amet^2 " * 250)[:10_000], "year:99999999999999999999",
    "year:>=0000", "a" * 200, "ǅ" * 50 + " graph", "数据 学习 图神经网络", "venue:" + "x" * 5000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_queries(seeds, text: str) -> None:
    _, index = seeds
    t0 = time.perf_counter()
    hits, total = index.search(text)
    assert isinstance(hits, list) and total >= len(hits)
    assert isinstance(index.facets(text, None), dict)
    index.snippets(text, [h for h, _ in hits[:3]])
    index.why(text, [h for h, _ in hits[:3]])
    assert time.perf_counter() - t0 < 2.0


TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(['"', "(", ")", ":", "*", "~", "^", "AND", "OR", "NOT", "-", "+", "\\",
                         " ", "title:", "year:", "venue:", "author:", "graph", "neural", "α-β",
                         "c++", "“", "!", "\x00", "🤖", "2021", "..", ">="]),
        max_size=2000,
    ).map("".join),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS, k=st.integers(-5, 50), offset=st.integers(-5, 50))
def test_search_never_raises(seeds, text: str, k: int, offset: int) -> None:
    _, index = seeds
    parse_query(text)
    hits, total = index.search(text, k=k, offset=offset)
    assert isinstance(hits, list) and all(isinstance(i, str) and isinstance(s, float) for i, s in hits)
    assert len(hits) <= max(k, 0) and total >= 0
