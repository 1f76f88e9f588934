"""BibTeX values as readable Unicode: LaTeX markup in titles, venues and abstracts, and author
lists as display names ("Rockt{\\"{a}}schel, Tim" -> "Tim Rocktäschel").

The work is done by two libraries (see ``bibtex.py`` for why they are dependencies):

- ``pylatexenc``'s ``LatexNodes2Text`` turns LaTeX into Unicode text: accents in every spelling
  (``{\\"{a}}``, ``\\"a``, ``{\\'{\\i}}``), ``\\ss``, ``\\o``, ``\\&``, ``--``, ``~``, quotes,
  ``\\emph{..}``, and it drops the braces that only protect capitals. Maths (``$..$``, ``\\(..\\)``)
  is kept verbatim: pages render it and ``normalize.latex_to_text`` reads it for search.
- ``bibtexparser``'s name functions split an ``and``-separated list and a "von Last, Jr, First"
  name the way BibTeX does, braces and all.

What this module adds: speed and bounds around pylatexenc, which reads a character at a time
(~6 µs each, ~200 µs a call) and recurses once per group. Only the words that carry markup go
through it (grouped so that no brace group or formula is cut), all of a value's in one call; the
plain text between them is kept as it is, and words whose only markup is protective braces just
lose them. A batch too long (``MAX_LATEX_CHARS``) or too deep for pylatexenc goes to the linear
``normalize.latex_to_text`` instead. And the display-name assembly, including the
Google-Scholar habit of comma-separated name lists ("D. Silver, A. Huang, C. Maddison et al.").
"""

from __future__ import annotations

import functools
import re
import unicodedata

from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db
from pylatexenc.latexwalker import LatexWalker
from pylatexenc.latexwalker import get_default_latex_context_db as get_default_parsing_context

from ..normalize import latex_to_text

# Markup beyond this many characters in one value goes to the linear fallback.
MAX_LATEX_CHARS = 5_000

_CONTEXT = get_default_latex_context_db().filter_context()  # a copy we may extend
_CONTEXT.add_context_category(
    "paperatlas-bibtex",
    prepend=True,
    macros=[
        # pylatexenc drops \mbox's text; in titles it is ordinary text ("\mbox{-2}").
        MacroTextSpec("mbox", simplify_repl="%(1)s"),
        MacroTextSpec("hbox", simplify_repl="%(1)s"),
        MacroTextSpec("url", simplify_repl="%(1)s"),  # not "<url>"
        MacroTextSpec("hyphen", simplify_repl="-"),  # biblatex's breakable hyphen
    ],
)
_CONVERTER = LatexNodes2Text(latex_context=_CONTEXT, math_mode="verbatim", strict_latex_spaces=True)
# Built once: LatexNodes2Text.latex_to_text builds the parser's macro table on every call
# (~150 µs, most of the cost of a short value).
_PARSING_CONTEXT = get_default_parsing_context()

# Text with none of these is plain already (TeX would print it as it is, spaces aside).
_MARKUP = ("\\", "{", "}", "$", "~", "%", "`", "--", "''")
_UNESCAPED_PERCENT = re.compile(r"(?<!\\)%")
_SEPARATOR = "\x1f"  # between the pieces of one pylatexenc call; it comes out unchanged

# Braces and maths marks, which decide where a value may be cut. A backslash escapes a brace or
# a dollar (as in bibtexparser).
_STRUCTURE = re.compile(r"(?<!\\)(?:[{}]|\$\$?)|\\[()\[\]]")
_MARK = re.compile(r"[\\{}$~%`]|--|''")
_NEEDS_CONVERTER = re.compile(r"[\\$~%`]|--|''")
_PURE_MATH = re.compile(r"(\$\$?)[^$]+\1|\\\(.*?\\\)", re.DOTALL)  # kept verbatim anyway
_ENDS_IN_CONTROL = re.compile(r"\\(?:[A-Za-z]+|.)$", re.DOTALL)


def _has_markup(value: str) -> bool:
    return any(mark in value for mark in _MARKUP)  # substring scans: cheaper than a regex


def _marked_spans(value: str) -> list[tuple[int, int]]:
    """Spans of ``value`` (whitespace already collapsed to single spaces) that hold markup, each
    made of whole words and cut nowhere inside a brace group or a formula, nor between a control
    sequence and its argument (``\\emph {x}``, ``\\" a``). Text outside them is plain."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    depth, math = 0, False
    end = 0
    for m in _MARK.finditer(value):
        if m.start() < end:
            continue  # in a word already read
        word_start = value.rfind(" ", 0, m.start()) + 1
        end = value.find(" ", m.end())
        end = len(value) if end < 0 else end
        if start is None:
            start = word_start
        word = value[word_start:end]
        for s in _STRUCTURE.finditer(word):
            tok = s.group()
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth = max(depth - 1, 0)
            elif tok[0] == "$":
                math = not math
            else:  # \( \) \[ \]
                math = tok[1] in "(["
        if depth or math or _ENDS_IN_CONTROL.search(word[-40:]):
            continue
        spans.append((start, end))
        start = None
    if start is not None:
        spans.append((start, len(value)))
    return spans


def _unwrap(value: str) -> str:
    """``{...}`` around the whole value (title protection) removed, every layer of it, in one
    pass; "{A} and {B}" stays as it is."""
    value = value.strip()
    layers = min(len(value) - len(value.lstrip("{")), len(value) - len(value.rstrip("}")), len(value) // 2)
    if not layers:
        return value
    depth = 0
    for m in _STRUCTURE.finditer(value, 0, len(value) - layers):
        tok = m.group()
        if tok == "{":
            depth += 1
        elif tok == "}":
            depth -= 1
        if m.end() > layers:  # past the opening braces: are they all still open?
            layers = min(layers, depth)
    return value[layers : len(value) - layers].strip() if layers > 0 else value


def _convert(batch: str) -> str | None:
    """pylatexenc's text of ``batch``; None when it is too long or too deep for it."""
    if len(batch) > MAX_LATEX_CHARS:
        return None
    try:
        nodes = LatexWalker(batch, latex_context=_PARSING_CONTEXT, tolerant_parsing=True).get_latex_nodes()[0]
        text: str = _CONVERTER.nodelist_to_text(nodes)
    except RecursionError:  # groups or environments nested deeper than Python's stack
        return None
    except Exception:  # noqa: BLE001 - a converter bug must not lose the record
        return None
    return text


@functools.lru_cache(maxsize=8192)  # venues and journal names repeat across a file
def to_text(value: str) -> str:
    """Readable Unicode text of a BibTeX value: LaTeX converted, protective braces dropped,
    whitespace collapsed; maths kept as written. Never raises."""
    if not _has_markup(value):
        return " ".join(value.split())
    return unicodedata.normalize("NFC", _converted(value))


def _converted(value: str) -> str:
    value = _unwrap(" ".join(value.split()))  # TeX reads any run of whitespace as one space
    spans = _marked_spans(value)
    pieces = [value[a:b] for a, b in spans]
    todo = [i for i, piece in enumerate(pieces) if _NEEDS_CONVERTER.search(piece) and not _PURE_MATH.fullmatch(piece)]
    if todo:
        # In a .bib value "%" is a character, but LaTeX (and so pylatexenc) reads it as a comment.
        batch = _SEPARATOR.join(_UNESCAPED_PERCENT.sub(r"\\%", pieces[i]) for i in todo)
        converted = _convert(batch)
        if converted is None or converted.count(_SEPARATOR) != len(todo) - 1:
            return latex_to_text(value)
        for i, text in zip(todo, converted.split(_SEPARATOR)):
            pieces[i] = text
    done = set(todo)
    out: list[str] = []
    last = 0
    for i, (a, b) in enumerate(spans):
        out.append(value[last:a])
        out.append(pieces[i] if i in done else pieces[i].replace("{", "").replace("}", ""))
        last = b
    out.append(value[last:])
    return " ".join("".join(out).split())  # converted pieces may hold no-break spaces


_ET_AL = re.compile(r"\s*(?:,\s*)?\bet\s*\.?\s*al\b\.?\s*$", re.IGNORECASE)


def _depth0_commas(name: str) -> list[str]:
    """``name`` split on the commas outside braces."""
    if "," not in name:
        return [name]
    pieces, depth, start = [], 0, 0
    for i, ch in enumerate(name):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        elif ch == "," and depth == 0:
            pieces.append(name[start:i])
            start = i + 1
    pieces.append(name[start:])
    return pieces


def _display_name(name: str) -> str:
    """"First von Last Jr" of one BibTeX name, as text."""
    if len(_depth0_commas(name)) == 1:
        return to_text(name)  # already first-name-first ("Tim Rockt{\"{a}}schel", "{Google Research}")
    try:
        parts = parse_single_name_into_parts(name, strict=False)
    except Exception:  # noqa: BLE001 - an odd name is kept as written rather than lost
        return to_text(name)
    return to_text(" ".join(parts.first + parts.von + parts.last + parts.jr))


def split_names(value: str) -> tuple[list[str], bool]:
    """Display names of a BibTeX name list, and whether it ended in ``and others`` (or
    "et al."). Handles "Last, First", "First Last", "{Bengio}, Yoshua", "von Last, Jr, First",
    corporate names in braces, LaTeX accents, and comma-separated lists written as one name."""
    names: list[str] = []
    others = False
    for raw in split_multiple_persons_names(value):
        raw = " ".join(raw.split())
        if raw.lower().strip(".") in ("others", "et al", "al"):
            others = True
            continue
        if _ET_AL.search(raw):
            others = True
            raw = _ET_AL.sub("", raw)
        pieces = [p.strip() for p in _depth0_commas(raw)]
        # "D. Silver, A. Huang, C. Maddison": three or more pieces of two or more words each is
        # a list, not "von Last, Jr, First" (whose Jr and First parts are short).
        candidates = pieces if len(pieces) >= 3 and all(len(p.split()) >= 2 for p in pieces) else [raw]
        for candidate in candidates:
            shown = _display_name(candidate.strip().rstrip(","))
            if shown:
                names.append(shown)
    return names, others
