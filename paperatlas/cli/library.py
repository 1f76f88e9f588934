"""``star``, ``tag``, ``note``, ``list …`` and ``library …``: thin adapters over
``services.library`` and ``services.transfer``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .. import export
from ..app import Atlas
from ..errors import InvalidInput
from ..models import paper_to_dict
from ..render import report_line
from ..search.types import label
from ..services import library as lib
from ..services.transfer import export_library, import_library
from . import cli, db_option, db_path_option, emit_json, err, json_option, open_atlas, say


def _state_line(state: lib.PaperState) -> str:
    parts = ["starred" if state.starred else "not starred"]
    if state.tags:
        parts.append("tags: " + ", ".join(state.tags))
    if state.note:
        parts.append("note: " + state.note.splitlines()[0][:60])
    return f"{state.paper_id}  " + "; ".join(parts)


def _list_line(lst: lib.ReadingList) -> str:
    return f"list {lst.name!r} ({len(lst.paper_ids)} papers)"


@cli.command()
@click.argument("paper_ids", nargs=-1)
@click.option("--remove", is_flag=True, help="Unstar instead.")
@json_option
@db_option
def star(atlas: Atlas, paper_ids: tuple[str, ...], remove: bool, as_json: bool) -> None:
    """Star papers (or --remove the star); with no ids, list the starred papers."""
    if not paper_ids:
        papers = lib.selection(atlas, starred=True)
        if as_json:
            emit_json([paper_to_dict(p) for p in papers])
        for p in [] if as_json else papers:
            click.echo(f"{p.id}\t{label(p)}")
        return
    states = lib.set_stars(atlas, list(paper_ids), starred=not remove)
    if as_json:
        emit_json([s.to_dict() for s in states])
    for s in [] if as_json else states:
        click.echo(_state_line(s))


@cli.command()
@click.argument("paper_id")
@click.argument("tags", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove these tags instead.")
@json_option
@db_option
def tag(atlas: Atlas, paper_id: str, tags: tuple[str, ...], remove: bool, as_json: bool) -> None:
    """Add tags to a paper (or --remove them)."""
    state = lib.set_tags(atlas, paper_id, list(tags), present=not remove)
    if as_json:
        emit_json(state.to_dict())
    else:
        click.echo(_state_line(state))


@cli.command()
@click.argument("paper_id")
@click.argument("text", required=False)
@click.option("--delete", is_flag=True, help="Delete the note.")
@json_option
@db_option
def note(atlas: Atlas, paper_id: str, text: str | None, delete: bool, as_json: bool) -> None:
    """Write a paper's note (TEXT, or '-' to read standard input); with no TEXT, print it."""
    if delete or text is not None:
        body = "" if delete else (sys.stdin.read() if text == "-" else text or "")
        state = lib.set_note(atlas, paper_id, body)
    else:
        state = lib.state(atlas, paper_id, check=True)
    if as_json:
        emit_json(state.to_dict())
    else:
        click.echo(state.note or "(no note)")


@cli.group("list")
def list_group() -> None:
    """Reading lists: create, add, remove, rename, delete, show."""


@list_group.command("create")
@click.argument("name")
@click.argument("paper_ids", nargs=-1)
@json_option
@db_option
def list_create(atlas: Atlas, name: str, paper_ids: tuple[str, ...], as_json: bool) -> None:
    """Create a list NAME, optionally with papers."""
    lst = lib.create_list(atlas, name, list(paper_ids))
    emit_json(lib.list_dict(lst)) if as_json else say(_list_line(lst))


@list_group.command("add")
@click.argument("name")
@click.argument("paper_ids", nargs=-1, required=True)
@click.option("--remove", is_flag=True, help="Remove these papers from the list instead.")
@json_option
@db_option
def list_add(atlas: Atlas, name: str, paper_ids: tuple[str, ...], remove: bool, as_json: bool) -> None:
    """Add papers to the list NAME (or --remove them)."""
    lst = lib.change_list(atlas, name, list(paper_ids), present=not remove)
    emit_json(lib.list_dict(lst)) if as_json else say(_list_line(lst))


@list_group.command("rename")
@click.argument("name")
@click.argument("new_name")
@json_option
@db_option
def list_rename(atlas: Atlas, name: str, new_name: str, as_json: bool) -> None:
    """Rename the list NAME to NEW_NAME."""
    lst = lib.rename_list(atlas, lib.find_list(atlas, name).id, new_name)
    emit_json(lib.list_dict(lst)) if as_json else say(_list_line(lst))


@list_group.command("delete")
@click.argument("name")
@json_option
@db_option
def list_delete(atlas: Atlas, name: str, as_json: bool) -> None:
    """Delete the list NAME (its papers stay in the catalog)."""
    lst = lib.find_list(atlas, name)
    lib.delete_list(atlas, lst.id)
    emit_json({"deleted": lst.name, "id": lst.id}) if as_json else say(f"deleted list {lst.name!r}")


@list_group.command("show")
@click.argument("name", required=False)
@json_option
@db_option
def list_show(atlas: Atlas, name: str | None, as_json: bool) -> None:
    """Show every list, or the papers of the list NAME."""
    lists = [lib.find_list(atlas, name)] if name else lib.reading_lists(atlas)
    if as_json:
        emit_json([lib.list_dict(lst) for lst in lists])
        return
    papers = lib.papers_of(atlas, lists[0]) if name else {}
    for lst in lists:
        say(f"{lst.name}\t{len(lst.paper_ids)} papers")
        for pid in lst.paper_ids if name else []:
            say(f"  {pid}\t{label(papers[pid]) if pid in papers else '(missing)'}")


SELECTION_FORMATS = export.FORMATS


@cli.group("library", invoke_without_command=True)
@click.option("--starred", "which", flag_value="starred", default=True, help="The starred papers [default].")
@click.option("--tag", help="The papers with this tag instead.")
@click.option("--list", "list_name", help="The papers of this reading list instead.")
@click.option("--format", "format_", type=click.Choice(SELECTION_FORMATS), default="bibtex", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here instead of standard output.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format jsonl.")
@db_path_option
@click.pass_context
def library(ctx: click.Context, which: str, tag: str | None, list_name: str | None, format_: str,
            output: Path | None, as_json: bool, db_path: Path | None) -> None:
    """Write part of the library (starred papers, a tag or a list) as BibTeX, CSL-JSON (Zotero),
    CSV, Markdown or JSONL; or move the whole library: `library export FILE`, `library import FILE`."""
    if ctx.invoked_subcommand is not None:
        return
    with open_atlas(db_path) as atlas:
        _write_selection(atlas, tag, list_name, "jsonl" if as_json else format_, output)


def _write_selection(atlas: Atlas, tag: str | None, list_name: str | None, format_: str, output: Path | None) -> None:
    which: dict[str, Any] = {"starred": True}
    if tag:
        which = {"tag": tag}
    elif list_name:
        which = {"list_id": lib.find_list(atlas, list_name).id}
    if output is None:
        lib.export_selection(atlas, sys.stdout, format_, **which)
        return
    with output.open("w", encoding="utf-8", newline="") as fp:
        n = lib.export_selection(atlas, fp, format_, **which)
    err.print(f"wrote {n} papers to {output}", markup=False)


@library.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@json_option
@db_option
def library_export(atlas: Atlas, file: Path, as_json: bool) -> None:
    """Write the whole library (stars, tags, notes, lists, merge decisions) to FILE ('-': standard
    output), to import into another catalog."""
    if str(file) == "-":
        export_library(atlas, sys.stdout)
        return
    with file.open("w", encoding="utf-8") as fp:
        counts = export_library(atlas, fp)
    if as_json:
        emit_json({"file": str(file), **counts})
    else:
        say(f"wrote {file}: " + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in counts.items()))


@library.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--list", "list_name", help="Put the papers of these files in this reading list (created if missing).")
@click.option("--tag", help="Tag the papers of these files.")
@click.option("--star", "star_them", is_flag=True, help="Star the papers of these files.")
@json_option
@db_option
def library_import(atlas: Atlas, files: tuple[Path, ...], list_name: str | None, tag: str | None, star_them: bool,
                   as_json: bool) -> None:
    """Read a library written by `library export` into this catalog (one transaction; papers are
    found by their sources, ids and titles, and those not here are reported); or ingest files of
    papers (your own bibliography, say) and put them in a list, a tag or the stars."""
    if list_name or tag or star_them:
        _import_papers(atlas, list(files), list_name, tag, star_them, as_json)
        return
    if len(files) > 1:
        raise InvalidInput("a library export is one file", hint="to add papers of listings to your library: --list NAME")
    file = files[0]
    with file.open(encoding="utf-8") as fp:
        report = import_library(atlas, fp, str(file))
    if as_json:
        emit_json(report.to_dict())
        return
    for kind in report.added:
        say(f"{kind.replace('_', ' '):11} {report.added[kind]} added, {report.present[kind]} already here,"
            f" {report.missing[kind]} name papers not in this catalog")
    if report.lists_created or report.notes_appended or report.merges_applied or report.separations_applied:
        say(f"{report.lists_created} lists created, {report.notes_appended} notes appended to this catalog's own,"
            f" {report.merges_applied} merges and {report.separations_applied} separations applied")
    for missing in report.missing_papers[:20]:
        say(f"  not in this catalog: {missing['id']}  {missing['title']}")
    if len(report.missing_papers) > 20:
        say(f"  … and {len(report.missing_papers) - 20} more (--json lists all)")


def _import_papers(atlas: Atlas, files: list[Path], list_name: str | None, tag: str | None, star_them: bool,
                   as_json: bool) -> None:
    done = lib.import_papers(atlas, files, list_name=list_name, tag=tag, star_them=star_them)
    if as_json:
        emit_json({"files": [r.to_dict() for r in done.reports], "papers": done.papers, "list": done.list_name,
                   "tag": done.tag, "starred": done.starred})
    else:
        for r in done.reports:
            say(report_line(r))
        where = [w for w, on in ((f"the list {done.list_name!r}", done.list_name), (f"the tag {done.tag!r}", done.tag),
                                 ("your stars", done.starred)) if on]
        say(f"{len(done.papers)} papers in " + " and ".join(where))
    if any(not r.ok for r in done.reports):
        sys.exit(1)
