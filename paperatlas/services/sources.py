"""Source use cases: add, list and remove sources that fetch themselves, and sync them.

    add_source(atlas, "arxiv", "lg", query="cat:cs.LG")
    for report in sync(atlas):
        print(report.summary())

``shared=True`` is for a server whose users are not its administrator (``serve --shared``): URLs
must then reach public addresses only, unless the administrator allowed the host
(``allow_hosts``, else the ``fetch_allow_hosts`` setting); see ``paperatlas.sources.guard``.
API keys come in ``secrets`` (the CLI reads ``PAPERATLAS_S2_API_KEY``) or from the settings,
never from a source's options.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import InvalidInput, NotFound
from ..sources.base import connector, kinds
from ..sources.guard import Guard
from ..sources.http import Fetcher
from ..sources.sync import Progress, SyncReport, sync_source
from ..store.protocol import SourceInfo

if TYPE_CHECKING:
    from ..app import Atlas

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
SECRET_SETTINGS = ("s2_api_key",)


@dataclass(frozen=True)
class ConnectorHelp:
    kind: str
    description: str
    options: dict[str, str]  # option -> help (with its default)


def connectors() -> list[ConnectorHelp]:
    """The connectors and their options (``paperatlas sources add --help`` and the web form)."""
    out = []
    for kind, cls in kinds().items():
        options = {name: o.help + (f" [default: {o.default}]" if o.default is not None else "")
                   + (" (required)" if o.required else "") for name, o in cls.OPTIONS.items()}
        options["base_url"] = f"where the service is (mirror, proxy, test server) [default: {cls.BASE_URL or 'the url'}]"
        options["pace"] = f"seconds between two requests to the host [default: {cls.PACE}]"
        out.append(ConnectorHelp(kind, cls.DESCRIPTION, options))
    return out


def add_source(atlas: Atlas, kind: str, name: str | None = None, *, shared: bool = False,
               allow_hosts: Iterable[str] | None = None, **options: Any) -> SourceInfo:
    """A new source (nothing is fetched until ``sync``). The options are checked now: an unknown
    option, a missing one, a wrong type or (shared) a URL to a non-public address is an error
    naming it."""
    given = {k: v for k, v in options.items() if v is not None}
    conn = connector(kind, given)
    name = name or default_name(kind, conn.options.get(conn.MAIN) if conn.MAIN else None)
    if not _NAME.match(name):
        raise InvalidInput(f"{name!r} cannot name a source",
                           hint="use letters, digits, '.', '-' and '_' (up to 64), e.g. --name lg")
    if shared:
        url = conn.base_url
        _guard(atlas, True, allow_hosts).check_url(url, url)
    added = atlas.store.sources.add(name, kind, conn.options)
    if added is None:
        raise InvalidInput(f"there is a source named {name!r} already",
                           hint="pick another --name, or `paperatlas sources remove` it first")
    return added


def default_name(kind: str, main: Any) -> str:
    """``arxiv-cs.LG`` for an arXiv source on cs.LG: the kind and its main option, made name-safe."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", str(main or "")).strip("-._")[:40]
    return f"{kind}-{slug}" if slug else kind


def list_sources(atlas: Atlas) -> list[SourceInfo]:
    return atlas.store.sources.all()


def get_source(atlas: Atlas, name: str) -> SourceInfo:
    found = atlas.store.sources.get(name)
    if found is None:
        raise NotFound(f"no source named {name!r}", hint="`paperatlas sources list` lists them")
    return found


def remove_source(atlas: Atlas, name: str) -> SourceInfo:
    """Forget a source and its sync state. The papers it brought stay in the catalog (they are
    records like any file's); a source added again with the same name continues their files."""
    found = get_source(atlas, name)
    atlas.store.sources.remove(name)
    return found


def describe(info: SourceInfo) -> str:
    """What the source fetches, in a few words (its kind, if its options no longer check out)."""
    try:
        return connector(info.kind, info.options).describe()
    except InvalidInput:
        return f"{info.kind} (options no longer valid: remove and add it again)"


def sync(
    atlas: Atlas,
    name: str | None = None,
    progress: Progress | None = None,
    *,
    shared: bool = False,
    allow_hosts: Iterable[str] | None = None,
    secrets: Mapping[str, str] | None = None,
    fetcher: Fetcher | None = None,
    today: date | None = None,
) -> list[SyncReport]:
    """Sync one source (``name``) or every source, one after the other; a source's failure is in
    its report and does not stop the others. A second sync of unchanged sources stores nothing."""
    infos = [get_source(atlas, name)] if name else list_sources(atlas)
    keys = {k: str(getattr(atlas.settings, k, "") or "") for k in SECRET_SETTINGS}
    keys.update({k: v for k, v in (secrets or {}).items() if v})
    own = fetcher is None
    client = fetcher or Fetcher(guard=_guard(atlas, shared, allow_hosts))
    try:
        reports = [sync_source(atlas, info, client, secrets=keys, today=today, progress=progress) for info in infos]
    finally:
        if own:
            client.close()
    from .watches import after_sync  # what changed, for each watch; counters as a time series

    after_sync(atlas, today)
    return reports


def _guard(atlas: Atlas, shared: bool, allow_hosts: Iterable[str] | None) -> Guard:
    if allow_hosts is None:
        allow_hosts = str(getattr(atlas.settings, "fetch_allow_hosts", "") or "").split(",")
    return Guard(shared=shared, allow_hosts=allow_hosts)


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$", re.I)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL = 60.0  # a source that changes more often than this does not exist; its server would notice


def parse_interval(text: str) -> float:
    """Seconds in ``30m``, ``6h``, ``1d``, ``90s``; an InvalidInput naming the forms otherwise."""
    found = _INTERVAL.match(text or "")
    if not found:
        raise InvalidInput(f"--every {text!r} is not an interval", hint="e.g. --every 6h (also 30m, 1d, 90s)")
    seconds = float(found.group(1)) * UNITS[found.group(2).lower()]
    if seconds < MIN_INTERVAL:
        raise InvalidInput(f"--every {text} is more often than once a minute", hint="e.g. --every 30m")
    return seconds


def run_every(interval: float, once: Callable[[], object], *, announce: Callable[[float], None] | None = None,
              sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time,
              rounds: int | None = None) -> int:
    """Call ``once`` now and then every ``interval`` seconds (from the start of one round to the
    start of the next; a round longer than the interval is followed at once), until interrupted
    (KeyboardInterrupt propagates) or ``rounds`` rounds are done. Returns the rounds run."""
    done = 0
    while rounds is None or done < rounds:
        started = clock()
        once()
        done += 1
        if rounds is not None and done >= rounds:
            break
        next_at = started + interval
        if announce:
            announce(next_at)
        sleep(max(0.0, next_at - clock()))
    return done
