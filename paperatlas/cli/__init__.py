"""The ``paperatlas`` command: thin adapters that parse options, call the core, render output."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any, Callable

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__, export
from .catalog import Catalog, Filters, default_path
from .errors import PaperatlasError
from .ingest import FileReport, Overrides, ingest_paths, registry
from .models import Paper, paper_to_dict
from .render import paper_text, report_line, stats_text

SAMPLES = Path(__file__).parent / "samples"
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def db_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--db PATH`` on every command; the catalog is opened here and closed after."""

    @click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Catalog file [default: $PAPERATLAS_HOME/catalog.sqlite, home ~/.paperatlas].",
    )
    @functools.wraps(fn)
    def wrapper(db_path: Path | None, **kwargs: Any) -> Any:
        with Catalog(db_path or default_path()) as catalog:
            return fn(catalog=catalog, **kwargs)

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for name, kind, text in reversed(
        [
            ("venue", str, "Only this venue (e.g. ICLR)."),
            ("year", int, "Only this year."),
            ("track", str, "Only this track/decision (e.g. Poster, Oral)."),
            ("session", str, 'Only this session (e.g. "Poster Session 6").'),
            ("author", str, "Only papers with an author containing this text."),
            ("text", str, "Only papers whose title or abstract contains this text."),
        ]
    ):
        fn = click.option(f"--{name}", type=kind, default=None, help=text)(fn)
    return fn


def _filters(kwargs: dict[str, Any]) -> Filters:
    return Filters(**{k: kwargs.pop(k) for k in ("venue", "year", "track", "session", "author", "text")})


def dumps(data: Any, indent: int | None = 2) -> str:
    """JSON for the terminal: UTF-8 as is; text holding lone surrogates (which UTF-8 cannot
    carry, but a JSON input can) as \\u escapes instead of failing to print."""
    text = json.dumps(data, ensure_ascii=False, indent=indent)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return json.dumps(data, ensure_ascii=True, indent=indent)


def _emit_json(data: Any) -> None:
    click.echo(dumps(data))


class Group(click.Group):
    """Turns paperatlas errors into a message with a hint and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PaperatlasError as exc:
            err.print(f"[red]error:[/red] {exc.message}", markup=True, highlight=False)
            if exc.hint:
                err.print(f"  hint: {exc.hint}", markup=False)
            sys.exit(1)
        except OSError as exc:
            err.print(f"[red]error:[/red] {exc}", markup=True)
            sys.exit(1)


@click.group(cls=Group)
@click.version_option(__version__)
def cli() -> None:
    """paperatlas: ingest any paper listing into one clean local catalog, then find and triage."""


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
def ingest(catalog: Catalog, files: tuple[Path, ...], format_: str | None, skip_bad: bool, as_json: bool, **over: Any) -> None:
    """Read listing files of any known format into the catalog, one transaction per file."""
    reports = _ingest_with_progress(catalog, list(files), format_, Overrides(**over), skip_bad, quiet=as_json)
    if as_json:
        _emit_json({"files": [r.to_dict() for r in reports], "papers_in_catalog": catalog.count()})
    else:
        out.print(f"catalog: {catalog.path} — {catalog.count()} papers", markup=False)
    if any(not r.ok for r in reports):
        sys.exit(1)


def _ingest_with_progress(
    catalog: Catalog, files: list[Path], format_: str | None, over: Overrides, skip_bad: bool, quiet: bool
) -> list[FileReport]:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet or not err.is_terminal) as bar:
        task = bar.add_task("ingesting files", total=len(files))

        def on_file(report: FileReport) -> None:
            bar.advance(task)
            if not quiet:
                _print_report(report)

        return ingest_paths(catalog, files, format=format_, overrides=over, skip_bad=skip_bad, on_file=on_file)


def _print_report(report: FileReport) -> None:
    target = out if report.ok else err
    target.print(report_line(report), markup=False)
    for warning in report.warnings[:20]:
        target.print(f"    warning: {warning}", markup=False)
    if len(report.warnings) > 20:
        target.print(f"    … and {len(report.warnings) - 20} more warnings (--json lists all)", markup=False)


@cli.command()
@filter_options
@click.option("--limit", type=int, default=50, show_default=True, help="How many to list (0: all).")
@click.option("--offset", type=int, default=0, help="Skip this many first.")
@json_option
@db_option
def papers(catalog: Catalog, limit: int, offset: int, as_json: bool, **kwargs: Any) -> None:
    """List papers, narrowed by venue, year, track, session, author or text."""
    filters = _filters(kwargs)
    found = catalog.papers(filters, limit=limit or None, offset=offset)
    total = catalog.count(filters)
    if as_json:
        _emit_json({"total": total, "papers": [paper_to_dict(p) for p in found]})
        return
    rows = []
    for p in found:
        authors = ", ".join(p.authors[:3]) + (" et al." if len(p.authors) > 3 else "")
        venue = " ".join(str(x) for x in (p.venue, p.year) if x)
        rows.append((p.id, _title(p), authors, venue, p.track or ""))
    if out.is_terminal:
        table = Table("id", "title", "authors", "venue", "track", box=None, show_edge=False)
        for row in rows:
            table.add_row(*row)
        out.print(table)
    else:  # piped: one tab-separated line a paper, never wrapped
        for row in rows:
            click.echo("\t".join(row))
    out.print(f"{len(found)} of {total} papers", markup=False)


def _title(p: Paper) -> str:
    return p.title or "[untitled] " + " ".join(p.abstract.split()[:10]) + "…"


@cli.command()
@click.argument("paper_id")
@click.option("--sources", is_flag=True, help="Also show every source record's own values.")
@json_option
@db_option
def show(catalog: Catalog, paper_id: str, sources: bool, as_json: bool) -> None:
    """Everything about one paper, with where each field came from."""
    paper = catalog.get(paper_id)
    records = catalog.records_of(paper_id) if sources or as_json else []
    if as_json:
        data = paper_to_dict(paper)
        data["records"] = [{"source": ref.__dict__, "values": rec.__dict__} for ref, rec in records]
        _emit_json(data)
        return
    out.print(paper_text(paper, records if sources else None), markup=False)


@cli.command()
@json_option
@db_option
def stats(catalog: Catalog, as_json: bool) -> None:
    """Counts per venue and track, per source file (against what pages claim) and field coverage."""
    data = catalog.stats()
    if as_json:
        _emit_json(data)
    else:
        out.print(stats_text(data), markup=False)


@cli.command("export")
@click.option("--format", "format_", type=click.Choice(export.FORMATS), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of standard output.")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Same as --format jsonl.")
@db_option
def export_cmd(catalog: Catalog, format_: str, output: Path | None, as_json: bool, **kwargs: Any) -> None:
    """Write papers as JSONL (every field plus sources), CSV or BibTeX."""
    papers_iter = catalog.iter_papers(_filters(kwargs))
    fmt = "jsonl" if as_json else format_
    if output is None:
        export.write(papers_iter, sys.stdout, fmt)
        return
    with output.open("w", encoding="utf-8", newline="") as fp:
        n = export.write(papers_iter, fp, fmt)
    err.print(f"wrote {n} papers to {output}", markup=False)


@cli.command()
@json_option
def formats(as_json: bool) -> None:
    """The input formats paperatlas detects."""
    known = {name: p.DESCRIPTION for name, p in sorted(registry.parsers().items())}
    if as_json:
        _emit_json(known)
    else:
        for name, text in known.items():
            out.print(f"{name:14} {text}", markup=False)


@cli.command()
@json_option
@db_option
def demo(catalog: Catalog, as_json: bool) -> None:
    """Ingest the bundled sample listings (the five seed pages) and print a summary."""
    manifest = json.loads((SAMPLES / "manifest.json").read_text())["files"]
    reports = []
    for path in sorted(SAMPLES.glob("*.txt")):
        known = {k: v for k, v in manifest.get(path.name, {}).items() if k in ("venue", "year", "track", "session")}
        reports += _ingest_with_progress(catalog, [path], None, Overrides(**known), False, quiet=as_json)
    if as_json:
        _emit_json({"files": [r.to_dict() for r in reports], "stats": catalog.stats()})
        return
    out.print("", markup=False)
    out.print(stats_text(catalog.stats()), markup=False)


# -- the library and the web UI (thin adapters over paperatlas.library and paperatlas.web) -------
def _state_line(state: Any) -> str:
    parts = ["starred" if state.starred else "not starred"]
    if state.tags:
        parts.append("tags: " + ", ".join(state.tags))
    if state.note:
        parts.append("note: " + state.note.splitlines()[0][:60])
    return f"{state.paper_id}  " + "; ".join(parts)


@cli.command()
@click.argument("paper_ids", nargs=-1)
@click.option("--remove", is_flag=True, help="Unstar instead.")
@json_option
@db_option
def star(catalog: Catalog, paper_ids: tuple[str, ...], remove: bool, as_json: bool) -> None:
    """Star papers (or --remove the star); with no ids, list the starred papers."""
    from . import library

    if not paper_ids:
        papers_ = library.selection(catalog, starred=True)
        if as_json:
            _emit_json([paper_to_dict(p) for p in papers_])
        for p in [] if as_json else papers_:
            click.echo(f"{p.id}\t{_title(p)}")
        return
    states = [(library.unstar if remove else library.star)(catalog, pid) for pid in paper_ids]
    if as_json:
        _emit_json([s.to_dict() for s in states])
    for s in [] if as_json else states:
        click.echo(_state_line(s))


@cli.command()
@click.argument("paper_id")
@click.argument("tags", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove these tags instead.")
@json_option
@db_option
def tag(catalog: Catalog, paper_id: str, tags: tuple[str, ...], remove: bool, as_json: bool) -> None:
    """Add tags to a paper (or --remove them)."""
    from . import library

    change = library.remove_tag if remove else library.add_tag
    state = [change(catalog, paper_id, name) for name in tags][-1]
    if as_json:
        _emit_json(state.to_dict())
    else:
        click.echo(_state_line(state))


@cli.command()
@click.argument("paper_id")
@click.argument("text", required=False)
@click.option("--delete", is_flag=True, help="Delete the note.")
@json_option
@db_option
def note(catalog: Catalog, paper_id: str, text: str | None, delete: bool, as_json: bool) -> None:
    """Write a paper's note (TEXT, or '-' to read standard input); with no TEXT, print it."""
    from . import library

    if delete or text is not None:
        body = "" if delete else (sys.stdin.read() if text == "-" else text or "")
        state = library.set_note(catalog, paper_id, body)
    else:
        catalog.get(paper_id)  # NotFound for an unknown id
        state = library.state(catalog, paper_id)
    if as_json:
        _emit_json(state.to_dict())
    else:
        click.echo(state.note or "(no note)")


@cli.group("list")
def list_group() -> None:
    """Reading lists: create, add, remove, rename, delete, show."""


@list_group.command("create")
@click.argument("name")
@click.argument("paper_ids", nargs=-1)
@db_option
def list_create(catalog: Catalog, name: str, paper_ids: tuple[str, ...]) -> None:
    """Create a list NAME, optionally with papers."""
    from . import library

    lst = library.create_list(catalog, name)
    for pid in paper_ids:
        lst = library.add_to_list(catalog, lst.id, pid)
    click.echo(f"list {lst.name!r} ({len(lst.paper_ids)} papers)")


@list_group.command("add")
@click.argument("name")
@click.argument("paper_ids", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove these papers from the list instead.")
@db_option
def list_add(catalog: Catalog, name: str, paper_ids: tuple[str, ...], remove: bool) -> None:
    """Add papers to the list NAME (or --remove them)."""
    from . import library

    lst = library.find_list(catalog, name)
    for pid in paper_ids:
        lst = (library.remove_from_list if remove else library.add_to_list)(catalog, lst.id, pid)
    click.echo(f"list {lst.name!r} ({len(lst.paper_ids)} papers)")


@list_group.command("rename")
@click.argument("name")
@click.argument("new_name")
@db_option
def list_rename(catalog: Catalog, name: str, new_name: str) -> None:
    """Rename the list NAME to NEW_NAME."""
    from . import library

    click.echo(f"list {library.rename_list(catalog, library.find_list(catalog, name).id, new_name).name!r}")


@list_group.command("delete")
@click.argument("name")
@db_option
def list_delete(catalog: Catalog, name: str) -> None:
    """Delete the list NAME (its papers stay in the catalog)."""
    from . import library

    library.delete_list(catalog, library.find_list(catalog, name).id)
    click.echo(f"deleted list {name!r}")


@list_group.command("show")
@click.argument("name", required=False)
@json_option
@db_option
def list_show(catalog: Catalog, name: str | None, as_json: bool) -> None:
    """Show every list, or the papers of the list NAME."""
    from dataclasses import asdict

    from . import library

    lists = [library.find_list(catalog, name)] if name else library.reading_lists(catalog)
    if as_json:
        _emit_json([asdict(lst) for lst in lists])
        return
    for lst in lists:
        click.echo(f"{lst.name}\t{len(lst.paper_ids)} papers")
        papers_ = catalog.papers_by_ids(lst.paper_ids) if name else {}
        for pid in lst.paper_ids if name else []:
            click.echo(f"  {pid}\t{_title(papers_[pid]) if pid in papers_ else '(missing)'}")


@cli.command()
@click.option("--format", "format_", type=click.Choice(export.FORMATS), default="bibtex", show_default=True)
@click.option("--tag", help="Papers with this tag instead of the starred ones.")
@click.option("--list", "list_name", help="Papers of this reading list instead of the starred ones.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of standard output.")
@db_option
def library(catalog: Catalog, format_: str, tag: str | None, list_name: str | None, output: Path | None) -> None:
    """Export the starred papers (or a tag, or a list) as BibTeX, CSL-JSON, CSV, Markdown or JSONL."""
    from . import library as lib

    which: dict[str, Any] = {"starred": True}
    if tag:
        which = {"tag": tag}
    elif list_name:
        which = {"list_id": lib.find_list(catalog, list_name).id}
    if output is None:
        lib.export_selection(catalog, sys.stdout, format_, **which)
        return
    with output.open("w", encoding="utf-8", newline="") as fp:
        n = lib.export_selection(catalog, fp, format_, **which)
    err.print(f"wrote {n} papers to {output}", markup=False)


KEEP_ALIVE_S = 30


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (127.0.0.1: this machine only).")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Catalog file [default: $PAPERATLAS_HOME/catalog.sqlite].")
@click.option("--shared", is_flag=True, help="Let others read; writing needs --token (Bearer, or visit /?token=…).")
@click.option("--token", help="Secret that allows writes in --shared mode (and API writes without CSRF).")
@click.option("--mode", type=click.Choice(["keyword", "hybrid", "semantic"]), default="keyword", show_default=True,
              help="Default search mode of the search page.")
def serve(host: str, port: int, db_path: Path | None, shared: bool, token: str | None, mode: str) -> None:
    """Open the local web UI and JSON API over the catalog."""
    import uvicorn

    from .web import Settings, create_app

    if host not in ("127.0.0.1", "localhost", "::1") and not shared:
        raise click.UsageError(f"--host {host} exposes the catalog to other machines: add --shared (and --token)")
    settings = Settings(host=host, port=port, shared=shared, token=token, search_mode=mode)
    path = db_path or default_path()
    err.print(f"paperatlas: {path} at http://{host}:{port}/" + ("  (shared, read-only without the token)" if shared else ""), markup=False)
    # Keep idle connections 30 s (uvicorn's default is 5): under a burst a client's pooled
    # connection can sit idle past 5 s, and a request sent just as the server closes it fails
    # on the client with a read error (seen once in bench/web_load.py's 200-client run).
    uvicorn.run(create_app(path, settings), host=host, port=port, log_level="warning", server_header=False,
                timeout_keep_alive=KEEP_ALIVE_S)


def main() -> None:
    cli(prog_name="paperatlas")


# Commands that live in their own modules register themselves on `cli` when imported.
from . import cli_merge, cli_search  # noqa: E402,F401  (merges/merge/split; search, related, index)
