"""Keyword search: BM25 over title, abstract, authors and keywords, on a tantivy index.

The index is derived data. It lives next to the catalog (``<catalog>.index/keyword/``; in RAM
for an in-memory catalog) and follows the catalog's change feed: ``sync`` applies the papers
inserted, updated or deleted since it last ran, and a first ``sync`` builds it all.

Scoring is BM25F-like: title, keywords and abstract go into one ``text`` field, the title
``TITLE_REPEAT`` times and each keyword ``KEYWORDS_REPEAT`` times, so a word's frequencies add up
before BM25 saturates them and every word has one IDF. (Summing separate per-field BM25 scores,
the obvious alternative, gives a word that is rare *in titles* a huge title IDF: known-item MRR@10
from abstract words fell from 0.80 to 0.13 in bench/keyword_engines.py.) Author names are a
field of their own, added with ``FIELD_BOOSTS["authors"]``. Words are OR-ed, so a paper matching more of
them ranks higher. Text is stemmed (English Snowball, ASCII-folded: "networks" finds "network",
"Schölkopf" finds "Scholkopf"); author names are only lowercased and folded. Quoted phrases are
matched on positions (values are separated by a position gap, so a phrase never spans the end of
a title and the start of the abstract). Filters (venue, year, track, session, author, has-code)
only narrow: they add nothing to the score.

Nothing a person types makes ``search``, ``facets``, ``snippets`` or ``why`` raise: the text
goes through ``query.parse_query`` (which never raises) and queries are built from its tokens,
never from tantivy's own query language.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable

import tantivy
from tantivy import Filter, Occur, Query, TextAnalyzerBuilder, Tokenizer

from ..errors import CatalogError
from .document import keyword_fields
from .query import STOPWORDS, ParsedQuery, parse_query
from .types import SearchFilters

if TYPE_CHECKING:
    from ..catalog import Catalog

NAME = "keyword"  # the catalog's index_state row
SCHEMA_VERSION = 2  # bump when the schema or an analyzer changes: the index is rebuilt
META_FILE = "paperatlas-keyword.json"

# Chosen with bench/keyword_engines.py (known-item MRR@10, queries of abstract words and of
# title words; see that script's docstring for the numbers).
TITLE_REPEAT = 3  # index time: the title counts three times in ``text``
KEYWORDS_REPEAT = 2
FIELD_BOOSTS: dict[str, float] = {"text": 1.0, "authors": 0.5}  # query time
COMPOUND_BOOST = 0.5  # "self-supervised": extra for the tokens side by side
FACET_FIELDS = {
    "venue": "venue_display",
    "year": "year",
    "track": "track_display",
    "session": "session_display",
    "has_code": "has_code",
}
FACET_SIZE = 20
DOC_CACHE_SIZE = 8_192  # stored documents kept from recent searches (for snippets)
SNIPPET_WORDS = 30
SNIPPET_CHARS = 220  # the plain start shown when no word matches

CHANGES_BATCH = 5_000  # change-feed rows (and papers fetched) per round
COMMIT_EVERY = 200_000  # a long first build commits (and records its progress) this often
WRITER_HEAP = 128_000_000
# Stemming is most of tantivy's indexing time: two threads let it use the second core while
# Python reads the catalog.
WRITER_THREADS = max(1, min(2, os.cpu_count() or 1))


def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    def simple(*filters: Filter) -> tantivy.TextAnalyzer:
        builder = TextAnalyzerBuilder(Tokenizer.simple())
        for f in filters:
            builder = builder.filter(f)
        return builder.build()

    return {
        # text: words, lowercased, accents folded, English stems; tokens of 40+ bytes dropped
        "pa_en": simple(Filter.remove_long(40), Filter.lowercase(), Filter.ascii_fold(),
                        Filter.stemmer("english")),
        # names: words, lowercased, accents folded, no stemming
        "pa_name": simple(Filter.remove_long(40), Filter.lowercase(), Filter.ascii_fold()),
        # filter values: the whole value, lowercased ("ICLR" == "iclr")
        "pa_lower": TextAnalyzerBuilder(Tokenizer.raw()).filter(Filter.lowercase()).build(),
    }


FIELD_ANALYZER = {"text": "pa_en", "title": "pa_en", "keywords": "pa_en", "authors": "pa_name"}
# what ``title:``, ``abstract:`` ... of a parsed query search (abstract only lives in ``text``)
FIELDED = {"title": "title", "abstract": "text", "keywords": "keywords", "authors": "authors"}


def _schema() -> tantivy.Schema:
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


def index_dir(catalog_path: str | Path) -> Path:
    """Where the keyword index of the catalog at ``catalog_path`` lives."""
    return Path(str(catalog_path) + ".index") / "keyword"


class KeywordIndex:
    """One tantivy index; ``for_catalog`` opens (or creates) the one belonging to a catalog."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self.schema = _schema()
        self._analyzers = _analyzers()
        self._lock = threading.Lock()
        self._analysis_cache: dict[tuple[str, str], list[tuple[int, str]]] = {}
        # stored documents read by recent searches, by paper id, with the change-feed position
        # they were read at: snippets for the hits shown reuse them instead of reading again
        self._doc_cache: dict[str, tuple[tuple[int, int], tantivy.Document]] = {}
        self._reloads = 0  # counts reader reloads after our own writes (tags cached documents)
        self._seq = 0
        self._index = self._open()
        self._index.reload()

    @classmethod
    def for_catalog(cls, catalog: "Catalog") -> "KeywordIndex":
        return cls(None if catalog.path is None else index_dir(catalog.path))

    # opening

    def _register(self, index: tantivy.Index) -> tantivy.Index:
        for name, analyzer in self._analyzers.items():
            index.register_tokenizer(name, analyzer)
        return index

    def _open(self) -> tantivy.Index:
        if self.path is None:
            return self._register(tantivy.Index(self.schema))
        meta = self._read_meta()
        if meta.get("schema_version") == SCHEMA_VERSION and tantivy.Index.exists(str(self.path)):
            try:
                index = self._register(tantivy.Index.open(str(self.path)))
                self._seq = int(meta.get("seq", 0))
                return index
            except (ValueError, OSError, TypeError):
                pass  # damaged or foreign: rebuilt below
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        index = self._register(tantivy.Index(self.schema, path=str(self.path), reuse=False))
        self._seq = 0
        self._write_meta()
        return index

    def _read_meta(self) -> dict[str, Any]:
        try:
            data = json.loads((self.path / META_FILE).read_text())  # type: ignore[operator]
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def _write_meta(self) -> None:
        if self.path is None:
            return
        tmp = self.path / (META_FILE + ".tmp")
        tmp.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "seq": self._seq}))
        tmp.replace(self.path / META_FILE)

    @property
    def num_docs(self) -> int:
        return self._index.searcher().num_docs

    # keeping up with the catalog

    def sync(self, catalog: "Catalog", progress: Callable[[int, int], None] | None = None) -> int:
        """Apply the catalog's paper changes since the last sync; return how many papers changed.

        The index commits before the catalog records how far it got, so a crash in between
        only means the same changes are applied again (deletes then adds: idempotent). A
        position of 0 (a new index, or a new catalog at the same path) rebuilds from scratch.
        """
        with self._lock:
            if self.path is not None:  # another process may have synced since we opened
                meta = self._read_meta()
                if meta.get("schema_version") == SCHEMA_VERSION:
                    self._seq = int(meta.get("seq", self._seq))
            start = min(self._seq, catalog.index_seq(NAME))
            seq, changes = catalog.changes_since(start, limit=CHANGES_BATCH)
            fresh = start == 0
            if not changes and not (fresh and self.num_docs):
                if seq != self._seq or catalog.index_seq(NAME) != seq:
                    self._record(catalog, seq)
                return 0
            total = max(catalog.last_change() - start, 1)
            writer = self._writer()
            try:
                if fresh:
                    writer.delete_all_documents()
                added: set[str] = set()
                changed = pending = 0
                while changes:
                    ups = [pid for pid, op in changes if op == "upsert"]
                    for pid, _ in changes:
                        # a fresh index holds none of these, unless added in an earlier round
                        if not fresh or pid in added:
                            writer.delete_documents_by_term("id", pid)
                    papers = catalog.papers_for_indexing(ups)
                    for pid in ups:
                        paper = papers.get(pid)
                        if paper is not None:
                            writer.add_document(self._document(keyword_fields(paper)))
                            if fresh:
                                added.add(pid)
                    changed += len(changes)
                    pending += len(changes)
                    if progress:
                        progress(min(seq - start, total), total)
                    if pending >= COMMIT_EVERY:
                        self._commit(writer, catalog, seq)
                        pending = 0
                    seq, changes = catalog.changes_since(seq, limit=CHANGES_BATCH)
                self._commit(writer, catalog, seq)
                writer.wait_merging_threads()
            except BaseException:
                try:
                    writer.rollback()
                except Exception:  # noqa: BLE001 - the original error is the one to see
                    pass
                raise
            finally:
                del writer
            self._index.reload()
            self._reloads += 1
            return changed

    def _cache_tag(self) -> tuple[int, int]:
        return (self._reloads, self._seq)

    def _bulk_load(self, fields: Iterable[dict[str, Any]]) -> int:
        """Replace the whole content with these ``keyword_fields`` dicts. For benchmarks: the
        catalog is not told, so a later ``sync`` of a file index may redo or undo it."""
        with self._lock:
            writer = self._writer()
            writer.delete_all_documents()
            n = 0
            for f in fields:
                writer.add_document(self._document(f))
                n += 1
            writer.commit()
            writer.wait_merging_threads()
            del writer
            self._index.reload()
            self._reloads += 1
            return n

    def _writer(self) -> tantivy.IndexWriter:
        for attempt in range(20):
            try:
                return self._index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
            except ValueError as exc:
                if "lock" not in str(exc).lower() or attempt == 19:
                    raise CatalogError(
                        f"cannot write the keyword index {self.path}: {exc}",
                        hint="another paperatlas process may be updating it; try again",
                    ) from None
                time.sleep(0.25)
        raise AssertionError("unreachable")

    def _commit(self, writer: tantivy.IndexWriter, catalog: "Catalog", seq: int) -> None:
        writer.commit()
        self._record(catalog, seq)

    def _record(self, catalog: "Catalog", seq: int) -> None:
        self._seq = seq
        self._write_meta()
        catalog.set_index_seq(NAME, seq)

    def _document(self, fields: dict[str, Any]) -> tantivy.Document:
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
                doc.add_text("authors", str(name))
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

    # queries

    def _tokens(self, analyzer: str, text: str) -> list[tuple[int, str]]:
        key = (analyzer, text)
        got = self._analysis_cache.get(key)
        if got is None:
            pre = self._analyzers[analyzer].pre_tokenize(text)
            got = [(t.position, t.text) for t in pre.tokens]
            if len(self._analysis_cache) > 50_000:
                self._analysis_cache.clear()
            self._analysis_cache[key] = got
        return got

    def _in_field(self, field: str, words: list[str], slop: int = 0) -> Query | None:
        """The words in one field: a term, or a phrase on the analysed positions."""
        toks = self._tokens(FIELD_ANALYZER[field], " ".join(words))
        if not toks:
            return None
        if len(toks) == 1:
            return Query.term_query(self.schema, field, toks[0][1])
        base = toks[0][0]
        return Query.phrase_query(self.schema, field, [(p - base, t) for p, t in toks], slop)

    def _anywhere(self, words: list[str]) -> Query | None:
        """The word (or phrase) in the text or the authors, the two scores boosted and summed."""
        subs = []
        for field, boost in FIELD_BOOSTS.items():
            q = self._in_field(field, words)
            if q is not None:
                subs.append((Occur.Should, q if boost == 1.0 else Query.boost_query(q, boost)))
        if len(subs) == 1:
            return subs[0][1]
        return Query.boolean_query(subs) if subs else None

    def _filter_clauses(self, parsed: ParsedQuery, filters: SearchFilters | None) -> list[Query]:
        f = filters or SearchFilters()
        out: list[Query] = []
        for name in ("venue", "track", "session"):
            for value in (getattr(f, name), getattr(parsed, name)):
                if value is None or not str(value).strip():
                    continue
                toks = self._tokens("pa_lower", str(value).strip())
                out.append(Query.term_query(self.schema, name, toks[0][1]) if toks else Query.empty_query())
        if f.year is not None:
            out.append(Query.term_query(self.schema, "year", int(f.year)))
        for lo, hi in ((f.year_from, f.year_to), (parsed.year_from, parsed.year_to)):
            if lo is not None or hi is not None:
                out.append(Query.range_query(
                    self.schema, "year", tantivy.FieldType.Integer,
                    int(lo) if lo is not None else -(2**62), int(hi) if hi is not None else 2**62,
                ))
        if f.author and f.author.strip():
            toks = self._tokens("pa_name", f.author)
            if toks:
                out.append(Query.boolean_query(
                    [(Occur.Must, Query.term_query(self.schema, "authors", t)) for _, t in toks]
                ))
        if f.has_code is not None:
            out.append(Query.term_query(self.schema, "has_code", bool(f.has_code)))
        return [Query.const_score_query(q, 0.0) for q in out]

    def build_query(
        self, parsed: ParsedQuery, filters: SearchFilters | None = None
    ) -> tuple[Query | None, bool]:
        """The tantivy query for a parsed query and filters, and whether it is scored (False:
        no text asked for, list by year). ``None``: nothing can match."""
        should: list[Query] = []
        must: list[Query] = []
        must_not: list[Query] = []
        terms = parsed.terms
        content = [t for t in terms if t not in STOPWORDS]
        if content or parsed.required or parsed.phrases or parsed.fielded:
            terms = content  # "learning to rank": "to" adds only cost
        for term in terms:
            q = self._anywhere([term])
            if q is not None:
                should.append(q)
        for words in parsed.compounds:
            q = self._in_field("text", words)
            if q is not None and len(words) > 1:
                should.append(Query.boost_query(q, COMPOUND_BOOST))
        for term in parsed.required:
            q = self._anywhere([term])
            if q is None:
                return None, True  # a required word that no document can hold
            must.append(q)
        for words in parsed.phrases:
            q = self._anywhere(words)
            if q is None:
                return None, True
            must.append(q)
        for field, words in parsed.fielded:
            if field == "authors":  # every name token, in any order: "hinton" or "Hinton G"
                toks = self._tokens("pa_name", " ".join(words))
                subs = [(Occur.Must, Query.term_query(self.schema, "authors", t)) for _, t in toks]
                q = Query.boolean_query(subs) if subs else None
            else:
                q = self._in_field(FIELDED.get(field, "text"), words)
            if q is None:
                return None, True
            must.append(q)
        for term in parsed.excluded:
            q = self._anywhere([term])
            if q is not None:
                must_not.append(q)
        for words in parsed.excluded_phrases:
            q = self._anywhere(words)
            if q is not None:
                must_not.append(q)
        filter_clauses = self._filter_clauses(parsed, filters)

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

    def _query(
        self, query: str | ParsedQuery, filters: SearchFilters | None
    ) -> tuple[ParsedQuery, Query | None, bool]:
        parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
        try:
            q, scored = self.build_query(parsed, filters)
        except (ValueError, TypeError, OverflowError):
            q, scored = None, True
        return parsed, q, scored

    def search(
        self,
        query: str | ParsedQuery,
        filters: SearchFilters | None = None,
        k: int = 20,
        offset: int = 0,
    ) -> tuple[list[tuple[str, float]], int]:
        """(paper id, BM25 score) best first, and how many papers match in all.

        No words (an empty query, only exclusions or only filters): every matching paper,
        newest first, score 0. Any ``k`` works (it is capped at the number of papers), but each
        hit costs a stored-document read: about 20 µs, so 100k hits take about 2 s."""
        _, q, scored = self._query(query, filters)
        if q is None:
            return [], 0
        tag = self._cache_tag()  # before taking the searcher: a reload in between only wastes the entry
        searcher = self._index.searcher()
        size = searcher.num_docs  # a bigger limit only makes tantivy allocate more
        k = max(0, min(int(k), size))
        offset = max(0, min(int(offset), size))
        try:
            if scored:
                res = searcher.search(q, limit=max(k, 1), offset=offset, count=True)
            else:
                res = searcher.search(q, limit=max(k, 1), offset=offset, count=True,
                                      order_by_field="year", order=tantivy.Order.Desc)
        except ValueError:
            return [], 0
        hits = []
        cache = self._doc_cache
        if len(cache) > DOC_CACHE_SIZE:
            cache.clear()
        for score, addr in res.hits[:k]:
            doc = searcher.doc(addr)
            doc_id = doc.get_first("id")
            cache[doc_id] = (tag, doc)
            hits.append((doc_id, float(score) if scored else 0.0))
        return hits, int(res.count or 0)

    def facets(
        self,
        query: str | ParsedQuery,
        filters: SearchFilters | None = None,
        fields: Iterable[str] = ("venue", "year", "track", "session"),
    ) -> dict[str, list[tuple[str, int]]]:
        """Counts per value among the matches, the top ``FACET_SIZE`` per field, most first.
        Values differing only in case are one value (shown as written most often)."""
        fields = [f for f in fields if f in FACET_FIELDS]
        out: dict[str, list[tuple[str, int]]] = {f: [] for f in fields}
        _, q, _ = self._query(query, filters)
        if q is None or not fields:
            return out
        agg = {f: {"terms": {"field": FACET_FIELDS[f], "size": FACET_SIZE * 2}} for f in fields}
        try:
            res = self._index.searcher().aggregate(q, agg)
        except ValueError:
            return out
        for f in fields:
            merged: dict[str, list[Any]] = {}
            for bucket in (res.get(f) or {}).get("buckets", []):
                key, n = bucket.get("key"), int(bucket.get("doc_count", 0))
                if f == "has_code":
                    key = "true" if key in (True, 1, "true") else "false"
                elif isinstance(key, float) and key.is_integer():
                    key = str(int(key))
                key = str(key)
                slot = merged.setdefault(key.casefold(), [key, 0, 0])  # shown, total, shown's n
                slot[1] += n
                if n > slot[2]:
                    slot[0], slot[2] = key, n
            ranked = sorted(merged.values(), key=lambda s: (-s[1], s[0]))
            out[f] = [(shown, total) for shown, total, _ in ranked[:FACET_SIZE]]
        return out

    # explaining hits

    def _docs(self, ids: list[str]) -> dict[str, tantivy.Document]:
        ids = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
        out = {}
        tag = self._cache_tag()
        for pid in ids:
            cached = self._doc_cache.get(pid)
            if cached is not None and cached[0] == tag:
                out[pid] = cached[1]
        missing = [pid for pid in ids if pid not in out]
        if not missing:
            return out
        searcher = self._index.searcher()
        q = Query.term_set_query(self.schema, "id", missing)
        res = searcher.search(q, limit=len(missing), count=False)
        for _, addr in res.hits:
            doc = searcher.doc(addr)
            out[doc.get_first("id")] = doc
        return out

    @staticmethod
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

    def _stems(self, parsed: ParsedQuery) -> set[str]:
        return {t for w in parsed.words() for _, t in self._tokens("pa_en", w)}

    def snippets(self, query: str | ParsedQuery, ids: list[str]) -> dict[str, str]:
        """Per id, an HTML-safe excerpt of the abstract (or the title, when only it matches)
        with ``<mark>…</mark>`` around the words that match the query (by stem); the abstract's
        start when nothing matched. Everything else is escaped: it goes into HTML as is."""
        return {pid: snippet for pid, (snippet, _) in self.explain(query, ids, why=False).items()}

    def explain(
        self, query: str | ParsedQuery, ids: list[str], *, why: bool = True
    ) -> dict[str, tuple[str, list[str]]]:
        """Per id, its snippet (see ``snippets``) and why it matched (see ``why``), from one read
        of the stored documents and one analysis of each abstract."""
        parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
        stems = self._stems(parsed)
        out = {}
        for pid, doc in self._docs(ids).items():
            stored = self._stored(doc)
            tokens = self._analyzers["pa_en"].pre_tokenize(stored["abstract"]).tokens if stored["abstract"] else []
            snippet = (
                self._highlight(stored["abstract"], stems, window=SNIPPET_WORDS, tokens=tokens)
                or self._highlight(stored["title"], stems, window=10_000)
                or _plain_start(stored["abstract"] or stored["title"])
            )
            out[pid] = (snippet, self._reasons(parsed, stored, {t.text for t in tokens}) if why else [])
        return out

    def _highlight(self, text: str, stems: set[str], window: int, tokens: list[Any] | None = None) -> str:
        """The window of ``window`` words holding the most distinct query stems, escaped and
        marked; "" when no word matches. ``tokens``: the text's analysis, when already done."""
        if not text or not stems:
            return ""
        if tokens is None:
            tokens = self._analyzers["pa_en"].pre_tokenize(text).tokens  # char offsets
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

    def why(self, query: str | ParsedQuery, ids: list[str]) -> dict[str, list[str]]:
        """Per id, which fields hold which of the query's words: ["title: graph, neural", ...]
        (a word counts when all its tokens are in the field, stemmed as the index stems)."""
        parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
        return {pid: self._reasons(parsed, self._stored(doc)) for pid, doc in self._docs(ids).items()}

    def _reasons(self, parsed: ParsedQuery, stored: dict[str, Any], abstract_tokens: set[str] | None = None) -> list[str]:
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
            else:
                have = set(self._analyzers[analyzer].analyze(text))
            found = []
            for w in dict.fromkeys(words + names if field == "authors" else words):
                toks = [t for _, t in self._tokens(analyzer, w)]
                if toks and all(t in have for t in toks):
                    found.append(w)
            if found:
                reasons.append(f"{field}: {', '.join(found)}")
        return reasons

    def matched_fields(self, query: str | ParsedQuery, paper_id: str) -> list[str]:
        return self.why(query, [paper_id]).get(paper_id, [])


def _plain_start(text: str) -> str:
    """The start of a text, about ``SNIPPET_CHARS`` long, cut at a space, escaped."""
    if len(text) > SNIPPET_CHARS:
        cut = text.rfind(" ", 0, SNIPPET_CHARS)
        text = text[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS] + "…"
    return html.escape(text)
