"""The keyword index: BM25 over title, abstract, authors and keywords, on tantivy.

Derived data: it lives in ``<index folder>/keyword/`` (in RAM for an in-memory catalog) and
follows the store's change feed: ``sync`` applies the papers inserted, updated or deleted since
it last ran, and a first ``sync`` builds it all. Only one process writes it at a time; another
process that finds it busy searches the index as it is and says so (``IndexBusy``).

``KeywordIndex(path, writer=False)`` never writes: it opens an index another process built and
keeps (the worker processes of ``paperatlas serve --workers N``, whose parent writes it) and
``refresh`` reloads its searcher when that process has committed since (one ``stat`` when not).

A query of several words lists the papers that match every word first, then those that match
only some (each group by BM25), and says how many are in each group.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tantivy

from ...errors import IndexBusy
from ...filters import Filters
from ...search.document import keyword_fields
from ...search.query import ParsedQuery, parse_query
from .explain import Explainer
from .queries import QueryBuilder
from .schema import FACET_FIELDS, SCHEMA_VERSION, analyzers, document, schema

if TYPE_CHECKING:
    from ...store.protocol import Store

NAME = "keyword"  # the store's index_state row
META_FILE = "paperatlas-keyword.json"
FACET_SIZE = 20
DOC_CACHE_SIZE = 8_192  # stored documents kept from recent searches (for snippets)
CHANGES_BATCH = 5_000  # change-feed rows (and papers fetched) per round
COMMIT_EVERY = 200_000  # a long first build commits (and records its progress) this often
WRITER_HEAP = 128_000_000
# Stemming is most of tantivy's indexing time: two threads let it use the second core while
# Python reads the catalog.
WRITER_THREADS = max(1, min(2, os.cpu_count() or 1))
WRITER_WAIT_S = 2.0  # how long a sync waits for another process's writer before giving up
MAX_TERM_SCORE = 48.0  # above any one word's BM25 (idf <= ln 1M ~ 14, times k1 + 1 = 2.2) plus its author boost


def all_words_bonus(words: int) -> float:
    """What is added to the BM25 score of papers that match every one of ``words`` words: above
    any score a paper matching only some can reach, and a power of two as small as that, so the
    float32 sum keeps the BM25 part to within 2**-24 of the bonus (under 0.001 for 64 words)."""
    if words < 2:
        return 0.0
    return float(2 ** math.ceil(math.log2(MAX_TERM_SCORE * words)))


@dataclass(frozen=True)
class KeywordHits:
    """A keyword run: (paper id, BM25 score) best first; how many match in all; and for a query
    of several words, how many match every word (those come first)."""

    hits: list[tuple[str, float]]
    total: int
    all_words: int | None = None


class KeywordIndex:
    """One tantivy index; ``path`` None keeps it in memory."""

    def __init__(self, path: Path | None = None, *, writer: bool = True) -> None:
        self.path = path
        self.writer = writer or path is None  # an in-memory index has no other process to write it
        self._meta_stamp: tuple[int, int] | None = None  # the meta file as last read (refresh)
        self.schema = schema()
        self.analyzers = analyzers()
        self.queries = QueryBuilder(self.schema, self.analyzers)
        self._lock = threading.Lock()
        # stored documents read by recent searches, by paper id, with the reload they were read
        # at: snippets for the hits shown reuse them instead of reading again
        self.doc_cache: dict[str, tuple[tuple[int, int], tantivy.Document]] = {}
        self._reloads = 0  # counts reader reloads after our own writes (tags cached documents)
        self._seq = 0
        self._index = self._open()
        self._index.reload()
        self.explainer = Explainer(self)

    # -- opening ------------------------------------------------------------------------------
    def _register(self, index: tantivy.Index) -> tantivy.Index:
        for name, analyzer in self.analyzers.items():
            index.register_tokenizer(name, analyzer)
        return index

    def _open(self) -> tantivy.Index:
        if self.path is None:
            return self._register(tantivy.Index(self.schema))
        self._meta_stamp = self._stamp()
        meta = self._read_meta()
        if meta.get("schema_version") == SCHEMA_VERSION and tantivy.Index.exists(str(self.path)):
            try:
                index = self._register(tantivy.Index.open(str(self.path)))
                self._seq = int(meta.get("seq", 0))
                return index
            except (ValueError, OSError, TypeError):
                pass  # damaged or foreign: rebuilt below
        if not self.writer:  # rebuilding is the writer's job: never delete the folder it works in
            raise IndexBusy(f"the keyword index {self.path} is not built yet",
                            hint="the process that writes it (the server's parent) builds it; try again in a moment")
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        index = self._register(tantivy.Index(self.schema, path=str(self.path), reuse=False))
        self._seq = 0
        self._write_meta()
        return index

    def _stamp(self) -> tuple[int, int] | None:
        """Which version of the meta file is there (it is replaced, never edited, on each commit)."""
        try:
            st = (self.path / META_FILE).stat() if self.path is not None else None
        except OSError:
            return None
        return None if st is None else (st.st_ino, st.st_mtime_ns)

    def _read_meta(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads((self.path / META_FILE).read_text())
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
        return int(self._index.searcher().num_docs)

    @property
    def seq(self) -> int:
        return self._seq

    # -- keeping up with the store --------------------------------------------------------------
    def sync(self, store: Store, progress: Callable[[int, int], None] | None = None) -> int:
        """Apply the store's paper changes since the last sync; return how many papers changed.

        The index commits before the store records how far it got, so a crash in between only
        means the same changes are applied again (deletes then adds: idempotent). A position of
        0 (a new index, or a new catalog at the same path) rebuilds from scratch. ``IndexBusy``
        when another process is writing the index. A reader (``writer=False``) only refreshes.
        """
        if not self.writer:
            self.refresh()
            return 0
        with self._lock:
            if self.path is not None:  # another process may have synced since we opened
                meta = self._read_meta()
                if meta.get("schema_version") == SCHEMA_VERSION:
                    self._seq = int(meta.get("seq", self._seq))
            start = min(self._seq, store.feed.index_seq(NAME))
            seq, changes = store.feed.changes_since(start, limit=CHANGES_BATCH)
            fresh = start == 0
            if not changes and not (fresh and self.num_docs):
                if seq != self._seq or store.feed.index_seq(NAME) != seq:
                    self._record(store, seq)
                return 0
            total = max(store.feed.last_change() - start, 1)
            writer = self._writer()
            try:
                changed = self._apply(store, writer, start, seq, changes, fresh, total, progress)
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

    def _apply(self, store: Store, writer: tantivy.IndexWriter, start: int, seq: int, changes: list[tuple[str, str]],
               fresh: bool, total: int, progress: Callable[[int, int], None] | None) -> int:
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
            papers = store.papers.for_indexing(ups)
            for pid in ups:
                paper = papers.get(pid)
                if paper is not None:
                    writer.add_document(document(keyword_fields(paper)))
                    if fresh:
                        added.add(pid)
            changed += len(changes)
            pending += len(changes)
            if progress:
                progress(min(seq - start, total), total)
            if pending >= COMMIT_EVERY:
                self._commit(writer, store, seq)
                pending = 0
            seq, changes = store.feed.changes_since(seq, limit=CHANGES_BATCH)
        self._commit(writer, store, seq)
        return changed

    def bulk_load(self, fields: Iterable[dict[str, Any]]) -> int:
        """Replace the whole content with these ``keyword_fields`` dicts. For benchmarks: the
        store is not told, so a later ``sync`` of a file index may redo or undo it."""
        with self._lock:
            writer = self._writer()
            writer.delete_all_documents()
            n = 0
            for f in fields:
                writer.add_document(document(f))
                n += 1
            writer.commit()
            writer.wait_merging_threads()
            del writer
            self._index.reload()
            self._reloads += 1
            return n

    def _writer(self) -> tantivy.IndexWriter:
        if not self.writer:
            raise IndexBusy(f"this process only reads the keyword index {self.path}",
                            hint="the server's parent process writes it")
        deadline = time.monotonic() + WRITER_WAIT_S
        while True:
            try:
                return self._index.writer(heap_size=WRITER_HEAP, num_threads=WRITER_THREADS)
            except ValueError as exc:
                if "lock" not in str(exc).lower():
                    raise
                if time.monotonic() > deadline:
                    raise IndexBusy(
                        f"another paperatlas process is updating the keyword index {self.path}",
                        hint="searches use the index as it is meanwhile; `paperatlas index` again when it is done",
                    ) from None
                time.sleep(0.1)

    def _commit(self, writer: tantivy.IndexWriter, store: Store, seq: int) -> None:
        writer.commit()
        self._record(store, seq)

    def _record(self, store: Store, seq: int) -> None:
        self._seq = seq
        self._write_meta()
        store.feed.set_index_seq(NAME, seq)

    def reload(self) -> None:
        """See what another process committed."""
        self._index.reload()
        self._reloads += 1

    def refresh(self) -> bool:
        """Reload the searcher if the writing process committed since the last look (its meta
        file, replaced after each commit, changed); True if it did. One ``stat`` otherwise."""
        stamp = self._stamp()
        if stamp is None or stamp == self._meta_stamp:
            return False
        with self._lock:
            if stamp == self._meta_stamp:  # another thread reloaded meanwhile
                return False
            meta = self._read_meta()
            if meta.get("schema_version") == SCHEMA_VERSION:
                self._seq = int(meta.get("seq", self._seq))
            self._index.reload()
            self._reloads += 1
            self._meta_stamp = stamp
            return True

    def cache_tag(self) -> tuple[int, int]:
        return (self._reloads, self._seq)

    # -- searching ------------------------------------------------------------------------------
    def parse(self, query: str | ParsedQuery) -> ParsedQuery:
        return query if isinstance(query, ParsedQuery) else parse_query(query)

    def _query(self, parsed: ParsedQuery, filters: Filters | None, every_word: bool = False,
               bonus: float = 0.0) -> tuple[Any, bool]:
        try:
            return self.queries.build(parsed, filters, every_word, bonus)
        except (ValueError, TypeError, OverflowError):
            return None, True

    def search(self, query: str | ParsedQuery, filters: Filters | None = None, k: int = 20, offset: int = 0,
               all_words_first: bool = True, count_all_words: bool = False) -> KeywordHits:
        """The ``k`` best papers after ``offset``. A query of several optional words lists the
        papers matching all of them first (``all_words_first``; BM25 orders each group), in one
        tantivy query: those papers get ``all_words_bonus`` added, taken off again here.
        ``count_all_words`` also counts them (a second, count-only query).

        No words (an empty query, only exclusions or only filters): every matching paper,
        newest first, score 0. Each hit costs a stored-document read (about 20 µs)."""
        parsed = self.parse(query)
        bonus = all_words_bonus(len(self.queries.optional_terms(parsed))) if all_words_first else 0.0
        q, scored = self._query(parsed, filters, bonus=bonus)
        if q is None:
            return KeywordHits([], 0)
        hits, total = self._run(q, scored, max(0, int(k)) + max(0, int(offset)))
        if bonus:
            hits = [(pid, s - bonus if s >= bonus else s) for pid, s in hits]
        return KeywordHits(hits[max(0, int(offset)):], total, self.count_all_words(parsed, filters) if count_all_words else None)

    def count_all_words(self, query: str | ParsedQuery, filters: Filters | None = None) -> int | None:
        """How many papers match every word of a query of several words (None for one word)."""
        parsed = self.parse(query)
        if len(self.queries.optional_terms(parsed)) < 2:
            return None
        every, _ = self._query(parsed, filters, every_word=True)
        return 0 if every is None else self._run(every, True, 0)[1]

    def _run(self, q: Any, scored: bool, limit: int) -> tuple[list[tuple[str, float]], int]:
        """(paper id, score) of the first ``limit`` matches, and how many match."""
        tag = self.cache_tag()  # before taking the searcher: a reload in between only wastes the entry
        searcher = self._index.searcher()
        limit = max(0, min(int(limit), searcher.num_docs))
        try:
            if scored:
                res = searcher.search(q, limit=max(limit, 1), count=True)
            else:
                res = searcher.search(q, limit=max(limit, 1), count=True, order_by_field="year", order=tantivy.Order.Desc)
        except ValueError:
            return [], 0
        hits = []
        cache = self.doc_cache
        if len(cache) > DOC_CACHE_SIZE:
            cache.clear()
        for score, addr in res.hits[:limit]:
            doc = searcher.doc(addr)
            doc_id = str(doc.get_first("id"))
            cache[doc_id] = (tag, doc)
            hits.append((doc_id, float(score) if scored else 0.0))
        return hits, int(getattr(res, "count", 0) or 0)  # the stubs miss ``count`` (set with count=True)

    def papers_by_authors(self, names: list[str], limit: int = 500) -> dict[str, list[str]]:
        """paper id -> which of these author names wrote it (each name matched as a phrase in
        one author value, folded as ``filters.fold_name``; at most ``limit`` papers a name)."""
        out: dict[str, list[str]] = {}
        searcher = self._index.searcher()
        for name in names:
            q = self.queries.in_field("authors", [name])
            if q is None:
                continue
            for _, addr in searcher.search(q, limit=limit, count=False).hits:
                out.setdefault(str(searcher.doc(addr).get_first("id")), []).append(name)
        return out

    def facets(self, query: str | ParsedQuery, filters: Filters | None = None,
               fields: Iterable[str] = ("venue", "year", "track", "session")) -> dict[str, list[tuple[str, int]]]:
        """Counts per value among the matches, the top ``FACET_SIZE`` per field, most first.
        Values differing only in case are one value (shown as written most often)."""
        fields = [f for f in fields if f in FACET_FIELDS]
        out: dict[str, list[tuple[str, int]]] = {f: [] for f in fields}
        q, _ = self._query(self.parse(query), filters)
        if q is None or not fields:
            return out
        agg = {f: {"terms": {"field": FACET_FIELDS[f], "size": FACET_SIZE * 2}} for f in fields}
        try:
            res = self._index.searcher().aggregate(q, agg)
        except ValueError:
            return out
        for f in fields:
            out[f] = _facet_values(f, (res.get(f) or {}).get("buckets", []))
        return out

    def explain(self, query: str | ParsedQuery, ids: list[str], *, why: bool = True) -> dict[str, tuple[str, list[str]]]:
        """Per id, an HTML-safe snippet and why it matched (see ``explain.Explainer``)."""
        return self.explainer.explain(self.parse(query), ids, why=why)

    def snippets(self, query: str | ParsedQuery, ids: list[str]) -> dict[str, str]:
        return {pid: snippet for pid, (snippet, _) in self.explain(query, ids, why=False).items()}

    def why(self, query: str | ParsedQuery, ids: list[str]) -> dict[str, list[str]]:
        return {pid: why for pid, (_, why) in self.explain(query, ids).items()}

    def documents(self, ids: list[str]) -> dict[str, tantivy.Document]:
        """Stored documents of these papers (from the recent-search cache when still current)."""
        ids = [i for i in dict.fromkeys(ids) if isinstance(i, str)]
        out = {}
        tag = self.cache_tag()
        for pid in ids:
            cached = self.doc_cache.get(pid)
            if cached is not None and cached[0] == tag:
                out[pid] = cached[1]
        missing = [pid for pid in ids if pid not in out]
        if missing:
            searcher = self._index.searcher()
            res = searcher.search(tantivy.Query.term_set_query(self.schema, "id", missing), limit=len(missing), count=False)
            for _, addr in res.hits:
                doc = searcher.doc(addr)
                out[str(doc.get_first("id"))] = doc
        return out


def _facet_values(field: str, buckets: list[dict[str, Any]]) -> list[tuple[str, int]]:
    merged: dict[str, list[Any]] = {}
    for bucket in buckets:
        key, n = bucket.get("key"), int(bucket.get("doc_count", 0))
        if field == "has_code":
            key = "true" if key in (True, 1, "true") else "false"
        elif isinstance(key, float) and key.is_integer():
            key = str(int(key))
        key = str(key)
        slot = merged.setdefault(key.casefold(), [key, 0, 0])  # shown, total, shown's n
        slot[1] += n
        if n > slot[2]:
            slot[0], slot[2] = key, n
    ranked = sorted(merged.values(), key=lambda s: (-s[1], s[0]))
    return [(shown, total) for shown, total, _ in ranked[:FACET_SIZE]]
