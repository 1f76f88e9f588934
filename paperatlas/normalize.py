"""Clean forms of what sources say, for matching and display. The original text is never lost:
parsers keep it, these functions derive from it. Shared by every parser and by the catalog.

Every function here must accept any string without raising, and run in (near) linear time:
sources are scraped pages and their text is hostile by accident.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

from .models import Record

# Zero-width characters are not str.isspace(), but scraped pages use them as spacing.
_WS = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")


def clean_ws(text: str) -> str:
    """Collapse runs of whitespace (incl. NBSP, zero-width) to one space; strip the ends."""
    if text.isascii() or not any(z in text for z in _ZERO_WIDTH):
        return " ".join(text.split())  # str.split() knows every Unicode space but zero-width ones
    return _WS.sub(" ", text).strip()


# --- LaTeX -------------------------------------------------------------------------------------

_GREEK_NAMES = (
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho "
    "sigma tau upsilon phi chi psi omega"
).split()
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
_SYMBOLS |= {n: n for n in "log exp min max sup inf sin cos tan lim arg argmin argmax det".split()}
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
    re.S,
)
# Text with none of these is returned as it is (whitespace cleaned) by latex_to_text.
_LATEX_MARKS = ("\\", "{", "}", "$", "`", "~", "--", "''")


def _has_latex(text: str) -> bool:
    return any(mark in text for mark in _LATEX_MARKS)  # substring scans: far faster than a regex
_BRACE = re.compile(r"\\.|[{}]", re.S)
# Bounded so that an unclosed "[" cannot make every later command rescan the rest of the text.
_OPTION = re.compile(r"\s*\[[^\]]{0,200}\]")
_CONTROL_WORD = re.compile(r"\s*\\(?:[A-Za-z]+|.)", re.S)


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
    frames: list[list] = [["top", 0, 0]]
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


# --- keys --------------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[\W_]+")
# Every code point with a non-zero unicodedata.combining() class (Unicode 14.0.0; a test checks
# it against unicodedata), as a str.translate table: ten times faster than a regex or a loop.
_COMBINING_RANGES = (
    (0x300, 0x34e), (0x350, 0x36f), (0x483, 0x487), (0x591, 0x5bd), (0x5bf, 0x5bf),
    (0x5c1, 0x5c2), (0x5c4, 0x5c5), (0x5c7, 0x5c7), (0x610, 0x61a), (0x64b, 0x65f),
    (0x670, 0x670), (0x6d6, 0x6dc), (0x6df, 0x6e4), (0x6e7, 0x6e8), (0x6ea, 0x6ed),
    (0x711, 0x711), (0x730, 0x74a), (0x7eb, 0x7f3), (0x7fd, 0x7fd), (0x816, 0x819),
    (0x81b, 0x823), (0x825, 0x827), (0x829, 0x82d), (0x859, 0x85b), (0x898, 0x89f),
    (0x8ca, 0x8e1), (0x8e3, 0x8ff), (0x93c, 0x93c), (0x94d, 0x94d), (0x951, 0x954),
    (0x9bc, 0x9bc), (0x9cd, 0x9cd), (0x9fe, 0x9fe), (0xa3c, 0xa3c), (0xa4d, 0xa4d),
    (0xabc, 0xabc), (0xacd, 0xacd), (0xb3c, 0xb3c), (0xb4d, 0xb4d), (0xbcd, 0xbcd),
    (0xc3c, 0xc3c), (0xc4d, 0xc4d), (0xc55, 0xc56), (0xcbc, 0xcbc), (0xccd, 0xccd),
    (0xd3b, 0xd3c), (0xd4d, 0xd4d), (0xdca, 0xdca), (0xe38, 0xe3a), (0xe48, 0xe4b),
    (0xeb8, 0xeba), (0xec8, 0xecb), (0xf18, 0xf19), (0xf35, 0xf35), (0xf37, 0xf37),
    (0xf39, 0xf39), (0xf71, 0xf72), (0xf74, 0xf74), (0xf7a, 0xf7d), (0xf80, 0xf80),
    (0xf82, 0xf84), (0xf86, 0xf87), (0xfc6, 0xfc6), (0x1037, 0x1037), (0x1039, 0x103a),
    (0x108d, 0x108d), (0x135d, 0x135f), (0x1714, 0x1715), (0x1734, 0x1734), (0x17d2, 0x17d2),
    (0x17dd, 0x17dd), (0x18a9, 0x18a9), (0x1939, 0x193b), (0x1a17, 0x1a18), (0x1a60, 0x1a60),
    (0x1a75, 0x1a7c), (0x1a7f, 0x1a7f), (0x1ab0, 0x1abd), (0x1abf, 0x1ace), (0x1b34, 0x1b34),
    (0x1b44, 0x1b44), (0x1b6b, 0x1b73), (0x1baa, 0x1bab), (0x1be6, 0x1be6), (0x1bf2, 0x1bf3),
    (0x1c37, 0x1c37), (0x1cd0, 0x1cd2), (0x1cd4, 0x1ce0), (0x1ce2, 0x1ce8), (0x1ced, 0x1ced),
    (0x1cf4, 0x1cf4), (0x1cf8, 0x1cf9), (0x1dc0, 0x1dff), (0x20d0, 0x20dc), (0x20e1, 0x20e1),
    (0x20e5, 0x20f0), (0x2cef, 0x2cf1), (0x2d7f, 0x2d7f), (0x2de0, 0x2dff), (0x302a, 0x302f),
    (0x3099, 0x309a), (0xa66f, 0xa66f), (0xa674, 0xa67d), (0xa69e, 0xa69f), (0xa6f0, 0xa6f1),
    (0xa806, 0xa806), (0xa82c, 0xa82c), (0xa8c4, 0xa8c4), (0xa8e0, 0xa8f1), (0xa92b, 0xa92d),
    (0xa953, 0xa953), (0xa9b3, 0xa9b3), (0xa9c0, 0xa9c0), (0xaab0, 0xaab0), (0xaab2, 0xaab4),
    (0xaab7, 0xaab8), (0xaabe, 0xaabf), (0xaac1, 0xaac1), (0xaaf6, 0xaaf6), (0xabed, 0xabed),
    (0xfb1e, 0xfb1e), (0xfe20, 0xfe2f), (0x101fd, 0x101fd), (0x102e0, 0x102e0),
    (0x10376, 0x1037a), (0x10a0d, 0x10a0d), (0x10a0f, 0x10a0f), (0x10a38, 0x10a3a),
    (0x10a3f, 0x10a3f), (0x10ae5, 0x10ae6), (0x10d24, 0x10d27), (0x10eab, 0x10eac),
    (0x10f46, 0x10f50), (0x10f82, 0x10f85), (0x11046, 0x11046), (0x11070, 0x11070),
    (0x1107f, 0x1107f), (0x110b9, 0x110ba), (0x11100, 0x11102), (0x11133, 0x11134),
    (0x11173, 0x11173), (0x111c0, 0x111c0), (0x111ca, 0x111ca), (0x11235, 0x11236),
    (0x112e9, 0x112ea), (0x1133b, 0x1133c), (0x1134d, 0x1134d), (0x11366, 0x1136c),
    (0x11370, 0x11374), (0x11442, 0x11442), (0x11446, 0x11446), (0x1145e, 0x1145e),
    (0x114c2, 0x114c3), (0x115bf, 0x115c0), (0x1163f, 0x1163f), (0x116b6, 0x116b7),
    (0x1172b, 0x1172b), (0x11839, 0x1183a), (0x1193d, 0x1193e), (0x11943, 0x11943),
    (0x119e0, 0x119e0), (0x11a34, 0x11a34), (0x11a47, 0x11a47), (0x11a99, 0x11a99),
    (0x11c3f, 0x11c3f), (0x11d42, 0x11d42), (0x11d44, 0x11d45), (0x11d97, 0x11d97),
    (0x16af0, 0x16af4), (0x16b30, 0x16b36), (0x16ff0, 0x16ff1), (0x1bc9e, 0x1bc9e),
    (0x1d165, 0x1d169), (0x1d16d, 0x1d172), (0x1d17b, 0x1d182), (0x1d185, 0x1d18b),
    (0x1d1aa, 0x1d1ad), (0x1d242, 0x1d244), (0x1e000, 0x1e006), (0x1e008, 0x1e018),
    (0x1e01b, 0x1e021), (0x1e023, 0x1e024), (0x1e026, 0x1e02a), (0x1e130, 0x1e136),
    (0x1e2ae, 0x1e2ae), (0x1e2ec, 0x1e2ef), (0x1e8d0, 0x1e8d6), (0x1e944, 0x1e94a),
)
_COMBINING = {cp: None for start, end in _COMBINING_RANGES for cp in range(start, end + 1)}


def _key(text: str) -> str:
    # casefold before NFKD: casefolding can itself produce combining marks ("İ" -> "i̇").
    s = latex_to_text(text).casefold()
    if not s.isascii():  # most titles are ASCII: skip the per-character pass
        s = unicodedata.normalize("NFKD", s).translate(_COMBINING)
    return _NON_ALNUM.sub(" ", s).strip()


def title_key(title: str) -> str:
    """Matching key: latex_to_text, NFKD without accents, casefolded, only [a-z0-9] words joined by
    single spaces. "REVISITING PRUNING ..." and "Revisiting Pruning ..." give the same key."""
    return _key(title)


def abstract_key(abstract: str) -> str:
    """Matching key for abstracts: like title_key over the first 60 words (pages truncate ends)."""
    return " ".join(_key(abstract).split()[:60])


# --- authors -----------------------------------------------------------------------------------

_STRONG_SEP = re.compile(r"[;\u00b7\u2022\u2219\u22c5]")
_AND_SEP = re.compile(r"\s+and\s+|\s*&\s*")


def split_authors(text: str) -> list[str]:
    """Split an author string on `;`, ` · `, `,` or ` and ` (whichever the string uses)."""
    text = clean_ws(text)
    if _STRONG_SEP.search(text):
        # A list that uses `;` or `·` may keep commas inside names ("Smith, Jr.").
        parts = _STRONG_SEP.split(text)
    else:
        parts = [p for chunk in text.split(",") for p in _AND_SEP.split(chunk)]
        # "A, B, and C": the Oxford comma leaves "and C" behind.
        parts = [re.sub(r"^(?:and|&)\s+", "", p.strip()) for p in parts]
    # A piece with no letter or digit is separator debris (" ; , "), never a name.
    return [name for name in (clean_ws(p) for p in parts) if any(c.isalnum() for c in name)]


def repair_doubled_name(name: str) -> tuple[str, bool]:
    """"Kumar Pratik Kumar Pratik" -> ("Kumar Pratik", True); "Yu Yu", "Li Li" stay (False)."""
    tokens = name.split()
    folded, half = [t.casefold() for t in tokens], len(tokens) // 2
    # Two tokens repeated ("Yu Yu", "Wei Wei") are real names; only longer repeats are page bugs.
    if half >= 2 and len(tokens) % 2 == 0 and folded[:half] == folded[half:]:
        return " ".join(tokens[:half]), True
    return name, False


# --- code URLs ---------------------------------------------------------------------------------

_CODE_URL = re.compile(
    r"(?<![\w@.-])(?:https?://)?(?:www\.)?"
    r"(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org|huggingface\.co|hf\.co"
    r"|sourceforge\.net)"
    r"(?![\w.-])(/[^\s<>\"'(){}\[\]\\|^`,;]*)?",
    re.I,
)
_SEGMENT = re.compile(r"[A-Za-z0-9_.-]+")
_TRAILING = ".:!?'\"…*"
# First path segments on huggingface.co that are site pages, not model repositories.
_HF_PAGES = {"papers", "docs", "blog", "learn", "collections", "posts", "join", "login",
             "pricing", "tasks", "organizations", "settings", "chat"}


def _segment(seg: str) -> str:
    m = _SEGMENT.match(seg)
    return m.group().rstrip(".") if m else ""


def _code_url(host: str, path: str) -> str | None:
    host = host.lower()
    segs = [s for s in re.split(r"[?#]", path, maxsplit=1)[0].rstrip(_TRAILING).split("/") if s]
    if not segs:
        return None
    if host in ("huggingface.co", "hf.co"):
        kind = segs[0].lower()
        if kind in _HF_PAGES or len(segs) < (3 if kind in ("datasets", "spaces", "models") else 2):
            return None
        return "https://huggingface.co/" + "/".join(segs).rstrip(_TRAILING)
    if host == "sourceforge.net":
        if len(segs) >= 2 and segs[0].lower() in ("projects", "p") and _segment(segs[1]):
            return f"https://sourceforge.net/projects/{_segment(segs[1])}"
        return None
    owner = _segment(segs[0])
    if not owner:
        return None
    repo = _segment(segs[1]) if len(segs) > 1 else ""
    if repo.lower().endswith(".git"):
        repo = repo[:-4]
    return f"https://{host}/{owner}/{repo}" if repo else f"https://{host}/{owner}"


_CODE_HOST_WORDS = ("github", "gitlab", "bitbucket", "codeberg", "huggingface", "hf.co", "sourceforge")


def extract_code_urls(text: str) -> list[str]:
    """Code repository URLs (github/gitlab/bitbucket/huggingface/codeberg...) found in text,
    normalised to https://host/owner/repo, in order, without duplicates."""
    found: dict[str, str] = {}  # hosts treat owner/repo case-insensitively
    lower = text.lower()
    if not any(host in lower for host in _CODE_HOST_WORDS):  # the common case, cheaply
        return []
    for m in _CODE_URL.finditer(text):
        url = _code_url(m.group(1), m.group(2) or "")
        if url and url.lower() not in found:
            found[url.lower()] = url
    return list(found.values())


_ANON = re.compile(
    r"anonymous\.4open\.science|https?://(?:www\.)?anonym|github\.com/anonym"
    r"|\banonym(?:ous|i[sz]ed)\s+(?:github|gitlab|repo|repository|link|url|code|page|site"
    r"|website)\b"
    r"|\b(?:code|codes|implementation|repository|repo|github|source)\b[^.!?]{0,120}?\banonym",
    re.I,
)


def is_code_anonymized(text: str) -> bool:
    """True when the text promises code at an anonymised location ("code available at anonymized")."""
    return "anonym" in text.lower() and _ANON.search(text) is not None


# --- identifiers -------------------------------------------------------------------------------

# Forum ids only: openreview.net/pdf/<sha>.pdf names a file, not a forum.
_OPENREVIEW = re.compile(
    r"openreview\.net/(?:forum|pdf|attachment)/?\?(?:[^\s#\"'<>]{0,300}?&)?id=([A-Za-z0-9_-]+)",
    re.I,
)
_ARXIV_NEW = r"(\d{2}(?:0[1-9]|1[0-2])\.\d{4,5})(?:v\d+)?(?!\d)"
_ARXIV_OLD = r"([a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?(?!\d)"
# Bare numbers look like arXiv ids all too often, so only trusted prefixes count.
_ARXIV_PREFIX = (r"(?:arxiv\.org/(?:abs|pdf|html|format)/|arxiv:\s*|papers\.cool/arxiv/"
                 r"|(?:huggingface|hf)\.co/papers/|10\.48550/arxiv\.)")
_ARXIV = re.compile(_ARXIV_PREFIX + "(?:" + _ARXIV_NEW + "|" + _ARXIV_OLD + ")", re.I)
# Length-bounded: real DOIs are short, and a bound keeps junk input linear.
_DOI = re.compile(r"(?<![\w.])(10\.\d{4,9}/[^\s\"<>{}]{1,300})")


def _clean_doi(doi: str) -> str:
    doi = unquote(doi).rstrip(".,;:'\"")
    if doi.lower().endswith(".pdf"):  # a publisher's PDF URL: .../pdf/10.1007/978-3-030-1_1.pdf
        doi = doi[:-4]
    # A closing bracket belongs to the DOI only when the DOI opened it: "10.1016/S0(02)00013-3".
    while doi and doi[-1] in ")]":
        if doi.count(doi[-1]) <= doi.count("(" if doi[-1] == ")" else "["):
            break
        doi = doi[:-1].rstrip(".,;:'\"")
    return doi.lower()


def extract_ids(*texts: str) -> dict[str, str]:
    """Strong ids found in URLs/text: ``openreview`` forum id, ``arxiv`` id (version stripped),
    ``doi`` (lower-cased)."""
    ids: dict[str, str] = {}
    for text in texts:
        if not isinstance(text, str) or not text:
            continue
        lower = text.lower()  # substring checks first: the regexes are the slow part
        if "openreview" not in ids and "openreview" in lower and (m := _OPENREVIEW.search(text)):
            ids["openreview"] = m.group(1)
        if "arxiv" not in ids and ("arxiv" in lower or "/papers/" in lower) and (m := _ARXIV.search(text)):
            ids["arxiv"] = m.group(1) or m.group(2)
        if "doi" not in ids and "10." in text:
            for m in _DOI.finditer(text):
                doi = _clean_doi(m.group(1))
                if not doi.endswith("/"):
                    ids["doi"] = doi
                    break
    return ids


# --- records -----------------------------------------------------------------------------------


def _clean_optional(value: str | None) -> str | None:
    return (clean_ws(value) or None) if value is not None else None


def _dedupe(items: list[str], key=str.casefold) -> list[str]:
    kept: dict[str, str] = {}
    for item in items:
        kept.setdefault(key(item), item)
    return list(kept.values())


def _clean_authors(rec: Record) -> list[str]:
    authors = []
    for raw in rec.authors:
        name = clean_ws(raw)
        if not name:
            continue
        fixed, repaired = repair_doubled_name(name)
        if repaired:
            rec.warn(f'author name "{name}" looks doubled by the page; kept "{fixed}"')
        authors.append(fixed)
    return _dedupe(authors, key=lambda a: a)


_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.-]*):")


def _is_web_url(url: str, rec: Record) -> bool:
    """A link is an http(s) address or has no scheme ("github.com/x", "/pdf/1.pdf"); a
    "javascript:" or "data:" URL from a hostile file is dropped with a warning."""
    m = _SCHEME.match(url)
    if m is None or m.group(1).lower() in ("http", "https"):
        return True
    rec.warn(f"dropped a link that is not an http(s) address: {url[:60]!r}")
    return False


def _web_links(rec: Record) -> dict[str, str]:
    return {
        kind: url
        for kind, url in rec.links.items()
        if isinstance(url, str) and url.strip() and _is_web_url(url, rec)
    }


def clean_record(rec: Record) -> Record:
    """Normalise a parsed record in place and return it: whitespace in every text field, authors
    cleaned and doubled names repaired (with a warning on the record), code URLs and ids extracted
    from links/abstract, "code-anonymized" flag. Keeps LaTeX in title/abstract (display renders it)."""
    rec.title = clean_ws(rec.title or "")
    rec.abstract = clean_ws(rec.abstract or "")
    rec.venue = _clean_optional(rec.venue)
    rec.track = _clean_optional(rec.track)
    rec.session = _clean_optional(rec.session)
    rec.keywords = _dedupe([k for k in (clean_ws(k) for k in rec.keywords) if k])
    rec.authors = _clean_authors(rec)

    rec.links = _web_links(rec)
    code: list[str] = []
    for url in rec.code_urls:
        # An existing URL that is not on a known host (a project page) is still kept as given.
        code.extend(extract_code_urls(url) or [clean_ws(url)])
    code.extend(extract_code_urls(rec.abstract))
    for link in rec.links.values():
        if isinstance(link, str):
            code.extend(extract_code_urls(link))
    rec.code_urls = _dedupe([u for u in code if u and _is_web_url(u, rec)])

    links = [v for v in rec.links.values() if isinstance(v, str)]
    rec.ids = {**extract_ids(*links, rec.abstract), **rec.ids}

    if is_code_anonymized(rec.abstract) and "code-anonymized" not in rec.flags:
        rec.flags.append("code-anonymized")
    return rec
