"""``paperatlas search``, ``related`` and ``index``: thin adapters over ``paperatlas.search``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .catalog import Catalog
from .cli import cli, db_option, dumps, err, json_option, out
from .errors import PaperatlasError
from .search import MODES, Hit, Results, SearchFilters, related, search, search_batch, searcher_for


def search_filter_options(fn: Any) -> Any:
    for name, kind, text in reversed(
        [
            ("venue", str, "Only this venue (e.g. ICLR)."),
            ("year", int, "Only this year."),
            ("year-from", int, "Only from this year on."),
            ("year-to", int, "Only up to this year."),
            ("track", str, "Only this track/decision (e.g. Poster, Oral)."),
            ("session", str, 'Only this session (e.g. "Poster Session 6").'),
            ("author", str, "Only papers by an author matching this name."),
        ]
    ):
        fn = click.option(f"--{name}", type=kind, default=None, help=text)(fn)
    return click.option("--has-code/--no-code", default=None, help="Only papers with (without) a code link.")(fn)


def _filters(kw: dict[str, Any]) -> SearchFilters:
    names = ("venue", "year", "year_from", "year_to", "track", "session", "author", "has_code")
    return SearchFilters(**{n: kw.pop(n) for n in names})


def _hit_json(h: Hit) -> dict[str, Any]:
    p = h.paper
    return {
        "id": h.id, "score": h.score, "title": p.title if p else "", "authors": p.authors if p else [],
        "venue": p.venue if p else None, "year": p.year if p else None, "track": p.track if p else None,
        "snippet": h.snippet, "why": h.why,
        "sources": [{"file": s.file, "record_id": s.record_id} for s in (p.sources if p else [])],
    }


def _print_hits(hits: list[Hit]) -> None:
    for rank, h in enumerate(hits, 1):
        p = h.paper
        if p is None:
            continue
        venue = " ".join(str(x) for x in (p.venue, p.year, p.track) if x)
        out.print(f"{rank:3}. [bold]{escape(p.title or '[untitled]')}[/bold]  [dim]{h.id} · {escape(venue)} · {h.score:.3f}[/dim]")
        if p.authors:
            out.print("     " + escape(", ".join(p.authors[:6]) + (" et al." if len(p.authors) > 6 else "")))
        if h.snippet:
            text = h.snippet.replace("<mark>", "\x00").replace("</mark>", "\x01")
            import html

            text = escape(html.unescape(text)).replace("\x00", "[reverse]").replace("\x01", "[/reverse]")
            out.print("     " + text)
        if h.why:
            out.print("     [dim]matched: " + escape(", ".join(h.why)) + "[/dim]")


@cli.command("search")
@click.argument("query", required=False, default="")
@click.option("--mode", type=click.Choice(MODES), default="hybrid", show_default=True)
@click.option("-k", "--k", "k", type=int, default=10, show_default=True, help="How many results.")
@click.option("--offset", type=int, default=0, help="Skip this many first.")
@click.option("--batch", type=click.Path(dir_okay=False, path_type=Path),
              help='Read queries from a JSONL file of {"qid", "query"} ("-" for standard input).')
@search_filter_options
@json_option
@db_option
def search_cmd(catalog: Catalog, query: str, mode: str, k: int, offset: int, batch: Path | None, as_json: bool, **kw: Any) -> None:
    """Find papers: keyword (BM25), semantic, or hybrid (default) ranking, with filters."""
    filters = _filters(kw)
    if batch is not None:
        _batch(catalog, batch, mode, k, filters)
        return
    if not query.strip() and filters == SearchFilters():
        raise click.UsageError("give a query, filters, or --batch FILE")
    res: Results = search(catalog, query, mode=mode, k=k, offset=offset, filters=filters)
    if as_json:
        click.echo(dumps({
            "query": query, "mode": res.mode, "total": res.total, "took_ms": round(res.took_ms, 2),
            "semantic_coverage": res.semantic_coverage, "notes": res.notes,
            "facets": res.facets, "hits": [_hit_json(h) for h in res.hits],
        }))
        return
    for note in res.notes:
        err.print(f"note: {note}", markup=False)
    _print_hits(res.hits)
    out.print(f"[dim]{len(res.hits)} of {res.total} · {res.mode} · {res.took_ms:.0f} ms[/dim]")


def _batch(catalog: Catalog, path: Path, mode: str, k: int, filters: SearchFilters) -> None:
    lines = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    queries = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PaperatlasError(f"{path}, line {n}: not JSON ({exc.msg})",
                                  hint='each line must be {"qid": ..., "query": "..."}') from None
        if not isinstance(item, dict) or "query" not in item:
            raise PaperatlasError(f"{path}, line {n}: no \"query\" field",
                                  hint='each line must be {"qid": ..., "query": "..."}')
        queries.append(item)
    for line in search_batch(catalog, queries, mode=mode, k=k, filters=filters):
        click.echo(dumps(line, indent=None))


@cli.command("related")
@click.argument("paper_id")
@click.option("-k", "--k", "k", type=int, default=10, show_default=True)
@json_option
@db_option
def related_cmd(catalog: Catalog, paper_id: str, k: int, as_json: bool) -> None:
    """Papers like the given one (its vector's neighbours fused with its title's keyword matches)."""
    hits = related(catalog, paper_id, k=k)
    if as_json:
        click.echo(dumps({"id": paper_id, "related": [_hit_json(h) for h in hits]}))
    else:
        _print_hits(hits)


@cli.command("index")
@click.option("--limit", type=int, default=None, help="Embed at most this many papers now (resume later).")
@click.option("--prune", is_flag=True,
              help="Also delete stored vectors of other models and of papers merged away or deleted,"
                   " then compact the catalog file.")
@json_option
@db_option
def index_cmd(catalog: Catalog, limit: int | None, prune: bool, as_json: bool) -> None:
    """Bring the keyword and semantic indexes up to date (resumable; embeds only what is new)."""
    s = searcher_for(catalog)
    changed = s.sync_keyword()
    vectors = s.vectors()
    if vectors is None:
        raise PaperatlasError(f"semantic index unavailable: {s.semantic_error}")
    columns = (TextColumn("embedding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=as_json or not err.is_terminal) as bar:
        task = bar.add_task("embedding", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        embedded = vectors.sync(catalog, s._embedder, progress=progress, limit=limit)
    coverage = vectors.coverage(catalog)
    pruned = (0, 0)
    if prune:
        pruned = vectors.prune(catalog)
        catalog.compact()
    if as_json:
        click.echo(dumps({"keyword_changed": changed, "embedded": embedded, "semantic_coverage": coverage,
                          "pruned_vectors": pruned[0], "pruned_links": pruned[1]}, indent=None))
    else:
        out.print(f"keyword index: {changed} papers updated; semantic index: {embedded} embedded, "
                  f"covers {coverage:.0%} of papers", markup=False)
        if prune:
            out.print(f"pruned {pruned[0]} unused vectors and {pruned[1]} stale links; catalog file compacted",
                      markup=False)
