"""The merge decision and field resolution, rule by rule."""

from __future__ import annotations

from paperatlas.models import Record
from paperatlas.resolve import blocking, rules

ABSTRACT = " ".join(f"word{i}" for i in range(80))


def info(file_id: int = 1, **fields) -> rules.MatchInfo:  # type: ignore[no-untyped-def]
    return rules.match_info(Record(**fields), file_id)


def test_shared_strong_id_merges_even_with_different_titles() -> None:
    a = info(1, title="Old title", ids={"openreview": "abc"})
    b = info(2, title="New camera-ready title", ids={"openreview": "abc"})
    assert rules.decide(a, b) == "merge"


def test_different_ids_of_same_kind_never_merge() -> None:
    a = info(1, title="Same", ids={"arxiv": "2101.00001"})
    b = info(2, title="Same", ids={"arxiv": "2101.00002"})
    assert rules.decide(a, b) == "distinct"


def test_same_title_case_insensitive_merges() -> None:
    a = info(1, title="REVISITING PRUNING AT INITIALIZATION", authors=["Duc Hoang"])
    b = info(2, title="Revisiting Pruning at Initialization", authors=["Duc Hoang", "Shiwei Liu"])
    assert rules.decide(a, b) == "merge"


def test_same_title_different_abstracts_stay_apart() -> None:
    a = info(1, title="Natural Language Reinforcement Learning", abstract="We study language agents " * 20)
    b = info(2, title="Natural Language Reinforcement Learning", abstract="A completely separate method for policies " * 20)
    assert rules.decide(a, b) == "distinct"


def test_same_title_years_far_apart_stay_apart() -> None:
    assert rules.decide(info(1, title="Attention", year=2017), info(2, title="Attention", year=2023)) == "distinct"


def test_same_title_no_common_author_stays_apart() -> None:
    a = info(1, title="A Survey", authors=["Ann Smith"])
    b = info(2, title="A Survey", authors=["Bo Chen"])
    assert rules.decide(a, b) == "distinct"


def test_author_match_tolerates_initials_and_case() -> None:
    a = info(1, title="A Survey", authors=["J. SMITH"])
    b = info(2, title="A Survey", authors=["John Smith"])
    assert rules.decide(a, b) == "merge"


def test_same_abstract_merges_without_title() -> None:
    assert rules.decide(info(1, abstract=ABSTRACT), info(2, title="T", abstract=ABSTRACT + " more")) == "merge"


def test_short_abstracts_are_not_evidence() -> None:
    assert rules.decide(info(1, abstract="Short text."), info(2, abstract="Short text.")) == "distinct"


def test_never_two_records_of_one_file() -> None:
    assert rules.decide(info(1, title="Same paper"), info(1, title="Same paper")) == "distinct"


def test_keys_include_ids_title_and_abstract() -> None:
    keys = rules.keys(info(title="A Title", abstract=ABSTRACT, ids={"doi": "10.1/x"}))
    assert keys[0] == "doi:10.1/x"
    assert [k[:2] for k in keys[1:]] == ["t:", "a:"]


def test_resolve_prefers_official_source_mixed_case_and_longest_abstract() -> None:
    shout = rules.Sourced(1, "paperscool", Record(title="A GREAT PAPER", abstract="long " * 50, counters={"papers.cool PDF": 3}))
    official = rules.Sourced(2, "paperlists", Record(title="A Great Paper", abstract="short", track="Poster", venue="ICLR"))
    page = rules.Sourced(3, "iclr_virtual", Record(title="A great paper", session="Poster Session 1", track="Oral"))
    values, origin = rules.resolve([shout, official, page])
    assert values["title"] == "A Great Paper" and origin["title"] == 2
    assert values["abstract"] == "long " * 50 and origin["abstract"] == 1
    assert values["track"] == "Poster" and origin["track"] == 2
    assert values["session"] == "Poster Session 1" and origin["session"] == 3
    assert values["counters"] == {"papers.cool PDF": 3}


# -- signals ---------------------------------------------------------------------------------------
def test_surnames_tolerate_initials_case_commas_and_suffixes() -> None:
    names = ["J. SMITH", "John Smith", "Smith, John", "Smith J", "John Smith Jr.", "SMITH, J."]
    assert {rules.surname(n) for n in names} == {"smith"}


def test_author_overlap_tolerates_swapped_name_order() -> None:
    a = info(1, title="Some Paper Title", authors=["Kumar Pratik", "Ann Lee"])
    b = info(2, title="Some Paper Title", authors=["Pratik Kumar", "A. Lee"])
    assert rules.author_overlap(a, b) == (1.0, 2)


def test_author_overlap_is_none_without_authors() -> None:
    assert rules.author_overlap(info(1, title="X Y"), info(2, title="X Y", authors=["A B"])) == (None, 0)


def test_title_similarity_ignores_order_and_is_none_for_thin_titles() -> None:
    a, b = info(1, title="Graph Networks for Physics"), info(2, title="Physics for Graph Networks")
    assert rules.title_similarity(a, b) == 1.0 or rules.title_similarity(a, b) > 0.95
    for thin in ("Withdraw", "BLANK", "$\\alpha$", "...", "", "Untitled Paper"):
        assert rules.title_similarity(info(1, title=thin), info(2, title=thin)) is None, thin


def test_abstract_similarity_needs_both_abstracts() -> None:
    assert rules.abstract_similarity(info(1, abstract=ABSTRACT), info(2, title="No abstract here")) is None
    assert rules.abstract_similarity(info(1, abstract=ABSTRACT), info(2, abstract=ABSTRACT)) == 1.0


def test_arxiv_doi_is_not_a_second_id() -> None:
    a = info(1, title="A Paper On Things", ids={"doi": "10.48550/arxiv.2101.00001", "arxiv": "2101.00001"})
    b = info(2, title="A Paper On Things", ids={"doi": "10.1109/cvpr.2021.1", "arxiv": "2101.00001"})
    assert rules.judge(a, b).reason == "same arxiv id"


# -- decisions -------------------------------------------------------------------------------------
AUTHORS = ["Ann Lee", "Bo Chen", "Carla Diaz"]


def test_rewritten_title_with_same_authors_venue_year_merges() -> None:
    a = info(1, title="Learning Sparse Graphs with Attention", authors=AUTHORS, venue="ICLR", year=2021)
    b = info(2, title="Sparse Graph Attention: Learning Sparse Graphs", authors=AUTHORS, venue="ICLR 2021", year=2021)
    verdict = rules.judge(a, b)
    assert verdict.decision == "merge" and "same authors" in verdict.reason


def test_unrelated_title_with_same_authors_goes_to_review_or_stays_apart() -> None:
    a = info(1, title="Learning Sparse Graphs with Attention Heads", authors=AUTHORS, venue="ICLR", year=2021)
    b = info(2, title="Learning Dense Maps with Convolution Layers", authors=AUTHORS, venue="ICLR", year=2021)
    c = info(3, title="Quantum Chemistry Benchmarks Revisited", authors=AUTHORS, venue="ICLR", year=2021)
    assert rules.decide(a, b) == "review"
    assert rules.decide(a, c) == "distinct"


def test_same_authors_in_another_year_do_not_merge_a_different_title() -> None:
    a = info(1, title="Learning Sparse Graphs with Attention", authors=AUTHORS, venue="ICLR", year=2021)
    b = info(2, title="Sparse Graph Attention: Learning Sparse Graphs", authors=AUTHORS, venue="ICLR", year=2022)
    assert rules.decide(a, b) == "distinct"


def test_single_author_needs_a_closer_title() -> None:
    a = info(1, title="Numeric Encoding Options with Automunge", authors=["N. Teague"], venue="ICLR", year=2021)
    b = info(2, title="A Numbers Game: Numeric Encoding Options with Automunge", authors=["Nicholas Teague"],
             venue="ICLR", year=2021)
    c = info(3, title="Automunge Encodings for Tabular Numbers", authors=["Nicholas Teague"], venue="ICLR", year=2021)
    assert rules.decide(a, b) == "merge"
    assert rules.decide(a, c) != "merge"


def test_nearly_equal_titles_merge_with_authors_and_wait_without() -> None:
    a = info(1, title="Flatness is a False Friend", authors=["Diego Granziol"])
    b = info(2, title="Flatness is a Flase Friend", authors=["D. Granziol"])
    assert rules.decide(a, b) == "merge"
    assert rules.decide(a, info(3, title="Flatness is a Flase Friend")) == "review"


OTHER = " ".join(["quantum chemistry benchmarks revisited for molecules and crystals"] * 8)


def test_same_title_same_authors_revised_abstract_merges() -> None:
    other = OTHER
    a = info(1, title="Auto Seg-Loss: Searching Metric Surrogates", authors=AUTHORS, abstract=ABSTRACT)
    b = info(2, title="Auto Seg-Loss: Searching Metric Surrogates", authors=AUTHORS, abstract=other)
    assert rules.judge(a, b).reason == "same title and authors; abstracts differ"
    assert rules.decide(info(1, title=a.title_key, abstract=ABSTRACT), info(2, title=a.title_key, abstract=other)) == "distinct"


def test_abstract_only_record_merges_with_a_revised_abstract() -> None:
    words = ABSTRACT.split()
    revised = " ".join(words[:30] + ["changed", "here"] + words[32:])
    assert rules.decide(info(1, abstract=ABSTRACT), info(2, title="Some Title Here", abstract=revised)) == "merge"


def test_same_title_different_venue_stays_apart() -> None:
    a = info(1, title="A Study of Things", venue="ICLR", year=2021)
    b = info(2, title="A Study of Things", venue="NeurIPS", year=2021)
    assert rules.decide(a, b) == "distinct"


def test_placeholder_titles_never_merge_on_title_alone() -> None:
    for title in ("Withdraw", "BLANK", "$\\mathcal{X}$", "?!", ""):
        a, b = info(1, title=title, authors=["Ann Lee"]), info(2, title=title, authors=["Bo Chen"])
        assert rules.decide(a, b) == "distinct", title
        assert not any(k.startswith("t:") for k in rules.keys(a)), title


def test_group_guard_sends_a_ninth_record_to_review() -> None:
    rec = info(9, title="A Paper Seen Everywhere", authors=AUTHORS)
    big = rules.combine(info(i, title="A Paper Seen Everywhere", authors=AUTHORS) for i in range(1, rules.MAX_GROUP + 1))
    assert big.size == rules.MAX_GROUP
    verdict = rules.judge(rec, big)
    assert verdict.decision == "review" and "merge group stops" in verdict.reason
    assert rules.decide(rec, rules.combine(info(i, title="A Paper Seen Everywhere") for i in (1, 2))) == "merge"


def test_two_hundred_authors_are_fine() -> None:
    crowd = [f"Person{i} Name{i}" for i in range(200)]
    a = info(1, title="A Big Collaboration Result", authors=crowd, venue="X", year=2020)
    b = info(2, title="Another Big Collaboration Result Entirely", authors=crowd, venue="X", year=2020)
    assert rules.decide(a, info(2, title="A Big Collaboration Result", authors=crowd[::-1])) == "merge"
    assert rules.decide(a, b) == "review"  # same team, different title: a person decides
    assert len(blocking.block_keys([a])[0].stored) == 1  # surnames, venue and year


def test_joinable_papers() -> None:
    official = info(1, title="Paper Title Here", ids={"openreview": "x"}, year=2021, venue="ICLR")
    copy = info(2, abstract=ABSTRACT, year=2021, venue="ICLR")
    assert rules.joinable(official, copy)
    assert not rules.joinable(official, info(1, abstract=ABSTRACT))  # one file
    assert not rules.joinable(official, info(3, ids={"openreview": "y"}))
    assert not rules.joinable(official, info(3, abstract=ABSTRACT, year=2019))


# -- blocking --------------------------------------------------------------------------------------
def test_block_keys_meet_for_a_rewritten_title_with_the_same_authors() -> None:
    a = info(1, title="Learning Sparse Graphs", authors=AUTHORS, venue="ICLR", year=2021)
    b = info(2, title="Completely New Name", authors=["C. Diaz", "ann lee", "Bo CHEN"], venue="ICLR", year=2021)
    ka, kb = blocking.block_keys([a, b])
    assert set(ka.probes) & set(kb.stored)


def test_lsh_bands_meet_for_near_copies_not_for_different_texts() -> None:
    words = ABSTRACT.split()
    near = " ".join(["abstract"] + words[:59])  # a prefix word shifts every position
    other = " ".join(f"other{i}" for i in range(60))
    a, b, c = blocking.lsh_bands([" ".join(words[:60]), near, other])
    assert set(a) & set(b)
    assert not set(a) & set(c)


def test_abstract_bands_join_a_title_less_copy_but_not_two_titled_records() -> None:
    titled, copy, other = blocking.block_keys([info(1, title="A Titled Paper Here", abstract=ABSTRACT),
                                               info(2, abstract=ABSTRACT),
                                               info(3, title="Another Titled Paper", abstract=ABSTRACT)])
    assert set(titled.bands) & set(copy.stored)  # the copy came first: the titled record finds it
    assert not set(copy.bands) & set(titled.stored)  # the other way round the abstract key does
    assert not set(other.bands) & set(titled.stored)
    assert blocking.BANDS_FILED in copy.stored and blocking.BANDS_FILED not in titled.stored


def test_minhash_of_a_text_does_not_depend_on_its_batch() -> None:
    text = " ".join(f"w{i}" for i in range(40))
    alone = blocking.minhash([text])[0]
    batched = blocking.minhash(["x y z q", text, "a b", "c d e"])[1]
    assert alone is not None and batched is not None and (alone == batched).all()
    assert blocking.minhash(["two words"]) == [None]


def test_resolve_of_one_record_equals_the_general_rule() -> None:
    rec = Record(title="T One", abstract="A", authors=["X Y"], keywords=["k", "K"], links={"pdf": "u"},
                 ids={"doi": "10.1/x"}, year=2020, venue="V", flags=["f"], counters={"c": 1})
    one = rules.Sourced(3, "paperlists", rec)
    assert rules.resolve([one]) == rules.resolve([one, rules.Sourced(9, "abstracts", Record())])


# -- ids -------------------------------------------------------------------------------------------
def test_ids_are_found_and_normalised_wherever_they_appear() -> None:
    from paperatlas.normalize import extract_ids

    assert extract_ids("see https://openreview.net/forum?id=a-B_9x&noteId=q") == {"openreview": "a-B_9x"}
    assert extract_ids("https://arxiv.org/pdf/2101.12345v3.pdf") == {"arxiv": "2101.12345"}
    assert extract_ids("arXiv:hep-th/9901001v2") == {"arxiv": "hep-th/9901001"}
    assert extract_ids("https://doi.org/10.1145/3394486.3403123.") == {"doi": "10.1145/3394486.3403123"}
    assert extract_ids("https://link.springer.com/content/pdf/10.1007/978-3-030-5_1.pdf") == {"doi": "10.1007/978-3-030-5_1"}


def test_pdf_url_is_evidence_for_never_against() -> None:
    url = "https://proceedings.neurips.cc/paper/2020/file/abc-Paper.pdf"
    assert rules.pdf_url({"pdf": url}) == "proceedings.neurips.cc/paper/2020/file/abc-paper.pdf"
    ijcai = "http://www.ijcai.org/proceedings/2020/0001.pdf?download=1"
    assert rules.pdf_url({"site": ijcai}) == "ijcai.org/proceedings/2020/0001.pdf"
    assert rules.pdf_url({"pdf": "https://arxiv.org/pdf/2101.00001v2.pdf"}) == ""  # the arXiv id says it
    assert rules.pdf_url({"pdf": "https://openreview.net/pdf?id=abc"}) == ""
    assert rules.pdf_url({"pdf": "https://openreview.net/pdf/0a1b2c.pdf"}) == "openreview.net/pdf/0a1b2c.pdf"
    a = info(1, title="Old Title", links={"pdf": url})
    b = info(2, title="A New Title", links={"pdf": url.upper().replace("HTTPS", "http")})
    assert rules.judge(a, b).reason == "same pdf id"
    c = info(3, title="Old Title", links={"pdf": "https://mirror.org/x.pdf"})
    assert rules.decide(a, c) == "merge"  # a different PDF says nothing: the title decides
    assert set(blocking.block_keys([a])[0].probes) & set(blocking.block_keys([b])[0].stored)


def test_reused_abstract_under_a_new_title_next_year_waits_for_review() -> None:
    """Robotics groups reuse an abstract for next year's paper: two papers, a person decides."""
    a = info(1, title="Scalable Self-Assembly in a Robot Swarm", authors=AUTHORS, abstract=ABSTRACT, venue="IROS", year=2009)
    b = info(2, title="Automatic Size Selection for Shapes", authors=AUTHORS, abstract=ABSTRACT, venue="IROS", year=2010)
    assert rules.judge(a, b).reason == "same abstract, different titles"
    assert rules.decide(a, b) == "review"
    c = info(3, title="Automatic Size Selection for Shapes", authors=AUTHORS, abstract=ABSTRACT, venue="IROS", year=2009)
    assert rules.decide(a, c) == "merge"  # same venue and year: retitled between versions


def test_a_year_apart_only_a_near_equal_title_joins_similar_abstracts() -> None:
    a = info(1, title="View-Based Localization in Outdoor Environments", authors=AUTHORS, abstract=ABSTRACT, year=2005)
    b = info(2, title="Panoramic View-Based Navigation in Outdoor Environments", authors=AUTHORS, abstract=ABSTRACT, year=2006)
    assert rules.decide(a, b) == "review"
    c = info(3, title="View-Based Localisation in Outdoor Environments", authors=AUTHORS, abstract=ABSTRACT, year=2006)
    assert rules.decide(a, c) == "merge"


def test_close_titles_with_different_numbers_go_to_review_not_merge() -> None:
    authors = ["Hugo Touvron", "Louis Martin"]
    a = info(1, title="Llama 2: Open Foundation and Fine-Tuned Chat Models", authors=authors, venue="arXiv", year=2023)
    b = info(2, title="Llama 3: Open Foundation and Fine-Tuned Chat Models", authors=authors, venue="arXiv", year=2023)
    verdict = rules.judge(a, b)
    assert verdict.decision == "review" and verdict.reason.endswith("but the titles' numbers differ")
    # the same numbers (or a number on one side only, a year cut off a subtitle) do not stop a merge
    c = info(3, title="Llama 2: Open Foundation and Fine-Tuned Chat Model", authors=authors, venue="arXiv", year=2023)
    assert rules.decide(a, c) == "merge"
    same_ids = info(4, title="Llama 3: Open Foundation and Fine-Tuned Chat Models", ids={"arxiv": "2307.09288"})
    assert rules.decide(info(5, title=a.title_key, ids={"arxiv": "2307.09288"}), same_ids) == "merge"
