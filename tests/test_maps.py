"""Topic maps (paperatlas.maps): determinism, the two levels, the other bucket, c-TF-IDF labels
worked out by hand, tiny and bad inputs, and well-separated groups found again.

Synthetic vectors and texts only (no model): groups are Gaussian blobs around random unit
centres, each group's texts built from words of its own plus words every group uses.
"""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from paperatlas.maps import build_map, ctfidf, distinct_labels, fingerprint, keyphrases, terms
from paperatlas.maps import layout as layout_module
from paperatlas.maps.build import TopicMap
from paperatlas.maps.cluster import subtopic_count, topic_count
from paperatlas.maps.layout import add_points, fit_tsne, normalise, pca2

GROUP_WORDS = ["graph", "protein", "robot", "speech", "galaxy", "market", "poetry"]
SHARED_WORDS = ["model", "data", "analysis", "system", "evaluation", "training", "structure", "learning"]


def groups_corpus(per_group: int, n_groups: int = 7, dim: int = 32, spread: float = 0.15, seed: int = 0
                  ) -> tuple[list[str], np.ndarray, list[str], list[int]]:
    rng = np.random.default_rng(seed)
    words = random.Random(seed)
    centres = rng.normal(size=(n_groups, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    ids, rows, texts, truth = [], [], [], []
    for g in range(n_groups):
        for j in range(per_group):
            ids.append(f"p{g}-{j:03d}")
            rows.append(centres[g] + rng.normal(scale=spread, size=dim))
            own = [f"{GROUP_WORDS[g]} {words.choice(['dynamics', 'design', 'sampling'])}" for _ in range(2)]
            texts.append(f"A {GROUP_WORDS[g]} study. " + ". ".join(own + words.sample(SHARED_WORDS, 4)) + ".")
            truth.append(g)
    vectors = np.asarray(rows, dtype=np.float32)
    return ids, vectors / np.linalg.norm(vectors, axis=1, keepdims=True), texts, truth


@pytest.fixture(scope="module")
def seven() -> tuple[list[str], np.ndarray, list[str], list[int], TopicMap]:
    ids, vectors, texts, truth = groups_corpus(70)  # 490 papers: topic_count(490) = 7
    return ids, vectors, texts, truth, build_map(ids, vectors, texts, seed=0)


def check_structure(topic_map: TopicMap, ids: list[str]) -> None:
    """Every paper once, in one finer topic whose parent is a topic; sizes add up; labels
    distinct and non-empty; other at most 10%; coordinates in [-1, 1]."""
    data = json.loads(topic_map.to_json())
    assert set(data) == {"method", "clusters", "points"}
    assert sorted(p["id"] for p in data["points"]) == sorted(ids)
    clusters = {c["id"]: c for c in data["clusters"]}
    assert len(clusters) == len(data["clusters"])
    assert all(set(c) == {"id", "label", "size", "parent"} for c in data["clusters"])
    topics = {cid for cid, c in clusters.items() if c["parent"] is None}
    fine = {cid for cid, c in clusters.items() if c["parent"] is not None}
    assert topics and fine
    assert all(clusters[f]["parent"] in topics for f in fine)
    for point in data["points"]:
        assert point["cluster"] in fine
        assert -1.0 <= point["x"] <= 1.0 and -1.0 <= point["y"] <= 1.0
    per_fine = {f: sum(p["cluster"] == f for p in data["points"]) for f in fine}
    assert all(per_fine[f] == clusters[f]["size"] > 0 for f in fine)
    for t in topics:
        assert clusters[t]["size"] == sum(clusters[f]["size"] for f in fine if clusters[f]["parent"] == t)
    labels = [c["label"] for c in data["clusters"]]
    assert all(label.strip() for label in labels)
    assert len(set(labels)) == len(labels)
    if "other" in clusters:
        assert clusters["other"]["size"] <= 0.1 * len(ids)
        assert clusters["other"]["label"].startswith("Other: ")


# c-TF-IDF and keyphrases, by hand ------------------------------------------------------------


def test_ctfidf_matches_bertopic_formula_worked_by_hand() -> None:
    # clusters x terms counts; row sums 3 and 2, term frequencies 2, 1, 2, A = mean row sum = 2.5
    # idf = log(1 + 2.5 / f): log 2.25 = 0.8109302162, log 3.5 = 1.2527629685
    weights = ctfidf(np.array([[2, 0, 1], [0, 1, 1]])).toarray()
    expected = [[2 / 3 * 0.8109302162, 0.0, 1 / 3 * 0.8109302162], [0.0, 0.5 * 1.2527629685, 0.5 * 0.8109302162]]
    np.testing.assert_allclose(weights, expected, rtol=1e-9)


def test_ctfidf_with_cluster_sizes_uses_papers_per_cluster_as_A() -> None:
    # sizes 4 and 2: A = 3; idf = log(1 + 3 / f): log 2.5 = 0.9162907319, log 4 = 1.3862943611
    weights = ctfidf(np.array([[2, 0, 1], [0, 1, 1]]), np.array([4, 2])).toarray()
    expected = [[2 / 3 * 0.9162907319, 0.0, 1 / 3 * 0.9162907319], [0.0, 0.5 * 1.3862943611, 0.5 * 0.9162907319]]
    np.testing.assert_allclose(weights, expected, rtol=1e-9)


def test_ctfidf_empty_row_and_unused_term_weigh_zero() -> None:
    weights = ctfidf(np.array([[0, 0, 0], [1, 0, 2]])).toarray()
    assert weights[0].tolist() == [0.0, 0.0, 0.0]
    assert weights[1, 1] == 0.0 and weights[1, 0] > 0


def test_terms_are_unigrams_and_bigrams_without_stop_words_or_bridges() -> None:
    assert terms("Graph neural networks for molecules.") == [
        "graph", "neural", "graph neural", "networks", "neural networks", "molecules"]
    # a stop word or punctuation breaks a bigram; words are lower-cased; LaTeX commands dropped
    assert terms("Learning of representations, Robots") == ["learning", "representations", "robots"]
    assert terms(r"We propose a novel method: $\mathbb{R}$ sparse codes") == ["sparse", "codes", "sparse codes"]
    assert terms("") == []


def test_keyphrases_rank_by_weight_and_skip_overlapping_terms() -> None:
    vocabulary = ["graph", "graph neural", "molecules", "networks", "protein"]
    weights = np.array([[0.9, 0.8, 0.5, 0.1, 0.0], [0.0, 0.0, 0.2, 0.2, 0.7]])
    # row 0: "graph neural" shares "graph" with the better "graph"; row 1: tie broken by vocabulary order
    assert keyphrases(weights, vocabulary) == [["graph", "molecules", "networks"], ["protein", "molecules", "networks"]]


def test_keyphrases_put_terms_of_few_papers_last() -> None:
    vocabulary = ["rare", "common"]
    weights = np.array([[0.9, 0.5]])
    counts = np.array([[1, 6]])  # "rare" in 1 of 20 papers (under max(2, 10%)), "common" in 6
    assert keyphrases(weights, vocabulary, counts, [20]) == [["common", "rare"]]


def test_distinct_labels_fall_back_to_spares_then_numbers() -> None:
    taken: set[str] = set()
    labels = distinct_labels([["a", "b", "c", "d"], ["a", "b", "c", "e"], ["a", "b", "c"], []], taken)
    assert labels == ["a, b, c", "a, b, e", "topic 3", "topic 4"]
    assert taken == set(labels)


# layout helpers, by hand ---------------------------------------------------------------------


def test_normalise_keeps_shape_and_fits_minus_one_to_one() -> None:
    np.testing.assert_allclose(normalise(np.array([[0.0, 0.0], [4.0, 2.0]])), [[-1.0, -0.5], [1.0, 0.5]])
    assert normalise(np.array([[3.0, 3.0]])).tolist() == [[0.0, 0.0]]


def test_pca2_of_points_on_a_line_has_one_axis() -> None:
    xy = pca2(np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 3.0]]))
    np.testing.assert_allclose(np.abs(xy[:, 0]), [1.0, 1.0])
    assert xy[:, 1].tolist() == [0.0, 0.0]


def test_cluster_counts_follow_the_stated_rules() -> None:
    assert [topic_count(n) for n in (1, 3, 100, 1000, 2966, 20_000)] == [1, 1, 3, 10, 17, 30]
    assert [subtopic_count(m) for m in (1, 7, 8, 75, 3000)] == [1, 1, 2, 5, 20]


# whole maps ----------------------------------------------------------------------------------


def test_same_input_gives_byte_identical_json(seven: tuple[list[str], np.ndarray, list[str], list[int], TopicMap]) -> None:
    ids, vectors, texts, _, first = seven
    again = build_map(ids, vectors, texts, seed=0)
    assert again.to_json() == first.to_json()


def test_input_order_does_not_change_the_map(seven: tuple[list[str], np.ndarray, list[str], list[int], TopicMap]) -> None:
    ids, vectors, texts, _, first = seven
    order = list(range(len(ids)))
    random.Random(3).shuffle(order)
    shuffled = build_map([ids[i] for i in order], vectors[order], [texts[i] for i in order], seed=0)
    assert shuffled.to_json() == first.to_json()


def test_map_structure_holds(seven: tuple[list[str], np.ndarray, list[str], list[int], TopicMap]) -> None:
    ids, _, _, _, topic_map = seven
    check_structure(topic_map, ids)
    method = json.loads(topic_map.to_json())["method"]
    assert method["seed"] == 0 and method["layout"]["name"] == "openTSNE"


def test_well_separated_groups_are_the_topics_and_named_by_their_word(
        seven: tuple[list[str], np.ndarray, list[str], list[int], TopicMap]) -> None:
    ids, _, _, truth, topic_map = seven
    group_of = dict(zip(ids, truth))
    members: dict[str, set[int]] = {}
    for point in topic_map.points:
        members.setdefault(point.topic, set()).add(group_of[point.id])
    real = {t: g for t, g in members.items() if t != "other"}
    assert len(real) == 7
    assert all(len(g) == 1 for g in real.values())  # each topic is one group
    assert sorted(next(iter(g)) for g in real.values()) == list(range(7))  # and every group is a topic
    for topic in topic_map.topics():
        if topic.id != "other":
            word = GROUP_WORDS[next(iter(members[topic.id]))]
            assert topic.label.split(", ")[0] == word


def test_a_different_seed_is_recorded_and_still_finds_the_groups() -> None:
    ids, vectors, texts, truth = groups_corpus(70, seed=1)
    topic_map = build_map(ids, vectors, texts, seed=5)
    check_structure(topic_map, ids)
    assert topic_map.method["seed"] == 5
    group_of = dict(zip(ids, truth))
    per_topic: dict[str, set[int]] = {}
    for point in topic_map.points:
        if point.topic != "other":
            per_topic.setdefault(point.topic, set()).add(group_of[point.id])
    assert all(len(g) == 1 for g in per_topic.values()) and len(per_topic) == 7


def test_the_other_bucket_takes_far_papers_and_stays_under_ten_percent() -> None:
    ids, vectors, texts, _ = groups_corpus(30, n_groups=4)  # 120 papers, 3 topics (sqrt(12))
    rng = np.random.default_rng(9)
    strays = rng.normal(size=(8, vectors.shape[1])).astype(np.float32)
    strays /= np.linalg.norm(strays, axis=1, keepdims=True)
    all_ids = ids + [f"stray{i}" for i in range(8)]
    topic_map = build_map(all_ids, np.vstack([vectors, strays]), texts + [f"stray topic {i}" for i in range(8)])
    check_structure(topic_map, all_ids)
    other = {p.id for p in topic_map.points if p.topic == "other"}
    assert other and len(other) <= 0.1 * len(all_ids)
    assert sum(pid.startswith("stray") for pid in other) >= len(other) // 2


@pytest.mark.parametrize("n", [1, 2, 3])
def test_tiny_sets_give_a_map_and_say_how(n: int) -> None:
    ids, vectors, texts, _ = groups_corpus(1, n_groups=n)
    topic_map = build_map(ids, vectors, texts)
    check_structure(topic_map, ids)
    assert topic_map.method["layout"]["name"] == "pca"
    assert any("too few for t-SNE" in note for note in topic_map.notes)
    assert len(topic_map.topics()) == 1 and len(topic_map.subtopics()) == 1
    if n == 1:
        assert (topic_map.points[0].x, topic_map.points[0].y) == (0.0, 0.0)


def test_no_papers_gives_an_empty_map_with_a_reason() -> None:
    topic_map = build_map([], np.zeros((0, 8), np.float32), [])
    assert json.loads(topic_map.to_json())["points"] == [] and topic_map.notes


def test_texts_without_any_word_still_get_labels() -> None:
    ids, vectors, _, _ = groups_corpus(5, n_groups=2)
    check_structure(build_map(ids, vectors, [""] * len(ids)), ids)


def test_large_sets_lay_out_a_sample_and_place_the_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout_module, "SAMPLE", 60)
    ids, vectors, texts, truth = groups_corpus(30, n_groups=3)  # 90 papers
    stages: list[str] = []
    topic_map = build_map(ids, vectors, texts, progress=lambda stage, done, total: stages.append(stage))
    check_structure(topic_map, ids)
    assert topic_map.method["layout"]["sample"] == 60
    assert build_map(ids, vectors, texts).to_json() == topic_map.to_json()
    assert {"layout", "placing", "clusters", "labels"} <= set(stages)
    group_of = dict(zip(ids, truth))
    per_topic: dict[str, set[int]] = {}
    for point in topic_map.points:
        if point.topic != "other":
            per_topic.setdefault(point.topic, set()).add(group_of[point.id])
    assert all(len(g) == 1 for g in per_topic.values())


@pytest.mark.parametrize(("ids", "rows", "texts", "message"), [
    (["a", "a"], 2, ["x", "y"], "appears twice"),
    (["a", "b"], 3, ["x", "y"], "one row per paper"),
    (["a", "b"], 2, ["x"], "one per paper"),
    (["a", ""], 2, ["x", "y"], "position 1 is empty"),
])
def test_bad_input_is_named(ids: list[str], rows: int, texts: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_map(ids, np.ones((rows, 4), np.float32), texts)


def test_nan_vector_is_named() -> None:
    vectors = np.ones((2, 4), np.float32)
    vectors[1, 2] = np.nan
    with pytest.raises(ValueError, match="'b' .position 1. has NaN"):
        build_map(["a", "b"], vectors, ["x", "y"])


def test_fingerprint_depends_on_the_set_seed_and_model_not_the_order() -> None:
    assert fingerprint(["a", "b"]) == fingerprint(["b", "a"])
    assert len({fingerprint(["a", "b"]), fingerprint(["a", "c"]), fingerprint(["a", "b"], seed=1),
                fingerprint(["a", "b"], vector_model="minilm")}) == 4


def test_top_papers_are_the_most_central_worked_by_hand() -> None:
    # unit vectors a = (1, 0), b = (0.8, 0.6), c = (0.6, 0.8); mean (0.8, 0.4667), so the
    # cosines are a 0.864, b 0.993, c 0.922 (times one positive factor): b, c, a
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8]], np.float32)
    topic_map = build_map(["a", "b", "c"], vectors, ["x", "y", "z"])
    assert all(c.top == ("b", "c", "a") for c in topic_map.clusters)


def test_the_stored_form_reads_back_the_same_map(seven: tuple[list[str], np.ndarray, list[str], list[int], TopicMap]) -> None:
    topic_map = seven[4]
    again = TopicMap.from_stored(json.loads(json.dumps(topic_map.to_stored())))
    assert again == topic_map and again.to_json() == topic_map.to_json()


def test_papers_added_to_a_layout_land_by_their_neighbours_and_chunks_do_not_matter() -> None:
    ids, vectors, _, truth = groups_corpus(20, n_groups=3)  # 60 papers
    sample = np.arange(0, 60, 2)
    embedding = fit_tsne(vectors[sample], 9.0, 0, None)
    rest = np.arange(1, 60, 2)
    whole = add_points(embedding, vectors[rest])
    np.testing.assert_allclose(add_points(embedding, vectors[rest], chunk=7), whole)
    # each added paper is nearer to the centre of its own group's sample papers than to any other's
    xy = np.asarray(embedding)
    centres = np.array([xy[[i for i, s in enumerate(sample) if truth[s] == g]].mean(axis=0) for g in range(3)])
    nearest = np.argmin(((whole[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    assert nearest.tolist() == [truth[r] for r in rest]
