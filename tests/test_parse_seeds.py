"""The five page-text formats of the seed listings: counts, fields, detection, damaged input.

Expected values were read from the files by eye (line numbers are the files' own).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import paperatlas
from paperatlas.errors import ParseError
from paperatlas.ingest import abstracts, hf_papers, hf_viewer, iclr_virtual, paperscool, registry
from paperatlas.ingest.base import ParseContext, Source
from paperatlas.models import Record

SAMPLES = Path(paperatlas.__file__).parent / "samples"
DATA = Path(__file__).parent / "data" / "seeds"

SEEDS = {
    "abstracts": "000_e93c1171be98b26e.txt",
    "iclr_virtual": "001_3995438c63dfe527.txt",
    "hf_viewer": "002_94cbd89857369fa4.txt",
    "paperscool": "003_3626c9e8004709cb.txt",
    "hf_papers": "004_3699ef32a6941384.txt",
}
PARSERS = {m.NAME: m for m in (abstracts, iclr_virtual, hf_viewer, paperscool, hf_papers)}

JSON_TEXT = '{"notes": [{"title": "A paper", "authors": ["A B"]}]}\n'
CSV_TEXT = "title,authors,abstract\nA paper,A B,Short.\nAnother,C D,Also short.\n"
BIBTEX_TEXT = "@inproceedings{a2023,\n  title={A paper},\n  author={B, A and D, C},\n}\n"
PROSE_TEXT = (
    "The weather was fine that morning.\n\nWe walked to the river and sat down.\n\n"
    "Later it rained, and we went home.\n"
)


def source(text: str, path: str = "test.txt") -> Source:
    return Source.from_bytes(path, text.encode("utf-8"))


def seed(name: str) -> Source:
    path = SAMPLES / SEEDS[name]
    return Source.from_bytes(str(path), path.read_bytes())


def small(name: str) -> str:
    return (DATA / f"{name}.txt").read_text(encoding="utf-8")


def run(module, src: Source, **overrides) -> tuple[list[Record], ParseContext]:
    ctx = ParseContext(path=src.path, **overrides)
    return list(module.parse(src, ctx)), ctx


# --- the full seeds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,count", [("abstracts", 25), ("iclr_virtual", 145), ("hf_viewer", 100),
                   ("paperscool", 25), ("hf_papers", 418)]
)  # fmt: skip
def test_seed_counts_positions_and_detection(name, count):
    src = seed(name)
    assert registry.detect(src).NAME == name
    records, ctx = run(PARSERS[name], src)
    assert len(records) == count
    assert [r.position for r in records] == list(range(1, count + 1))
    assert ctx.warnings == []
    assert all(not r.warnings for r in records)


def test_seed_total_is_713():
    total = sum(len(run(PARSERS[name], seed(name))[0]) for name in SEEDS)
    assert total == 713


def test_other_parsers_do_not_claim_the_seeds():
    for name in SEEDS:
        src = seed(name)
        for other, module in PARSERS.items():
            if other != name:
                assert module.sniff(src) == 0, (other, name)


def test_abstracts_seed():
    records, ctx = run(abstracts, seed("abstracts"))
    assert ctx.claimed_total == 693
    first, last = records[0], records[-1]
    assert first.title == "" and first.authors == []
    assert first.abstract.startswith("While energy-based models (EBMs) exhibit a number")
    assert first.line == 3
    assert last.abstract.startswith("We study two factors in neural network training:")
    assert last.abstract.endswith("network training.")
    assert last.line == 51
    assert all(r.abstract and not r.title for r in records)


def test_iclr_virtual_seed():
    records, _ = run(iclr_virtual, seed("iclr_virtual"))
    first, last = records[0], records[-1]
    assert first.title == (
        "Summarization Programs: Interpretable Abstractive Summarization with Neural Modular Trees"
    )
    assert first.authors == ["Swarnadeep Saha", "Shiyue Zhang", "Peter Hase", "Mohit Bansal"]
    assert first.abstract.startswith("Current abstractive summarization models either suffer")
    assert (first.line, first.session) == (2, "Poster Session 6")
    assert last.title == "Exploring The Role of Mean Teachers in Self-supervised Masked Auto-Encoders"
    assert last.authors == ["Youngwan Lee", "Jeff Willette", "Jonghee Kim", "Juho Lee", "Sung Ju Hwang"]
    assert last.abstract.startswith("Masked image modeling (MIM) has become a popular strategy")
    assert (last.line, last.position) == (434, 145)
    assert {r.session for r in records} == {"Poster Session 6"}
    assert all(r.venue is None and r.year is None for r in records)  # the page does not say


def test_iclr_virtual_seed_title_ending_with_period():
    records, _ = run(iclr_virtual, seed("iclr_virtual"))
    rec = next(r for r in records if r.line == 374)
    assert rec.title.startswith("A view of mini-batch SGD via generating functions")
    assert rec.title.endswith("benefit from negative momenta.")
    assert rec.authors == ["Maksim Velikanov", "Denis Kuznedelev", "Dmitry Yarotsky"]
    assert rec.abstract.startswith("Mini-batch SGD with momentum is a fundamental algorithm")


def test_iclr_virtual_seed_raw_values_kept():
    records, _ = run(iclr_virtual, seed("iclr_virtual"))
    by_line = {r.line: r for r in records}
    assert by_line[8].authors[1] == "Kumar Pratik Kumar Pratik"  # repaired later, not here
    assert by_line[281].abstract.startswith(r"\newcommand{\rvar}")


def test_iclr_virtual_user_values_fill_what_the_page_lacks():
    records, _ = run(iclr_virtual, seed("iclr_virtual"), venue="ICLR", year=2023,
                     session="Poster Session 1")  # fmt: skip
    assert (records[0].venue, records[0].year) == ("ICLR", 2023)
    assert records[0].session == "Poster Session 6"  # the page's own header wins


def test_hf_viewer_seed():
    records, _ = run(hf_viewer, seed("hf_viewer"))
    first, last = records[0], records[-1]
    assert first.title == "A Critique of Self-Expressive Deep Subspace Clustering"
    assert first.authors == ["Benjamin David Haeffele", "Chong You", "Rene Vidal"]
    assert (first.venue, first.year, first.track) == ("ICLR", 2021, "Poster")
    assert first.links == {
        "forum": "https://openreview.net/forum?id=FOyuZ26emy",
        "detail": "https://openreview.net/forum?id=FOyuZ26emy",
        "pdf": "https://openreview.net/pdf/b695594106c11bb76d5334e21cd6ae28728ec857.pdf",
    }
    assert first.abstract.startswith("Subspace clustering is an unsupervised clustering technique")
    assert first.line == 28
    assert last.title == "Empirical Analysis of Unlabeled Entity Problem in Named Entity Recognition"
    assert last.authors == ["Yangming Li", "lemao liu", "Shuming Shi"]
    assert last.links["forum"] == "https://openreview.net/forum?id=5jRVa89sZk"
    assert last.links["pdf"] == (
        "https://openreview.net/pdf/3caa712b0d1c2caaf7b3578b53b9f9c46e78db74.pdf"
    )
    assert (last.line, last.position) == (721, 100)
    assert all(r.extra == {} for r in records)


def test_hf_viewer_page_values_win_over_user_values():
    records, _ = run(hf_viewer, seed("hf_viewer"), venue="NeurIPS", year=1999, session="S1")
    assert (records[0].venue, records[0].year, records[0].track) == ("ICLR", 2021, "Poster")
    assert records[0].session == "S1"


def test_paperscool_seed():
    records, ctx = run(paperscool, seed("paperscool"))
    assert ctx.claimed_total == 91
    assert (ctx.page_venue, ctx.page_track) == ("ICLR 2023", "Notable-top-5%")
    first, last = records[0], records[-1]
    assert first.title == "REVISITING PRUNING AT INITIALIZATION THROUGH THE LENS OF RAMANUJAN GRAPH"
    assert first.authors == ["Duc Hoang", "Shiwei Liu", "Radu Marculescu", "Zhangyang Wang"]
    assert first.counters == {"papers.cool PDF": 60, "papers.cool Kimi": 203}
    assert (first.venue, first.year, first.track) == ("ICLR", 2023, "Notable-top-5%")
    assert (first.record_id, first.extra["rank"], first.line) == (None, 1, 5)
    assert first.abstract.startswith("Pruning neural networks at initialization (PaI)")
    assert last.title == "Compressing multidimensional weather and climate data into neural networks"
    assert last.authors == ["Langwen Huang", "Torsten Hoefler"]
    assert last.counters == {"papers.cool PDF": 2, "papers.cool Kimi": 6}
    assert (last.extra["rank"], last.line, last.position) == (25, 149, 25)


def test_paperscool_seed_pdf_button_without_count():
    records, _ = run(paperscool, seed("paperscool"))
    eighth = records[7]  # line 47: "... Adversarial Robustness [PDF] [Copy] [Kimi15]"
    assert eighth.title.endswith("Improves Model-to-Human Behavioral Alignment and Adversarial Robustness")
    assert eighth.counters == {"papers.cool PDF": 0, "papers.cool Kimi": 15}
    assert len(eighth.authors) == 7


def test_hf_papers_seed():
    records, _ = run(hf_papers, seed("hf_papers"))
    first, last = records[0], records[-1]
    assert first.title == (
        "One Loss for All: Deep Hashing with a Single Cosine Similarity based Learning Objective"
    )
    assert first.abstract.startswith("A deep hashing model typically has two main learning objectives")
    assert first.line == 3
    assert last.title == (
        "Multi-Task Learning Using Uncertainty to Weigh Losses for Scene Geometry and Semantics"
    )
    assert last.abstract.startswith("Numerous deep learning applications benefit from multi-task")
    assert (last.line, last.position) == (837, 418)
    assert all(r.authors == [] and r.abstract for r in records)


def test_hf_papers_seed_keeps_both_natural_language_rl_papers():
    records, _ = run(hf_papers, seed("hf_papers"))
    same = [r for r in records if r.title == "Natural Language Reinforcement Learning"]
    assert [r.line for r in same] == [807, 819]
    assert same[0].abstract.startswith("Reinforcement Learning (RL) mathematically formulates")
    assert same[1].abstract.startswith("Reinforcement Learning (RL) has shown remarkable abilities")


# --- sniffing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [JSON_TEXT, CSV_TEXT, BIBTEX_TEXT, PROSE_TEXT, ""])
@pytest.mark.parametrize("name", sorted(PARSERS))
def test_sniff_is_zero_for_unrelated_text(name, text):
    assert PARSERS[name].sniff(source(text)) == 0


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_sniff_never_raises_on_binary(name):
    assert PARSERS[name].sniff(Source("x.bin", b"\x00\xff\xfe" * 100)) == 0


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_small_samples_are_detected(name):
    assert registry.detect(source(small(name))).NAME == name


# --- forced on the wrong text -------------------------------------------------------------------


@pytest.mark.parametrize("text", [JSON_TEXT, CSV_TEXT, BIBTEX_TEXT])
@pytest.mark.parametrize("name", sorted(PARSERS))
def test_forced_format_on_wrong_text_raises_parse_error(name, text):
    with pytest.raises(ParseError) as info:
        run(PARSERS[name], source(text, "wrong.txt"))
    assert info.value.path == "wrong.txt"
    assert info.value.hint


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_non_utf8_raises_parse_error(name):
    with pytest.raises(ParseError):
        run(PARSERS[name], Source("x.txt", small(name).encode("utf-8") + b"\xff\xfe"))


# --- papers.cool details and damage -------------------------------------------------------------


def test_paperscool_small_sample():
    records, ctx = run(paperscool, source(small("paperscool")))
    assert [r.extra["rank"] for r in records] == [7, 8]
    assert records[0].authors == ["Daniel Barzilai", "Amnon Geifman", "Meirav Galun", "Ronen Basri"]
    assert records[0].counters == {"papers.cool PDF": 11, "papers.cool Kimi": 26}
    assert (records[0].line, records[1].line) == (5, 11)
    assert ctx.claimed_total == 91 and ctx.warnings == []


def test_paperscool_truncated_title_only_block_is_skipped_with_warning():
    text = small("paperscool") + "#9 Efficient Conditionally Invariant Representation Learning [PDF10]"
    records, ctx = run(paperscool, source(text))
    assert [r.extra["rank"] for r in records] == [7, 8]
    assert len(ctx.warnings) == 1 and "line 17" in ctx.warnings[0] and "#9" in ctx.warnings[0]


def test_paperscool_last_block_without_abstract_is_kept_with_warning():
    text = small("paperscool") + "#9 Efficient Learning [PDF10] [Copy] [Kimi30]\n\nAuthors: A B ; C D\n"
    records, ctx = run(paperscool, source(text))
    assert len(records) == 3
    assert records[-1].authors == ["A B", "C D"] and records[-1].abstract == ""
    assert records[-1].warnings == ["no abstract"]
    assert "line 17" in ctx.warnings[0]


def test_paperscool_block_without_title_raises():
    text = small("paperscool").replace(
        "#8 Aligning Model and Macaque Inferior Temporal Cortex Representations Improves "
        "Model-to-Human Behavioral Alignment and Adversarial Robustness ", "#8 "
    )
    with pytest.raises(ParseError) as info:
        run(paperscool, source(text, "cool.txt"))
    assert (info.value.path, info.value.line, info.value.record) == ("cool.txt", 11, 2)


def test_paperscool_rank_gap_is_reported():
    text = small("paperscool").replace("#8 Aligning", "#10 Aligning")
    records, ctx = run(paperscool, source(text))
    assert len(records) == 2
    assert any("#10 follows #7" in w for w in ctx.warnings)


@pytest.mark.parametrize(
    "header,venue,year,track,page_venue",
    [
        ("NeurIPS.2023 - Oral", "NeurIPS", 2023, "Oral", "NeurIPS 2023"),
        ("ICLR.2024 - Poster", "ICLR", 2024, "Poster", "ICLR 2024"),
        ("CVPR.2024 - Award Candidate", "CVPR", 2024, "Award Candidate", "CVPR 2024"),
        ("ACL.2024", "ACL", 2024, None, "ACL 2024"),
        ("arXiv", "arXiv", None, None, "arXiv"),
    ],
)
def test_paperscool_headers(header, venue, year, track, page_venue):
    text = small("paperscool").replace("ICLR.2023 - Notable-top-5%", header)
    records, ctx = run(paperscool, source(text), venue="X", year=1990, track="T")
    rec = records[0]
    assert (rec.venue, rec.year) == (venue, year or 1990)
    assert rec.track == (track or "T")
    assert (ctx.page_venue, ctx.page_track) == (page_venue, track)


def test_paperscool_title_keeps_non_button_brackets():
    title, counters = paperscool.split_title("Models [Re] Visited [v2] [PDF3] [Copy] [Kimi]")
    assert title == "Models [Re] Visited [v2]"
    assert counters == {"papers.cool PDF": 3, "papers.cool Kimi": 0}


# --- ICLR virtual details and damage ------------------------------------------------------------

ICLR_SYNTHETIC = """Oral Session 3

Paper One Title
Ann Author · Bob Builder
First abstract, which spans
two lines of the page when copied. It is long enough to read as prose here.

A Single Author Paper on Learning
Carla Solo
A paper with one author has no dot separator on its author line, so it is found by shape.
Paper Without Abstract
Dan Dee · Eve Ever · Frank Fu
Paper Four: The Last One
Gina van der Berg · Hal Hu
The final abstract of the page is here and ends with a full stop.
"""


def test_iclr_virtual_structure_by_author_lines():
    records, ctx = run(iclr_virtual, source(ICLR_SYNTHETIC))
    assert [r.title for r in records] == [
        "Paper One Title", "A Single Author Paper on Learning", "Paper Without Abstract",
        "Paper Four: The Last One",
    ]  # fmt: skip
    assert [r.authors for r in records] == [
        ["Ann Author", "Bob Builder"], ["Carla Solo"], ["Dan Dee", "Eve Ever", "Frank Fu"],
        ["Gina van der Berg", "Hal Hu"],
    ]  # fmt: skip
    assert records[0].abstract.startswith("First abstract, which spans\ntwo lines")
    assert records[1].abstract.startswith("A paper with one author")
    assert records[2].abstract == "" and records[2].warnings == ["no abstract"]
    assert [r.line for r in records] == [3, 8, 11, 13]
    assert {r.session for r in records} == {"Oral Session 3"}
    assert ctx.warnings == []


def test_iclr_virtual_single_author_without_abstract():
    text = "Poster Session 1\nT One\nA B · C D\nShort Single Title\nZoe Zed\nT Three\nE F · G H\n"
    records, _ = run(iclr_virtual, source(text))
    assert [(r.title, r.authors) for r in records] == [
        ("T One", ["A B", "C D"]), ("Short Single Title", ["Zoe Zed"]), ("T Three", ["E F", "G H"]),
    ]  # fmt: skip


def test_iclr_virtual_truncated_after_title_skips_it_with_warning():
    text = small("iclr_virtual") + "Static Prediction of Runtime Errors by Learning to Execute Programs"
    records, ctx = run(iclr_virtual, source(text))
    assert len(records) == 3
    assert records[-1].abstract.startswith("In this paper, we work towards a neural surrogate")
    assert len(ctx.warnings) == 1 and "line 11" in ctx.warnings[0]


def test_iclr_virtual_truncated_after_authors_keeps_it_with_warning():
    text = small("iclr_virtual") + "Static Prediction\nDavid Bieber · Rishab Goel\n"
    records, ctx = run(iclr_virtual, source(text))
    assert len(records) == 4 and records[-1].warnings == ["no abstract"]
    assert "line 11" in ctx.warnings[0]


def test_iclr_virtual_author_line_without_title_raises():
    lines = small("iclr_virtual").splitlines()
    del lines[4]  # the title "Binding Language Models in Symbolic Languages"
    with pytest.raises(ParseError) as info:
        run(iclr_virtual, source("\n".join(lines), "virtual.txt"))
    assert info.value.line == 5


def test_iclr_virtual_without_header_uses_user_session():
    text = "\n".join(small("iclr_virtual").splitlines()[1:])
    records, _ = run(iclr_virtual, source(text), session="Poster Session 2")
    assert len(records) == 3 and records[0].session == "Poster Session 2"
    assert registry.detect(source(text)).NAME == "iclr_virtual"  # by its author lines


# --- HF viewer details and damage ---------------------------------------------------------------


def test_hf_viewer_small_sample():
    records, ctx = run(hf_viewer, source(small("hf_viewer")))
    assert [r.title for r in records] == [
        "A Critique of Self-Expressive Deep Subspace Clustering",
        "Explaining by Imitating: Understanding Decisions by Interpretable Policy Learning",
    ]
    assert records[1].authors == ["Alihan Hüyük", "Daniel Jarrett", "Cem Tekin", "Mihaela van der Schaar"]
    assert ctx.warnings == []


def test_hf_viewer_truncated_row_is_skipped_with_warning():
    lines = small("hf_viewer").splitlines()[:-2]  # the second row loses its abstract and pdf
    records, ctx = run(hf_viewer, source("\n".join(lines)))
    assert len(records) == 1
    assert len(ctx.warnings) == 1 and "line 35" in ctx.warnings[0] and "5 of 7" in ctx.warnings[0]


def test_hf_viewer_shifted_row_raises():
    lines = small("hf_viewer").splitlines()
    del lines[30]  # row 1's authors cell: row 2 starts one line early
    with pytest.raises(ParseError) as info:
        run(hf_viewer, source("\n".join(lines + ["x"]), "viewer.txt"))
    assert info.value.record == 2 and info.value.line is not None


def test_hf_viewer_generic_columns():
    text = "\n".join([
        "paper_id", "int64", "1", "20",
        "title", "stringlengths", "5", "90",
        "authors", "sequencelengths", "1", "3",
        "venue", "stringclasses", "2 values",
        "github", "stringlengths", "0", "40",
        "score", "float64", "0.1", "9.5",
        "7", "A Paper", '["Ann Author", "Bob Builder"]', "NeurIPS 2022", "null", "3.5",
        "8", "B Paper", "Cy Dee; Ed Eff", "ICML", "https://github.com/o/r", "1.0",
    ])  # fmt: skip
    assert hf_viewer.sniff(source(text)) == 90
    records, _ = run(hf_viewer, source(text), year=2023)
    first, second = records
    assert (first.record_id, first.title, first.authors) == ("7", "A Paper", ["Ann Author", "Bob Builder"])
    assert (first.venue, first.year, first.code_urls) == ("NeurIPS", 2022, [])
    assert first.extra == {"score": "3.5"}
    assert (second.authors, second.venue, second.year) == (["Cy Dee", "Ed Eff"], "ICML", 2023)
    assert second.code_urls == ["https://github.com/o/r"]
    assert (first.line, second.line) == (24, 30)


# --- HF papers details and damage ---------------------------------------------------------------


def test_hf_papers_small_sample():
    records, ctx = run(hf_papers, source(small("hf_papers")))
    assert [r.title for r in records] == [
        "One Loss for All: Deep Hashing with a Single Cosine Similarity based Learning Objective",
        "MetaGCD: Learning to Continually Learn in Generalized Category Discovery",
        "Learning Manipulation by Predicting Interaction",
    ]
    assert [r.line for r in records] == [3, 5, 7]
    assert ctx.warnings == []


def test_hf_papers_truncated_last_abstract_is_warned():
    lines = small("hf_papers").splitlines()[:-1]
    records, ctx = run(hf_papers, source("\n".join(lines)))
    assert len(records) == 3 and records[-1].abstract == ""
    assert records[-1].warnings == ["no abstract"]
    assert len(ctx.warnings) == 1 and "line 7" in ctx.warnings[0]


def test_hf_papers_pairs_by_shape():
    long = "We propose a method. " * 20
    text = "\n".join([
        "Subscribe",  # the button on its own line
        "Subscribed Learners Title",  # "Subscribe" is only cut when glued to a capital
        long,
        "A Title With No Abstract",
        "Is Attention All That NeRF Needs?",
        long,
        "Title With Short Abstract",
        "We study one thing.",
        "A Title That Ends With A Period.",
        long,
        "continued abstract line that is long enough to be prose on its own, " * 5,
    ])  # fmt: skip
    records, _ = run(hf_papers, source(text))
    assert [r.title for r in records] == [
        "Subscribed Learners Title", "A Title With No Abstract", "Is Attention All That NeRF Needs?",
        "Title With Short Abstract", "A Title That Ends With A Period.",
    ]  # fmt: skip
    assert records[1].abstract == "" and records[1].warnings == ["no abstract"]
    assert records[3].abstract == "We study one thing."
    assert records[4].abstract.count("\n") == 1


def test_hf_papers_glued_subscribe_only_on_first_title():
    text = "SubscribeAlpha Beta\n" + "We propose a method. " * 20 + "\nSubscribeGamma\n" + "We show. " * 40
    records, _ = run(hf_papers, source(text))
    assert [r.title for r in records] == ["Alpha Beta", "SubscribeGamma"]
    assert hf_papers.sniff(source(text)) == 60


# --- abstracts details and damage ---------------------------------------------------------------


def test_abstracts_small_sample():
    records, ctx = run(abstracts, source(small("abstracts")), venue="ICLR", year=2021)
    assert len(records) == 3 and ctx.claimed_total == 693
    assert [r.line for r in records] == [3, 5, 7]
    assert records[2].abstract.startswith("One of the most fundamental aspects of any machine")
    assert (records[0].venue, records[0].year) == ("ICLR", 2021)


def test_abstracts_truncated_last_is_kept_with_warning():
    text = small("abstracts")
    cut = text[: text.index("We introduce the novel concept")]
    records, ctx = run(abstracts, source(cut))
    assert len(records) == 3
    assert records[-1].warnings == ["the abstract may be cut off"]
    assert len(ctx.warnings) == 1 and "line 7" in ctx.warnings[0]


def test_abstracts_one_per_line_and_wrapped_paragraphs():
    one = "We propose a new method for learning things from data with many words in it. " * 3
    per_line, _ = run(abstracts, source(f"{one}\n{one}\n"))
    assert [r.line for r in per_line] == [1, 2]
    wrapped, _ = run(abstracts, source(f"Total: 2\n\n{one}\n{one}\n\n{one}\n"))
    assert len(wrapped) == 2 and wrapped[0].abstract == f"{one.strip()}\n{one.strip()}"


def test_abstracts_rejects_short_lines():
    with pytest.raises(ParseError) as info:
        run(abstracts, source("Total: 3\n\nA title\n\n" + "We propose things. " * 20))
    assert info.value.line == 3
