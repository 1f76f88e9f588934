"""``search``, ``related`` and ``index``: thin adapters over ``paperatlas.search`` and
``services.indexing``."""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import IO, Any

import click
from rich.markup import escape

from ..app import Atlas
from ..errors import InvalidInput
from ..search import REQUEST_MODES, Hit, SearchResults, related, search, search_batch
from ..search.types import hit_to_dict
from ..services.indexing import build_indexes
from . import cli, db_option, dumps, emit_json, err, filter_options, json_option, out, progress_bars, say, take_filters

BATCH_HINT = 'each line must be {"qid": ..., "query": "..."}'


def _print_hits(hits: list[Hit], start: int = 1) -> None:
    for rank, h in enumerate(hits, start):
        p = h.paper
        if p is None:
            continue
        venue = " ".join(str(x) for x in (p.venue, p.year, p.track) if x)
        title = escape(p.title or "[untitled]")
        out.print(f"{rank:3}. [bold]{title}[/bold]  [dim]{h.id} · {escape(venue)} · {h.score:.3f}[/dim]")
        if p.authors:
            out.print("     " + escape(", ".join(p.authors[:6]) + (" et al." if len(p.authors) > 6 else "")))
        if h.snippet:
            text = h.snippet.replace("<mark>", "\x00").replace("</mark>", "\x01")
            text = escape(html.unescape(text)).replace("\x00", "[reverse]").replace("\x01", "[/reverse]")
            out.print("     " + text)
        if h.why:
            out.print("     [dim]matched: " + escape(", ".join(h.why)) + "[/dim]")


def summary(res: SearchResults) -> str:
    """"10 of 505 · 40 match every word · keyword · 3 ms" """
    parts = [f"{len(res.hits)} of {res.total}"]
    if res.all_words is not None:
        parts.append(f"{res.all_words} match every word, {max(res.total - res.all_words, 0)} only some"
                     if res.mode == "keyword" else f"{res.all_words} match every word")
    parts += [res.mode, f"{res.took_ms:.0f} ms"]
    if res.pages > 1:
        parts.append(f"page {res.page} of {res.pages} (--offset {res.offset + res.k} for more)")
    return " · ".join(parts)


@cli.command("search")
@click.argument("query", required=False, default="")
@click.option("--mode", type=click.Choice(REQUEST_MODES), default=None,
              help="keyword, semantic, hybrid, or auto: hybrid once `paperatlas index` has embedded the catalog"
                   " [default: the search_mode setting, auto].")
@click.option("-k", "--k", "k", type=click.IntRange(1, 10_000), default=10, show_default=True, help="How many results.")
@click.option("--offset", type=click.IntRange(0, 100_000), default=0, help="Skip this many first.")
@click.option("--batch", type=click.Path(dir_okay=False, path_type=Path),
              help='Read queries from a JSONL file of {"qid", "query"} ("-" for standard input); one result line each.')
@filter_options
@json_option
@db_option
def search_cmd(atlas: Atlas, query: str, mode: str | None, k: int, offset: int, batch: Path | None, as_json: bool,
               **kw: Any) -> None:
    """Find papers: keyword (BM25), semantic, or hybrid ranking, with filters."""
    filters = take_filters(kw)
    mode = mode or atlas.settings.search_mode
    if batch is not None:
        for line in search_batch(atlas, _read_batch(batch), mode=mode, k=k, filters=filters):
            click.echo(dumps(line, indent=None))
        return
    if not query.strip() and filters.empty:
        raise click.UsageError("give a query, filters, or --batch FILE")
    res = search(atlas, query, mode=mode, k=k, offset=offset, filters=filters)
    if as_json:
        emit_json(res.to_dict())
        return
    for note in res.notes:
        err.print(f"note: {note}", markup=False)
    _print_hits(res.hits, offset + 1)
    out.print(f"[dim]{escape(summary(res))}[/dim]")


def _read_batch(path: Path) -> list[dict[str, Any]]:
    stream: IO[str] = sys.stdin if str(path) == "-" else path.open(encoding="utf-8")
    queries = []
    with stream:
        for n, line in enumerate(stream, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InvalidInput(f"{path}, line {n}: not JSON ({exc.msg})", hint=BATCH_HINT) from None
            if not isinstance(item, dict) or "query" not in item:
                raise InvalidInput(f"{path}, line {n}: no \"query\" field", hint=BATCH_HINT)
            queries.append(item)
    return queries


@cli.command("related")
@click.argument("paper_id")
@click.option("-k", "--k", "k", type=click.IntRange(1, 1000), default=10, show_default=True)
@json_option
@db_option
def related_cmd(atlas: Atlas, paper_id: str, k: int, as_json: bool) -> None:
    """Papers like the given one (its vector's neighbours fused with its title's keyword matches)."""
    hits = related(atlas, paper_id, k=k)
    if as_json:
        emit_json({"id": paper_id, "related": [hit_to_dict(h) for h in hits if h.paper is not None]})
    else:
        _print_hits(hits)


@cli.command("index")
@click.option("--limit", type=click.IntRange(1), default=None, help="Embed at most this many papers now (resume later).")
@click.option("--prune", is_flag=True,
              help="Also delete stored vectors of other models and of papers merged away or deleted,"
                   " then compact the catalog file.")
@json_option
@db_option
def index_cmd(atlas: Atlas, limit: int | None, prune: bool, as_json: bool) -> None:
    """Bring the keyword and semantic indexes up to date (resumable; embeds only what is new)."""
    with progress_bars("keyword index", "embedding", quiet=as_json) as (keyword, vectors):
        report = build_indexes(atlas, limit=limit, prune=prune, keyword_progress=keyword, vector_progress=vectors)
    if as_json:
        emit_json(report.to_dict(), indent=None)
        return
    say(f"keyword index: {report.keyword_changed} papers updated; semantic index: {report.embedded} embedded, "
        f"covers {report.semantic_coverage:.0%} of papers")
    if prune:
        say(f"pruned {report.pruned_vectors} unused vectors and {report.pruned_links} stale links; catalog file compacted")
