"""``programme`` (import, from-listings, show, remove) and ``plan``: thin adapters over
``services.plan``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.markup import escape

from ..app import Atlas
from ..plan import export
from ..plan.core import DEFAULT_CAP
from ..services import plan as service
from . import cli, db_option, emit_json, err, json_option, out, say

venue_option = click.option("--venue", required=True, help="The venue as the catalog names it (e.g. ICLR).")
year_option = click.option("--year", required=True, type=int, help="The year.")


@cli.group()
def programme() -> None:
    """A conference's programme: sessions, times, rooms, boards (for `paperatlas plan`)."""


def _report(res: service.ImportResult, as_json: bool) -> None:
    if as_json:
        emit_json(res.to_dict())
        return
    for warning in res.warnings:
        err.print(f"warning: {warning}", markup=False)
    r = res.report
    say(f"{res.venue} {res.year}: {res.sessions} sessions, {r.entries} papers named, {r.matched} in the catalog")
    if r.paper_events:
        say(f"  {r.paper_events} calendar events were one paper each: gathered into sessions by time and room")
    if r.unmatched:
        say(f"  {r.unmatched} not in the catalog, e.g.: " + "; ".join(r.unmatched_refs[:5]))
    say(f"  your chosen papers in this programme: {res.chosen_scheduled}")
    if res.chosen_lost:
        say(f"  no longer in the programme (still in your library): {', '.join(res.chosen_lost)}")


@programme.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@venue_option
@year_option
@click.option("--format", "fmt", type=click.Choice(service.FORMATS), help="ics, csv or json [default: from the file].")
@click.option("--tz", help="Time zone of times written without one (IANA name, e.g. Africa/Kigali).")
@json_option
@db_option
def programme_import(atlas: Atlas, file: Path, venue: str, year: int, fmt: str | None, tz: str | None, as_json: bool) -> None:
    """Import the organisers' programme (ICS, or CSV/JSON of sessions with times, rooms, boards);
    a re-import replaces the sessions and keeps your chosen papers."""
    _report(service.import_programme(atlas, file, venue, year, fmt, tz), as_json)


@programme.command("from-listings")
@venue_option
@year_option
@json_option
@db_option
def programme_from_listings(atlas: Atlas, venue: str, year: int, as_json: bool) -> None:
    """Build the programme from the session names the venue's listings carry."""
    _report(service.programme_from_listings(atlas, venue, year), as_json)


@programme.command("show")
@venue_option
@year_option
@json_option
@db_option
def programme_show(atlas: Atlas, venue: str, year: int, as_json: bool) -> None:
    """The stored programme's sessions in time order."""
    sessions = service.programme(atlas, venue, year)
    info = atlas.store.programme.info(venue, year)
    if as_json:
        emit_json({"source": info.source if info else None, "imported_at": info.imported_at if info else None,
                   "sessions": [{"key": s.key, "name": s.name, "starts_at": s.starts_at, "ends_at": s.ends_at, "tz": s.tz,
                                 "all_day": s.all_day, "room": s.room, "kind": s.kind,
                                 "papers": [{"ref": e.ref, "id": e.paper_id, "board": e.board} for e in s.entries]}
                                for s in sessions]})
        return
    from ..plan.core import session_order

    for i in session_order(sessions):
        s = sessions[i]
        matched = sum(1 for e in s.entries if e.paper_id)
        out.print(f"[bold]{escape(s.name)}[/bold]  [dim]{escape(export.when_text(s))}"
                  f"{' · ' + escape(s.room) if s.room else ''} · {len(s.entries)} paper(s), {matched} in the catalog[/dim]")


@programme.command("remove")
@venue_option
@year_option
@json_option
@db_option
def programme_remove(atlas: Atlas, venue: str, year: int, as_json: bool) -> None:
    """Forget a venue-year's programme (your library is not touched)."""
    removed = atlas.store.programme.remove(venue, year)
    if as_json:
        emit_json({"venue": venue, "year": year, "removed": removed})
        return
    say("removed" if removed else f"no programme for {venue} {year}")


@cli.command("plan")
@venue_option
@year_option
@click.option("--list", "list_name", help="Your reading list for the conference (its papers come first, with the starred ones).")
@click.option("--profile", help="Recommend from this profile (starred, tag:NAME, list:NAME) [default: the list, else starred].")
@click.option("--cap", type=click.IntRange(0, 100), default=DEFAULT_CAP, show_default=True,
              help="Papers per session at most (your chosen papers always appear; recommendations fill up to this).")
@click.option("--no-recommend", is_flag=True, help="Only your chosen papers.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print Markdown.")
@click.option("--ics", "ics_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the plan as an iCalendar file ('-': standard output).")
@click.option("--ics-per-paper", is_flag=True, help="In the iCalendar file, one event per paper (titled with its board).")
@json_option
@db_option
def plan_cmd(atlas: Atlas, venue: str, year: int, list_name: str | None, profile: str | None, cap: int, no_recommend: bool,
             as_markdown: bool, ics_path: Path | None, ics_per_paper: bool, as_json: bool) -> None:
    """Your plan for a conference: per session in time order, your papers then recommended ones,
    boards in walking order, clashes flagged, what is unscheduled."""
    res = service.make_plan(atlas, venue, year, list_name, profile, cap, recommend=not no_recommend)
    if ics_path is not None:
        data = export.to_ics(res.plan, res.venue, res.year, per_paper=ics_per_paper)
        if str(ics_path) == "-":
            sys.stdout.buffer.write(data)
            return
        ics_path.write_bytes(data)
        err.print(f"wrote {ics_path} ({sum(1 for s in res.plan.sessions if s.session.starts_at)} events)", markup=False)
        if not (as_json or as_markdown):
            return
    if as_json:
        emit_json({**export.to_dict(res.plan, res.venue, res.year, res.titles), "notes": res.notes,
                   "took_ms": round(res.took_ms, 1)})
        return
    if as_markdown:
        click.echo(export.to_markdown(res.plan, res.venue, res.year, res.label, res.titles), nl=False)
        return
    for note in res.notes:
        err.print(f"note: {note}", markup=False)
    for ps in res.plan.sessions:
        s = ps.session
        clash = "  [red]clash[/red]" if ps.clashes else ""
        room = " · " + escape(s.room) if s.room else ""
        out.print(f"\n[bold]{escape(s.name)}[/bold]  [dim]{escape(export.when_text(s))}{room}[/dim]{clash}")
        for it in ps.items:
            board = f"{it.board:>6} " if it.board else "       "
            mark = {"list": "★", "starred": "★", "recommended": "·"}.get(it.reason, " ")
            why = export.REASONS.get(it.reason, it.reason)
            out.print(f"  {escape(board)}{mark} {escape(it.title)}  [dim]{it.paper_id} · {escape(why)}[/dim]")
    if res.plan.unscheduled:
        out.print("\n[bold]Not in the programme[/bold]")
        for p in res.plan.unscheduled:
            out.print(f"  {escape(res.titles.get(p.paper_id, p.paper_id))}  [dim]{p.paper_id}[/dim]")
    out.print(f"\n[dim]{len(res.plan.sessions)} of {res.plan.programme_sessions} sessions · {res.plan.chosen} chosen ·"
              f" {len(res.plan.clashes)} clashes · {res.took_ms:.0f} ms[/dim]")
