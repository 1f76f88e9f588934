"""Why a paper matched, for the people reading results: an HTML-safe snippet of its abstract
with the query's words marked, and which fields hold which words."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import tantivy

from ...search.query import ParsedQuery

if TYPE_CHECKING:
    from .index import KeywordIndex

SNIPPET_WORDS = 30
SNIPPET_CHARS = 220  # the plain start shown when no word matches


class Explainer:
    def __init__(self, index: KeywordIndex) -> None:
        self.index = index
        self.en = index.analyzers["pa_en"]

    def explain(self, parsed: ParsedQuery, ids: list[str], *, why: bool = True) -> dict[str, tuple[str, list[str]]]:
        """Per id, its snippet and why it matched, from one read of the stored documents and one
        analysis of each abstract. The snippet is an excerpt of the abstract (or the title, when
        only it matches) with ``<mark>…</mark>`` around the words that match the query (by
        stem); the abstract's start when nothing matched. Everything else is escaped."""
        stems = {t for w in parsed.words() for _, t in self.index.queries.tokens("pa_en", w)}
        out = {}
        for pid, doc in self.index.documents(ids).items():
            stored = _stored(doc)
            tokens = self.en.pre_tokenize(stored["abstract"]).tokens if stored["abstract"] else []
            snippet = (
                self.highlight(stored["abstract"], stems, window=SNIPPET_WORDS, tokens=tokens)
                or self.highlight(stored["title"], stems, window=10_000)
                or plain_start(stored["abstract"] or stored["title"])
            )
            out[pid] = (snippet, self.reasons(parsed, stored, {t.text for t in tokens}) if why else [])
        return out

    def highlight(self, text: str, stems: set[str], window: int, tokens: list[Any] | None = None) -> str:
        """The window of ``window`` words holding the most distinct query stems, escaped and
        marked; "" when no word matches. ``tokens``: the text's analysis, when already done."""
        if not text or not stems:
            return ""
        if tokens is None:
            tokens = self.en.pre_tokenize(text).tokens  # char offsets
        hits = [i for i, t in enumerate(tokens) if t.text in stems]
        if not hits:
            return ""
        best, best_key = 0, (-1, -1)
        for first in hits:  # windows starting at a hit cover every best window
            inside = [i for i in hits if first <= i < first + window]
            key = (len({tokens[i].text for i in inside}), len(inside))
            if key > best_key:
                best, best_key = first, key
        # start a few words before the first hit, when the window has room
        last_hit = max(i for i in hits if best <= i < best + window)
        start = max(0, best - 5, last_hit - window + 1)
        end = min(len(tokens), start + window)
        lo = tokens[start].char_offset_from if start > 0 else 0
        hi = len(text) if end >= len(tokens) else tokens[end - 1].char_offset_to
        if end < len(tokens):  # keep punctuation glued to the last word
            while hi < len(text) and not text[hi].isspace() and hi < tokens[end].char_offset_from:
                hi += 1
        parts, at = [], lo
        for i in range(start, end):
            if tokens[i].text in stems:
                a, b = tokens[i].char_offset_from, tokens[i].char_offset_to
                parts.append(html.escape(text[at:a]))
                parts.append("<mark>" + html.escape(text[a:b]) + "</mark>")
                at = b
        parts.append(html.escape(text[at:hi]))
        return ("…" if lo > 0 else "") + "".join(parts).strip() + ("…" if hi < len(text) else "")

    def reasons(self, parsed: ParsedQuery, stored: dict[str, Any], abstract_tokens: set[str] | None = None) -> list[str]:
        """Which fields hold which of the query's words: ["title: graph, neural", ...] (a word
        counts when all its tokens are in the field, analysed as the index analyses it)."""
        words = parsed.words()
        names = [t for f, toks in parsed.fielded if f == "authors" for t in toks]
        reasons = []
        for field in ("title", "keywords", "authors", "abstract"):
            analyzer = "pa_name" if field == "authors" else "pa_en"
            value = stored[field]
            text = " ".join(value) if isinstance(value, list) else value
            if not text:
                continue
            if field == "abstract" and abstract_tokens is not None:
                have = abstract_tokens
            else:  # (names are indexed folded: stored authors already are)
                have = set(self.index.analyzers[analyzer].analyze(text))
            found = []
            for w in dict.fromkeys(words + names if field == "authors" else words):
                toks = [t for _, t in self.index.queries.tokens(analyzer, w)]
                if toks and all(t in have for t in toks):
                    found.append(w)
            if found:
                reasons.append(f"{field}: {', '.join(found)}")
        return reasons


def _stored(doc: tantivy.Document) -> dict[str, Any]:
    abstract = doc.get_first("abstract")
    if isinstance(abstract, (bytes, bytearray)):
        abstract = bytes(abstract).decode(errors="replace")
    return {
        "title": doc.get_first("title") or "",
        "abstract": abstract or "",
        "keywords": [str(k) for k in doc.get_all("keywords")],
        "authors": [str(a) for a in doc.get_all("authors")],
    }


def plain_start(text: str) -> str:
    """The start of a text, about ``SNIPPET_CHARS`` long, cut at a space, escaped."""
    if len(text) > SNIPPET_CHARS:
        cut = text.rfind(" ", 0, SNIPPET_CHARS)
        text = text[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS] + "…"
    return html.escape(text)
