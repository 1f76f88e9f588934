"""``serve``: the web UI and JSON API over the catalog."""

from __future__ import annotations

import errno
import json
import socket
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from ..errors import InvalidInput
from ..search.types import REQUEST_MODES
from . import cli, err, settings_from

if TYPE_CHECKING:
    import uvicorn

KEEP_ALIVE_S = 30
GRACEFUL_S = 3  # on SIGTERM/SIGINT: how long open requests may take to finish before they are cancelled
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
@click.option("--json", "as_json", is_flag=True, help="Print where it serves as one JSON line, then serve.")
def serve(host: str | None, port: int | None, db_path: Path | None, shared: bool, token: str | None, mode: str | None,
          as_json: bool) -> None:
    """Open the local web UI and JSON API over the catalog."""
    import uvicorn

    from ..app import Atlas
    from ..web import ServerOptions, create_app

    settings = settings_from({"db": str(db_path) if db_path else None, "host": host, "port": port, "search_mode": mode})
    if settings.host not in LOOPBACK and not shared:
        raise click.UsageError(f"--host {settings.host} exposes the catalog to other machines: add --shared (and --token)")
    check_port(settings.host, settings.port)
    url = f"http://{settings.host}:{settings.port}/"
    if as_json:
        click.echo(json.dumps({"url": url, "catalog": settings.catalog, "shared": shared}))
    else:
        err.print(f"paperatlas: {settings.catalog} at {url}" + ("  (shared, read-only without the token)" if shared else ""),
                  markup=False)
    atlas = Atlas.open(settings=settings)
    app = create_app(atlas, ServerOptions(shared=shared, token=token))
    # Keep idle connections 30 s (uvicorn's default is 5): under a burst a client's pooled
    # connection can sit idle past 5 s, and a request sent just as the server closes it fails
    # on the client with a read error (seen once in bench/web_load.py's 200-client run).
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning", server_header=False,
                            timeout_keep_alive=KEEP_ALIVE_S, timeout_graceful_shutdown=GRACEFUL_S)
    run_until_stopped(config, app.state.runner.stop)


def run_until_stopped(config: uvicorn.Config, stop: Callable[[], None]) -> None:
    """uvicorn's server, which on SIGTERM/SIGINT first cancels the core calls that run (an import
    stops at its next check and rolls back), so the process ends within seconds."""
    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            stop()
            super().handle_exit(sig, frame)

    Server(config).run()
