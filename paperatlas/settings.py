"""Settings as declared data, resolved once at the edge and then passed explicitly.

Each setting is a ``Setting(name, default, kind, help)`` in ``SETTINGS``. A value comes from the
first of: a command-line flag, the environment (``PAPERATLAS_<NAME>``, e.g.
``PAPERATLAS_SEARCH_MODE=keyword``), the settings file (``<home>/config.toml``, or the file
``PAPERATLAS_CONFIG`` names), the default. ``home`` itself comes from a flag, ``PAPERATLAS_HOME``
or ``~/.paperatlas``. The core never reads ``os.environ``: the CLI hands the environment to
``resolve`` (Datasette's SETTINGS, Starlette's Config and llm's ``LLM_USER_PATH`` are the models).

An unknown name or a value of the wrong type in the file or the environment is a
``SettingsError`` naming where it came from and what would be accepted.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .errors import SettingsError
from .search.types import REQUEST_MODES

ENV_PREFIX = "PAPERATLAS_"
CONFIG_NAME = "config.toml"


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    kind: type
    help: str
    choices: tuple[str, ...] = ()
    secret: bool = False  # never printed (`paperatlas settings` shows whether it is set)


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "", str, "Catalog file (or URL); empty: <home>/catalog.sqlite."),
    Setting("embedder", "minilm-l6-int8", str, "Embedding model of the semantic index."),
    Setting("search_mode", "auto", str,
            "Default search mode; auto: hybrid once the semantic index covers the catalog, else keyword.",
            REQUEST_MODES),
    Setting("page_size", 20, int, "Results per page in the web UI."),
    Setting("host", "127.0.0.1", str, "Interface `serve` listens on (127.0.0.1: this machine only)."),
    Setting("port", 8000, int, "Port `serve` listens on."),
    Setting("workers", 4, int, "Core calls the web server runs at once (threads, per process)."),
    Setting("serve_processes", 1, int,
            "Worker processes of `serve` (`--workers`; more than 1 needs a PostgreSQL catalog)."),
    Setting("time_budget_s", 5.0, float, "Longest a web request's core call may run before 503."),
    Setting("ingest_budget_s", 120.0, float, "Longest a web import may run before 503."),
    Setting("parse_workers", 2, int, "Processes that parse big ingests beside the writer."),
    Setting("max_file_mb", 256, int, "Largest input file, in MB after decompression (the largest real listings are ~40 MB)."),
    Setting("max_records_per_file", 2_000_000, int, "Most records one input file may hold."),
    Setting("max_field_chars", 1_000_000, int, "Longest field (title, abstract, …) of one record, in characters."),
    Setting("max_nesting_depth", 200, int, "Deepest nesting of JSON, XML or BibTeX braces in an input file."),
    Setting("max_macro_chars", 1_000_000, int, "Longest text a BibTeX @string macro may expand to."),
    Setting("parse_timeout_s", 600.0, float, "Longest time reading one file may take (files parsed in worker processes)."),
    Setting("s2_api_key", "", str, "Semantic Scholar API key for its sources (optional; sent to that API only).",
            secret=True),
    Setting("fetch_allow_hosts", "", str,
            "Hosts a shared server's sources may fetch from even at private addresses (comma-separated; *.suffix)."),
    Setting("smtp_host", "", str, "Mail server that sends digests (`paperatlas digest --format email`)."),
    Setting("smtp_port", 0, int, "Its port (0: 465 for ssl, else 587)."),
    Setting("smtp_security", "starttls", str, "starttls, ssl (implicit TLS) or none (loopback relays only)."),
    Setting("smtp_user", "", str, "Login name at the mail server (none: no login)."),
    Setting("smtp_password", "", str, "Its password (settings file or PAPERATLAS_SMTP_PASSWORD; never printed).",
            secret=True),
    Setting("smtp_from", "", str, "Sender address of digests (default: smtp_user)."),
)
BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Resolved settings. ``home`` holds the default catalog, the settings file and model caches."""

    home: Path = Path("~/.paperatlas").expanduser()
    db: str = ""
    embedder: str = "minilm-l6-int8"
    search_mode: str = "auto"
    page_size: int = 20
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 4
    serve_processes: int = 1
    time_budget_s: float = 5.0
    ingest_budget_s: float = 120.0
    parse_workers: int = 2
    max_file_mb: int = 256
    max_records_per_file: int = 2_000_000
    max_field_chars: int = 1_000_000
    max_nesting_depth: int = 200
    max_macro_chars: int = 1_000_000
    parse_timeout_s: float = 600.0
    s2_api_key: str = ""
    fetch_allow_hosts: str = ""
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""

    @property
    def catalog(self) -> str:
        """Where the catalog is: the ``db`` setting, else ``<home>/catalog.sqlite``."""
        return self.db or str(self.home / "catalog.sqlite")

    @property
    def model_cache(self) -> Path:
        """Where models prepared for this machine (the int8 ONNX graph) are kept."""
        return self.home / "models"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def home_from(env: Mapping[str, str], flag: str | Path | None = None) -> Path:
    raw = str(flag) if flag else env.get(ENV_PREFIX + "HOME") or "~/.paperatlas"
    return Path(raw).expanduser()


def resolve(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    home: str | Path | None = None,
) -> Settings:
    """Settings from flags (None: not given) > environment > settings file > defaults."""
    env = env or {}
    where = home_from(env, home)
    config = Path(env[ENV_PREFIX + "CONFIG"]).expanduser() if env.get(ENV_PREFIX + "CONFIG") else where / CONFIG_NAME
    values: dict[str, Any] = {}
    values.update(read_file(config))
    values.update(from_env(env))
    values.update({k: check(k, v, "a flag") for k, v in (flags or {}).items() if v is not None})
    return Settings(home=where, **values)


def read_file(path: Path) -> dict[str, Any]:
    """The settings in a TOML file (none when there is no file)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {path}: {exc.strerror}", hint="check its permissions") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})", hint='write lines like  search_mode = "keyword"') from None
    return {name: check(name, value, str(path)) for name, value in data.items()}


def from_env(env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in env.items():
        if not key.startswith(ENV_PREFIX) or key in (ENV_PREFIX + "HOME", ENV_PREFIX + "CONFIG"):
            continue
        name = key[len(ENV_PREFIX):].lower()
        if name in BY_NAME:  # other PAPERATLAS_* variables belong to tests or scripts
            out[name] = check(name, convert(BY_NAME[name], raw, key), key)
    return out


def convert(setting: Setting, raw: str, where: str) -> Any:
    """A string (environment variable) as the setting's kind."""
    try:
        return setting.kind(raw.strip()) if setting.kind is not str else raw
    except ValueError:
        raise SettingsError(
            f"{where}={raw!r}: {setting.name} must be {_kind_name(setting.kind)}",
            hint=f"e.g. {where}={setting.default!r}",
        ) from None


def check(name: str, value: Any, where: str) -> Any:
    """``value`` if ``name`` is a setting and ``value`` fits it; a SettingsError otherwise."""
    setting = BY_NAME.get(name)
    if setting is None:
        known = ", ".join(s.name for s in SETTINGS)
        raise SettingsError(f"{where}: unknown setting {name!r}", hint=f"known settings: {known}")
    if setting.kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, setting.kind) or isinstance(value, bool) and setting.kind is not bool:
        raise SettingsError(
            f"{where}: {name} must be {_kind_name(setting.kind)}, not {value!r}",
            hint=f"e.g. {name} = {setting.default!r}".replace("'", '"'),
        )
    if setting.choices and value not in setting.choices:
        raise SettingsError(f"{where}: {name} must be one of {', '.join(setting.choices)}, not {value!r}",
                            hint=f"e.g. {name} = \"{setting.default}\"")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
        raise SettingsError(f"{where}: {name} must be positive, not {value!r}", hint=f"e.g. {name} = {setting.default}")
    return value


def _kind_name(kind: type) -> str:
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false"}[kind]


def shown(settings: Settings) -> dict[str, Any]:
    """Every setting's value as ``paperatlas settings`` prints it: secrets as "(set)" or ""."""
    out: dict[str, Any] = {}
    for s in SETTINGS:
        value = getattr(settings, s.name)
        out[s.name] = ("(set)" if value else "") if s.secret else value
    return out


def documented() -> list[tuple[str, str]]:
    """(name, help with default) of every setting, for `paperatlas settings` and the README check."""
    defaults = {f.name: f.default for f in fields(Settings)}
    return [(s.name, f"{s.help} [default: {defaults[s.name]!r}]") for s in SETTINGS]
