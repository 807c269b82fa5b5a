"""BM25 over our own per-language terms (text.lexical_terms) in a tantivy index. The only module that
imports tantivy.

The analysis stays ours: each chunk's terms are joined by spaces into fields with tantivy's whitespace
tokenizer, which splits them back unchanged (our terms hold no whitespace). Terms every language makes
(words, `~folded` forms, bigrams) go to `terms`, one language's own terms (`sv:…`, `en:…`, `sv#…`) to
`own`, so a chunk's BM25 length over `terms` ignores its stems and 4-grams, as the old snapshot's did.
Scores are tantivy's BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N - n + .5) / (n + .5)), the old snapshot's
formula), with one difference: tantivy stores a field's length in one byte per chunk (exact up to 40
terms, then buckets ~8% apart, rounded down), which moves a score by at most ~9%, typically under 3%
(tests/test_lexical.py checks both). tantivy normalises a term by its own field's length, averaged
over every chunk, so `own` is padded (PAD) up to the chunk's `terms` length, in chunks of every
language: an `own` term is then normalised by the shared length, as in the old snapshot (exactly while
a chunk has fewer own terms than shared ones, as Swedish and English chunks do; a chunk of long
compounds gets a little longer).

Deleted chunks: tantivy hides them from results at once, but counts them in N, avgdl and document
frequencies until their segment is merged, which tantivy-py cannot ask for. So `commit` rebuilds the
index in the same commit when dead chunks exceed COMPACT_AT of the live ones (at most that share of
stale statistics, never a deleted chunk in the results); a rebuild re-analyses every chunk (callers
pass them in).

Writers: one `IndexWriter` per folder (tantivy's own lock file); it is opened on the first write and
released at `commit()` / `close()`, so two `LexicalIndex` of one folder in one process can take turns.
Readers search the commit loaded by the last `reload()`, whatever a writer commits meanwhile.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from importlib.metadata import version
from pathlib import Path

import tantivy

from .text import analysis_id, is_language_term, lexical_terms

K1, B = 1.2, 0.75  # tantivy's BM25 parameters (fixed there): documented, and used by the parity test
COMPACT_AT = 0.10  # rebuild when dead chunks (still in tantivy's statistics) exceed this share of the live ones
FORMAT = f"tantivy{version('tantivy')}-v1"  # bump when the schema or the fields' meaning changes
PAD = "|"  # fills `own` up to the shared length; no analysis makes it, so no question matches it
HEAP = 64_000_000  # writer memory before it flushes a segment (tantivy wants >= 15 MB per thread)


class LexicalError(Exception):
    """The folder holds no readable lexical index of this format."""


def identity() -> str:
    """What the manifest records for the lexical index it is in step with: the text analysis and the
    index format. Another identity (older code, another analysis) means: rebuild from the manifest."""
    return f"{analysis_id()}+{FORMAT}"


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("doc", tokenizer_name="raw", index_option="basic")  # filters by document
    sb.add_text_field("terms", tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("own", tokenizer_name="whitespace", index_option="freq")
    sb.add_text_field("all", tokenizer_name="raw", index_option="basic")  # "1" in every chunk: counts the dead
    return sb.build()


SCHEMA = _schema()


class LexicalIndex:
    """A tantivy index in `path` (created if missing), or in memory when `path` is None."""

    def __init__(self, path: Path | None = None, create: bool = True):
        self.path = path
        try:
            if path is None:
                self._index = tantivy.Index(SCHEMA)
            elif create:
                path.mkdir(parents=True, exist_ok=True)
                self._index = tantivy.Index(SCHEMA, path=str(path), reuse=True)
            elif tantivy.Index.exists(str(path)):
                self._index = tantivy.Index.open(str(path))
            else:
                raise LexicalError(f"no lexical index in {path}")
        except ValueError as e:  # tantivy raises ValueError for a torn or incompatible folder, or another schema
            raise LexicalError(f"{path}: {e}") from e
        self._index.config_reader(reload_policy="manual")  # a reader keeps its commit until reload()
        self._writer: tantivy.IndexWriter | None = None
        self.reload()

    @classmethod
    def open(cls, path: Path) -> "LexicalIndex":
        """An existing index, for reading; LexicalError when it is missing or unreadable."""
        return cls(path, create=False)

    @classmethod
    def recreate(cls, path: Path) -> "LexicalIndex":
        """An empty index in `path`, whatever was there (an unreadable or foreign folder)."""
        if path.exists():
            shutil.rmtree(path)
        return cls(path)

    # writes ------------------------------------------------------------------------------
    def _w(self) -> tantivy.IndexWriter:
        if self._writer is None:
            try:
                self._writer = self._index.writer(heap_size=HEAP, num_threads=1)
            except ValueError as e:  # LockBusy: only a writer outside the index lock (lock.py) gets here
                raise LexicalError(f"another writer holds the lexical index in {self.path} ({e})") from e
        return self._writer

    def add(
        self, ids: Sequence[str], docs: Sequence[str], texts: Sequence[str], langs: Sequence[str] | None = None
    ) -> None:
        """Add chunks (their ids must not be in the index), each analysed in its document's language."""
        w = self._w()
        for i, (cid, doc, text) in enumerate(zip(ids, docs, texts)):
            terms = lexical_terms(text, langs[i] if langs else "")
            own = [t for t in terms if is_language_term(t)]
            shared = [t for t in terms if not is_language_term(t)] if own else terms
            own += [PAD] * (len(shared) - len(own))  # own's BM25 length := the shared length (see the module doc)
            w.add_document(tantivy.Document(id=cid, doc=doc, terms=" ".join(shared), own=" ".join(own), all="1"))

    def remove(self, ids: Iterable[str]) -> None:
        """Delete chunks by id (unknown ids are ignored)."""
        w = None
        for cid in ids:
            w = w or self._w()
            w.delete_documents_by_term("id", cid)

    def clear(self) -> None:
        """Delete every chunk (and, at commit, their statistics)."""
        self._w().delete_all_documents()

    def needs_compaction(self) -> bool:
        """Dead chunks of the loaded commit exceed COMPACT_AT of the live ones."""
        return self.dead() > COMPACT_AT * max(self.num_docs(), 1)

    def commit(self) -> None:
        """Make the writes durable and visible to the next reload(); releases the writer."""
        if self._writer is not None:
            self._writer.commit()
            self.close()
        self.reload()

    def close(self) -> None:
        """Release the writer, dropping writes not committed."""
        if self._writer is not None:
            w, self._writer = self._writer, None
            w.rollback()
            w.wait_merging_threads()  # consumes the writer: tantivy's lock is free after this

    # reads -------------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the latest commit from now on."""
        self._index.reload()
        self._searcher = self._index.searcher()

    def num_docs(self) -> int:
        return self._searcher.num_docs

    def dead(self) -> int:
        """Deleted chunks still counted in the statistics (until their segment is merged or rebuilt)."""
        return self._searcher.doc_freq("all", "1") - self._searcher.num_docs

    def ids(self) -> list[str]:
        """Every live chunk id (reads each stored id: for checks, not for questions)."""
        s = self._searcher
        n = s.num_docs
        if not n:
            return []
        return [s.doc(addr)["id"][0] for _, addr in s.search(tantivy.Query.all_query(), n, count=False).hits]

    def search(self, query: str, lang: str, k: int, docs: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, BM25 score), best first, at most k, only chunks holding a term of `query` (analysed
        in `lang`), within `docs` when given."""
        terms = sorted(set(lexical_terms(query, lang)))
        if not terms or k <= 0 or (docs is not None and not docs) or not self._searcher.num_docs:
            return []
        q = tantivy.Query.boolean_query([
            (tantivy.Occur.Should, tantivy.Query.term_query(SCHEMA, "own" if is_language_term(t) else "terms", t, index_option="freq"))
            for t in terms
        ])  # fmt: skip
        if docs is not None:  # a filter that adds nothing to the score
            only = tantivy.Query.const_score_query(tantivy.Query.term_set_query(SCHEMA, "doc", sorted(docs)), 0.0)
            q = tantivy.Query.boolean_query([(tantivy.Occur.Must, q), (tantivy.Occur.Must, only)])
        s = self._searcher
        return [(s.doc(addr)["id"][0], float(score)) for score, addr in s.search(q, k, count=False).hits]
