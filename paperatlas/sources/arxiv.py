"""arXiv API connector: a category or any query (``export.arxiv.org/api/query``), newest first.

Pages of ``page_size`` entries (``start``/``max_results``) sorted by ``submittedDate`` descending
(or ``lastUpdatedDate``, to see new versions too), with the three seconds between requests that
arXiv's API terms ask for. The first sync goes back ``max_results`` entries; later syncs stop at
the page holding an entry the previous complete run already saw (known, and no newer than that
run's newest entry: the *mark*). A run remembers where it is (``run.start``) after every page, so
a killed sync resumes there; entries that shifted down meanwhile are re-seen and skipped as known.

Entries are stored as the API wrote them (one ``<entry>`` each, keyed by their versioned id), in
one document per submission day, read by the ``arxiv_atom`` parser.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from .atom import ATOM, OPENSEARCH, arxiv_id, document, read_feed, text
from .base import Connector, Context, Entry, Option, Page, register
from .errors import SourceError

_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?$")
EMPTY_PAGE_RETRIES = 3  # arXiv's API sometimes answers a page with no entries; asking again helps
SORTS = {"submitted": ("submittedDate", "published"), "updated": ("lastUpdatedDate", "updated")}


@register
class ArxivAPI(Connector):
    KIND = "arxiv"
    DESCRIPTION = "arXiv API"
    FORMAT = "arxiv_atom"
    BASE_URL = "https://export.arxiv.org/api/query"
    PACE = 3.0  # arXiv API Terms of Use: "make no more than one request every three seconds"
    MAIN = "query"
    OPTIONS = {
        "query": Option(str, "a category (cs.LG) or an arXiv search_query (cat:cs.CL AND ti:retrieval)", required=True),
        "page_size": Option(int, "entries per request (arXiv allows up to 2000)", 100),
        "max_results": Option(int, "how many entries the first sync goes back", 1000),
        "sort": Option(str, "submitted: new papers first; updated: new versions of old papers too", "submitted",
                       choices=tuple(SORTS)),
    }

    @property
    def search_query(self) -> str:
        query = str(self.options["query"])
        return f"cat:{query}" if _CATEGORY.match(query) else query

    def pages(self, ctx: Context) -> Iterator[Page]:
        page_size = int(self.options.get("page_size") or 100)
        sort_by, stamp_tag = SORTS[str(self.options.get("sort") or "submitted")]
        mark: str | None = ctx.state.get("mark")
        run = ctx.state.get("run") or {}
        start, newest = int(run.get("start", 0)), run.get("newest")
        limit = int(self.options.get("max_results") or 1000) if mark is None else None
        while True:
            entries, total, requests = self._page(ctx, start, page_size, sort_by, stamp_tag)
            known = ctx.versions([e.key for e in entries])
            # the page with an entry the last complete run saw is the last one
            seen = mark is not None and any(e.key in known and (e.stamp or "") <= mark for e in entries)
            stamps = [e.stamp for e in entries if e.stamp]
            newest = max([*stamps, *([newest] if newest else [])], default=None)
            start += len(entries)
            done = seen or not entries or start >= total or (limit is not None and start >= limit)
            state = {"mark": newest or mark, "run": None} if done else {"mark": mark, "run": {"start": start, "newest": newest}}
            still = set() if done or not entries else {entries[-1].partition}  # its day goes on in the next page
            yield Page(entries, state, requests=requests, total=min(total, limit) if limit is not None else None, open=still)
            if done:
                return

    def _page(self, ctx: Context, start: int, size: int, sort_by: str, stamp_tag: str) -> tuple[list[Entry], int, int]:
        params = {"search_query": self.search_query, "start": start, "max_results": size,
                  "sortBy": sort_by, "sortOrder": "descending"}
        requests = 0
        for _ in range(EMPTY_PAGE_RETRIES + 1):
            response = ctx.fetcher.fetch(self.base_url, params=params, pace=self.pace)
            requests += response.requests
            root = read_feed(response.body, f"arXiv API (start={start})")
            total = int(text(root.find(OPENSEARCH + "totalResults")) or 0)
            entries = [self._entry(e, stamp_tag) for e in root.findall(ATOM + "entry")]
            if entries or start >= total:
                return entries, total, requests
        raise SourceError(f"arXiv returned no entries at start={start} although it reports {total} results",
                          hint="arXiv's API does this at times; sync again later (it resumes at this page)")

    def _entry(self, entry: ET.Element, stamp_tag: str) -> Entry:
        raw_id = text(entry.find(ATOM + "id"))
        if "/api/errors" in raw_id:
            raise SourceError(f"the arXiv API refused the query: {text(entry.find(ATOM + 'summary'))[:200]}",
                              hint="fix the query (see https://info.arxiv.org/help/api/user-manual.html)")
        key = arxiv_id(raw_id) or raw_id
        published = text(entry.find(ATOM + "published"))
        stamp = text(entry.find(ATOM + stamp_tag)) or published or None
        entry.tail = None  # the whitespace after it depends on where it sat in the page
        return Entry(key, published[:10] or "undated", ET.tostring(entry), stamp)

    def document(self, partition: str, payloads: list[bytes]) -> bytes:
        return document(payloads)
