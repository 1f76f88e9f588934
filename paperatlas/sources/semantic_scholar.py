"""Semantic Scholar Academic Graph API: paper search (``/paper/search``, paged with
``offset``/``limit``, at most 1,000 results) or a fixed list of papers (``POST /paper/batch``,
500 ids a request).

An API key is optional (it raises the rate limit); it comes from the settings or the environment
(``s2_api_key`` / ``PAPERATLAS_S2_API_KEY``), is sent as the ``x-api-key`` header, and is never
an option, never stored, never shown. Papers are kept as the API returned them, one document per
publication year (search) or per batch, read by the ``s2_json`` parser; citation counts become
counters, so a later sync updates them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..errors import InvalidInput
from .atom import json_list
from .base import Connector, Context, Entry, Option, Page, register
from .errors import SourceError

FIELDS = ("title,abstract,authors,year,venue,externalIds,url,publicationDate,openAccessPdf,"
          "citationCount,influentialCitationCount")
BATCH = 500  # ids per /paper/batch request (the API's limit)
SEARCH_LIMIT = 1000  # /paper/search serves offsets below 1,000


@register
class SemanticScholar(Connector):
    KIND = "s2"
    DESCRIPTION = "Semantic Scholar"
    FORMAT = "s2_json"
    EXT = "json"
    BASE_URL = "https://api.semanticscholar.org/graph/v1"
    PACE = 1.0  # the API's documented rate for a key: one request per second
    MAIN = "query"
    OPTIONS = {
        "query": Option(str, "a paper search query"),
        "ids": Option(str, "paper ids for the batch endpoint, comma-separated (S2 ids, DOI:..., ARXIV:..., CorpusId:...)"),
        "fields": Option(str, "the fields asked for", FIELDS),
        "page_size": Option(int, "results per search request (up to 100)", 100),
        "max_results": Option(int, "search results per sync (up to 1000)", SEARCH_LIMIT),
    }

    def __init__(self, options: Any) -> None:
        super().__init__(options)
        if bool(self.options.get("query")) == bool(self.options.get("ids")):
            raise InvalidInput("s2 needs exactly one of --query (search) and --ids (a batch of papers)",
                               hint='e.g. --query "contrastive learning" or --ids ARXIV:2106.15928,DOI:10.1145/3292500.3330701')

    def describe(self) -> str:
        if self.options.get("ids"):
            return f"{self.DESCRIPTION}: {len(self._ids())} papers"
        return super().describe()

    def _ids(self) -> list[str]:
        return [i.strip() for i in str(self.options.get("ids") or "").split(",") if i.strip()]

    def _headers(self, ctx: Context) -> dict[str, str]:
        key = ctx.secrets.get("s2_api_key")
        return {"x-api-key": key} if key else {}

    def pages(self, ctx: Context) -> Iterator[Page]:
        yield from (self._batch(ctx) if self.options.get("ids") else self._search(ctx))

    def _search(self, ctx: Context) -> Iterator[Page]:
        size = min(int(self.options.get("page_size") or 100), 100)
        limit = min(int(self.options.get("max_results") or SEARCH_LIMIT), SEARCH_LIMIT)
        offset = int((ctx.state.get("run") or {}).get("offset", 0))
        while True:
            params = {"query": self.options["query"], "fields": self.options.get("fields") or FIELDS,
                      "offset": offset, "limit": min(size, limit - offset)}
            response = ctx.fetcher.fetch(f"{self.base_url}/paper/search", params=params, headers=self._headers(ctx),
                                         pace=self.pace)
            data = _json(response.body, f"search (offset={offset})")
            if not isinstance(data, dict) or not isinstance(data.get("data", []), list):
                raise SourceError(f"Semantic Scholar search (offset={offset}): not a page of results",
                                  hint="is the --base-url the Graph API (…/graph/v1)?")
            papers = [p for p in data.get("data") or [] if isinstance(p, dict) and p.get("paperId")]
            offset += len(data.get("data") or [])
            total = data.get("total")
            done = not papers or data.get("next") is None or offset >= limit
            yield Page([_entry(p, str(p.get("year") or "undated")) for p in papers],
                       {"run": None} if done else {"run": {"offset": offset}}, requests=response.requests,
                       total=min(total, limit) if isinstance(total, int) else None)
            if done:
                return

    def _batch(self, ctx: Context) -> Iterator[Page]:
        ids = self._ids()
        first = int((ctx.state.get("run") or {}).get("batch", 0))
        for number in range(first, (len(ids) + BATCH - 1) // BATCH):
            chunk = ids[number * BATCH:(number + 1) * BATCH]
            response = ctx.fetcher.fetch(f"{self.base_url}/paper/batch", method="POST", json={"ids": chunk},
                                         params={"fields": self.options.get("fields") or FIELDS},
                                         headers=self._headers(ctx), pace=self.pace)
            data = _json(response.body, "batch")
            if not isinstance(data, list):
                raise SourceError("Semantic Scholar batch: not a list of papers", hint="is the --base-url the Graph API?")
            missing = [i for i, p in zip(chunk, data) if not isinstance(p, dict)]
            entries = [_entry(p, f"batch-{number:03d}") for p in data if isinstance(p, dict) and p.get("paperId")]
            last = (number + 1) * BATCH >= len(ids)
            yield Page(entries, {"run": None} if last else {"run": {"batch": number + 1}}, requests=response.requests,
                       total=len(ids), warnings=[f"Semantic Scholar does not know {i}" for i in missing])

    def document(self, partition: str, payloads: list[bytes]) -> bytes:
        return json_list(payloads)


def _json(body: bytes, where: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise SourceError(f"Semantic Scholar {where}: not JSON", hint="is the --base-url the Graph API (…/graph/v1)?") from None


def _entry(paper: dict[str, Any], partition: str) -> Entry:
    payload = json.dumps(paper, ensure_ascii=False, sort_keys=True).encode()
    return Entry(str(paper["paperId"]), partition, payload, str(paper.get("publicationDate") or paper.get("year") or "") or None)
