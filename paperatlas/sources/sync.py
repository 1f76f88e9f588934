"""The sync engine: one source, page by page, each page committed whole.

For each page a connector yields: the entries whose payload changed since the last sync (new
keys, or a new version of a known key) are stored; every partition they touch is rebuilt from
the source's stored entries into one document and ingested under a stable label
(``source:<name>/<partition>``), so a changed entry updates its record in place and an unchanged
partition is never read again; then the connector's state after the page is saved. All of it in
one transaction: a sync killed mid-page leaves the catalog and the state as they were after the
previous page, and the next sync resumes there. A page with no changed entry stores nothing.
A partition the connector says the run's next pages may still add to (the oldest day of a page
sorted by date) waits, stored but not yet ingested (``pending`` in the state), until it is
complete: each document is read once per run, not once per page that touched it.

Errors are per source: the report carries the message and the hint; the pages before the error
stay stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import PaperatlasError
from ..ingest import FileReport
from ..services.ingest import ingest_bytes
from ..store.protocol import SourceInfo, SourceItem
from .base import Connector, Context, Page, connector
from .errors import SourceError
from .http import Fetcher

if TYPE_CHECKING:
    from ..app import Atlas

COUNTS = ("found", "new", "merged", "updated", "unchanged")
DIRTY = "pending"  # in a source's state: partitions stored but not ingested yet (their day goes on)


@dataclass
class SyncReport:
    """What one sync of one source did."""

    source: str
    kind: str
    description: str
    status: str = "ok"  # 'ok', 'error' or 'interrupted'
    resumed: bool = False  # it went on from where a killed or failed sync stopped
    requests: int = 0  # HTTP requests, retries and redirects included
    not_modified: int = 0  # responses that were 304 Not Modified
    pages: int = 0
    entries: int = 0  # entries in the responses
    changed: int = 0  # of them, new or changed since the last sync
    documents: int = 0  # partition documents ingested
    found: int = 0  # records in those documents
    new: int = 0  # records that became new papers
    merged: int = 0  # records that joined a paper already in the catalog
    updated: int = 0  # records whose content changed
    unchanged: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    run: int = 0  # the sync_runs row

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def stored(self) -> int:
        return self.new + self.merged + self.updated

    def summary(self) -> str:
        calls = f"{self.requests} request{'s' * (self.requests != 1)}"
        if self.not_modified:
            calls += f", {self.not_modified} not modified"
        if self.status == "error":
            kept = f"; {self.stored} records stored before it" if self.stored else ""
            return f"{self.source}: FAILED after {calls}: {self.error}{kept}"
        if self.status == "interrupted":
            return f"{self.source}: interrupted after {self.pages} pages ({calls}); the next sync resumes there"
        resumed = " (resumed)" if self.resumed else ""
        if not self.stored:
            return f"{self.source}{resumed}: nothing new, 0 stored ({calls}, {self.entries} entries seen)"
        return (f"{self.source}{resumed}: {self.changed} entries new or changed -> {self.new} new papers, "
                f"{self.merged} merged, {self.updated} updated ({calls}, {self.seconds:.1f} s)")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "stored": self.stored, "summary": self.summary()}


Progress = Callable[[SyncReport, "int | None"], None]  # the report so far, and the entries the run expects


def sync_source(
    atlas: Atlas,
    info: SourceInfo,
    fetcher: Fetcher,
    *,
    secrets: Mapping[str, str] | None = None,
    today: date | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Sync one source; never raises for the source's own problems (they are in the report),
    except KeyboardInterrupt, which is recorded and re-raised."""
    store = atlas.store.sources
    report = SyncReport(info.name, info.kind, info.kind, resumed=bool(info.state.get("run") or info.state.get(DIRTY)))
    report.run = store.start_run(info.name, atlas.store.feed.last_change())
    started = time.perf_counter()
    try:
        conn = connector(info.kind, info.options)
        report.description = conn.describe()
        ctx = Context(fetcher, dict(info.state), lambda keys: store.versions(info.name, keys), dict(secrets or {}),
                      today or date.today())
        state = dict(info.state)
        for page in conn.pages(ctx):
            _store_page(atlas, conn, info.name, page, report, state)
            if progress:
                progress(report, page.total)
    except PaperatlasError as exc:
        report.status, report.error, report.hint = "error", exc.message, exc.hint
    except KeyboardInterrupt:
        report.status = "interrupted"
        _finish(atlas, report, started)
        raise
    except Exception as exc:  # noqa: BLE001 - a bug in one connector must not stop the other sources
        report.status, report.error = "error", f"internal error ({type(exc).__name__}: {exc})"
        report.hint = "please report this with the source's options (paperatlas sources list --json)"
    _finish(atlas, report, started)
    return report


def _finish(atlas: Atlas, report: SyncReport, started: float) -> None:
    report.seconds = time.perf_counter() - started
    counts = {name: int(getattr(report, name)) for name in
              ("requests", "not_modified", "pages", "entries", "changed", "documents", *COUNTS)}
    atlas.store.sources.finish_run(report.run, report.status, counts, report.error, atlas.store.feed.last_change())


def _store_page(atlas: Atlas, conn: Connector, name: str, page: Page, report: SyncReport, state: dict[str, Any]) -> None:
    """Store one page; ``state`` (the source's, as saved) is updated to what is saved after it."""
    store = atlas.store.sources
    report.pages += 1
    report.requests += page.requests
    report.not_modified += int(page.not_modified)
    report.entries += len(page.entries)
    report.warnings += page.warnings
    latest = {e.key: e for e in page.entries}  # an entry twice in a page: the later one
    known = store.versions(name, list(latest))
    changed = [e for e in latest.values() if known.get(e.key) != e.version]
    report.changed += len(changed)
    dirty = set(state.get(DIRTY, [])) | {e.partition for e in changed}
    waiting = sorted(dirty & page.open)
    after = {**{k: v for k, v in page.state.items() if k != DIRTY}, **({DIRTY: waiting} if waiting else {})}
    read: list[tuple[str, FileReport]] = []
    with store.atomic():  # the page's entries, its documents' records and the state after it: all or nothing
        if changed:
            store.put_items(name, [SourceItem(e.key, e.partition, e.version, e.payload, e.stamp) for e in changed])
        for partition in sorted(dirty - page.open):
            payloads = [item.payload for item in store.partition(name, partition)]
            file = ingest_bytes(atlas, f"{name}-{partition}.{conn.EXT}", conn.document(partition, payloads),
                                format=conn.format() or None, overrides=conn.overrides(), skip_bad=True,
                                label=f"source:{name}/{partition}")
            if file.error:  # rolls the page back: it is fetched and read again next time
                raise SourceError(f"the entries of {partition} could not be read: {file.error}", hint=file.hint or "")
            read.append((partition, file))
        store.set_state(name, after)
    state.clear()
    state.update(after)
    for partition, file in read:
        _add(report, partition, file)


def _add(report: SyncReport, partition: str, file: FileReport) -> None:
    report.documents += 1
    for name in COUNTS:
        setattr(report, name, getattr(report, name) + getattr(file, name))
    report.warnings += [f"{partition}: {w}" for w in file.warnings]
