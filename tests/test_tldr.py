"""Extractive TL;DRs (paperatlas.tldr) on hand-made abstracts: which sentence is chosen, how
abstracts are split, how long sentences are capped, and that nothing is lost or varies.
ROUGE figures against real author TL;DRs are in bench/tldr_quality.py, not here."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperatlas import tldr
from paperatlas.tldr import ELLIPSIS, MAX_CHARS, cap_length, extractive_tldr, sentence_features, split_sentences

FUZZ = settings(max_examples=int(os.environ.get("PAPERATLAS_FUZZ_EXAMPLES", "200")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

BACKGROUND_FIRST = (
    "Graph neural networks have become the standard tool for learning on molecules. "
    "However, existing message-passing models are limited by over-smoothing, and deeper models "
    "often perform worse than shallow ones. "
    "In this paper, we propose RiverNet, a residual message-passing network that keeps node "
    "features distinct at any depth. "
    "Experiments on five benchmarks show consistent gains. "
    "Code is available at https://github.com/example/rivernet."
)


# -- the chosen sentence ----------------------------------------------------------------------------

def test_the_contribution_sentence_is_chosen_over_background_results_and_code() -> None:
    got = extractive_tldr("RiverNet: Deep Message Passing without Over-smoothing", BACKGROUND_FIRST)
    assert got == ("In this paper, we propose RiverNet, a residual message-passing network that keeps node "
                   "features distinct at any depth.")


def test_a_late_contribution_sentence_beats_the_first_and_last() -> None:
    abstract = (
        "Reinforcement learning agents are sample-inefficient. "
        "Many remedies have been studied, such as model-based planning and data augmentation. "
        "Recent work has shown that pretrained representations help in some domains. "
        "We introduce contrastive world models, which learn state representations and dynamics "
        "jointly from unlabelled video. "
        "Our agent reaches human-level scores on Atari after 100k steps."
    )
    got = extractive_tldr("Contrastive World Models for Sample-Efficient Reinforcement Learning", abstract)
    assert got is not None and got.startswith("We introduce contrastive world models")


def test_one_sentence_abstract_is_returned_whole_with_whitespace_collapsed() -> None:
    assert extractive_tldr("T", "  We show that\n attention   is enough.  ") == "We show that attention is enough."


def test_empty_abstracts_give_none() -> None:
    for empty in ("", "   ", "\n\n\t", "\u00a0"):
        assert extractive_tldr("A title", empty) is None
    assert split_sentences("") == []


def test_same_input_same_output_in_another_process() -> None:
    """Scores, not only the choice, are identical across processes with different hash seeds
    (set order varies with PYTHONHASHSEED; the scorer must not depend on it)."""
    code = (
        "from paperatlas.tldr import score_sentences, split_sentences\n"
        f"a = {BACKGROUND_FIRST!r}\n"
        "print(repr(score_sentences('RiverNet: Deep Message Passing', split_sentences(a))))\n"
    )
    outs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        outs.add(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
    assert len(outs) == 1
    assert extractive_tldr("x", BACKGROUND_FIRST) == extractive_tldr("x", BACKGROUND_FIRST)


def test_maths_in_the_chosen_sentence_is_kept_verbatim() -> None:
    abstract = (
        "Comparisons made by people are often wrong. "
        r"We propose a noisy sorting algorithm that orders $n$ items in $\mathcal{O}(n \log n)$ comparisons "
        r"with error $\epsilon < 0.1$. "
        "Simulations agree with the bound."
    )
    got = extractive_tldr("Noisy Sorting in Few Comparisons", abstract)
    assert got == (r"We propose a noisy sorting algorithm that orders $n$ items in $\mathcal{O}(n \log n)$ comparisons "
                   r"with error $\epsilon < 0.1$.")


# -- features, worked out by hand -------------------------------------------------------------------

def test_features_of_a_two_sentence_abstract_by_hand() -> None:
    rows = sentence_features("Graph Networks", ["Graph networks are popular.", "We propose sparse graph networks."])
    f = {name: i for i, name in enumerate(tldr.FEATURES)}
    a, b = rows
    # content words: {graph, network, popular} and {sparse, graph, network}; title {graph, network}
    assert (a[f["first"]], a[f["last"]], b[f["first"]], b[f["last"]]) == (1.0, 0.0, 0.0, 1.0)
    assert (a[f["position"]], b[f["position"]]) == (0.0, 1.0)
    assert a[f["title_overlap"]] == 1.0 and b[f["title_overlap"]] == 1.0
    assert math.isclose(a[f["centrality"]], 2 / 3) and math.isclose(b[f["centrality"]], 2 / 3)  # 2 / sqrt(3 * 3)
    assert (a[f["cue_contrib"]], b[f["cue_contrib"]], b[f["first_contrib"]]) == (0.0, 1.0, 1.0)
    assert (a[f["cue_background"]], b[f["cue_background"]]) == (1.0, 0.0)  # "popular"
    assert (a[f["we"]], b[f["we"]]) == (0.0, 1.0)
    assert math.isclose(a[f["log_words"]], math.log(5)) and math.isclose(b[f["log_words"]], math.log(6))
    assert a[f["short"]] == 1.0 and b[f["short"]] == 1.0  # fewer than 6 words


def test_centrality_is_the_mean_cosine_to_the_other_sentences() -> None:
    sents = ["Alpha beta gamma delta.", "Alpha beta epsilon.", "Zeta eta theta."]
    c = [row[tldr.FEATURES.index("centrality")] for row in sentence_features("", sents)]
    # |A & B| / sqrt(|A| |B|), averaged over the n - 1 others
    assert math.isclose(c[0], (2 / math.sqrt(4 * 3) + 0) / 2)
    assert math.isclose(c[1], (2 / math.sqrt(3 * 4) + 0) / 2)
    assert c[2] == 0.0


def test_weights_cover_every_feature() -> None:
    assert list(tldr.WEIGHTS) == list(tldr.FEATURES)
    assert any(v != 0.0 for v in tldr.WEIGHTS.values())


# -- splitting --------------------------------------------------------------------------------------

def test_abbreviations_decimals_and_references_do_not_split() -> None:
    text = (
        "Many tasks, e.g. detection and i.e. segmentation, need sets. "
        "As Smith et al. (2019) and Fig. 2 show, accuracy rises from 0.5 to 93.5% vs. the baseline (cf. Eq. 3). "
        "Data from the U.S. Census and Sec. 4 are used by J. Doe. "
        "Samples are i.i.d. Gaussian."
    )
    assert split_sentences(text) == [
        "Many tasks, e.g. detection and i.e. segmentation, need sets.",
        "As Smith et al. (2019) and Fig. 2 show, accuracy rises from 0.5 to 93.5% vs. the baseline (cf. Eq. 3).",
        "Data from the U.S. Census and Sec. 4 are used by J. Doe.",
        "Samples are i.i.d. Gaussian.",
    ]


def test_sentence_ends_that_follow_abbreviations_numbers_and_quotes_do_split() -> None:
    text = (
        'It was proposed by Lee et al. We extend it. Accuracy reaches 93.5. The model is called "Foo." '
        "Does it work? Yes! Samples are i.i.d. We prove it.Then we test it."
    )
    assert split_sentences(text) == [
        "It was proposed by Lee et al.", "We extend it.", "Accuracy reaches 93.5.", 'The model is called "Foo."',
        "Does it work?", "Yes!", "Samples are i.i.d.", "We prove it.", "Then we test it.",
    ]


def test_maths_urls_and_emails_are_never_split() -> None:
    text = (
        r"We bound the error by $O(n^{-1/2}). Then$ it holds. "
        r"Display \[ x = 1. Y \] too. "
        "Code: https://github.com/a/b.c. Write to a.b@uni.edu. Done."
    )
    assert split_sentences(text) == [
        r"We bound the error by $O(n^{-1/2}). Then$ it holds.",
        r"Display \[ x = 1. Y \] too.",
        "Code: https://github.com/a/b.c.",
        "Write to a.b@uni.edu.",
        "Done.",
    ]


def test_blank_lines_end_sentences_and_line_breaks_do_not() -> None:
    text = "A heading without a full stop\n\nThe first line of a wrapped\nsentence. Second."
    assert split_sentences(text) == ["A heading without a full stop", "The first line of a wrapped sentence.", "Second."]


# -- the length cap -----------------------------------------------------------------------------------

def test_a_long_sentence_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    words = [f"word{i:03d}," for i in range(60)]  # 8 characters each, commas to be dropped at the cut
    sentence = "We propose " + " ".join(words) + " and more."
    got = extractive_tldr("T", sentence)
    assert got is not None and got.endswith(ELLIPSIS) and len(got) <= MAX_CHARS
    head = got[: -len(ELLIPSIS)]
    assert sentence.startswith(head) and sentence[len(head) + 1] == " "  # cut just before a space, comma dropped
    assert re.fullmatch(r"We propose (word\d{3}, )*word\d{3}", head)  # whole words only


def test_the_cap_does_not_cut_inside_maths() -> None:
    formula = "$" + " + ".join(f"x_{{{i}}}" for i in range(40)) + "$"  # 360 characters, with spaces
    sentence = "We show that the sum " + formula + " is bounded for every input size."
    assert sentence.index("$") < MAX_CHARS < sentence.rindex("$")  # the formula spans the limit
    got = cap_length(sentence)
    assert got == "We show that the sum" + ELLIPSIS
    assert got.count("$") % 2 == 0


def test_short_sentences_are_not_capped() -> None:
    s = "x" * MAX_CHARS
    assert cap_length(s) == s


# -- any input ----------------------------------------------------------------------------------------

# Text made of the characters the splitter looks at, and any text at all.
TRICKY = st.sampled_from(list("abAB .!?$\\()[]{}:/@e.g\n\t\u2026\"'0123456789"))
TEXTS = st.text(alphabet=TRICKY, max_size=400) | st.text(max_size=300)


@FUZZ
@given(TEXTS)
def test_splitting_loses_nothing_and_keeps_order(text: str) -> None:
    sentences = split_sentences(text)
    assert all(s and s == " ".join(s.split()) for s in sentences)
    assert "".join("".join(sentences).split()) == "".join(text.split())


@FUZZ
@given(st.text(max_size=100), TEXTS)
def test_the_tldr_is_a_piece_of_the_abstract(title: str, abstract: str) -> None:
    got = extractive_tldr(title, abstract)
    if not abstract.split():
        assert got is None
        return
    assert got
    flat = " ".join(abstract.split())
    assert got in flat or (got.endswith(ELLIPSIS) and got[: -len(ELLIPSIS)] in flat)
