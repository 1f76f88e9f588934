"""OpenReview API exports: ``{"notes": [...]}`` (API v1 or v2 responses), a JSON list of notes, or
JSON Lines of notes. Each note has ``id``, ``forum`` and ``content``; content values are plain in API
v1 (``"title": "..."``) and wrapped in API v2 (``"title": {"value": "..."}``).

``content.venue`` ("ICLR 2024 poster", "ICLR 2024 Conference Withdrawn Submission", "Submitted to
ICLR 2024") and ``content.venueid`` ("ICLR.cc/2024/Conference/Rejected_Submission") give the venue,
year and decision.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from ..models import Record
from .base import ParseContext, Source
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
DESCRIPTION = "OpenReview API notes as JSON ({\"notes\": [...]}, API v1 or v2)"

BASE = "https://openreview.net"
_NOTE_KEYS = ("forum", "invitation", "invitations")


def _first_note(head: str) -> Any:
    start = 0
    if head.startswith("{"):
        m = re.search(r'"notes"\s*:\s*\[\s*', head)
        if m:
            start = m.end()
        elif not is_jsonl(head):
            return None
    elif head.startswith("["):
        m = re.match(r"\[\s*", head)
        assert m is not None  # head starts with "["
        start = m.end()
    else:
        return None
    try:
        obj, _ = _DECODER.raw_decode(head, start)
        return obj
    except (ValueError, RecursionError):
        # a note longer than the head: look for its keys
        chunk = head[start : start + 20000]
        keys = re.findall(r'"(content|forum|invitations?)"\s*:', chunk)
        return dict.fromkeys(keys, "") if keys else None


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
    if not isinstance(details, dict):
        return None
    for key in ("directReplies", "replies"):
        replies = details.get(key)
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


def _record(note: dict[str, Any], pos: int, line: int | None) -> Record:
    content = note.get("content")
    c = {str(k): _v(v) for k, v in content.items()} if isinstance(content, dict) else {}
    rec = Record(position=pos, line=line)
    forum = text_of(note.get("forum")).strip() or text_of(note.get("id")).strip()
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
    if not name or not year:
        inv = note.get("invitation") or (note.get("invitations") or [None])[0]
        if isinstance(inv, str) and inv:
            iname, iyear, _ = parse_venueid(inv.split("/-/", 1)[0])
            name, year = name or iname, year or iyear
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
    rec.extra = extra
    return rec


def parse(source: Source, ctx: ParseContext) -> Iterator[Record]:
    path = source.path
    text = source.text()
    stripped = text.lstrip()
    meta: dict[str, Any] = {}
    items: Iterator[tuple[int, int | None, Any]]
    if stripped.startswith("{") and is_jsonl(stripped):
        items = iter_jsonl(text, path)
    else:
        items = iter_json_document(text, path, list_keys=("notes",), meta=meta)
    skipped = 0
    for pos, line, note in items:
        if not isinstance(note, dict):
            bad_record(ctx, pos, line, path, f"a JSON {type(note).__name__}, not a note")
            continue
        content = note.get("content")
        is_reply = note.get("forum") and note.get("id") and note.get("forum") != note.get("id")
        if is_reply and not (isinstance(content, dict) and _v(content.get("title"))):
            skipped += 1  # a review / comment / decision in the same export
            continue
        rec = _record(note, pos, line)
        if not rec.title:
            missing_title(ctx, pos, line, path, rec.record_id)
            continue
        yield rec
    count = meta.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count >= 0:
        ctx.claimed_total = count  # the API's count of all matching notes
    if skipped:
        ctx.warn(f"{skipped} replies (reviews, comments, decisions) skipped: they are not papers")
