"""The index on disk behind one small interface: Chroma vectors + lexical index (tantivy) + manifest.

The only module that imports chromadb. Writers hold `lock.IndexLock` (and, from their first lexical
write to their commit, tantivy's writer lock); the manifest is the source of truth, and `recover()`
repairs Chroma and the lexical index from it after a crash.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import IndexError_
from . import lexical
from .lexical import LexicalError, LexicalIndex
from .manifest import DocRecord, Manifest
from .metadata import detect_language
from .settings import Settings
from .types import Chunk, DocMeta, Paragraph, Repair

CHROMA_BATCH = 1000  # ids per Chroma call (its own limit is ~5,000)
LEXICAL_DIR = "lexical"  # the tantivy index inside the index folder
OLD_SNAPSHOT = "lexical.npz"  # the lexical index of versions before tantivy: replaced on first use
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

    def __init__(self, manifest: Manifest | None = None, docs: dict[str, str] | None = None):
        self._manifest = manifest
        self._docs = docs or {}
        self._cache: dict[str, Chunk] = {}

    def doc_of(self, cid: str) -> str | None:
        return self._docs.get(cid)

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

    def __iter__(self) -> Iterator[str]:
        return iter(self._docs)

    def __len__(self) -> int:
        return len(self._docs)


class Index:
    """Open the index under settings.index_dir for one embedding model."""

    def __init__(self, settings: Settings, model_id: str):
        self.settings = settings
        self.model_id = model_id
        self.dir = Path(settings.index_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(self.dir / "manifest.sqlite")
        self._collection = None
        self._lexical: LexicalIndex | None = None  # the readers' view: the commit of the loaded generation
        self._lexical_w: LexicalIndex | None = None  # the writer's, on disk, holding tantivy's lock while writing
        self._view_generation: str | None = None
        self.chunks = ChunkView()
        self.doc_meta: dict[str, DocMeta] = {}

    # chroma ------------------------------------------------------------------------------
    @property
    def collection(self):
        if self._collection is None:
            self._collection = _open_collection(self.settings, self.dir, self._collection_name(self.model_id))
        return self._collection

    def _collection_name(self, model_id: str) -> str:
        """One collection per model; on a Chroma server also per index folder, so that two index folders
        sharing a server never see (and recover() never deletes) each other's vectors."""
        if not self.settings.chroma_host:
            return _collection_name(model_id)  # the embedded store lives inside the index folder already
        return _collection_name(f"{model_id}\0{self.manifest.get('index_id')}")

    @property
    def passage_recipe(self) -> str:
        """How chunks become encoder input (ingest.passage_texts): part of what the vectors mean."""
        return "context-v1" if self.settings.embed_context else "plain"

    def model_changed(self) -> bool:
        """True when the manifest was built with another embedding model or passage recipe (an index from
        before recipes were recorded was built plain)."""
        old = self.manifest.get("model_id")
        if not old:
            return False
        return old != self.model_id or (self.manifest.get("passage_recipe") or "plain") != self.passage_recipe

    def reset_for_model(self) -> None:
        """Forget the old model's vectors and documents; the next sync re-embeds everything."""
        old = self.manifest.get("model_id")
        if old:
            _drop_collection(self.settings, self.dir, self._collection_name(old))
        self.manifest.reset()
        self._lexical_writer().clear()
        self.manifest.set("model_id", self.model_id)
        self.manifest.set("passage_recipe", self.passage_recipe)
        self.commit()

    # writes (caller holds the lock) ------------------------------------------------------
    def begin(self) -> None:
        self.manifest.set("model_id", self.model_id)
        self.manifest.set("passage_recipe", self.passage_recipe)
        self.manifest.set("dirty", "1")

    def put_many(self, docs: list[tuple[DocRecord, str, list[Paragraph], list[Chunk], np.ndarray]]) -> None:
        """Replace documents: new vectors in, a few Chroma calls for all of them (one call per document
        cost more than the rest of the pipeline outside the encoder), then one manifest row per document
        commits it. The old vectors and chunk texts stay until commit(), for readers of the committed
        generation. A crash in between leaves orphans or missing vectors, which recover() repairs from
        the manifest."""
        old_ids = [cid for rec, *_ in docs for cid in self.manifest.doc_chunk_ids(rec.path)]
        chunks = [c for *_, doc_chunks, _ in docs for c in doc_chunks]
        ids = [c.id for c in chunks]
        metas = [{"doc": c.doc, "paragraph": c.paragraph, "kind": c.kind} for c in chunks]
        vectors = np.concatenate([v for *_, v in docs]).astype(np.float32) if docs else np.zeros((0, 0), np.float32)
        for i in range(0, len(ids), CHROMA_BATCH):
            self.collection.upsert(ids=ids[i : i + CHROMA_BATCH], embeddings=vectors[i : i + CHROMA_BATCH], metadatas=metas[i : i + CHROMA_BATCH])
        now = time.time()
        for rec, text, paragraphs, doc_chunks, _ in docs:
            rec.n_chunks, rec.n_paragraphs, rec.indexed_at = len(doc_chunks), len(paragraphs), now
            self.manifest.put_document(rec, text, paragraphs, doc_chunks)
        lex = self._lexical_writer()
        lex.remove(old_ids)
        lex.add(ids, [c.doc for c in chunks], [c.text for c in chunks], [rec.meta.lang for rec, _t, _p, doc_chunks, _v in docs for _c in doc_chunks])

    def delete(self, path: str) -> None:
        """Forget a document; its vectors go at commit() (readers of the committed generation still use them)."""
        ids = self.manifest.doc_chunk_ids(path)
        self.manifest.delete_document(path)
        self._lexical_writer().remove(ids)

    def rename(self, old: str, new: str, mtime_ns: int) -> None:
        ids = self.manifest.doc_chunk_ids(old)
        self.manifest.rename_document(old, new, mtime_ns)
        for i in range(0, len(ids), CHROMA_BATCH):
            part = ids[i : i + CHROMA_BATCH]
            got = self.collection.get(ids=part, include=["metadatas"])
            metas = [{**m, "doc": new} for m in got["metadatas"]]
            self.collection.update(ids=got["ids"], metadatas=metas)
        # the lexical index files chunks by document too: the renamed document's chunks are analysed again
        chunks = [c for c in (self.manifest.chunk(cid) for cid in ids) if c is not None]
        lex = self._lexical_writer()
        lex.remove(ids)
        lex.add([c.id for c in chunks], [new] * len(chunks), [c.text for c in chunks], [self.manifest.doc_lang(new)] * len(chunks))

    def commit(self) -> None:
        """Drop the vectors of chunks this ingest replaced or deleted, commit the lexical index (rebuilt
        when its deleted chunks weigh too much in its BM25 statistics, see lexical.py) and publish the new
        generation (with the retired chunk texts gone) in one manifest transaction."""
        dead = self.manifest.retired_dead_ids()
        for i in range(0, len(dead), CHROMA_BATCH):
            self.collection.delete(ids=dead[i : i + CHROMA_BATCH])
        lex = self._lexical_writer()
        lex.commit()
        if lex.needs_compaction():
            self._rebuild_lexical(lex)
            lex.commit()
        (self.dir / OLD_SNAPSHOT).unlink(missing_ok=True)
        self.manifest.publish(uuid.uuid4().hex, lexical.identity())

    def recover(self) -> list[Repair]:
        """After a crash: drop orphan vectors, forget documents whose vectors are missing, rebuild the
        lexical index; otherwise rebuild a lexical index not in step with the manifest (a previous
        version's, another analysis's). Returns what was repaired."""
        repaired: list[Repair] = []
        if self.manifest.get("dirty", "0") != "1":
            problem = self.lexical_problem()
            if problem:  # readers answered from an in-memory rebuild until now
                self._rebuild_lexical(self._lexical_writer())
                self.commit()
                repaired.append(Repair("lexical", f"lexical index rebuilt ({problem})"))
                log.info("lexical index rebuilt from the manifest: %s", problem)
            return repaired
        known = self.manifest.chunk_ids()
        stored = set(self.vector_ids())
        orphans = stored - known - set(self.manifest.retired_dead_ids())  # those go at commit() below, as planned
        if orphans:
            ids = sorted(orphans)
            for i in range(0, len(ids), CHROMA_BATCH):
                self.collection.delete(ids=ids[i : i + CHROMA_BATCH])
            repaired.append(Repair("orphan-vectors", f"removed {len(orphans)} orphan vectors"))
        missing = known - stored
        if missing:
            docs = {c.doc for c in self.manifest.all_chunks() if c.id in missing}
            for doc in sorted(docs):
                self.delete(doc)
                repaired.append(Repair("missing-vectors", f"{doc}: vectors incomplete, will be re-indexed", (doc,)))
        self._rebuild_lexical(self._lexical_writer())
        self.commit()
        repaired.append(Repair("lexical", "lexical index rebuilt"))
        return repaired

    def vector_ids(self) -> list[str]:
        """Every chunk id that has a vector (checks and repairs; questions never need it)."""
        ids: list[str] = []
        offset = 0
        while True:
            got = self.collection.get(include=[], limit=5000, offset=offset)
            ids.extend(got["ids"])
            if len(got["ids"]) < 5000:
                return ids
            offset += 5000

    def vector_docs(self, ids: list[str]) -> dict[str, str | None]:
        """The document each stored vector is filed under (absent ids: no vector)."""
        out: dict[str, str | None] = {}
        for i in range(0, len(ids), CHROMA_BATCH):
            got = self.collection.get(ids=ids[i : i + CHROMA_BATCH], include=["metadatas"])
            out.update({cid: (meta or {}).get("doc") for cid, meta in zip(got["ids"], got["metadatas"])})
        return out

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray | None]:
        """The stored vector of each id (None when Chroma returns none for it; absent ids: no vector)."""
        out: dict[str, np.ndarray | None] = {}
        for i in range(0, len(ids), CHROMA_BATCH):
            got = self.collection.get(ids=ids[i : i + CHROMA_BATCH], include=["embeddings"])
            vecs = got["embeddings"] if got["embeddings"] is not None else [None] * len(got["ids"])
            out.update({cid: None if v is None else np.asarray(v, dtype=np.float32) for cid, v in zip(got["ids"], vecs)})
        return out

    # lexical -----------------------------------------------------------------------------
    def lexical(self) -> LexicalIndex:
        """The readers' lexical index: the commit of the loaded generation."""
        if self._lexical is None:
            self._lexical = self._load_lexical()
        return self._lexical

    def lexical_problem(self, thorough: bool = False) -> str | None:
        """Why the lexical index on disk is not in step with the manifest, or None. Cheap (counts) unless
        `thorough`, which compares every chunk id (doctor)."""
        known = self.manifest.counts()[1]
        if (self.dir / OLD_SNAPSHOT).exists():
            return f"the lexical index was built by a previous version ({OLD_SNAPSHOT}) and is rebuilt as a tantivy index ({LEXICAL_DIR}/)"
        path = self.dir / LEXICAL_DIR
        if not path.exists():
            return f"the lexical index ({LEXICAL_DIR}/) is missing" if known else None
        try:
            lex = LexicalIndex.open(path)
        except LexicalError as e:
            return f"the lexical index ({LEXICAL_DIR}/) cannot be read ({e})"
        if self.manifest.get("lexical_analysis") != lexical.identity() and known:
            return "the lexical index was built by another version of the text analysis or of its index format"
        if lex.num_docs() != known or (thorough and set(lex.ids()) != self.manifest.chunk_ids()):
            return f"the lexical index holds {lex.num_docs()} chunks, the manifest {known}"
        return None

    def _lexical_writer(self) -> LexicalIndex:
        """The lexical index on disk for this writer (caller holds the index lock); a folder that cannot
        be opened is replaced by an empty index, which recover() then rebuilds from the manifest."""
        if self._lexical_w is None:
            path = self.dir / LEXICAL_DIR
            try:
                self._lexical_w = LexicalIndex(path)
            except LexicalError:
                self._lexical_w = LexicalIndex.recreate(path)
        return self._lexical_w

    def _load_lexical(self) -> LexicalIndex:
        if self.manifest.get("lexical_analysis") == lexical.identity() and not (self.dir / OLD_SNAPSHOT).exists():
            try:
                return LexicalIndex.open(self.dir / LEXICAL_DIR)
            except LexicalError:
                pass  # rebuilt in memory below
        if not self.manifest.counts()[1]:
            return LexicalIndex()
        log.warning("%s: answering from a lexical index rebuilt in memory until the next `assistant ingest` repairs it on disk",
                    self.lexical_problem() or "the lexical index is not in step with the manifest")
        lex = LexicalIndex()
        self._rebuild_lexical(lex)
        lex.commit()
        return lex

    def _rebuild_lexical(self, lex: LexicalIndex) -> None:
        """Replace every chunk of `lex` by the manifest's (committed by the caller)."""
        lex.clear()
        chunks = self.manifest.all_chunks()
        lang = {d.path: d.meta.lang for d in self.manifest.documents()}
        lex.add([c.id for c in chunks], [c.doc for c in chunks], [c.text for c in chunks], [lang.get(c.doc, "") for c in chunks])

    # reads -------------------------------------------------------------------------------
    def refresh(self) -> None:
        """(Re)load the in-memory view when another process (or this one) changed the index."""
        generation = self.manifest.get("generation")
        if generation == self._view_generation and self.chunks:
            return
        if self._view_generation is not None and generation != self._view_generation:
            self._reopen_chroma()
        with self._read_snapshot():  # one consistent state even while another process writes
            generation = self.manifest.get("generation")
            self._lexical = None
            self.chunks = ChunkView(self.manifest, self.manifest.chunk_docs())
            self.doc_meta = {d.path: d.meta for d in self.manifest.documents()}
            self.lexical()
        self._view_generation = generation

    def view_is_current(self) -> bool:
        """No writer published a generation since the view was loaded (always True before the first load)."""
        return self._view_generation is None or self.manifest.get("generation") == self._view_generation

    def _reopen_chroma(self) -> None:
        """Make dense search see what other processes wrote since Chroma was opened here.

        A PersistentClient keeps the vector index it loaded and never sees another process's writes
        (MODELS.md); Chroma caches one such system per folder per process, so the cache is dropped and
        the next read opens the folder afresh. Collections already handed out keep their old system."""
        if self._collection is None or self.settings.chroma_host:
            return  # nothing loaded yet, or a server, which is always current
        from chromadb.api.shared_system_client import SharedSystemClient

        self._collection = None
        SharedSystemClient.clear_system_cache()

    @contextmanager
    def _read_snapshot(self) -> Iterator[None]:
        """A read transaction on the manifest (WAL: later commits by a writer stay invisible until it ends)."""
        db = self.manifest.db
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
        where = {"doc": {"$in": sorted(docs)}} if docs is not None else None
        known = (lambda cid: self.chunks.doc_of(cid) is not None) if self._view_generation is not None else (lambda cid: True)
        try:
            total = self.collection.count()
            want = k
            while total:
                res = self.collection.query(query_embeddings=[vector.astype(np.float32)], n_results=min(want, total), where=where, include=["distances"])
                got = [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0]) if known(cid)]
                if len(got) >= k or want >= total or len(res["ids"][0]) < min(want, total):
                    return got[:k]
                want = min(total, want + 2 * (k - len(got)))
            return []
        except Exception as e:  # a Chroma server that went away raises httpx errors
            if not self.settings.chroma_host or not type(e).__module__.startswith("httpx"):
                raise
            raise IndexError_(_server_unreachable(self.settings, e)) from e

    def lexical_search(self, query: str, k: int, docs: set[str] | None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first, only chunks with a positive score. The question is
        analysed in its language (Vietnamese when too short to tell). Only chunks of the loaded view:
        a writer's commit landing between its lexical commit and its manifest publish is not mixed in."""
        lang = detect_language(query) or "vi"
        if self._view_generation is None:
            return self.lexical().search(query, lang, k, docs)
        want = k
        while True:
            got = self.lexical().search(query, lang, want, docs)
            hits = [(cid, s) for cid, s in got if self.chunks.doc_of(cid) is not None]
            if len(hits) >= k or len(got) < want:
                return hits[:k]
            want += 2 * (k - len(hits))

    def release_memory(self) -> None:
        """Drop in-memory views (a writer between syncs); they reload from disk when needed."""
        self._lexical = None
        self.chunks = ChunkView()
        self.doc_meta = {}
        self._view_generation = None
        self._close_lexical_writer()

    def _close_lexical_writer(self) -> None:
        """Release tantivy's writer lock (uncommitted lexical writes are dropped; recover() repairs them)."""
        if self._lexical_w is not None:
            self._lexical_w.close()
            self._lexical_w = None

    def close(self) -> None:
        self._close_lexical_writer()
        self.manifest.close()


def _collection_name(model_id: str) -> str:
    return "chunks_" + hashlib.sha1(model_id.encode()).hexdigest()[:16]


def _client(settings: Settings, index_dir: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as e:  # chromadb raises plain ValueError/ConnectionError here
            raise IndexError_(_server_unreachable(settings, e)) from e
    return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=chroma_settings)


def _server_unreachable(settings: Settings, e: Exception) -> str:
    return (
        f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} "
        f"(ASSISTANT_CHROMA_HOST / ASSISTANT_CHROMA_PORT): {e}; start it with "
        "`chroma run --path DIR --host 127.0.0.1 --port N`, or unset ASSISTANT_CHROMA_HOST to use the embedded store"
    )


def _open_collection(settings: Settings, index_dir: Path, name: str, attempts: int = 5):
    """The collection, created if needed. Two processes creating a brand-new embedded store at the same
    instant race inside Chroma's schema set-up ("table ... already exists", "database is locked"): the
    loser retries."""
    for attempt in range(attempts):
        try:
            return _client(settings, index_dir).get_or_create_collection(name, metadata={"hnsw:space": "cosine"}, embedding_function=None)
        except Exception as e:  # chromadb raises plain sqlite/internal errors here
            racing = any(m in str(e) for m in ("already exists", "database is locked"))
            if settings.chroma_host or not racing or attempt == attempts - 1:
                raise
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()  # drop the half-initialised system of this folder
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _drop_collection(settings: Settings, index_dir: Path, name: str) -> None:
    client = _client(settings, index_dir)
    if name in [c.name if hasattr(c, "name") else c for c in client.list_collections()]:
        client.delete_collection(name)
