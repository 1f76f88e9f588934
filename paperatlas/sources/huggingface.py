"""Hugging Face daily papers: ``/api/daily_papers?date=YYYY-MM-DD``, one request per day.

The first sync starts at ``since`` (default: a week ago); later syncs go on from the first day
not yet complete, and fetch the last ``refresh_days`` days again, conditionally, because their
upvotes are still rising (a paper's item changes, so its record is updated and the paper's
``hf upvotes`` counter follows). Today is never complete: it is fetched again next time.

Items are kept as the API returned them, one document (a JSON list) per day, read by the
``hf_daily`` parser; an item is keyed by its day and paper id, so a paper featured on two days
is in both days' documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from ..errors import InvalidInput
from .atom import json_list
from .base import Connector, Context, Entry, Option, Page, register
from .errors import SourceError


@register
class HuggingFaceDaily(Connector):
    KIND = "hf-daily"
    DESCRIPTION = "Hugging Face daily papers"
    FORMAT = "hf_daily"
    EXT = "json"
    BASE_URL = "https://huggingface.co"
    PACE = 1.0  # the Hub's API is rate-limited per IP; a day a second is far below it
    OPTIONS = {
        "since": Option(str, "the first day the first sync fetches (YYYY-MM-DD; default: a week ago)"),
        "refresh_days": Option(int, "days fetched again on every sync, while their upvotes still rise", 3),
    }

    def _since(self, today: date) -> date:
        raw = self.options.get("since")
        if not raw:
            return today - timedelta(days=7)
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            raise InvalidInput(f"hf-daily: since must be a date (YYYY-MM-DD), not {raw!r}",
                               hint="e.g. --since 2025-01-31") from None

    def pages(self, ctx: Context) -> Iterator[Page]:
        today = ctx.today
        since = self._since(today)
        following = date.fromisoformat(ctx.state["next"]) if ctx.state.get("next") else since
        refresh = max(int(self.options.get("refresh_days", 3) or 0), 1)
        day = max(since, min(following, today - timedelta(days=refresh - 1)))
        validators: dict[str, Any] = dict(ctx.state.get("validators") or {})
        while day <= today:
            stamp = day.isoformat()
            response = ctx.fetcher.fetch(f"{self.base_url}/api/daily_papers", params={"date": stamp},
                                         validators=validators.get(stamp), pace=self.pace)
            entries: list[Entry] = []
            if not response.not_modified:
                try:
                    items = json.loads(response.body)
                except ValueError:
                    raise SourceError(f"Hugging Face daily papers for {stamp}: not JSON",
                                      hint="is the --base-url right (https://huggingface.co)?") from None
                if not isinstance(items, list):
                    raise SourceError(f"Hugging Face daily papers for {stamp}: not a list of papers",
                                      hint="is the --base-url right (https://huggingface.co)?")
                entries = [e for e in (_entry(item, stamp) for item in items) if e is not None]
                validators[stamp] = response.validators
            keep_from = (today - timedelta(days=refresh)).isoformat()
            validators = {k: v for k, v in validators.items() if k >= keep_from}
            done_until = day + timedelta(days=1) if day < today else today
            state = {"next": done_until.isoformat(), "validators": validators}
            yield Page(entries, state, requests=response.requests, not_modified=response.not_modified)
            day += timedelta(days=1)

    def document(self, partition: str, payloads: list[bytes]) -> bytes:
        return json_list(payloads)


def _entry(item: Any, day: str) -> Entry | None:
    paper = item.get("paper") if isinstance(item, dict) else None
    if not isinstance(paper, dict) or not paper.get("id"):
        return None
    payload = json.dumps(item, ensure_ascii=False, sort_keys=True).encode()
    return Entry(f"{day}/{paper['id']}", day, payload, str(paper.get("publishedAt") or day))
