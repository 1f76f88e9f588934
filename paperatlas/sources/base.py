"""What a connector is, and the one registry of them.

A connector turns a remote listing into *entries* (one per paper: an arXiv entry, an OpenReview
note, a day's Hugging Face paper), each with a stable ``key``, the ``partition`` (stored document)
it belongs to, and its ``payload`` in the connector's document format. It fetches page by page
(``pages``), saying after each page what state to remember; the sync engine (``sync.py``) stores
the changed entries, rebuilds the documents of the partitions they touched (``document``) and
ingests them through the existing parsers (``FORMAT``), page by page, each in one transaction.

Options are declared as data (``OPTIONS``) so the CLI, the web form and the checks share them.
Every connector takes ``base_url`` (mirrors, proxies, tests) and ``pace`` (seconds between two
requests to its host; the default is the host's documented pace).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlsplit

from ..errors import InvalidInput
from ..ingest import Overrides
from .http import Fetcher, redact

SECRET_WORDS = ("key", "token", "password", "secret", "auth")


@dataclass(frozen=True)
class Option:
    kind: type
    help: str
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass
class Entry:
    key: str
    partition: str
    payload: bytes
    stamp: str | None = None

    @property
    def version(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()[:32]


@dataclass
class Page:
    """One fetched page: its entries and the state to remember once they are stored."""

    entries: list[Entry]
    state: dict[str, Any]
    requests: int = 1
    not_modified: bool = False
    total: int | None = None  # entries the listing says this run will see, when it says
    warnings: list[str] = field(default_factory=list)
    # partitions the next pages of this run may still add to: their documents are ingested once
    # they are complete (a listing sorted by date fills one day over two pages), not twice
    open: set[str] = field(default_factory=set)


@dataclass
class Context:
    """What a connector gets for one run."""

    fetcher: Fetcher
    state: dict[str, Any]  # as the last run left it
    versions: Callable[[list[str]], dict[str, str]]  # the stored version of each of these keys
    secrets: Mapping[str, str] = field(default_factory=dict)  # API keys from the settings, never options
    today: date = field(default_factory=date.today)


class Connector:
    KIND: ClassVar[str]
    DESCRIPTION: ClassVar[str]
    FORMAT: ClassVar[str]  # the parser its documents are read with
    EXT: ClassVar[str] = "xml"  # of the documents' display names
    BASE_URL: ClassVar[str]
    PACE: ClassVar[float] = 1.0  # seconds between requests to its host: the service's documented pace
    OPTIONS: ClassVar[dict[str, Option]] = {}
    MAIN: ClassVar[str] = ""  # the option a default source name is made from

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = check_options(self, options)

    @property
    def base_url(self) -> str:
        return str(self.options.get("base_url") or self.BASE_URL).rstrip("/")

    @property
    def pace(self) -> float:
        value = self.options.get("pace")
        return self.PACE if value is None else float(value)

    def describe(self) -> str:
        main = self.options.get(self.MAIN) if self.MAIN else None
        return f"{self.DESCRIPTION}: {main}" if main else self.DESCRIPTION

    def pages(self, ctx: Context) -> Iterator[Page]:
        raise NotImplementedError

    def document(self, partition: str, payloads: list[bytes]) -> bytes:
        raise NotImplementedError

    def format(self) -> str:
        """The parser of its documents ("" to detect it)."""
        return self.FORMAT

    def overrides(self) -> Overrides | None:
        """What the user says about the records (venue, year) that the listing does not."""
        return None


COMMON: dict[str, Option] = {
    "base_url": Option(str, "where the service is (a mirror, a proxy, a test server)"),
    "pace": Option(float, "seconds between two requests to the host (default: the service's documented pace)"),
}
REGISTRY: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    REGISTRY[cls.KIND] = cls
    return cls


def connector(kind: str, options: Mapping[str, Any]) -> Connector:
    _load()
    if kind not in REGISTRY:
        raise InvalidInput(f"no connector {kind!r}", hint="known connectors: " + ", ".join(sorted(REGISTRY)))
    return REGISTRY[kind](options)


def kinds() -> dict[str, type[Connector]]:
    _load()
    return dict(sorted(REGISTRY.items()))


def check_options(conn: Connector, given: Mapping[str, Any]) -> dict[str, Any]:
    """The options, converted to their kinds and checked; an InvalidInput naming the option and
    the fix otherwise."""
    spec = {**conn.OPTIONS, **COMMON}
    out: dict[str, Any] = {}
    for name, raw in given.items():
        if raw is None:
            continue
        if any(word in name.lower() for word in SECRET_WORDS):
            raise InvalidInput(f"{conn.KIND}: {name} cannot be an option",
                               hint="credentials never go on the command line or into the catalog: set them in the "
                                    "settings file or the environment (e.g. PAPERATLAS_S2_API_KEY)")
        if name not in spec:
            raise InvalidInput(f"{conn.KIND} has no option {name!r}", hint="its options: " + ", ".join(spec))
        option = spec[name]
        try:
            value = option.kind(raw) if not isinstance(raw, option.kind) else raw
        except (TypeError, ValueError):
            raise InvalidInput(f"{conn.KIND}: {name} must be {option.kind.__name__}, not {raw!r}",
                               hint=f"{name}: {option.help}") from None
        if option.choices and value not in option.choices:
            raise InvalidInput(f"{conn.KIND}: {name} must be one of {', '.join(option.choices)}, not {value!r}",
                               hint=option.help)
        if isinstance(value, (int, float)) and value < 0:
            raise InvalidInput(f"{conn.KIND}: {name} must not be negative", hint=option.help)
        out[name] = value.strip() if isinstance(value, str) else value
    for name, option in conn.OPTIONS.items():
        if option.required and not out.get(name):
            raise InvalidInput(f"{conn.KIND} needs --{name.replace('_', '-')}", hint=f"{name}: {option.help}")
    for name in ("base_url", "url"):
        url = out.get(name)
        if url is None:
            continue
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise InvalidInput(f"{name} {url!r} is not an http(s) URL", hint="e.g. --base-url https://mirror.example.org")
        if redact(url) != url:
            raise InvalidInput(f"{name} carries a credential ({redact(url)})",
                               hint="credentials never go into a source's options: set them in the settings file or the "
                                    "environment")
    return out


_loaded = False


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        from . import connectors  # noqa: F401  (registers the built-in connectors)
