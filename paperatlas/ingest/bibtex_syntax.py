"""A .bib file as a list of entries with their field values evaluated, under bounds.

``bibtexparser`` (v2) splits the file into blocks (entries, ``@string``, ``@preamble``,
``@comment``, the free text between them, and the blocks it could not parse, each with its line):
a linear scan over the file's braces, quotes and ``@``s, with recovery at the next entry. It
leaves every value as written (``{...}``, ``"..."``, ``2020``, ``iclr # " (Poster)"``); its
string middleware resolves a value that is one macro name and nothing more. So this module
evaluates values itself, the way BibTeX does: delimiters stripped, numbers, ``@string`` macros
(case-insensitive, defined before use, month names predefined) and ``#`` concatenation.

Bounds (a .bib file can be hostile by accident or on purpose):

- a value may nest braces at most ``MAX_DEPTH`` deep: the entry is reported as damaged
  (naming it and its line) before anything recursive sees it;
- an evaluated value (a field or an ``@string``) may hold at most ``MAX_VALUE_CHARS``
  characters: chained macros (``@string{a2 = a1 # a1}`` ...) double each time, so a longer
  ``@string`` is not defined and a longer field is dropped, each with a warning;
- all macro expansion in a file together may produce at most ``EXPANSION_BUDGET`` characters
  plus ten times the file's size; past that, macro names are kept as written.

Everything here is linear in the file's size.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field

from bibtexparser.entrypoint import parse_string
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    DuplicateFieldKeyBlock,
    Entry,
    ParsingFailedBlock,
    String,
)

from .base import ParseContext

# bibtexparser logs every block it cannot parse; this parser reports those itself (as a
# ParseError, or a warning with --skip-bad), so its log lines would only be noise on stderr.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())
logging.getLogger("bibtexparser").propagate = False

MAX_DEPTH = 100
MAX_VALUE_CHARS = 100_000
EXPANSION_BUDGET = 1_000_000

MONTHS = {
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May", "jun": "June",
    "jul": "July", "aug": "August", "sep": "September", "oct": "October", "nov": "November",
    "dec": "December",
}

_BRACE = re.compile(r"(?<!\\)[{}]")  # bibtexparser's convention: a backslash escapes a delimiter
_QUOTED = re.compile(r'(?<!\\)[{}"]')
_WORD = re.compile(r"[^\s\"#%'(),={}]+")
_SPACE = re.compile(r"[\s#]*")
_ENTRY_KEY = re.compile(r"@\s*[\w-]*\s*[{(]\s*([^,\s{}()]*)")


@dataclass
class BibEntry:
    """One ``@type{key, ...}`` block: its evaluated fields (lower-case names, first value of a
    repeated field), or, for a damaged block, why it is damaged."""

    kind: str
    key: str
    line: int  # 1-based line of the "@"
    raw: str  # the entry as the file has it
    fields: dict[str, str] = field(default_factory=dict)
    problem: str | None = None
    hint: str = ""


class BadValue(Exception):
    """A value that cannot be evaluated (too deep, unbalanced)."""


class _TooLong(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


class Evaluator:
    """Field values evaluated against the ``@string`` macros seen so far."""

    def __init__(self, file_chars: int) -> None:
        self.macros: dict[str, str] = dict(MONTHS)
        self.undefined: Counter[str] = Counter()
        self.budget = EXPANSION_BUDGET + 10 * file_chars
        self.budget_spent = False

    def value(self, raw: str) -> str:
        """The text of a raw value; ``BadValue`` if malformed, ``_TooLong`` if over the cap."""
        parts: list[str] = []
        expanded = False
        pos, n = 0, len(raw)
        while True:
            m = _SPACE.match(raw, pos)
            pos = m.end() if m else pos
            if pos >= n:
                break
            ch = raw[pos]
            if ch == "{":
                end = _closing_brace(raw, pos)
                parts.append(raw[pos + 1 : end])
                pos = end + 1
            elif ch == '"':
                end = _closing_quote(raw, pos)
                parts.append(raw[pos + 1 : end])
                pos = end + 1
            else:
                word_match = _WORD.match(raw, pos)
                if word_match is None:  # a stray character: keep it, BibTeX would complain
                    parts.append(ch)
                    pos += 1
                    continue
                word = word_match.group()
                pos = word_match.end()
                parts.append(word if word.isdigit() else self._macro(word))
                expanded = expanded or not word.isdigit()
        size = sum(len(p) for p in parts)
        if size > MAX_VALUE_CHARS:
            raise _TooLong(size)
        if expanded and len(parts) > 1:
            self.budget -= size
        return parts[0] if len(parts) == 1 else "".join(parts)

    def _macro(self, word: str) -> str:
        name = word.lower()
        if name in self.macros and self.budget > 0:
            return self.macros[name]
        if name in self.macros:
            self.budget_spent = True
        else:
            self.undefined[name] += 1
        return word  # BibTeX would print nothing; the name says more ("NIPS" from another file)


def _closing_brace(raw: str, start: int) -> int:
    """Index of the ``}`` that closes the ``{`` at ``start``."""
    depth = 0
    for m in _BRACE.finditer(raw, start):
        if m.group() == "{":
            depth += 1
            if depth > MAX_DEPTH:
                raise BadValue(f"braces are nested more than {MAX_DEPTH} levels deep")
        else:
            depth -= 1
            if depth == 0:
                return m.start()
    raise BadValue("unbalanced braces: a '{' is never closed")


def _closing_quote(raw: str, start: int) -> int:
    """Index of the ``"`` that closes the one at ``start`` (quotes inside braces do not count)."""
    depth = 0
    for m in _QUOTED.finditer(raw, start + 1):
        ch = m.group()
        if ch == "{":
            depth += 1
            if depth > MAX_DEPTH:
                raise BadValue(f"braces are nested more than {MAX_DEPTH} levels deep")
        elif ch == "}":
            depth -= 1
            if depth < 0:
                raise BadValue("unbalanced braces: a '}' without its '{' in a quoted value")
        elif depth == 0:
            return m.start()
    raise BadValue("a quoted value is never closed")


def _failure(block: ParsingFailedBlock) -> tuple[str, str]:
    """(problem, hint) for a block bibtexparser could not split."""
    reason = str(getattr(block.error, "abort_reason", "") or block.error)
    if "end of file" in reason:
        return (
            "unbalanced braces or quotes: the entry is never closed",
            "a '}' (or '\"') is missing in the entry that starts on this line, or the file is truncated",
        )
    if "Unexpected block start" in reason:
        return (
            "unbalanced braces: the entry is not closed before the next '@' entry",
            "a '}' or ',' is missing in the entry that starts on this line",
        )
    return (
        f"not valid BibTeX: {' '.join(reason.split())}",
        "check the entry's braces, quotes, commas and '=' signs near this line",
    )


def _commented_out(lines: list[str], line: int) -> bool:
    """Whether the ``@`` on 0-based ``line`` follows a ``%`` (an entry commented out)."""
    if not 0 <= line < len(lines):
        return False
    text = lines[line]
    at = text.find("@")
    return at > 0 and "%" in text[:at]


def read_entries(text: str, ctx: ParseContext) -> list[BibEntry]:
    """The entries of a .bib file in file order, ``@string``s applied; ``@comment``,
    ``@preamble`` and free text skipped. Damaged blocks come back with a ``problem``."""
    library = parse_string(text, parse_stack=[])
    lines = text.split("\n")
    evaluator = Evaluator(len(text))
    entries: list[BibEntry] = []
    for block in library.blocks:
        if isinstance(block, DuplicateBlockKeyBlock | DuplicateFieldKeyBlock):
            inner = block.ignore_error_block
            if inner is not None:
                block = inner
        if isinstance(block, String):
            _define(evaluator, block, ctx)
        elif isinstance(block, Entry):
            if not _commented_out(lines, block.start_line or 0):
                entries.append(_entry(evaluator, block, ctx))
        elif isinstance(block, ParsingFailedBlock):
            raw = block.raw or ""
            m = _ENTRY_KEY.match(raw)
            problem, hint = _failure(block)
            kind = raw[1:].split("{", 1)[0].split("(", 1)[0].strip().lower() if raw.startswith("@") else ""
            entries.append(BibEntry(kind=kind, key=m.group(1) if m else "", line=(block.start_line or 0) + 1,
                                    raw=raw, problem=problem, hint=hint))
    if evaluator.undefined:
        names = ", ".join(sorted(evaluator.undefined)[:10])
        more = len(evaluator.undefined) - 10
        ctx.warn(f"@string macros used but not defined in the file, kept as written: {names}"
                 + (f" and {more} more" if more > 0 else ""))
    if evaluator.budget_spent:
        ctx.warn("@string macros expand to far more text than the file holds; later uses were kept as written")
    return entries


def _define(evaluator: Evaluator, block: String, ctx: ParseContext) -> None:
    line = (block.start_line or 0) + 1
    try:
        evaluator.macros[block.key.strip().lower()] = evaluator.value(block.value)
    except _TooLong as exc:
        ctx.warn(f"line {line}: @string {block.key.strip()!r} skipped: its value would be {exc.size:,} "
                 f"characters (the limit is {MAX_VALUE_CHARS:,})")
    except BadValue as exc:
        ctx.warn(f"line {line}: @string {block.key.strip()!r} skipped: {exc}")


def _entry(evaluator: Evaluator, block: Entry, ctx: ParseContext) -> BibEntry:
    entry = BibEntry(kind=block.entry_type.strip().lower(), key=block.key.strip(),
                     line=(block.start_line or 0) + 1, raw=block.raw or "")
    for fld in block.fields:
        name = fld.key.strip().lower()
        if name in entry.fields or not isinstance(fld.value, str):
            continue
        try:
            entry.fields[name] = evaluator.value(fld.value)
        except _TooLong as exc:
            ctx.warn(f"line {entry.line}: field {name!r} of {entry.key!r} dropped: its value would be "
                     f"{exc.size:,} characters (the limit is {MAX_VALUE_CHARS:,})")
        except BadValue as exc:
            entry.problem = f"field {name!r}: {exc}"
            entry.hint = "check the braces of that field in the entry that starts on this line"
            break
    return entry
