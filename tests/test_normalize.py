"""Behaviour of paperatlas.normalize: the clean forms every parser and the catalog rely on.

Real-world strings below are copied from the seed listings in /work/shared/seeds (ICLR pages from
papers.cool, Paper Copilot, a HF dataset viewer dump and HF daily papers)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperatlas.models import Record
from paperatlas.normalize import (
    abstract_key,
    clean_record,
    clean_ws,
    extract_code_urls,
    extract_ids,
    is_code_anonymized,
    latex_to_text,
    repair_doubled_name,
    split_authors,
    title_key,
)

# --- clean_ws ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [
        ("  a   b  ", "a b"),
        ("a\tb\nc\r\nd", "a b c d"),
        ("a\u00a0b", "a b"),
        ("a\u2009b\u202fc", "a b c"),
        ("a\u200bb", "a b"),
        ("\ufeffTitle\u200c\u200d", "Title"),
        ("\u00a0 \u200b ", ""),
        ("", ""),
        ("already clean", "already clean"),
    ],
)
def test_clean_ws(raw: str, clean: str) -> None:
    assert clean_ws(raw) == clean


# --- latex_to_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tex, text",
    [
        (r"$\ell_1$ regularization", "ℓ1 regularization"),
        (r"$\ell_{1}$", "ℓ1"),
        (r"CORES$^{2}$", "CORES2"),
        (r"VA-RED$^2$: Video Adaptive Redundancy", "VA-RED2: Video Adaptive Redundancy"),
        (r"$\alpha$, $\beta$, $\omega$, $\Omega$, $\Alpha$", "α, β, ω, Ω, Α"),
        (r"$\epsilon$-approximation", "ε-approximation"),
        (r"$\varphi(X)$", "φ(X)"),
        (r"$\infty$ $\times$ $\leq$ $\geq$ $\approx$ $\sim$", "∞ × ≤ ≥ ≈ ∼"),
        (r"$\mathcal{X}$ and $\mathbb{R}$", "X and R"),
        (r"$\mathrm{KFL}$ \textbf{bold} \textit{it} $\text{txt}$", "KFL bold it txt"),
        (r"the \emph{condition number} of", "the condition number of"),
        (r"is almost {\it de rigueur} when", "is almost de rigueur when"),
        (r"\url{https://github.com/ruiqigao/recovery_likelihood}.",
         "https://github.com/ruiqigao/recovery_likelihood."),
        (r"\href{https://github.com/NVIDIA/flowtron}{the repo}", "the repo"),
        ("``quoted'' text", '"quoted" text'),
        ("`single' text", "'single' text"),
        ("pages 1--2 --- a pause", "pages 1–2 — a pause"),
        (r"\& \% \_ \# \$", "& % _ # $"),
        (r"up to 90\% of", "up to 90% of"),
        (r"moir\'e R\'enyi Schr\"odinger", "moiré Rényi Schrödinger"),
        (r"{\"u}ber \c{c}a \c c", "über ça ç"),
        (r"na\"{i}ve \'{\i}", "naïve í"),
        (r"Polyak-{\L}ojasiewicz (P{\L})", "Polyak-Łojasiewicz (PŁ)"),
        ("training~data", "training data"),
        (r"\unknownmacro{kept text} here", "kept text here"),
        (r"$\frac{1}{T}$", "1/T"),
        (r"Pre-trained Transformers (\eg BERT)", "Pre-trained Transformers (e.g. BERT)"),
        (r"snake_case x^2 stays outside math", "snake_case x^2 stays outside math"),
        (r"\url{https://x.org/a_b~c}", "https://x.org/a_b~c"),
        ("", ""),
    ],
)
def test_latex_to_text(tex: str, text: str) -> None:
    assert latex_to_text(tex) == text


def test_latex_to_text_real_abstract_openings() -> None:
    # Seed 001 starts an abstract with macro definitions: they are not readable text.
    tex = (r"\newcommand{\rvar}[1]{\mathrm {#1}}\newcommand{\rvec}[1]{\boldsymbol{\mathrm{#1}}}"
           r"Quantile regression (QR) is a powerful tool")
    assert latex_to_text(tex) == "Quantile regression (QR) is a powerful tool"
    # Seed 004: a colour command's options and colour argument are dropped, its text kept.
    assert latex_to_text(r"ZSRC tasks. \textcolor[rgb]{1, 0, 0}{Code available at x}.") == (
        "ZSRC tasks. Code available at x."
    )
    assert latex_to_text(r"rate of $O(\frac{1}{\sqrt{t}})$, as") == "rate of O(1/√t), as"


@pytest.mark.parametrize(
    "tex",
    [
        r"\href{javascript:alert(1)}{javascript:alert(1)}",
        r"\url{javascript:alert(1)}",
        r"\url{ JavaScript:alert(1)}",
    ],
)
def test_latex_to_text_never_keeps_javascript_urls(tex: str) -> None:
    assert "javascript" not in latex_to_text(tex).lower()


def test_latex_to_text_href_keeps_text_not_target() -> None:
    assert latex_to_text(r"\href{javascript:alert(1)}{click here}") == "click here"


@pytest.mark.parametrize(
    "tex",
    ["{unbalanced", "unbalanced}}", "lone $ dollar", "lone backslash \\", "\\", "$", "{", "}",
     r"\frac{", r"\url{", r"\href{x}", r"\'", r"\c", r"\cite[unclosed", r"\newcommand", "$$",
     "\\\u00e9", "^_~`'-"],
)
def test_latex_to_text_survives_broken_input(tex: str) -> None:
    assert isinstance(latex_to_text(tex), str)


def test_latex_to_text_unbalanced_keeps_words() -> None:
    assert latex_to_text(r"\emph{open {group never closed") == "open group never closed"
    assert latex_to_text("closed} twice}") == "closed twice"


@pytest.mark.parametrize(
    "big",
    [
        ("An abstract with $\\alpha_1$ math, \\emph{emphasis}, a \\url{https://x.org}. ") * 14000,
        "{" * 1_000_000,
        "{}" * 500_000,
        "\\frac{" * 170_000,
        "\\cite[" * 170_000,
        "\\url{{" * 170_000,
        "a{" * 500_000,
    ],
    ids=["prose", "open-braces", "brace-pairs", "frac", "options", "urls", "alternating"],
)
def test_latex_to_text_survives_megabyte_input(big: str) -> None:
    assert len(big) >= 1_000_000
    latex_to_text(big)


# --- title_key / abstract_key ------------------------------------------------------------------


def test_title_key_ignores_case_from_papers_cool() -> None:
    upper = "REVISITING PRUNING AT INITIALIZATION THROUGH THE LENS OF RAMANUJAN GRAPH"
    normal = "Revisiting Pruning at Initialization through the Lens of Ramanujan Graph"
    assert title_key(upper) == title_key(normal)
    assert title_key(normal) == (
        "revisiting pruning at initialization through the lens of ramanujan graph"
    )


@pytest.mark.parametrize(
    "a, b",
    [
        ("Confidential-PROFITT: Confidential PROof", "confidential profitt confidential proof"),
        ("  Spaces\u00a0and\ttabs ", "spaces and tabs"),
        ("Café Rényi Łojasiewicz", "cafe renyi łojasiewicz"),
        (r"Polyak-{\L}ojasiewicz", "polyak łojasiewicz"),
        (r"$\ell_1$-norm", "l1 norm"),
        ("VA-RED$^2$: Video", "va red2 video"),
        ("snake_case", "snake case"),
        ("Straße", "strasse"),
        ("", ""),
        ("!!!", ""),
    ],
)
def test_title_key(a: str, b: str) -> None:
    assert title_key(a) == b


def test_title_key_accents_and_latex_accents_agree() -> None:
    assert title_key(r"Schr\"odinger Bridges") == title_key("Schrödinger bridges")


def test_abstract_key_uses_first_60_words() -> None:
    words = [f"w{i}" for i in range(100)]
    full = " ".join(words)
    truncated = " ".join(words[:70]) + "…"
    assert abstract_key(full) == " ".join(words[:60])
    assert abstract_key(full) == abstract_key(truncated)
    assert abstract_key("Short, ABSTRACT.") == "short abstract"


# --- split_authors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, names",
    [
        ("Benjamin David Haeffele,Chong You,Rene Vidal",
         ["Benjamin David Haeffele", "Chong You", "Rene Vidal"]),
        ("Duc Hoang ; Shiwei Liu ; Radu Marculescu",
         ["Duc Hoang", "Shiwei Liu", "Radu Marculescu"]),
        ("Swarnadeep Saha · Shiyue Zhang · Peter Hase · Mohit Bansal",
         ["Swarnadeep Saha", "Shiyue Zhang", "Peter Hase", "Mohit Bansal"]),
        ("A · B · C", ["A", "B", "C"]),
        ("A·B·C", ["A", "B", "C"]),
        ("A, B and C", ["A", "B", "C"]),
        ("A, B, and C", ["A", "B", "C"]),
        ("A and B", ["A", "B"]),
        ("A & B", ["A", "B"]),
        ("Smith, Jr. ; Doe", ["Smith, Jr.", "Doe"]),
        ("Alihan Hüyük,Daniel Jarrett,Cem Tekin,Mihaela van der Schaar",
         ["Alihan Hüyük", "Daniel Jarrett", "Cem Tekin", "Mihaela van der Schaar"]),
        ("Anand Kumar", ["Anand Kumar"]),
        ("  Solo\u00a0Author ", ["Solo Author"]),
        ("A ;; B ; ", ["A", "B"]),
        ("", []),
        (" ; , ", []),
    ],
)
def test_split_authors(raw: str, names: list[str]) -> None:
    assert split_authors(raw) == names


# --- repair_doubled_name -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, result",
    [
        ("Kumar Pratik Kumar Pratik", ("Kumar Pratik", True)),
        ("Jian Li Jian Li", ("Jian Li", True)),
        ("Mihaela van der Schaar Mihaela van der Schaar", ("Mihaela van der Schaar", True)),
        ("Yu Yu", ("Yu Yu", False)),
        ("Li Li", ("Li Li", False)),
        ("Wei Wei", ("Wei Wei", False)),
        ("Jian Li Jian", ("Jian Li Jian", False)),
        ("A B C A B", ("A B C A B", False)),
        ("Kumar Pratik", ("Kumar Pratik", False)),
        ("", ("", False)),
    ],
)
def test_repair_doubled_name(name: str, result: tuple[str, bool]) -> None:
    assert repair_doubled_name(name) == result


# --- extract_code_urls -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, urls",
    [
        ("Our code is available at: https://github.com/VITA-Group/ramanujan-on-pai.",
         ["https://github.com/VITA-Group/ramanujan-on-pai"]),
        ("Our code is available at: https://github.com/VITA-G...", ["https://github.com/VITA-G"]),
        ("Our code is available at: github.com/VITA-G", ["https://github.com/VITA-G"]),
        ("available at github.com/namratadeka/circe.", ["https://github.com/namratadeka/circe"]),
        (r"available at \url{https://github.com/ruiqigao/recovery_likelihood}.",
         ["https://github.com/ruiqigao/recovery_likelihood"]),
        ("(https://github.com/x/y)", ["https://github.com/x/y"]),
        ("https://www.github.com/x/y.git, more", ["https://github.com/x/y"]),
        ("http://GitHub.com/x/y/", ["https://github.com/x/y"]),
        ("https://github.com/google-research/google-research/tree/master/smug_saliency",
         ["https://github.com/google-research/google-research"]),
        ("https://github.com/tech-srl/bottleneck/ .", ["https://github.com/tech-srl/bottleneck"]),
        (r"\href{https://github.com/NVIDIA/flowtron}{https://github.com/NVIDIA/flowtron}.",
         ["https://github.com/NVIDIA/flowtron"]),
        ("available at https://github.com/NJU-RL/ACORM}{https://github.com/NJU-RL/ACORM.",
         ["https://github.com/NJU-RL/ACORM"]),
        ("gitlab.com/group/repo bitbucket.org/o/r codeberg.org/o/r",
         ["https://gitlab.com/group/repo", "https://bitbucket.org/o/r",
          "https://codeberg.org/o/r"]),
        ("https://huggingface.co/datasets/foo/bar?row=1 and huggingface.co/spaces/a/b.",
         ["https://huggingface.co/datasets/foo/bar", "https://huggingface.co/spaces/a/b"]),
        ("model at https://huggingface.co/google/bert-base.",
         ["https://huggingface.co/google/bert-base"]),
        ("https://sourceforge.net/projects/foo/files/", ["https://sourceforge.net/projects/foo"]),
        ("see https://github.com/a/b and https://github.com/a/b/issues and github.com/A/B",
         ["https://github.com/a/b"]),
        ("first github.com/z/z then github.com/a/a",
         ["https://github.com/z/z", "https://github.com/a/a"]),
    ],
)
def test_extract_code_urls(text: str, urls: list[str]) -> None:
    assert extract_code_urls(text) == urls


@pytest.mark.parametrize(
    "text",
    [
        "no links here",
        "we put it on github.com.",
        "https://huggingface.co/papers/2101.12345",
        "project page https://vita-group.github.io/x",
        "mygithub.com/a/b",
        "https://ge.in.tum.de/publications",
        "",
    ],
)
def test_extract_code_urls_ignores_non_code(text: str) -> None:
    assert extract_code_urls(text) == []


# --- is_code_anonymized ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "without any training. Our code is available at anonymized.",  # seed 001
        "Our code is available~https://anonymous.4open.science/r/BIB-ICLR2023-Submission/"
        "README.md{here.}",  # seed 004
        "See our anonymous GitHub repository.",
        "Code: https://anonymous.4open.science/r/xyz",
        "code at https://anonymous.example/r/1",
        "The code will be released at an anonymized link during review.",
        "Code will be released (anonymized for review).",
    ],
)
def test_is_code_anonymized(text: str) -> None:
    assert is_code_anonymized(text)


@pytest.mark.parametrize(
    "text",
    [
        "Our code is available at https://github.com/VITA-Group/ramanujan-on-pai.",
        "Code will be released upon acceptance.",
        "We study anonymous communication networks. Results are strong.",
        "We anonymize patient records. Code is at github.com/a/b.",
        "",
    ],
)
def test_is_code_anonymized_false_for_ordinary_text(text: str) -> None:
    assert not is_code_anonymized(text)


# --- extract_ids -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "texts, ids",
    [
        (("https://openreview.net/forum?id=FOyuZ26emy",), {"openreview": "FOyuZ26emy"}),
        (("https://openreview.net/forum?id=unI5ucw_Jk",), {"openreview": "unI5ucw_Jk"}),
        (("https://openreview.net/pdf?id=a-B_9&noteId=x",), {"openreview": "a-B_9"}),
        (("https://openreview.net/forum?noteId=x&id=ABC",), {"openreview": "ABC"}),
        (("https://openreview.net/pdf/b695594106c11bb76d5334e21cd6ae28728ec857.pdf",), {}),
        (("https://arxiv.org/abs/2101.12345v3",), {"arxiv": "2101.12345"}),
        (("https://arxiv.org/pdf/2101.12345v2.pdf",), {"arxiv": "2101.12345"}),
        (("see arXiv:2101.1234.",), {"arxiv": "2101.1234"}),
        (("arXiv: 2310.01234v1",), {"arxiv": "2310.01234"}),
        (("https://arxiv.org/abs/hep-th/9901001v2",), {"arxiv": "hep-th/9901001"}),
        (("arXiv:cs.LG/0101001",), {"arxiv": "cs.LG/0101001"}),
        (("published as 2101.12345 and hep-th/9901001",), {}),
        (("https://doi.org/10.1145/3292500.3330701.",), {"doi": "10.1145/3292500.3330701"}),
        (("doi:10.1016/S0001-8708(02)00013-3).",), {"doi": "10.1016/s0001-8708(02)00013-3"}),
        (("(10.1000/ABC)",), {"doi": "10.1000/abc"}),
        (("https://openreview.net/forum?id=X1", "https://arxiv.org/abs/2101.12345",
          "https://doi.org/10.1/x"), {"openreview": "X1", "arxiv": "2101.12345"}),
        (("https://doi.org/10.1234/first", "https://doi.org/10.1234/second"),
         {"doi": "10.1234/first"}),
        ((), {}),
        (("",), {}),
    ],
)
def test_extract_ids(texts: tuple[str, ...], ids: dict[str, str]) -> None:
    assert extract_ids(*texts) == ids


# --- clean_record ------------------------------------------------------------------------------


def _record(**fields) -> Record:
    return Record(**fields)


def test_clean_record_repairs_doubled_author_from_seed() -> None:
    rec = _record(
        title="Some Title",
        authors=split_authors("Tribhuvanesh Orekondy · Kumar Pratik Kumar Pratik · Shreya Kadambi"
                              " · Hao Ye · Joseph Soriaga · Arash Behboodi"),
    )
    assert clean_record(rec) is rec
    assert rec.authors == ["Tribhuvanesh Orekondy", "Kumar Pratik", "Shreya Kadambi", "Hao Ye",
                           "Joseph Soriaga", "Arash Behboodi"]
    assert rec.warnings == [
        'author name "Kumar Pratik Kumar Pratik" looks doubled by the page; kept "Kumar Pratik"'
    ]


def test_clean_record_whitespace_and_lists() -> None:
    rec = _record(
        title=" \u00a0Revisiting\n Pruning ",
        abstract="Line one.\n\n  Line\ttwo with $\\ell_1$.",
        venue=" ICLR  2023 ",
        track="  ",
        session="Poster\u00a0Session 6",
        keywords=["ML", " ml", "", "  ", "RL"],
        authors=["  Yu Yu ", "", "\u200b", "Hao Ye", "Hao  Ye"],
    )
    clean_record(rec)
    assert rec.title == "Revisiting Pruning"
    assert rec.abstract == "Line one. Line two with $\\ell_1$."  # LaTeX is kept for display
    assert rec.venue == "ICLR 2023"
    assert rec.track is None
    assert rec.session == "Poster Session 6"
    assert rec.keywords == ["ML", "RL"]
    assert rec.authors == ["Yu Yu", "Hao Ye"]
    assert rec.warnings == []


def test_clean_record_whitespace_title_becomes_empty() -> None:
    assert clean_record(_record(title=" \u00a0\u200b\n")).title == ""


def test_clean_record_code_urls_ids_and_flags() -> None:
    rec = _record(
        title="T",
        abstract="Code: https://github.com/a/b. Our code is available at anonymized.",
        links={
            "forum": "https://openreview.net/forum?id=FOyuZ26emy",
            "pdf": "https://openreview.net/pdf/b695594106c11bb76d5334e21cd6ae28728ec857.pdf",
            "code": "https://github.com/c/d.git",
            "arxiv": "https://arxiv.org/abs/2101.12345v2",
            "site": "https://example.org/project",
        },
        code_urls=["https://github.com/a/b/", "https://example.org/code"],
        ids={"arxiv": "1999.00001"},
    )
    clean_record(rec)
    assert rec.code_urls == ["https://github.com/a/b", "https://example.org/code",
                             "https://github.com/c/d"]
    assert rec.ids == {"openreview": "FOyuZ26emy", "arxiv": "1999.00001"}  # existing id wins
    assert rec.flags == ["code-anonymized"]
    assert rec.links["code"] == "https://github.com/c/d.git"  # links are not rewritten


def test_clean_record_is_idempotent() -> None:
    rec = _record(
        title="T",
        authors=["Kumar Pratik Kumar Pratik"],
        abstract="Code at https://anonymous.4open.science/r/x and github.com/o/r",
        flags=["code-anonymized"],
    )
    clean_record(rec)
    snapshot = (list(rec.authors), list(rec.code_urls), dict(rec.ids), list(rec.flags),
                list(rec.warnings))
    clean_record(rec)
    assert (rec.authors, rec.code_urls, rec.ids, rec.flags, rec.warnings) == snapshot
    assert rec.flags == ["code-anonymized"]
    assert len(rec.warnings) == 1


# --- never raise -------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_text_functions_never_raise(text: str) -> None:
    assert isinstance(clean_ws(text), str)
    assert isinstance(latex_to_text(text), str)
    assert isinstance(title_key(text), str)
    assert isinstance(abstract_key(text), str)
    assert all(isinstance(n, str) and n for n in split_authors(text))
    assert all(u.startswith("https://") for u in extract_code_urls(text))
    assert isinstance(extract_ids(text, text), dict)
    assert isinstance(is_code_anonymized(text), bool)
    fixed, _ = repair_doubled_name(text)
    assert isinstance(fixed, str)


_LATEX_PIECES = list("\\{}$^_~`'-[]ab \"c&%:/.") + [
    "\\emph", "\\url", "\\href", "\\frac", "\\'", "\\newcommand", "github.com/", "arXiv:",
    "10.1234/", "openreview.net/forum?id=", "javascript:",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_LATEX_PIECES), max_size=40).map("".join))
def test_latex_soup_never_raises(text: str) -> None:
    out = latex_to_text(text)
    assert out == clean_ws(out)
    assert title_key(text) == title_key(title_key(text))
    extract_code_urls(text)
    extract_ids(text)
    split_authors(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_clean_record_never_raises(text: str) -> None:
    rec = clean_record(_record(title=text, abstract=text, authors=[text, text], links={"x": text},
                               keywords=[text], venue=text))
    assert rec.title == clean_ws(text)


@pytest.mark.parametrize(
    "big",
    [
        "openreview.net/forum?" * 50_000,
        "10.1234/" + ")" * 1_000_000,
        "arxiv:" * 170_000,
        "github.com/" * 100_000,
        "code " * 200_000 + "anonym",
        " and " * 200_000,
        "Kumar Pratik " * 100_000,
    ],
    ids=["openreview", "doi-parens", "arxiv", "github", "anon", "and", "names"],
)
def test_extractors_survive_megabyte_input(big: str) -> None:
    extract_ids(big)
    extract_code_urls(big)
    is_code_anonymized(big)
    split_authors(big)
    repair_doubled_name(big)
    title_key(big)


def test_combining_class_matches_unicodedata() -> None:
    import unicodedata

    from paperatlas.normalize import _COMBINING

    for cp in range(0x110000):
        ch = chr(cp)
        assert (cp in _COMBINING) == bool(unicodedata.combining(ch)), hex(cp)


@given(st.text())
def test_clean_ws_fast_path_agrees_with_the_regex(text: str) -> None:
    from paperatlas.normalize import _WS

    assert clean_ws(text) == _WS.sub(" ", text).strip()


def test_unsafe_link_schemes_never_enter_the_catalog() -> None:
    from paperatlas.models import Record

    rec = clean_record(Record(
        title="T",
        links={"pdf": "javascript:alert(1)", "forum": "https://openreview.net/forum?id=abc", "site": "JaVaScRiPt:x"},
        code_urls=["data:text/html,<script>", "github.com/a/b", "www.example.org/project"],
    ))
    assert rec.links == {"forum": "https://openreview.net/forum?id=abc"}
    assert rec.code_urls == ["https://github.com/a/b", "www.example.org/project"]
    assert sum("not an http(s) address" in w for w in rec.warnings) == 3
