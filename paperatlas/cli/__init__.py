"""The ``paperatlas`` command: thin adapters that parse options, call one core function, render.

Settings are resolved here, once (flag > ``PAPERATLAS_*`` environment > settings file >
default), and the ``Atlas`` is opened here and passed to the command. Core errors become a
message with a hint and exit code 1 (2 for bad input), never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from .. import __version__
from ..app import Atlas
from ..errors import InvalidInput, PaperatlasError
from ..filters import Filters
from ..settings import Settings, resolve

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def settings_from(flags: dict[str, Any] | None = None) -> Settings:
    """Resolved settings for this run: the environment is read here, at the edge, and only here."""
    return resolve(flags or {}, os.environ)


def open_atlas(db_path: Path | None) -> Atlas:
    return Atlas.open(settings=settings_from({"db": str(db_path) if db_path else None}))


db_path_option = click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                              help="Catalog file [default: $PAPERATLAS_HOME/catalog.sqlite, home ~/.paperatlas].")


def db_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--db PATH`` on every command; the Atlas is opened here and closed after."""

    @db_path_option
    @functools.wraps(fn)
    def wrapper(db_path: Path | None, **kwargs: Any) -> Any:
        with open_atlas(db_path) as atlas:
            return fn(atlas=atlas, **kwargs)

    return wrapper


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")

FILTERS = (
    ("venue", str, "Only this venue (e.g. ICLR)."),
    ("year", int, "Only this year."),
    ("year-from", int, "Only from this year on."),
    ("year-to", int, "Only up to this year."),
    ("track", str, "Only this track/decision (e.g. Poster, Oral)."),
    ("session", str, 'Only this session (e.g. "Poster Session 6").'),
    ("author", str, "Only papers by an author with these name words (any order)."),
    ("topic", str, 'Only papers of this topic of the stored topic maps: a label ("policy, reinforcement, rl"), one'
                   " phrase of it, or #ID with one venue and year (build a map with `paperatlas map`)."),
)


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The ``Filters`` as options (the same on every command that narrows)."""
    for name, kind, text in reversed(FILTERS):
        fn = click.option(f"--{name}", type=kind, default=None, help=text)(fn)
    return click.option("--has-code/--no-code", default=None, help="Only papers with (without) a code link.")(fn)


def take_filters(kwargs: dict[str, Any]) -> Filters:
    names = ("venue", "year", "year_from", "year_to", "track", "session", "author", "topic", "has_code")
    values = {n: kwargs.pop(n) for n in names}
    values["topic"] = (values["topic"] or "").strip() or None
    return Filters(**values)


def dumps(data: Any, indent: int | None = 2) -> str:
    """JSON for the terminal: UTF-8 as is; text holding lone surrogates (which UTF-8 cannot
    carry, but a JSON input can) as \\u escapes instead of failing to print."""
    text = json.dumps(data, ensure_ascii=False, indent=indent, default=str)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return json.dumps(data, ensure_ascii=True, indent=indent, default=str)


def emit_json(data: Any, indent: int | None = 2) -> None:
    click.echo(dumps(data, indent))


def say(text: str) -> None:
    out.print(text, markup=False)


Update = Callable[[int, int], None]


@contextmanager
def progress_bars(*labels: str, quiet: bool) -> Iterator[list[Update]]:
    """Progress bars with an ETA on standard error (when it is a terminal), one per label:
    ``update(done, total)`` each."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True, disable=quiet or not err.is_terminal) as bar:
        def updater(task: TaskID) -> Update:
            return lambda done, total: bar.update(task, completed=done, total=total)

        yield [updater(bar.add_task(label, total=None)) for label in labels]


@contextmanager
def progress_bar(label: str, quiet: bool) -> Iterator[Update]:
    with progress_bars(label, quiet=quiet) as (update,):
        yield update


class Group(click.Group):
    """Turns paperatlas errors into a message with a hint and exit code 1 (2 for bad input)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PaperatlasError as exc:
            err.print(f"[red]error:[/red] {exc.message}", markup=True, highlight=False)
            if exc.hint:
                err.print(f"  hint: {exc.hint}", markup=False)
            sys.exit(2 if isinstance(exc, InvalidInput) else 1)
        except OSError as exc:
            err.print(f"[red]error:[/red] {exc}", markup=True, highlight=False)
            sys.exit(1)


@click.group(cls=Group)
@click.version_option(__version__)
def cli() -> None:
    """paperatlas: ingest any paper listing into one clean local catalog, then find and triage."""


def main() -> None:
    cli(prog_name="paperatlas")


# The commands live in their own modules and register themselves on ``cli`` when imported.
from . import catalog, digest, library, map, merge, plan, recommend, search, serve, sources, users, watch  # noqa: E402,F401
