"""The keyword index's analyzers, schema and documents (tantivy).

Scoring is BM25F-like: title, keywords and abstract go into one ``text`` field, the title
``TITLE_REPEAT`` times and each keyword ``KEYWORDS_REPEAT`` times, so a word's frequencies add up
before BM25 saturates them and every word has one IDF. (Summing separate per-field BM25 scores,
the obvious alternative, gives a word that is rare *in titles* a huge title IDF: known-item MRR@10
from abstract words fell from 0.80 to 0.13 in bench/keyword_engines.py.) Author names are a field
of their own. Text is stemmed (English Snowball, ASCII-folded: "networks" finds "network",
"Schölkopf" finds "Scholkopf"); author names are only lowercased and folded. Values of one field
are separated by a position gap, so a phrase never spans the end of a title and the start of the
abstract.
"""

from __future__ import annotations

from typing import Any

import tantivy
from tantivy import Filter, TextAnalyzerBuilder, Tokenizer

from ...filters import fold_name

SCHEMA_VERSION = 3  # bump when the schema or an analyzer changes: the index is rebuilt
# Chosen with bench/keyword_engines.py (known-item MRR@10, queries of abstract words and of
# title words; see that script's docstring for the numbers).
TITLE_REPEAT = 3  # index time: the title counts three times in ``text``
KEYWORDS_REPEAT = 2
FIELD_ANALYZER = {"text": "pa_en", "title": "pa_en", "keywords": "pa_en", "authors": "pa_name"}
# what ``title:``, ``abstract:`` ... of a parsed query search (abstract only lives in ``text``)
FIELDED = {"title": "title", "abstract": "text", "keywords": "keywords", "authors": "authors"}
FACET_FIELDS = {
    "venue": "venue_display",
    "year": "year",
    "track": "track_display",
    "session": "session_display",
    "has_code": "has_code",
}


def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    def simple(*filters: Filter) -> tantivy.TextAnalyzer:
        builder = TextAnalyzerBuilder(Tokenizer.simple())
        for f in filters:
            builder = builder.filter(f)
        return builder.build()

    return {
        # text: words, lowercased, accents folded, English stems; tokens of 40+ bytes dropped
        "pa_en": simple(Filter.remove_long(40), Filter.lowercase(), Filter.ascii_fold(), Filter.stemmer("english")),
        # names: words, lowercased, accents folded, no stemming (filters.name_terms in Python)
        "pa_name": simple(Filter.remove_long(40), Filter.lowercase(), Filter.ascii_fold()),
        # filter values: the whole value, lowercased ("ICLR" == "iclr")
        "pa_lower": TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.lowercase()).build(),
    }


def schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("text", tokenizer_name="pa_en")  # title x3, keywords x2, abstract
    for name in ("title", "keywords", "authors"):
        sb.add_text_field(name, stored=True, tokenizer_name=FIELD_ANALYZER[name])
    sb.add_bytes_field("abstract", stored=True)  # UTF-8, for snippets; searched through text
    for name in ("venue", "track", "session"):
        sb.add_text_field(name, tokenizer_name="pa_lower", index_option="basic")  # filters
        sb.add_text_field(f"{name}_display", fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("year", stored=True, indexed=True, fast=True)
    sb.add_boolean_field("has_code", indexed=True, fast=True)
    return sb.build()


def document(fields: dict[str, Any]) -> tantivy.Document:
    """The index document of a paper's ``keyword_fields``."""
    doc = tantivy.Document(id=fields["id"])
    title = str(fields.get("title") or "")
    abstract = str(fields.get("abstract") or "")
    keywords = [str(k) for k in fields.get("keywords") or [] if k]
    if title:
        doc.add_text("title", title)
        for _ in range(TITLE_REPEAT):
            doc.add_text("text", title)
    for k in keywords:
        doc.add_text("keywords", k)
    for _ in range(KEYWORDS_REPEAT):
        for k in keywords:
            doc.add_text("text", k)
    if abstract:
        doc.add_text("text", abstract)
        doc.add_bytes("abstract", abstract.encode())
    for name in fields.get("authors") or []:
        if name:
            doc.add_text("authors", fold_name(str(name)))  # as filters.name_terms sees it
    for name in ("venue", "track", "session"):
        value = str(fields.get(name) or "").strip()
        if value:
            doc.add_text(name, value)
            doc.add_text(f"{name}_display", value)
    year = fields.get("year")
    if isinstance(year, int) and year > 0:
        doc.add_integer("year", year)
    doc.add_boolean("has_code", bool(fields.get("has_code")))
    return doc
