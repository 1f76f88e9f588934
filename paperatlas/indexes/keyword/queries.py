"""Tantivy queries from a parsed query (``search.query.ParsedQuery``) and ``Filters``.

Queries are built from the parser's tokens, never from tantivy's own query language, so nothing
a person types can make a search raise. Words are OR-ed (a paper matching more of them ranks
higher) or, for the "matches every word" run, each required. Filters only narrow: they add
nothing to the score. ``compile_filters`` is the tantivy compilation of ``filters.Filters``
(the SQL one is ``store.sqlite.papers.filter_sql``).
"""

from __future__ import annotations

import tantivy
from tantivy import Occur, Query

from ...filters import Filters, fold_name
from ...search.query import STOPWORDS, ParsedQuery
from .schema import FIELD_ANALYZER, FIELDED

FIELD_BOOSTS: dict[str, float] = {"text": 1.0, "authors": 0.5}  # query time
COMPOUND_BOOST = 0.5  # "self-supervised": extra for the tokens side by side
ANALYSIS_CACHE = 50_000


class QueryBuilder:
    def __init__(self, schema: tantivy.Schema, analyzers: dict[str, tantivy.TextAnalyzer]) -> None:
        self.schema = schema
        self.analyzers = analyzers
        self._cache: dict[tuple[str, str], list[tuple[int, str]]] = {}

    def tokens(self, analyzer: str, text: str) -> list[tuple[int, str]]:
        key = (analyzer, text)
        got = self._cache.get(key)
        if got is None:
            # names are indexed folded (schema.document), so they are looked up folded
            pre = self.analyzers[analyzer].pre_tokenize(fold_name(text) if analyzer == "pa_name" else text)
            got = [(t.position, t.text) for t in pre.tokens]
            if len(self._cache) > ANALYSIS_CACHE:
                self._cache.clear()
            self._cache[key] = got
        return got

    def in_field(self, field: str, words: list[str], slop: int = 0) -> Query | None:
        """The words in one field: a term, or a phrase on the analysed positions."""
        toks = self.tokens(FIELD_ANALYZER[field], " ".join(words))
        if not toks:
            return None
        if len(toks) == 1:
            return Query.term_query(self.schema, field, toks[0][1])
        base = toks[0][0]
        return Query.phrase_query(self.schema, field, [(p - base, t) for p, t in toks], slop)

    def anywhere(self, words: list[str]) -> Query | None:
        """The word (or phrase) in the text or the authors, the two scores boosted and summed."""
        subs = []
        for field, boost in FIELD_BOOSTS.items():
            q = self.in_field(field, words)
            if q is not None:
                subs.append((Occur.Should, q if boost == 1.0 else Query.boost_query(q, boost)))
        if len(subs) == 1:
            return subs[0][1]
        return Query.boolean_query(subs) if subs else None

    def author_words(self, text: str) -> Query | None:
        """Every name word of ``text`` among the authors, in any order ("hinton" or "Hinton G")."""
        toks = self.tokens("pa_name", text)
        if not toks:
            return None
        return Query.boolean_query([(Occur.Must, Query.term_query(self.schema, "authors", t)) for _, t in toks])

    def compile_filters(self, filters: Filters | None, parsed: ParsedQuery | None = None) -> list[Query]:
        """Non-scoring clauses for ``filters`` and the filters typed into the query."""
        f = filters or Filters()
        p = parsed or ParsedQuery("")
        out: list[Query] = []
        for name in ("venue", "track", "session"):
            for value in (getattr(f, name), getattr(p, name)):
                if value is None or not str(value).strip():
                    continue
                toks = self.tokens("pa_lower", str(value).strip())
                out.append(Query.term_query(self.schema, name, toks[0][1]) if toks else Query.empty_query())
        if f.year is not None:
            out.append(Query.term_query(self.schema, "year", int(f.year)))
        for lo, hi in ((f.year_from, f.year_to), (p.year_from, p.year_to)):
            if lo is not None or hi is not None:
                out.append(Query.range_query(
                    self.schema, "year", tantivy.FieldType.Integer,
                    int(lo) if lo is not None else -(2**62), int(hi) if hi is not None else 2**62,
                ))
        if f.author and f.author.strip():
            out.append(self.author_words(f.author) or Query.empty_query())
        if f.has_code is not None:
            out.append(Query.term_query(self.schema, "has_code", bool(f.has_code)))
        topic = f.topic_set()
        if topic is not None:
            out.append(Query.term_set_query(self.schema, "id", sorted(topic)) if topic else Query.empty_query())
        return [Query.const_score_query(q, 0.0) for q in out]

    def optional_terms(self, parsed: ParsedQuery) -> list[str]:
        """The words that are OR-ed: stopwords dropped when anything else asks for text."""
        content = [t for t in parsed.terms if t not in STOPWORDS]
        if content or parsed.required or parsed.phrases or parsed.fielded:
            return content  # "learning to rank": "to" adds only cost
        return list(parsed.terms)

    def build(self, parsed: ParsedQuery, filters: Filters | None = None, every_word: bool = False,
              all_words_bonus: float = 0.0) -> tuple[Query | None, bool]:
        """The tantivy query for a parsed query and filters, and whether it is scored (False: no
        text asked for, list by year). ``None``: nothing can match. ``every_word``: each
        optional word is required too (counting the papers that match every word);
        ``all_words_bonus``: added to the score of those papers, so one query ranks them first."""
        should: list[Query] = []
        must: list[Query] = []
        must_not: list[Query] = []
        optional = []
        for term in self.optional_terms(parsed):
            q = self.anywhere([term])
            if q is not None:
                optional.append(q)
                (must if every_word else should).append(q)
        if all_words_bonus and len(optional) > 1 and not every_word:  # (index.all_words_bonus)
            every = Query.boolean_query([(Occur.Must, q) for q in optional])
            should.append(Query.const_score_query(every, all_words_bonus))
        for words in parsed.compounds:
            q = self.in_field("text", words)
            if q is not None and len(words) > 1:
                should.append(Query.boost_query(q, COMPOUND_BOOST))
        for term in parsed.required:
            q = self.anywhere([term])
            if q is None:
                return None, True  # a required word that no document can hold
            must.append(q)
        for words in parsed.phrases:
            q = self.anywhere(words)
            if q is None:
                return None, True
            must.append(q)
        for field, words in parsed.fielded:
            q = self.author_words(" ".join(words)) if field == "authors" else self.in_field(FIELDED.get(field, "text"), words)
            if q is None:
                return None, True
            must.append(q)
        for term in parsed.excluded:
            q = self.anywhere([term])
            if q is not None:
                must_not.append(q)
        for words in parsed.excluded_phrases:
            q = self.anywhere(words)
            if q is not None:
                must_not.append(q)
        filter_clauses = self.compile_filters(filters, parsed)

        clauses: list[tuple[Occur, Query]] = []
        scored = True
        if must:
            clauses += [(Occur.Must, q) for q in must]
            clauses += [(Occur.Should, q) for q in should]
        elif should:
            # with a Must filter beside it, a Should would become optional: group it
            clauses.append((Occur.Must, Query.boolean_query([(Occur.Should, q) for q in should])))
        elif parsed.positive:
            return None, True  # words asked for, none of them indexable
        elif parsed.raw.strip() and not (filter_clauses or must_not or parsed.has_filters):
            return None, True  # junk with no words, no filters: nothing to list
        else:
            scored = False
            clauses.append((Occur.Must, Query.all_query()))
        clauses += [(Occur.Must, q) for q in filter_clauses]
        clauses += [(Occur.MustNot, q) for q in must_not]
        return Query.boolean_query(clauses), scored
