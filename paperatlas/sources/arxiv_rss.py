"""arXiv's daily announcements: the Atom feed of a category (``rss.arxiv.org/atom/cs.LG``, several
joined with ``+``), one request a sync, conditional on the last response's validators.

Each entry says what was announced: ``new``, ``cross`` (cross-listed), ``replace`` (a new
version) or ``replace-cross``. Entries are keyed by their versioned id (a replacement is a new
entry), stored as paper records (JSON) in one document per announcement day, and read by the
generic ``records`` parser; the announcement type is kept with each record.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from .atom import ARXIV, ATOM, DC, arxiv_id, json_list, read_feed, text
from .base import Connector, Context, Entry, Option, Page, register
from .http import redact

_ABSTRACT = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(?:Abstract:\s*)?", re.S)
_AUTHORS = re.compile(r",\s*(?:and\s+)?|\s+and\s+")
TYPES = ("new", "cross", "replace", "replace-cross")


@register
class ArxivAnnouncements(Connector):
    KIND = "arxiv-rss"
    DESCRIPTION = "arXiv daily announcements"
    FORMAT = "records"
    EXT = "json"
    BASE_URL = "https://rss.arxiv.org/atom"
    PACE = 3.0  # the same hosts and terms as the API
    MAIN = "category"
    OPTIONS = {
        "category": Option(str, "a category or archive, several joined with + (cs.LG, cs.LG+stat.ML)", required=True),
        "types": Option(str, "announcement types to keep, comma-separated (new, cross, replace, replace-cross)",
                        ",".join(TYPES)),
    }

    def pages(self, ctx: Context) -> Iterator[Page]:
        url = f"{self.base_url}/{self.options['category']}"
        response = ctx.fetcher.fetch(url, validators=ctx.state.get("validators"), pace=self.pace)
        if response.not_modified:
            yield Page([], dict(ctx.state), requests=response.requests, not_modified=True)
            return
        root = read_feed(response.body, redact(url))
        keep = {t.strip().lower() for t in str(self.options.get("types") or ",".join(TYPES)).split(",")}
        day = text(root.find(ATOM + "updated"))[:10]
        entries = [e for e in (self._entry(el, day) for el in root.findall(ATOM + "entry")) if e is not None]
        kept = [e for e, kind in entries if kind in keep]
        state = {"validators": response.validators, "announced": day or ctx.state.get("announced")}
        yield Page(kept, state, requests=response.requests, total=len(kept))

    def _entry(self, el: ET.Element, day: str) -> tuple[Entry, str] | None:
        vid = arxiv_id(text(el.find(ATOM + "id"))) or arxiv_id(_link(el))
        if not vid:
            return None
        kind = (text(el.find(ARXIV + "announce_type")) or "new").lower()
        published = text(el.find(ATOM + "published")) or day
        authors = [a for a in _AUTHORS.split(text(el.find(DC + "creator"))) if a.strip()]
        authors += [text(a.find(ATOM + "name")) for a in el.findall(ATOM + "author")]
        record: dict[str, Any] = {
            "id": vid, "arxiv_id": vid, "title": text(el.find(ATOM + "title")),
            "abstract": _ABSTRACT.sub("", text(el.find(ATOM + "summary"))).strip(),
            "authors": [a.strip() for a in authors if a.strip()], "published": published, "venue": "arXiv",
            "url": _link(el) or f"https://arxiv.org/abs/{vid}",
            "categories": [c.get("term") for c in el.findall(ATOM + "category") if c.get("term")],
            "announce_type": kind,
        }
        payload = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
        return Entry(vid, (published or day)[:10] or "undated", payload, published or None), kind

    def document(self, partition: str, payloads: list[bytes]) -> bytes:
        return json_list(payloads)


def _link(el: ET.Element) -> str:
    for link in el.findall(ATOM + "link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link.get("href"))
    return ""
