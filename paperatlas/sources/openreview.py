"""OpenReview API v2: the notes of a venue (``api2.openreview.net/notes``), paged with
``offset``/``limit`` in submission-number order.

``notes=submissions`` (the default) asks for every note of the venue's submission invitation
(``<venue>/-/Submission``): submissions, and as decisions are posted each note's ``venue`` and
``venueid`` change ("Submitted to ICLR 2025" becomes "ICLR 2025 Poster", or the Rejected or
Withdrawn venue id), so a later sync updates the same records with their decision.
``notes=accepted`` asks for ``content.venueid=<venue>``: accepted papers only.

Every sync walks the whole venue (a venue is a few thousand notes: a few requests) and stores
only the notes that changed; a killed walk resumes at its last offset. Notes are kept as the API
returned them, in one ``{"notes": [...]}`` document per 500 submission numbers, read by the
``openreview`` parser.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from .atom import json_list
from .base import Connector, Context, Entry, Option, Page, register
from .errors import SourceError

BUCKET = 500  # submission numbers per stored document


@register
class OpenReviewVenue(Connector):
    KIND = "openreview"
    DESCRIPTION = "OpenReview venue"
    FORMAT = "openreview"
    EXT = "json"
    BASE_URL = "https://api2.openreview.net"
    PACE = 1.0  # OpenReview rate-limits per IP without publishing a figure: one request a second
    MAIN = "venue"
    OPTIONS = {
        "venue": Option(str, "the venue id, e.g. ICLR.cc/2025/Conference", required=True),
        "notes": Option(str, "submissions: all, with decisions as they appear; accepted: accepted papers only",
                        "submissions", choices=("submissions", "accepted")),
        "invitation": Option(str, "the submission invitation when it is not <venue>/-/Submission"),
        "page_size": Option(int, "notes per request (OpenReview allows up to 1000)", 1000),
    }

    def _query(self) -> dict[str, Any]:
        venue = str(self.options["venue"]).strip("/")
        if self.options.get("notes") == "accepted":
            return {"content.venueid": venue}
        return {"invitation": self.options.get("invitation") or f"{venue}/-/Submission"}

    def pages(self, ctx: Context) -> Iterator[Page]:
        size = int(self.options.get("page_size") or 1000)
        offset = int((ctx.state.get("run") or {}).get("offset", 0))
        while True:
            params = {**self._query(), "offset": offset, "limit": size, "sort": "number:asc"}
            response = ctx.fetcher.fetch(f"{self.base_url}/notes", params=params, pace=self.pace)
            try:
                data = json.loads(response.body)
                notes, count = data["notes"], data.get("count")
            except (ValueError, KeyError, TypeError):
                raise SourceError(f"OpenReview (offset={offset}) answered something that is not a list of notes",
                                  hint="is the --base-url an OpenReview API v2 (api2.openreview.net)?") from None
            entries = [_entry(n) for n in notes if isinstance(n, dict) and n.get("id")]
            offset += len(notes)
            done = len(notes) < size or (isinstance(count, int) and offset >= count)
            state = {"run": None, "complete": True} if done else {"run": {"offset": offset}}
            still = set() if done or not entries else {entries[-1].partition}  # notes come in number order
            yield Page(entries, state, requests=response.requests, total=count if isinstance(count, int) else None, open=still)
            if done:
                return

    def document(self, partition: str, payloads: list[bytes]) -> bytes:
        return b'{"notes": ' + json_list(payloads) + b"}\n"


def _entry(note: dict[str, Any]) -> Entry:
    number = note.get("number")
    partition = f"{int(number) // BUCKET * BUCKET:06d}" if isinstance(number, int) else "unnumbered"
    when = note.get("pdate") or note.get("cdate")
    stamp = datetime.fromtimestamp(when / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(when, (int, float)) else None
    payload = json.dumps(note, ensure_ascii=False, sort_keys=True).encode()
    return Entry(str(note["id"]), partition, payload, stamp)
