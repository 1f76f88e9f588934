"""Semantic Scholar Academic Graph API JSON, as the API answers and as people save it:

- one paper (``/graph/v1/paper/{id}``), with nested ``citations`` / ``references`` if they were
  asked for (kept with the paper, in ``extra``);
- an author with ``papers`` (``/graph/v1/author/{id}?fields=papers...``): one record per paper;
- search and list pages ``{"total", "offset", "next" | "token", "data": [...]}`` (``/paper/search``,
  ``/paper/search/bulk``, ``/author/{id}/papers``), including citation and reference pages whose
  items are ``{"citingPaper": {...}}`` / ``{"citedPaper": {...}}`` (a page that has a next page is
  reported with a warning: the file holds one page of the answer);
- batch results (``POST /paper/batch``): a JSON list of papers, ``null`` where an id was not found;
- JSON Lines of papers (the bulk datasets write lower-case keys: ``corpusid``, ``externalids``).

Mapping: ``paperId`` (else ``CorpusId:<corpusId>``) is the record id and gives the Semantic Scholar
page link; ``title``, ``abstract``; ``authors[].name`` (their ``authorId`` list kept in extra);
``year`` (else ``publicationDate``); venue from ``venue``, else ``publicationVenue.name``, else
``journal.name``; ``externalIds.DOI`` / ``externalIds.ArXiv`` to ids and links (the other external
ids stay in extra); ``openAccessPdf.url`` to the PDF link; ``citationCount``,
``influentialCitationCount``, ``referenceCount`` to counters; ``tldr.text`` to ``extra["tldr"]``
(its ``model`` to ``extra["tldr model"]``). Everything else (``fieldsOfStudy``,
``publicationTypes``, ``citationStyles``, ``embedding``, ...) is kept in ``extra`` under its own
name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..models import Record
from ..normalize import normalize_arxiv, normalize_doi
from .base import ParseContext, Source
from .common import bad_record, missing_title, split_authors, text_of, year_of
from .json_scan import JSON_HINT, is_jsonl, json_items

NAME = "s2_json"
DESCRIPTION = (
    "Semantic Scholar Graph API JSON (a paper, an author with papers, search/list pages, batch "
    "results, dataset JSON Lines)"
)

S2 = "https://www.semanticscholar.org"

# --------------------------------------------------------------------------------------------
# sniff

_PAPER_ID = re.compile(r'"(?:paperId|corpusid)"\s*:\s*(?:"[0-9a-f]{40}"|\d+|null)', re.IGNORECASE)
_AUTHOR = re.compile(r'^\{\s*"authorId"\s*:', re.IGNORECASE)
_S2_KEYS = re.compile(
    r'"(?:externalIds|corpusId|citationCount|influentialCitationCount|referenceCount|s2FieldsOfStudy'
    r'|publicationVenue|openAccessPdf|fieldsOfStudy|publicationTypes|citingPaper|citedPaper|authorId'
    r'|externalids|s2fieldsofstudy|publicationvenueid|isopenaccess)"\s*:'
    r"|semanticscholar\.org/(?:paper|author)/"
)
_PAGE = re.compile(r'^\{\s*"(?:total|offset|next|token|data)"\s*:')


def sniff(source: Source) -> int:
    try:
        head = source.head.lstrip()
        if not head or head[0] not in "[{":
            return 0
        if _AUTHOR.match(head) and re.search(r'"papers"\s*:\s*\[', head):
            return 92
        if not _PAPER_ID.search(head):
            return 0
        if _S2_KEYS.search(head) or _PAGE.match(head):
            return 92
        return 90  # "paperId" alone is Semantic Scholar's own spelling
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


# --------------------------------------------------------------------------------------------
# parse


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    path = source.path
    text = source.text()
    stripped = text.lstrip()
    if not stripped:
        return
    meta: dict[str, Any] = {}
    items = json_items(text, path, "not Semantic Scholar JSON: the file does not start with '[' or '{'", JSON_HINT,
                       list_keys=("data", "papers"), meta=meta)
    # an author's paper list: the author's fields are known once the object is read, so its
    # records wait for the end of the object; a list or JSON Lines (a whole dataset) streams
    hold = stripped[0] == "{" and not is_jsonl(stripped)
    held: list[Record] = []
    count = 0
    for pos, line, item in items:
        if item is None:  # a batch answer's null: an id the API did not find
            where = f"record {pos}" + (f" (line {line})" if line else "")
            ctx.warn(f"{where}: null (a paper the API did not find); skipped")
            continue
        if not isinstance(item, dict):
            bad_record(ctx, pos, line, path, f"a JSON {type(item).__name__}, not a paper")
            continue
        rec = _paper(item, pos, line)
        if not rec.title:
            missing_title(ctx, pos, line, path, rec.record_id)
            continue
        _fill(rec, ctx)
        count += 1
        if hold:
            held.append(rec)
        else:
            yield rec
    if "authorId" in meta:  # an author's papers: the author's own fields go with each paper
        author = {k: v for k, v in meta.items() if k != "papers" and v not in (None, "", [], {})}
        for rec in held:
            rec.extra["s2 author"] = author
    yield from held
    total, more = meta.get("total"), meta.get("next") if "next" in meta else meta.get("token")
    if more is not None:  # one page of a search: say so (its total is the query's, not the file's)
        of = f" of the {total} the query matched" if isinstance(total, int) and not isinstance(total, bool) else ""
        ctx.warn(f"one page of results: {count} papers{of}; the API has more (next: {str(more)[:40]})")


def _fill(rec: Record, ctx: ParseContext) -> None:
    """What the user says (--venue, --year) fills in what the paper does not say."""
    if ctx.venue and not rec.venue:
        rec.venue = ctx.venue
    rec.year = rec.year or ctx.year


def _get(obj: dict[str, Any], lowered: dict[str, str], name: str) -> Any:
    key = lowered.get(name)
    return obj.get(key) if key is not None else None


# keys (lower-cased) whose values are taken onto the record and need not be kept in extra
_TAKEN = {"paperid", "title", "abstract", "year", "venue", "url", "citationcount",
          "influentialcitationcount", "referencecount"}
_COUNTERS = (
    ("citationcount", "S2 citations"),
    ("influentialcitationcount", "S2 influential citations"),
    ("referencecount", "S2 references"),
)


def _paper(item: dict[str, Any], pos: int, line: int | None) -> Record:
    wrapper: dict[str, Any] = {}
    for inner in ("citingPaper", "citedPaper"):  # citation / reference pages
        if isinstance(item.get(inner), dict):
            wrapper = {k: v for k, v in item.items() if k != inner}
            item = item[inner]
            break
    lowered = {str(k).lower(): str(k) for k in item}
    rec = Record(position=pos, line=line)
    extra: dict[str, Any] = {}
    paper_id = text_of(_get(item, lowered, "paperid")).strip()
    corpus_id = text_of(_get(item, lowered, "corpusid")).strip()
    rec.record_id = paper_id or (f"CorpusId:{corpus_id}" if corpus_id else None)
    rec.title = text_of(_get(item, lowered, "title")).strip()
    rec.abstract = text_of(_get(item, lowered, "abstract")).strip()

    authors = _get(item, lowered, "authors")
    rec.authors = split_authors(authors)
    if isinstance(authors, list):
        ids = [a.get("authorId") if isinstance(a, dict) else None for a in authors]
        if any(ids):
            extra["authorIds"] = ids
        more = [a for a in authors if isinstance(a, dict) and set(a) - {"authorId", "name"}]
        if more:
            extra[lowered["authors"]] = authors  # affiliations, h-index, ... beside the names
    elif authors not in (None, "", [], {}):
        extra[lowered["authors"]] = authors

    rec.year = year_of(_get(item, lowered, "year")) or year_of(_get(item, lowered, "publicationdate"))
    venue = text_of(_get(item, lowered, "venue")).strip()
    pub_venue = _get(item, lowered, "publicationvenue")
    journal = _get(item, lowered, "journal")
    if not venue and isinstance(pub_venue, dict):
        venue = text_of(pub_venue.get("name")).strip()
    if not venue and isinstance(journal, dict):
        venue = text_of(journal.get("name")).strip()
    rec.venue = venue or None

    url = text_of(_get(item, lowered, "url")).strip()
    if url:
        rec.links["site"] = url
    elif paper_id:
        rec.links["site"] = f"{S2}/paper/{paper_id}"

    taken = set(_TAKEN)
    external = _get(item, lowered, "externalids")
    if isinstance(external, dict):
        taken.add("externalids")
        rest = _external_ids(external, rec)
        if rest:
            extra[lowered["externalids"]] = rest
    pdf = _get(item, lowered, "openaccesspdf")
    if isinstance(pdf, dict) and text_of(pdf.get("url")).strip():
        rec.links["pdf"] = text_of(pdf.get("url")).strip()
        taken.add("openaccesspdf")
        rest_pdf = {k: v for k, v in pdf.items() if k != "url" and v not in (None, "", [], {})}
        if rest_pdf:
            extra[lowered["openaccesspdf"]] = rest_pdf

    tldr = _get(item, lowered, "tldr")
    if isinstance(tldr, dict) and text_of(tldr.get("text")).strip():
        taken.add("tldr")  # the one-sentence summary as text, like other sources' "tldr"
        extra["tldr"] = text_of(tldr.get("text")).strip()
        if tldr.get("model"):
            extra["tldr model"] = tldr.get("model")

    for key, counter in _COUNTERS:
        value = _get(item, lowered, key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            rec.counters[counter] = value
        elif value is not None:
            extra[lowered[key]] = value

    for k, v in item.items():
        low = str(k).lower()
        if low in taken or low == "authors" or v in (None, "", [], {}):
            continue
        if low == "corpusid" and not paper_id and rec.record_id:
            continue  # it is the record id
        extra.setdefault(str(k), v)
    for k, v in wrapper.items():  # a citation page's contexts, intents, isInfluential
        if v not in (None, "", [], {}):
            extra[k if k not in extra else "citation " + k] = v
    rec.extra = extra
    return rec


def _external_ids(value: dict[str, Any], rec: Record) -> dict[str, Any]:
    """DOI and arXiv id onto the record; the other external ids (CorpusId, MAG, DBLP, ...)
    returned to be kept."""
    rest: dict[str, Any] = {}
    for k, v in value.items():
        kind = str(k).lower()
        doi = normalize_doi(text_of(v)) if kind == "doi" else None
        aid = normalize_arxiv(text_of(v)) if kind == "arxiv" else None
        if doi:
            rec.ids["doi"] = doi
            rec.links.setdefault("doi", "https://doi.org/" + doi)
        elif aid:
            rec.ids["arxiv"] = aid
            rec.links.setdefault("arxiv", "https://arxiv.org/abs/" + aid)
        elif v not in (None, "", [], {}):
            rest[str(k)] = v
    return rest
