"""Paper Copilot's paperlists JSON (github.com/papercopilot/paperlists): one ``<venue><year>.json``
per conference-year, a JSON array of objects with ``id``, ``title``, ``status`` (Poster / Oral /
Spotlight / Reject / Withdraw / ...), ``track`` ("main", ...), ``author`` (``;``-separated), ``aff``,
``keywords``, ``abstract``, ``site``, ``pdf``, ``github``, ``project``, ``bibtex``, ``rating`` and many
more per venue. Records carry no venue or year: they come from the file name (``iclr2021.json`` is
ICLR 2021).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

from ..models import Record
from .base import ParseContext, Source
from .records import (
    _DECODER,
    arxiv_id,
    bad_record,
    doi_of,
    iter_json_document,
    missing_title,
    text_of,
)

NAME = "paperlists"
DESCRIPTION = "Paper Copilot paperlists JSON (iclr2021.json, nips2018.json, ...)"

KNOWN_VENUES = {
    "iclr": "ICLR", "nips": "NeurIPS", "neurips": "NeurIPS", "icml": "ICML", "cvpr": "CVPR",
    "iccv": "ICCV", "eccv": "ECCV", "aaai": "AAAI", "acl": "ACL", "emnlp": "EMNLP", "naacl": "NAACL",
    "eacl": "EACL", "coling": "COLING", "ijcai": "IJCAI", "colm": "COLM", "corl": "CoRL",
    "aistats": "AISTATS", "acml": "ACML", "acmmm": "ACM MM", "3dv": "3DV", "wacv": "WACV",
    "kdd": "KDD", "www": "WWW", "icra": "ICRA", "iros": "IROS", "rss": "RSS", "siggraph": "SIGGRAPH",
    "siggraphasia": "SIGGRAPH Asia", "colt": "COLT", "uai": "UAI", "alt": "ALT", "automl": "AutoML",
    "ai4x": "AI4X", "tmlr": "TMLR", "jmlr": "JMLR", "bmvc": "BMVC", "miccai": "MICCAI",
    "interspeech": "Interspeech", "icassp": "ICASSP", "sigir": "SIGIR", "wsdm": "WSDM", "cikm": "CIKM",
    "recsys": "RecSys", "mlsys": "MLSys", "chi": "CHI", "uist": "UIST", "lrec": "LREC",
    "ecai": "ECAI", "ismir": "ISMIR", "l4dc": "L4DC", "midl": "MIDL", "humanoids": "Humanoids",
    "hri": "HRI", "eccv_workshop": "ECCV Workshop", "aamas": "AAMAS", "icdm": "ICDM", "sdm": "SDM",
}

_NAME_RE = re.compile(r"^([a-z0-9_]*?[a-z][a-z0-9_]*?)[-_]?((?:19|20)\d\d)$")
_SUFFIXES = (".gz", ".json", ".jsonl")


def venue_from_path(path: str, known_only: bool = False) -> tuple[str | None, int | None]:
    """``.../iclr2021.json.gz`` -> ("ICLR", 2021); (None, None) when the name has no such shape."""
    name = os.path.basename(path).lower()
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                name, changed = name[: -len(suffix)], True
    m = _NAME_RE.match(name)
    if not m:
        return None, None
    key, year = m.group(1).strip("_-"), int(m.group(2))
    if key in KNOWN_VENUES:
        return KNOWN_VENUES[key], year
    if known_only:
        return None, None
    return key.upper(), year


# --------------------------------------------------------------------------------------------
# sniff

_SPECIFIC = ("status", "track", "author", "site", "aff", "bibtex", "gs_citation", "author_site",
             "project", "github", "authorids", "primary_area", "rating")
_EXPORT = ("field_sources", "sources", "links", "counters")


def _first_object(head: str) -> dict[str, Any] | None:
    start = head.index("[") + 1
    while start < len(head) and head[start] in " \t\r\n":
        start += 1
    if head[start : start + 1] != "{":
        return None
    try:
        obj, _ = _DECODER.raw_decode(head, start)
    except (ValueError, RecursionError):
        # the first object is longer than the head: look at the keys it starts with
        keys = re.findall(r'"([A-Za-z_#]+)"\s*:', head[start : start + 20000])
        return dict.fromkeys(keys, "")
    return obj if isinstance(obj, dict) else None


def sniff(source: Source) -> int:
    try:
        head = source.head.lstrip()
        if not head.startswith("["):
            return 0
        first = _first_object(head)
        if not first or "title" not in first:
            return 0
        if any(k in first for k in _EXPORT) or "content" in first:
            return 0
        hits = sum(1 for k in _SPECIFIC if k in first)
        if hits == 0 or (hits == 1 and "author" not in first and "status" not in first):
            return 0
        score = 85 if hits >= 2 else 65  # one shared key alone: a generic array is more likely
        path = source.path.lower()
        if "paperlists" in path or venue_from_path(path)[0]:
            score += 7
        return score
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


# --------------------------------------------------------------------------------------------
# parse

# fields mapped onto Record attributes (everything else goes to extra verbatim)
_MAPPED = frozenset(
    {"id", "title", "status", "track", "author", "authors", "abstract", "keywords", "site", "pdf",
     "github", "project", "openreview", "or", "oa", "proceeding", "arxiv", "doi", "youtube", "video",
     "session", "sess", "venue", "year"}
)
_OR_ID = re.compile(r"^[A-Za-z0-9_\-]{8,14}$")
_FORUM = "openreview.net/forum?id="


def _authors(value: Any) -> list[str]:
    if isinstance(value, str):
        parts = value.split(";") if ";" in value else value.split(",")
        return [p.strip() for p in parts if p.strip()]
    if isinstance(value, list):
        return [s.strip() for s in (text_of(v) for v in value) if s.strip()]
    return []


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [p.strip() for p in value.split(";") if p.strip()]
    if isinstance(value, list):
        return [s.strip() for s in (text_of(v) for v in value) if s.strip()]
    return []


def _url(value: Any) -> str:
    """A URL-ish string value ("" for "Not provided", "N/A", non-strings)."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    return value if "." in value or value.startswith("/") else ""


def _record(r: dict[str, Any], pos: int, line: int | None, venue: str | None, year: int | None,
            openreview_venue: bool) -> Record:
    rec = Record(position=pos, line=line)
    rid = r.get("id")
    if isinstance(rid, (str, int)) and not isinstance(rid, bool) and str(rid).strip():
        rec.record_id = str(rid).strip()
    rec.title = text_of(r.get("title")).strip()
    authors = r.get("author")
    if not authors:
        authors = r.get("authors")
    rec.authors = _authors(authors)
    rec.abstract = text_of(r.get("abstract")).strip()
    rec.keywords = _keywords(r.get("keywords"))

    rec.venue = text_of(r.get("venue")).strip() or venue
    own_year = r.get("year")
    if isinstance(own_year, int) and not isinstance(own_year, bool) and 1800 <= own_year <= 2100:
        rec.year = own_year
    elif isinstance(own_year, str) and own_year.strip().isdigit() and len(own_year.strip()) == 4:
        rec.year = int(own_year)
    else:
        rec.year = year

    status = text_of(r.get("status")).strip()
    track = text_of(r.get("track")).strip()
    if status:
        rec.track = status
    elif track and track.lower() not in ("main", "none"):
        rec.track = track
    session = r.get("session") or r.get("sess")
    rec.session = text_of(session).strip() or None

    links = rec.links
    site = _url(r.get("site"))
    if site:
        links["site"] = site
        if _FORUM in site:
            links["forum"] = site
    for key in ("openreview", "or"):
        u = _url(r.get(key))
        if u and _FORUM in u:
            links.setdefault("forum", u)
    pdf = _url(r.get("pdf"))
    if pdf:
        links["pdf"] = "https://openreview.net" + pdf if pdf.startswith("/") else pdf
    oa = _url(r.get("oa")) or _url(r.get("proceeding"))
    if oa:
        links["proceedings"] = oa
    project = _url(r.get("project"))
    if project:
        links["project"] = project
    video = _url(r.get("youtube")) or _url(r.get("video"))
    if video:
        links["video"] = video
    code = _url(r.get("github"))
    if code:
        rec.code_urls.append(code)

    forum = links.get("forum")
    if forum:
        fid = forum.split(_FORUM, 1)[1].split("&", 1)[0].split("#", 1)[0]
        if fid:
            rec.ids["openreview"] = fid
    elif rec.record_id and _OR_ID.match(rec.record_id) and not rec.record_id.isdigit() and (
        openreview_venue
        or text_of(r.get("authorids")).startswith("~")
        or "or_profile" in r
    ):
        rec.ids["openreview"] = rec.record_id
        links["forum"] = "https://openreview.net/forum?id=" + rec.record_id
    ax = r.get("arxiv")
    if isinstance(ax, str) and ax.strip():
        aid = arxiv_id(ax)
        if aid:
            rec.ids["arxiv"] = aid
            links["arxiv"] = "https://arxiv.org/abs/" + aid
    doi = r.get("doi")
    if isinstance(doi, str) and doi.strip():
        d = doi_of(doi)
        if d:
            rec.ids["doi"] = d
            links["doi"] = "https://doi.org/" + d

    gs = r.get("gs_citation")
    if isinstance(gs, int) and not isinstance(gs, bool) and gs >= 0:
        rec.counters["Google Scholar citations"] = gs

    extra = {}
    for k, v in r.items():
        if k in _MAPPED or v is None or v == "":
            continue
        extra[k] = v
    if status and track:
        extra["track_name"] = track
    rec.extra = extra
    return rec


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    path = source.path
    venue, year = venue_from_path(path)  # what the user says (--venue, --year) comes first
    venue, year = ctx.venue or venue, ctx.year or year
    openreview_venue = venue == "ICLR"
    text = source.text()
    for pos, line, item in iter_json_document(text, path, list_keys=("papers", "data", "records")):
        if not isinstance(item, dict):
            bad_record(ctx, pos, line, path, f"a JSON {type(item).__name__}, not an object")
            continue
        rec = _record(item, pos, line, venue, year, openreview_venue)
        if not rec.title:
            missing_title(ctx, pos, line, path, rec.record_id)
            continue
        yield rec
