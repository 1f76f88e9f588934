"""The files researchers already have, read whole and mapped right: Semantic Scholar Graph API JSON,
Hugging Face daily papers, the Kaggle arXiv snapshot, Mini-Conf papers.csv/json, OpenReview notes
keyed by forum id and in crawler wrappers, and the generic records' author lists, dates and ids.

Every fixture is an excerpt of a real file (tests/data/shapes/README.md names each source); the
expected values were read off the fixtures."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import pytest

from paperatlas.errors import ParseError
from paperatlas.ingest import arxiv_kaggle, hf_daily, miniconf, openreview, records, registry, s2_json
from paperatlas.ingest.base import ParseContext, Source
from paperatlas.ingest.common import split_author_string, split_authors, year_of
from paperatlas.models import Record
from paperatlas.normalize import clean_record

DATA = Path(__file__).parent / "data"
SHAPES = DATA / "shapes"


def src(name: str, path: str | None = None) -> Source:
    return Source.from_bytes(path or name, (SHAPES / name).read_bytes())


def raw(name: str) -> Any:
    return json.loads((SHAPES / name).read_text(encoding="utf-8"))


def run(parser: Any, source: Source, **ctx_args: Any) -> tuple[list[Record], ParseContext]:
    ctx = ParseContext(path=source.path, **ctx_args)
    return list(parser.parse(source, ctx)), ctx


def text_src(text: str, path: str = "x.json") -> Source:
    return Source.from_bytes(path, text.encode("utf-8"))


# --- detection ----------------------------------------------------------------------------------

DETECT = {
    "s2_paper.json": "s2_json",
    "s2_citations.json": "s2_json",
    "s2_author.json": "s2_json",
    "s2_search.json": "s2_json",
    "s2_batch.json": "s2_json",
    "hf_daily_papers_2026-08-21.json": "hf_daily",
    "hf_daily_papers_2024-05-27.json": "hf_daily",
    "arxiv_snapshot.jsonl": "arxiv_kaggle",
    "miniconf_papers.csv": "miniconf",
    "miniconf_papers.json": "miniconf",
    "openreview_keyed_papers.json": "openreview",
    "openreview_crawler.json": "openreview",
}


@pytest.mark.parametrize("name", sorted(DETECT))
def test_detection_picks_the_shape(name):
    source = src(name)
    assert registry.detect(source).NAME == DETECT[name]
    assert registry.parsers()[DETECT[name]].sniff(source) >= 90


@pytest.mark.parametrize("name", sorted(DETECT))
def test_detection_survives_gzip(name):
    source = Source.from_bytes(name + ".gz", gzip.compress((SHAPES / name).read_bytes()))
    assert registry.detect(source).NAME == DETECT[name]


def test_the_new_parsers_are_registered():
    assert {"s2_json", "hf_daily", "arxiv_kaggle", "miniconf"} <= set(registry.parsers())


NEW = (s2_json, hf_daily, arxiv_kaggle, miniconf)
OLD_FIXTURES = sorted(
    p for sub in ("structured", "seeds") for p in (DATA / sub).iterdir() if p.is_file() and p.suffix != ".md"
)


@pytest.mark.parametrize("path", OLD_FIXTURES, ids=lambda p: p.name)
def test_new_parsers_leave_the_existing_fixtures_alone(path):
    source = Source.from_bytes(path.name, path.read_bytes())
    assert {p.NAME: p.sniff(source) for p in NEW} == dict.fromkeys((p.NAME for p in NEW), 0)


# --- nothing lost -------------------------------------------------------------------------------


def assert_nothing_lost(rec: Record, item: dict[str, Any], mapped: set[str]) -> None:
    """Every non-empty field of the source item is mapped onto the record or kept in extra."""
    lost = [k for k, v in item.items() if v not in (None, "", [], {}) and k not in mapped and k not in rec.extra]
    assert lost == [], f"record {rec.record_id}: fields lost: {lost}"


# --- Semantic Scholar ---------------------------------------------------------------------------

# authors: the names onto the record, their ids kept as extra["authorIds"]; externalIds and
# openAccessPdf: DOI/arXiv id and URL onto the record, the rest of them kept in extra
S2_MAPPED = {"paperId", "title", "abstract", "year", "venue", "url", "citationCount",
             "influentialCitationCount", "referenceCount", "authors", "externalIds", "openAccessPdf", "tldr"}


def test_s2_one_paper_with_nested_citations():
    (r,), ctx = run(s2_json, src("s2_paper.json"))
    item = raw("s2_paper.json")
    assert r.record_id == "2d5673caa9e6af3a7b82a43f19ee920992db07ad"
    assert r.title == "Computing Machinery and Intelligence"
    assert r.authors == ["A. Turing"]
    assert r.year == 1950
    assert r.venue == "The Philosophy of Artificial Intelligence"
    assert r.abstract.startswith("I propose to consider the question, “Can machines think?”")
    assert r.ids == {"doi": "10.1093/mind/lix.236.433"}
    assert r.links == {
        "site": "https://www.semanticscholar.org/paper/2d5673caa9e6af3a7b82a43f19ee920992db07ad",
        "doi": "https://doi.org/10.1093/mind/lix.236.433",
    }
    assert r.counters == {"S2 citations": 10059, "S2 influential citations": 530, "S2 references": 14}
    assert r.extra["tldr"] == item["tldr"]["text"] and r.extra["tldr model"] == "tldr@v2.0.0"
    assert r.extra["externalIds"] == {"DBLP": "journals/x/Turing50", "MAG": "2145482038", "CorpusId": 14636783}
    assert r.extra["journal"] == {"name": "Mind", "pages": "433-460", "volume": "LIX"}
    assert r.extra["authorIds"] == ["2262347"]
    assert [c["title"] for c in r.extra["references"]] == [
        "Calculating Instruments and Machines", "The Mind of Mechanical Man*"]
    assert len(r.extra["citations"]) == 2
    assert ctx.warnings == [] and ctx.claimed_total is None
    assert_nothing_lost(r, item, S2_MAPPED)


def test_s2_papers_with_arxiv_ids_and_publication_venue():
    recs, _ = run(s2_json, src("s2_citations.json"))
    a, b, c = recs
    assert a.venue == "IEEE/CAA Journal of Automatica Sinica"  # venue "" -> publicationVenue.name
    assert a.extra["publicationVenue"]["issn"] == "2329-9266"
    assert a.links["pdf"] == "https://ieeexplore.ieee.org/ielx7/6570654/10539265/10539310.pdf"
    assert a.authors[0] == "Tianyu Shen" and a.authors[-1] == "Fei-Yue Wang" and len(a.authors) == 7
    assert (b.ids, c.ids) == ({"arxiv": "2405.19561"}, {"arxiv": "2405.13352"})
    assert b.links["arxiv"] == "https://arxiv.org/abs/2405.19561"
    assert b.title == "Quo Vadis ChatGPT? From Large Language Models to Large Knowledge Models"
    assert b.authors == ["V. Venkatasubramanian", "Arijit Chakraborty"] and b.year == 2024
    assert c.title == '"Turing Tests"For An AI Scientist' and c.authors == ["Xiaoxin Yin"]
    assert b.extra["externalIds"] == {"CorpusId": 270123120}
    for rec, item in zip(recs, raw("s2_citations.json")):
        assert_nothing_lost(rec, item, S2_MAPPED)


def test_s2_author_with_papers():
    recs, _ = run(s2_json, src("s2_author.json"))
    assert [r.title for r in recs] == [
        "Dystopian or Utopian? Two Images of Alan Turing",
        "Computing Machinery and Intelligence (1950)",
        "Practical forms of type theory",
    ]
    assert [r.year for r in recs] == [2022, 1989, 1948]
    assert [r.venue for r in recs] == [None, "Ideas That Created the Future", "Journal of Symbolic Logic (JSL)"]
    assert all(r.authors == ["A. Turing"] for r in recs)
    assert recs[2].ids == {"doi": "10.2307/2267329"}
    assert recs[2].counters == {"S2 citations": 200, "S2 influential citations": 21, "S2 references": 121}
    author = recs[0].extra["s2 author"]
    assert (author["authorId"], author["name"], author["hIndex"]) == ("2262347", "A. Turing", 23)
    assert "papers" not in author
    for rec, item in zip(recs, raw("s2_author.json")["papers"]):
        assert_nothing_lost(rec, item, S2_MAPPED)


def test_s2_search_page():
    recs, ctx = run(s2_json, src("s2_search.json"))
    assert [r.record_id for r in recs] == [p["paperId"] for p in raw("s2_search.json")["data"]]
    assert recs[1].title == "Quantum theory, the Church–Turing principle and the universal quantum computer"
    assert recs[3].title == "[PDF] Neural Networks And Analog Computation Beyond The Turing Limit"
    assert ctx.claimed_total is None  # 70499 is what the query matched, not what the file should hold
    assert ctx.warnings == ["one page of results: 4 papers of the 70499 the query matched; the API has more (next: 100)"]


def test_s2_batch_answer_with_a_null():
    recs, ctx = run(s2_json, src("s2_batch.json"))
    assert ctx.warnings == ["record 1 (line 1): null (a paper the API did not find); skipped"]
    a, b, c = recs
    assert a.title == "How Much Should We Trust Differences-in-Differences Estimates?"
    assert a.authors == ["Marianne Bertrand", "E. Duflo", "S. Mullainathan"]
    assert (a.year, a.venue, a.ids) == (2001, "Experimental & Empirical Studies eJournal", {"doi": "10.2139/ssrn.288970"})
    assert a.links["pdf"] == "http://papers.nber.org/papers/w8841.pdf"
    assert a.extra["openAccessPdf"] == {"status": "GREEN"}
    assert a.extra["citationStyles"]["bibtex"].startswith("@Article{Bertrand2001HowMS,")
    assert b.abstract.startswith("Microcredit has spread extremely rapidly since its beginnings")
    assert (b.year, b.venue) == (2013, "ERN: Credit Risk (Topic)")
    assert c.venue is None and c.year == 2023 and c.ids == {"doi": "10.1257/rct.1355"}
    for rec, item in zip(recs, raw("s2_batch.json")[1:]):
        assert_nothing_lost(rec, item, S2_MAPPED)


def test_s2_dataset_lines_and_citation_pages():
    lines = "\n".join(json.dumps(x) for x in [
        {"corpusid": 1, "externalids": {"ArXiv": "2106.09685", "CorpusId": "1"}, "title": "LoRA", "year": 2021,
         "authors": [{"authorId": "1", "name": "Edward J. Hu"}], "venue": "ICLR"},
        {"corpusid": 2, "title": "Two", "publicationdate": "2020-01-02"},
    ])
    (a, b), _ = run(s2_json, text_src(lines, "papers.jsonl"))
    assert (a.record_id, a.ids, a.venue, a.year) == ("CorpusId:1", {"arxiv": "2106.09685"}, "ICLR", 2021)
    assert b.year == 2020
    page = {"offset": 0, "data": [{"contexts": ["as in [3]"], "isInfluential": False,
                                   "citingPaper": {"paperId": "a" * 40, "title": "Citing"}}]}
    (r,), _ = run(s2_json, text_src(json.dumps(page)))
    assert r.title == "Citing" and r.extra["contexts"] == ["as in [3]"]


# --- Hugging Face daily papers ------------------------------------------------------------------

HF_PAPER_TAKEN = {"id", "title", "summary", "publishedAt", "upvotes", "githubRepo", "projectPage",
                  "ai_keywords", "githubStars"}


def assert_no_paper_field_lost(rec: Record, item: dict[str, Any]) -> None:
    paper = item["paper"]
    lost = [k for k, v in paper.items() if v not in (None, "", [], {})
            and k not in HF_PAPER_TAKEN and f"paper.{k}" not in rec.extra]
    assert lost == []
    for k, v in item.items():
        if k != "paper" and v not in (None, "", [], {}) and k not in rec.extra:
            assert k in ("title", "summary", "numComments")  # the same as the paper's, or a counter


def test_hf_daily_papers_current_shape():
    recs, ctx = run(hf_daily, src("hf_daily_papers_2026-08-21.json"))
    items = raw("hf_daily_papers_2026-08-21.json")
    a, b = recs
    assert a.record_id == "2608.19880" and a.ids == {"arxiv": "2608.19880"}
    assert a.title == "EnvHarness: Awakening Static Worlds for Agent Learning"
    assert a.abstract.startswith("LLM agents learn by interacting with environments")
    assert len(a.authors) == 17 and a.authors[0] == "Chengsong Huang" and a.authors[-1] == "Chen-Yu Lee"
    assert a.year == 2026
    assert a.counters == {"hf upvotes": 163, "hf comments": 1, "github stars": 8}
    assert a.code_urls == ["https://github.com/google-research/envharness"]
    assert a.links == {
        "site": "https://huggingface.co/papers/2608.19880",
        "arxiv": "https://arxiv.org/abs/2608.19880",
        "project": "https://envharness.com/",
    }
    assert a.keywords[:2] == ["LLM agents", "Environment Harness"] and len(a.keywords) == 8
    assert a.extra["paper.ai_summary"].startswith("EnvHarness and EnvRigger dynamically reshape")
    assert a.extra["paper.submittedOnDailyBy"]["user"] == "taesiri"
    assert a.extra["publishedAt"] == "2026-08-19T20:00:00.000Z"  # the listing's date, beside the paper's
    assert b.title == "FACET: Preserving Source Intent and Executable State in Terminal Task Synthesis"
    assert b.authors[-1] == "Feng Zhao" and b.counters["hf upvotes"] == 54 and b.counters["hf comments"] == 2
    assert b.extra["organization"]["fullname"] == "university of science and technology  of china"
    assert ctx.warnings == []
    for rec, item in zip(recs, items):
        assert_no_paper_field_lost(rec, item)


def test_hf_daily_papers_2024_shape():
    recs, _ = run(hf_daily, src("hf_daily_papers_2024-05-27.json"))
    a, b = recs
    assert " ".join(a.title.split()) == "ConvLLaVA: Hierarchical Backbones as Visual Encoder for Large Multimodal Models"
    assert "title" not in a.extra  # the listing's title is the paper's, re-wrapped
    assert a.authors == ["Chunjiang Ge", "Sijie Cheng", "Ziming Wang", "Jiale Yuan", "Yuan Gao", "Jun Song",
                         "Shiji Song", "Gao Huang", "Bo Zheng"]
    assert (a.year, a.counters) == (2024, {"hf upvotes": 32, "hf comments": 3})
    assert a.extra["mediaUrl"] == "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2405.15738.png"
    assert a.extra["paper.authors"][0]["user"]["user"] == "ChunjiangGe"
    assert b.record_id == "2405.15574" and b.authors[-1] == "Yong Man Ro" and b.counters["hf upvotes"] == 28
    for rec, item in zip(recs, raw("hf_daily_papers_2024-05-27.json")):
        assert_no_paper_field_lost(rec, item)


def test_hf_single_paper_object():
    paper = raw("hf_daily_papers_2026-08-21.json")[0]["paper"]
    source = text_src(json.dumps(paper))
    assert registry.detect(source).NAME == "hf_daily"
    (r,), _ = run(hf_daily, source)
    assert r.record_id == "2608.19880" and r.counters["hf upvotes"] == 163


# --- Kaggle arXiv snapshot ----------------------------------------------------------------------


def test_arxiv_kaggle_snapshot_lines():
    recs, ctx = run(arxiv_kaggle, src("arxiv_snapshot.jsonl"))
    assert [r.record_id for r in recs] == ["solv-int/9806004", "1904.00521", "0909.0774", "1503.01470"]
    assert [r.line for r in recs] == [1, 2, 3, 4]
    a, b, c, d = recs
    assert a.ids == {"arxiv": "solv-int/9806004"}
    assert a.links == {"arxiv": "https://arxiv.org/abs/solv-int/9806004", "pdf": "https://arxiv.org/pdf/solv-int/9806004"}
    assert a.title == "Pfaffian form of the Grammian determinant solutions of the BKP hierarchy"
    assert a.authors == ["Q. P. Liu", "Manuel Manas"]
    assert a.abstract.startswith("The Grammian determinant type solutions of the KP hierarchy")
    # the year of the first version, not of the last update
    assert [r.year for r in recs] == [1998, 2019, 2009, 2015]
    assert all(r.venue == "arXiv" for r in recs)
    assert b.authors == ["Yanran Li", "Jeremiah Zhe Liu", "John Paisley", "Marianthi-Anna Kioumourtzoglou", "Brent A. Coull"]
    assert c.authors == ["Zlil Sela"] and len(c.extra["versions"]) == 3
    assert d.authors == ["Q. Baghi", "G. Métris", "J. Bergé", "B. Christophe", "P. Touboul", "M. Rodrigues"]
    assert d.ids == {"arxiv": "1503.01470", "doi": "10.1103/physrevd.91.062003"}
    assert d.extra["journal-ref"] == "Phys. Rev. D 91, 062003, 2015"
    assert d.extra["categories"] == "gr-qc astro-ph.IM"
    assert d.extra["authors"].startswith("Q. Baghi, G. M\\'etris")
    assert ctx.warnings == []
    mapped = {"id", "title", "abstract", "doi", "authors_parsed"}
    for rec, line in zip(recs, (SHAPES / "arxiv_snapshot.jsonl").read_text().splitlines()):
        assert_nothing_lost(rec, json.loads(line), mapped)


def test_arxiv_kaggle_user_venue_and_json_array():
    lines = (SHAPES / "arxiv_snapshot.jsonl").read_text().splitlines()
    source = text_src("[" + ",\n".join(lines[:2]) + "]", "snapshot.json")
    assert registry.detect(source).NAME == "arxiv_kaggle"
    recs, _ = run(arxiv_kaggle, source, venue="NeurIPS")
    assert [r.venue for r in recs] == ["NeurIPS", "NeurIPS"]


# --- Mini-Conf ----------------------------------------------------------------------------------


def test_miniconf_papers_csv():
    recs, _ = run(miniconf, src("miniconf_papers.csv"), venue="ICLR", year=2020)
    a, b, c = recs
    assert [r.record_id for r in recs] == ["B1xSperKvH", "SJlbGJrtDB", "HkgxW0EYDS"]
    assert [r.line for r in recs] == [2, 3, 4]
    assert a.title == "Enabling Deep Spiking Neural Networks with Hybrid Conversion and Spike Timing Dependent Backpropagation"
    assert a.authors == ["Nitin Rathi", "Gopalakrishnan Srinivasan", "Priyadarshini Panda", "Kaushik Roy"]
    assert a.abstract.startswith("Spiking Neural Networks (SNNs) operate with asynchronous discrete events")
    assert (a.venue, a.year, a.session) == ("ICLR", 2020, "Tues Session 1")
    assert a.extra["sessions"] == ["Tues Session 1", "Mon Session 1"]
    assert a.keywords == ["imagenet"]
    assert b.authors == ["Junjie LIU", "Zhe XU", "Runbin SHI", "Ray C. C. Cheung", "Hayden K.H. So"]
    assert b.keywords == ["compression", "network compression", "neural architecture search", "optimization", "pruning"]
    assert b.session is None and b.extra == {}
    assert c.authors == ["Deniz Oktay", "Johannes Ballé", "Saurabh Singh", "Abhinav Shrivastava"]


def test_miniconf_papers_json_keyed_by_uid():
    recs, _ = run(miniconf, src("miniconf_papers.json"), venue="INLG", year=2022)
    a, b, c = recs
    assert [r.record_id for r in recs] == ["paper1", "paper7", "paper38"]
    assert a.title == "BLAB Reporter: Automated journalism covering the Blue Amazon"
    assert a.authors == ["Yan Vianna Sym", "João Gabriel Moura Campos", "Fabio Cozman"]
    assert (a.session, a.venue, a.year) == ("Demo/Poster Session 1", "INLG", 2022)
    assert a.links == {"video": "https://player.vimeo.com/video/730976334"}
    # site-relative paths are no links: they stay in extra, with everything else
    assert a.code_urls == [] and a.extra["code"] == "static/paperfiles/paper1_code.zip"
    assert a.extra["paper"] == "static/paperfiles/paper1_paper.pdf"
    assert a.extra["summary_video"] == "https://player.vimeo.com/video/730976519"
    assert b.title.startswith("'Slow Service' $\\cancel{\\rightarrow}$ 'Great Food'")
    assert c.abstract == "" and c.session == "GenChal" and c.authors[2] == "Zdeněk Kasner"
    mapped = {"UID", "title", "authors", "abstract", "session", "full_video"}
    for rec, item in zip(recs, raw("miniconf_papers.json").values()):
        assert_nothing_lost(rec, item, mapped)


def test_miniconf_list_json_with_absolute_links():
    rows = [{"UID": "x1", "title": "T", "authors": "A B|C D", "keywords": "k1|k2", "sessions": "S1",
             "pdf_url": "https://openreview.net/pdf?id=AbCdEfGhIj", "code": "https://github.com/a/b"}]
    source = text_src(json.dumps(rows), "papers.json")
    assert registry.detect(source).NAME == "miniconf"
    (r,), _ = run(miniconf, source)
    assert (r.authors, r.keywords, r.session) == (["A B", "C D"], ["k1", "k2"], "S1")
    assert r.ids == {"openreview": "AbCdEfGhIj"} and r.code_urls == ["https://github.com/a/b"]
    assert r.links["forum"] == "https://openreview.net/forum?id=AbCdEfGhIj"


# --- OpenReview ---------------------------------------------------------------------------------


def test_openreview_notes_keyed_by_forum_id():
    recs, ctx = run(openreview, src("openreview_keyed_papers.json"), venue="ICLR")
    a, b, c = recs
    assert [r.record_id for r in recs] == ["rkgt0REKwS", "rJeB36NKvB", "rkl8dlHYvB"]
    assert a.title == "Curriculum Loss: Robust Learning and Generalization  against Label Corruption"
    assert a.authors == ["Yueming Lyu", "Ivor W. Tsang"]
    assert (a.venue, a.year) == ("ICLR", 2020)  # the year from the note's _bibtex, the venue from --venue
    assert a.keywords == ["curriculum learning", "expressive power", "generalization", "robust learning", "robustness"]
    assert a.links["pdf"] == "https://openreview.net/pdf/800966a39eedb870f2172779e97ac57edbff69e5.pdf"
    assert a.ids == {"openreview": "rkgt0REKwS"}
    assert a.extra["TL;DR"].startswith("A novel loss bridges curriculum learning")
    assert b.authors == ["Md Amirul Islam", "Sen Jia", "Neil D. B. Bruce"]  # equal-contribution marks dropped
    assert c.authors[-1] == "Hao Su" and c.keywords == ["zero shot learning"]
    assert ctx.warnings == []
    notes = raw("openreview_keyed_papers.json")
    for rec in recs:
        note = notes[rec.record_id]
        assert_nothing_lost(rec, note["content"], {"title", "authors", "abstract", "keywords", "pdf"})


def test_openreview_crawler_output_applies_the_wrappers_venue_and_year():
    recs, ctx = run(openreview, src("openreview_crawler.json"))
    a, b = recs
    assert [r.record_id for r in recs] == ["HkghWScuoQ", "r1eLk2mKiX"]
    assert a.title == "Targeted Dropout"
    assert a.authors == ["Aidan N. Gomez", "Ivan Zhang", "Kevin Swersky", "Yarin Gal", "Geoffrey E. Hinton"]
    assert (a.venue, a.year, a.track) == ("NIPS", 2018, "accept")  # the decision among the nested replies
    assert a.extra["group"] == {"venue": "NIPS.cc", "year": 2018}
    assert a.extra["number"] == 36 and len(a.extra["notes"]) == 2 and len(a.extra["revisions"]) == 1
    assert b.title == "Rethinking the Value of Network Pruning"
    assert b.keywords == ["Network Pruning", "Network Compression", "Architecture Search", "Training from Scratch"]
    assert b.links["pdf"] == "https://openreview.net/pdf/dad7038fa745bf15afe2a9f5692a5c51a5433084.pdf"
    assert ctx.warnings == []
    submissions = raw("openreview_crawler.json")[0]["submissions"]
    for rec, note in zip(recs, submissions):
        assert_nothing_lost(rec, note, {"id", "forum", "content"})


def test_openreview_wrapper_venue_applies_where_the_notes_say_none():
    wrapper = raw("openreview_crawler.json")[0]
    for note in wrapper["submissions"]:
        note.pop("invitation")
    wrapper["venue"], wrapper["year"] = "ICLR.cc", 2019
    (a, _), _ = run(openreview, text_src(json.dumps([wrapper])))
    assert (a.venue, a.year) == ("ICLR", 2019)


def test_openreview_plain_list_and_notes_object_of_the_same_notes():
    submissions = raw("openreview_crawler.json")[0]["submissions"]
    for text in (json.dumps(submissions), json.dumps({"notes": submissions, "count": 2})):
        source = text_src(text)
        assert registry.detect(source).NAME == "openreview"
        recs, ctx = run(openreview, source)
        assert [(r.title, r.venue, r.year) for r in recs] == [
            ("Targeted Dropout", "NIPS", 2018), ("Rethinking the Value of Network Pruning", "NIPS", 2018)]


def test_openreview_v2_notes_keyed_and_wrapped():
    notes = json.loads((DATA / "structured" / "openreview_v2.json").read_text())  # a plain list of notes
    papers = [n for n in notes if n.get("forum") == n.get("id")]
    keyed = {n["forum"]: n for n in papers}
    wrapped = [{"venue": "ICLR.cc", "year": 2024, "submissions": papers}]
    for text in (json.dumps(keyed), json.dumps(wrapped)):
        source = text_src(text)
        assert registry.detect(source).NAME == "openreview"
        recs, _ = run(openreview, source)
        assert [(r.title, r.venue, r.year, r.track) for r in recs][0] == (
            "A Wrapped Title for an API v2 Note", "ICLR", 2024, "Poster")


def test_openreview_keyed_and_nested_shapes_no_longer_fail_as_one_untitled_record():
    for name in ("openreview_keyed_papers.json", "openreview_crawler.json"):
        recs, _ = run(openreview, src(name))
        assert recs and all(r.title for r in recs)


# --- generic records: authors, dates, ids -------------------------------------------------------


@pytest.mark.parametrize(
    "text, names, affiliations",
    [
        ("Nitin Rathi|Gopalakrishnan Srinivasan|Kaushik Roy", ["Nitin Rathi", "Gopalakrishnan Srinivasan", "Kaushik Roy"], None),
        ("Jane Doe (MIT)", ["Jane Doe"], ["MIT"]),
        ("Jane Doe (MIT, CSAIL), John Roe", ["Jane Doe", "John Roe"], ["MIT, CSAIL", None]),
        ("Max K&#228;fer; Jane Doe", ["Max Käfer", "Jane Doe"], None),
        ("K&#228;fer, Max", ["Max Käfer"], None),
        ("Doe, Jane", ["Jane Doe"], None),
        ("Jane Doe, John Roe, Ann Poe", ["Jane Doe", "John Roe", "Ann Poe"], None),
        ("Doe, Jane and Roe, John", ["Jane Doe", "John Roe"], None),
        ("Jane Doe, John Roe, and Ann Poe", ["Jane Doe", "John Roe", "Ann Poe"], None),
        ("Bal'azs, C., Berger, E. L., Yuan, C.-P.", None, None),  # odd count: not pairs
        ("Bal'azs, C., Berger, E. L., Nadolsky, P. M., Yuan, C.-P.",
         ["C. Bal'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"], None),
        ("van Dam, Jan", ["Jan van Dam"], None),
        ("Zhang, Yixiao*; Jiang, Junyan", ["Yixiao Zhang", "Junyan Jiang"], None),
        ("Yixiao Zhang (Centre for Digital Music, Queen Mary University of London)*; Junyan Jiang (NYU Shanghai)",
         ["Yixiao Zhang", "Junyan Jiang"], ["Centre for Digital Music, Queen Mary University of London", "NYU Shanghai"]),
        ("Wei (David) Chen, Ann Poe", ["Wei (David) Chen", "Ann Poe"], None),
        ("Diederik P. Kingma and Jimmy Ba", ["Diederik P. Kingma", "Jimmy Ba"], None),
    ],
)
def test_author_strings(text, names, affiliations):
    got_names, got_affs = split_author_string(text)
    if names is not None:
        assert got_names == names
    assert got_affs == (affiliations or [None] * len(got_names))


def test_author_lists_drop_marks_and_decode_entities():
    assert split_authors(["Md Amirul Islam*", "K&#228;fer", {"family": "Doe", "given": "Jane"}, ["Liu", "Q. P.", ""]]) == [
        "Md Amirul Islam", "Käfer", "Jane Doe", "Q. P. Liu"]


@pytest.mark.parametrize(
    "value, year",
    [({"date-parts": [[2019, 3, 1]]}, 2019), ({"raw": "2004-05"}, 2004), ([[1999]], 1999),
     ("Thu, 11 Jun 1998 16:08:07 GMT", 1998), ({"date-parts": [[]]}, None), ({}, None)],
)
def test_years_from_csl_dates(value, year):
    assert year_of(value) == year


def test_records_reads_miniconf_csv_and_csl_and_s2_fields_generically():
    recs, _ = run(records, src("miniconf_papers.csv"))
    assert recs[0].authors == ["Nitin Rathi", "Gopalakrishnan Srinivasan", "Priyadarshini Panda", "Kaushik Roy"]
    assert recs[1].keywords[:2] == ["compression", "network compression"]
    s2, _ = run(records, src("s2_citations.json"))
    assert [r.ids for r in s2] == [{"doi": "10.1109/jas.2024.124407"}, {"arxiv": "2405.19561"}, {"arxiv": "2405.13352"}]
    assert s2[1].extra["externalIds"] == {"CorpusId": 270123120}
    assert s2[0].links["pdf"] == "https://ieeexplore.ieee.org/ielx7/6570654/10539265/10539310.pdf"
    assert s2[0].extra["authors"] == raw("s2_citations.json")[0]["authors"]  # the author ids kept
    text = json.dumps([
        {"title": "A", "author": "Jane Doe (MIT), John Roe", "issued": {"date-parts": [[2019, 3]]},
         "container-title": ["Journal of Foo"]},
        {"title": "B", "authors": "K&#228;fer, Lars; Ann Poe"},
    ])
    a, b = run(records, text_src(text))[0]
    assert (a.authors, a.year, a.venue) == (["Jane Doe", "John Roe"], 2019, "Journal of Foo")
    assert a.extra["author affiliations"] == ["MIT", None]
    assert b.authors == ["Lars Käfer", "Ann Poe"]


def test_records_reads_keyed_objects_and_wrappers():
    keyed = {"p1": {"title": "One", "authors": ["A"]}, "p2": {"title": "Two", "id": "p2"}}
    recs, _ = run(records, text_src(json.dumps(keyed)))
    assert [(r.record_id, r.title) for r in recs] == [("p1", "One"), ("p2", "Two")]
    wrapped = [{"conference": "ICLR", "year": 2020, "papers": [{"title": "One"}, {"title": "Two", "year": 2021}]}]
    recs, _ = run(records, text_src(json.dumps(wrapped)))
    assert [(r.title, r.venue, r.year) for r in recs] == [("One", "ICLR", 2020), ("Two", "ICLR", 2021)]
    assert recs[0].extra["group"] == {"conference": "ICLR", "year": 2020}


def test_clean_records_of_every_shape_keep_their_fields():
    for name, parser_name in DETECT.items():
        parser = registry.parsers()[parser_name]
        for rec in parser.parse(src(name), ParseContext(path=name)):
            clean_record(rec)
            assert rec.title and "\n" not in rec.title
            json.dumps(rec.extra)  # extra stays JSON-serialisable


# --- damaged copies ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DETECT))
def test_truncated_copies_are_parse_errors_naming_the_file(name):
    data = (SHAPES / name).read_bytes()
    parser = registry.parsers()[DETECT[name]]
    with pytest.raises(ParseError) as info:  # cut in the middle of a line / a quoted cell / an array
        list(parser.parse(Source(path=name, data=data[: len(data) // 2]), ParseContext(path=name)))
    assert info.value.path == name and info.value.line


@pytest.mark.parametrize("name", sorted(DETECT))
def test_damaged_copies_raise_only_parse_errors(name):
    data = (SHAPES / name).read_bytes()
    rng = random.Random(name)
    for _ in range(40):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        source = Source(path=name, data=bytes(damaged[: rng.randint(1, len(damaged))]))
        for parser in registry.parsers().values():
            assert 0 <= parser.sniff(source) <= 100
            if parser.NAME in {p.NAME for p in (*NEW, openreview, records)}:
                try:
                    list(parser.parse(source, ParseContext(path=name, skip_bad=True)))
                except ParseError:
                    pass
