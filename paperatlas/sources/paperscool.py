"""papers.cool feeds: the Atom feed of a category or venue page (``papers.cool/arxiv/cs.LG/feed``,
``papers.cool/venue/<venue>/feed``), one conditional request a sync.

An entry's id is its papers.cool page (``https://papers.cool/arxiv/2401.12345``); an arXiv id in
it becomes the record's arXiv id, so the entry merges with the same paper from arXiv. The view
counters papers.cool shows on its pages (``[PDF 60] [Kimi 203]``) are read when an entry's
content carries them; the public feeds seen so far carry none. Entries are stored as paper
records (JSON), one document per publication day, read by the ``records`` parser.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

from .atom import ATOM, arxiv_id, json_list, read_feed, text
from .base import Connector, Context, Entry, Option, Page, register
from .http import redact

_COUNTER = re.compile(r"\[(PDF|Kimi)\s*(\d+)\]", re.I)
COUNTERS = {"pdf": "papers.cool PDF", "kimi": "papers.cool Kimi"}  # the names the paperscool page parser uses


@register
class PapersCoolFeed(Connector):
    KIND = "paperscool"
    DESCRIPTION = "papers.cool feed"
    FORMAT = "records"
    EXT = "json"
    BASE_URL = "https://papers.cool"
    PACE = 2.0  # a one-person site: be gentle
    MAIN = "feed"
    OPTIONS = {
        "feed": Option(str, "arxiv/<category> (arxiv/cs.LG) or venue/<venue> (venue/ICLR.2025); "
                            "the feed is <base-url>/<feed>/feed", required=True),
    }

    def pages(self, ctx: Context) -> Iterator[Page]:
        url = f"{self.base_url}/{str(self.options['feed']).strip('/')}/feed"
        response = ctx.fetcher.fetch(url, validators=ctx.state.get("validators"), pace=self.pace)
        if response.not_modified:
            yield Page([], dict(ctx.state), requests=response.requests, not_modified=True)
            return
        root = read_feed(response.body, redact(url))
        entries = [e for e in (_entry(el) for el in root.findall(ATOM + "entry")) if e is not None]
        yield Page(entries, {"validators": response.validators}, requests=response.requests, total=len(entries))

    def document(self, partition: str, payloads: list[bytes]) -> bytes:
        return json_list(payloads)


def _entry(el: ET.Element) -> Entry | None:
    page = text(el.find(ATOM + "id")) or next((str(a.get("href")) for a in el.findall(ATOM + "link") if a.get("href")), "")
    if not page:
        return None
    arxiv = arxiv_id(page) if "/arxiv/" in page or "arxiv.org" in page else None
    published = text(el.find(ATOM + "published")) or text(el.find(ATOM + "updated"))
    content = text(el.find(ATOM + "content"))
    record: dict[str, Any] = {
        "id": arxiv or page, "title": text(el.find(ATOM + "title")), "abstract": text(el.find(ATOM + "summary")) or content,
        "authors": [text(a.find(ATOM + "name")) for a in el.findall(ATOM + "author") if text(a.find(ATOM + "name"))],
        "published": published, "url": page,
    }
    if arxiv:
        record["arxiv_id"], record["venue"] = arxiv, "arXiv"
    counters = {COUNTERS[m.group(1).lower()]: int(m.group(2)) for m in _COUNTER.finditer(content)}
    if counters:
        record["counters"] = counters
    payload = json.dumps(record, ensure_ascii=False, sort_keys=True).encode()
    return Entry(str(record["id"]), published[:10] or "undated", payload, published or None)
