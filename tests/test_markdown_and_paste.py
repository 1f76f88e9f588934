"""Markdown paper lists (awesome lists) and "paste anything" on the import page.

The Markdown fixtures are excerpts of real lists (tests/data/markdown/README.md names their
repositories, paths and commits); the expected values were read from the excerpts by eye. The
paste is six lines of the ICLR virtual-site seed page without its "Poster Session 6" header.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from paperatlas import Atlas, Filters, Settings
from paperatlas.errors import ParseError
from paperatlas.export import markdown_entry
from paperatlas.ingest import markdown_list, parse_source, registry
from paperatlas.ingest.base import ParseContext, Source
from paperatlas.models import Paper, Record
from paperatlas.services.ingest import preview_bytes
from paperatlas.web import ServerOptions, create_app

DATA = Path(__file__).parent / "data"
MD = DATA / "markdown"
BASE = "http://testserver"


def src(path: Path) -> Source:
    return Source.from_bytes(path.name, path.read_bytes())


def read(name: str) -> tuple[list[Record], ParseContext]:
    ctx = ParseContext(path=name)
    _, records = parse_source(src(MD / name), ctx)
    return records, ctx


def by_title(records: list[Record], start: str) -> Record:
    [rec] = [r for r in records if r.title.startswith(start)]
    return rec


def six_lines() -> str:
    """Two papers of the virtual-site seed page (title / authors with ' · ' / abstract), without
    the page's "Poster Session 6" header line: what a researcher selects and copies."""
    lines = (DATA / "seeds" / "iclr_virtual.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Poster Session 6"
    return "\n".join(lines[1:7]) + "\n"


# -- detection ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["awesome_diffusion_models.md", "long_context_modeling.md", "awesome_llm_milestones.md"])
def test_markdown_lists_are_detected_confidently(name: str) -> None:
    source = src(MD / name)
    assert registry.detect(source).NAME == "markdown_list"
    assert markdown_list.sniff(source) >= 90
    found = registry.detect_by_parsing(source)
    assert (found.name, found.by) == ("markdown_list", "sniff")


def test_an_awesome_list_with_a_bibtex_block_is_not_read_as_bibtex() -> None:
    """The issue's case: one ```bibtex "cite us" block made the whole list read as BibTeX (one
    record, no warning). Now every entry is read and the block is named in a warning."""
    text = (MD / "long_context_modeling.md").read_text(encoding="utf-8")
    assert text.count("```bibtex") == 1
    records, ctx = read("long_context_modeling.md")
    assert len(records) == 27
    assert ctx.warnings == ["line 69: a BibTeX code block (1 entry) was not read; import it on its own as BibTeX to add it"]


STRUCTURED = {
    "iclr2021.json": "paperlists", "nips2018.json": "paperlists", "cvpr2023.json": "paperlists",
    "papers.csv": "records", "papers.tsv": "records", "papers.json": "records", "hf_export.jsonl": "records",
    "catalog_export.jsonl": "records", "refs.bib": "bibtex", "arxiv_query.xml": "arxiv_atom",
    "openreview_v1.json": "openreview", "openreview_v2.json": "openreview",
}  # fmt: skip
SEEDS = ("abstracts", "hf_papers", "hf_viewer", "iclr_virtual", "paperscool")


@pytest.mark.parametrize("name", sorted(STRUCTURED))
def test_structured_fixtures_are_detected_as_before(name: str) -> None:
    source = src(DATA / "structured" / name)
    assert markdown_list.sniff(source) == 0
    assert registry.detect(source).NAME == STRUCTURED[name]
    assert registry.detect_by_parsing(source).name == STRUCTURED[name]


@pytest.mark.parametrize("name", SEEDS)
def test_seed_pages_are_detected_as_before(name: str) -> None:
    source = src(DATA / "seeds" / f"{name}.txt")
    assert markdown_list.sniff(source) == 0
    assert registry.detect(source).NAME == name
    assert registry.detect_by_parsing(source).name == name


@pytest.mark.parametrize("text", ['{"title": "x"}', '[{"title": "x"}]', "@article{a,\n title={A}}\n", "<feed/>",
                                  "Just some prose, with [a link](https://example.org) in it.\n", ""])
def test_sniff_is_zero_for_what_is_not_a_markdown_paper_list(text: str) -> None:
    assert markdown_list.sniff(Source.from_bytes("x.txt", text.encode())) == 0


# -- per-entry fields ----------------------------------------------------------------------------------
def test_awesome_diffusion_models_bold_title_paragraphs() -> None:
    records, ctx = read("awesome_diffusion_models.md")
    assert len(records) == 25
    assert ctx.warnings == []  # the table of contents and the badges are not papers, and not counted
    assert [r.position for r in records] == list(range(1, 26))
    first = records[0]
    assert first.title == "Understanding Diffusion Models: A Unified Perspective"
    assert (first.authors, first.venue, first.year, first.line) == (["Calvin Luo"], "arXiv", 2022, 54)
    assert first.links == {"arxiv": "https://arxiv.org/abs/2208.11970"} and first.ids == {"arxiv": "2208.11970"}
    assert first.keywords == ["Introductory Papers"] and first.extra == {"section": "Resources > Introductory Papers"}
    survey = by_title(records, "A Survey on Video Diffusion Models")
    assert survey.authors == ["Zhen Xing", "Qijun Feng", "Haoran Chen", "Qi Dai", "Han Hu", "Hang Xu", "Zuxuan Wu",
                              "Yu-Gang Jiang"]  # "… Zuxuan Wu and Yu-Gang Jiang"
    assert survey.links == {"arxiv": "https://arxiv.org/pdf/2310.10647.pdf"} and survey.ids == {"arxiv": "2310.10647"}
    assert survey.keywords == ["Survey"]
    visual = by_title(records, "State of the Art on Diffusion Models for Visual Computing")
    assert len(visual.authors) == 18 and visual.authors[-1] == "Gordon Wetzstein" and "Matthias Nießner" in visual.authors
    scalelong = by_title(records, "ScaleLong")
    assert (scalelong.venue, scalelong.year, scalelong.track) == ("NeurIPS", 2023, None)
    assert scalelong.code_urls == ["https://github.com/sail-sg/ScaleLong"]
    assert scalelong.extra["section"] == "Papers > Vision > Generation" and scalelong.keywords == ["Generation"]
    workshop = by_title(records, "Exploring Compositional Visual Generation with Latent Classifier Guidance")
    assert (workshop.venue, workshop.year, workshop.track) == ("CVPR", 2023, "Workshop")
    srpo = by_title(records, "Score Regularized Policy Optimization through Diffusion Behavior")
    assert srpo.authors == ["Huayu Chen", "Cheng Lu", "Zhengyi Wang", "Hang Su", "Jun Zhu"]
    assert srpo.code_urls == ["https://github.com/thu-ml/SRPO"] and srpo.keywords == ["Reinforcement Learning"]
    assert records[-1].title == "DiffCPS: Diffusion Model based Constrained Policy Search for Offline Reinforcement Learning"
    assert all(r.authors and r.year and r.ids.get("arxiv") for r in records)


def test_long_context_list_items_with_bold_links_and_news_items() -> None:
    records, _ = read("long_context_modeling.md")
    news = records[:4]
    assert [r.keywords for r in news] == [["Week Papers"]] * 4
    assert news[0].title == "Periodic RoPE for Infinite Context LLMs" and news[0].authors == []
    assert news[1].code_urls == ["https://github.com/huzhexin/ZipRL"]  # the star badge links the repository
    assert (news[3].title, news[3].venue, news[3].year) == ("Self-Prophetic Decoding to Unlock Visual Search in LVLMs",
                                                            "ICML", 2026)  # "(ICML 2026)"
    survey = records[4]  # 1. [**A Survey on Long Text Modeling with Transformers.**](…) _Zican Dong, …._ Arxiv 2023.
    assert survey.title == "A Survey on Long Text Modeling with Transformers"  # the final period is not the title's
    assert survey.authors == ["Zican Dong", "Tianyi Tang", "Lunyi Li", "Wayne Xin Zhao"]
    assert (survey.venue, survey.year, survey.links) == ("arXiv", 2023, {"arxiv": "https://arxiv.org/abs/2302.14502"})
    assert survey.keywords == ["General Long-Context Surveys"]  # "#### 1.1 General Long-Context Surveys"
    assert survey.extra["section"] == ("Large Language Model Based Long Context Modeling Papers and Blogs > Papers > "
                                       "Survey Papers > General Long-Context Surveys")
    bigbird = by_title(records, "Big Bird")
    assert (bigbird.venue, bigbird.year) == ("NeurIPS", 2020)
    assert bigbird.links == {"paper": "https://papers.nips.cc/paper/2020/hash/c8512d142a2d849725f31a9a7a361ab9-Abstract.html"}
    assert bigbird.code_urls == ["https://github.com/google-research/bigbird"]
    reformer = by_title(records, "Reformer")
    assert reformer.authors == ["Nikita Kitaev", "Łukasz Kaiser", "Anselm Levskaya"] and reformer.venue == "ICLR"
    sinkhorn = by_title(records, "Sparse and continuous attention mechanisms")
    assert (sinkhorn.venue, sinkhorn.year) == ("NeurIPS", 2020)  # the list writes "NIPS 2020"
    blockwise = by_title(records, "Blockwise selfattention")
    assert blockwise.links == {"paper": "https://aclanthology.org/2020.findings-emnlp.232/"} and blockwise.venue == "EMNLP"
    discard = by_title(records, "Model Tells You What to Discard")
    assert (discard.venue, discard.year, discard.track) == ("ICLR", 2024, "Oral")
    assert discard.ids == {"openreview": "uNrFpDPMyo"} and discard.links == {"forum": "https://openreview.net/forum?id=uNrFpDPMyo"}
    assert discard.keywords == ["Attention-Score & Heavy-Hitter Eviction"]
    assert records[-1] is discard


def test_awesome_llm_milestone_table() -> None:
    records, ctx = read("awesome_llm_milestones.md")
    assert len(records) == 20  # the table's rows, not the projects and lists around it
    assert ctx.warnings == ["10 entries with a title but no paper link, authors or venue were not read as papers "
                            "(lines 9, 10, 11, 12, 13, 59, 60, 61, 62, 63)"]
    attention = records[0]
    assert (attention.title, attention.venue, attention.year, attention.line) == ("Attention Is All You Need", "NeurIPS",
                                                                                  2017, 35)
    assert attention.ids == {"arxiv": "1706.03762"}
    assert attention.keywords == ["Milestone Papers", "Transformers"] and attention.extra["Institute"] == "Google"
    gpt1 = records[1]  # no venue in the Publication column, only a citation badge
    assert (gpt1.venue, gpt1.year) == (None, 2018)
    assert gpt1.links == {"pdf": "https://www.cs.ubc.ca/~amuham01/LING530/papers/radford2018improving.pdf"}
    t5 = by_title(records, "Exploring the Limits of Transfer Learning")
    assert (t5.venue, t5.year) == ("JMLR", 2019)
    flan = by_title(records, "Finetuned Language Models are Zero-Shot Learners")
    assert flan.venue == "ICLR" and flan.ids == {"openreview": "gEZrGCozdqR"}
    assert by_title(records, "Scaling Language Models: Methods, Analysis").title == (
        "Scaling Language Models: Methods, Analysis & Insights from Training Gopher")  # "&amp;" in the cell
    assert by_title(records, "Multitask Prompted").extra["Institute"] == "HuggingFace et al."
    assert records[-1].title == "LaMDA: Language Models for Dialog Applications"


def test_small_shapes_quoted_titles_labels_and_venues() -> None:
    text = (
        "# Reading list\n\n## Retrieval\n\n"
        '- "Dense Passage Retrieval for Open-Domain Question Answering", Vladimir Karpukhin, Barlas Oguz, '
        "Sewon Min (EMNLP'20) [[paper]](https://aclanthology.org/2020.emnlp-main.550.pdf) "
        "[[code]](https://github.com/facebookresearch/DPR)\n"
        "- **REALM: Retrieval-Augmented Language Model Pre-Training** Kelvin Guu, Kenton Lee et al. ICML 2020. "
        "[[arXiv]](https://arxiv.org/abs/2002.08909)\n"
        "- [Matryoshka Representation Learning (NeurIPS 2022)](https://arxiv.org/abs/2205.13147)\n"
        "- [Some tool](https://github.com/someone/tool) - a handy tool\n"
    )
    ctx = ParseContext()
    dpr, realm, mrl = markdown_list.parse(Source.from_bytes("list.md", text.encode()), ctx)
    assert dpr.title == "Dense Passage Retrieval for Open-Domain Question Answering"
    assert dpr.authors == ["Vladimir Karpukhin", "Barlas Oguz", "Sewon Min"]
    assert (dpr.venue, dpr.year, dpr.keywords) == ("EMNLP", 2020, ["Retrieval"])
    assert dpr.links == {"pdf": "https://aclanthology.org/2020.emnlp-main.550.pdf"}
    assert dpr.code_urls == ["https://github.com/facebookresearch/DPR"]
    assert (realm.title, realm.authors, realm.venue, realm.year) == (
        "REALM: Retrieval-Augmented Language Model Pre-Training", ["Kelvin Guu", "Kenton Lee"], "ICML", 2020)
    assert realm.ids == {"arxiv": "2002.08909"}
    assert (mrl.title, mrl.venue, mrl.year) == ("Matryoshka Representation Learning", "NeurIPS", 2022)
    assert ctx.warnings == ["1 entries with a title but no paper link, authors or venue were not read as papers (lines 8)"]


def test_paperatlas_own_markdown_export_reads_back() -> None:
    paper = Paper(id="p1", title="Attention Is All You Need", authors=["Ashish Vaswani", "Noam Shazeer"],
                  venue="NeurIPS", year=2017, track="Oral", links={"forum": "https://openreview.net/forum?id=abc"},
                  code_urls=["https://github.com/tensorflow/tensor2tensor"])
    text = "# Papers\n\n1. " + markdown_entry(paper) + "\n"
    [rec] = markdown_list.parse(Source.from_bytes("export.md", text.encode()), ParseContext())
    assert (rec.title, rec.authors, rec.venue, rec.year, rec.track) == (
        "Attention Is All You Need", ["Ashish Vaswani", "Noam Shazeer"], "NeurIPS", 2017, "Oral")
    assert rec.ids == {"openreview": "abc"} and rec.code_urls == ["https://github.com/tensorflow/tensor2tensor"]


def test_markdown_without_papers_is_one_clear_error() -> None:
    text = "# Notes\n\n- buy milk\n- [my blog](https://example.org)\n"
    with pytest.raises(ParseError, match="no paper entries") as err:
        list(markdown_list.parse(Source.from_bytes("notes.md", text.encode()), ParseContext()))
    assert "title" in err.value.hint


@pytest.mark.parametrize("text", ["[" * 20_000, "**a " * 20_000, "*_" * 20_000, "- [x](http://arxiv.org/abs/1) " * 5_000,
                                  "> " * 3_000 + "- " * 3_000 + "[a](b)", "`" * 20_000, "<" * 20_000,
                                  "- **A paper title** " + "Ab Cd, " * 20_000 + "ICLR " * 20_000])
def test_hostile_markdown_stays_fast(text: str) -> None:
    source = Source.from_bytes("x.md", text.encode())
    start = time.monotonic()
    markdown_list.sniff(source)
    try:
        list(markdown_list.parse(source, ParseContext()))
    except ParseError:
        pass
    assert time.monotonic() - start < 10


# -- detection by parsing ------------------------------------------------------------------------------
def test_six_pasted_lines_of_a_session_page_are_read_by_parsing() -> None:
    source = Source.from_bytes("paste.txt", six_lines().encode())
    assert max(p.sniff(source) for p in registry.parsers().values()) < registry.CONFIDENT
    found = registry.detect_by_parsing(source)
    assert (found.name, found.by, found.found, found.complete) == ("iclr_virtual", "parsing", 2, 2)
    assert registry.detect(source).NAME == "iclr_virtual"  # the CLI too, where no parser claimed it
    name, records = parse_source(source, ParseContext(path="paste.txt"))
    assert name == "iclr_virtual" and [r.title for r in records] == [
        "Summarization Programs: Interpretable Abstractive Summarization with Neural Modular Trees",
        "Binding Language Models in Symbolic Languages"]
    assert records[0].authors == ["Swarnadeep Saha", "Shiyue Zhang", "Peter Hase", "Mohit Bansal"]


def test_detection_by_parsing_does_not_invent_a_format() -> None:
    for text in ("hello\nthis is just a shopping list\n", "x" * (3 * 1024 * 1024)):
        with pytest.raises(ParseError, match="no format paperatlas knows"):
            registry.detect_by_parsing(Source.from_bytes("u.txt", text.encode()))
    with pytest.raises(ParseError, match="binary"):
        registry.detect_by_parsing(Source("x.bin", bytes(range(256)) * 64))


class _Endless:
    """A parser that claims nothing and reads one complete record per line of what it is given,
    slowly, for ever (the text is repeated)."""

    NAME = "zz_endless"
    DESCRIPTION = "test parser"
    seen = 0

    @classmethod
    def sniff(cls, source: Source) -> int:
        return 0

    @classmethod
    def parse(cls, source: Source, ctx: ParseContext) -> Iterator[Record]:
        cls.seen = max(cls.seen, len(source.data))
        while True:
            time.sleep(0.002)
            yield Record(title="A paper title", authors=["Ada Lovelace"])


def test_detection_by_parsing_is_bounded_in_time_and_size(monkeypatch: pytest.MonkeyPatch) -> None:
    registry.parsers()  # the built-ins first, then the test parser beside them
    monkeypatch.setitem(registry._PARSERS, _Endless.NAME, _Endless)
    source = Source.from_bytes("paste.txt", ("no format claims this line\n" * 200_000).encode())  # 5 MB
    found = registry.detect_by_parsing(source, time_limit=1.0, size_limit=64 * 1024)
    # stopped by the time limit: an endless parser gave fewer records than a trial takes
    assert (found.name, found.by) == ("zz_endless", "parsing") and 0 < found.found < registry.TRIAL_RECORDS
    assert _Endless.seen <= 64 * 1024  # the parsers read only the start of the text


def test_preview_reads_without_storing(atlas: Atlas) -> None:
    data = (MD / "long_context_modeling.md").read_bytes()
    before = atlas.store.papers.count(Filters())
    p = preview_bytes(atlas, "long_context_modeling.md", data, limit=5)
    assert p.report.ok and p.report.format == "markdown_list" and p.report.found == 27 and p.detected_by == "sniff"
    assert [r.title for r in p.records][:1] == ["Periodic RoPE for Infinite Context LLMs"] and len(p.records) == 5
    assert p.report.warnings and not p.known
    assert atlas.store.papers.count(Filters()) == before


# -- the web import: paste, preview, store ---------------------------------------------------------------
@pytest.fixture
def client(catalog_location: str | Path, settings: Settings) -> Iterator[TestClient]:
    with Atlas.open(catalog_location, settings) as atlas:
        app = create_app(atlas, ServerOptions(allowed_hosts=("testserver",), csrf_secret="test-secret"))
        with TestClient(app, base_url=BASE) as c:
            yield c


def token(client: TestClient) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/import").text)
    assert match
    return match.group(1)


def textarea(page: str) -> str:
    import html

    match = re.search(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "the page has the import form"
    return html.unescape(match.group(1))


def count(client: TestClient) -> int:
    return client.app.state.atlas.store.papers.count(Filters())  # type: ignore[attr-defined,no-any-return]


def test_paste_six_lines_previews_then_stores(client: TestClient) -> None:
    text = six_lines()
    page = client.post("/import", data={"_csrf": token(client), "text": text}, headers={"Origin": BASE})
    assert page.status_code == 200 and count(client) == 0  # a preview stores nothing
    assert '<code class="format">iclr_virtual</code>' in page.text and "reads it best" in page.text
    assert "Summarization Programs: Interpretable Abstractive Summarization with Neural Modular Trees" in page.text
    assert "Swarnadeep Saha, Shiyue Zhang, Peter Hase, Mohit Bansal" in page.text
    assert "Store these 2 papers" in page.text and 'id="import-store"' in page.text
    assert textarea(page.text) == text  # the text stays for the second step
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.text)
    assert key
    stored = client.post("/import", data={"_csrf": token(client), "text": text, "step": "store", "key": key.group(1)},
                         headers={"Origin": BASE})
    assert stored.status_code == 200 and "Imported" in stored.text and "2 new" in stored.text
    assert count(client) == 2 and textarea(stored.text) == ""  # stored: the form is ready for the next one


def test_a_store_of_edited_text_shows_a_new_preview(client: TestClient) -> None:
    text = six_lines()
    first = client.post("/import", data={"_csrf": token(client), "text": text}, headers={"Origin": BASE})
    key = re.search(r'name="key" value="([0-9a-f]+)"', first.text)
    assert key
    edited = "\n".join(text.splitlines()[:3]) + "\n"  # the user removed the second paper after the preview
    page = client.post("/import", data={"_csrf": token(client), "text": edited, "step": "store", "key": key.group(1)},
                       headers={"Origin": BASE})
    assert page.status_code == 200 and count(client) == 0
    assert "changed since the preview" in page.text and "Store this paper" in page.text


def test_paste_errors_keep_the_text_and_speak_of_the_page(client: TestClient) -> None:
    text = "hello\nthis is just a shopping list\n"
    page = client.post("/import", data={"_csrf": token(client), "text": text}, headers={"Origin": BASE})
    assert page.status_code == 400 and "no format paperatlas knows" in page.text
    assert "choose the format in the menu above" in page.text and "--format" not in page.text
    assert textarea(page.text) == text and "Your text is still in the box below" in page.text
    forced = client.post("/import", data={"_csrf": token(client), "text": text, "format": "bibtex", "step": "store"},
                         headers={"Origin": BASE})
    assert forced.status_code == 400 and textarea(forced.text) == text
    assert '<option value="bibtex" title="' in forced.text and re.search(r'value="bibtex"[^>]* selected', forced.text)
    bad_year = client.post("/import", data={"_csrf": token(client), "text": text, "year": "soon"}, headers={"Origin": BASE})
    assert bad_year.status_code == 400 and textarea(bad_year.text) == text and 'value="soon"' in bad_year.text
    stale = client.post("/import", data={"_csrf": "from-before-a-restart", "text": text}, headers={"Origin": BASE})
    assert stale.status_code == 403 and "CSRF" in stale.text and textarea(stale.text) == text
    assert count(client) == 0


def test_api_preview_option_and_one_step_ingest(client: TestClient) -> None:
    h = {"Origin": BASE, "X-CSRF-Token": token(client)}
    text = (MD / "awesome_llm_milestones.md").read_text(encoding="utf-8")
    preview = client.post("/api/ingest?preview=1", headers=h, json={"text": text, "name": "milestones.md"})
    body = preview.json()
    assert preview.status_code == 200 and body["stored"] is False and count(client) == 0
    assert body["report"]["format"] == "markdown_list" and body["report"]["found"] == 20 and body["detected_by"] == "sniff"
    assert body["records"][0] == {"position": 1, "line": 35, "title": "Attention Is All You Need", "authors": [],
                                  "year": 2017, "venue": "NeurIPS", "track": None}
    assert len(body["records"]) == 20 and body["more"] == 0
    assert client.post("/api/ingest", headers=h, json={"text": text, "name": "milestones.md", "preview": "1"}).json()[
        "stored"] is False
    stored = client.post("/api/ingest", headers=h, json={"text": text, "name": "milestones.md", "key": body["key"]})
    assert stored.status_code == 200 and stored.json()["stored"] is True and stored.json()["report"]["new"] == 20
    assert count(client) == 20
    changed = client.post("/api/ingest", headers=h, json={"text": text, "name": "milestones.md", "key": body["key"],
                                                          "venue": "ICLR"})
    assert changed.status_code == 409 and changed.json()["changed"] is True and count(client) == 20
    bad = client.post("/api/ingest?preview=1", headers=h, json={"text": "hello\nthis is just a shopping list\n"})
    assert bad.status_code == 400 and 'send "format": NAME (see /api/formats) if you know' in bad.json()["error"]["hint"]


def test_an_uploaded_file_is_kept_between_preview_and_store(client: TestClient) -> None:
    data = (MD / "awesome_diffusion_models.md").read_bytes()
    files = {"file": ("awesome.md", data, "text/markdown")}
    page = client.post("/import", data={"_csrf": token(client)}, files=files, headers={"Origin": BASE})
    assert page.status_code == 200 and "Store these 25 papers" in page.text and "previewed: awesome.md" in page.text
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.text)
    assert key
    again = client.post("/import", data={"_csrf": token(client), "key": key.group(1), "format": "markdown_list"},
                        headers={"Origin": BASE})  # "Preview again" with a format chosen: the kept file is read
    assert again.status_code == 200 and "Store these 25 papers" in again.text and "(chosen)" in again.text
    key = re.search(r'name="key" value="([0-9a-f]+)"', again.text)
    assert key
    stored = client.post("/import", data={"_csrf": token(client), "step": "store", "key": key.group(1),
                                          "format": "markdown_list"}, headers={"Origin": BASE})
    assert stored.status_code == 200 and "Imported awesome.md" in stored.text and count(client) == 25
    gone = client.post("/import", data={"_csrf": token(client), "step": "store", "key": "0" * 64}, headers={"Origin": BASE})
    assert gone.status_code == 400 and "no longer kept" in gone.text
