"""OpenReview notes in every shape they are saved in: API responses ``{"notes": [...]}`` (API v1
or v2), a JSON list of notes, JSON Lines of notes, an object of notes keyed by their forum id (a
virtual conference site's ``papers.json``), and crawler output that wraps the notes of each venue
(``[{"venue": "NIPS.cc", "year": 2018, "submissions": [notes]}]``: the wrapper's venue and year
apply to its notes). Each note has ``id``, ``forum`` and ``content``; content values are plain in
API v1 (``"title": "..."``) and wrapped in API v2 (``"title": {"value": "..."}``).

``content.venue`` ("ICLR 2024 poster", "ICLR 2024 Conference Withdrawn Submission", "Submitted to
ICLR 2024") and ``content.venueid`` ("ICLR.cc/2024/Conference/Rejected_Submission") give the venue,
year and decision; else the wrapper's, else the invitation's; the year else from ``_bibtex`` or the
note's dates. A decision among the note's replies (``details.directReplies``, or the ``notes`` a
crawler nests in it) is its track. Note fields that map onto nothing (``number``, ``cdate``,
``invitation``, replies, ...) are kept in ``extra`` beside the content fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ..models import Record
from .base import ParseContext, Source
from .common import author_details, year_of
from .json_scan import expand_groups, is_keyed, keyed_item
from .records import (
    _DECODER,
    bad_record,
    is_jsonl,
    iter_json_document,
    iter_jsonl,
    missing_title,
    split_authors,
    split_list,
    text_of,
)

NAME = "openreview"
DESCRIPTION = (
    "OpenReview notes as JSON ({\"notes\": [...]}, API v1 or v2; a list, JSON Lines, notes keyed "
    "by forum id, crawler output with venue/year wrappers)"
)

BASE = "https://openreview.net"
_NOTE_KEYS = ("forum", "invitation", "invitations")


_NOTE_KEY_RE = re.compile(r'"(content|forum|invitations?)"\s*:')
# [{"venue": "NIPS.cc", "year": 2018, "submissions": [note, ...]}]: a crawler's wrapper
# (each key-value pair is read one way only: the pattern stays linear on any head)
_WRAPPER = re.compile(
    r'\{\s*(?:"(?:venue|year|conference|name|id)"\s*:\s*(?:"[^"\\]{0,200}"|[-\w.]{1,40})\s*,\s*)*'
    r'"submissions"\s*:\s*\[\s*'
)


def _decode_or_keys(head: str, start: int) -> Any:
    """The JSON value at ``start``, or (when it runs past the head) the note keys it begins with."""
    try:
        obj, _ = _DECODER.raw_decode(head, start)
        return obj
    except (ValueError, RecursionError):
        # a note longer than the head: look for its keys
        keys = _NOTE_KEY_RE.findall(head[start : start + 20000])
        return dict.fromkeys(keys, "") if keys else None


def _first_note(head: str) -> Any:
    start = 0
    if head.startswith("{"):
        m = re.search(r'"notes"\s*:\s*\[\s*', head)
        if m:
            start = m.end()
        elif not is_jsonl(head):
            # {"Syx4wnEtvH": {note}, ...}: notes keyed by forum id
            k = re.match(r'\{\s*"(?:[^"\\]|\\.){1,100}"\s*:\s*(?=\{)', head)
            return _decode_or_keys(head, k.end()) if k else None
    elif head.startswith("["):
        m = re.match(r"\[\s*", head)
        assert m is not None  # head starts with "["
        start = m.end()
        # [{"venue": ..., "year": ..., "submissions": [note, ...]}]: crawler output
        w = _WRAPPER.match(head, start)
        if w:
            start = w.end()
    else:
        return None
    return _decode_or_keys(head, start)


def sniff(source: Source) -> int:
    try:
        head = source.head.lstrip()
        note = _first_note(head)
        if not isinstance(note, dict) or "content" not in note:
            return 0
        if any(k in note for k in _NOTE_KEYS):
            return 90
        return 0
    except Exception:  # noqa: BLE001 - sniff never raises
        return 0


def _v(value: Any) -> Any:
    """API v2 wraps content values in {"value": ...}."""
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


_VENUE = re.compile(r"^(?:submitted\s+to\s+)?(?P<name>.*?)\s*(?P<year>(?:19|20)\d\d)\b(?P<rest>.*)$", re.I | re.S)
_NOISE = {"conference", "submission", "track"}
_VENUEID_DECISIONS = {
    "rejected_submission": "Reject",
    "withdrawn_submission": "Withdrawn",
    "desk_rejected_submission": "Desk Reject",
}


def parse_venue(venue: str) -> tuple[str | None, int | None, str | None]:
    """"ICLR 2024 poster" -> ("ICLR", 2024, "Poster"); "ICLR 2024 Conference Withdrawn Submission"
    -> ("ICLR", 2024, "Withdrawn"); "Submitted to ICLR 2024" -> ("ICLR", 2024, "Submitted")."""
    venue = venue.strip()
    m = _VENUE.match(venue)
    if not m:
        return (venue or None), None, None
    name = m.group("name").strip(" ,-") or None
    year = int(m.group("year"))
    words = [w for w in m.group("rest").split() if w.lower() not in _NOISE]
    track = " ".join(words).strip(" ,-()") or None
    if track:
        track = track[0].upper() + track[1:]
    elif venue.lower().startswith("submitted"):
        track = "Submitted"
    return name, year, track


def parse_venueid(venueid: str) -> tuple[str | None, int | None, str | None]:
    """"ICLR.cc/2024/Conference/Rejected_Submission" -> ("ICLR", 2024, "Reject")."""
    parts = [p for p in venueid.strip().split("/") if p]
    name = year = track = None
    for i, p in enumerate(parts):
        if len(p) == 4 and p.isdigit():
            year = int(p)
            if i:
                name = parts[i - 1] if i >= 2 and "." in parts[0] and "." not in parts[i - 1] else parts[0]
            break
    if name:
        for suffix in (".cc", ".org", ".com", ".net", ".ai"):
            name = name.removesuffix(suffix)
    if parts:
        track = _VENUEID_DECISIONS.get(parts[-1].lower())
    return name, year, track


def _decision_from_replies(note: dict[str, Any]) -> str | None:
    details = note.get("details")
    reply_lists = [details.get(key) for key in ("directReplies", "replies")] if isinstance(details, dict) else []
    reply_lists.append(note.get("notes"))  # crawlers nest the forum's replies in the note
    for replies in reply_lists:
        if not isinstance(replies, list):
            continue
        for reply in replies:
            if isinstance(reply, dict) and isinstance(reply.get("content"), dict):
                decision = text_of(_v(reply["content"].get("decision"))).strip()
                if decision:
                    return decision
    return None


def _year_from_ms(value: Any) -> int | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < 1e14:
        try:
            return datetime.fromtimestamp(value / 1000, tz=UTC).year
        except (OverflowError, OSError, ValueError):
            return None
    return None


_MAPPED = {"title", "authors", "abstract", "keywords", "venue", "venueid", "pdf", "code", "html",
           "authorids"}
# note fields the record is built from (everything else about the note is kept in extra)
_NOTE_MAPPED = {"id", "forum", "content", "_key"}
_BIBTEX_YEAR = re.compile(r"\byear\s*=\s*[{\"]?\s*((?:19|20)\d\d)\b", re.I)


def _group_venue(group: dict[str, Any]) -> tuple[str | None, int | None]:
    """The venue and year a crawler's wrapper gives its notes ("NIPS.cc", 2018 -> "NIPS", 2018)."""
    name = text_of(group.get("venue") or group.get("conference")).strip() or None
    year = year_of(group.get("year"))
    if name and "/" in name:  # "ICLR.cc/2019/Conference"
        vname, vyear, _ = parse_venueid(name)
        name, year = vname or name, year or vyear
    elif name and re.search(r"(?:19|20)\d\d", name):  # "ICLR 2019"
        vname, vyear, _ = parse_venue(name)
        name, year = vname or name, year or vyear
    elif name:
        for suffix in (".cc", ".org", ".com", ".net", ".ai"):
            name = name.removesuffix(suffix)
    return name, year


def _record(note: dict[str, Any], pos: int, line: int | None, group: dict[str, Any] | None = None) -> Record:
    content = note.get("content")
    c = {str(k): _v(v) for k, v in content.items()} if isinstance(content, dict) else {}
    rec = Record(position=pos, line=line)
    forum = (
        text_of(note.get("forum")).strip() or text_of(note.get("id")).strip() or text_of(note.get("_key")).strip()
    )
    if forum:
        rec.record_id = forum
        rec.ids["openreview"] = forum
        rec.links["forum"] = f"{BASE}/forum?id={forum}"
    rec.title = text_of(c.get("title")).strip()
    rec.authors = split_authors(c.get("authors"))
    rec.abstract = text_of(c.get("abstract")).strip()
    rec.keywords = split_list(c.get("keywords"), ";,")

    venue_text = text_of(c.get("venue")).strip()
    venueid = text_of(c.get("venueid")).strip()
    name = year = track = None
    if venue_text:
        name, year, track = parse_venue(venue_text)
    if venueid:
        vname, vyear, vtrack = parse_venueid(venueid)
        name, year = name or vname, year or vyear
        track = vtrack or track
    if group and (not name or not year):
        gname, gyear = _group_venue(group)
        name, year = name or gname, year or gyear
    if not name or not year:
        inv = note.get("invitation") or (note.get("invitations") or [None])[0]
        if isinstance(inv, str) and inv:
            iname, iyear, _ = parse_venueid(inv.split("/-/", 1)[0])
            name, year = name or iname, year or iyear
    if not year:
        m = _BIBTEX_YEAR.search(text_of(c.get("_bibtex")))
        year = int(m.group(1)) if m else None
    decision = _decision_from_replies(note)
    if decision and (not track or track == "Submitted"):
        track = decision
    rec.venue, rec.year, rec.track = name, year or _year_from_ms(note.get("pdate") or note.get("cdate")), track

    pdf = text_of(c.get("pdf")).strip()
    if pdf:
        rec.links["pdf"] = BASE + pdf if pdf.startswith("/") else pdf
    html = text_of(c.get("html")).strip()
    if html:
        rec.links["site"] = html
    for url in split_list(c.get("code"), " ,;"):
        rec.code_urls.append(url)

    extra: dict[str, Any] = {}
    if note.get("id") and note.get("id") != forum:
        extra["note_id"] = note.get("id")
    if venue_text:
        extra["venue"] = venue_text
    if venueid:
        extra["venueid"] = venueid
    if decision:
        extra["decision"] = decision
    for k, v in c.items():
        if k not in _MAPPED and v not in (None, "", [], {}):
            extra[k] = v
    authorids = c.get("authorids")
    if authorids:
        extra["authorids"] = authorids
    details = author_details(c.get("authors"))
    if details is not None:
        extra["authors"] = details
    for k, v in note.items():  # the note's own fields: number, dates, invitation, replies, ...
        if k not in _NOTE_MAPPED and v not in (None, "", [], {}):
            extra[k if k not in extra else "note " + k] = v
    if group:
        extra["group"] = group
    rec.extra = extra
    return rec


def _items(source: Source) -> tuple[Iterator[tuple[int, int | None, Any, dict[str, Any]]], dict[str, Any]]:
    path = source.path
    text = source.text()
    stripped = text.lstrip()
    meta: dict[str, Any] = {}
    items: Iterator[tuple[int, int | None, Any]]
    if stripped.startswith("{") and is_jsonl(stripped):
        items = iter_jsonl(text, path)
    else:
        items = iter_json_document(text, path, list_keys=("notes",), meta=meta)
    return expand_groups(_unkey(items)), meta


def _unkey(items: Iterator[tuple[int, int | None, Any]]) -> Iterator[tuple[int, int | None, Any]]:
    """JSON Lines whose lines are objects of notes keyed by forum id: the notes."""
    pos = 0
    for _, line, item in items:
        if is_keyed(item) and not isinstance(item.get("content"), dict):
            for key, value in item.items():
                pos += 1
                yield pos, line, keyed_item(key, value)
        else:
            pos += 1
            yield pos, line, item


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    path = source.path
    items, meta = _items(source)
    skipped = 0
    for pos, line, note, group in items:
        if not isinstance(note, dict):
            bad_record(ctx, pos, line, path, f"a JSON {type(note).__name__}, not a note")
            continue
        content = note.get("content")
        is_reply = note.get("forum") and note.get("id") and note.get("forum") != note.get("id")
        if is_reply and not (isinstance(content, dict) and _v(content.get("title"))):
            skipped += 1  # a review / comment / decision in the same export
            continue
        rec = _record(note, pos, line, group)
        if not rec.title:
            missing_title(ctx, pos, line, path, rec.record_id)
            continue
        if ctx.venue and not rec.venue:  # what the user says fills in what the notes do not
            rec.venue = ctx.venue
        rec.year = rec.year or ctx.year
        yield rec
    count = meta.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        ctx.claimed_total = count  # the API's count of all matching notes
    if skipped:
        ctx.warn(f"{skipped} replies (reviews, comments, decisions) skipped: they are not papers")
