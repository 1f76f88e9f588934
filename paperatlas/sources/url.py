"""Any URL of a listing the ingest parsers understand (a Paper Copilot JSON, a BibTeX file, an
OpenReview export, an arXiv query URL, ...): one conditional request a sync, the whole response
stored as one document (so a changed listing updates its records in place, as re-ingesting a
changed file does), read by the parser named in ``format`` or the one that detects it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..ingest import Overrides
from .base import Connector, Context, Entry, Option, Page, register

PAGE = "page"


@register
class ListingURL(Connector):
    KIND = "url"
    DESCRIPTION = "listing at a URL"
    FORMAT = ""
    EXT = "txt"
    BASE_URL = ""
    PACE = 1.0
    MAIN = "url"
    OPTIONS = {
        "url": Option(str, "the listing's URL (http or https)", required=True),
        "format": Option(str, "the format to read it as (paperatlas formats); default: detected"),
        "venue": Option(str, "venue for records the listing does not give one"),
        "year": Option(int, "year for records the listing does not give one"),
        "track": Option(str, "track or decision for records the listing does not give one"),
    }

    @property
    def base_url(self) -> str:
        return str(self.options.get("base_url") or self.options["url"])

    def format(self) -> str:
        return str(self.options.get("format") or "")

    def overrides(self) -> Overrides:
        return Overrides(venue=self.options.get("venue"), year=self.options.get("year"), track=self.options.get("track"))

    def pages(self, ctx: Context) -> Iterator[Page]:
        response = ctx.fetcher.fetch(self.base_url, validators=ctx.state.get("validators"), pace=self.pace)
        if response.not_modified:
            yield Page([], dict(ctx.state), requests=response.requests, not_modified=True)
            return
        state = {"validators": response.validators, "url": response.url}
        yield Page([Entry(PAGE, PAGE, response.body, None)], state, requests=response.requests, total=1)

    def document(self, partition: str, payloads: list[bytes]) -> bytes:
        return payloads[0]
