"""A forgiving parser of what people type into a search box. Pure functions, no I/O.

``parse_query(text)`` never raises. It understands:

- plain words: optional terms, OR-ed and ranked by BM25 (a paper matching more ranks higher);
- ``"quoted phrases"``: required, words adjacent and in order; an unbalanced quote runs to the end;
- ``-word``, ``-"a phrase"``, ``NOT word``: excluded;
- ``+word``, ``word AND word``: required; ``OR`` is what happens anyway and is dropped;
- ``title:``, ``abstract:``, ``author:``, ``keyword:`` (a word or a quoted phrase): required in
  that field; ``venue:``, ``track:``, ``session:``, ``year:`` (``2023``, ``2020-2023``,
  ``2020..2023``, ``>=2021``, ``<2020``) narrow like filters; so does ``topic:`` (a topic of the
  stored topic maps: ``topic:"policy, reinforcement, rl"``, ``topic:reinforcement``, ``topic:#3``;
  ``services.topics`` resolves it). ``field: value`` with a space works.
  An unknown ``name:value`` is plain text (``arXiv:2301.00001`` searches its words).

Operators count only in capitals (``AND``/``OR``/``NOT``); ``and``/``or``/``not`` are words.
Words are tokenised the way the keyword index tokenises (lowercase, split on anything that is
not a Unicode letter or digit): ``c++`` is ``c``, ``α-β`` is ``α`` and ``β``. A word that splits
into several tokens (``self-supervised``) gives its tokens as terms and is also kept in
``compounds`` so the searcher can reward the tokens side by side. Input is cut to
``MAX_CHARS`` characters and ``MAX_TERMS`` tokens, so 10 KB of junk costs microseconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_CHARS = 1000
MAX_TERMS = 64
MAX_TOKEN_CHARS = 40  # the index drops longer tokens (tantivy remove_long(40))

# Small English list (Lucene's): dropped from the optional terms when other terms remain.
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then"
    " there these they this to was will with".split()
)

TEXT_FIELDS = {
    "title": "title",
    "ti": "title",
    "abstract": "abstract",
    "abs": "abstract",
    "author": "authors",
    "authors": "authors",
    "au": "authors",
    "by": "authors",
    "keyword": "keywords",
    "keywords": "keywords",
    "kw": "keywords",
}
FILTER_FIELDS = {
    "venue": "venue", "track": "track", "decision": "track", "session": "session", "year": "year", "topic": "topic",
}

_TOKEN = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"^\s*(>=|<=|>|<|=)?\s*(\d{4})\s*(?:(?:-|–|\.\.|to)\s*(\d{4}))?\s*$")


def tokenize(text: str) -> list[str]:
    """Lowercase Unicode letter/digit runs, as the index's tokenizer sees words."""
    return [t for t in _TOKEN.findall(text.lower()) if len(t) <= MAX_TOKEN_CHARS]


@dataclass
class ParsedQuery:
    raw: str
    terms: list[str] = field(default_factory=list)  # optional, OR-ed
    phrases: list[list[str]] = field(default_factory=list)  # required, exact order
    required: list[str] = field(default_factory=list)  # required single tokens
    excluded: list[str] = field(default_factory=list)  # excluded single tokens
    excluded_phrases: list[list[str]] = field(default_factory=list)
    compounds: list[list[str]] = field(default_factory=list)  # self-supervised: rank adjacency up
    fielded: list[tuple[str, list[str]]] = field(default_factory=list)  # (index field, tokens), required
    venue: str | None = None
    track: str | None = None
    session: str | None = None
    topic: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    notes: list[str] = field(default_factory=list)  # what was ignored or cut, for the user

    @property
    def positive(self) -> bool:
        """Whether anything asks for matching text (not just exclusions or filters)."""
        return bool(self.terms or self.phrases or self.required or self.fielded)

    @property
    def has_filters(self) -> bool:
        return any(
            v is not None for v in (self.venue, self.track, self.session, self.topic, self.year_from, self.year_to)
        )

    def words(self) -> list[str]:
        """Every positive token once, in order (for highlighting and 'why it matched')."""
        seen: dict[str, None] = {}
        for tok in [*self.terms, *self.required, *(t for p in self.phrases for t in p),
                    *(t for _, toks in self.fielded if _ != "authors" for t in toks)]:
            seen.setdefault(tok, None)
        return list(seen)


# Lexing: a list of items, each (kind, text, prefix) with kind "word" | "phrase" | "op" and
# prefix "" | "-" | "+" | a field name.


@dataclass
class _Item:
    kind: str  # "word" | "phrase" | "op"
    text: str
    sign: str = ""  # "" | "-" | "+"
    field: str | None = None  # a key of TEXT_FIELDS or FILTER_FIELDS


_OPS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "&&": "AND", "||": "OR", "!": "NOT"}
_FIELD_PREFIX = re.compile(r"^([A-Za-z]+):(.*)$", re.S)


def _lex(text: str) -> list[_Item]:
    items: list[_Item] = []
    pending_sign = ""
    pending_field: str | None = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            # "title: graph" applies the field to the next word; a sign alone ("- x") is dropped
            pending_sign = ""
            continue
        if ch in "\"“”„«»":
            j = i + 1
            while j < n and text[j] not in "\"“”„«»":
                j += 1
            items.append(_Item("phrase", text[i + 1 : j], pending_sign, pending_field))
            pending_sign, pending_field = "", None
            i = j + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in "\"“”„«»":
            j += 1
        word = text[i:j]
        i = j
        if word in _OPS and not pending_sign and pending_field is None:
            items.append(_Item("op", _OPS[word]))
            continue
        word = word.strip("()[]{}")
        while word[:1] in ("-", "+", "!") and word:
            pending_sign = "-" if word[0] in "-!" else (pending_sign or "+")
            word = word[1:].lstrip("()[]{}")
        m = _FIELD_PREFIX.match(word)
        if m and m.group(1).lower() in TEXT_FIELDS | FILTER_FIELDS:
            pending_field = m.group(1).lower()
            word = m.group(2)
            if not word:
                # value follows: a quoted phrase right after, or the next word after a space
                continue
        if not word:
            continue  # "-" or "+" right before a quote: the sign belongs to the phrase
        items.append(_Item("word", word, pending_sign, pending_field))
        pending_sign, pending_field = "", None
    return items


def parse_query(text: object) -> ParsedQuery:
    """What the person asked for; never raises, whatever ``text`` is."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    q = ParsedQuery(raw=text)
    if len(text) > MAX_CHARS:
        q.notes.append(f"query cut to its first {MAX_CHARS} characters")
        text = text[:MAX_CHARS]
    items = _lex(text)

    # AND marks both neighbours required; NOT excludes the next item; OR is the default.
    for pos, item in enumerate(items):
        if item.kind != "op":
            continue
        if item.text == "AND":
            for nb in (pos - 1, pos + 1):
                if 0 <= nb < len(items) and items[nb].kind != "op" and not items[nb].sign:
                    items[nb].sign = "+"
        elif item.text == "NOT" and pos + 1 < len(items) and items[pos + 1].kind != "op":
            items[pos + 1].sign = "-"

    budget = MAX_TERMS
    for item in items:
        if item.kind == "op":
            continue
        if budget <= 0:
            q.notes.append(f"query cut to its first {MAX_TERMS} words")
            break
        if item.field in FILTER_FIELDS:
            _apply_filter(q, FILTER_FIELDS[item.field], item.text, negate=item.sign == "-")
            continue
        tokens = tokenize(item.text)[:budget]
        if not tokens:
            continue
        budget -= len(tokens)
        if item.field in TEXT_FIELDS:
            if item.sign == "-":
                _exclude(q, tokens)
            else:
                q.fielded.append((TEXT_FIELDS[item.field], tokens))
        elif item.sign == "-":
            _exclude(q, tokens)
        elif item.kind == "phrase" or (item.sign == "+" and len(tokens) > 1):
            if len(tokens) == 1:
                q.required.append(tokens[0])
            else:
                q.phrases.append(tokens)
        elif item.sign == "+":
            q.required.append(tokens[0])
        else:
            q.terms.extend(t for t in tokens if t not in q.terms)
            if len(tokens) > 1:
                q.compounds.append(tokens)
    return q


def _exclude(q: ParsedQuery, tokens: list[str]) -> None:
    if len(tokens) == 1:
        q.excluded.append(tokens[0])
    else:
        q.excluded_phrases.append(tokens)


def _apply_filter(q: ParsedQuery, name: str, value: str, negate: bool) -> None:
    value = value.strip()
    if negate:
        q.notes.append(f"-{name}: is not supported, ignored")
        return
    if not value:
        return
    if name == "year":
        m = _YEAR.match(value)
        if not m:
            q.notes.append(f"year:{value} is not a year or range (2023, 2020-2023, >=2021), ignored")
            return
        op, first, last = m.group(1) or "=", int(m.group(2)), m.group(3)
        if last is not None:
            lo, hi = sorted((first, int(last)))
        elif op == "=":
            lo, hi = first, first
        elif op == ">=":
            lo, hi = first, None
        elif op == ">":
            lo, hi = first + 1, None
        elif op == "<=":
            lo, hi = None, first
        else:
            lo, hi = None, first - 1
        q.year_from, q.year_to = lo, hi
        return
    setattr(q, name, value)
