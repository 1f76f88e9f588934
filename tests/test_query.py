"""The search-box parser: what people type, including what they should not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperatlas.search.query import MAX_CHARS, MAX_TERMS, ParsedQuery, parse_query, tokenize


def test_plain_words_are_optional_terms() -> None:
    q = parse_query("Graph Neural  Networks")
    assert q.terms == ["graph", "neural", "networks"]
    assert not (q.phrases or q.required or q.excluded or q.fielded)
    assert q.raw == "Graph Neural  Networks"


def test_repeated_words_count_once() -> None:
    assert parse_query("graph graph GRAPH").terms == ["graph"]


def test_quoted_phrase_is_required_and_ordered() -> None:
    q = parse_query('"graph neural" networks')
    assert q.phrases == [["graph", "neural"]]
    assert q.terms == ["networks"]


def test_unbalanced_quote_runs_to_the_end() -> None:
    assert parse_query('diffusion "score matching models').phrases == [["score", "matching", "models"]]
    assert parse_query('diffusion "score matching models').terms == ["diffusion"]
    assert parse_query('"').phrases == [] and not parse_query('"').positive


def test_one_word_in_quotes_is_a_required_word() -> None:
    q = parse_query('"transformer" vision')
    assert q.required == ["transformer"] and q.terms == ["vision"] and q.phrases == []


def test_typographic_quotes() -> None:
    assert parse_query("“graph neural” nets").phrases == [["graph", "neural"]]


def test_exclusion_with_minus_and_not() -> None:
    q = parse_query('diffusion -image NOT video -"text to speech"')
    assert q.terms == ["diffusion"]
    assert q.excluded == ["image", "video"]
    assert q.excluded_phrases == [["text", "to", "speech"]]


def test_and_makes_both_sides_required_or_is_dropped() -> None:
    q = parse_query("graph AND molecule OR protein")
    assert q.required == ["graph", "molecule"]
    assert q.terms == ["protein"]
    assert parse_query("graph OR molecule").terms == ["graph", "molecule"]
    assert parse_query("+graph molecule").required == ["graph"]


def test_lowercase_operators_are_words() -> None:
    q = parse_query("not all that glitters and or")
    assert q.terms == ["not", "all", "that", "glitters", "and", "or"]
    assert not q.excluded and not q.required


def test_dangling_operators_are_ignored() -> None:
    for text in ("AND", "OR NOT AND", "graph AND", "NOT", "AND AND graph", "- + ! ( )"):
        q = parse_query(text)
        assert not q.excluded and not q.phrases, text
    assert parse_query("AND AND graph").required == ["graph"]


def test_fields() -> None:
    q = parse_query('title:"graph neural" author: Hinton keyword:GNN abstract:molecule')
    assert q.fielded == [
        ("title", ["graph", "neural"]),
        ("authors", ["hinton"]),
        ("keywords", ["gnn"]),
        ("abstract", ["molecule"]),
    ]
    assert q.terms == []


def test_filter_fields() -> None:
    q = parse_query('venue:ICLR track:"Notable top 5%" session:Oral year:2023 sparse')
    assert (q.venue, q.track, q.session) == ("ICLR", "Notable top 5%", "Oral")
    assert (q.year_from, q.year_to) == (2023, 2023)
    assert q.terms == ["sparse"] and q.has_filters


@pytest.mark.parametrize(
    "text, expected",
    [
        ("year:2020-2022", (2020, 2022)),
        ("year:2022..2020", (2020, 2022)),
        ("year:>=2021", (2021, None)),
        ("year:>2021", (2022, None)),
        ("year:<2020", (None, 2019)),
        ("year:<=2020", (None, 2020)),
    ],
)
def test_year_ranges(text: str, expected: tuple[int | None, int | None]) -> None:
    q = parse_query(text)
    assert (q.year_from, q.year_to) == expected


def test_bad_year_is_a_note_not_an_error() -> None:
    q = parse_query("year:soon transformers")
    assert q.year_from is None and q.year_to is None
    assert q.terms == ["transformers"]
    assert any("year:soon" in n for n in q.notes)


def test_unknown_prefix_is_plain_text() -> None:
    q = parse_query("arXiv:2301.00001 http://example.org")
    assert q.terms == ["arxiv", "2301", "00001", "http", "example", "org"]
    assert q.fielded == []


def test_symbols_tokenise_like_the_index() -> None:
    assert parse_query("c++").terms == ["c"]
    assert parse_query("C#").terms == ["c"]
    q = parse_query("α-β self-supervised")
    assert q.terms == ["α", "β", "self", "supervised"]
    assert q.compounds == [["α", "β"], ["self", "supervised"]]
    assert tokenize("Schölkopf's ÉCOLE_normale 3D") == ["schölkopf", "s", "école", "normale", "3d"]


def test_only_punctuation_asks_for_nothing() -> None:
    for text in ("", "   ", "!!!", "*:*", "~^\\", "()[]{}"):
        q = parse_query(text)
        assert not q.positive and not q.excluded, text


def test_long_junk_is_cut() -> None:
    """(How fast: bench/query_robustness.py.)"""
    junk = ("lorem (ipsum) \"dolor AND -sit OR ~amet^2 title: " * 300)[:10_000]
    q = parse_query(junk)
    n = len(q.terms) + len(q.required) + len(q.excluded) + sum(map(len, q.phrases))
    assert n <= MAX_TERMS
    assert any(str(MAX_CHARS) in note for note in q.notes)
    many = parse_query(" ".join(f"w{i}" for i in range(500)))
    assert len(many.terms) == MAX_TERMS and any(str(MAX_TERMS) in n for n in many.notes)


def test_words_lists_positive_tokens_once() -> None:
    q = parse_query('graph "graph neural" +molecule -protein title:nets author:Smith')
    assert q.words() == ["graph", "molecule", "neural", "nets"]


def test_non_string_input() -> None:
    assert parse_query(None).terms == []  # type: ignore[arg-type]
    assert parse_query(123).terms == ["123"]  # type: ignore[arg-type]


HOSTILE = st.sampled_from(
    ['"', "(", ")", ":", "*", "~", "^", "AND", "OR", "NOT", "-", "+", "\\", " ", "title:", "year:",
     "venue:", "author:", "graph", "α-β", "c++", "C#", "“", "”", "!", "\x00", "🤖", "year:>=", "20"]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(HOSTILE, max_size=200).map("".join)))
def test_parse_never_raises(text: str) -> None:
    q = parse_query(text)
    assert isinstance(q, ParsedQuery)
    for tok in q.terms + q.required + q.excluded + [t for p in q.phrases for t in p]:
        assert tok and tok == tok.lower() and all(ch.isalnum() for ch in tok)
    if q.year_from is not None and q.year_to is not None:
        assert q.year_from <= q.year_to
