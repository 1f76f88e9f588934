"""Strong identifiers (OpenReview forum, arXiv, DOI) found in URLs and text: two records
with the same id are the same paper whatever their titles say.

Every function here must accept any string without raising, and run in (near) linear time:
sources are scraped pages and their text is hostile by accident.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

# Forum ids only: openreview.net/pdf/<sha>.pdf names a file, not a forum.
_OPENREVIEW = re.compile(
    r"openreview\.net/(?:forum|pdf|attachment)/?\?(?:[^\s#\"'<>]{0,300}?&)?id=([A-Za-z0-9_-]+)",
    re.IGNORECASE,
)
_ARXIV_NEW = r"(\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v\d+)?(?!\d)"
_ARXIV_OLD = r"([a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?!\d)"
# Bare numbers look like arXiv ids all too often, so only trusted prefixes count.
_ARXIV_PREFIX = (r"(?:arxiv\.org/(?:abs|pdf|html|format)/|arxiv:\s*|papers\.cool/arxiv/"
                 r"|(?:huggingface|hf)\.co/papers/|10\.48550/arxiv\.)")
_ARXIV = re.compile(_ARXIV_PREFIX + "(?:" + _ARXIV_NEW + "|" + _ARXIV_OLD + ")", re.IGNORECASE)
# Length-bounded: real DOIs are short, and a bound keeps junk input linear.
_DOI = re.compile(r"(?<![\w.])(10\.\d{4,9}/[^\s\"<>{}]{1,300})")


_TEX_ESCAPES = re.compile(r"\\([_%&#$])")  # DBLP and LaTeX bibliographies escape DOI characters
_DOI_PREFIX = re.compile(r"^\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*|doi\s+)", re.IGNORECASE)
_BARE_ARXIV = re.compile(r"^\s*(?:arxiv:\s*)?" + "(?:" + _ARXIV_NEW + "|" + _ARXIV_OLD + r")\s*$", re.IGNORECASE)


def normalize_doi(value: str) -> str | None:
    """A DOI as one form whatever the source wrote: TeX escapes undone (``10.1145/3292500.3330701``
    from DBLP's ``10.1145/3292500\\_3330701``-style escapes), ``https://doi.org/`` and ``doi:``
    dropped, lower case; None when it is not a DOI."""
    if not isinstance(value, str) or len(value) > 500:
        return None
    text = _DOI_PREFIX.sub("", _TEX_ESCAPES.sub(r"\1", value.strip()))
    m = _DOI.search(text)
    if not m or m.start() > 0:
        return None
    doi = _clean_doi(m.group(1))
    return None if doi.endswith("/") else doi


def normalize_arxiv(value: str) -> str | None:
    """The arXiv id (no version) in an id, an ``arXiv:`` reference ("arXiv preprint
    arXiv:2002.06038", Google Scholar's journal field), an arxiv.org URL or an eprint field; None
    when there is none."""
    if not isinstance(value, str) or len(value) > 2000:
        return None
    m = _BARE_ARXIV.match(value)
    if m:
        return m.group(1) or m.group(2)
    found = extract_ids(value).get("arxiv")
    return found


def _clean_doi(doi: str) -> str:
    doi = unquote(_TEX_ESCAPES.sub(r"\1", doi)).rstrip(".,;:'\"")
    if doi.lower().endswith(".pdf"):  # a publisher's PDF URL: .../pdf/10.1007/978-3-030-1_1.pdf
        doi = doi[:-4]
    # A closing bracket belongs to the DOI only when the DOI opened it: "10.1016/S0(02)00013-3".
    while doi and doi[-1] in ")]":
        if doi.count(doi[-1]) <= doi.count("(" if doi[-1] == ")" else "["):
            break
        doi = doi[:-1].rstrip(".,;:'\"")
    return doi.lower()


def extract_ids(*texts: str) -> dict[str, str]:
    """Strong ids found in URLs/text: ``openreview`` forum id, ``arxiv`` id (version stripped),
    ``doi`` (lower-cased)."""
    ids: dict[str, str] = {}
    for text in texts:
        if not isinstance(text, str) or not text:
            continue
        lower = text.lower()  # substring checks first: the regexes are the slow part
        if "openreview" not in ids and "openreview" in lower and (m := _OPENREVIEW.search(text)):
            ids["openreview"] = m.group(1)
        if "arxiv" not in ids and ("arxiv" in lower or "/papers/" in lower) and (m := _ARXIV.search(text)):
            ids["arxiv"] = m.group(1) or m.group(2)
        if "doi" not in ids and "10." in text:
            for m in _DOI.finditer(text):
                doi = _clean_doi(m.group(1))
                if not doi.endswith("/"):
                    ids["doi"] = doi
                    break
    return ids
