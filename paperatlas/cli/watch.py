"""``watch add|list|remove|seen|check``, ``follow``, ``unfollow``, ``follows`` and ``trending``:
thin adapters over ``services.watches``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import click
from rich.table import Table

from ..app import Atlas
from ..search.types import REQUEST_MODES
from ..services import watches as svc
from ..store.protocol import WatchInfo
from . import cli, db_option, emit_json, filter_options, json_option, out, say, take_filters


def _info(w: WatchInfo) -> dict[str, Any]:
    return {**asdict(w), "what": svc.describe(w)}


@cli.group()
def watch() -> None:
    """Saved searches and profiles that report what changed after each sync (`paperatlas digest` shows them)."""


@watch.command("add")
@click.argument("name")
@click.argument("query", required=False, default="")
@filter_options
@click.option("--mode", type=click.Choice(REQUEST_MODES), default="keyword", show_default=True,
              help="How the query matches: keyword (every match) or semantic/hybrid (the best 200).")
@click.option("--profile", help="Watch recommendations instead: starred, tag:NAME or list:NAME.")
@json_option
@db_option
def add(atlas: Atlas, name: str, query: str, mode: str, profile: str | None, as_json: bool, **kwargs: Any) -> None:
    """Save a watch NAME: a QUERY with filters, or --profile. It reports changes from now on."""
    info = svc.add_watch(atlas, name, query, filters=take_filters(kwargs), mode=mode, profile=profile)
    if as_json:
        emit_json(_info(info))
    else:
        say(f"watching {info.name}: {svc.describe(info)} — reported after each `paperatlas sync` (or `watch check`)")


@watch.command("list")
@json_option
@db_option
def list_(atlas: Atlas, as_json: bool) -> None:
    """The watches, what they watch and how many items are unseen."""
    found = svc.list_watches(atlas)
    if as_json:
        emit_json([_info(w) for w in found])
        return
    if not found:
        say('no watches yet: paperatlas watch add rl "reinforcement learning" --venue ICLR')
        return
    table = Table("name", "what", "unseen", "last check", box=None, show_edge=False)
    for w in found:
        table.add_row(w.name, svc.describe(w), str(w.unseen), (w.checked_at or "never") + (f" ({w.error})" if w.error else ""))
    out.print(table)


@watch.command("remove")
@click.argument("name")
@json_option
@db_option
def remove(atlas: Atlas, name: str, as_json: bool) -> None:
    """Forget a watch and what it reported."""
    info = svc.remove_watch(atlas, name)
    emit_json({"removed": info.name}) if as_json else say(f"removed watch {info.name}")


@watch.command("seen")
@click.argument("name")
@json_option
@db_option
def seen(atlas: Atlas, name: str, as_json: bool) -> None:
    """Mark every item of the watch seen."""
    n = svc.mark_seen(atlas, name)
    emit_json({"watch": name, "marked": n}) if as_json else say(f"{name}: {n} item{'s' * (n != 1)} marked seen")


@watch.command("check")
@json_option
@db_option
def check(atlas: Atlas, as_json: bool) -> None:
    """Report what changed since the last check (each sync does this by itself)."""
    report = svc.check(atlas)
    if as_json:
        emit_json(report.to_dict())
        return
    say(report.summary())
    for name, why in report.errors.items():
        say(f"  {name}: not checked: {why}")


@cli.command()
@click.argument("name")
@json_option
@db_option
def follow(atlas: Atlas, name: str, as_json: bool) -> None:
    """Follow an author: their new papers are reported in the 'following' watch."""
    added = svc.follow(atlas, name)
    emit_json({"name": name, "added": added}) if as_json else say(
        f"following {name}" if added else f"already following {name}")


@cli.command()
@click.argument("name")
@json_option
@db_option
def unfollow(atlas: Atlas, name: str, as_json: bool) -> None:
    """Stop following an author."""
    removed = svc.unfollow(atlas, name)
    emit_json({"name": name, "removed": removed}) if as_json else say(
        f"no longer following {name}" if removed else f"{name} was not followed")


@cli.command()
@json_option
@db_option
def follows(atlas: Atlas, as_json: bool) -> None:
    """The authors you follow."""
    found = svc.follows(atlas)
    if as_json:
        emit_json([{"name": n, "since": c} for n, c in found])
        return
    for n, c in found:
        say(f"{n}  (since {c[:10]})")
    if not found:
        say('no one yet: paperatlas follow "Yoshua Bengio"')


@cli.command()
@click.option("--days", type=int, default=svc.TREND_DAYS, show_default=True, help="The window of the rise.")
@click.option("--venue", help="Only this venue's papers.")
@click.option("-k", "k", type=int, default=20, show_default=True, help="How many.")
@json_option
@db_option
def trending(atlas: Atlas, days: int, venue: str | None, k: int, as_json: bool) -> None:
    """Papers whose counters (upvotes, PDF opens) rose the most unusually over the last days."""
    found = svc.trending_papers(atlas, days, venue, k)
    if as_json:
        emit_json([{"id": p.id, "title": p.title, "counter": r.counter, "value": r.value, "rise": r.rise,
                    "score": round(r.score, 3)} for r, p in found])
        return
    for r, p in found:
        say(f"{p.id}\t+{r.rise} {r.counter} (now {r.value}, z {r.score:.1f})\t{p.title}")
    if not found:
        say(f"nothing rose in the last {days} days (counters are recorded at each sync)")
