"""``digest NAME --since 7d --format markdown|html|atom|email [--to ADDR]``: a thin adapter over
``services.digest``. SMTP settings come from the settings file or the environment, never from
options (a password on a command line is in the shell history and the process list)."""

from __future__ import annotations

import os
import sys

import click

from ..app import Atlas
from ..services import digest as svc
from ..services.watches import parse_since
from . import cli, db_option, emit_json, json_option, say


@cli.command()
@click.argument("name")
@click.option("--since", default="7d", show_default=True, help="How far back: 24h, 7d, 2w.")
@click.option("--format", "fmt", type=click.Choice(svc.FORMATS), default="markdown", show_default=True)
@click.option("--to", "to", multiple=True, help="email: a recipient (repeat for more).")
@click.option("--base-url", default=None, help="Where the web UI is, for links [default: http://HOST:PORT of the settings].")
@json_option
@db_option
def digest(atlas: Atlas, name: str, since: str, fmt: str, to: tuple[str, ...], base_url: str | None, as_json: bool) -> None:
    """What the watch NAME reported: printed as Markdown, HTML or Atom, or sent by email (--to)."""
    s = atlas.settings
    d = svc.digest(atlas, name, parse_since(since), base_url or f"http://{s.host}:{s.port}")
    if fmt == "email" and to:
        cfg = svc.SmtpConfig.from_settings(s, os.environ)
        svc.send_email(svc.email_message(d, cfg.sender, list(to)), cfg)
        emit_json({"sent": len(d.items), "to": list(to)}) if as_json else say(
            f"sent {len(d.items)} item{'s' * (len(d.items) != 1)} to {', '.join(to)} via {cfg.host}:{cfg.port}")
        return
    if as_json:
        emit_json(d.to_dict())
        return
    text = svc.render(d, fmt)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
