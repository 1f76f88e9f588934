"""Where a paper can be read: its PDF, arXiv abstract page, OpenReview forum and DOI, derived from
its strong ids and the links its listings gave, as one ordered list every interface shows.

    paper_links(paper)  ->  [("pdf", "https://openreview.net/pdf?id=abc"), ("arxiv", ...), ...]

Pure and total: any value of ``ids`` or ``links`` (listings are hostile by accident, and the
catalog's own export format takes ``ids`` as given) gives links only to ``http(s)`` URLs with a
host, never ``javascript:`` or ``data:``; an id that does not look like one of its kind gives no
link at all rather than a link built around junk.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

from .models import Paper

__all__ = ["KINDS", "LABELS", "link_rows", "paper_links", "web_url"]

KINDS = ("pdf", "arxiv", "openreview", "doi")  # the kinds a card shows, in this order
LABELS = {"pdf": "PDF", "arxiv": "arXiv", "openreview": "OpenReview", "doi": "DOI"}

# arXiv's two id schemes (https://info.arxiv.org/help/arxiv_identifier.html): YYMM.NNNN(N) since
# 2007, archive(.SC)/YYMMNNN before; an optional version.
_ARXIV = re.compile(r"(?:\d{2}(?:0[1-9]|1[0-2])\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d{1,3})?")
_OPENREVIEW = re.compile(r"[A-Za-z0-9_-]{1,64}")  # forum ids are short base64url-like strings
# A DOI: "10." registrant "/" suffix (https://www.doi.org/the-identifier/resources/handbook);
# bounded as normalize.ids bounds it.
_DOI = re.compile(r"10\.\d{4,9}/[^\s\"'<>{}\\^`|]{1,300}")
# Characters that never stand raw in a URL a listing meant: whitespace, controls, quotes, brackets.
_NOT_IN_URL = re.compile(r"[\s\x00-\x1f\x7f\"'<>\\^`{}|]")


def web_url(value: Any) -> str | None:
    """``value`` if it is an absolute http(s) URL with a host and nothing a real URL would not
    hold raw (whitespace, controls, quotes, angle brackets), else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > 2000 or _NOT_IN_URL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _id(ids: dict[str, Any], kind: str, pattern: re.Pattern[str]) -> str | None:
    value = ids.get(kind)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if pattern.fullmatch(value) else None


def paper_links(paper: Paper) -> list[tuple[str, str]]:
    """The paper's links as (kind, url), the kinds of ``KINDS`` first and in that order, then the
    listings' other links (site, project, video, …) under their own names; each URL once.

    - ``pdf``: the listing's PDF link, else OpenReview's PDF of the forum (the reviewed version),
      else arXiv's PDF.
    - ``arxiv``: ``arxiv.org/abs/ID`` from the arXiv id, else the listing's arXiv link.
    - ``openreview``: ``openreview.net/forum?id=ID`` from the forum id, else a listing's forum
      link on openreview.net.
    - ``doi``: ``doi.org/DOI`` (percent-encoded) from the DOI, else the listing's DOI link.
    """
    ids = paper.ids if isinstance(paper.ids, dict) else {}
    links = paper.links if isinstance(paper.links, dict) else {}
    arxiv = _id(ids, "arxiv", _ARXIV)
    forum = _id(ids, "openreview", _OPENREVIEW)
    doi = _id(ids, "doi", _DOI)
    listed = {str(k): url for k, v in links.items() if (url := web_url(v))}
    forum_link = listed.get("forum")
    if forum_link and not (_host(forum_link) == "openreview.net" or _host(forum_link).endswith(".openreview.net")):
        forum_link = None  # a forum elsewhere is one of the other links
    derived = {
        "pdf": listed.get("pdf") or (forum and f"https://openreview.net/pdf?id={forum}")
        or (arxiv and f"https://arxiv.org/pdf/{arxiv}"),
        "arxiv": (arxiv and f"https://arxiv.org/abs/{arxiv}") or listed.get("arxiv"),
        "openreview": (forum and f"https://openreview.net/forum?id={forum}") or forum_link,
        "doi": (doi and "https://doi.org/" + quote(doi, safe="/:;()[]")) or listed.get("doi"),
    }
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for kind in KINDS:
        url = derived[kind]
        if url and url not in seen:
            out.append((kind, url))
            seen.add(url)
    used = {"pdf", "arxiv", "doi"} | ({"forum"} if forum_link else set())
    for kind, url in listed.items():
        if kind not in used and url not in seen:
            out.append((kind, url))
            seen.add(url)
    return out


def link_rows(paper: Paper, kinds: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    """``paper_links`` as JSON rows ``{"kind", "label", "url"}`` (only ``kinds`` when given)."""
    return [{"kind": kind, "label": LABELS.get(kind, kind), "url": url}
            for kind, url in paper_links(paper) if kinds is None or kind in kinds]
