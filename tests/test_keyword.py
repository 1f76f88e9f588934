"""Keyword search on real tantivy indexes built from real ingested files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _catalog_helpers import sql
from _search_helpers import SETTLE_S, ids_by_record, ingest_records, write_jsonl
from conftest import CatalogMaker, replace_catalog
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from paperatlas import Atlas, Filters, Settings
from paperatlas.filters import fold_name, name_terms
from paperatlas.indexes.keyword import KeywordHits, KeywordIndex
from paperatlas.indexes.keyword import index as kw
from paperatlas.indexes.keyword import schema as kw_schema
from paperatlas.search import search
from paperatlas.search.query import parse_query
from paperatlas.services.ingest import ingest_paths
from paperatlas.store.sqlite import SQLiteStore

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


@pytest.fixture
def small(atlas: Atlas, tmp_path: Path) -> tuple[Atlas, KeywordIndex, dict[str, str]]:
    """The corpus ingested, and a keyword index of its own (in the test's folder) synced from it."""
    ingest_records(atlas, tmp_path / "corpus.jsonl", CORPUS)
    index = KeywordIndex(tmp_path / "keyword")
    assert index.sync(atlas.store) == len(CORPUS)
    return atlas, index, ids_by_record(atlas)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker):  # type: ignore[no-untyped-def]
    """The bundled seed listings (705 papers), indexed once for the read-only tests."""
    folder = tmp_path_factory.mktemp("seeds")
    with Atlas.open(catalogs.new(folder), Settings(home=folder / "home")) as atlas:
        ingest_paths(atlas, sorted(SAMPLES.glob("*.txt")))
        assert atlas.settle(SETTLE_S)
        atlas.indexes.sync_keyword()
        yield atlas, atlas.indexes.keyword


def ranked(index: KeywordIndex, query: str, ids: dict[str, str], **kw_args: object) -> list[str]:
    back = {v: k for k, v in ids.items()}
    return [back[i] for i, _ in index.search(query, **kw_args).hits]  # type: ignore[arg-type]


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
    run = index.search("diffusion models molecules")
    assert isinstance(run, KeywordHits)
    scores = [s for _, s in run.hits]
    assert run.total == len(run.hits) and scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert index.count_all_words("diffusion models molecules") == 0  # no paper has all three words


def test_paging(small) -> None:
    _, index, _ = small
    every = index.search("", k=100)
    assert every.total == len(CORPUS) == len(every.hits)
    assert index.search("", k=3, offset=0).hits + index.search("", k=5, offset=3).hits == every.hits
    assert index.search("", k=0) == KeywordHits([], len(CORPUS))


# several words: papers with all of them first


# "sparse" is rare (a high IDF) and "graph" and "transformers" are common, so BM25 alone puts
# the paper that repeats "sparse" above the long paper that has all three words once.
ALL_WORDS = [
    dict(id="all-long", title="Lessons From Building Retrieval Systems at Scale",
         abstract="We report on years of engineering work. " * 6
         + "Among many other components we briefly tried a sparse index, a graph store and transformers."
         + " Most of this paper is about deployment, monitoring, cost and the people who run it. " * 6),
    dict(id="all-short", title="Sparse Graph Transformers", abstract="Attention restricted to the edges of a graph."),
    dict(id="repeat", title="Sparse Sparse Sparse", abstract="Sparse sparse sparse sparse sparse coding, sparse."),
    dict(id="graph-only", title="Graph Colouring Heuristics", abstract="Colouring a graph greedily."),
    *[dict(id=f"common-{i}", title=f"Transformers for Graph Task {i}",
           abstract=f"Graph transformers applied to benchmark number {i}.") for i in range(6)],
    dict(id="none", title="Wine Making in Medieval Burgundy", abstract="A history of grape harvests."),
]
QUERY = "sparse graph transformers"
EVERY_WORD = {"all-long", "all-short"}
SOME_WORDS = {"repeat", "graph-only", *(f"common-{i}" for i in range(6))}


@pytest.fixture
def all_words(atlas: Atlas, tmp_path: Path) -> tuple[Atlas, dict[str, str]]:
    ingest_records(atlas, tmp_path / "all_words.jsonl", ALL_WORDS)
    atlas.indexes.sync_keyword()
    return atlas, ids_by_record(atlas)


def test_papers_matching_every_word_come_first(all_words) -> None:
    atlas, ids = all_words
    index = atlas.indexes.keyword
    # the premise: BM25 alone ranks a paper with one of the words above one with all of them
    bm25 = ranked(index, QUERY, ids, k=100, all_words_first=False)
    assert bm25.index("repeat") < bm25.index("all-long")

    run = index.search(QUERY, k=100, count_all_words=True)
    back = {v: k for k, v in ids.items()}
    got = [back[pid] for pid, _ in run.hits]
    assert set(got[:2]) == EVERY_WORD and set(got[2:]) == SOME_WORDS
    assert run.all_words == 2 and run.total == len(EVERY_WORD | SOME_WORDS) == len(got)
    assert index.count_all_words(QUERY) == 2
    assert [pid for pid, _ in index.search(QUERY, k=100).hits] == [pid for pid, _ in run.hits]

    res = search(atlas, QUERY, mode="keyword", k=100)
    assert res.mode == "keyword" and res.all_words == 2 and res.total == len(EVERY_WORD | SOME_WORDS)
    assert [back[h.id] for h in res.hits] == got
    assert res.to_dict()["all_words"] == 2

    # a page smaller than the all-words group, and pages across its end
    first = search(atlas, QUERY, mode="keyword", k=1)
    assert back[first.hits[0].id] in EVERY_WORD and first.total == len(got) and first.all_words == 2
    pages = [h.id for offset in range(0, len(got), 3)
             for h in search(atlas, QUERY, mode="keyword", k=3, offset=offset).hits]
    assert [back[pid] for pid in pages] == got


def test_all_words_count_of_one_word_and_of_unmatched_words(all_words) -> None:
    atlas, ids = all_words
    index = atlas.indexes.keyword
    one = index.search("sparse", count_all_words=True)
    assert one.all_words is None and one.total == 3  # all-long, all-short, repeat
    assert search(atlas, "sparse", mode="keyword").all_words is None
    # no paper has every word: all_words is 0 and the papers with some of them are still listed
    none = index.search("sparse graph zeppelin", k=100, count_all_words=True)
    assert none.all_words == 0 and none.total == len(EVERY_WORD | SOME_WORDS) == len(none.hits)
    assert search(atlas, "sparse graph zeppelin", mode="keyword").all_words == 0
    # filters narrow both counts
    narrowed = index.search(QUERY, Filters(author="no such author"), count_all_words=True)
    assert narrowed == KeywordHits([], 0, 0)
    assert search(atlas, QUERY, mode="keyword", filters=Filters(year=1999)).all_words == 0


def test_papers_matching_every_word_keep_their_bm25_order_and_scores(atlas: Atlas, tmp_path: Path) -> None:
    # both have both words once in the same fields; "short" is shorter, so BM25 scores it higher
    ingest_records(atlas, tmp_path / "order.jsonl", [
        dict(id="long", title="Kernel Bandits for Adaptive Sampling Policies Revisited Again", abstract="kernel bandits."),
        dict(id="short", title="Kernel Bandits for Adaptive Sampling Policies Revisited", abstract="kernel bandits."),
        dict(id="one-word", title="Kernel Tricks", abstract="Kernels only."),
        dict(id="neither", title="Unrelated Things", abstract="Nothing."),
    ])
    atlas.indexes.sync_keyword()
    back = {v: k for k, v in ids_by_record(atlas).items()}
    index = atlas.indexes.keyword
    bm25 = {back[pid]: s for pid, s in index.search("kernel bandits", all_words_first=False).hits}
    assert bm25["short"] > bm25["long"] > bm25["one-word"] > 0  # the premise
    run = index.search("kernel bandits", count_all_words=True)
    assert [back[pid] for pid, _ in run.hits] == ["short", "long", "one-word"] and run.all_words == 2
    scores = dict((back[pid], s) for pid, s in run.hits)
    assert scores["short"] > scores["long"] > scores["one-word"] > 0
    # the scores shown are the papers' BM25 scores (the ranking's all-words bonus taken off again)
    assert scores == pytest.approx(bm25, rel=1e-4)


# filters and facets


def test_filters(small) -> None:
    _, index, ids = small
    assert set(ranked(index, "", ids, filters=Filters(venue="confb"))) == {
        "p-adjacent", "p-apart", "s-network"}  # case-insensitive, "confb" == "ConfB"
    assert ranked(index, "molecules", ids, filters=Filters(year=2022)) == ["t-abstract"]
    assert set(ranked(index, "", ids, filters=Filters(year_from=2022, year_to=2022))) == {
        "t-abstract", "p-adjacent"}
    assert set(ranked(index, "", ids, filters=Filters(track="oral"))) == {"t-title", "a-author"}
    assert set(ranked(index, "", ids, filters=Filters(session="Session 4"))) == {"d-image", "d-text"}
    assert set(ranked(index, "", ids, filters=Filters(author="turing"))) == {"t-title", "d-text"}
    assert set(ranked(index, "", ids, filters=Filters(has_code=True))) == {"t-title", "a-author"}
    assert len(ranked(index, "", ids, filters=Filters(has_code=False))) == len(CORPUS) - 2
    assert ranked(index, "diffusion", ids, filters=Filters(venue="ConfA")) == []
    assert ranked(index, "", ids, filters=Filters(venue="No Such Venue")) == []


def test_filters_do_not_change_scores(small) -> None:
    _, index, _ = small
    plain = dict(index.search("diffusion").hits)
    narrowed = dict(index.search("diffusion", Filters(venue="ConfC", year=2023)).hits)
    assert narrowed == plain


def test_filters_in_the_query_text(small) -> None:
    _, index, ids = small
    assert set(ranked(index, "venue:confc year:2023", ids)) == {"d-image", "d-text"}
    assert ranked(index, "diffusion year:<2023", ids) == []
    assert set(ranked(index, "year:2020-2021", ids)) == {"t-title", "a-author"}


def test_browse_lists_newest_first(small) -> None:
    _, index, ids = small
    run = index.search("", k=100)
    years = [dict((c["id"], c["year"]) for c in CORPUS)[k] for k in ranked(index, "", ids, k=100)]
    assert years == sorted(years, reverse=True) and run.total == len(CORPUS)
    assert all(score == 0.0 for _, score in run.hits)
    assert set(ranked(index, "-diffusion", ids, k=100)) == {c["id"] for c in CORPUS} - {"d-image", "d-text"}


def test_facets_exact_counts(small) -> None:
    _, index, _ = small
    f = index.facets("", None, fields=("venue", "year", "track", "session", "has_code"))
    assert f["venue"] == [("ConfB", 3), ("ConfC", 3), ("ConfA", 2)]  # confb folded into ConfB
    assert f["year"] == [("2023", 4), ("2022", 2), ("2020", 1), ("2021", 1)]
    assert f["track"] == [("Poster", 5), ("Oral", 2), ("Spotlight", 1)]
    assert dict(f["session"]) == {"Session 1": 2, "Session 2": 2, "Session 3": 2, "Session 4": 2}
    assert dict(f["has_code"]) == {"true": 2, "false": 6}
    g = index.facets("diffusion", Filters(year=2023))
    assert g == {"venue": [("ConfC", 2)], "year": [("2023", 2)], "track": [("Poster", 2)],
                 "session": [("Session 4", 2)]}
    assert index.facets("nothingmatchesthis", None)["venue"] == []


def test_facets_match_the_catalog_on_the_seeds(seeds) -> None:
    atlas, index = seeds
    papers = atlas.store.papers
    f = index.facets("", None)
    stats = papers.stats()
    by_track: dict[str, int] = {}
    by_year: dict[str, int] = {}
    for row in stats["venues"]:
        if row["track"]:
            by_track[row["track"]] = by_track.get(row["track"], 0) + row["papers"]
        if row["year"]:
            by_year[str(row["year"])] = by_year.get(str(row["year"]), 0) + row["papers"]
    assert dict(f["track"]) == by_track
    assert dict(f["year"]) == by_year
    assert dict(f["venue"]) == {"ICLR": papers.count(Filters(venue="ICLR"))}
    assert dict(f["session"]) == {"Poster Session 6": papers.count(Filters(session="Poster Session 6"))}
    assert index.search("", Filters(year=2021)).total == papers.count(Filters(year=2021))
    assert index.search("").total == papers.count(Filters()) == index.num_docs == 705
    everything = index.search("", k=10_000_000)  # k past the size is fine
    assert len(everything.hits) == everything.total == papers.count(Filters())
    iclr = {pid for pid, _ in index.search("", Filters(venue="iclr"), k=10_000_000).hits}
    assert iclr == {p.id for p in papers.list(Filters(venue="ICLR"), limit=None)}


def test_seed_queries(seeds) -> None:
    atlas, index = seeds
    get = atlas.store.papers.get
    run = index.search("graph neural networks", k=5)
    assert run.total > 5 and len(run.hits) == 5
    assert all("graph" in get(pid).title.lower() for pid, _ in run.hits[:3])
    phrase = index.search('"graph neural networks"', k=50)
    assert 0 < phrase.total < run.total
    for pid, _ in phrase.hits:
        p = get(pid)
        assert "graph neural network" in (p.title + " " + p.abstract).lower().replace("-", " ")


# one meaning of Filters: the store (SQL) and the keyword index agree


FILTER_CORPUS = [
    dict(id="f1", title="Kernel Methods Revisited", abstract="Kernels.", authors=["Bernhard Schölkopf", "Søren Hauberg"],
         venue="ICLR", year=2021, track="Oral", code="https://github.com/example/kernels"),
    dict(id="f2", title="Causal Representation Learning", abstract="Causality.", authors=["Bernhard Scholkopf"],
         venue="iclr", year=2022, track="poster"),
    dict(id="f3", title="Low Rank Tensor Regression", abstract="Tensors.", authors=["Feiqing Huang", "Guodong Li"],
         venue="NeurIPS", year=2020, code="https://github.com/example/tensors"),
    dict(id="f4", title="Attention Is Most of What You Need", abstract="Attention.",
         authors=["Łukasz Kaiser", "Huang Wei"], venue="ICLR Workshop", year=2019),
    dict(id="f5", title="Visual Genome Understanding", abstract="Vision.", authors=["Li Fei-Fei", "Conor O'Brien"],
         venue="ÉCOLE Conf", year=2021),
    dict(id="f6", title="An Undated Note on Priors", abstract="Priors.", authors=["Feiqing Li"], venue="ICLR"),
    dict(id="f7", title="Straße Networks", abstract="Roads.", authors=["Jürgen Groß", "Paweł Nowak"], venue="neurips",
         year=2023, code="https://github.com/example/roads"),
    dict(id="f8", title="Dotted Capitals in Turkish Text", abstract="Letters.", authors=["İbrahim Şahin"], venue="TAI"),
]

# (filters, the records that pass them)
TRICKY_FILTERS = [
    (Filters(venue="iclr"), {"f1", "f2", "f6"}),
    (Filters(venue="  ICLR "), {"f1", "f2", "f6"}),
    (Filters(venue="ICLR Workshop"), {"f4"}),
    (Filters(venue="école conf"), {"f5"}),
    (Filters(venue="NEURIPS", has_code=True), {"f3", "f7"}),
    (Filters(track="oral"), {"f1"}),
    (Filters(track="POSTER"), {"f2"}),
    (Filters(author="Schölkopf"), {"f1", "f2"}),
    (Filters(author="scholkopf BERNHARD"), {"f1", "f2"}),
    (Filters(author="Scho\u0308lkopf"), {"f1", "f2"}),  # the accent as a combining mark (NFD)
    (Filters(author="Huang Feiqing"), {"f3"}),
    (Filters(author="feiqing"), {"f3", "f6"}),
    (Filters(author="Fei"), {"f5"}),  # whole words: "Fei-Fei" is "fei fei"; "Feiqing" is not "fei"
    (Filters(author="soren"), {"f1"}),
    (Filters(author="Lukasz Kaiser"), {"f4"}),
    (Filters(author="Fei-Fei Li"), {"f5"}),
    (Filters(author="o'brien"), {"f5"}),
    (Filters(author="gross"), {"f7"}),
    (Filters(author="Pawel"), {"f7"}),
    (Filters(author="-"), set()),
    (Filters(year=2021), {"f1", "f5"}),
    (Filters(year_from=2021), {"f1", "f2", "f5", "f7"}),
    (Filters(year_to=2020), {"f3", "f4"}),
    (Filters(year_from=2020, year_to=2021), {"f1", "f3", "f5"}),
    (Filters(year_from=2022, year_to=2021), set()),
    (Filters(has_code=True), {"f1", "f3", "f7"}),
    (Filters(has_code=False), {"f2", "f4", "f5", "f6", "f8"}),
    (Filters(author="Ibrahim Sahin"), {"f8"}),
    (Filters(author="İbrahim"), {"f8"}),
    (Filters(venue="iclr", year_from=2021, author="bernhard", has_code=False), {"f2"}),
]


@pytest.fixture(scope="module")
def filter_catalog(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("filters")
    with Atlas.open(catalogs.new(folder), Settings(home=folder / "home")) as atlas:
        ingest_records(atlas, folder / "filters.jsonl", FILTER_CORPUS)
        atlas.indexes.sync_keyword()
        yield atlas, ids_by_record(atlas)


@pytest.mark.parametrize("filters, expected", TRICKY_FILTERS, ids=[repr(f.to_dict()) for f, _ in TRICKY_FILTERS])
def test_store_and_keyword_index_filter_alike(filter_catalog, filters: Filters, expected: set[str]) -> None:
    atlas, ids = filter_catalog
    back = {v: k for k, v in ids.items()}
    listed = {back[p.id] for p in atlas.store.papers.list(filters, limit=None)}
    indexed = {back[pid] for pid, _ in atlas.indexes.keyword.search("", filters, k=100).hits}
    assert listed == expected, "store"
    assert indexed == expected, "keyword index"
    assert atlas.store.papers.count(filters) == atlas.indexes.keyword.search("", filters).total == len(expected)


TRICKY_NAMES = [
    "Bernhard Schölkopf", "SCHOLKOPF", "Søren Hauberg", "Ørjan Øvergård", "Paweł Łukasz", "Jürgen Groß",
    "GROSSE Straße", "Gauß", "Jean-Pierre Dupont", "Li Fei-Fei", "Conor O'Brien", "D’Angelo", "Žiga Čelebić",
    "Hạ Văn Đức", "Nguyễn", "Dvořák", "José Ñúñez", "Æsa Œuvre", "Þór Ðorðe", "张伟", "山田 太郎", "Kim Min-jun 김민준",
    "Kaiming He 2", "R2D2 Smith", "3rd Author", "x²", "ﬁnn", "Ｆｕｌｌ　Ｗｉｄｔｈ", "Mü_ller",
    "Scho\u0308lkopf",  # decomposed (NFD) accent
    "İbrahim Şahin",  # dotted capital I
    "a" * 41,  # one byte over the word limit
    "é" * 21,  # 42 bytes as typed, 21 once the accents are folded
]


@pytest.mark.parametrize("name", TRICKY_NAMES, ids=[repr(n) for n in TRICKY_NAMES])
def test_name_terms_are_the_keyword_index_name_words(name: str) -> None:
    """The index is given names folded by ``fold_name`` (documents and queries alike); its own
    analyzer then splits them into the same words as ``name_terms``."""
    index = KeywordIndex(None)
    assert name_terms(name) == index.analyzers["pa_name"].analyze(fold_name(name))
    assert name_terms(name) == [t for _, t in index.queries.tokens("pa_name", name)]


def test_name_terms_examples() -> None:
    assert name_terms("Bernhard Schölkopf") == ["bernhard", "scholkopf"]
    assert name_terms("Scho\u0308lkopf") == ["scholkopf"]
    assert name_terms("Paweł Łukasz Groß Ørjan") == ["pawel", "lukasz", "gross", "orjan"]
    assert name_terms("Jean-Pierre O'Brien") == ["jean", "pierre", "o", "brien"]
    assert name_terms("山田 太郎 R2D2") == ["山田", "太郎", "r2d2"]
    assert name_terms("a" * 41 + " b") == ["b"]


# keeping up with the catalog


def test_incremental_sync(atlas: Atlas, tmp_path: Path) -> None:
    folder = atlas.indexes.path("keyword")
    assert folder == atlas.store.index_folder / "keyword"
    if isinstance(atlas.store, SQLiteStore):  # beside the file (a PostgreSQL catalog's are under the home)
        assert folder == Path(str(tmp_path / "catalog.sqlite") + ".index") / "keyword"
    assert atlas.indexes.keyword.path == folder
    index = KeywordIndex(tmp_path / "own-keyword")  # beside the Atlas's own, synced only here
    first = write_jsonl(tmp_path / "a.jsonl", CORPUS[:5])
    ingest_paths(atlas, [first])
    assert atlas.settle(SETTLE_S)
    calls: list[tuple[int, int]] = []
    assert index.sync(atlas.store, progress=lambda done, total: calls.append((done, total))) == 5
    assert calls and calls[-1][0] == calls[-1][1]
    assert atlas.store.feed.index_seq("keyword") == atlas.store.feed.last_change()
    assert index.sync(atlas.store) == 0
    assert index.num_docs == 5

    ingest_paths(atlas, [write_jsonl(tmp_path / "b.jsonl", CORPUS[5:])])
    assert atlas.settle(SETTLE_S)
    assert index.sync(atlas.store) == 3
    assert index.sync(atlas.store) == 0
    assert index.num_docs == len(CORPUS)
    ids = ids_by_record(atlas)
    assert ranked(index, "sentences", ids) == ["d-text"]

    # a changed copy of the first file: one abstract now says something else
    changed = [dict(r) for r in CORPUS[:5]]
    changed[4]["abstract"] = "One transformer for all tasks."
    write_jsonl(first, changed)
    ingest_paths(atlas, [first])
    assert atlas.settle(SETTLE_S)
    assert index.sync(atlas.store) == 1
    assert ranked(index, "transformer", ids) == ["s-network"]
    assert ranked(index, "one network for all", ids)[0] == "s-network"
    assert index.num_docs == len(CORPUS)

    # a paper deleted from the catalog leaves the index on the next sync
    gone = ids["d-image"]
    for table, column in (("records", "paper_id"), ("match_keys", "paper_id"), ("papers", "id")):
        sql(atlas, f"DELETE FROM {table} WHERE {column} = ?", (gone,))
    assert index.sync(atlas.store) == 1
    assert ranked(index, "diffusion", ids) == ["d-text"]
    assert index.num_docs == len(CORPUS) - 1

    # a second handle on the same directory sees the same index and has nothing to do
    again = KeywordIndex(tmp_path / "own-keyword")
    assert again.num_docs == len(CORPUS) - 1 and again.sync(atlas.store) == 0
    # and the Atlas's own index catches up too
    atlas.indexes.sync_keyword()
    assert atlas.indexes.keyword.num_docs == len(CORPUS) - 1


def test_new_schema_version_rebuilds(atlas: Atlas, tmp_path: Path) -> None:
    ingest_records(atlas, tmp_path / "a.jsonl", CORPUS)
    path = atlas.indexes.path("keyword")
    index = KeywordIndex(path)
    index.sync(atlas.store)
    assert index.num_docs == len(CORPUS)
    meta = path / kw.META_FILE
    meta.write_text(json.dumps({"schema_version": -1, "seq": 99}))
    rebuilt = KeywordIndex(path)
    assert rebuilt.num_docs == 0
    assert rebuilt.sync(atlas.store) == len(CORPUS) and rebuilt.num_docs == len(CORPUS)
    assert json.loads(meta.read_text())["schema_version"] == kw_schema.SCHEMA_VERSION


def test_lost_or_damaged_index_is_rebuilt(atlas: Atlas, tmp_path: Path) -> None:
    ingest_records(atlas, tmp_path / "a.jsonl", CORPUS)
    path = atlas.indexes.path("keyword")
    KeywordIndex(path).sync(atlas.store)
    shutil.rmtree(path)
    index = KeywordIndex(path)
    assert index.sync(atlas.store) == len(CORPUS) and index.num_docs == len(CORPUS)
    for f in path.glob("*.store"):
        f.write_bytes(b"garbage")
    (path / "meta.json").write_text("{not json")
    again = KeywordIndex(path)
    assert again.sync(atlas.store) == len(CORPUS) and again.num_docs == len(CORPUS)


def test_new_catalog_at_the_same_path_replaces_the_index(catalog_location: str | Path, tmp_path: Path,
                                                         settings: Settings, request: pytest.FixtureRequest) -> None:
    path = catalog_location
    with Atlas.open(path, settings) as atlas:
        ingest_records(atlas, tmp_path / "a.jsonl", CORPUS)
        atlas.indexes.sync_keyword()
        assert atlas.indexes.keyword.num_docs == len(CORPUS)
    replace_catalog(path, request)
    with Atlas.open(path, settings) as atlas:
        assert atlas.indexes.path("keyword").is_dir()  # the old catalog's index is still there
        ingest_paths(atlas, [write_jsonl(tmp_path / "b.jsonl", CORPUS[:2])])
        assert atlas.settle(SETTLE_S)
        index = KeywordIndex(atlas.indexes.path("keyword"))
        index.sync(atlas.store)
        assert index.num_docs == 2
        assert atlas.indexes.keyword.num_docs == 2


def test_in_memory_catalog(settings: Settings) -> None:
    with Atlas.open(settings=settings, memory=True) as atlas:
        ingest_paths(atlas, sorted(SAMPLES.glob("*.txt"))[:1])
        assert atlas.settle(SETTLE_S)
        n = atlas.store.papers.count(Filters())
        assert atlas.indexes.path("keyword") is None and atlas.indexes.keyword.path is None
        atlas.indexes.sync_keyword()
        assert atlas.indexes.keyword.num_docs == n
        index = KeywordIndex(atlas.indexes.path("keyword"))
        assert index.path is None
        # a new handle has an empty RAM index: it must rebuild, not trust the catalog's position
        assert index.sync(atlas.store) == n and index.num_docs == n
        assert index.sync(atlas.store) == 0
        other = KeywordIndex(None)
        assert other.sync(atlas.store) == n and other.num_docs == n


# another process writing the index


def test_search_answers_while_another_process_holds_the_writer(
    atlas: Atlas, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kw, "WRITER_WAIT_S", 0.3)  # how long a sync waits for the lock
    ingest_records(atlas, tmp_path / "a.jsonl", CORPUS[:5])
    atlas.indexes.sync_keyword()
    ids = ids_by_record(atlas)
    assert search(atlas, "network", mode="keyword").notes == []

    other = KeywordIndex(atlas.indexes.path("keyword"))  # e.g. `paperatlas index` in another process
    writer = other._index.writer()
    try:
        ingest_records(atlas, tmp_path / "b.jsonl", CORPUS[5:])  # its background sync finds the lock taken
        ids = ids_by_record(atlas)
        res = search(atlas, "diffusion network", mode="keyword")
        assert [h.id for h in res.hits] == [ids["s-network"]]  # the index as it is: no diffusion papers yet
        assert res.total == 1
        assert any("another paperatlas process is updating the keyword index" in n
                   and "results may miss the newest papers" in n for n in res.notes), res.notes
        browse = search(atlas, "", mode="keyword", filters=Filters(venue="ConfB"))
        assert browse.total == 3 and any("keyword index" in n for n in browse.notes)
    finally:
        writer.rollback()
        del writer
    res = search(atlas, "diffusion network", mode="keyword")
    assert res.notes == []
    assert {h.id for h in res.hits} == {ids["s-network"], ids["d-image"], ids["d-text"]}
    assert atlas.indexes.keyword.num_docs == len(CORPUS)


# snippets and why


def test_snippets_are_escaped_and_marked(atlas: Atlas, tmp_path: Path) -> None:
    evil = [
        dict(id="x1", title="<script>alert(1)</script> Attacks on Parsers",
             abstract="An <img src=x onerror=alert(1)> payload & friends break naive parsers."),
        dict(id="x2", title="Parsers <b>bold</b>", abstract="Nothing to see here."),
    ]
    ingest_records(atlas, tmp_path / "evil.jsonl", evil)
    atlas.indexes.sync_keyword()
    index = atlas.indexes.keyword
    ids = ids_by_record(atlas)
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
    _, index = seeds
    hits = index.search("moiré patterns demoireing", k=1).hits
    snip = index.snippets("moiré patterns", [hits[0][0]])[hits[0][0]]
    assert "<mark>" in snip and len(snip.replace("<mark>", "").replace("</mark>", "").split()) <= 32


def test_why(small) -> None:
    _, index, ids = small
    why = index.why("molecules lovelace", [ids["t-title"], ids["t-abstract"]])
    assert why[ids["t-title"]] == ["title: molecules", "authors: lovelace"]
    assert why[ids["t-abstract"]] == ["abstract: molecules"]
    assert index.why('"graph neural"', [ids["p-adjacent"]])[ids["p-adjacent"]] == ["abstract: graph, neural"]
    assert index.why("author:turing", [ids["d-text"]])[ids["d-text"]] == ["authors: turing"]
    snippet, reasons = index.explain("molecules", [ids["t-abstract"]])[ids["t-abstract"]]
    assert "<mark>molecules</mark> from chemistry benchmarks." in snippet and reasons == ["abstract: molecules"]


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
    run = index.search(text)
    assert isinstance(run.hits, list) and run.total >= len(run.hits)
    assert run.all_words is None or 0 <= run.all_words <= run.total
    assert isinstance(index.facets(text, None), dict)
    index.snippets(text, [h for h, _ in run.hits[:3]])
    index.why(text, [h for h, _ in run.hits[:3]])


TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(['"', "(", ")", ":", "*", "~", "^", "AND", "OR", "NOT", "-", "+", "\\",
                         " ", "title:", "year:", "venue:", "author:", "graph", "neural", "α-β",
                         "c++", "“", "!", "\x00", "🤖", "2021", "..", ">="]),
        max_size=2000,
    ).map("".join),
)


@hypothesis_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS, k=st.integers(-5, 50), offset=st.integers(-5, 50))
def test_search_never_raises(seeds, text: str, k: int, offset: int) -> None:
    _, index = seeds
    parse_query(text)
    run = index.search(text, k=k, offset=offset)
    assert isinstance(run.hits, list) and all(isinstance(i, str) and isinstance(s, float) for i, s in run.hits)
    assert len(run.hits) <= max(k, 0) and run.total >= 0
