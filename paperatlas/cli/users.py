"""``users add|list|revoke``: the people of a lab server (``services.users``). Each gets a token
for ``Authorization: Bearer`` or a one-time login in the browser (``/login``)."""

from __future__ import annotations

from dataclasses import asdict

import click
from rich.table import Table

from ..app import Atlas
from ..services import users as svc
from . import cli, db_option, emit_json, json_option, out, say


@cli.group()
def users() -> None:
    """People of a lab server, each with their own stars, tags, notes and lists (`serve --shared`)."""


@users.command("add")
@click.argument("name")
@json_option
@db_option
def add(atlas: Atlas, name: str, as_json: bool) -> None:
    """Add user NAME and print their token (shown this once: only its hash is kept)."""
    user, token = svc.add_user(atlas, name)
    if as_json:
        emit_json({**asdict(user), "token": token})
        return
    say(f"added {user.name}; their token (shown once, keep it secret):")
    click.echo(token)
    say("they sign in at /login on the server, or send it as Authorization: Bearer <token>")


@users.command("list")
@json_option
@db_option
def list_(atlas: Atlas, as_json: bool) -> None:
    """The users, when they were added, and whether they were revoked."""
    found = svc.list_users(atlas)
    if as_json:
        emit_json([{**asdict(u), "active": u.active} for u in found])
        return
    if not found:
        say("no users yet: paperatlas users add NAME")
        return
    table = Table("name", "added", "revoked", box=None, show_edge=False)
    for u in found:
        table.add_row(u.name, u.created_at, u.revoked_at or "")
    out.print(table)


@users.command("revoke")
@click.argument("name")
@json_option
@db_option
def revoke(atlas: Atlas, name: str, as_json: bool) -> None:
    """Revoke NAME's token at once (their library stays; sign-ins made with it end too)."""
    user = svc.revoke_user(atlas, name)
    if as_json:
        emit_json({**asdict(user), "active": user.active})
    else:
        say(f"revoked {user.name} at {user.revoked_at}")
