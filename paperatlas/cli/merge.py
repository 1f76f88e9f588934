"""``paperatlas merges``, ``merge`` and ``split``: thin adapters over ``catalog.review``."""

from __future__ import annotations

from dataclasses import asdict

import click

from .catalog import Catalog
from .catalog import review
from .cli import cli, db_option, dumps, json_option, out
from .models import Paper


def _emit(data: object) -> None:
    click.echo(dumps(data))


def _line(p: Paper) -> str:
    title = p.title or "[untitled] " + " ".join(p.abstract.split()[:10]) + "…"
    files = ", ".join(sorted({s.file for s in p.sources}))
    return f"{p.id}  {title}\n    {len(p.sources)} source(s): {files}"


@cli.command()
@click.option("--pending", "show", flag_value="pending", default=True, help="Pairs waiting for review [default].")
@click.option("--decisions", "show", flag_value="decisions", help="Merges, splits and keep-apart decisions made by hand.")
@click.option("--limit", type=int, default=50, show_default=True, help="How many pairs to list (0: all).")
@json_option
@db_option
def merges(catalog: Catalog, show: str, limit: int, as_json: bool) -> None:
    """Uncertain pairs that may be one paper, or the decisions made about merging."""
    if show == "decisions":
        actions = review.actions(catalog.db)
        if as_json:
            _emit([asdict(a) for a in actions])
            return
        for a in actions:
            undone = f"  (undone {a.undone_at})" if a.undone_at else ""
            papers = " + ".join(str(a.detail.get(k)) for k in ("a_paper", "b_paper", "paper") if a.detail.get(k))
            out.print(f"#{a.id} {a.decided_at} {a.kind:8} {papers}{undone}", markup=False)
        out.print(f"{len(actions)} decisions", markup=False)
        return
    pairs = review.pending(catalog.db, limit or None)
    if as_json:
        _emit([asdict(p) for p in pairs])
        return
    for p in pairs:
        out.print(f"{p.score:.2f}  {p.reason}\n    {p.paper_a}  {p.title_a or '[untitled]'}\n"
                  f"    {p.paper_b}  {p.title_b or '[untitled]'}", markup=False)
    out.print(f"{len(pairs)} pairs waiting; decide with `paperatlas merge A B` or"
              " `paperatlas merge --distinct A B`", markup=False)


@cli.command()
@click.argument("paper_a")
@click.argument("paper_b")
@click.option("--distinct", is_flag=True, help="Record that they are different papers instead; nothing moves.")
@json_option
@db_option
def merge(catalog: Catalog, paper_a: str, paper_b: str, distinct: bool, as_json: bool) -> None:
    """Merge paper B into paper A (sources, stars, tags, notes, lists follow), and remember it."""
    if distinct:
        action = review.keep_apart(catalog.db, paper_a, paper_b)
        papers = [catalog.get(paper_a), catalog.get(paper_b)]
    else:
        action = review.merge_papers(catalog.db, paper_a, paper_b)
        papers = [catalog.get(paper_a)]
    if as_json:
        _emit({"action": action, "papers": [p.id for p in papers]})
        return
    out.print("kept apart:" if distinct else "merged:", markup=False)
    for p in papers:
        out.print(_line(p), markup=False)


@cli.command()
@click.argument("paper_id")
@json_option
@db_option
def split(catalog: Catalog, paper_id: str, as_json: bool) -> None:
    """Undo the last merge into a paper (or give each source its own paper), and remember it."""
    ids = review.split_paper(catalog.db, paper_id)
    if as_json:
        _emit({"papers": ids})
        return
    out.print(f"split into {len(ids)} papers:", markup=False)
    for pid in ids:
        out.print(_line(catalog.get(pid)), markup=False)
