"""The arXiv metadata snapshot (Cornell University's dataset on Kaggle,
``arxiv-metadata-oai-snapshot.json``): JSON Lines, one paper a line, with ``id``, ``submitter``,
``authors``, ``title``, ``comments``, ``journal-ref``, ``doi``, ``report-no``, ``categories``,
``license``, ``abstract``, ``versions`` [{version, created}], ``update_date`` and
``authors_parsed`` [[last, first, suffix], ...]. A JSON array of such lines is read the same way.

Mapping: ``id`` (new ``2106.09685`` or old ``solv-int/9806004`` style) is the record id, the arXiv id
and the abs/PDF links; ``title``; ``abstract``; authors from ``authors_parsed`` (else the
``authors`` string); the year from ``versions[0].created`` (the first submission), else
``update_date``; ``doi`` to the DOI; the venue is "arXiv" (as for the arXiv API feed) unless
``--venue`` says otherwise. The other fields (``journal-ref``, ``categories``, ``comments``,
``license``, ``versions``, the ``authors`` string, ...) are kept in ``extra`` as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..models import Record
from ..normalize import normalize_arxiv, normalize_doi
from .base import ParseContext, Source
from .common import bad_record, missing_title, split_authors, text_of, year_of
from .json_scan import json_items

NAME = "arxiv_kaggle"
DESCRIPTION = "arXiv metadata snapshot (Kaggle arxiv-metadata-oai-snapshot.json, JSON Lines)"

# --------------------------------------------------------------------------------------------
# sniff

_ID = re.compile(r'^\s*\[?\s*\{\s*"id"\s*:\s*"(?:\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"')
_KEYS = ('"authors_parsed"', '"update_date"', '"versions"', '"journal-ref"', '"report-no"', '"submitter"')


def sniff(source: Source) -> int:
    try:
        head = source.head
        if not _ID.match(head):
            return 0
        first = head.lstrip().lstrip("[").lstrip().split("\n", 1)[0]
        hits = sum(1 for k in _KEYS if k in head[:20000])
        if hits >= 3 or '"authors_parsed"' in first:
            return 93 if head.lstrip()[0] == "{" else 90
        return 0
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


# --------------------------------------------------------------------------------------------
# parse


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    path = source.path
    items = json_items(source.text(), path, "not the arXiv metadata snapshot: the file does not start with '{' or '['",
                       "the snapshot is JSON Lines, one paper per line")
    for pos, line, item in items:
        if not isinstance(item, dict):
            bad_record(ctx, pos, line, path, f"a JSON {type(item).__name__}, not a paper")
            continue
        rec = _record(item, pos, line, ctx)
        if not rec.title:
            missing_title(ctx, pos, line, path, rec.record_id)
            continue
        yield rec


_TAKEN = {"id", "title", "abstract", "doi", "authors_parsed"}


def _record(item: dict[str, Any], pos: int, line: int | None, ctx: ParseContext) -> Record:
    rec = Record(position=pos, line=line, venue=ctx.venue or "arXiv", track=ctx.track)
    extra: dict[str, Any] = {}
    raw_id = text_of(item.get("id")).strip()
    if raw_id:
        rec.record_id = raw_id
        aid = normalize_arxiv(raw_id)
        if aid:
            rec.ids["arxiv"] = aid
            rec.links["arxiv"] = "https://arxiv.org/abs/" + aid
            rec.links["pdf"] = "https://arxiv.org/pdf/" + aid
        else:
            rec.warn(f"the id {raw_id[:40]!r} is not an arXiv id")
    rec.title = text_of(item.get("title")).strip()
    rec.abstract = text_of(item.get("abstract")).strip()

    parsed = item.get("authors_parsed")
    rec.authors = split_authors(parsed) if isinstance(parsed, list) else []
    taken = set(_TAKEN)
    if not rec.authors:
        rec.authors = split_authors(item.get("authors"))
        taken.add("authors")
        if parsed not in (None, "", [], {}):
            extra["authors_parsed"] = parsed

    versions = item.get("versions")
    first = versions[0] if isinstance(versions, list) and versions else None
    created = first.get("created") if isinstance(first, dict) else first
    rec.year = year_of(created) or year_of(item.get("update_date")) or ctx.year

    doi_text = text_of(item.get("doi")).strip()
    doi = normalize_doi(doi_text.split()[0]) if doi_text else None
    if doi:
        rec.ids["doi"] = doi
        rec.links["doi"] = "https://doi.org/" + doi
    if doi_text and (not doi or len(doi_text.split()) > 1):
        extra["doi"] = doi_text  # not a DOI, or several of them

    for k, v in item.items():
        if k not in taken and v not in (None, "", [], {}):
            extra[k] = v
    rec.extra = extra
    return rec
