"""LaTeX-bearing titles and abstracts as readable plain text, for search and matching keys.
Display keeps the LaTeX (the page renders it); this is what search indexes and what
``title_key`` folds.

A single linear scan over tokens, not a TeX interpreter: unknown macros vanish and their
braced arguments are kept as text.

Every function here must accept any string without raising, and run in (near) linear time:
sources are scraped pages and their text is hostile by accident.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from .whitespace import clean_ws

_GREEK_NAMES = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi",
    "psi", "omega",
]
_SYMBOLS: dict[str, str] = {n: c for n, c in zip(_GREEK_NAMES, "αβγδεζηθικλμνξοπρστυφχψω")}
_SYMBOLS |= {n.capitalize(): c for n, c in zip(_GREEK_NAMES, "ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ")}
_SYMBOLS |= {
    "varepsilon": "ε", "vartheta": "ϑ", "varphi": "φ", "varrho": "ϱ", "varsigma": "ς",
    "varpi": "ϖ", "varkappa": "ϰ", "ell": "ℓ", "infty": "∞", "times": "×", "cdot": "·",
    "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠", "approx": "≈",
    "sim": "∼", "simeq": "≃", "equiv": "≡", "propto": "∝", "pm": "±", "mp": "∓", "ll": "≪",
    "gg": "≫", "to": "→", "rightarrow": "→", "leftarrow": "←", "leftrightarrow": "↔",
    "Rightarrow": "⇒", "Leftarrow": "⇐", "Leftrightarrow": "⇔", "mapsto": "↦", "in": "∈",
    "notin": "∉", "subset": "⊂", "subseteq": "⊆", "supset": "⊃", "cup": "∪", "cap": "∩",
    "forall": "∀", "exists": "∃", "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏",
    "int": "∫", "sqrt": "√", "perp": "⊥", "top": "⊤", "mid": "|", "circ": "∘", "star": "⋆",
    "ast": "∗", "emptyset": "∅", "langle": "⟨", "rangle": "⟩", "prime": "′", "dagger": "†",
    "ldots": "…", "dots": "…", "cdots": "⋯", "S": "§", "P": "¶", "copyright": "©",
    "textasciitilde": "~", "textbackslash": "\\", "textendash": "–", "textemdash": "—",
    "LaTeX": "LaTeX", "TeX": "TeX", "eg": "e.g.", "ie": "i.e.", "etal": "et al.",
    # Letters that have no composed accent form in LaTeX.
    "L": "Ł", "l": "ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ",
    "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı", "j": "ȷ",
}
# Operator names are words, not markup: "\log t" must stay "log t".
_SYMBOLS |= {n: n for n in ("log", "exp", "min", "max", "sup", "inf", "sin", "cos", "tan", "lim",
                            "arg", "argmin", "argmax", "det")}
_ACCENTS = {
    '"': "\u0308", "'": "\u0301", "`": "\u0300", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "c": "\u0327", "v": "\u030c", "u": "\u0306", "H": "\u030b", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}
# Commands whose argument is machinery (a label, a citation key), not readable text.
_DISCARD_ARG = {"begin", "end", "label", "ref", "eqref", "cite", "citep", "citet", "vspace",
                "hspace", "includegraphics", "bibliography", "bibliographystyle", "textcolor",
                "color"}
# Control symbols: \& and friends are the character, \, \; \\ are spacing, \! \- \/ are nothing.
_SYMBOL_TEXT = {c: " " for c in ",;: \t\n\r\\"} | {"!": "", "-": "", "/": "", "|": "‖"}

# Plain runs are one token so ordinary prose costs one regex step, not one per character.
_TOKEN = re.compile(
    r"(?P<text>[^\\{}$`'~\-_^]+)|(?P<word>\\[A-Za-z]+\*?)|(?P<sym>\\.)|(?P<dollar>\$\$?)"
    r"|(?P<dash>-{2,3})|(?P<quote>``|''|`)|(?P<braces>[{}]+)|(?P<other>.)",
    re.DOTALL,
)
# Text with none of these is returned as it is (whitespace cleaned) by latex_to_text.
_LATEX_MARKS = ("\\", "{", "}", "$", "`", "~", "--", "''")


def _has_latex(text: str) -> bool:
    return any(mark in text for mark in _LATEX_MARKS)  # substring scans: far faster than a regex
_BRACE = re.compile(r"\\.|[{}]", re.DOTALL)
# Bounded so that an unclosed "[" cannot make every later command rescan the rest of the text.
_OPTION = re.compile(r"\s*\[[^\]]{0,200}\]")
_CONTROL_WORD = re.compile(r"\s*\\(?:[A-Za-z]+|.)", re.DOTALL)


def _read_raw_arg(text: str, pos: int) -> tuple[str | None, int]:
    """The next brace argument, verbatim (URLs keep their `_`, `~`, `%`), after any [options].
    Unclosed reads to the end; skipping it whole keeps the scan linear."""
    while m := _OPTION.match(text, pos):
        pos = m.end()
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text) or text[pos] != "{":
        return None, pos
    depth = 0
    for m in _BRACE.finditer(text, pos):
        depth += {"{": 1, "}": -1}.get(m.group(), 0)
        if depth == 0:
            return text[pos + 1:m.start()], m.end()
    return text[pos + 1:], len(text)


def _is_js(url: str) -> bool:
    return re.sub(r"\s+", "", url[:40]).lower().startswith("javascript:")


class _Out:
    """Output pieces plus an accent waiting for the next letter."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.accent: str | None = None

    def emit(self, s: str) -> None:
        if self.accent is None:
            if s:
                self.pieces.append(s)
            return
        s = s.lstrip()  # TeX skips spaces before an accent's argument
        if not s:
            return
        first = "i" if s[0] == "ı" else s[0]  # \'\i means í
        if first.isalpha():
            s = unicodedata.normalize("NFC", first + self.accent) + s[1:]
        self.accent = None
        self.pieces.append(s)


def latex_to_text(text: str) -> str:
    """Readable plain text for search from LaTeX-bearing text: ``$\\ell_1$`` -> ``ℓ1``,
    ``\\emph{x}`` -> ``x``, ``` ``x'' ``` -> ``"x"``, ``\\url{u}`` -> ``u``, accents, ``--``."""
    if not _has_latex(text):  # most titles and abstracts: nothing to translate
        return clean_ws(text)
    out = _Out()
    # Open braces that do something when closed: [kind, output length at the brace, plain braces
    # opened inside it]. Plain braces are only counted: brace soup costs no regex steps.
    frames: list[list[Any]] = [["top", 0, 0]]
    pending: str | None = None  # what the next "{" opens, set by \frac and \href
    math = False
    pos, n = 0, len(text)
    while pos < n:
        m = _TOKEN.match(text, pos)
        if m is None:  # unreachable (the last branch matches any char); never loop forever
            break
        pos = m.end()
        kind, tok = m.lastgroup, m.group()
        opens, pending = pending, None
        if kind == "text":
            if opens and tok.isspace():
                pending = opens
            out.emit(tok)
        elif kind == "word":
            name = tok[1:].rstrip("*")
            if name in _ACCENTS:
                out.accent = _ACCENTS[name]
            elif name in _SYMBOLS:
                out.emit(_SYMBOLS[name])
            elif name == "url":
                url, pos = _read_raw_arg(text, pos)
                if url and not _is_js(url):
                    out.emit(url.strip())
            elif name == "href":
                _, pos = _read_raw_arg(text, pos)  # the target; the shown text follows
                pending = "href"
            elif name in _DISCARD_ARG:
                _, pos = _read_raw_arg(text, pos)
            elif name in ("newcommand", "renewcommand", "providecommand", "DeclareMathOperator"):
                # A macro definition: its name (bare or braced), [arity], then the body.
                m = _CONTROL_WORD.match(text, pos)
                pos = _read_raw_arg(text, m.end() if m else _read_raw_arg(text, pos)[1])[1]
            elif name in ("frac", "dfrac", "tfrac"):
                pending = "frac"
            # Any other command (\emph, \mathcal, \textbf, unknown macros) vanishes; its braced
            # argument is ordinary text to this loop and so is kept.
        elif kind == "sym":
            c = tok[1]
            if c in _ACCENTS:
                out.accent = _ACCENTS[c]
            elif c in "()[]":  # \( \) \[ \] delimit math like $
                math = c in "(["
            else:
                out.emit(_SYMBOL_TEXT.get(c, c))
        elif kind == "dollar":
            math = not math
        elif kind == "dash":
            out.emit("—" if len(tok) == 3 else "–")
        elif kind == "quote":
            out.emit("'" if tok == "`" else '"')
        elif kind == "braces":
            for brace in tok:
                top = frames[-1]
                if brace == "{" and opens:
                    frames.append([opens, len(out.pieces), 0])
                    opens = None
                elif brace == "{":
                    top[2] += 1
                elif top[2]:
                    top[2] -= 1
                elif len(frames) > 1:  # a stray closing brace at the top is dropped
                    _close_group(out, *frames.pop()[:2])
        elif tok == "~":
            out.emit(" ")
        elif tok in "_^":
            # Sub/superscript markers only mean something in math; elsewhere (identifiers,
            # URLs) the character is the text.
            if not (math and pos < n and not text[pos].isspace()):
                out.emit(tok)
        elif tok != "\\":  # a lone trailing backslash is dropped
            out.emit(tok)
    return clean_ws("".join(out.pieces))


def _close_group(out: _Out, kind: str, mark: int) -> None:
    if kind == "frac":
        out.emit("/")
    elif kind == "href" and _is_js("".join(out.pieces[mark:mark + 40])):
        del out.pieces[mark:]
