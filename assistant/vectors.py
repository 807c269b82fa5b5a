"""Chunk vectors in Chroma: an embedded `PersistentClient` inside the index folder, or a Chroma server.
The only module that imports chromadb.

`store.Index` holds one `ChromaVectors` and speaks to it only through these methods, so another vector
backend (another llama-index vector store, a search cluster) replaces this one class."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import IndexUnavailable
from .settings import Settings

CHROMA_BATCH = 1000  # ids per Chroma call (its own limit is ~5,000)
# HNSW candidates explored per search (Chroma's default is 100). Chroma builds the HNSW graph of vectors it has
# not yet persisted (the last sync_threshold = 1,000 writes; all of a small index) anew in every process that
# opens the folder, with random levels, so at 100 the same question found a different top 40 in each process
# (viquad2-vi, 830 chunks: the gold paragraph of one question ranked 1st or fell out of the top 5 run to run).
# At 400 the 40 candidates were the exact 40 nearest up to 830 chunks, but not beyond: on swequad-mc-sv (4,704
# chunks) 21 of 300 questions got another top 40 than the exact one (one without its nearest passage) and 5 of
# 300 another top 40 in another process (an answer flipped run to run). At 1,000 two processes agreed on all 300
# and 2 of 300 differ from the exact 40 (at their tail), for +0.3 ms a search there (swequad r@5 .903 -> .907);
# still not exact: across evaluation runs one swequad question's 36th-nearest passage is missed in most
# processes, not all (exact search over the view's vectors would end that; not done).
SEARCH_EF = 1000


class ChromaVectors:
    """The collection `name` of the index folder `index_dir` (or of the server in `settings`)."""

    def __init__(self, settings: Settings, index_dir: Path, name: str):
        self.settings = settings
        self.dir = index_dir
        self.name = name
        self._collection = None

    @property
    def collection(self):
        """The Chroma collection itself (tests and this module only)."""
        if self._collection is None:
            self._collection = _open_collection(self.settings, self.dir, self.name)
        return self._collection

    # writes ------------------------------------------------------------------------------
    def upsert(self, ids: list[str], vectors: np.ndarray, metas: list[dict]) -> None:
        for i in range(0, len(ids), CHROMA_BATCH):
            self.collection.upsert(
                ids=ids[i : i + CHROMA_BATCH],
                embeddings=vectors[i : i + CHROMA_BATCH],
                metadatas=metas[i : i + CHROMA_BATCH],
            )

    def tune(self) -> str | None:
        """Raise the collection's HNSW ef_search to SEARCH_EF when an earlier version made it with less
        (the writer, under the lock); what was changed, for the user, else None."""
        hnsw = (getattr(self.collection, "configuration", None) or {}).get("hnsw") or {}
        old = hnsw.get("ef_search", SEARCH_EF)
        if old >= SEARCH_EF:
            return None
        self.collection.modify(configuration={"hnsw": {"ef_search": SEARCH_EF}})
        return f"vector search widened (HNSW ef_search {old} -> {SEARCH_EF}): every process now finds the same nearest passages"

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), CHROMA_BATCH):
            self.collection.delete(ids=ids[i : i + CHROMA_BATCH])

    def set_doc(self, ids: list[str], doc: str) -> None:
        """File these vectors under another document (a rename)."""
        for i in range(0, len(ids), CHROMA_BATCH):
            got = self.collection.get(ids=ids[i : i + CHROMA_BATCH], include=["metadatas"])
            self.collection.update(ids=got["ids"], metadatas=[{**m, "doc": doc} for m in got["metadatas"]])

    @staticmethod
    def drop(settings: Settings, index_dir: Path, name: str) -> None:
        """Delete the collection `name` (another model's), if it exists."""
        client = _client(settings, index_dir)
        if name in [c.name if hasattr(c, "name") else c for c in client.list_collections()]:
            client.delete_collection(name)

    # reads -------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        """Every id that has a vector."""
        ids: list[str] = []
        offset = 0
        while True:
            got = self.collection.get(include=[], limit=5000, offset=offset)
            ids.extend(got["ids"])
            if len(got["ids"]) < 5000:
                return ids
            offset += 5000

    def docs(self, ids: list[str]) -> dict[str, str | None]:
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
            out.update(
                {cid: None if v is None else np.asarray(v, dtype=np.float32) for cid, v in zip(got["ids"], vecs)}
            )
        return out

    def search(
        self, vector: np.ndarray, k: int, docs: set[str] | None, known: Callable[[str], bool]
    ) -> list[tuple[str, float]]:
        """(id, cosine similarity), best first, the k best ids that `known` accepts (others are skipped
        and more are fetched), within `docs` when given."""
        where = {"doc": {"$in": sorted(docs)}} if docs is not None else None
        # Chroma (1.5) returns what there is when fewer than n_results match: a short answer is the end, so
        # no count() is read first (it cost about a third of a search)
        try:
            want = k
            while True:
                res = self.collection.query(
                    query_embeddings=[vector.astype(np.float32)], n_results=want, where=where, include=["distances"]
                )
                found = res["ids"][0]
                got = [(cid, 1.0 - float(d)) for cid, d in zip(found, res["distances"][0]) if known(cid)]
                if len(got) >= k or len(found) < want:
                    return got[:k]
                want += 2 * (k - len(got))
        except Exception as e:  # a Chroma server that went away raises httpx errors
            if not self.settings.chroma_host or not type(e).__module__.startswith("httpx"):
                raise
            raise IndexUnavailable(_server_unreachable(self.settings, e)) from e

    def reopen(self) -> None:
        """Make searches see what other processes wrote since Chroma was opened here.

        A PersistentClient keeps the vector index it loaded and never sees another process's writes
        (MODELS.md); Chroma caches one such system per folder per process, so the cache is dropped and
        the next read opens the folder afresh. Collections already handed out keep their old system."""
        if self._collection is None or self.settings.chroma_host:
            return  # nothing loaded yet, or a server, which is always current
        from chromadb.api.shared_system_client import SharedSystemClient

        self._collection = None
        SharedSystemClient.clear_system_cache()


def collection_name(model_id: str) -> str:
    return "chunks_" + hashlib.sha1(model_id.encode()).hexdigest()[:16]


def _client(settings: Settings, index_dir: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings)
        except Exception as e:  # chromadb raises plain ValueError/ConnectionError here
            raise IndexUnavailable(_server_unreachable(settings, e)) from e
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
            return _client(settings, index_dir).get_or_create_collection(
                name, metadata={"hnsw:space": "cosine", "hnsw:search_ef": SEARCH_EF}, embedding_function=None
            )
        except Exception as e:  # chromadb raises plain sqlite/internal errors here
            racing = any(m in str(e) for m in ("already exists", "database is locked"))
            if settings.chroma_host or not racing or attempt == attempts - 1:
                raise
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()  # drop the half-initialised system of this folder
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")
