"""``sources add|list|remove|kinds`` and ``sync``: thin adapters over ``services.sources``."""

from __future__ import annotations

import sys
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from ..app import Atlas
from ..errors import InvalidInput
from . import cli, db_option, emit_json, err, json_option, out, progress_bars, say

if TYPE_CHECKING:
    from ..sources.sync import SyncReport
    from ..store.protocol import SourceInfo

WARNINGS_SHOWN = 5
# Options a connector may take, as flags; anything else goes in -o key=value.
FLAGS = (
    ("query", str, "arxiv, s2: the category or search query (cat:cs.LG, cs.LG, 'contrastive learning')."),
    ("category", str, "arxiv-rss: the category or archive (cs.LG, cs.LG+stat.ML)."),
    ("venue", str, "openreview: the venue id (ICLR.cc/2025/Conference); url: venue for records without one."),
    ("feed", str, "paperscool: arxiv/<category> or venue/<venue>."),
    ("url", str, "url: the listing's URL."),
    ("ids", str, "s2: paper ids for the batch endpoint, comma-separated."),
    ("since", str, "hf-daily: the first day to fetch (YYYY-MM-DD)."),
    ("max-results", int, "arxiv, s2: how many entries the first sync goes back."),
    ("base-url", str, "Where the service is: a mirror, a proxy, a test server."),
    ("pace", float, "Seconds between two requests to the host [default: the service's documented pace]."),
)


def _svc() -> ModuleType:
    """``services.sources``, imported when a sources command runs (httpx is not needed to start
    every other command)."""
    from ..services import sources

    return sources


def _info_dict(info: SourceInfo) -> dict[str, Any]:
    svc = _svc()
    run = info.last_run
    return {"name": info.name, "kind": info.kind, "what": svc.describe(info), "options": info.options,
            "items": info.items, "created_at": info.created_at, "resumes": bool(info.state.get("run")),
            "last_sync": None if run is None else {"started_at": run.started_at, "finished_at": run.finished_at,
                                                   "status": run.status, "counts": run.counts, "error": run.error}}


@cli.group()
def sources() -> None:
    """Sources that fetch themselves (arXiv, OpenReview, Hugging Face, papers.cool, Semantic
    Scholar, any listing URL): add them, then `paperatlas sync`."""


@sources.command("add")
@click.argument("kind")
@click.option("--name", help="What to call it [default: the kind and its query, e.g. arxiv-cs.LG].")
@click.option("-o", "--option", "extra", multiple=True, metavar="KEY=VALUE",
              help="Any other option of the connector (see `paperatlas sources kinds`).")
@json_option
@db_option
def add(atlas: Atlas, kind: str, name: str | None, extra: tuple[str, ...], as_json: bool, **flags: Any) -> None:
    """Add a source of KIND (arxiv, arxiv-rss, openreview, hf-daily, paperscool, s2, url). Nothing is
    fetched until `paperatlas sync`."""
    svc = _svc()
    options = {k: v for k, v in flags.items() if v is not None}
    for pair in extra:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"-o {pair!r} is not KEY=VALUE", hint="e.g. -o page_size=50")
        options[key.strip().replace("-", "_")] = value
    info = svc.add_source(atlas, kind, name, **options)
    if as_json:
        emit_json(_info_dict(info))
    else:
        say(f"added {info.name}: {svc.describe(info)} — `paperatlas sync --source {info.name}` fetches it")


for _flag, _kind, _help in FLAGS:  # appended to the command, in this order
    add = click.option(f"--{_flag}", _flag.replace("-", "_"), type=_kind, default=None, help=_help)(add)


@sources.command("list")
@json_option
@db_option
def list_(atlas: Atlas, as_json: bool) -> None:
    """The sources, what they fetch, and how their last sync went."""
    svc = _svc()
    found = svc.list_sources(atlas)
    if as_json:
        emit_json([_info_dict(i) for i in found])
        return
    if not found:
        say("no sources yet: `paperatlas sources add arxiv --query cs.LG --name lg`")
        return
    table = Table("name", "what", "items", "last sync", box=None, show_edge=False)
    for info in found:
        run = info.last_run
        last = "never" if run is None else f"{run.status} {run.finished_at or run.started_at}"
        if run is not None and run.error:
            last += f": {run.error[:80]}"
        if info.state.get("run"):
            last += " (resumes)"
        table.add_row(info.name, svc.describe(info), str(info.items), last)
    out.print(table)


@sources.command("remove")
@click.argument("name")
@json_option
@db_option
def remove(atlas: Atlas, name: str, as_json: bool) -> None:
    """Forget a source and its sync state (the papers it brought stay in the catalog)."""
    svc = _svc()
    info = svc.remove_source(atlas, name)
    if as_json:
        emit_json({"removed": info.name})
    else:
        say(f"removed {info.name}; its {info.items} entries' papers stay in the catalog")


@sources.command("kinds")
@json_option
def kinds_(as_json: bool) -> None:
    """The connectors and their options."""
    svc = _svc()
    found = svc.connectors()
    if as_json:
        emit_json([{"kind": c.kind, "description": c.description, "options": c.options} for c in found])
        return
    for c in found:
        say(f"{c.kind}: {c.description}")
        for option, text in c.options.items():
            say(f"    {option}: {text}")


@cli.command()
@click.option("--source", "name", help="Sync only this source [default: all].")
@click.option("--every", metavar="INTERVAL", help="Keep running: sync again every INTERVAL (30m, 6h, 1d) until Ctrl-C.")
@json_option
@db_option
def sync(atlas: Atlas, name: str | None, every: str | None, as_json: bool) -> None:
    """Fetch what is new from the sources (incremental; a killed sync resumes)."""
    svc = _svc()
    interval = svc.parse_interval(every) if every else None
    names = [name] if name else [s.name for s in svc.list_sources(atlas)]
    if not names:
        say("no sources yet: `paperatlas sources add arxiv --query cs.LG --name lg`")
        return

    def once() -> list[SyncReport]:
        with progress_bars(*names, quiet=as_json) as bars:
            bar = dict(zip(names, bars))

            def progress(report: SyncReport, total: int | None) -> None:
                bar[report.source](report.entries, total or max(report.entries, 1))
            reports: list[SyncReport] = svc.sync(atlas, name, progress,
                                                 secrets={"s2_api_key": atlas.settings.s2_api_key})
        _print(reports, as_json)
        return reports

    try:
        if interval is None:
            reports = once()
            if any(not r.ok for r in reports):
                sys.exit(1)
            return
        svc.run_every(interval, once, announce=None if as_json else
                      lambda at: say(f"next sync at {time.strftime('%Y-%m-%d %H:%M', time.localtime(at))} (Ctrl-C stops)"))
    except KeyboardInterrupt:
        err.print("interrupted: what was fetched so far is stored; the next sync resumes where this one stopped", markup=False)
        sys.exit(0 if interval else 130)


def _print(reports: list[SyncReport], as_json: bool) -> None:
    if as_json:
        emit_json({"sources": [r.to_dict() for r in reports]})
        return
    for r in reports:
        target = out if r.ok else err
        target.print(r.summary(), markup=False)
        if r.hint and not r.ok:
            target.print(f"    hint: {r.hint}", markup=False)
        for warning in r.warnings[:WARNINGS_SHOWN]:
            target.print(f"    warning: {warning}", markup=False)
        if len(r.warnings) > WARNINGS_SHOWN:
            target.print(f"    … and {len(r.warnings) - WARNINGS_SHOWN} more warnings (--json lists all)", markup=False)
