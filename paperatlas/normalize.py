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


def clean_ws(text: str) -> str:
    """Collapse runs of whitespace (incl. NBSP, zero-width) to one space; strip the ends."""
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
_LATEX_MARK = re.compile(r"[\\{}$`~]|--|''")
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
    if not _LATEX_MARK.search(text):  # most titles and abstracts: nothing to translate
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


def _key(text: str) -> str:
    # casefold before NFKD: casefolding can itself produce combining marks ("İ" -> "i̇").
    s = latex_to_text(text).casefold()
    if not s.isascii():  # most titles are ASCII: skip the per-character pass
        s = unicodedata.normalize("NFKD", s)
        s = "".join(c for c in s if not unicodedata.combining(c))
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

    code: list[str] = []
    for url in rec.code_urls:
        # An existing URL that is not on a known host (a project page) is still kept as given.
        code.extend(extract_code_urls(url) or [clean_ws(url)])
    code.extend(extract_code_urls(rec.abstract))
    for link in rec.links.values():
        if isinstance(link, str):
            code.extend(extract_code_urls(link))
    rec.code_urls = _dedupe([u for u in code if u])

    links = [v for v in rec.links.values() if isinstance(v, str)]
    rec.ids = {**extract_ids(*links, rec.abstract), **rec.ids}

    if is_code_anonymized(rec.abstract) and "code-anonymized" not in rec.flags:
        rec.flags.append("code-anonymized")
    return rec
