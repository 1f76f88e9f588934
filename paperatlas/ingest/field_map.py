"""Field mapping for generic paper records: field names matched case-insensitively against
common aliases (``paper_title``, ``author_names``, ``pdf_url``, ``github``, ...), the earlier
alias winning, so that any table or JSON of papers maps onto a Record. What maps to no field
is kept in ``Record.extra``, as is an alias that lost to an earlier one.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..models import Record
from .common import (
    arxiv_id,
    author_details,
    authors_and_affiliations,
    doi_of,
    openreview_url,
    split_list,
    text_of,
    year_of,
)

_OPENREVIEW_ID = re.compile(r"^[A-Za-z0-9_\-]{5,20}$")
_NEW_ARXIV_ID = re.compile(r"^\d{4}\.\d{4,5}(v\d+)?$")

_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "paper_id", "paperid", "uid", "_id", "openreview_id", "forum_id", "note_id",
           "arxiv_id", "arxivid", "doc_id", "corpus_id", "corpusid", "key", "citation_key", "_key"),
    "title": ("title", "paper_title", "papertitle", "title_text", "name"),
    "authors": ("authors", "author", "author_names", "authornames", "authors_list", "author_list",
                "creators", "authors_parsed"),
    "abstract": ("abstract", "summary", "paper_abstract", "abstract_text", "abstracttext"),
    "venue": ("venue", "conference", "booktitle", "journal", "venue_name", "conference_name",
              "container_title"),
    "year": ("year", "pub_year", "publication_year", "date", "published", "publication_date",
             "pub_date", "published_at", "publishedat", "publishdate", "created", "submitted",
             "issued"),
    "track": ("track", "status", "decision", "presentation_type", "presentation", "type"),
    "session": ("session", "session_name", "sess"),
    "keywords": ("keywords", "tags", "topics", "keyword", "subjects"),
}
_LINK_ALIASES: dict[str, tuple[str, ...]] = {
    "forum": ("forum", "forum_url", "forumurl", "openreview_url", "openreview_link"),
    "site": ("url", "link", "site", "paperurl", "paper_url", "html_url", "abs_url", "page", "page_url",
             "landing_page"),
    "pdf": ("pdf", "pdf_url", "pdfurl", "pdf_link", "pdflink", "openaccesspdf"),
    "project": ("project", "project_page", "project_url", "homepage"),
    "video": ("video", "video_url", "youtube"),
    "arxiv": ("arxiv_url", "arxiv_link"),
    "detail": ("detail", "detail_url"),
}
_CODE_ALIASES = ("code", "github", "code_url", "codeurl", "code_link", "repo", "repository", "repo_url",
                 "github_url", "github_link", "code_urls")
_DOI_ALIASES = ("doi",)
_ARXIV_ALIASES = ("arxiv", "arxiv_id", "arxivid", "eprint")

# normalised key -> (role, rank) (rank: earlier alias wins)
_ROLE: dict[str, tuple[str, int]] = {}
for _role, _names in _ALIASES.items():
    for _rank, _n in enumerate(_names):
        _ROLE.setdefault(_n, (_role, _rank))
for _kind, _names in _LINK_ALIASES.items():
    for _rank, _n in enumerate(_names):
        _ROLE.setdefault(_n, ("link:" + _kind, _rank))
for _rank, _n in enumerate(_CODE_ALIASES):
    _ROLE.setdefault(_n, ("code", _rank))
_ROLE["openreview"] = ("openreview", 0)  # a forum URL or a bare forum id
for _n in _DOI_ALIASES:
    _ROLE.setdefault(_n, ("doi", 0))
for _rank, _n in enumerate(_ARXIV_ALIASES):
    _ROLE.setdefault(_n, ("arxiv", _rank))
# Semantic Scholar's {"DOI": ..., "ArXiv": ..., "CorpusId": ...}
_ROLE["externalids"] = ("externalids", 0)
# the catalog export's own structured fields
for _n in ("links", "code_urls", "ids", "counters", "flags"):
    _ROLE[_n] = ("export:" + _n, 0)


_LIST_ROLES = {"authors", "keywords", "code", "export:links", "export:ids", "export:counters",
               "export:flags", "export:code_urls"}


def _norm_key(key: str) -> str:
    return key.strip().lower().replace(" ", "_").replace("-", "_").replace(".", "_")


def _empty(value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def record_from_mapping(
    row: dict[str, Any], pos: int, line: int | None, *, split_cells: bool = False
) -> Record:
    """A Record from one mapping of field names to values (title may be empty: callers check)."""
    if "row" in row and isinstance(row["row"], dict) and ("row_idx" in row or len(row) <= 3):
        row = row["row"]  # Hugging Face datasets-server rows
    best: dict[str, tuple[int, str, Any]] = {}
    extra: dict[str, Any] = {}
    for key, value in row.items():
        key = str(key)
        role = _ROLE.get(_norm_key(key))
        if role is None:
            if not _empty(value):
                extra[key] = value
            continue
        if _empty(value):
            continue
        name, rank = role
        prev = best.get(name)
        if prev is None or rank < prev[0]:
            if prev is not None:
                extra[prev[1]] = prev[2]
            best[name] = (rank, key, value)
        else:
            extra[key] = value

    def get(name: str) -> Any:
        hit = best.get(name)
        return hit[2] if hit else None

    if split_cells:  # CSV cells holding JSON lists ('["a", "b"]')
        for name, (rank, key, value) in list(best.items()):
            if name not in _LIST_ROLES:
                continue
            if isinstance(value, str) and value[:1] in "[{" and value.rstrip()[-1:] in "]}":
                try:
                    best[name] = (rank, key, json.loads(value))
                except (ValueError, RecursionError):
                    pass

    rec = Record(position=pos, line=line)
    rid = get("id")
    if rid is not None and not isinstance(rid, (dict, list)):
        rec.record_id = text_of(rid).strip() or None
    rec.title = text_of(get("title")).strip()
    authors = get("authors")
    rec.authors, affiliations = authors_and_affiliations(authors)
    if any(affiliations):
        extra["author affiliations"] = affiliations
    if author_details(authors) is not None:  # author ids, affiliations, ... beside the names
        extra[best["authors"][1]] = authors
    rec.abstract = text_of(get("abstract")).strip()
    venue_value = get("venue")
    if isinstance(venue_value, list):  # CSL's container-title may be a list
        venue_value = next((v for v in venue_value if isinstance(v, str) and v.strip()), None)
    venue = text_of(venue_value).strip()
    rec.venue = venue or None
    rec.year = year_of(get("year"))
    if rec.year is None and best.get("year"):
        rec.warn(f"no year in {best['year'][1]!r}: {text_of(best['year'][2])[:40]!r}")
    rec.track = text_of(get("track")).strip() or None
    rec.session = text_of(get("session")).strip() or None
    rec.keywords = split_list(get("keywords"), "|;,")

    # the catalog export's structured fields, taken as they are (other shapes go to extra)
    for name in ("export:links", "export:ids", "export:counters", "export:flags", "export:code_urls"):
        hit = best.get(name)
        if hit is None:
            continue
        key, value = hit[1], hit[2]
        if name in ("export:links", "export:ids") and isinstance(value, dict):
            target = rec.links if name == "export:links" else rec.ids
            target.update({str(k): v for k, v in value.items() if isinstance(v, str) and v})
        elif name == "export:counters" and isinstance(value, dict):
            rec.counters = {
                str(k): int(v)
                for k, v in value.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            }
        elif name == "export:flags" and isinstance(value, (list, str)):
            rec.flags = split_list(value, ",")
        elif name == "export:code_urls" and isinstance(value, (list, str)):
            rec.code_urls = split_list(value, " ,;")
        else:
            extra[key] = value

    for name, (_rank, key, value) in best.items():
        if name.startswith("link:"):
            if isinstance(value, dict) and isinstance(value.get("url"), str):
                url = value["url"].strip()  # {"url": ..., "status": ...} (Semantic Scholar)
                if url and set(value) - {"url"}:
                    extra[key] = value
            else:
                url = text_of(value).strip() if not isinstance(value, list) else ""
            if url:
                rec.links.setdefault(name[5:], url)
            elif not isinstance(value, (str, int, float)):
                extra[key] = value
        elif name == "openreview":
            value_text = text_of(value).strip()
            if "/" not in value_text and _OPENREVIEW_ID.match(value_text):
                rec.ids.setdefault("openreview", value_text)
                rec.links.setdefault("forum", "https://openreview.net/forum?id=" + value_text)
            elif value_text:
                rec.links.setdefault("forum", value_text)
            else:
                extra[key] = value
        elif name == "code":
            for url in split_list(value, " ,;"):
                if url not in rec.code_urls:
                    rec.code_urls.append(url)
        elif name == "doi":
            doi = doi_of(text_of(value))
            if doi:
                rec.ids.setdefault("doi", doi)
                rec.links.setdefault("doi", "https://doi.org/" + doi)
            else:
                extra[key] = value
        elif name == "arxiv":
            aid = arxiv_id(text_of(value))
            if aid:
                rec.ids.setdefault("arxiv", aid)
                rec.links.setdefault("arxiv", "https://arxiv.org/abs/" + aid)
            else:
                extra[key] = value
        elif name == "externalids":
            rest = external_ids(value, rec)
            if rest:
                extra[key] = rest
    if rec.record_id and "arxiv" not in rec.ids:
        id_key = _norm_key(best["id"][1])
        if id_key in ("arxiv_id", "arxivid") or _NEW_ARXIV_ID.match(rec.record_id):
            aid = arxiv_id(rec.record_id)
            if aid:
                rec.ids["arxiv"] = aid
                rec.links.setdefault("arxiv", "https://arxiv.org/abs/" + aid)
        elif id_key in ("openreview_id", "forum_id"):
            rec.ids.setdefault("openreview", rec.record_id)
            rec.links.setdefault("forum", "https://openreview.net/forum?id=" + rec.record_id)
    if "pdf" in rec.links:
        rec.links["pdf"] = openreview_url(rec.links["pdf"]) if rec.links["pdf"].startswith("/pdf") else rec.links["pdf"]
    rec.extra = extra
    return rec


def external_ids(value: Any, rec: Record) -> Any:
    """Semantic Scholar's ``externalIds``: the DOI and arXiv id onto the record (ids and links);
    returns what is left (CorpusId, MAG, DBLP, ...), or the value itself when it is no mapping."""
    if not isinstance(value, dict):
        return value
    rest: dict[str, Any] = {}
    for k, v in value.items():
        kind = str(k).lower()
        if kind == "doi" and (doi := doi_of(text_of(v))):
            rec.ids.setdefault("doi", doi)
            rec.links.setdefault("doi", "https://doi.org/" + doi)
        elif kind == "arxiv" and (aid := arxiv_id(text_of(v))):
            rec.ids.setdefault("arxiv", aid)
            rec.links.setdefault("arxiv", "https://arxiv.org/abs/" + aid)
        elif not _empty(v):
            rest[str(k)] = v
    return rest


def _has_title(obj: Any) -> bool:
    return isinstance(obj, dict) and any(
        _ROLE.get(_norm_key(str(k)), ("",))[0] == "title" for k in obj
    )
