"""``map``: the topic map of a venue-year (``services.maps``), as text, JSON or one offline HTML file."""

from __future__ import annotations

from pathlib import Path

import click

from ..app import Atlas
from ..services.maps import MapResult, venue_map
from . import cli, db_option, err, out, progress_bars, say

STAGES = {"layout": "laying out", "placing": "placing the rest", "clusters": "clustering", "labels": "labelling"}


@cli.command("map")
@click.option("--venue", required=True, help="The venue (e.g. ICLR).")
@click.option("--year", type=int, default=None, help="The year [default: every year of the venue].")
@click.option("--json", "as_json", is_flag=True,
              help='Print the map as JSON: {"method", "clusters": [{"id", "label", "size", "parent"}], '
                   '"points": [{"id", "x", "y", "cluster"}]}.')
@click.option("--html", "html_path", type=click.Path(dir_okay=False, writable=True, path_type=Path), default=None,
              help="Also write the map as one self-contained HTML file (works offline).")
@db_option
def map_cmd(atlas: Atlas, venue: str, year: int | None, as_json: bool, html_path: Path | None) -> None:
    """Topic map of a venue's papers: a 2-D layout and two levels of labelled topics (stored; built again
    only when the papers change). Needs `paperatlas index` (the vectors) and the maps extra."""
    with progress_bars("topic map", quiet=as_json) as (update,):
        def progress(stage: str, done: int, total: int) -> None:
            update(done, total)

        result = venue_map(atlas, venue, year, progress)
    if html_path is not None:
        _write_html(atlas, result, html_path, f"{venue} {year if year is not None else ''}".strip())
        err.print(f"wrote {html_path}", markup=False, highlight=False)
    if as_json:
        click.echo(result.map.to_json())
        return
    _print(result)


def _print(result: MapResult) -> None:
    topic_map = result.map
    say(f"{len(topic_map.points)} papers, {len(topic_map.topics())} topics, {len(topic_map.subtopics())} finer topics"
        f" ({'built now' if result.built else 'stored map'}; {topic_map.method.get('layout', {}).get('name', '')}, seed "
        f"{topic_map.method.get('seed')})")
    for note in topic_map.notes:
        say(f"note: {note}")
    for topic in topic_map.topics():
        out.print(f"[bold]{topic.id:>5}[/bold] {topic.size:5d}  ", end="")
        say(topic.label)
        for sub in topic_map.subtopics():
            if sub.parent == topic.id:
                say(f"      {sub.id:>7} {sub.size:5d}  {sub.label}")


def _write_html(atlas: Atlas, result: MapResult, path: Path, title: str) -> None:
    from ..links import paper_links
    from ..maps.html import standalone_html

    data = result.to_dict()
    # the offline file has no paper pages: a click opens the paper's own link (DOI, arXiv, …) if it has one
    full = atlas.store.papers.by_ids(list(data["papers"]), with_sources=False)
    for pid, info in data["papers"].items():
        links = dict(paper_links(full[pid])) if pid in full else {}
        url = links.get("openreview") or links.get("arxiv") or links.get("doi") or next(iter(links.values()), None)
        if url:
            info["url"] = url
    path.write_text(standalone_html(data, f"Topic map: {title}"), encoding="utf-8")
