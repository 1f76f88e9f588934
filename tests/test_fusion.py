"""Fusion functions against values worked out by hand from their papers' formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paperatlas.search import fusion


def test_rrf_matches_the_formula_by_hand() -> None:
    a = [("x", 9.0), ("y", 5.0), ("z", 1.0)]
    b = [("y", 0.9), ("w", 0.8)]
    fused = dict(fusion.rrf([a, b], k=60))
    assert math.isclose(fused["y"], 1 / 62 + 1 / 61)
    assert math.isclose(fused["x"], 1 / 61)
    assert math.isclose(fused["w"], 1 / 62)
    assert math.isclose(fused["z"], 1 / 63)
    assert [d for d, _ in fusion.rrf([a, b])] == ["y", "x", "w", "z"]


def test_weighted_rrf() -> None:
    fused = dict(fusion.rrf([[("x", 1.0)], [("y", 1.0)]], k=0, weights=[3.0, 1.0]))
    assert fused == {"x": 3.0, "y": 1.0}


def test_minmax() -> None:
    assert fusion.minmax([("a", 10.0), ("b", 5.0), ("c", 0.0)]) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert fusion.minmax([("a", 2.0), ("b", 2.0)]) == {"a": 1.0, "b": 1.0}
    assert fusion.minmax([]) == {}


def test_convex_combination_by_hand() -> None:
    lexical = [("a", 12.0), ("b", 8.0), ("c", 2.0)]  # -> 1.0, 0.6, 0.0
    semantic = [("c", 0.9), ("a", 0.5), ("d", 0.4)]  # -> 1.0, 0.2, 0.0
    fused = dict(fusion.convex(lexical, semantic, alpha=0.25))
    assert math.isclose(fused["a"], 0.25 * 1.0 + 0.75 * 0.2)
    assert math.isclose(fused["b"], 0.25 * 0.6 + 0.75 * 0.0)
    assert math.isclose(fused["c"], 0.25 * 0.0 + 0.75 * 1.0)
    assert math.isclose(fused["d"], 0.0)
    assert fusion.convex(lexical, semantic, alpha=1.0)[0][0] == "a"
    assert fusion.convex(lexical, semantic, alpha=0.0)[0][0] == "c"


def test_convex_rejects_bad_alpha() -> None:
    with pytest.raises(ValueError):
        fusion.convex([], [], alpha=1.5)


def test_rocchio_moves_towards_feedback_and_stays_unit() -> None:
    q = np.array([1.0, 0.0], dtype=np.float32)
    fb = np.array([[0.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    moved = fusion.rocchio(q, fb, beta=1.0)
    assert np.allclose(moved, np.array([1, 1]) / math.sqrt(2))
    assert fusion.rocchio(q, np.zeros((0, 2), np.float32)) is q


def test_cosine_run_ranks_by_dot_product() -> None:
    q = np.array([1.0, 0.0], dtype=np.float32)
    vecs = np.array([[0.6, 0.8], [1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert fusion.cosine_run(q, ["a", "b", "c"], vecs) == [("b", 1.0), ("a", pytest.approx(0.6)), ("c", 0.0)]


def test_unknown_fusion_lists_the_names() -> None:
    with pytest.raises(ValueError, match="convex, rrf"):
        fusion.get_fusion("borda")


def test_tmm_divides_by_the_top_above_the_scorers_floor() -> None:
    # Bruch et al. 2023, TMM: (s - floor) / (max - floor); here floor 0, and a negative cosine
    # counts as no similarity
    assert fusion.tmm([("a", 10.0), ("b", 5.0), ("c", 4.0)]) == {"a": 1.0, "b": 0.5, "c": 0.4}
    assert fusion.tmm([("a", 0.8), ("b", -0.2)]) == {"a": 1.0, "b": 0.0}
    assert fusion.tmm([("a", -0.1)]) == {"a": 0.0} and fusion.tmm([]) == {}
    # close scores stay close, where min-max stretches them to 0..1
    close = [("a", 10.0), ("b", 9.5)]
    assert fusion.tmm(close)["b"] == 0.95 and fusion.minmax(close)["b"] == 0.0


def test_convex_with_tmm_by_hand() -> None:
    lexical = [("a", 12.0), ("b", 6.0)]  # -> 1.0, 0.5
    semantic = [("b", 0.8), ("a", 0.4), ("c", 0.2)]  # -> 1.0, 0.5, 0.25
    fused = dict(fusion.convex(lexical, semantic, alpha=0.4, norm="tmm"))
    assert math.isclose(fused["a"], 0.4 * 1.0 + 0.6 * 0.5)
    assert math.isclose(fused["b"], 0.4 * 0.5 + 0.6 * 1.0)
    assert math.isclose(fused["c"], 0.6 * 0.25)
    with pytest.raises(ValueError, match="minmax, tmm"):
        fusion.convex(lexical, semantic, 0.5, norm="zscore")


def test_lexical_weight_follows_the_keyword_share() -> None:
    # alpha * (1 - gamma * f) / (1 - gamma / 2), clipped to [0, 1]
    assert fusion.lexical_weight(0.3, 0.5, 1.0) == pytest.approx(0.3)  # the usual share: alpha
    assert fusion.lexical_weight(0.3, 1.0, 1.0) == 0.0  # every candidate matches the words
    assert fusion.lexical_weight(0.3, 0.25, 1.0) == pytest.approx(0.3 * 0.75 / 0.5)
    assert fusion.lexical_weight(0.3, 0.0, 1.0) == pytest.approx(0.6)
    assert fusion.lexical_weight(0.8, 0.0, 1.0) == 1.0  # clipped
    assert fusion.lexical_weight(0.3, 0.9, 0.0) == 0.3  # gamma 0: a fixed weight
    assert fusion.lexical_weight(0.3, 0.75, 0.5) == pytest.approx(0.3 * (1 - 0.375) / 0.75)
    with pytest.raises(ValueError):
        fusion.lexical_weight(0.3, 0.5, 2.0)
