"""The manifest (SQLite): what each corpus file produced. The source of truth for ingest.

Chroma holds vectors, the lexical index (tantivy) holds terms; both are derived from this file and
are repaired from it after a crash (see store.Index.recover).
"""

from __future__ import annotations

import builtins
import json
import hashlib
import sqlite3
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from .types import Chunk, DocMeta, Paragraph

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  path TEXT PRIMARY KEY, hash TEXT NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
  title TEXT, date TEXT, source TEXT, lang TEXT, text TEXT NOT NULL,
  n_paragraphs INTEGER NOT NULL, n_chunks INTEGER NOT NULL, indexed_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS documents_hash ON documents(hash);
CREATE TABLE IF NOT EXISTS paragraphs (
  doc TEXT NOT NULL, n INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
  page INTEGER, kind TEXT NOT NULL, PRIMARY KEY (doc, n));
CREATE TABLE IF NOT EXISTS chunks (
  id TEXT PRIMARY KEY, doc TEXT NOT NULL, paragraph INTEGER NOT NULL, start INTEGER NOT NULL,
  "end" INTEGER NOT NULL, page INTEGER, kind TEXT NOT NULL, heading TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc);
CREATE TABLE IF NOT EXISTS skipped (
  path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS embed_cache (key TEXT PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS ocr_cache (
  hash TEXT NOT NULL, recipe TEXT NOT NULL, page INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (hash, recipe, page));
CREATE TABLE IF NOT EXISTS retired_documents (path TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS retired_paragraphs (
  doc TEXT NOT NULL, n INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
  page INTEGER, kind TEXT NOT NULL, PRIMARY KEY (doc, n));
CREATE TABLE IF NOT EXISTS retired_chunks (
  id TEXT PRIMARY KEY, doc TEXT NOT NULL, paragraph INTEGER NOT NULL, start INTEGER NOT NULL,
  "end" INTEGER NOT NULL, text TEXT NOT NULL, page INTEGER, kind TEXT NOT NULL, heading TEXT NOT NULL);
"""

RETIRED = ("retired_documents", "retired_paragraphs", "retired_chunks")  # an ingest's old state, until it commits


@dataclass
class DocRecord:
    path: str
    hash: str
    size: int
    mtime_ns: int
    meta: DocMeta
    n_paragraphs: int = 0
    n_chunks: int = 0
    indexed_at: float = 0.0


class SkippedFile(NamedTuple):
    """A file a sync could not index: the version it saw (size, mtime) and why."""

    size: int
    mtime_ns: int
    reason: str


def vector_key(model_id: str, text: str) -> str:
    """The one key of the embedding cache: a vector is reused for the same model and encoder input."""
    return hashlib.sha1(f"{model_id}\0{text}".encode()).hexdigest()


def _wal(db: sqlite3.Connection, wait_s: float = 60.0) -> None:
    """Switch a connection to WAL. Switching the journal mode of a new database does not wait on SQLite's
    busy timeout: two processes opening a brand-new index at the same instant got "database is locked"
    at once (tests/test_concurrency.py, two ingests at once, 1 run in 3 on a loaded machine); the loser
    retries until the winner's switch is done."""
    deadline = time.monotonic() + wait_s
    pause = 0.01
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


class Manifest:
    """Thin SQLite layer; every write method commits one transaction."""

    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
        _wal(self.db)
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        if not self.get("index_id"):  # this index's identity, e.g. its collection on a shared Chroma server;
            # OR IGNORE: processes opening a new index at once all keep the first one written
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('index_id', lower(hex(randomblob(16))))")

    def close(self) -> None:
        self.db.close()

    # meta --------------------------------------------------------------------------------
    def get(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # documents ---------------------------------------------------------------------------
    def documents(self, paths: Collection[str] | None = None) -> list[DocRecord]:
        """Every indexed document's record, by path; with `paths`, only those of them that are indexed."""
        cols = "SELECT path, hash, size, mtime_ns, title, date, source, lang, n_paragraphs, n_chunks, indexed_at FROM documents"
        if paths is None:
            rows = self.db.execute(cols + " ORDER BY path").fetchall()
        else:
            rows = self._in(cols + " WHERE path IN ({}) ORDER BY path", sorted(paths))
        return [
            DocRecord(
                r[0], r[1], r[2], r[3], DocMeta(r[4] or "", r[5] or "", r[6] or "", r[7] or ""), r[8], r[9], r[10]
            )
            for r in rows
        ]

    def skipped(self) -> dict[str, SkippedFile]:
        return {
            r[0]: SkippedFile(r[1], r[2], r[3])
            for r in self.db.execute("SELECT path, size, mtime_ns, reason FROM skipped")
        }

    def set_skipped(self, path: str, size: int, mtime_ns: int, reason: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO skipped VALUES (?, ?, ?, ?)", (path, size, mtime_ns, reason))

    def clear_skipped(self, path: str) -> None:
        self.db.execute("DELETE FROM skipped WHERE path=?", (path,))

    def put_document(self, rec: DocRecord, text: str, paragraphs: list[Paragraph], chunks: list[Chunk]) -> None:
        """Replace everything known about rec.path in one transaction."""
        m = rec.meta
        with self._tx():
            self._delete(rec.path)
            self.db.execute(
                "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    rec.path,
                    rec.hash,
                    rec.size,
                    rec.mtime_ns,
                    m.title,
                    m.date,
                    m.source,
                    m.lang,
                    text,
                    len(paragraphs),
                    len(chunks),
                    rec.indexed_at,
                ),
            )
            self.db.executemany(
                "INSERT INTO paragraphs VALUES (?,?,?,?,?,?)",
                [(rec.path, p.n, p.start, p.end, p.page, p.kind) for p in paragraphs],
            )
            self.db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?)",
                [(c.id, rec.path, c.paragraph, c.start, c.end, c.page, c.kind, c.heading) for c in chunks],
            )
            self.db.execute("DELETE FROM skipped WHERE path=?", (rec.path,))

    def delete_document(self, path: str) -> None:
        with self._tx():
            self._delete(path)

    def rename_document(self, old: str, new: str, mtime_ns: int) -> None:
        with self._tx():
            self._retire(old)
            self.db.execute("UPDATE documents SET path=?, mtime_ns=? WHERE path=?", (new, mtime_ns, old))
            self.db.execute("UPDATE paragraphs SET doc=? WHERE doc=?", (new, old))
            self.db.execute("UPDATE chunks SET doc=? WHERE doc=?", (new, old))
            self.db.execute("DELETE FROM skipped WHERE path=?", (new,))

    def touch(self, path: str, mtime_ns: int) -> None:
        self.db.execute("UPDATE documents SET mtime_ns=? WHERE path=?", (mtime_ns, path))

    def _delete(self, path: str) -> None:
        self._retire(path)
        for table, col in (("documents", "path"), ("paragraphs", "doc"), ("chunks", "doc")):
            self.db.execute(f"DELETE FROM {table} WHERE {col}=?", (path,))

    def _retire(self, path: str) -> None:
        """Keep `path` as readers of the committed generation know it (text, paragraphs, chunks) until the
        writer commits (`publish`): a reader that loaded its view before this ingest reads chunk texts and
        verifies citations lazily, and must get the old ones, not lose them. OR IGNORE keeps the oldest."""
        if self.db.execute("SELECT 1 FROM retired_documents WHERE path=?", (path,)).fetchone() is None:
            self.db.execute(
                "INSERT OR IGNORE INTO retired_documents SELECT path, text FROM documents WHERE path=?", (path,)
            )
            self.db.execute("INSERT OR IGNORE INTO retired_paragraphs SELECT * FROM paragraphs WHERE doc=?", (path,))
        self.db.execute(
            'INSERT OR IGNORE INTO retired_chunks SELECT c.id, c.doc, c.paragraph, c.start, c."end", '
            'substr(d.text, c.start + 1, c."end" - c.start), c.page, c.kind, c.heading '
            "FROM chunks c JOIN documents d ON d.path = c.doc WHERE c.doc = ?",
            (path,),
        )

    def retired_dead_ids(self) -> list[str]:
        """Chunk ids retired since the last commit that no live chunk uses any more (a renamed document
        keeps its ids): their vectors go when the writer commits."""
        return [
            r[0]
            for r in self.db.execute(
                "SELECT id FROM retired_chunks WHERE id NOT IN (SELECT id FROM chunks) ORDER BY id"
            )
        ]

    def publish(self, generation: str, lexical_analysis: str) -> None:
        """End an ingest in one transaction: the new generation, its lexical analysis, the index marked
        consistent and the retired chunk texts gone (readers reload their view when the generation changes)."""
        with self._tx():
            for key, value in (("generation", generation), ("lexical_analysis", lexical_analysis), ("dirty", "0")):
                self.set(key, value)
            for table in RETIRED:
                self.db.execute(f"DELETE FROM {table}")

    def _tx(self):
        return _Tx(self.db)

    # reads -------------------------------------------------------------------------------
    def chunk_ids(self) -> builtins.set[str]:  # `set` here is Manifest.set
        return {r[0] for r in self.db.execute("SELECT id FROM chunks")}

    def doc_chunk_ids(self, path: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE doc=? ORDER BY id", (path,))]

    def doc_lang(self, path: str) -> str:
        row = self.db.execute("SELECT lang FROM documents WHERE path=?", (path,)).fetchone()
        return (row[0] or "") if row else ""

    def document_text(self, path: str) -> str | None:
        """The text as the committed generation has it (see `_retire`)."""
        row = self.db.execute("SELECT text FROM retired_documents WHERE path=?", (path,)).fetchone()
        row = row or self.db.execute("SELECT text FROM documents WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def paragraphs(self, path: str) -> list[Paragraph]:
        """The paragraphs as the committed generation has them (see `_retire`)."""
        text = self.document_text(path) or ""
        retired = self.db.execute("SELECT 1 FROM retired_documents WHERE path=?", (path,)).fetchone() is not None
        table = "retired_paragraphs" if retired else "paragraphs"
        rows = self.db.execute(f'SELECT n, start, "end", page, kind FROM {table} WHERE doc=? ORDER BY n', (path,))
        return [Paragraph(r[0], r[1], r[2], text[r[1] : r[2]], r[3], r[4]) for r in rows]

    def all_chunks(self) -> list[Chunk]:
        """Every chunk with its text, documents read once each (used to load the in-memory view)."""
        texts = dict(self.db.execute("SELECT path, text FROM documents"))
        rows = self.db.execute(
            'SELECT id, doc, paragraph, start, "end", page, kind, heading FROM chunks ORDER BY doc, start'
        )
        return [Chunk(r[0], r[1], r[2], r[3], r[4], texts[r[1]][r[3] : r[4]], r[5], r[6], r[7]) for r in rows]

    def chunk_docs(self, docs: Collection[str] | None = None) -> dict[str, str]:
        """Every chunk id with its document (the reader's view loads only this), or only the chunks of `docs`."""
        if docs is None:
            return dict(self.db.execute("SELECT id, doc FROM chunks"))
        return dict(self._in("SELECT id, doc FROM chunks WHERE doc IN ({})", sorted(docs)))

    def _in(self, sql: str, values: list[str]) -> list[tuple]:
        """Rows of `sql` whose one `IN ({})` takes `values`, in parts of 500 (SQLite's variable limit)."""
        rows: list[tuple] = []
        for i in range(0, len(values), 500):
            part = values[i : i + 500]
            rows += self.db.execute(sql.format(",".join("?" * len(part))), part).fetchall()
        return rows

    def chunk(self, cid: str) -> Chunk | None:
        """One chunk with its text (SQLite's substr counts characters, as Python's offsets do), as the
        committed generation has it: a chunk an ingest in progress replaced, moved or deleted is read
        from `retired_chunks`."""
        row = self.db.execute(
            'SELECT id, doc, paragraph, start, "end", text, page, kind, heading FROM retired_chunks WHERE id = ?',
            (cid,),
        ).fetchone()
        if row:
            return Chunk(*row)
        row = self.db.execute(
            'SELECT c.id, c.doc, c.paragraph, c.start, c."end", substr(d.text, c.start + 1, c."end" - c.start), c.page, c.kind, c.heading '
            "FROM chunks c JOIN documents d ON d.path = c.doc WHERE c.id = ?",
            (cid,),
        ).fetchone()
        return Chunk(*row) if row else None

    def counts(self) -> tuple[int, int]:
        p = self.db.execute("SELECT COUNT(*) FROM paragraphs").fetchone()[0]
        c = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        return p, c

    # embedding cache ---------------------------------------------------------------------
    def cached_vectors(self, keys: list[str]) -> dict[str, bytes]:
        """Vectors by `vector_key` (those not cached are absent)."""
        return dict(self._in("SELECT key, vec FROM embed_cache WHERE key IN ({})", keys))

    def cache_vectors(self, items: list[tuple[str, bytes]]) -> None:
        with self._tx():
            self.db.executemany("INSERT OR REPLACE INTO embed_cache VALUES (?, ?)", items)

    # OCR cache (ocr.OcrCache): pages read from scans, by file content hash; kept across model changes ------
    def ocr_cached(self, digest: str, recipe: str) -> dict[int, str]:
        rows = self.db.execute("SELECT page, data FROM ocr_cache WHERE hash=? AND recipe=?", (digest, recipe))
        return dict(rows.fetchall())

    def cache_ocr(self, digest: str, recipe: str, page: int, data: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO ocr_cache VALUES (?, ?, ?, ?)", (digest, recipe, page, data))

    def ocr_pages(self, digest: str) -> list[int]:
        """Pages of this content that OCR has read (any recipe)."""
        return [
            r[0] for r in self.db.execute("SELECT DISTINCT page FROM ocr_cache WHERE hash=? ORDER BY page", (digest,))
        ]

    def doc_ocr_pages(self, path: str) -> builtins.set[int]:
        """Pages of an indexed document whose text OCR read (empty for text documents and unknown paths)."""
        digest = self.doc_hash(path)
        return builtins.set(self.ocr_pages(digest)) if digest else builtins.set()

    def doc_hash(self, path: str) -> str | None:
        """The content hash of an indexed document (None when not indexed)."""
        row = self.db.execute("SELECT hash FROM documents WHERE path=?", (path,)).fetchone()
        return row[0] if row else None

    def ocr_page(self, digest: str, page: int) -> str | None:
        """The latest OCR reading of one page (its text and word boxes, JSON), or None."""
        row = self.db.execute(
            "SELECT data FROM ocr_cache WHERE hash=? AND page=? ORDER BY rowid DESC LIMIT 1", (digest, page)
        ).fetchone()
        return row[0] if row else None

    def reset(self) -> None:
        """Forget every document (used when the embedding model changes)."""
        with self._tx():
            for table in ("documents", "paragraphs", "chunks", "skipped", *RETIRED):
                self.db.execute(f"DELETE FROM {table}")


class _Tx:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, exc, tb):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def dumps(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)
