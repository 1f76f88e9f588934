"""The merge decision and field resolution, rule by rule."""

from __future__ import annotations

from paperatlas import merge
from paperatlas.models import Record

ABSTRACT = " ".join(f"word{i}" for i in range(80))


def info(file_id: int = 1, **fields) -> merge.MatchInfo:  # type: ignore[no-untyped-def]
    return merge.match_info(Record(**fields), file_id)


def test_shared_strong_id_merges_even_with_different_titles() -> None:
    a = info(1, title="Old title", ids={"openreview": "abc"})
    b = info(2, title="New camera-ready title", ids={"openreview": "abc"})
    assert merge.decide(a, b) == "merge"


def test_different_ids_of_same_kind_never_merge() -> None:
    a = info(1, title="Same", ids={"arxiv": "2101.00001"})
    b = info(2, title="Same", ids={"arxiv": "2101.00002"})
    assert merge.decide(a, b) == "distinct"


def test_same_title_case_insensitive_merges() -> None:
    a = info(1, title="REVISITING PRUNING AT INITIALIZATION", authors=["Duc Hoang"])
    b = info(2, title="Revisiting Pruning at Initialization", authors=["Duc Hoang", "Shiwei Liu"])
    assert merge.decide(a, b) == "merge"


def test_same_title_different_abstracts_stay_apart() -> None:
    a = info(1, title="Natural Language Reinforcement Learning", abstract="We study language agents " * 20)
    b = info(2, title="Natural Language Reinforcement Learning", abstract="A completely separate method for policies " * 20)
    assert merge.decide(a, b) == "distinct"


def test_same_title_years_far_apart_stay_apart() -> None:
    assert merge.decide(info(1, title="Attention", year=2017), info(2, title="Attention", year=2023)) == "distinct"


def test_same_title_no_common_author_stays_apart() -> None:
    a = info(1, title="A Survey", authors=["Ann Smith"])
    b = info(2, title="A Survey", authors=["Bo Chen"])
    assert merge.decide(a, b) == "distinct"


def test_author_match_tolerates_initials_and_case() -> None:
    a = info(1, title="A Survey", authors=["J. SMITH"])
    b = info(2, title="A Survey", authors=["John Smith"])
    assert merge.decide(a, b) == "merge"


def test_same_abstract_merges_without_title() -> None:
    assert merge.decide(info(1, abstract=ABSTRACT), info(2, title="T", abstract=ABSTRACT + " more")) == "merge"


def test_short_abstracts_are_not_evidence() -> None:
    assert merge.decide(info(1, abstract="Short text."), info(2, abstract="Short text.")) == "distinct"


def test_never_two_records_of_one_file() -> None:
    assert merge.decide(info(1, title="Same paper"), info(1, title="Same paper")) == "distinct"


def test_keys_include_ids_title_and_abstract() -> None:
    keys = merge.keys(info(title="A Title", abstract=ABSTRACT, ids={"doi": "10.1/x"}))
    assert keys[0] == "doi:10.1/x"
    assert [k[:2] for k in keys[1:]] == ["t:", "a:"]


def test_resolve_prefers_official_source_mixed_case_and_longest_abstract() -> None:
    shout = merge.Sourced(1, "paperscool", Record(title="A GREAT PAPER", abstract="long " * 50, counters={"papers.cool PDF": 3}))
    official = merge.Sourced(2, "paperlists", Record(title="A Great Paper", abstract="short", track="Poster", venue="ICLR"))
    page = merge.Sourced(3, "iclr_virtual", Record(title="A great paper", session="Poster Session 1", track="Oral"))
    values, origin = merge.resolve([shout, official, page])
    assert values["title"] == "A Great Paper" and origin["title"] == 2
    assert values["abstract"] == "long " * 50 and origin["abstract"] == 1
    assert values["track"] == "Poster" and origin["track"] == 2
    assert values["session"] == "Poster Session 1" and origin["session"] == 3
    assert values["counters"] == {"papers.cool PDF": 3}
