"""``ingest``, ``demo``, ``papers``, ``show``, ``stats``, ``export``, ``formats``, ``backup``,
``settings``: thin adapters over ``services.ingest`` and ``services.catalog``."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from .. import export as export_formats
from .. import settings as settings_module
from ..app import Atlas
from ..ingest import FileReport, Overrides
from ..models import paper_to_dict
from ..render import paper_text, report_line, stats_text
from ..search.types import label
from ..services import catalog as svc
from ..services.ingest import ingest_paths, ingest_samples
from . import cli, db_option, emit_json, err, filter_options, json_option, out, progress_bar, say, settings_from, take_filters

WARNINGS_SHOWN = 20


def _print_report(report: FileReport) -> None:
    target = out if report.ok else err
    target.print(report_line(report), markup=False)
    for warning in report.warnings[:WARNINGS_SHOWN]:
        target.print(f"    warning: {warning}", markup=False)
    if len(report.warnings) > WARNINGS_SHOWN:
        target.print(f"    … and {len(report.warnings) - WARNINGS_SHOWN} more warnings (--json lists all)", markup=False)


def _on_file(quiet: bool, advance: Any) -> Any:
    def on_file(report: FileReport) -> None:
        advance()
        if not quiet:
            _print_report(report)
    return on_file


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "format_", metavar="NAME", help="Skip detection: read the files as NAME (see `paperatlas formats`).")
@click.option("--venue", help="Venue for records whose page does not say (e.g. ICLR).")
@click.option("--year", type=int, help="Year for records whose page does not say.")
@click.option("--track", help="Track/decision for records whose page does not say (e.g. Poster).")
@click.option("--session", help='Session for records whose page does not say ("Poster Session 6").')
@click.option("--skip-bad", is_flag=True, help="Skip damaged records (with a warning) instead of rejecting the file.")
@json_option
@db_option
def ingest(atlas: Atlas, files: tuple[Path, ...], format_: str | None, skip_bad: bool, as_json: bool, **over: Any) -> None:
    """Read listing files of any known format into the catalog, one transaction per file."""
    done = [0]
    with progress_bar("ingesting files", as_json) as update:
        def advance() -> None:
            done[0] += 1
            update(done[0], len(files))
        reports = ingest_paths(atlas, list(files), format=format_, overrides=Overrides(**over), skip_bad=skip_bad,
                               on_file=_on_file(as_json, advance))
    count = svc.count(atlas)
    if as_json:
        emit_json({"files": [r.to_dict() for r in reports], "papers_in_catalog": count})
    else:
        say(f"catalog: {atlas.location} — {count} papers")
    if any(not r.ok for r in reports):
        sys.exit(1)


@cli.command()
@json_option
@db_option
def demo(atlas: Atlas, as_json: bool) -> None:
    """Ingest the bundled sample listings (the five seed pages) and print a summary."""
    reports = ingest_samples(atlas, on_file=_on_file(as_json, lambda: None))
    if as_json:
        emit_json({"files": [r.to_dict() for r in reports], "stats": svc.stats(atlas)})
        return
    say("")
    say(stats_text(svc.stats(atlas)))


@cli.command()
@filter_options
@click.option("--limit", type=int, default=50, show_default=True, help="How many to list (0: all).")
@click.option("--offset", type=int, default=0, help="Skip this many first.")
@json_option
@db_option
def papers(atlas: Atlas, limit: int, offset: int, as_json: bool, **kwargs: Any) -> None:
    """List papers, narrowed by venue, year, track, session, author or code."""
    found = svc.list_papers(atlas, take_filters(kwargs), limit=limit or None, offset=offset)
    if as_json:
        emit_json({"total": found.total, "offset": offset, "papers": [paper_to_dict(p) for p in found.papers]})
        return
    rows = []
    for p in found.papers:
        authors = ", ".join(p.authors[:3]) + (" et al." if len(p.authors) > 3 else "")
        venue = " ".join(str(x) for x in (p.venue, p.year) if x)
        rows.append((p.id, label(p), authors, venue, p.track or ""))
    if out.is_terminal:
        table = Table("id", "title", "authors", "venue", "track", box=None, show_edge=False)
        for row in rows:
            table.add_row(*row)
        out.print(table)
    else:  # piped: one tab-separated line a paper, never wrapped
        for row in rows:
            click.echo("\t".join(row))
    say(f"{len(found.papers)} of {found.total} papers")


@cli.command()
@click.argument("paper_id")
@click.option("--sources", is_flag=True, help="Also show every source record's own values.")
@json_option
@db_option
def show(atlas: Atlas, paper_id: str, sources: bool, as_json: bool) -> None:
    """Everything about one paper, with where each field came from."""
    detail = svc.paper_detail(atlas, paper_id)
    if as_json:
        data = paper_to_dict(detail.paper)
        data["records"] = [{"source": ref.__dict__, "values": rec.__dict__} for ref, rec in detail.records]
        data["library"] = detail.state.to_dict()
        emit_json(data)
        return
    say(paper_text(detail.paper, detail.records if sources else None))


@cli.command()
@json_option
@db_option
def stats(atlas: Atlas, as_json: bool) -> None:
    """Counts per venue and track, per source file (against what pages claim) and field coverage."""
    data = svc.stats(atlas)
    if as_json:
        emit_json(data)
    else:
        say(stats_text(data))


@cli.command("export")
@click.option("--format", "format_", type=click.Choice(export_formats.FORMATS), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of standard output.")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Same as --format jsonl.")
@db_option
def export_cmd(atlas: Atlas, format_: str, output: Path | None, as_json: bool, **kwargs: Any) -> None:
    """Write papers as JSONL (every field plus sources), CSV, BibTeX, CSL-JSON or Markdown."""
    fmt = "jsonl" if as_json else format_
    filters = take_filters(kwargs)
    if output is None:
        svc.export_papers(atlas, sys.stdout, fmt, filters)
        return
    with output.open("w", encoding="utf-8", newline="") as fp:
        n = svc.export_papers(atlas, fp, fmt, filters)
    err.print(f"wrote {n} papers to {output}", markup=False)


@cli.command()
@json_option
def formats(as_json: bool) -> None:
    """The input formats paperatlas detects."""
    known = svc.formats()
    if as_json:
        emit_json(known)
    else:
        for name, text in known.items():
            say(f"{name:14} {text}")


@cli.command()
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@db_option
def backup(atlas: Atlas, dest: Path, as_json: bool) -> None:
    """Copy the live catalog to DEST safely (SQLite's online backup: others may keep working)."""
    with progress_bar("backing up", as_json) as update:
        report = svc.backup(atlas, dest, update)
    if as_json:
        emit_json(report.__dict__)
    else:
        say(f"backed up {report.papers} papers to {report.path} ({report.bytes / 1e6:.1f} MB)")


@cli.command()
@click.option("--to", "to", required=True, metavar="URL|FILE",
              help="The empty catalog to copy into: postgresql://user@host/db, or a new file.")
@json_option
@db_option
def migrate(atlas: Atlas, to: str, as_json: bool) -> None:
    """Copy the whole catalog, library included, into another store, and check every count."""
    with progress_bar("copying", as_json) as update:
        counts = svc.migrate(atlas, to, update)
    if as_json:
        emit_json({"to": re.sub(r"(//[^:@/]*):[^@/]*@", r"\1@", to),  # never the password
                   "tables": {t: {"here": a, "there": b} for t, (a, b) in counts.items()}})
        return
    rows = sum(a for a, _ in counts.values())
    say(f"copied {rows} rows of {len(counts)} tables ({counts.get('papers', (0, 0))[0]} papers); every count equal")


@cli.command("settings")
@json_option
def settings_cmd(as_json: bool) -> None:
    """The settings in effect (flag > PAPERATLAS_* variable > <home>/config.toml > default)."""
    resolved = settings_from()
    values = {"home": str(resolved.home), "catalog": resolved.catalog,
              **settings_module.shown(resolved)}
    if as_json:
        emit_json(values)
        return
    helps = dict(settings_module.documented())
    for name, value in values.items():
        say(f"{name:16} {value!r:28} {helps.get(name, '')}")
