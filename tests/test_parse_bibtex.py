"""BibTeX files as researchers have them: DBLP exports (with crossref), Google-Scholar-style
bibliographies, biblatex files (@set, crossref, @string, @preamble), Zotero exports with double
brace protection. Expected values are read off the excerpts in tests/data/bibtex/ (sources and
licences in tests/data/bibtex/README.md). Also: hostile input stays bounded, and BibTeX export
reads back to the same titles and authors."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from paperatlas.errors import ParseError
from paperatlas.export import bibtex_entry
from paperatlas.ingest import bibtex, registry
from paperatlas.ingest.base import ParseContext, Source
from paperatlas.models import Paper, Record
from paperatlas.normalize import clean_record

DATA = Path(__file__).parent / "data" / "bibtex"
FIXTURES = ("dblp.bib", "dblp_crossref.bib", "scholar.bib", "biblatex.bib", "zotero.bib")


def src(name: str) -> Source:
    return Source.from_bytes(name, (DATA / name).read_bytes())


def text_src(text: str, path: str = "x.bib") -> Source:
    return Source.from_bytes(path, text.encode("utf-8"))


def run(source: Source, skip_bad: bool = False) -> tuple[list[Record], ParseContext]:
    ctx = ParseContext(path=source.path, skip_bad=skip_bad)
    return list(bibtex.parse(source, ctx)), ctx


def by_id(records: list[Record]) -> dict[str, Record]:
    return {r.record_id or "": r for r in records}


def one(text: str) -> Record:
    (rec,), _ = run(text_src(text))
    return rec


# --- real files ---------------------------------------------------------------------------------


def test_dblp_export():
    recs, ctx = run(src("dblp.bib"))
    assert [(r.record_id, r.line) for r in recs] == [
        ("Abadi99", 3), ("AbadiCCL91", 21), ("AhmanU13", 38), ("AltenkirchU04", 57),
        ("BernardyBNJS17", 76), ("BezemCDE20", 94), ("BirkedalMSS11", 110),
    ]
    assert ctx.warnings == []
    r = by_id(recs)
    a = r["Abadi99"]
    assert a.title == "Protection in Programming-Language Translations"
    assert a.authors == ["Martín Abadi"]  # Mart{\'{\i}}n
    assert (a.venue, a.year) == ("Secure Internet Programming, Security Issues for Mobile and Distributed Objects", 1999)
    assert a.ids == {"doi": "10.1007/3-540-48749-2_2"}  # DBLP's 10.1007/3-540-48749-2\_2
    assert a.links == {"site": "https://doi.org/10.1007/3-540-48749-2_2", "doi": "https://doi.org/10.1007/3-540-48749-2_2"}
    assert a.extra["entry_type"] == "inproceedings"
    assert a.extra["series"] == "Lecture Notes in Computer Science"
    assert a.extra["biburl"] == "https://dblp.org/rec/conf/ecoopw/Abadi99.bib"
    assert a.extra["bibtex"].startswith("@inproceedings{Abadi99,\n  author    = {Mart{\\'{\\i}}n Abadi},")

    b = r["AbadiCCL91"]
    assert b.authors == ["Martín Abadi", "Luca Cardelli", "Pierre-Louis Curien", "Jean-Jacques Lévy"]
    assert (b.title, b.venue, b.year) == ("Explicit Substitutions", "J. Funct. Program.", 1991)
    assert b.ids == {"doi": "10.1017/s0956796800000186"}

    c = r["AhmanU13"]
    assert c.venue == ("19th International Conference on Types for Proofs and Programs, TYPES 2013, "
                       "April 22-26, 2013, Toulouse, France")
    assert c.extra["publisher"] == 'Schloss Dagstuhl - Leibniz-Zentrum f{\\"{u}}r Informatik'  # extra keeps the source's text
    assert c.ids == {"doi": "10.4230/lipics.types.2013.1"}

    d = r["AltenkirchU04"]
    assert d.title == "Normalization by Evaluation for lambda\\({}^{\\mbox{-2}}\\)"  # maths kept for display
    assert d.ids == {"doi": "10.1007/978-3-540-24754-8_19"}

    e = r["BernardyBNJS17"]
    assert e.title == "Linear Haskell: practical linearity in a higher-order polymorphic language"
    assert e.authors == ["Jean-Philippe Bernardy", "Mathieu Boespflug", "Ryan R. Newton", "Simon Peyton Jones", "Arnaud Spiwack"]
    assert (e.venue, e.year, e.ids) == ("arXiv", 2017, {"arxiv": "1710.09756"})  # journal = {CoRR}
    assert e.links["arxiv"] == "https://arxiv.org/abs/1710.09756"

    f = r["BezemCDE20"]
    assert f.authors[-1] == "Martín Escardó"
    assert (f.venue, f.year, f.ids) == ("arXiv", 2020, {"arxiv": "2012.08370"})

    g = r["BirkedalMSS11"]
    assert g.title == "First Steps in Synthetic Guarded Domain Theory: Step-Indexing in the Topos of Trees"
    assert g.authors == ["Lars Birkedal", "Rasmus Ejlers Møgelberg", "Jan Schwinghammer", "Kristian Støvring"]
    assert g.venue == ("Proceedings of the 26th Annual IEEE Symposium on Logic in Computer Science, LICS 2011, "
                       "June 21-24, 2011, Toronto, Ontario, Canada")
    assert (g.year, g.ids) == (2011, {"doi": "10.1109/lics.2011.16"})


def test_dblp_crossref_export():
    recs, ctx = run(src("dblp_crossref.bib"))
    (a,) = recs  # the @proceedings parent is not a paper
    assert (a.record_id, a.line, a.position) == ("DBLP:conf/spire/BastMW06", 1, 1)
    assert a.title == "Output-Sensitive Autocompletion Search"
    assert a.authors == ["H. Bast", "Christian Worm Mortensen", "Ingmar Weber"]
    assert a.venue == ("String Processing and Information Retrieval, 13th International Conference, SPIRE 2006, "
                       "Glasgow, UK, October 11-13, 2006, Proceedings")
    assert a.year == 2006
    assert a.ids == {"doi": "10.1007/11880561_13"}  # its own DOI, never the volume's 10.1007/11880561
    # inherited from the parent: what the child lacks
    assert a.extra["publisher"] == "Springer"
    assert (a.extra["series"], a.extra["volume"]) == ("Lecture Notes in Computer Science", "4209")
    assert a.extra["editor"].startswith("Fabio Crestani and")
    assert a.extra["crossref"] == "DBLP:conf/spire/2006"
    assert "isbn" not in a.extra  # the volume's ISBN names the volume
    assert ctx.warnings == [
        "1 @proceedings entries that only serve as crossref parents were not read as papers "
        "(DBLP:conf/spire/2006); their papers inherit their fields"
    ]


def test_crossref_child_inherits_year_and_venue():
    child, parent = (DATA / "dblp_crossref.bib").read_text().split("\n\n@proceedings")
    lacking = re.sub(r"  booktitle = \{.*?Proceedings\},\n|  year      = \{2006\},\n", "", child, flags=re.S)
    assert "booktitle" not in lacking and "year" not in lacking
    (a,), _ = run(text_src(lacking + "\n\n@proceedings" + parent))
    assert a.year == 2006
    assert a.venue == ("String Processing and Information Retrieval, 13th International Conference, SPIRE 2006, "
                       "Glasgow, UK, October 11-13, 2006, Proceedings")  # the parent's title, as biblatex maps it
    assert a.ids == {"doi": "10.1007/11880561_13"}


def test_google_scholar_style():
    recs, ctx = run(src("scholar.bib"))
    assert [r.record_id for r in recs] == [
        "breen1996regression", "gelman2020bayesian", "hogg2010data", "ivezić2014astroMLtext", "quiroga2022bart",
        "roback2021beyond", "silver2016masteringgo", "spiller2013spotlights", "stucchio2015bayesian",
        "vanderplas2012astroML", "Yao_2018",
    ]
    assert ctx.warnings == []
    r = by_id(recs)
    a = r["breen1996regression"]
    assert (a.authors, a.flags, a.year, a.venue) == (["Richard Breen"], ["authors-truncated"], 1996, None)  # "and others"

    b = r["gelman2020bayesian"]
    assert b.title == "Bayesian workflow"
    assert b.authors == [
        "Andrew Gelman", "Aki Vehtari", "Daniel Simpson", "Charles C Margossian", "Bob Carpenter", "Yuling Yao",
        "Lauren Kennedy", "Jonah Gabry", "Paul-Christian Bürkner", "Martin Modrák",
    ]
    assert (b.venue, b.year, b.ids) == ("arXiv", 2020, {"arxiv": "2011.01808"})  # journal = {arXiv preprint arXiv:2011.01808}

    c = r["hogg2010data"]
    assert (c.ids, c.venue, c.year) == ({"arxiv": "1008.4686"}, None, 2010)  # eprint + archiveprefix

    d = r["ivezić2014astroMLtext"]
    assert d.authors == ["Željko Ivezić", "Andrew J. Connolly", "Jacob T. VanderPlas", "Alexander Gray"]
    assert d.ids == {"doi": "10.1515/9781400848911"}

    e = r["quiroga2022bart"]
    assert e.ids == {"doi": "10.48550/arxiv.2206.03619", "arxiv": "2206.03619"}  # the arXiv id from the url
    assert e.keywords[:2] == ["Computation (stat.CO)", "FOS: Computer and information sciences"]

    assert r["roback2021beyond"].authors == ["P. Roback", "J. Legler"]  # "Roback, P., and Legler, J."
    f = r["silver2016masteringgo"]
    assert (f.authors, f.flags) == (["D. Silver", "A. Huang", "C. Maddison"], ["authors-truncated"])  # "... et al."
    assert (f.venue, f.year, f.ids) == ("Nature", 2016, {"doi": "10.1038/nature16961"})  # the DOI in the url
    assert r["spiller2013spotlights"].authors == [
        "Stephen A Spiller", "Gavan J Fitzsimons", "John G Lynch Jr", "Gary H McClelland",  # "Lynch Jr, John G"
    ]
    g = r["stucchio2015bayesian"]
    assert g.links == {"site": "https://vwo.com/downloads/VWO_SmartStats_technical_whitepaper.pdf"}
    assert g.extra["entry_type"] == "online"
    h = r["vanderplas2012astroML"]
    assert h.authors == ["J.T. Vanderplas", "A.J. Connolly", "Ž. Ivezić", "A. Gray"]  # "{Ivezi{\'c}}, {\v Z}."
    assert (h.venue, h.year, h.extra["month"]) == ("Conference on Intelligent Data Understanding (CIDU)", 2012, "oct.")
    i = r["Yao_2018"]
    assert (i.year, i.venue, i.ids) == (2018, "Bayesian Analysis", {"doi": "10.1214/17-ba1091"})  # year = 2018, bare
    assert i.links["site"] == "https://doi.org/10.1214%2F17-ba1091"


def test_biblatex_file():
    recs, ctx = run(src("biblatex.bib"))
    assert [(r.record_id, r.position) for r in recs] == [
        ("westfahl:space", 1), ("aksin", 2), ("baez/article", 3), ("nietzsche:ksa1", 4),
        ("vazques-de-parga", 5), ("westfahl:frontier", 6), ("wassenberg", 7),
    ]
    assert ctx.warnings == ["line 19: @set{set} is a biblatex container of other entries, not a paper; skipped"]
    r = by_id(recs)
    a = r["westfahl:space"]  # crossref to a parent later in the file
    assert a.title == "The True Frontier: Confronting and Avoiding the Realities of Space in American Science Fiction Films"
    assert a.authors == ["Gary Westfahl"]
    assert (a.venue, a.year) == ("Space and Beyond", 2000)  # inherited booktitle and date
    assert (a.extra["publisher"], a.extra["editor"]) == ("Greenwood", "Westfahl, Gary")
    assert a.ids == {}

    b = r["aksin"]
    assert b.authors == ["Özge Aksın", "Hayati Türkmen", "Levent Artok", "Bekir C\u0328etinkaya", "Chaoying Ni",
                         "Orhan Büyükgüngör", "Erhan Özkal"]
    assert (b.venue, b.year) == ("J. Organomet. Chem.", 2006)  # journaltitle = jomch, an @string with a ~

    c = r["baez/article"]
    assert (c.ids, c.venue, c.year) == ({"arxiv": "math/0307200"}, "Theory and Applications of Categories", 2004)

    d = r["nietzsche:ksa1"]
    assert d.title == "Die Geburt der Tragödie. Unzeitgemäße Betrachtungen I–IV. Nachgelassene Schriften 1870–1973"
    assert d.extra["publisher"] == "Deutscher Taschenbuch-Verlag and Walter de Gruyter"  # dtv # { and Walter de Gruyter}
    assert (d.authors, d.year) == (["Friedrich Nietzsche"], 1988)

    assert r["vazques-de-parga"].authors == ["Luis Vázques de Parga", "José María Lacarra", "Juan Uría Ríu"]
    e = r["westfahl:frontier"]
    assert (e.title, e.authors, e.year) == ("Space and Beyond: The Frontier Theme in Science Fiction", [], 2000)
    f = r["wassenberg"]
    assert (f.ids, f.year, f.extra["entry_type"]) == ({"arxiv": "1008.2849"}, 2010, "online")  # 1008.2849v1
    assert f.abstract.startswith("Sorting algorithms are the deciding factor for the performance of common operations")


def test_zotero_export_with_double_braces():
    recs, ctx = run(src("zotero.bib"))
    assert ctx.warnings == []
    r = by_id(recs)
    a = r["AblinEtAl2018"]
    assert a.title == "Faster Independent Component Analysis by Preconditioning with Hessian Approximations"
    assert a.authors == ["Pierre Ablin", "Jean-Francois Cardoso", "Alexandre Gramfort"]
    assert (a.venue, a.year, a.ids) == ("IEEE Transactions on Signal Processing", 2018, {"doi": "10.1109/tsp.2018.2844203"})
    b = r["AcunzoEtAl2012"]
    assert b.title == "Systematic Biases in Early ERP and ERF Components as a Result of High-Pass Filtering"
    assert b.authors == ["David J. Acunzo", "Graham MacKenzie", "Mark C.W. van Rossum"]  # {van Rossum}, Mark C.W.
    c = r["Barber2012"]
    assert (c.title, c.venue, c.year) == ("Bayesian Reasoning and Machine Learning", None, 2012)
    assert c.links == {"site": "http://www.cs.ucl.ac.uk/staff/d.barber/brml/"}
    assert c.extra["publisher"] == "{Cambridge University Press}"
    d = r["DahneEtAl2014"]
    assert d.title.startswith("SPoC: A Novel Framework for Relating")  # {{{SPoC}}}
    assert d.authors[:2] == ["Sven Dähne", "Frank C. Meinecke"] and "Klaus-Robert Müller" in d.authors
    assert r["GoncalvesEtAl2003"].authors == [
        "Sónia I. Gonçalves", "Jan Casper de Munck", "Jeroen P. A. Verbunt", "Fetsje Bijma", "Rob M. Heethaar",
        "Fernando Lopes da Silva",
    ]
    e = r["GramfortEtAl2011"]
    assert (e.venue, e.ids) == ("Information Processing in Medical Imaging", {"doi": "10.1007/978-3-642-22092-0_49"})
    assert e.title == "Functional Brain Imaging with M/EEG Using Structured Sparsity in Time-Frequency Dictionaries"


@pytest.mark.parametrize("name", FIXTURES)
def test_fixtures_are_detected_as_bibtex(name):
    assert registry.detect(src(name)).NAME == "bibtex"
    assert bibtex.sniff(src(name)) == 95


# --- detection ----------------------------------------------------------------------------------


MARKDOWN_README = """# LAMA: LAnguage Model Analysis

LAMA is a probe for analyzing the factual knowledge in pretrained language models.

## Install

- `pip install -e .`
- download the data with `./download_models.sh`

See the [paper](https://arxiv.org/abs/1909.01066) for details.

## Citation

```bibtex
@inproceedings{petroni2019language,
  title={Language Models as Knowledge Bases?},
  author={F. Petroni, T. Rockt{\\"{a}}schel, A. H. Miller, P. Lewis, A. Bakhtin, Y. Wu and S. Riedel},
  booktitle={EMNLP},
  year={2019}
}
```
"""


def test_markdown_with_a_bibtex_example_is_not_claimed():
    assert bibtex.sniff(text_src(MARKDOWN_README, "README.md")) <= 10
    assert bibtex.sniff(text_src(MARKDOWN_README, "notes.txt")) <= 10
    # a Markdown paper list that writes an entry without a fence is Markdown too
    unfenced = MARKDOWN_README.replace("```bibtex\n", "").replace("```\n", "")
    assert bibtex.sniff(text_src(unfenced, "list.md")) <= 10


def test_bib_files_are_claimed_confidently():
    assert bibtex.sniff(text_src("% my refs\n@misc{a, title={A}}\n", "refs.bib")) == 95
    assert bibtex.sniff(text_src("% my refs\n@misc{a, title={A}}\n", "refs.bib.gz")) == 95
    assert bibtex.sniff(text_src("% my refs\n@misc{a, title={A}}\n", "refs.txt")) == 90
    assert bibtex.sniff(text_src('{"title": "@misc{a, title={A}}"}', "x.json")) == 0


# --- values -------------------------------------------------------------------------------------


def test_brace_protection_stays_out_of_titles():
    r = one("@article{k, title = {{Discovering {{Language Model Behaviors}} with Model-Written Evaluations}}}")
    assert r.title == "Discovering Language Model Behaviors with Model-Written Evaluations"
    assert one('@misc{k, title = "{{BERT}}: {P}re-training of {D}eep {B}idirectional {T}ransformers"}').title == \
        "BERT: Pre-training of Deep Bidirectional Transformers"


def test_latex_in_authors_titles_venues_and_abstracts():
    r = one(r"""@inproceedings{k,
  author = {Rockt{\"{a}}schel, Tim and Riedel, Sebastian and Erd\H{o}s, P. and G{\"o}del, Kurt},
  title = {Learning with \emph{Gr{\"o}bner} bases -- a {\"U}bersicht of 50% and \textbf{more}},
  booktitle = {Proc.\ of the 1st Workshop on {NLP} \& {ML}},
  abstract = {We use {\'e}t{\'e} data~sets and ``quoted'' text with $\alpha$-divergence.},
  year = 2020}""")
    assert r.authors == ["Tim Rocktäschel", "Sebastian Riedel", "P. Erdős", "Kurt Gödel"]
    assert r.title == "Learning with Gröbner bases – a Übersicht of 50% and more"  # a bare % is a character
    assert r.venue == "Proc. of the 1st Workshop on NLP & ML"
    assert r.abstract == "We use été data sets and “quoted” text with $\\alpha$-divergence."  # maths kept
    assert r.extra["bibtex"].startswith("@inproceedings{k,\n  author = {Rockt{\\\"{a}}schel, Tim")  # the original


def test_author_forms():
    r = one("""@misc{k, title = {T}, author = {{Bengio}, Yoshua and Yann LeCun and van der Maaten, Laurens
        and {The {DeepMind} Team} and {Google Research} and Smith, Jr., John and others}}""")
    assert r.authors == ["Yoshua Bengio", "Yann LeCun", "Laurens van der Maaten", "The DeepMind Team",
                         "Google Research", "John Smith Jr."]
    assert r.flags == ["authors-truncated"]
    assert one("@misc{k, title = {T}, author = {A. One AND B. Two}}").authors == ["A. One", "B. Two"]
    assert one("@misc{k, title = {T}, author = {{Simon and Schuster}}}").authors == ["Simon and Schuster"]
    assert one("@misc{k, title = {T}}").authors == []


def test_strings_concatenation_months_and_comments():
    text = """@comment{ @misc{ignored, title={Ignored}} }
@preamble{ "\\newcommand{\\noopsort}[1]{}" }
@STRING{ ICLR = "International Conference on " # "Learning Representations" }
@string(yr = {2015})
% @misc{commented, title = {Commented out}}
@article{kingma,
  title = "Adam: A Method for Stochastic Optimization",
  journal = iclr # " (Poster)",
  year = yr,
  month = may,
  note = NIPS,
}
Free text between entries is ignored.
"""
    (r,), ctx = run(text_src(text))
    assert r.record_id == "kingma" and r.line == 6
    assert r.venue == "International Conference on Learning Representations (Poster)"
    assert (r.year, r.extra["month"], r.extra["note"]) == (2015, "May", "NIPS")  # an undefined macro is kept as written
    assert ctx.warnings == ["@string macros used but not defined in the file, kept as written: nips"]


def test_arxiv_ids_wherever_they_hide():
    cases = {
        "eprint = {2002.06038v2}, archivePrefix = {arXiv}": "2002.06038",
        "eprint = {hep-th/9603067}, eprinttype = {arxiv}": "hep-th/9603067",
        "journal = {arXiv preprint arXiv:2002.06038}": "2002.06038",
        "journal = {ArXiv}, volume = {abs/2002.06038}": "2002.06038",
        "journal = {CoRR}, volume = {abs/2002.06038}": "2002.06038",
        "url = {https://arxiv.org/pdf/2002.06038v3.pdf}": "2002.06038",
        "note = {arXiv:2002.06038}": "2002.06038",
        "howpublished = {\\url{https://arxiv.org/abs/2002.06038}}": "2002.06038",
        "arxivId = {2002.06038}": "2002.06038",
    }
    for fields, expected in cases.items():
        r = one(f"@misc{{k, title = {{T}}, {fields}}}")
        assert r.ids == {"arxiv": expected}, fields
        assert r.links["arxiv"] == f"https://arxiv.org/abs/{expected}"
    # an eprint of another archive is not an arXiv id
    assert one("@misc{k, title = {T}, eprint = {12345678}, eprinttype = {pubmed}}").ids == {}
    assert one("@misc{k, title = {T}, journal = {CoRR}, volume = {abs/2002.06038}}").venue == "arXiv"


def test_dois_are_normalised():
    assert one(r"@misc{k, title = {T}, doi = {10.1145/3292500\_3330701}}").ids == {"doi": "10.1145/3292500_3330701"}
    prefixed = one("@misc{k, title = {T}, doi = {https://doi.org/10.1007/978-1-0716-1418-1}}")
    assert prefixed.ids == {"doi": "10.1007/978-1-0716-1418-1"}
    assert one("@misc{k, title = {T}, doi = {DOI:10.1000/ABC}}").ids == {"doi": "10.1000/abc"}
    bad = one("@misc{k, title = {T}, doi = {not a doi}}")
    assert bad.ids == {} and bad.extra["doi"] == "not a doi" and bad.warnings


def test_set_xdata_and_unknown_types_never_reject_a_file():
    text = """@xdata{pubinfo, publisher = {Springer}, location = {Berlin}, year = {2001}}
@set{both, entryset = {a,b}}
@article{a, title = {First}, xdata = {pubinfo}}
@jabref-meta{ databaseType:bibtex; }
@comment{jabref-meta: databaseType:biblatex;}
@patent{b, title = {Second}}
@weirdtype{c, note = {no title}}
@customa{d, title = {Third}}
"""
    recs, ctx = run(text_src(text))
    assert [r.record_id for r in recs] == ["a", "b", "d"]
    assert (recs[0].year, recs[0].extra["publisher"]) == (2001, "Springer")  # from the xdata entry
    assert ctx.warnings[:2] == [
        "line 1: @xdata{pubinfo} is a biblatex container of other entries, not a paper; skipped",
        "line 2: @set{both} is a biblatex container of other entries, not a paper; skipped",
    ]
    assert ctx.warnings[2:] == ["record 3 (line 7): @weirdtype entry 'c' has no title; skipped"]


def test_crossref_cycles_and_missing_parents_are_harmless():
    text = """@inproceedings{a, title = {A}, crossref = {b}}
@proceedings{b, title = {B}, year = {2001}, crossref = {a}}
@inproceedings{c, title = {C}, crossref = {nowhere}}
"""
    recs, _ = run(text_src(text))
    assert [(r.record_id, r.year, r.venue) for r in recs] == [("a", 2001, "B"), ("c", None, None)]


def test_duplicate_fields_and_keys():
    recs, _ = run(text_src("@misc{k, title = {First}, title = {Second}}\n@misc{k, title = {Again}}\n"))
    assert [r.title for r in recs] == ["First", "Again"]


def test_files_in_older_encodings():
    latin = "% Encoding: windows-1252\n@misc{k, title={Caf\xe9 G\xf6del}, author={M\xfcller, J.}}\n".encode("cp1252")
    (r,), ctx = run(Source.from_bytes("old.bib", latin))
    assert (r.title, r.authors) == ("Café Gödel", ["J. Müller"])
    assert ctx.warnings == ["the file is not UTF-8; read as windows-1252"]
    utf16 = Source.from_bytes("jabref.bib", "@misc{k, title={Café}}\n".encode("utf-16"))
    assert bibtex.sniff(utf16) == 95
    assert [r.title for r in run(utf16)[0]] == ["Café"]


# --- damaged and hostile input ------------------------------------------------------------------


def test_unbalanced_braces_name_the_entry_and_line():
    text = "@misc{ok, title={Fine}}\n\n@inproceedings{bad,\n  title={Unclosed {brace},\n  year=2020\n}\n"
    with pytest.raises(ParseError) as info:
        run(text_src(text))
    assert (info.value.line, info.value.record) == (3, 2)
    assert "'bad'" in info.value.message and "brace" in info.value.message
    assert "--skip-bad" in info.value.hint
    recs, ctx = run(text_src(text + "@misc{after, title={After}}\n"), skip_bad=True)
    assert [r.record_id for r in recs] == ["ok", "after"]
    assert ctx.warnings == ["record 2 (line 3): entry 'bad': unbalanced braces: the entry is not closed before "
                            "the next '@' entry; skipped"]


def test_a_title_of_100000_nested_braces_fails_fast_naming_the_entry():
    text = "@misc{deep,\n  title = {" + "{" * 100_000 + "x" + "}" * 100_000 + "}\n}\n@misc{ok, title = {Fine}}\n"
    assert len(text) > 200_000
    start = time.perf_counter()
    with pytest.raises(ParseError) as info:
        run(text_src(text))
    assert time.perf_counter() - start < 1.0
    assert (info.value.line, info.value.record) == (1, 1)
    assert "'deep'" in info.value.message and "nested" in info.value.message
    start = time.perf_counter()
    recs, ctx = run(text_src(text), skip_bad=True)
    assert time.perf_counter() - start < 1.0
    assert [r.record_id for r in recs] == ["ok"]
    assert ctx.warnings == ["record 1 (line 1): entry 'deep': field 'title': braces are nested more than 100 "
                            "levels deep; skipped"]


def test_chained_string_macros_stay_bounded():
    text = '@string{a1 = "x"}\n' + "".join(f"@string{{a{i} = a{i - 1} # a{i - 1}}}\n" for i in range(2, 41))
    text += "@misc{k, title = {Chained}, note = a40 # a40, abstract = a17}\n"
    assert len(text) < 1100
    start = time.perf_counter()
    (r,), ctx = run(text_src(text))
    assert time.perf_counter() - start < 1.0
    assert len(r.abstract) == 2**16  # a17 is within the bound
    assert len(r.extra["note"]) <= 100_000
    assert ctx.warnings[0] == "line 18: @string 'a18' skipped: its value would be 131,072 characters (the limit is 100,000)"


@pytest.mark.parametrize(
    "text",
    [
        '@misc{k, title="' + "{}" * 100_000,  # a quoted value never closed
        "@misc{k, title={" + "{" * 100_000 + "x" * 1_000_000,  # braces never closed
        "@misc{k, title={" + "@x{" * 50_000 + "}\n",
        "@misc{k, title={" + "\\begin{x}" * 5_000 + "}}\n",
        "@misc{k, title={" + '\\"a' * 20_000 + "}}\n",
        "@misc{k, title={" + '\\"a ' * 20_000 + "}}\n",
    ],
)
def test_hostile_values_are_fast(text):
    start = time.perf_counter()
    try:
        run(text_src(text))
    except ParseError:
        pass
    assert time.perf_counter() - start < 2.0


def test_library_log_lines_stay_quiet(capsys):
    with pytest.raises(ParseError):
        run(text_src("@misc{k, title={unclosed\n"))
    assert capsys.readouterr().err == ""


def test_missing_title_names_the_entry():
    text = "@misc{a, title={A}}\n@misc{b, author={X Y}}\n@misc{c, title={C}}\n"
    with pytest.raises(ParseError) as info:
        run(text_src(text))
    assert (info.value.record, info.value.line) == (2, 2) and "'b'" in info.value.message
    recs, ctx = run(text_src(text), skip_bad=True)
    assert [r.record_id for r in recs] == ["a", "c"]
    assert ctx.warnings == ["record 2 (line 2): no title; skipped"]


# --- export round trip --------------------------------------------------------------------------


def _paper(rec: Record) -> Paper:
    return Paper(id="p", title=rec.title, authors=rec.authors, venue=rec.venue, year=rec.year,
                 links=rec.links, ids=rec.ids)


@pytest.mark.parametrize("name", FIXTURES)
def test_export_reads_back_the_same(name):
    recs, _ = run(src(name))
    for rec in recs:
        rec = clean_record(rec)
        written = bibtex_entry(_paper(rec))
        (back,), _ = run(text_src(written))
        back = clean_record(back)
        assert (back.title, back.authors, back.year, back.ids) == (rec.title, rec.authors, rec.year, rec.ids), written
        if rec.venue != "arXiv":  # arXiv papers are written as @misc without a venue
            assert back.venue == rec.venue
        assert bibtex_entry(_paper(back)) == written  # stable: no brace layer added per round trip


def test_export_protects_titles_once_and_names_whole():
    paper = Paper(id="p", title="{{Discovering {{Language Model Behaviors}} with Model-Written Evaluations}}",
                  authors=["Smith, J.", "Simon and Schuster", "Tim Rocktäschel"], year=2022)
    written = bibtex_entry(paper)
    assert "title = {{Discovering {{Language Model Behaviors}} with Model-Written Evaluations}}" in written
    back = one(written)
    assert back.title == "Discovering Language Model Behaviors with Model-Written Evaluations"
    assert back.authors == ["Smith, J.", "Simon and Schuster", "Tim Rocktäschel"]
    tricky = Paper(id="p", title="C# & x_y -- 50% ~ done with $\\ell_1$", authors=["A B"], year=2020)
    assert one(bibtex_entry(tricky)).title == "C# & x_y -- 50% ~ done with $\\ell_1$"
