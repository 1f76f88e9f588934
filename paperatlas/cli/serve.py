"""``serve``: the web UI and JSON API over the catalog."""

from __future__ import annotations

import errno
import json
import signal
import socket
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from ..errors import InvalidInput
from ..search.types import REQUEST_MODES
from ..store import POSTGRES_SCHEMES
from . import cli, err, settings_from

if TYPE_CHECKING:
    from ..settings import Settings
    from ..web import ServerOptions

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_port(host: str, port: int) -> None:
    """A clear error, naming --port, when the address is taken (before uvicorn tries)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InvalidInput(f"port {port} on {host} is in use (another paperatlas, or another server)",
                                   hint=f"pass another port: paperatlas serve --port {port + 1}"
                                        f" (scripts/main.sh --port {port + 1} passes it on)") from None
            raise InvalidInput(f"cannot listen on {host}:{port}: {exc.strerror}", hint="check --host and --port") from None


@cli.command()
@click.option("--host", default=None, help="Interface to listen on [default: 127.0.0.1, this machine only].")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port [default: 8000].")
@click.option("--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Catalog file [default: $PAPERATLAS_HOME/catalog.sqlite].")
@click.option("--shared", is_flag=True, help="Let others read; writing needs --token (Bearer, or visit /?token=…).")
@click.option("--token", help="Secret that allows writes in --shared mode (and API writes without CSRF).")
@click.option("--mode", type=click.Choice(REQUEST_MODES), default=None,
              help="Default mode of the search page [default: auto: hybrid once the catalog is embedded].")
@click.option("--workers", "processes", type=click.IntRange(1, 64), default=None,
              help="Worker processes (setting serve_processes) [default: 1]; more than 1 needs a PostgreSQL catalog.")
@click.option("--json", "as_json", is_flag=True, help="Print where it serves as one JSON line, then serve.")
def serve(host: str | None, port: int | None, db_path: Path | None, shared: bool, token: str | None, mode: str | None,
          processes: int | None, as_json: bool) -> None:
    """Open the local web UI and JSON API over the catalog."""
    from ..app import Atlas
    from ..web import ServerOptions, create_app
    from ..web.processes import run_until_stopped, server_config

    settings = settings_from({"db": str(db_path) if db_path else None, "host": host, "port": port, "search_mode": mode,
                              "serve_processes": processes})
    if settings.host not in LOOPBACK and not shared:
        raise click.UsageError(f"--host {settings.host} exposes the catalog to other machines: add --shared (and --token)")
    processes = settings.serve_processes
    if processes > 1 and not is_postgres(settings.catalog):
        # SQLite has one writer per file across processes, and the wait for it (with its clear
        # WriteBusy after the request's budget) is a lock inside one process; a second process
        # would meet "database is locked" instead. One process already uses both cores of a
        # small machine for searches (tantivy and the parse workers run outside the GIL).
        raise click.UsageError(f"--workers {processes} needs a PostgreSQL catalog (--db postgresql://USER@HOST/DB); "
                               "a SQLite catalog is served by one process (paperatlas migrate --to URL copies it)")
    check_port(settings.host, settings.port)
    url = f"http://{settings.host}:{settings.port}/"
    catalog = shown_catalog(settings.catalog)
    if as_json:
        click.echo(json.dumps({"url": url, "catalog": catalog, "shared": shared, "workers": processes}))
    else:
        err.print(f"paperatlas: {catalog} at {url}" + ("  (shared, read-only without the token)" if shared else "")
                  + (f"  ({processes} worker processes)" if processes > 1 else ""), markup=False)
    if processes == 1:
        atlas = Atlas.open(settings=settings)
        app = create_app(atlas, ServerOptions(shared=shared, token=token))
        run_until_stopped(server_config(app, host=settings.host, port=settings.port), app.state.runner.stop)
        return
    # Every worker signs CSRF tokens and session cookies with the catalog's own keys
    # (services.users.server_key), so a page served by one worker posts its form to any other.
    options = ServerOptions(shared=shared, token=token)
    if serve_processes(settings, options, processes):
        raise click.exceptions.Exit(1)


def is_postgres(location: str) -> bool:
    """A PostgreSQL URL (also as ``--db`` hands it over: through pathlib, with one slash)."""
    scheme, sep, _ = location.partition(":/")
    return bool(sep) and scheme.lower() in POSTGRES_SCHEMES


def shown_catalog(location: str) -> str:
    """The catalog as printed: a PostgreSQL URL without its password, with its two slashes."""
    if not is_postgres(location):
        return location
    from ..store.postgres.connection import redact

    scheme, _, rest = location.partition(":")
    return redact(f"{scheme}://{rest.lstrip('/')}")


def serve_processes(settings: Settings, options: ServerOptions, processes: int) -> int:
    """The parent of ``processes`` workers: binds the socket, writes the keyword index (built
    before the workers start, then kept up with the catalog in a thread), supervises the
    workers until SIGTERM/SIGINT. 1 when a worker kept failing at its start."""
    from ..app import Atlas
    from ..web.processes import Supervisor, worker_spec

    stop = threading.Event()

    def on_signal(sig: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    atlas = Atlas.open(settings=settings)
    follower: threading.Thread | None = None
    try:
        atlas.indexes.sync_keyword()  # the workers open the index this builds: before they start
        if stop.is_set():  # stopped while building
            return 0
        follower = threading.Thread(target=atlas.indexes.follow_keyword, args=(stop,), name="paperatlas-keyword-writer",
                                    daemon=True)
        follower.start()
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((settings.host, settings.port))
            sock.listen(2048)
            sock.set_inheritable(True)
            return Supervisor(sock, worker_spec(atlas.location, settings, options), processes).run(stop)
    finally:
        stop.set()
        if follower is not None:
            follower.join(timeout=30)  # a sync under way finishes its round (a commit) first
        atlas.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
