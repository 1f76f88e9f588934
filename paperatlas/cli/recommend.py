"""``recommend`` and ``not-interested``: thin adapters over ``paperatlas.recommend``."""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import click
from rich.markup import escape

from ..app import Atlas
from ..errors import InvalidInput
from ..recommend import profile_names, recommend, set_not_interested
from ..recommend.batch import recommend_batch
from ..recommend.profiles import parse_spec
from . import cli, db_option, dumps, emit_json, err, filter_options, json_option, out, take_filters

BATCH_HINT = '{"qid": 1, "positives": [{"file": "nips2017.json", "record_id": "8860"}], "venue": "NeurIPS", "year": 2018}'


def parse_since(text: str | None) -> timedelta | None:
    """``7d``, ``12h``, ``2w`` as a duration."""
    if not text:
        return None
    m = re.fullmatch(r"\s*(\d{1,5})\s*([hdw])\s*", text)
    if not m:
        raise InvalidInput(f"--since {text!r}: give a number and h, d or w", hint="e.g. --since 7d")
    return timedelta(hours=int(m.group(1)) * {"h": 1, "d": 24, "w": 168}[m.group(2)])


def profile_options(fn: Any) -> Any:
    fn = click.option("--list", "list_name", help="Learn from this reading list (e.g. your own papers).")(fn)
    fn = click.option("--tag", help="Learn from the papers with this tag.")(fn)
    return click.option("--starred", is_flag=True, help="Learn from your starred papers.")(fn)


@cli.command("recommend")
@profile_options
@filter_options
@click.option("-k", "--k", "k", type=click.IntRange(1, 1000), default=20, show_default=True, help="How many papers.")
@click.option("--since", help="Only papers added to the catalog within this long (7d, 12h, 2w).")
@click.option("--no-authors", is_flag=True, help="Do not use authors as a signal (content only).")
@click.option("--batch", type=click.Path(dir_okay=False, path_type=Path),
              help="Read profiles from a JSONL file ('-': standard input); one result line each.")
@click.option("--profiles", "list_profiles", is_flag=True, help="List the profiles your library has.")
@json_option
@db_option
def recommend_cmd(atlas: Atlas, starred: bool, tag: str | None, list_name: str | None, k: int, since: str | None,
                  no_authors: bool, batch: Path | None, list_profiles: bool, as_json: bool, **kw: Any) -> None:
    """Papers to read next, learned from a profile (starred, a tag or a list), each with why."""
    if list_profiles:
        rows = profile_names(atlas)
        if as_json:
            emit_json([{"profile": n, "label": label, "papers": c} for n, label, c in rows])
        for n, label, c in [] if as_json else rows:
            click.echo(f"{n}\t{c} papers\t{label}")
        return
    if batch is not None:
        for line in recommend_batch(atlas, _read_batch(batch), k=k, use_authors=not no_authors):
            click.echo(dumps(line, indent=None))
        return
    res = recommend(atlas, parse_spec(starred, tag, list_name), filters=take_filters(kw), k=k, since=parse_since(since),
                    use_authors=not no_authors)
    if as_json:
        emit_json(res.to_dict())
        return
    for note in res.notes:
        err.print(f"note: {note}", markup=False)
    for rank, r in enumerate(res.items, 1):
        p = r.paper
        venue = " ".join(str(x) for x in (p.venue, p.year, p.track) if x)
        out.print(f"{rank:3}. [bold]{escape(p.title or '[untitled]')}[/bold]  [dim]{r.id} · {escape(venue)}[/dim]")
        out.print(f"     [dim]why: {escape(r.why)}[/dim]")
    out.print(f"[dim]{len(res.items)} of {res.candidates} candidates · learned from {escape(res.label)} ·"
              f" {res.took_ms:.0f} ms[/dim]")


def _read_batch(path: Path) -> list[dict[str, Any]]:
    stream: IO[str] = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    lines = []
    with stream:
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                item = {"qid": None, "error": f"{path}, line {n}: not JSON ({exc.msg})"}
            lines.append(item if isinstance(item, dict) else {"qid": None, "error": f"{path}, line {n}: not an object"})
    return lines


@cli.command("not-interested")
@click.argument("paper_ids", nargs=-1, required=True)
@profile_options
@click.option("--undo", is_flag=True, help="Take it back.")
@json_option
@db_option
def not_interested(atlas: Atlas, paper_ids: tuple[str, ...], starred: bool, tag: str | None, list_name: str | None,
                   undo: bool, as_json: bool) -> None:
    """Tell a profile's recommendations you are not interested in these papers (or --undo)."""
    name = parse_spec(starred, tag, list_name)
    changed = [pid for pid in paper_ids if set_not_interested(atlas, name, pid, undo)]
    if as_json:
        emit_json({"profile": name, "undo": undo, "changed": changed})
    else:
        click.echo(f"{name}: {len(changed)} papers {'back in' if undo else 'left out of'} its recommendations")
