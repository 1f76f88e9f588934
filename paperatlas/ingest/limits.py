"""How much one input file may hold: the limits every ingest enforces, whatever interface it
came through, and the errors that name the file, the limit and how to raise it.

The values come from the settings (``max_file_mb``, ``max_records_per_file``,
``max_field_chars``, ``max_nesting_depth``, ``max_macro_chars``, ``parse_timeout_s``); the
defaults are far above any real listing (Paper Copilot's largest file: 38 MB, 12k records; the
longest abstract in its 168k papers: 5,600 characters) and far below what hurts a laptop.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import ParseError

if TYPE_CHECKING:
    from ..settings import Settings

MB = 1024**2
READ_CHUNK = 1024**2


@dataclass(frozen=True)
class Limits:
    max_file_mb: int = 256  # MB of one file after decompression
    max_records: int = 2_000_000  # records in one file
    max_field_chars: int = 1_000_000  # characters in one field of one record
    max_depth: int = 200  # nesting of JSON arrays/objects, BibTeX braces, XML elements
    max_macro_chars: int = 1_000_000  # characters a BibTeX @string macro may expand to
    parse_timeout_s: float = 600.0  # reading one file (in a worker process)

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(settings.max_file_mb, settings.max_records_per_file, settings.max_field_chars,
                   settings.max_nesting_depth, settings.max_macro_chars, settings.parse_timeout_s)

    @property
    def max_bytes(self) -> int:
        return self.max_file_mb * MB


def exceeded(path: str, what: str, setting: str, value: object, *, line: int | None = None,
             record: int | str | None = None) -> ParseError:
    """The error for a file over a limit: which limit, its value, how to raise it."""
    env = "PAPERATLAS_" + setting.upper()
    return ParseError(f"{what} (the limit is {setting} = {value})", path=path, line=line, record=record,
                      hint=f"if the file is genuine, raise the limit: {env}=… or `{setting} = …` in config.toml")


PIECE = 8 * 1024 * 1024  # inflated at a time, so the check comes before the memory is used


def gunzip(path: str, raw: bytes, max_bytes: int) -> bytes:
    """Decompress gzip data (every member), stopping with a clear error past ``max_bytes``: a
    1 MB file that inflates to 1 GiB never reaches memory whole."""
    out: list[bytes] = []
    size = 0
    data = raw
    try:
        while data:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            pending = data
            while True:
                piece = inflater.decompress(pending, min(max_bytes - size + 1, PIECE))
                size += len(piece)
                if size > max_bytes:
                    raise exceeded(path, f"the file inflates to more than {max_bytes // MB} MB", "max_file_mb",
                                   max_bytes // MB)
                out.append(piece)
                pending = inflater.unconsumed_tail
                if inflater.eof or not pending:
                    break
            if not inflater.eof:
                raise ParseError("the gzip data is truncated", path=path,
                                 hint="download or copy the file again; `gzip -t FILE` checks it")
            data = inflater.unused_data.lstrip(b"\0")  # another member follows (cat a.gz b.gz), or padding
    except zlib.error as exc:
        raise ParseError(f"the gzip data is damaged ({exc})", path=path,
                         hint="download or copy the file again; `gzip -t FILE` checks it") from None
    return b"".join(out)
