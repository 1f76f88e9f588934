"""The structured formats: paperlists, records (JSON/JSONL/CSV/TSV/Parquet), bibtex, arxiv_atom,
openreview. Expected values are read from the sample files in tests/data/structured/."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from paperatlas.errors import ParseError
from paperatlas.ingest import arxiv_atom, bibtex, openreview, paperlists, records, registry
from paperatlas.ingest.base import ParseContext, Source
from paperatlas.models import Paper, Record, SourceRef

DATA = Path(__file__).parent / "data" / "structured"
SKIP_HINT = "add a title, or pass --skip-bad to ingest the rest and skip damaged records"


def src(name: str) -> Source:
    return Source.from_bytes(name, (DATA / name).read_bytes())


def text_src(text: str, path: str = "x.json") -> Source:
    return Source.from_bytes(path, text.encode("utf-8"))


def run(parser, source: Source, skip_bad: bool = False) -> tuple[list[Record], ParseContext]:
    ctx = ParseContext(path=source.path)
    if skip_bad:
        ctx.skip_bad = True  # type: ignore[attr-defined]
    return list(parser.parse(source, ctx)), ctx


# --- detection ----------------------------------------------------------------------------------

DETECT = {
    "iclr2021.json": "paperlists",
    "nips2018.json": "paperlists",
    "cvpr2023.json": "paperlists",
    "papers.csv": "records",
    "papers.tsv": "records",
    "papers.json": "records",
    "hf_export.jsonl": "records",
    "catalog_export.jsonl": "records",
    "refs.bib": "bibtex",
    "arxiv_query.xml": "arxiv_atom",
    "openreview_v1.json": "openreview",
    "openreview_v2.json": "openreview",
}


@pytest.mark.parametrize("name", sorted(DETECT))
def test_detection_picks_the_format(name):
    assert registry.detect(src(name)).NAME == DETECT[name]


@pytest.mark.parametrize("name", sorted(DETECT))
def test_detection_survives_gzip(name):
    raw = gzip.compress((DATA / name).read_bytes())
    source = Source.from_bytes(name + ".gz", raw)
    assert registry.detect(source).NAME == DETECT[name]


def test_all_five_structured_formats_are_registered():
    assert {"paperlists", "records", "bibtex", "arxiv_atom", "openreview"} <= set(registry.parsers())


# --- paperlists ---------------------------------------------------------------------------------


def test_paperlists_iclr2021_fields():
    recs, ctx = run(paperlists, src("iclr2021.json"))
    assert [r.title for r in recs] == [
        "Learning Invariant Representations for Reinforcement Learning without Reconstruction",
        "Meta-Learning of Structured Task Distributions in Humans and Machines",
        "CROSS-SUPERVISED OBJECT DETECTION",
    ]
    assert [r.track for r in recs] == ["Oral", "Poster", "Reject"]
    assert [r.position for r in recs] == [1, 2, 3]
    assert [r.line for r in recs] == [2, 3, 4]
    r = recs[0]
    assert r.record_id == "-2FCwDKRREu"
    assert (r.venue, r.year) == ("ICLR", 2021)
    assert r.authors == ["Amy Zhang", "Rowan Thomas McAllister", "Roberto Calandra", "Yarin Gal", "Sergey Levine"]
    assert r.keywords == ["rich observations", "bisimulation metrics", "representation learning", "state abstractions"]
    assert r.abstract == ""  # this version of the file has no abstracts
    assert r.links["site"] == "https://iclr.cc/virtual/2021/poster/2863"
    assert r.links["forum"] == "https://openreview.net/forum?id=-2FCwDKRREu"
    assert r.ids == {"openreview": "-2FCwDKRREu"}
    assert r.extra["track_name"] == "main"
    assert r.extra["rating"] == "7;7;9"
    assert r.extra["rating_avg"] == pytest.approx(7.6666666)
    assert "title" not in r.extra and "author" not in r.extra
    # no site in the record: the forum comes from the OpenReview id of an ICLR record
    third = recs[2]
    assert third.links == {"forum": "https://openreview.net/forum?id=--rcOeCKRh"}
    assert third.authors == ["Zitian Chen", "Zhiqiang Shen", "Jiahui Yu", "Erik Learned-Miller"]
    assert ctx.warnings == []


def test_paperlists_nips2018_fields():
    recs, _ = run(paperlists, src("nips2018.json"))
    r = recs[0]
    assert r.title == "A Convex Duality Framework for GANs"
    assert (r.venue, r.year, r.track) == ("NeurIPS", 2018, "Poster")
    assert r.record_id == "11513"
    assert r.authors == ["Farzan Farnia", "David Tse"]
    assert r.links == {
        "site": "https://nips.cc/virtual/2018/poster/11513",
        "pdf": "https://papers.nips.cc/paper_files/paper/2018/file/831caa1b600f852b7844499430ecac17-Paper.pdf",
        "proceedings": "https://papers.nips.cc/paper_files/paper/2018/hash/"
        "831caa1b600f852b7844499430ecac17-Abstract.html",
    }
    assert r.ids == {}
    assert r.counters == {"Google Scholar citations": 74}
    assert r.extra["bibtex"].startswith("@inproceedings{NEURIPS2018_831caa1b,")
    assert r.extra["aff_country_unique"] == "United States"
    assert recs[1].authors[0] == "YAN ZHENG"


def test_paperlists_cvpr2023_comma_authors_code_and_arxiv():
    (r,), _ = run(paperlists, src("cvpr2023.json"))
    assert r.record_id is None
    assert (r.venue, r.year, r.track) == ("CVPR", 2023, "Poster")
    assert r.authors == ["Mikhail Kennerley", "Jian-Gang Wang", "Bharadwaj Veeravalli", "Robby T. Tan"]
    assert r.code_urls == ["https://www.github.com/mecarill/2pcnet"]
    assert r.ids == {"arxiv": "2303.13853"}
    assert r.links["arxiv"] == "https://arxiv.org/abs/2303.13853"
    assert r.links["project"] == "https://mikhailkennerley.com/2pcnet/"
    assert r.links["video"] == "https://youtu.be/NkwfZQ3-nqk"


@pytest.mark.parametrize(
    "path, expected",
    [
        ("iclr2021.json.gz", ("ICLR", 2021)),
        ("/data/paperlists/nips/nips1987.json", ("NeurIPS", 1987)),
        ("acmmm2024.json", ("ACM MM", 2024)),
        ("3dv2025.json.gz", ("3DV", 2025)),
        ("siggraphasia2021.json", ("SIGGRAPH Asia", 2021)),
        ("corl2022.json", ("CoRL", 2022)),
        ("foo2019.json", ("FOO", 2019)),
        ("papers.json", (None, None)),
    ],
)
def test_paperlists_venue_from_file_name(path, expected):
    assert paperlists.venue_from_path(path) == expected


def test_paperlists_user_venue_wins_over_file_name_but_record_fields_win_over_both():
    text = json.dumps([
        {"title": "A", "status": "Poster", "track": "main"},
        {"title": "B", "status": "", "track": "Datasets & Benchmarks", "venue": "Own", "year": 2001},
    ])
    ctx = ParseContext(path="iclr2021.json", venue="User", year=2020)
    recs = list(paperlists.parse(text_src(text, "iclr2021.json"), ctx))
    assert [(r.venue, r.year, r.track) for r in recs] == [
        ("User", 2020, "Poster"), ("Own", 2001, "Datasets & Benchmarks")
    ]
    assert "track_name" not in recs[1].extra


def test_paperlists_relative_openreview_pdf_and_list_keywords():
    text = json.dumps([{
        "title": "T", "status": "Poster", "author": "A B; C D", "keywords": ["x", " y "],
        "site": "https://openreview.net/forum?id=abcdEFGH12", "pdf": "/pdf/0a1b.pdf", "github": "Not provided",
    }])
    (r,), _ = run(paperlists, text_src(text, "colm2024.json"))
    assert r.links == {
        "site": "https://openreview.net/forum?id=abcdEFGH12",
        "forum": "https://openreview.net/forum?id=abcdEFGH12",
        "pdf": "https://openreview.net/pdf/0a1b.pdf",
    }
    assert r.ids == {"openreview": "abcdEFGH12"}
    assert r.keywords == ["x", "y"]
    assert r.authors == ["A B", "C D"]
    assert r.code_urls == []


def test_paperlists_gzip_round_trip():
    plain, _ = run(paperlists, src("iclr2021.json"))
    raw = gzip.compress((DATA / "iclr2021.json").read_bytes())
    zipped, _ = run(paperlists, Source.from_bytes("iclr2021.json.gz", raw))
    assert [vars(r) for r in zipped] == [vars(r) for r in plain]


def test_truncated_gzip_is_a_parse_error():
    raw = gzip.compress((DATA / "iclr2021.json").read_bytes())
    with pytest.raises(ParseError) as info:
        Source.from_bytes("iclr2021.json.gz", raw[: len(raw) // 2])
    assert info.value.path == "iclr2021.json.gz"
    assert info.value.hint


def test_paperlists_truncated_json_names_line_and_column():
    data = (DATA / "iclr2021.json").read_text()
    cut = data[: data.index("\n", data.index("\n") + 1) + 40]  # into the second record (line 3)
    with pytest.raises(ParseError) as info:
        run(paperlists, text_src(cut, "iclr2021.json"))
    assert info.value.line == 3
    assert "line 3, column" in info.value.message
    assert info.value.hint


def test_paperlists_damaged_json_after_first_records_still_fails_whole_file():
    data = (DATA / "iclr2021.json").read_text().replace('"--rcOeCKRh",', '"--rcOeCKRh" "x",', 1)
    with pytest.raises(ParseError) as info:
        run(paperlists, text_src(data, "iclr2021.json"))
    assert info.value.line == 4


def test_paperlists_missing_title_names_the_record():
    text = '[\n{"id": "a", "title": "Fine", "status": "Poster"},\n{"id": "b", "title": "", "status": "Poster"}\n]'
    with pytest.raises(ParseError) as info:
        run(paperlists, text_src(text, "iclr2021.json"))
    err = info.value
    assert (err.record, err.line) == (2, 3)
    assert "record 2" in err.message and "'b'" in err.message and "no title" in err.message
    assert err.hint == SKIP_HINT


def test_paperlists_skip_bad_warns_and_goes_on():
    text = '[\n{"id": "a", "title": "Fine", "status": "Poster"},\n{"id": "b", "status": "Poster"},\n3\n]'
    recs, ctx = run(paperlists, text_src(text, "iclr2021.json"), skip_bad=True)
    assert [r.title for r in recs] == ["Fine"]
    assert ctx.warnings == [
        "record 2 (line 3): no title; skipped",
        "record 3 (line 4): a JSON int, not an object; skipped",
    ]


def test_paperlists_not_claimed_for_catalog_export_or_openreview():
    export = json.dumps([{"title": "T", "track": "Poster", "links": {}, "sources": []}])
    assert paperlists.sniff(text_src(export, "iclr2021.json")) == 0
    assert paperlists.sniff(src("openreview_v2.json")) == 0
    assert paperlists.sniff(src("papers.json")) == 0


# --- records ------------------------------------------------------------------------------------


def test_records_csv_semicolon_authors_and_multiline_cells():
    recs, _ = run(records, src("papers.csv"))
    assert [r.line for r in recs] == [2, 3, 5]
    r = recs[0]
    assert r.record_id == "p1"
    assert r.title == "Denoising Diffusion Probabilistic Models"
    assert r.authors == ["Jonathan Ho", "Ajay Jain", "Pieter Abbeel"]
    assert (r.venue, r.year) == ("NeurIPS", 2020)
    assert r.keywords == ["diffusion", "generative models"]
    assert r.links == {"pdf": "https://arxiv.org/pdf/2006.11239"}
    assert r.code_urls == ["https://github.com/hojonathanho/diffusion"]
    assert recs[1].abstract.endswith("to a known prior distribution.")
    assert "\n" in recs[1].abstract
    assert recs[2].abstract == "" and recs[2].keywords == []


def test_records_tsv():
    recs, _ = run(records, src("papers.tsv"))
    assert [(r.title[:20], r.venue, r.year, r.track) for r in recs] == [
        ("Deep Residual Learni", "CVPR", 2016, "Oral"),
        ("Batch Normalization:", "ICML", 2015, None),
    ]
    assert recs[0].authors == ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]
    assert recs[0].links["site"].startswith("https://openaccess.thecvf.com/")


def test_records_json_object_with_papers_list_and_aliases():
    recs, ctx = run(records, src("papers.json"))
    a, b = recs
    assert a.title == "Neural Machine Translation by Jointly Learning to Align and Translate"
    assert a.authors == ["Dzmitry Bahdanau", "Kyunghyun Cho", "Yoshua Bengio"]
    assert (a.venue, a.year, a.track, a.session) == ("ICLR", 2015, "Oral", "Oral Session 1")
    assert a.keywords == ["translation", "attention"]
    assert a.links == {"forum": "https://openreview.net/forum?id=ABCDEFGHIJ", "arxiv": "https://arxiv.org/abs/1409.0473"}
    assert a.ids == {"arxiv": "1409.0473"}
    assert (a.position, a.line) == (1, 4)
    assert b.authors == ["Diederik P. Kingma", "Jimmy Ba"]
    assert (b.venue, b.year, b.position, b.line) == ("ICLR", 2015, 2, 17)


def test_records_hugging_face_jsonl():
    recs, _ = run(records, src("hf_export.jsonl"))
    a, b = recs
    assert a.record_id == "2106.09685" and a.ids == {"arxiv": "2106.09685"}
    assert a.title == "LoRA: Low-Rank Adaptation of Large Language Models"
    assert a.authors == ["Edward J. Hu", "Yelong Shen", "Phillip Wallis"]
    assert a.abstract.startswith("We propose Low-Rank Adaptation")
    assert a.year == 2021 and a.venue is None
    assert a.keywords == ["cs.CL", "cs.LG"]
    assert a.code_urls == ["https://github.com/microsoft/LoRA"]
    assert a.extra == {"upvotes": 12, "tldr": "Low-rank updates for fine-tuning."}
    assert b.authors == ["Tom B. Brown", "Benjamin Mann"]
    assert (b.venue, b.year, b.track) == ("NeurIPS", 2020, "Oral")
    assert b.ids["doi"] == "10.48550/arxiv.2005.14165"
    assert (a.line, b.line) == (1, 2)


def test_records_hugging_face_datasets_server_rows():
    text = json.dumps({"features": [{"name": "title"}], "rows": [
        {"row_idx": 0, "row": {"title": "Row paper", "authors": "A B, C D"}, "truncated_cells": []},
    ]})
    (r,), _ = run(records, text_src(text))
    assert (r.title, r.authors) == ("Row paper", ["A B", "C D"])


def test_records_catalog_export_round_trip():
    recs, _ = run(records, src("catalog_export.jsonl"))
    r = recs[0]
    assert r.record_id == "p-0001"
    assert (r.venue, r.year, r.track, r.session) == ("ICLR", 2021, "Oral", "Oral Session 3")
    assert r.links == {
        "forum": "https://openreview.net/forum?id=-2FCwDKRREu",
        "pdf": "https://openreview.net/pdf?id=-2FCwDKRREu",
    }
    assert r.ids == {"openreview": "-2FCwDKRREu", "arxiv": "2006.10742"}
    assert r.counters == {"papers.cool PDF": 60, "papers.cool Kimi": 203}
    assert r.code_urls == ["https://github.com/facebookresearch/deep_bisim4control"]
    assert r.flags == ["code-anonymized"]
    assert r.keywords == ["rich observations", "bisimulation metrics"]
    assert r.extra["sources"][0]["format"] == "paperlists"
    assert set(r.extra) == {"sources", "field_sources"}
    assert recs[1].ids == {"openreview": "--rcOeCKRh"} and recs[1].links == {}


def test_records_reads_what_export_writes():
    from paperatlas.export import write_csv, write_jsonl

    paper = Paper(
        id="p-9", title="A $\\ell_1$ Paper", authors=["Ada Lovelace", "Alan Turing"], abstract="Short.",
        venue="ICLR", year=2024, track="Poster", session="Poster Session 2", keywords=["k1", "k2"],
        links={"forum": "https://openreview.net/forum?id=AbCdEfGhIj", "pdf": "https://x.org/p.pdf"},
        code_urls=["https://github.com/a/b"], ids={"openreview": "AbCdEfGhIj", "arxiv": "2401.00001"},
        counters={"upvotes": 3}, flags=["code-anonymized"],
        sources=[SourceRef("f.json", "records", "7", 3)],
    )
    buf = io.StringIO()
    write_jsonl([paper], buf)
    (r,), _ = run(records, text_src(buf.getvalue(), "export.jsonl"))
    assert (r.record_id, r.title, r.authors, r.abstract) == (paper.id, paper.title, paper.authors, paper.abstract)
    assert (r.venue, r.year, r.track, r.session, r.keywords) == ("ICLR", 2024, "Poster", "Poster Session 2", ["k1", "k2"])
    assert (r.links, r.ids, r.counters, r.code_urls, r.flags) == (
        paper.links, paper.ids, paper.counters, paper.code_urls, paper.flags
    )
    buf = io.StringIO()
    write_csv([paper], buf)
    (c,), _ = run(records, text_src(buf.getvalue(), "export.csv"))
    assert (c.record_id, c.title, c.authors, c.venue, c.year, c.track) == (
        "p-9", paper.title, paper.authors, "ICLR", 2024, "Poster"
    )
    assert c.ids == {"openreview": "AbCdEfGhIj", "arxiv": "2401.00001"}
    assert c.links["forum"] == "https://openreview.net/forum?id=AbCdEfGhIj"
    assert c.code_urls == ["https://github.com/a/b"]


def test_records_parquet(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import datetime

    table = pa.table({
        "id": ["a1", "a2"],
        "title": ["Parquet Paper One", "Parquet Paper Two"],
        "authors": [["Ada Lovelace", "Alan Turing"], ["Grace Hopper"]],
        "abstract": ["First.", None],
        "published": [datetime.date(2023, 5, 1), datetime.date(2024, 1, 2)],
        "upvotes": [5, 7],
    })
    path = tmp_path / "papers.parquet"
    pq.write_table(table, path)
    source = Source.from_bytes(str(path), path.read_bytes())
    assert registry.detect(source).NAME == "records"
    recs, _ = run(records, source)
    assert [(r.record_id, r.title, r.authors, r.year, r.position) for r in recs] == [
        ("a1", "Parquet Paper One", ["Ada Lovelace", "Alan Turing"], 2023, 1),
        ("a2", "Parquet Paper Two", ["Grace Hopper"], 2024, 2),
    ]
    assert recs[0].abstract == "First." and recs[1].abstract == ""
    assert recs[0].extra == {"upvotes": 5}
    json.dumps([r.extra for r in recs])  # extra stays JSON-serialisable


def test_records_truncated_parquet_is_a_parse_error(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"title": ["x"] * 100}), path)
    data = path.read_bytes()
    with pytest.raises(ParseError) as info:
        run(records, Source("p.parquet", data[: len(data) // 2]))
    assert info.value.hint


def test_records_parquet_without_pyarrow(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(ParseError) as info:
        run(records, Source("p.parquet", b"PAR1" + b"\x00" * 20 + b"PAR1"))
    assert info.value.hint == "pip install 'paperatlas[parquet]'"


def test_records_malformed_json_names_line_and_column():
    text = '[\n  {"title": "A"},\n  {"title": "B",, "x": 1}\n]'
    with pytest.raises(ParseError) as info:
        run(records, text_src(text))
    assert info.value.line == 3
    assert "line 3, column 17" in info.value.message
    assert info.value.hint


def test_records_malformed_jsonl_line_is_named():
    text = '{"title": "A"}\n{"title": "B"}\n\n{"title": "C"\n{"title": "D"}\n'
    with pytest.raises(ParseError) as info:
        run(records, text_src(text, "x.jsonl"))
    assert info.value.line == 4
    assert "line 4" in info.value.message


def test_records_missing_title_error_and_skip_bad():
    text = '{"title": "A"}\n{"abstract": "Has an abstract but no title."}\n{"id": 7}\n{"title": "D"}\n'
    with pytest.raises(ParseError) as info:
        run(records, text_src(text, "x.jsonl"))
    assert (info.value.record, info.value.line) == (2, 2)
    assert info.value.hint == SKIP_HINT
    recs, ctx = run(records, text_src(text, "x.jsonl"), skip_bad=True)
    assert [(r.title, r.position, r.line) for r in recs] == [("A", 1, 1), ("D", 4, 4)]
    assert ctx.warnings == ["record 2 (line 2): no title; skipped", "record 3 (line 3): no title; skipped"]


def test_records_catalog_export_keeps_abstract_only_papers():
    rows = [
        {"id": "p-1", "title": "", "abstract": "An abstract-only paper.", "sources": [{"file": "a.txt"}]},
        {"id": "p-2", "title": "", "abstract": "", "sources": [{"file": "a.txt"}]},
    ]
    text = "\n".join(json.dumps(r) for r in rows) + "\n"
    recs, ctx = run(records, text_src(text, "export.jsonl"), skip_bad=True)
    assert [(r.record_id, r.title, r.abstract) for r in recs] == [("p-1", "", "An abstract-only paper.")]
    assert ctx.warnings == ["record 2 (line 2): no title; skipped"]


def test_records_csv_missing_title_names_the_row_line():
    text = "title,authors\nA,X Y\n,Z W\n"
    with pytest.raises(ParseError) as info:
        run(records, text_src(text, "x.csv"))
    assert (info.value.record, info.value.line) == (2, 3)


def test_records_top_level_scalar_is_an_error():
    with pytest.raises(ParseError):
        run(records, text_src('"just a string"'))


def test_records_file_name_venue_fills_in():
    text = '{"id": "x", "title": "A", "status": "Poster"}\n{"id": "y", "title": "B", "venue": "Own"}\n'
    recs, _ = run(records, text_src(text, "iclr2021.jsonl"))
    assert [(r.venue, r.year) for r in recs] == [("ICLR", 2021), ("Own", None)]
    recs, _ = run(records, text_src(text, "mydump2021.jsonl"))  # not a known venue: nothing
    assert recs[0].venue is None


# --- bibtex -------------------------------------------------------------------------------------


def test_bibtex_fields():
    recs, _ = run(bibtex, src("refs.bib"))
    assert [r.record_id for r in recs] == ["vaswani2017attention", "kingma2014adam", "zhang2021invariant"]
    assert [r.line for r in recs] == [4, 15, 27]
    a, b, c = recs
    assert a.title == "Attention Is All You Need"  # protective braces are BibTeX markup, not text
    assert a.authors == ["Ashish Vaswani", "Noam Shazeer", "Niki Parmar"]
    assert (a.venue, a.year) == ("Advances in Neural Information Processing Systems", 2017)
    assert a.keywords == ["transformers", "attention"]
    assert a.ids == {"arxiv": "1706.03762"}
    assert a.links["site"] == "https://papers.nips.cc/paper/7181-attention-is-all-you-need"
    assert a.extra["entry_type"] == "inproceedings"
    assert b.title == "Adam: A Method for Stochastic Optimization"
    assert b.authors == ["Diederik P. Kingma", "Jimmy Ba"]
    assert b.venue == "International Conference on Learning Representations (Poster)"  # @string and #
    assert b.year == 2015 and b.extra["month"] == "May"
    assert b.ids == {"doi": "10.48550/arxiv.1412.6980"}
    assert b.abstract.startswith("We introduce Adam, an algorithm")
    assert c.links["forum"] == "https://openreview.net/forum?id=-2FCwDKRREu"


def test_bibtex_last_first_names_and_quoted_values():
    text = '@article(k, title = "A {"}q{"} {B}ERT $\\alpha$", author = "van Dam, Jr, Jan and {Google Research} and Doe, J.")'
    (r,), _ = run(bibtex, text_src(text, "x.bib"))
    assert r.title == 'A "q" BERT $\\alpha$'  # braces go, formulas stay as written
    assert r.authors == ["Jan van Dam Jr", "Google Research", "J. Doe"]


def test_bibtex_unbalanced_braces_name_the_entry_line():
    text = "@misc{ok, title={Fine}}\n\n@inproceedings{bad,\n  title={Unclosed {brace},\n  year=2020\n}\n"
    with pytest.raises(ParseError) as info:
        run(bibtex, text_src(text, "x.bib"))
    assert info.value.line == 3
    assert "brace" in info.value.message
    assert info.value.hint


def test_bibtex_missing_title_and_skip_bad():
    text = "@misc{a, title={A}}\n@misc{b, author={X Y}}\n@misc{c, title={C}}\n"
    with pytest.raises(ParseError) as info:
        run(bibtex, text_src(text, "x.bib"))
    assert (info.value.record, info.value.line) == (2, 2)
    assert "'b'" in info.value.message
    recs, ctx = run(bibtex, text_src(text, "x.bib"), skip_bad=True)
    assert [r.record_id for r in recs] == ["a", "c"]
    assert ctx.warnings == ["record 2 (line 2): no title; skipped"]


def test_bibtex_not_claimed_for_json_with_bibtex_inside():
    assert bibtex.sniff(src("nips2018.json")) == 0


# --- arxiv_atom ---------------------------------------------------------------------------------


def test_arxiv_atom_fields():
    recs, _ = run(arxiv_atom, src("arxiv_query.xml"))
    a, b = recs
    assert a.record_id == "2006.11239v2"
    assert a.ids == {"arxiv": "2006.11239"}
    assert a.title == "Denoising Diffusion Probabilistic\n  Models"  # whitespace is the pipeline's job
    assert a.abstract.startswith("We present high quality image synthesis")
    assert a.authors == ["Jonathan Ho", "Ajay Jain", "Pieter Abbeel"]
    assert (a.venue, a.year) == ("arXiv", 2020)
    assert a.links == {"arxiv": "http://arxiv.org/abs/2006.11239v2", "pdf": "http://arxiv.org/pdf/2006.11239v2"}
    assert a.extra["primary_category"] == "cs.LG"
    assert a.extra["categories"] == ["cs.LG", "stat.ML"]
    assert a.extra["comment"] == "NeurIPS 2020"
    assert (a.position, a.line, b.position, b.line) == (1, 10, 2, 36)
    assert b.record_id == "hep-th/9901001v1"
    assert b.ids == {"arxiv": "hep-th/9901001", "doi": "10.1000/xyz123"}
    assert b.extra["journal_ref"] == "J. Phys. 1 (1999) 1"
    assert b.year == 1999


def test_arxiv_atom_malformed_xml_names_the_line():
    data = (DATA / "arxiv_query.xml").read_text()
    broken = data.replace("<name>Ajay Jain</name>", "<name>Ajay Jain</nme>")
    with pytest.raises(ParseError) as info:
        run(arxiv_atom, text_src(broken, "q.xml"))
    assert info.value.line == 23
    with pytest.raises(ParseError):
        run(arxiv_atom, text_src(data[: len(data) // 2], "q.xml"))


def test_arxiv_atom_rejects_entity_declarations():
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE feed [\n<!ENTITY x SYSTEM "file:///etc/passwd">\n]>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>&x;</title></entry></feed>'
    )
    with pytest.raises(ParseError) as info:
        run(arxiv_atom, text_src(text, "q.xml"))
    assert info.value.line == 3


def test_arxiv_atom_api_error_feed():
    text = (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/api/errors#incorrect_id</id>'
        "<title>Error</title><summary>incorrect id format for 1234</summary></entry></feed>"
    )
    with pytest.raises(ParseError) as info:
        run(arxiv_atom, text_src(text, "q.xml"))
    assert "incorrect id format" in info.value.message


# --- openreview ---------------------------------------------------------------------------------


def test_openreview_api_v1():
    recs, ctx = run(openreview, src("openreview_v1.json"))
    a, b = recs
    assert a.record_id == "-2FCwDKRREu"
    assert a.title == "Learning Invariant Representations for Reinforcement Learning without Reconstruction"
    assert a.authors == ["Amy Zhang", "Rowan Thomas McAllister"]
    assert (a.venue, a.year, a.track) == ("ICLR", 2021, "Oral")
    assert a.keywords == ["rich observations", "bisimulation metrics"]
    assert a.links == {
        "forum": "https://openreview.net/forum?id=-2FCwDKRREu",
        "pdf": "https://openreview.net/pdf/2c8f1f1d0a4f.pdf",
    }
    assert a.ids == {"openreview": "-2FCwDKRREu"}
    assert a.code_urls == ["https://github.com/facebookresearch/deep_bisim4control"]
    assert a.extra["one-sentence_summary"] == "Bisimulation for RL."
    assert (b.venue, b.year, b.track) == ("ICLR", 2021, "Withdrawn")
    assert (a.position, a.line, b.position, b.line) == (1, 2, 3, 14)
    assert ctx.claimed_total == 3
    assert ctx.warnings == ["1 replies (reviews, comments, decisions) skipped: they are not papers"]


def test_openreview_api_v2_wrapped_values():
    recs, _ = run(openreview, src("openreview_v2.json"))
    a, b = recs
    assert a.title == "A Wrapped Title for an API v2 Note"
    assert a.authors == ["Ada Lovelace", "Alan Turing"]
    assert (a.venue, a.year, a.track) == ("ICLR", 2024, "Poster")
    assert a.links["pdf"] == "https://openreview.net/pdf/0123456789abcdef.pdf"
    assert a.extra["TLDR"] == "Wrapped values."
    assert (b.venue, b.year, b.track) == ("ICLR", 2024, "Reject")


@pytest.mark.parametrize(
    "venue, expected",
    [
        ("ICLR 2024 poster", ("ICLR", 2024, "Poster")),
        ("ICLR 2024 Conference Withdrawn Submission", ("ICLR", 2024, "Withdrawn")),
        ("ICLR 2023 notable top 5%", ("ICLR", 2023, "Notable top 5%")),
        ("Submitted to ICLR 2024", ("ICLR", 2024, "Submitted")),
        ("NeurIPS 2023 oral", ("NeurIPS", 2023, "Oral")),
        ("TMLR", ("TMLR", None, None)),
    ],
)
def test_openreview_venue_strings(venue, expected):
    assert openreview.parse_venue(venue) == expected


def test_openreview_missing_title():
    text = json.dumps({"notes": [{"id": "a", "forum": "a", "content": {"abstract": "x"}}]})
    with pytest.raises(ParseError) as info:
        run(openreview, text_src(text))
    assert info.value.record == 1 and info.value.hint == SKIP_HINT
    recs, ctx = run(openreview, text_src(text), skip_bad=True)
    assert recs == [] and ctx.warnings == ["record 1 (line 1): no title; skipped"]


def test_openreview_decision_from_replies_and_invitation_venue():
    note = {
        "id": "Xy12345678", "forum": "Xy12345678", "invitation": "NeurIPS.cc/2019/Conference/-/Blind_Submission",
        "content": {"title": "T", "authors": "A B, C D"},
        "details": {"directReplies": [{"content": {"decision": "Accept (Poster)"}}]},
    }
    (r,), _ = run(openreview, text_src(json.dumps([note])))
    assert (r.venue, r.year, r.track) == ("NeurIPS", 2019, "Accept (Poster)")
    assert r.authors == ["A B", "C D"]


# --- the real paperlists files (when the shared data is there) ----------------------------------

SHARED = Path("/work/shared/data/paperlists")


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared paperlists data not present")
@pytest.mark.parametrize("name", ["iclr2021.json.gz", "nips1987.json.gz", "acl2022.json.gz", "cvpr2024.json.gz"])
def test_real_paperlists_files(name):
    source = Source.from_bytes(name, (SHARED / name).read_bytes())
    assert registry.detect(source).NAME == "paperlists"
    recs, ctx = run(paperlists, source)
    assert recs and all(r.title and r.venue and r.year for r in recs)
    assert ctx.warnings == []
