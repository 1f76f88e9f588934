"""Hugging Face Papers JSON: ``/api/daily_papers`` (and ``/api/papers/search``): a JSON list of items
``{"paper": {...}, "publishedAt", "title", "summary", "thumbnail", "numComments", "submittedBy",
"organization", ...}``; also a list of bare paper objects or one paper (``/api/papers/{id}``), and
``{"dailyPapers": [...]}`` as the Papers page embeds it.

Mapping (from ``paper``): ``id`` (the arXiv id) is the record id, the arXiv id and the Hugging Face
page link; ``title``; ``summary`` is the abstract; ``authors[].name`` (hidden ones too, in order);
year from ``publishedAt``; ``upvotes`` to the counter ``hf upvotes`` (and the item's
``numComments`` to ``hf comments``, ``githubStars`` to ``github stars``); ``githubRepo`` to the code
links; ``projectPage`` to the project link; ``ai_keywords`` to the keywords. Nothing under
``paper.*`` is lost: every other paper field is kept in ``extra`` as ``paper.<field>`` (the author
objects, with their Hugging Face accounts, as ``paper.authors``), and every other item field under
its own name; the item's own ``title`` / ``summary`` are kept only where they differ from the
paper's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..models import Record
from ..normalize import normalize_arxiv
from .base import ParseContext, Source
from .common import bad_record, missing_title, split_authors, split_list, text_of, year_of
from .json_scan import JSON_HINT, json_items

NAME = "hf_daily"
DESCRIPTION = "Hugging Face Papers JSON (/api/daily_papers, /api/papers/search, /api/papers/{id})"

HF = "https://huggingface.co/papers/"

# --------------------------------------------------------------------------------------------
# sniff

_ITEM = re.compile(r'^[\[{]\s*(?:"dailyPapers"\s*:\s*\[\s*)?\{\s*"paper"\s*:\s*\{')
_ITEM_KEYS = re.compile(
    r'"(?:numComments|submittedBy|submittedOnDailyAt|submittedOnDailyBy|isAuthorParticipating|mediaUrls?|thumbnail)"\s*:'
)
_PAPER = re.compile(r'"paper"\s*:\s*\{\s*"id"\s*:\s*"')
_BARE = re.compile(r'^[\[{]\s*\{?\s*"id"\s*:\s*"\d{4}\.\d{4,5}"')
_BARE_KEYS = re.compile(r'"(?:upvotes|discussionId|submittedOnDailyAt|ai_summary|ai_keywords|githubRepo)"\s*:')


def sniff(source: Source) -> int:
    try:
        head = source.head.lstrip()
        if not head or head[0] not in "[{":
            return 0
        if _ITEM.match(head):
            return 93
        if _PAPER.search(head[:4000]) and _ITEM_KEYS.search(head):
            return 92
        if _BARE.match(head) and '"summary"' in head and _BARE_KEYS.search(head):
            return 91
        return 0
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


# --------------------------------------------------------------------------------------------
# parse


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    path = source.path
    items = json_items(source.text(), path, "not Hugging Face Papers JSON: the file does not start with '[' or '{'",
                       JSON_HINT, list_keys=("dailyPapers", "papers", "data"))
    for pos, line, item in items:
        if not isinstance(item, dict):
            bad_record(ctx, pos, line, path, f"a JSON {type(item).__name__}, not a paper")
            continue
        rec = _record(item, pos, line)
        if not rec.title:
            missing_title(ctx, pos, line, path, rec.record_id)
            continue
        if ctx.venue and not rec.venue:
            rec.venue = ctx.venue
        rec.year = rec.year or ctx.year
        yield rec


def _same(a: Any, b: Any) -> bool:
    """Two texts that say the same (the daily list re-wraps the arXiv title's lines)."""
    return isinstance(a, str) and isinstance(b, str) and " ".join(a.split()) == " ".join(b.split())


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


# paper fields taken onto the record (the others are kept in extra as "paper.<field>")
_PAPER_TAKEN = {"id", "title", "summary", "publishedAt", "upvotes", "githubRepo", "projectPage",
                "ai_keywords", "githubStars"}


def _record(item: dict[str, Any], pos: int, line: int | None) -> Record:
    paper = item.get("paper")
    if isinstance(paper, dict):
        outer = {k: v for k, v in item.items() if k != "paper"}
    else:  # a bare paper object
        paper, outer = item, {}
    rec = Record(position=pos, line=line)
    extra: dict[str, Any] = {}

    pid = text_of(paper.get("id")).strip()
    if pid:
        rec.record_id = pid
        rec.links["site"] = HF + pid
        aid = normalize_arxiv(pid)
        if aid:
            rec.ids["arxiv"] = aid
            rec.links["arxiv"] = "https://arxiv.org/abs/" + aid
    rec.title = text_of(paper.get("title")).strip() or text_of(outer.get("title")).strip()
    rec.abstract = text_of(paper.get("summary")).strip() or text_of(outer.get("summary")).strip()
    authors = paper.get("authors")
    rec.authors = split_authors(authors)
    rec.year = year_of(paper.get("publishedAt")) or year_of(outer.get("publishedAt"))
    rec.keywords = split_list(paper.get("ai_keywords"), ";,")

    upvotes = _count(paper.get("upvotes"))
    if upvotes is None:
        upvotes = _count(outer.get("upvotes"))
    if upvotes is not None:
        rec.counters["hf upvotes"] = upvotes
    comments = _count(outer.get("numComments"))
    if comments is not None:
        rec.counters["hf comments"] = comments
    stars = _count(paper.get("githubStars"))
    if stars is not None:
        rec.counters["github stars"] = stars

    code = text_of(paper.get("githubRepo")).strip()
    if code:
        rec.code_urls.append(code)
    project = text_of(paper.get("projectPage")).strip()
    if project:
        rec.links["project"] = project

    for k, v in paper.items():
        if v in (None, "", [], {}):
            continue
        taken = k in _PAPER_TAKEN and not (
            (k == "upvotes" and upvotes != v) or (k == "githubStars" and stars != v)
        )
        if not taken:
            extra[f"paper.{k}"] = v
    for k, v in outer.items():
        if v in (None, "", [], {}):
            continue
        if k == "title" and _same(v, rec.title) or k == "summary" and _same(v, rec.abstract):
            continue
        if k == "numComments" and comments == v:
            continue
        extra[k] = v
    rec.extra = extra
    return rec
