"""``merges``, ``merge`` and ``split``: thin adapters over ``services.review``."""

from __future__ import annotations

from dataclasses import asdict

import click

from ..app import Atlas
from ..models import Paper
from ..search.types import label
from ..services import review
from . import cli, db_option, emit_json, json_option, say


def _line(p: Paper) -> str:
    files = ", ".join(sorted({s.file for s in p.sources}))
    return f"{p.id}  {label(p)}\n    {len(p.sources)} source(s): {files}"


@cli.command()
@click.option("--pending", "show", flag_value="pending", default=True, help="Pairs waiting for review [default].")
@click.option("--decisions", "show", flag_value="decisions", help="Merges, splits and keep-apart decisions made by hand.")
@click.option("--limit", type=click.IntRange(0), default=50, show_default=True, help="How many pairs to list (0: all).")
@json_option
@db_option
def merges(atlas: Atlas, show: str, limit: int, as_json: bool) -> None:
    """Uncertain pairs that may be one paper, or the decisions made about merging."""
    if show == "decisions":
        actions = review.decisions(atlas)
        if as_json:
            emit_json([asdict(a) for a in actions])
            return
        for a in actions:
            undone = f"  (undone {a.undone_at})" if a.undone_at else ""
            papers = " + ".join(str(a.detail.get(k)) for k in ("a_paper", "b_paper", "paper") if a.detail.get(k))
            say(f"#{a.id} {a.decided_at} {a.kind:8} {papers}{undone}")
        say(f"{len(actions)} decisions")
        return
    pairs = review.pending(atlas, limit or None)
    if as_json:
        emit_json([asdict(p) for p in pairs])
        return
    for p in pairs:
        say(f"{p.score:.2f}  {p.reason}")
        say(f"    {p.paper_a}  {p.title_a or '[untitled]'}\n    {p.paper_b}  {p.title_b or '[untitled]'}")
    say(f"{len(pairs)} pairs waiting; decide with `paperatlas merge A B` or `paperatlas merge --distinct A B`")


@cli.command()
@click.argument("paper_a")
@click.argument("paper_b")
@click.option("--distinct", is_flag=True, help="Record that they are different papers instead; nothing moves.")
@json_option
@db_option
def merge(atlas: Atlas, paper_a: str, paper_b: str, distinct: bool, as_json: bool) -> None:
    """Merge paper B into paper A (sources, stars, tags, notes, lists follow), and remember it."""
    done = review.keep_apart(atlas, paper_a, paper_b) if distinct else review.merge(atlas, paper_a, paper_b)
    if as_json:
        emit_json({"action": done.action, "kind": done.kind, "papers": [p.id for p in done.papers]})
        return
    say("kept apart:" if distinct else "merged:")
    for p in done.papers:
        say(_line(p))


@cli.command()
@click.argument("paper_id")
@json_option
@db_option
def split(atlas: Atlas, paper_id: str, as_json: bool) -> None:
    """Undo the last merge into a paper (or give each source its own paper), and remember it."""
    done = review.split(atlas, paper_id)
    if as_json:
        emit_json({"papers": [p.id for p in done.papers]})
        return
    say(f"split into {len(done.papers)} papers:")
    for p in done.papers:
        say(_line(p))
