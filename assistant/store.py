"""The index on disk behind one small interface: vectors (vectors.ChromaVectors) + lexical index
(lexical.LexicalIndex, tantivy, kept in step by lexical_store.LexicalStore) + manifest (manifest.Manifest).
Writers hold `lock.IndexLock` (and, from their first lexical write to their commit, tantivy's writer lock);
the manifest is the source of truth, and `recover()` repairs Chroma and the lexical index from it after a crash.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import lexical
from .lexical import LexicalIndex
from .lexical_store import LexicalStore
from .manifest import DocRecord, Manifest, SkippedFile
from .metadata import detect_language
from .settings import Settings
from .types import Chunk, DocMeta, Paragraph, Repair
from .vectors import ChromaVectors, collection_name

log = logging.getLogger(__name__)


@dataclass
class Filter:
    """Restrict a search to documents, a language and/or a date range (ISO dates, inclusive)."""

    docs: list[str] = field(default_factory=list)
    lang: str = ""
    date_from: str = ""
    date_to: str = ""

    @classmethod
    def from_settings(cls, s: Settings) -> "Filter":
        return cls(list(s.filter_docs), s.filter_lang, s.date_from, s.date_to)

    def active(self) -> bool:
        return bool(self.docs or self.lang or self.date_from or self.date_to)

    def allows(self, doc: str, meta: DocMeta) -> bool:
        if self.docs and doc not in self.docs:
            return False
        if self.lang and meta.lang != self.lang:
            return False
        if (self.date_from or self.date_to) and not meta.date:
            return False
        if self.date_from and meta.date < self.date_from:
            return False
        return not (self.date_to and meta.date > self.date_to)


class ChunkView(Mapping[str, Chunk]):
    """The chunks of one index generation by id. Holds only id -> document; a chunk's text is read from
    the manifest when it is first asked for (a hit): reading every chunk took ~1 s and ~150 MB of the
    first question at 100k chunks. An id an ingest removed since the view was loaded is simply absent."""

    MAX_CACHED = 50_000
    MAX_TEXTS = 500  # whole document texts kept (the documents questions quote from: read once, not per question)

    def __init__(self, manifest: Manifest | None = None, docs: dict[str, str] | None = None):
        self._manifest = manifest
        self._docs = docs or {}
        self._cache: dict[str, Chunk] = {}
        self._texts: dict[str, str] = {}

    def doc_of(self, cid: str) -> str | None:
        return self._docs.get(cid)

    def updated(self, change: Change, rows: dict[str, str]) -> ChunkView:
        """This view (at `change.before`) with the chunks of the documents the change touched replaced by
        `rows` (their chunk ids now, with their documents): what a full reload at `change.after` gives."""
        ids = dict(self._docs)  # a copy, not a filter of every id: ~5 ms against ~50 ms at 100k chunks
        for cid in change.old_ids:
            ids.pop(cid, None)
        ids.update(rows)
        view = ChunkView(self._manifest, ids)
        view._cache = {cid: c for cid, c in self._cache.items() if c.doc not in change.docs and cid in ids}
        view._texts = {d: t for d, t in self._texts.items() if d not in change.docs}
        return view

    def __getitem__(self, cid: str) -> Chunk:
        chunk = self._cache.get(cid)
        if chunk is None:
            if cid not in self._docs or self._manifest is None:
                raise KeyError(cid)
            chunk = self._manifest.chunk(cid)
            if chunk is None:
                raise KeyError(cid)
            if len(self._cache) >= self.MAX_CACHED:
                self._cache.clear()
            self._cache[cid] = chunk
        return chunk

    def document_text(self, doc: str) -> str | None:
        """A document's whole text as this generation has it (None: not in the index). Questions read it
        for every quoted document (entity checks, citation checks): from memory after the first time."""
        text = self._texts.get(doc)
        if text is None and self._manifest is not None:
            text = self._manifest.document_text(doc)
            if text is not None:
                if len(self._texts) >= self.MAX_TEXTS:
                    self._texts.clear()
                self._texts[doc] = text
        return text

    def __iter__(self) -> Iterator[str]:
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)


class VectorMemo:
    """The encoder outputs an index read last, by `vector_key`; least recently read dropped past `size`
    (384 floats each: ~1.5 KB, so the default holds ~30 MB)."""

    def __init__(self, size: int = 20_000):
        self._size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            out = {k: v for k in keys if (v := self._items.get(k)) is not None}
            for k in out:
                self._items.move_to_end(k)
        return out

    def put(self, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._items.update(items)
            for k in items:
                self._items.move_to_end(k)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


@dataclass(frozen=True)
class Change:
    """What one commit changed: the generation it started from and the one it published, and every
    document it added, replaced, renamed (old and new name) or deleted. A reader whose view is at
    `before` reaches `after` by reloading only those documents (Index.refresh)."""

    before: str | None
    after: str
    docs: frozenset[str]
    old_ids: tuple[str, ...]  # the chunk ids those documents had at `before`


class Index:
    """Open the index under settings.index_dir for one embedding model. Callers use its methods: the
    manifest and the Chroma collection stay inside (tests/test_store_interface.py)."""

    def __init__(self, settings: Settings, model_id: str):
        self.settings = settings
        self.model_id = model_id
        self.dir = Path(settings.index_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._manifest = Manifest(self.dir / "manifest.sqlite")  # callers use the methods below, never the manifest
        self._vector_memo = VectorMemo()  # cached_vectors: the sentence vectors recent questions read
        self._vectors = ChromaVectors(settings, self.dir, self._collection_name(model_id))
        self._lex = LexicalStore(self.dir, self._manifest)
        self._view_generation: str | None = None
        self.chunks = ChunkView()
        self.doc_meta: dict[str, DocMeta] = {}
        self._began_at: str | None = None  # the generation begin() found (a writer's)
        self._touched: set[str] = set()  # documents written since begin()
        self._old_ids: list[str] = []  # and the chunk ids they had then
        self.last_change: Change | None = None  # what this writer's last commit() changed
        # retrieval reloads the view when a writer published (one reader); False: its owner does, between
        # the questions of the threads that share it (App)
        self.follows_writes = True

    # vectors -----------------------------------------------------------------------------
    @property
    def collection(self):
        """The Chroma collection itself, for tests that damage it on purpose; callers use the methods."""
        return self._vectors.collection

    def _collection_name(self, model_id: str) -> str:
        """One collection per model; on a Chroma server also per index folder, so that two index folders
        sharing a server never see (and recover() never deletes) each other's vectors."""
        if not self.settings.chroma_host:
            return collection_name(model_id)  # the embedded store lives inside the index folder already
        return collection_name(f"{model_id}\0{self._manifest.get('index_id')}")

    @property
    def passage_recipe(self) -> str:
        """How chunks become encoder input (ingest.passage_texts): part of what the vectors mean."""
        return "context-v1" if self.settings.embed_context else "plain"

    def model_changed(self) -> bool:
        """True when the manifest was built with another embedding model or passage recipe (an index from
        before recipes were recorded was built plain)."""
        old = self.built_model()
        if not old:
            return False
        return old != self.model_id or (self._manifest.get("passage_recipe") or "plain") != self.passage_recipe

    def reset_for_model(self) -> None:
        """Forget the old model's vectors and documents; the next sync re-embeds everything."""
        old = self.built_model()
        if old:
            ChromaVectors.drop(self.settings, self.dir, self._collection_name(old))
        self._manifest.reset()
        self._lex.writer().clear()
        self._manifest.set("model_id", self.model_id)
        self._manifest.set("passage_recipe", self.passage_recipe)
        self.commit()

    # writes (caller holds the lock) ------------------------------------------------------
    def begin(self) -> None:
        self._manifest.set("model_id", self.model_id)
        self._manifest.set("passage_recipe", self.passage_recipe)
        self._manifest.set("dirty", "1")
        self._began_at, self._touched, self._old_ids = self._manifest.get("generation"), set(), []

    def put_many(self, docs: list[tuple[DocRecord, str, list[Paragraph], list[Chunk], np.ndarray]]) -> None:
        """Replace documents: new vectors in, a few Chroma calls for all of them (one call per document
        cost more than the rest of the pipeline outside the encoder), then one manifest row per document
        commits it. The old vectors and chunk texts stay until commit(), for readers of the committed
        generation. A crash in between leaves orphans or missing vectors, which recover() repairs from
        the manifest."""
        old_ids = [cid for rec, *_ in docs for cid in self._manifest.doc_chunk_ids(rec.path)]
        chunks = [c for *_, doc_chunks, _ in docs for c in doc_chunks]
        ids = [c.id for c in chunks]
        metas = [{"doc": c.doc, "paragraph": c.paragraph, "kind": c.kind} for c in chunks]
        vectors = np.concatenate([v for *_, v in docs]).astype(np.float32) if docs else np.zeros((0, 0), np.float32)
        self._vectors.upsert(ids, vectors, metas)
        now = time.time()
        for rec, text, paragraphs, doc_chunks, _ in docs:
            rec.n_chunks, rec.n_paragraphs, rec.indexed_at = len(doc_chunks), len(paragraphs), now
            self._manifest.put_document(rec, text, paragraphs, doc_chunks)
            self._touched.add(rec.path)
        self._old_ids += old_ids
        lex = self._lex.writer()
        lex.remove(old_ids)
        lex.add(
            ids,
            [c.doc for c in chunks],
            [c.text for c in chunks],
            [rec.meta.lang for rec, _t, _p, doc_chunks, _v in docs for _c in doc_chunks],
        )

    def delete(self, path: str) -> None:
        """Forget a document; its vectors go at commit() (readers of the committed generation still use them)."""
        ids = self._manifest.doc_chunk_ids(path)
        self._manifest.delete_document(path)
        self._touched.add(path)
        self._old_ids += ids
        self._lex.writer().remove(ids)

    def rename(self, old: str, new: str, mtime_ns: int) -> None:
        ids = self._manifest.doc_chunk_ids(old)
        self._manifest.rename_document(old, new, mtime_ns)
        self._touched |= {old, new}
        self._old_ids += ids
        self._vectors.set_doc(ids, new)
        # the lexical index files chunks by document too: the renamed document's chunks are analysed again
        chunks = [c for c in (self._manifest.chunk(cid) for cid in ids) if c is not None]
        lex = self._lex.writer()
        lex.remove(ids)
        lex.add(
            [c.id for c in chunks],
            [new] * len(chunks),
            [c.text for c in chunks],
            [self._manifest.doc_lang(new)] * len(chunks),
        )

    def commit(self) -> None:
        """Drop the vectors of chunks this ingest replaced or deleted, commit the lexical index (rebuilt
        when its deleted chunks weigh too much in its BM25 statistics, see lexical.py) and publish the new
        generation (with the retired chunk texts gone) in one manifest transaction."""
        self._vectors.delete(self._manifest.retired_dead_ids())
        lex = self._lex.writer()
        lex.commit()
        if lex.needs_compaction():
            self._lex.rebuild(lex)
            lex.commit()
        self._lex.drop_old_snapshot()
        generation = uuid.uuid4().hex
        self._manifest.publish(generation, lexical.identity())
        self.last_change = Change(self._began_at, generation, frozenset(self._touched), tuple(self._old_ids))
        self._began_at, self._touched, self._old_ids = None, set(), []

    def recover(self) -> list[Repair]:
        """After a crash: drop orphan vectors, forget documents whose vectors are missing, rebuild the
                lexical index; otherwise rebuild a lexical index not in step with the manifest (a previous
                version's, another analysis's); widen the vector search of an index an earlier version made
        (vectors.SEARCH_EF). Returns what was repaired."""
        repaired: list[Repair] = []
        tuned = self._vectors.tune()
        if tuned:
            repaired.append(Repair("search-breadth", tuned))
            log.info(tuned)
        if not self.interrupted():
            problem = self.lexical_problem()
            if problem:  # readers answered from an in-memory rebuild until now
                self._lex.rebuild(self._lex.writer())
                self.commit()
                repaired.append(Repair("lexical", f"lexical index rebuilt ({problem})"))
                log.info("lexical index rebuilt from the manifest: %s", problem)
            return repaired
        known = self._manifest.chunk_ids()
        stored = set(self.vector_ids())
        orphans = stored - known - set(self._manifest.retired_dead_ids())  # those go at commit() below, as planned
        if orphans:
            self._vectors.delete(sorted(orphans))
            repaired.append(Repair("orphan-vectors", f"removed {len(orphans)} orphan vectors"))
        missing = known - stored
        if missing:
            docs = {c.doc for c in self._manifest.all_chunks() if c.id in missing}
            for doc in sorted(docs):
                self.delete(doc)
                repaired.append(Repair("missing-vectors", f"{doc}: vectors incomplete, will be re-indexed", (doc,)))
        self._lex.rebuild(self._lex.writer())
        self.commit()
        repaired.append(Repair("lexical", "lexical index rebuilt"))
        return repaired

    def mark_skipped(self, path: str, size: int, mtime_ns: int, reason: str) -> None:
        """Record that a sync could not index this version of a file, and why (a user reads the reason)."""
        self._manifest.set_skipped(path, size, mtime_ns, reason)

    def clear_skipped(self, path: str) -> None:
        """Forget the skip record of a file (gone from corpus/)."""
        self._manifest.clear_skipped(path)

    def touch(self, path: str, mtime_ns: int) -> None:
        """Record a new modification time for a document whose content did not change."""
        self._manifest.touch(path, mtime_ns)

    # state -------------------------------------------------------------------------------
    @property
    def index_id(self) -> str:
        """This index folder's identity, kept across model changes (its collection name on a Chroma server)."""
        return self._manifest.get("index_id")

    def built_model(self) -> str:
        """The embedding model the index was built with ("" for a new index)."""
        return self._manifest.get("model_id")

    def interrupted(self) -> bool:
        """An ingest began and did not commit (the index is marked dirty until recover() or a commit)."""
        return self._manifest.get("dirty", "0") == "1"

    # documents and chunks as indexed (the committed generation's texts for readers) -----
    def documents(self) -> list[DocRecord]:
        """Every indexed document's record (hash, size, mtime, metadata, counts), by path."""
        return self._manifest.documents()

    def document_text(self, doc: str) -> str | None:
        """The whole text of a document as indexed (None: not in the index): the loaded view's, once one
        is (what its chunks were cut from), else the manifest's."""
        if self._view_generation is not None:
            return self.chunks.document_text(doc)
        return self._manifest.document_text(doc)

    def paragraphs(self, doc: str) -> list[Paragraph]:
        """A document's paragraphs as indexed, in order ([] when it is not in the index)."""
        return self._manifest.paragraphs(doc)

    def chunk_ids(self) -> set[str]:
        """Every indexed chunk id (checks and repairs; questions read `chunks`)."""
        return self._manifest.chunk_ids()

    def doc_chunk_ids(self, doc: str) -> list[str]:
        """The ids of a document's chunks, sorted ([] when it is not in the index)."""
        return self._manifest.doc_chunk_ids(doc)

    def document_chunks(self, doc: str) -> list[Chunk]:
        """A document's chunks in the loaded view, in document order (chunk ids number them)."""
        return [c for c in (self.chunks.get(cid) for cid in self.doc_chunk_ids(doc)) if c is not None]

    def all_chunks(self) -> list[Chunk]:
        """Every indexed chunk with its text, in document order (checks; questions read `chunks`)."""
        return self._manifest.all_chunks()

    def counts(self) -> tuple[int, int]:
        """(paragraphs, chunks) indexed."""
        return self._manifest.counts()

    def skipped(self) -> dict[str, SkippedFile]:
        """The files a sync could not index, by path: the size and mtime it saw, and why."""
        return self._manifest.skipped()

    # caches: the embedding cache by manifest.vector_key, OCR readings by content hash ---------
    def cached_vectors(self, keys: list[str]) -> dict[str, np.ndarray]:
        """Cached encoder outputs by `vector_key` (those not cached are absent). A key names its model and
        text, so what it holds never changes: the last ones read stay in memory (VectorMemo), and a question
        reads from SQLite only the sentence vectors no recent question read."""
        found = self._vector_memo.get(keys)
        missing = [k for k in keys if k not in found]
        if missing:
            read = {k: np.frombuffer(v, dtype=np.float32) for k, v in self._manifest.cached_vectors(missing).items()}
            self._vector_memo.put(read)
            found.update(read)
        return found

    def cache_vectors(self, items: list[tuple[str, np.ndarray]]) -> None:
        """Keep encoder outputs (float32) by `vector_key`."""
        self._manifest.cache_vectors([(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in items])

    def ocr_cached(self, digest: str, recipe: str) -> dict[int, str]:
        """Pages OCR read from this content with this recipe (ocr.OcrCache)."""
        return self._manifest.ocr_cached(digest, recipe)

    def cache_ocr(self, digest: str, recipe: str, page: int, data: str) -> None:
        """Keep one page OCR read (ocr.OcrCache)."""
        self._manifest.cache_ocr(digest, recipe, page, data)

    def doc_hash(self, doc: str) -> str | None:
        """The content hash of an indexed document (None when not indexed)."""
        return self._manifest.doc_hash(doc)

    def doc_ocr_pages(self, doc: str) -> set[int]:
        """Pages of an indexed document whose text OCR read (empty for text documents and unknown paths)."""
        return self._manifest.doc_ocr_pages(doc)

    def ocr_page(self, digest: str, page: int) -> str | None:
        """The latest OCR reading of one page of this content (its text and word boxes, JSON), or None."""
        return self._manifest.ocr_page(digest, page)

    @property
    def manifest_for_tests(self) -> Manifest:
        """The manifest itself, for tests that damage it on purpose; callers use the methods."""
        return self._manifest

    def vector_ids(self) -> list[str]:
        """Every chunk id that has a vector (checks and repairs; questions never need it)."""
        return self._vectors.ids()

    def vector_docs(self, ids: list[str]) -> dict[str, str | None]:
        """The document each stored vector is filed under (absent ids: no vector)."""
        return self._vectors.docs(ids)

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray | None]:
        """The stored vector of each id (None when it cannot be read back; absent ids: no vector)."""
        return self._vectors.vectors(ids)

    # lexical -----------------------------------------------------------------------------
    def _lexical(self) -> LexicalIndex:
        """The readers' lexical index: the commit of the loaded generation."""
        return self._lex.reader()

    def lexical_ids(self) -> list[str]:
        """Every chunk id in the readers' lexical index (checks; questions never need it)."""
        return self._lexical().ids()

    def lexical_problem(self, thorough: bool = False) -> str | None:
        """Why the lexical index on disk is not in step with the manifest, or None (see LexicalStore.problem)."""
        return self._lex.problem(thorough)

    # reads -------------------------------------------------------------------------------
    def needs_refresh(self) -> bool:
        """No view is loaded yet, or a writer published a new generation since it was."""
        return not self.chunks or self._manifest.get("generation") != self._view_generation

    def refresh(self, change: Change | None = None) -> None:
        """(Re)load the in-memory view when another process (or this one) changed the index. Not safe
        while other threads read the view: an index shared by threads sets `follows_writes = False`
        and its owner reloads between questions (App, with lock.ReadWriteLock). `change`: what a writer
        just committed (its Index.last_change); when the view is at the generation it started from and
        it is the newest, only its documents are read again (at 100k chunks a whole reload was ~0.2 s
        of a one-file resync)."""
        generation = self._manifest.get("generation")
        if generation == self._view_generation and self.chunks:
            return
        if self._view_generation is not None and generation != self._view_generation:
            self._vectors.reopen()
        with self._read_snapshot():  # one consistent state even while another process writes
            generation = self._manifest.get("generation")
            self._lex.drop_reader()
            if (
                change is not None and self.chunks and change.before is not None
                and change.before == self._view_generation and change.after == generation
            ):  # fmt: skip
                self.chunks = self.chunks.updated(change, self._manifest.chunk_docs(change.docs))
                metas = {d.path: d.meta for d in self._manifest.documents(change.docs)}
                self.doc_meta = {p: m for p, m in self.doc_meta.items() if p not in change.docs} | metas
            else:
                self.chunks = ChunkView(self._manifest, self._manifest.chunk_docs())
                self.doc_meta = {d.path: d.meta for d in self._manifest.documents()}
            self._lexical()
        self._view_generation = generation

    @property
    def view_generation(self) -> str | None:
        """The manifest generation the readers' view was loaded from (None before the first load)."""
        return self._view_generation

    def view_is_current(self) -> bool:
        """No writer published a generation since the view was loaded (always True before the first load)."""
        return self._view_generation is None or self._manifest.get("generation") == self._view_generation

    @contextmanager
    def _read_snapshot(self) -> Iterator[None]:
        """A read transaction on the manifest (WAL: later commits by a writer stay invisible until it ends)."""
        db = self._manifest.db
        if db.in_transaction:
            yield
            return
        db.execute("BEGIN")
        try:
            yield
        finally:
            db.execute("COMMIT")

    def allowed_docs(self, flt: Filter | None) -> set[str] | None:
        if flt is None or not flt.active():
            return None
        return {d for d, m in self.doc_meta.items() if flt.allows(d, m)}

    def dense(self, vector: np.ndarray, k: int, docs: set[str] | None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity), best first: the k best chunks of the loaded view. Vectors an
        ingest in progress added (visible at once on a server or in the writer's own process) are not in
        the view; they are skipped and more are fetched, so a reader's k are those of its generation."""
        if docs is not None and not docs:
            return []
        known = (
            (lambda cid: self.chunks.doc_of(cid) is not None)
            if self._view_generation is not None
            else (lambda cid: True)
        )
        return self._vectors.search(vector, k, docs, known)

    def lexical_search(self, query: str, k: int, docs: set[str] | None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first, only chunks with a positive score. The question is
        analysed in its language (Vietnamese when too short to tell). Only chunks of the loaded view:
        a writer's commit landing between its lexical commit and its manifest publish is not mixed in."""
        lang = detect_language(query) or "vi"
        if self._view_generation is None:
            return self._lexical().search(query, lang, k, docs)
        want = k
        while True:
            got = self._lexical().search(query, lang, want, docs)
            hits = [(cid, s) for cid, s in got if self.chunks.doc_of(cid) is not None]
            if len(hits) >= k or len(got) < want:
                return hits[:k]
            want += 2 * (k - len(hits))

    def release_memory(self) -> None:
        """Drop in-memory views (a writer between syncs); they reload from disk when needed."""
        self._lex.drop_reader()
        self.chunks = ChunkView()
        self.doc_meta = {}
        self._view_generation = None
        self._lex.close_writer()

    def close(self) -> None:
        self._lex.close_writer()
        self._manifest.close()
