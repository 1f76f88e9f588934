"""The files researchers already have: RIS (Zotero, EndNote, Scopus/WoS "export to RIS"), Web of
Science tagged export, CSL-JSON (Zotero, citeproc, pandoc, Manubot) and dblp XML.

The fixtures under ``tests/data/bibformats/`` are real files (or verbatim excerpts) from public
repositories; ``tests/data/bibformats/README.md`` names each one's repository, path, commit and
licence. Every expected value below was read off the fixture by hand.
"""

from __future__ import annotations

import gzip
import json
import struct
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperatlas.errors import ParseError
from paperatlas.ingest import parse_source, registry, unmapped_fields
from paperatlas.ingest.base import ParseContext, Source
from paperatlas.models import Record
from paperatlas.services.ingest import ingest_paths

DATA = Path(__file__).parent / "data"
BIB = DATA / "bibformats"
MINE = {"ris", "csl_json", "dblp_xml"}


def records(name: str, data: bytes | None = None, fmt: str | None = None, **ctx: Any) -> list[Record]:
    """The parser's own records for a fixture (or for ``data`` under that name)."""
    raw = (BIB / name).read_bytes() if data is None else data
    source = Source.from_bytes(name, raw)
    parser = registry.get(fmt) if fmt else registry.detect(source)
    return list(parser.parse(source, ParseContext(path=name, **ctx)))


def parse_with(fmt: str, data: bytes, name: str = "x", **ctx: Any) -> tuple[list[Record], ParseContext]:
    context = ParseContext(path=name, **ctx)
    return list(registry.get(fmt).parse(Source(name, data), context)), context


# ------------------------------------------------------------------------------------------------
# RIS


def test_ris_zotero_export():
    recs = records("zotero.ris")  # CRLF line ends, as Zotero writes them
    assert [r.line for r in recs] == [1, 35, 56]
    assert [r.position for r in recs] == [1, 2, 3]
    first = recs[0]
    assert first.title == "An open source machine learning framework for efficient and transparent systematic reviews"
    assert len(first.authors) == 17
    assert first.authors[:2] == ["Rens van de Schoot", "Jonathan de Bruin"]
    assert first.authors[-1] == "Daniel Oberski"
    assert first.year == 2021
    assert first.venue == "Nature Machine Intelligence"
    assert first.ids == {"doi": "10.1038/s42256-020-00287-7"}
    assert first.abstract.startswith("To help researchers conduct a systematic review or meta-analysis")
    assert first.links["site"] == "https://lens.org/106-059-195-106-980"
    assert first.links["doi"] == "https://doi.org/10.1038/s42256-020-00287-7"
    assert first.extra["file_attachments2"] == ["https://www.nature.com/articles/s42256-020-00287-7"]
    assert (first.extra["volume"], first.extra["start_page"], first.extra["end_page"]) == ("3", "125", "133")
    assert first.extra["type_of_reference"] == "JOUR"
    assert recs[1].title == "Systematic search of Bayesian statistics in the field of psychotraumatology"
    assert recs[1].authors == ["Rens van de Schoot", "Naomi Schalken", "Miranda Olff"]
    assert (recs[1].year, recs[1].venue) == (2017, "European journal of psychotraumatology")
    assert recs[1].ids == {"doi": "10.1080/20008198.2017.1375339"}
    third = recs[2]
    assert third.title == "Escape education: A systematic review on escape rooms in education"
    assert third.authors == ["Alice Veldkamp", "Liesbeth van de Grint", "Marie-Christine P. J. Knippels",
                             "Wouter R. van Joolingen"]
    assert (third.year, third.venue) == (2020, "Educational Research Review")  # DA is "2020///nan"
    assert third.ids == {"doi": "10.1016/j.edurev.2020.100364"}


def test_ris_web_of_science_exported_as_ris():
    recs = records("wos_as_ris.ris")
    assert [r.line for r in recs] == [1, 48]
    first, second = recs
    assert first.title == "Holding Yourself Captive: Perceptions of Custody During Interviews and Interrogations"
    assert first.authors == ["F Alceste", "TJ Luke", "SM Kassin"]
    assert (first.year, first.venue) == (2018, "JOURNAL OF APPLIED RESEARCH IN MEMORY AND COGNITION")
    assert first.ids == {"doi": "10.1016/j.jarmac.2018.03.001"}
    assert first.record_id == "WOS:000444108200009"  # AN, there being no ID
    assert first.keywords[:4] == ["Police custody", "Interview", "Interrogation", "Perception of freedom"]
    assert len(first.keywords) == 11
    assert first.abstract.startswith("Police custody activates important legal safeguards.")
    # tags rispy does not know are kept under their own names; N1's continuation lines are kept
    assert (first.extra["PU"], first.extra["J9"]) == ("ELSEVIER SCIENCE INC", "J APPL RES MEM COGN")
    assert first.extra["notes"][0] == "Times Cited in Web of Science Core Collection:  5"
    assert second.title.startswith("When Self-Report Trumps Science: Effects of Confessions, DNA")
    assert second.authors == ["SC Appleby", "SM Kassin"]
    assert (second.year, second.ids) == (2016, {"doi": "10.1037/law0000080"})


def test_ris_rispy_sample_with_text_between_records():
    recs = records("rispy_full.ris")  # "1." and "2." lines before each TY
    assert [r.line for r in recs] == [2, 27]
    first = recs[0]
    assert first.title == "Title of reference"  # T1
    assert first.authors == ["Karl Marx", "Astrid Lindgren"]  # A1; A2 (editor) is not an author
    assert first.year == 2014  # Y1 "2014//"
    assert first.abstract.startswith("BACKGROUND: Lorem ipsum dolor sit amet")  # N2
    assert first.venue == "Lorem"  # JF
    assert first.keywords == ["Pippi", "Nordwind", "Piraten"]
    assert first.record_id == "12345"
    assert first.links == {"site": "http://example_url.com"}
    assert first.extra["secondary_authors"] == ["Glattauer, Daniel"]
    assert first.extra["publisher"] == "Fun Factory"
    assert (recs[1].title, recs[1].year, recs[1].authors[0]) == ("The title of the reference", 2006, "Karlus Marxus")


def test_ris_endnote_continuation_lines():
    [rec] = records("endnote.ris")
    assert rec.title == "EndNote: The Only Reference I Can Remember"
    assert rec.authors == ["A. Nonymous Smith", "J. Doe", "N. Ote End", "E. Rence Ref"]
    assert (rec.year, rec.venue, rec.record_id) == (2024, "Journal of Reference Management", "123")
    assert rec.ids == {"doi": "10.1234/endnote.joke.2024"}
    # EndNote writes one keyword a line after a single KW tag
    assert rec.keywords == ["citation", "reference", "library", "wizardry", "coffee", "procrastination",
                            "EndNote", "RIS"]
    assert rec.links["site"] == "https://www.endnote.com/"
    assert rec.extra["urls"] == ["https://www.reference-jokes.org/"]
    assert rec.extra["author_address"].startswith("Department of Bibliographic Sorcery")
    assert "J. Doe, Department" in rec.extra["author_address"]


def test_web_of_science_tagged_export():
    recs = records("wos_export.txt")
    assert [r.line for r in recs] == [3, 112]
    first = recs[0]
    # TI continues on an indented line
    assert first.title == ("Interactions stabilizing the structure of the core light-harvesting complex (LHl) "
                           "of photosynthetic bacteria and its subunit (B820)")
    assert first.authors == ["PS Parkes-Loach", "AP Majeed", "CJ Law", "PA Loach"]  # AF, "Last, First" flipped
    assert (first.year, first.venue) == (2004, "BIOCHEMISTRY")
    assert first.ids == {"doi": "10.1021/bi049798f"}
    assert first.record_id == "WOS:000221807500019"
    assert first.abstract.startswith("Reconstitution experiments with a chemically synthesized core")
    assert first.extra["keywords_plus"].startswith("CHEMICALLY SYNTHESIZED POLYPEPTIDES; IN-VITRO RECONSTITUTION;")
    assert len(first.extra["cited_references"]) == 59  # NR 59
    assert first.extra["pubmed_id"] == "15170338"
    second = recs[1]
    assert second.title == ("Proximal and distal influences on ligand binding kinetics in microperoxidase "
                            "and heme model compounds")
    assert len(second.authors) == 9 and second.authors[0] == "WX Cao" and second.authors[-1] == "PM Champion"
    assert (second.year, second.ids, second.record_id) == (2004, {"doi": "10.1021/bi0497291"}, "WOS:000221807500020")


def test_ris_record_without_er_at_the_end_names_its_line():
    lines = (BIB / "zotero.ris").read_bytes().split(b"\r\n")
    assert lines[-2] == b"ER  -"
    data = b"\r\n".join(lines[:-2]) + b"\r\n"
    with pytest.raises(ParseError) as err:
        records("zotero.ris", data)
    assert err.value.line == 56 and err.value.record == 3
    assert "line 56" in str(err.value) and "'ER  -'" in str(err.value)
    recs, ctx = parse_with("ris", data, skip_bad=True)
    assert [r.line for r in recs] == [1, 35]
    assert ctx.warnings == [
        "record 3 (line 56) is not closed: the file ends before its 'ER  -' line (truncated copy?); skipped"
    ]


def test_ris_record_without_er_before_the_next_record():
    text = (BIB / "endnote.ris").read_text()
    data = (text.replace("ER  -\n", "") + "\n" + text).encode()
    with pytest.raises(ParseError, match=r"record 1 \(line 1\) is not closed: the next record starts at line 37"):
        records("x.ris", data)
    recs, ctx = parse_with("ris", data, skip_bad=True)
    assert [(r.position, r.line) for r in recs] == [(2, 37)]
    assert "record 1 (line 1) is not closed" in ctx.warnings[0]


def test_web_of_science_record_without_er():
    data = b"\n".join((BIB / "wos_export.txt").read_bytes().split(b"\n")[:200])
    with pytest.raises(ParseError) as err:
        records("wos_export.txt", data)
    assert err.value.line == 112 and "'ER'" in str(err.value)
    recs, ctx = parse_with("ris", data, skip_bad=True)
    assert [r.line for r in recs] == [3] and "record 2 (line 112)" in ctx.warnings[0]


def test_ris_windows_1252_and_one_space_tags():
    data = "TY - JOUR\nTI - Caf\xe9 society\nAU - M\xfcller, J\xfcrgen\nPY - 1999\nER -\n".encode("cp1252")
    recs, ctx = parse_with("ris", data)
    assert [(r.title, r.authors, r.year) for r in recs] == [("Café society", ["Jürgen Müller"], 1999)]
    assert ctx.warnings == ["the file is not UTF-8; read it as Windows-1252"]


def test_ris_ids_and_venues_from_other_tags():
    data = (
        b"TY  - CONF\nT1  - Adam: A Method for Stochastic Optimization\nAU  - Kingma, Diederik P.\n"
        b"AU  - Ba, Jimmy\nBT  - ICLR\nDA  - 2015/05/07/\nUR  - https://arxiv.org/abs/1412.6980v9\n"
        b"L1  - file:///home/me/adam.pdf\nL1  - https://arxiv.org/pdf/1412.6980\nER  - \n"
    )
    [rec], _ = parse_with("ris", data)
    assert (rec.title, rec.venue, rec.year) == ("Adam: A Method for Stochastic Optimization", "ICLR", 2015)
    assert rec.authors == ["Diederik P. Kingma", "Jimmy Ba"]
    assert rec.ids == {"arxiv": "1412.6980"}
    assert rec.links == {"arxiv": "https://arxiv.org/abs/1412.6980v9", "pdf": "https://arxiv.org/pdf/1412.6980"}
    assert rec.extra["file_attachments1"] == ["file:///home/me/adam.pdf"]  # a local file is no link
    assert "primary_title" not in rec.extra  # T1 is the title: not kept twice


def test_ris_doi_from_a_url_and_journal_from_jo():
    data = b"TY  - JOUR\nTI  - Paper\nJO  - KDD\nPY  - 2019\nUR  - https://doi.org/10.1145/3292500.3330701\nER  - \n"
    [rec], _ = parse_with("ris", data)
    assert (rec.venue, rec.year, rec.ids) == ("KDD", 2019, {"doi": "10.1145/3292500.3330701"})
    assert rec.links == {"doi": "https://doi.org/10.1145/3292500.3330701"}


def test_web_of_science_keywords_and_continued_values():
    data = (b"FN Clarivate Analytics Web of Science\nVR 1.0\nPT C\nAU Doe, J\nAF Doe, Jane\n   Roe, Richard\n"
            b"TI Graph attention\n   for all\nSO PROCEEDINGS OF ICML\nDE graph neural networks; attention;\n"
            b"   transformers\nEY 2021\nUT WOS:000000000000001\nER\n\nEF\n")
    [rec], ctx = parse_with("ris", data)
    assert (rec.title, rec.authors) == ("Graph attention for all", ["Jane Doe", "Richard Roe"])
    assert rec.keywords == ["graph neural networks", "attention", "transformers"]
    assert (rec.venue, rec.year, rec.record_id) == ("PROCEEDINGS OF ICML", 2021, "WOS:000000000000001")
    assert rec.extra["authors"] == ["Doe, J"] and rec.extra["publication_type"] == "C"
    assert ctx.warnings == []


def test_ris_record_without_title():
    data = b"TY  - JOUR\nAU  - Doe, J.\nER  - \nTY  - JOUR\nTI  - Kept\nER  - \n"
    with pytest.raises(ParseError, match="record 1 has no title"):
        parse_with("ris", data)
    recs, ctx = parse_with("ris", data, skip_bad=True)
    assert [r.title for r in recs] == ["Kept"] and ctx.warnings == ["record 1 (line 1): no title; skipped"]


# ------------------------------------------------------------------------------------------------
# CSL-JSON


def test_csl_manubot_bibliography():
    recs = records("manubot_bibliography.json")
    assert [r.line for r in recs] == [2, 41, 70]
    fermi, bees, review = recs
    assert fermi.title == "Generalization of the Fermi Pseudopotential"
    assert fermi.authors == ["Trang T. Le", "Zach Osman", "D. K. Watson", "Martin Dunn", "B. A. McKinney"]  # literal
    assert (fermi.year, fermi.venue, fermi.record_id) == (2018, "arXiv", "s33GCagP")
    assert fermi.ids == {"doi": "10.1088/1402-4896/ab0811", "arxiv": "1806.05726"}
    assert fermi.links["arxiv"] == "https://arxiv.org/abs/1806.05726v1"
    assert "For Cartesian dimensions $d>1$" in fermi.abstract  # LaTeX kept for display
    assert fermi.extra["note"].startswith("This CSL Item was generated by Manubot")
    assert bees.title == "Honey bee sting pain index by body location"
    assert bees.authors == ["Michael L. Smith"]  # family + given
    assert (bees.year, bees.venue) == (2014, "PeerJ")
    assert bees.ids == {"doi": "10.7717/peerj.338"}  # the note names a DOI, not an arXiv id
    assert bees.links["site"] == "https://doi.org/gfrfbm"  # a shortDOI is no DOI
    assert (bees.extra["PMID"], bees.extra["volume"], bees.extra["page"]) == ("24765572", "2", "e338")
    assert review.title == "Opportunities and obstacles for deep learning in biology and medicine."
    assert len(review.authors) == 36
    assert (review.authors[0], review.authors[-1]) == ("Travers Ching", "Casey S Greene")
    assert (review.year, review.venue) == (2018, "Journal of the Royal Society, Interface")
    assert review.ids == {"doi": "10.1098/rsif.2017.0387"}
    assert review.abstract.startswith("Deep learning describes a class of machine learning algorithms")
    assert review.extra["container-title-short"] == "J R Soc Interface"


def test_csl_arxiv_item_with_string_date_parts():
    [rec] = records("manubot_arxiv_joss.json")
    assert rec.title == "Journal of Open Source Software (JOSS): design and first-year review"
    assert len(rec.authors) == 16 and rec.authors[0] == "Arfon M Smith"
    assert rec.year == 2017  # "date-parts": [["2017", "07", "07"]]
    assert rec.venue == "arXiv"
    assert rec.ids == {"arxiv": "1707.02264", "doi": "10.7717/peerj-cs.147"}
    assert rec.abstract.startswith("This article describes the motivation, design, and progress of the Journal of\nOpen")
    assert (rec.extra["number"], rec.extra["type"]) == ("1707.02264v3", "report")


def test_csl_pandoc_bibliography_jats_abstract_and_webpage():
    scihub, blog = records("manubot_pandoc_bibliography.json")
    assert scihub.title == "Sci-Hub provides access to nearly all scholarly literature"
    assert scihub.record_id == "doi:10.7554/elife.32822"
    assert scihub.authors[1] == "Ariel Rodriguez Romero"
    assert (scihub.year, scihub.venue, scihub.ids) == (2018, "eLife", {"doi": "10.7554/elife.32822"})
    assert scihub.abstract.startswith("The website Sci-Hub enables users to download PDF versions")
    assert "<jats:p>" not in scihub.abstract and scihub.abstract.endswith("may become unsustainable.")
    assert blog.title == "TechBlog: ‘Manubot’ powers a crowdsourced ‘deep-learning’ review : Naturejobs Blog"
    assert (blog.authors, blog.year, blog.venue) == ([], None, None)  # only an access date
    assert blog.extra["accessed"] == {"date-parts": [["2019", 3, 12]]}


def test_csl_shapes_names_dates_and_markup():
    items = {"items": [
        {"id": "a", "type": "article", "title": "A <i>sparse</i> attention", "number": "arXiv:2101.00001",
         "author": [{"family": "Waals", "non-dropping-particle": "van der", "given": "J. D."},
                    {"literal": "The LIGO Scientific Collaboration"},
                    {"family": "King", "given": "Martin Luther", "suffix": "Jr."}],
         "issued": {"raw": "2021-01-05"}, "note": "arXiv: 2101.00001"},
        {"id": 7, "title": ["Crossref-style title"], "container-title": ["Nature"], "issued": {"literal": "circa 1850"},
         "author": ["Smith, John"], "DOI": "https://doi.org/10.1000/XYZ", "keyword": "graphs; learning",
         "event-title": "ignored when there is a container"},
        {"title": "Poster paper", "type": "paper-conference", "genre": "Poster", "event-title": "ICLR 2024",
         "issued": {"date-parts": [[2024]]}, "DOI": "10.48550/arXiv.2402.00001"},
    ]}
    a, b, c = parse_with("csl_json", json.dumps(items).encode())[0]
    assert a.title == "A sparse attention"
    assert a.authors == ["J. D. van der Waals", "The LIGO Scientific Collaboration", "Martin Luther King Jr."]
    assert (a.year, a.ids) == (2021, {"arxiv": "2101.00001"})
    assert (b.title, b.venue, b.year, b.record_id) == ("Crossref-style title", "Nature", 1850, "7")
    assert b.authors == ["John Smith"] and b.ids == {"doi": "10.1000/xyz"}
    assert b.keywords == ["graphs", "learning"]
    assert (c.venue, c.track, c.year) == ("ICLR 2024", "Poster", 2024)
    assert c.ids == {"doi": "10.48550/arxiv.2402.00001", "arxiv": "2402.00001"}


def test_csl_crossref_message_and_jsonl():
    crossref = {"status": "ok", "message": {"items": [
        {"title": ["One"], "published-print": {"date-parts": [[2019, 3]]}, "container-title": ["J"]},
        {"title": ["Two"]}]}}
    recs, _ = parse_with("csl_json", json.dumps(crossref).encode())
    assert [(r.title, r.year, r.venue) for r in recs] == [("One", 2019, "J"), ("Two", None, None)]
    jsonl = b'{"title": "A", "issued": {"date-parts": [[2020]]}}\n{"title": "B"}\n'
    recs, _ = parse_with("csl_json", jsonl)
    assert [(r.title, r.year, r.line) for r in recs] == [("A", 2020, 1), ("B", None, 2)]


def test_csl_items_keyed_by_id():
    keyed = {"smith2020": {"type": "article-journal", "title": "Keyed one", "issued": {"date-parts": [[2020]]}},
             "doe2021": {"id": "own-id", "title": "Keyed two"}}
    recs, _ = parse_with("csl_json", json.dumps(keyed).encode())
    assert [(r.title, r.record_id, r.year) for r in recs] == [("Keyed one", "smith2020", 2020), ("Keyed two", "own-id", None)]


def test_csl_items_that_are_not_objects():
    data = b'[\n{"title": "First"},\n42,\n"just text",\n{"title": "Last"}\n]'
    with pytest.raises(ParseError) as err:
        parse_with("csl_json", data)
    assert err.value.record == 2 and err.value.line == 3
    assert "record 2 is a JSON number, not a CSL item (an object)" in str(err.value)
    recs, ctx = parse_with("csl_json", data, skip_bad=True)
    assert [r.title for r in recs] == ["First", "Last"]
    assert [r.position for r in recs] == [1, 4]
    assert ctx.warnings == [
        "record 2 (line 3): a JSON number, not a CSL item (an object); skipped",
        "record 3 (line 4): a JSON string, not a CSL item (an object); skipped",
    ]


def test_csl_item_without_title():
    data = b'[{"id": "k1", "author": [{"family": "Doe"}]}, {"title": "T"}]'
    with pytest.raises(ParseError, match=r"record 1 \(id 'k1'\) has no title"):
        parse_with("csl_json", data)
    recs, _ = parse_with("csl_json", data, skip_bad=True)
    assert [r.title for r in recs] == ["T"]


@pytest.mark.parametrize("data", [
    b"[" * 200_000,  # deeply nested: an array
    b'[{"title": "x", "note": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_000 + b"}]",  # deep inside an item
    b'{"items": [' + b"[" * 200_000,
])
def test_csl_deeply_nested_json_is_an_error_quickly(data):
    start = time.perf_counter()
    with pytest.raises(ParseError, match="nested too deeply|malformed"):
        parse_with("csl_json", data)
    assert time.perf_counter() - start < 5


def test_csl_huge_numbers_stay_bounded():
    # an integer of 5000 digits: Python refuses to convert it; a float overflows to infinity
    digits = b'[{"title": "x", "issued": {"date-parts": [[' + b"9" * 5000 + b"]]}}]"
    with pytest.raises(ParseError, match="cannot be read"):
        parse_with("csl_json", digits)
    recs, _ = parse_with("csl_json", b'[{"title": "x", "issued": {"date-parts": [[1e999]]}, "volume": 1e999}]')
    assert recs[0].year is None and recs[0].extra["volume"] is None
    recs, _ = parse_with("csl_json", b'[{"title": "x", "issued": {"date-parts": [[1000000000]]}}]')
    assert recs[0].year is None


def test_csl_gzip_claiming_a_gigabyte_stays_bounded():
    raw = bytearray(gzip.compress((BIB / "manubot_bibliography.json").read_bytes()))
    raw[-4:] = struct.pack("<I", 1 << 30)  # the gzip trailer claims 1 GiB of content
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match="gzip"):
            Source.from_bytes("refs.json.gz", bytes(raw))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * 1024**2
    # an honest gzip of the same file reads as usual
    source = Source.from_bytes("refs.json.gz", gzip.compress((BIB / "manubot_bibliography.json").read_bytes()))
    assert registry.detect(source).NAME == "csl_json"


def test_csl_long_values_stay_fast():
    big = [{"title": "T" * 5_000_000, "abstract": "<jats:p>" + "word " * 1_000_000 + "</jats:p>",
            "author": [{"family": f"F{i}", "given": "G"} for i in range(10_000)]}]
    start = time.perf_counter()
    [rec], _ = parse_with("csl_json", json.dumps(big).encode())
    assert time.perf_counter() - start < 10
    assert len(rec.title) == 5_000_000 and len(rec.authors) == 10_000 and "<jats:p>" not in rec.abstract


# ------------------------------------------------------------------------------------------------
# dblp XML


def test_dblp_dump_excerpt_with_named_entities():
    recs = records("dblp_acta.xml")  # ISO-8859-1, <!DOCTYPE dblp SYSTEM "dblp.dtd">, &ouml; &uuml; &aacute;
    assert [r.line for r in recs] == [4, 15, 25, 36, 46, 57, 68, 80, 92, 102]
    first = recs[0]
    assert first.record_id == "journals/acta/Saxena96"
    assert first.title == "Parallel Integer Sorting and Simulation Amongst CRCW Models"  # dblp's final "." dropped
    assert (first.authors, first.year, first.venue) == (["Sanjeev Saxena"], 1996, "Acta Inf.")
    assert first.ids == {"doi": "10.1007/bf03036466"}
    assert first.links["doi"] == "http://dx.doi.org/10.1007/BF03036466"
    assert first.links["detail"] == "https://dblp.org/rec/journals/acta/Saxena96"
    assert (first.extra["pages"], first.extra["volume"], first.extra["number"]) == ("607-619", "33", "7")
    assert (first.extra["mdate"], first.extra["type"]) == ("2011-01-11", "article")
    assert first.extra["url"] == "db/journals/acta/acta33.html#Saxena96"
    schonhage = recs[4]
    assert schonhage.authors == ["Arnold Schönhage"]
    assert schonhage.title == "Schnelle Multiplikation von Polynomen über Körpern der Charakteristik 2"
    assert recs[7].record_id == "journals/acta/FinkelC87" and recs[7].year == 1988  # the key's year is not the year
    last = recs[9]
    assert last.authors == ["Symeon Bozapalidis", "Zoltán Fülöp", "George Rahonis"]  # "Fülöp 0001": homonym no.
    assert last.ids == {"doi": "10.1007/s00236-011-0148-5"}


def test_dblp_records_without_root_pids_and_corr():
    acl, aaai, corr = records("dblp_records_openreview.xml")  # three records, no <dblp> root, no prolog
    assert [r.line for r in (acl, aaai, corr)] == [1, 15, 31]
    assert acl.record_id == "conf/acl/ChangSRM23"
    assert acl.title == "Multi-CLS BERT: An Efficient Alternative to Traditional Ensembling"
    assert acl.authors == ["Haw-Shiuan Chang", "Ruei-Yao Sun", "Kathryn Ricci", "Andrew McCallum"]
    assert (acl.year, acl.venue) == (2023, "ACL (1)")
    assert acl.ids == {"doi": "10.18653/v1/2023.acl-long.48"}
    assert acl.links["site"] == "https://aclanthology.org/2023.acl-long.48"
    assert acl.extra["author_ids"][3] == {"name": "Andrew McCallum", "pid": "m/AndrewMcCallum"}
    assert (acl.extra["crossref"], acl.extra["pages"]) == ("conf/acl/2023-1", "821-854")
    assert aaai.authors[-2:] == ["Jimeng Sun", "Jiawei Han"]  # "Jimeng Sun 0001", "Jiawei Han 0001"
    assert (aaai.year, aaai.venue, aaai.ids) == (2025, "AAAI", {"doi": "10.1609/aaai.v39i1.32013"})
    assert aaai.title == "Bi-level Contrastive Learning for Knowledge-Enhanced Molecule Representations"
    assert corr.record_id == "journals/corr/abs-2508-04024"
    assert (corr.title, corr.year, corr.venue) == ("Identity Theft in AI Conference Peer Review", 2025, "CoRR")
    assert corr.ids == {"doi": "10.48550/arxiv.2508.04024", "arxiv": "2508.04024"}
    assert corr.links["arxiv"] == "https://arxiv.org/abs/2508.04024"
    assert (corr.extra["publtype"], corr.extra["month"], corr.extra["volume"]) == ("informal", "August", "abs/2508.04024")


def test_dblp_reference_work_records():
    recs = records("dblp_vision_reference.xml")
    assert len(recs) == 7
    assert [r.line for r in recs[:3]] == [4, 11, 19]  # record 2 starts after "</incollection>" on line 11
    assert (recs[0].title, recs[0].authors) == ("Curvedness", [])
    assert recs[0].venue == "Computer Vision, A Reference Guide"
    assert recs[0].ids == {"doi": "10.1007/978-0-387-31439-6_100117"}
    assert recs[1].authors == ["Manish Singh"]  # "Manish Singh 0001"
    pont = recs[6]
    assert (pont.record_id, pont.authors, pont.title) == ("reference/vision/Pont14b", ["Sylvia C. Pont"], "Surface Roughness")
    assert pont.extra["author_ids"] == [{"name": "Sylvia C. Pont", "orcid": "0000-0002-9834-9600"}]
    assert (pont.extra["type"], pont.extra["publtype"]) == ("incollection", "encyclopedia")


def test_dblp_corr_keys_give_arxiv_ids_and_non_papers_are_skipped():
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<dblpperson name="A" pid="1/1"><person key="homepages/1/1"><author pid="1/1">A</author></person>
<r><article key="journals/corr/abs-2002-06038" mdate="2020-02-20">
<author>Ana Ex&aacute;mple</author><title>On <i>k</i>-means<sup>2</sup>.</title><year>2020</year>
<volume>abs/2002.06038</volume><journal>CoRR</journal></article></r>
<r><proceedings key="conf/x/2020"><title>Proceedings.</title></proceedings></r>
<r><article key="journals/corr/cs-AI-0105012"><title>Old CoRR</title><journal>CoRR</journal></article></r>
</dblpperson>"""
    recs, ctx = parse_with("dblp_xml", data)
    assert [(r.title, r.ids, r.position, r.line) for r in recs] == [
        ("On k-means2", {"arxiv": "2002.06038"}, 2, 3),
        ("Old CoRR", {"arxiv": "cs/0105012"}, 4, 7),
    ]
    assert recs[0].authors == ["Ana Exámple"]
    assert ctx.warnings == [
        "skipped 1 <person>, 1 <proceedings> record(s): proceedings volumes, home pages and data sets are not papers"
    ]


def test_dblp_external_entity_is_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-CONTENT")
    for url in ("file:///etc/passwd", secret.as_uri(), str(secret)):
        data = (f'<?xml version="1.0"?>\n<!DOCTYPE dblp [<!ENTITY xxe SYSTEM "{url}">]>\n'
                '<dblp><article key="journals/x/A"><title>&xxe;</title></article></dblp>').encode()
        with pytest.raises(ParseError) as err:
            parse_with("dblp_xml", data, skip_bad=True)
        text = str(err.value)
        assert "external entity &xxe;" in text and "never reads" in text and err.value.line == 2
        assert "TOPSECRET" not in text and "root:" not in text
    # a parameter entity, and an external DTD subset holding the entity: neither is loaded
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "TOPSECRET-CONTENT">')
    param = (f'<!DOCTYPE dblp [<!ENTITY % ext SYSTEM "{dtd.as_uri()}"> %ext;]>'
             '<dblp><article key="journals/x/A"><title>&leak;</title></article></dblp>').encode()
    with pytest.raises(ParseError, match="external entity %ext;"):
        parse_with("dblp_xml", param)
    external = (f'<!DOCTYPE dblp SYSTEM "{dtd.as_uri()}">'
                '<dblp><article key="journals/x/A"><title>T &leak;</title></article></dblp>').encode()
    with pytest.raises(ParseError) as err:
        parse_with("dblp_xml", external)
    assert "undefined entity" in str(err.value) and "TOPSECRET" not in str(err.value)
    # the DTD is not read even when nothing in the document needs it
    recs, _ = parse_with("dblp_xml", f'<!DOCTYPE dblp SYSTEM "{secret.as_uri()}"><dblp><article key="k">'
                         "<title>T &eacute;</title></article></dblp>".encode())
    assert [r.title for r in recs] == ["T é"]


def test_dblp_billion_laughs_is_refused():
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    data = ('<?xml version="1.0"?>\n<!DOCTYPE dblp [\n' + "\n".join(levels) + "\n]>\n"
            '<dblp><article key="journals/x/A"><title>&lol9;</title></article></dblp>').encode()
    start = time.perf_counter()
    with pytest.raises(ParseError, match="entity-expansion bomb") as err:
        parse_with("dblp_xml", data, skip_bad=True)
    assert time.perf_counter() - start < 2
    assert err.value.line == 4  # the first entity that expands to entities
    big = ('<!DOCTYPE dblp [<!ENTITY big "' + "x" * 1000 + '">]>'
           '<dblp><article key="k"><title>&big;&big;</title></article></dblp>').encode()
    with pytest.raises(ParseError, match="more than 64 characters"):
        parse_with("dblp_xml", big)


def test_dblp_title_full_stops():
    data = (b'<dblp><article key="a"><title>Made in the U.S.A.</title></article>'
            b'<article key="b"><title>Why deep nets work?</title></article>'
            b'<article key="c"><title>A plain title.</title></article></dblp>')
    recs, _ = parse_with("dblp_xml", data)
    assert [r.title for r in recs] == ["Made in the U.S.A.", "Why deep nets work?", "A plain title"]


def test_dblp_small_declared_entities_are_allowed_and_win_over_html_names():
    data = ('<!DOCTYPE dblp [<!ENTITY uml "\u00fc"> <!ENTITY team "dblp team">]>\n'
            '<dblp><article key="journals/x/A"><author>M&uml;ller</author><title>By the &team;.</title>'
            "<year>2020</year></article></dblp>").encode()
    [rec], _ = parse_with("dblp_xml", data)
    assert (rec.authors, rec.title) == (["Müller"], "By the dblp team")


def test_dblp_truncated_file():
    data = (BIB / "dblp_acta.xml").read_bytes()[:1200]  # ends inside the 4th record
    with pytest.raises(ParseError) as err:
        records("dblp_acta.xml", data)
    assert "malformed XML" in str(err.value) and err.value.line is not None
    recs, ctx = parse_with("dblp_xml", data, skip_bad=True)
    assert [r.record_id for r in recs] == ["journals/acta/Saxena96", "journals/acta/Simon83", "journals/acta/GoodmanS83"]
    assert "the rest of the file was not read" in ctx.warnings[0]


def test_dblp_deep_nesting_and_big_input_stay_bounded():
    deep = b"<dblp>" + b"<x>" * 200_000
    start = time.perf_counter()
    with pytest.raises(ParseError):
        parse_with("dblp_xml", deep)
    many = b"<dblp>" + b'<article key="k"><title>T</title><author>A &uuml;</author></article>\n' * 50_000 + b"</dblp>"
    recs, _ = parse_with("dblp_xml", many)
    assert len(recs) == 50_000 and recs[-1].line == 50_000 and recs[-1].authors == ["A ü"]
    assert time.perf_counter() - start < 30


# ------------------------------------------------------------------------------------------------
# detection, the ingest pipeline, damaged copies

EXPECTED_FORMAT = {
    "zotero.ris": "ris", "wos_as_ris.ris": "ris", "rispy_full.ris": "ris", "endnote.ris": "ris",
    "wos_export.txt": "ris", "manubot_bibliography.json": "csl_json", "manubot_arxiv_joss.json": "csl_json",
    "manubot_pandoc_bibliography.json": "csl_json", "dblp_acta.xml": "dblp_xml",
    "dblp_records_openreview.xml": "dblp_xml", "dblp_vision_reference.xml": "dblp_xml",
}


def test_every_fixture_is_listed():
    on_disk = {p.name for p in BIB.iterdir() if p.suffix != ".md"}
    assert on_disk == set(EXPECTED_FORMAT)
    readme = (BIB / "README.md").read_text()
    assert all(name in readme for name in on_disk)


@pytest.mark.parametrize("name", sorted(EXPECTED_FORMAT))
def test_detect_picks_the_format(name):
    data = (BIB / name).read_bytes()
    for shown_as in (name, "download", name + ".gz"):
        raw = gzip.compress(data) if shown_as.endswith(".gz") else data
        source = Source.from_bytes(shown_as, raw)
        assert registry.detect(source).NAME == EXPECTED_FORMAT[name]
        assert registry.get(EXPECTED_FORMAT[name]).sniff(source) >= 90


@pytest.mark.parametrize("path", sorted(
    p for sub in ("structured", "seeds") for p in (DATA / sub).iterdir() if p.suffix != ".md"
), ids=lambda p: p.name)
def test_detect_leaves_other_formats_alone(path):
    source = Source.from_bytes(path.name, path.read_bytes())
    assert registry.detect(source).NAME not in MINE
    for name in MINE:
        assert registry.get(name).sniff(source) < 70, name


def test_generic_json_is_not_csl():
    papers = [{"title": "A", "authors": ["X Y"], "year": 2020, "venue": "ICLR"}]
    assert registry.detect(Source("p.json", json.dumps(papers).encode())).NAME != "csl_json"
    # one CSL-ish key alone does not make CSL
    papers[0]["container-title"] = "ICLR"
    assert registry.get("csl_json").sniff(Source("p.json", json.dumps(papers).encode())) < 70


def test_parse_source_and_unmapped_fields():
    for name, fmt in EXPECTED_FORMAT.items():
        source = Source.from_bytes(name, (BIB / name).read_bytes())
        got, recs = parse_source(source, ParseContext(path=name))
        assert got == fmt and recs and all(r.title for r in recs)
    wos = parse_source(Source.from_bytes("w.txt", (BIB / "wos_export.txt").read_bytes()), ParseContext())[1]
    assert {"cited_references", "keywords_plus", "publisher"} <= set(unmapped_fields(wos))


def test_ingest_into_a_catalog(atlas):
    paths = [BIB / name for name in sorted(EXPECTED_FORMAT)]
    reports = ingest_paths(atlas, paths)
    assert all(r.ok for r in reports), [(r.path, r.error) for r in reports]
    by_name = {Path(r.path).name: r for r in reports}
    assert {n: r.format for n, r in by_name.items()} == EXPECTED_FORMAT
    assert by_name["dblp_acta.xml"].found == 10 and by_name["wos_export.txt"].found == 2
    # the same files again change nothing
    again = ingest_paths(atlas, paths)
    assert all(r.unchanged == r.found or r.same_as for r in again)


SAMPLES = [(BIB / name).read_bytes()[:8000] for name in sorted(EXPECTED_FORMAT)]
_JUNK = st.sampled_from(list("\n\r <>&;[]{}\",:-") + ["ER  -", "TY  - JOUR", "PT J", "<!ENTITY", "&uuml;",
                                                      "<article key='k'>", "\x00", "\ufeff"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.sampled_from(SAMPLES), cut=st.integers(0, 8000), at=st.integers(0, 8000), junk=_JUNK)
def test_damaged_copies_raise_only_parse_errors(data, cut, at, junk):
    text = data.decode("utf-8", "replace")
    text = text[:at] + junk + text[at:cut]
    source = Source("x", text.encode("utf-8", "surrogatepass"))
    for name in sorted(MINE):
        parser = registry.get(name)
        assert 0 <= parser.sniff(source) <= 100
        for skip_bad in (False, True):
            try:
                for rec in parser.parse(source, ParseContext(path="x", skip_bad=skip_bad)):
                    assert rec.title and rec.position >= 1
            except ParseError:
                pass
