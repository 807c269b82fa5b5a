"""The lexical index of an index folder, kept in step with the manifest: the writer's copy on disk, the
readers' (the committed one, or one rebuilt in memory while the disk's is out of step), what is out of
step, and the rebuild from the manifest. `store.Index` holds one; nothing else uses it."""

from __future__ import annotations

import logging
from pathlib import Path

from . import lexical
from .lexical import LexicalError, LexicalIndex
from .manifest import Manifest

LEXICAL_DIR = "lexical"  # the tantivy index inside the index folder
OLD_SNAPSHOT = "lexical.npz"  # the lexical index of versions before tantivy: replaced on first use
log = logging.getLogger(__name__)


class LexicalStore:
    """The lexical index of the folder `index_dir`, whose manifest is `manifest`."""

    def __init__(self, index_dir: Path, manifest: Manifest):
        self.dir = index_dir
        self._manifest = manifest
        self._reader: LexicalIndex | None = None  # the readers' view: the commit of the loaded generation
        self._writer: LexicalIndex | None = None  # the writer's, on disk, holding tantivy's lock while writing

    def reader(self) -> LexicalIndex:
        """The readers' lexical index: the commit of the loaded generation."""
        if self._reader is None:
            self._reader = self._load()
        return self._reader

    def drop_reader(self) -> None:
        """Forget the readers' index; the next `reader()` loads the one on disk."""
        self._reader = None

    def writer(self) -> LexicalIndex:
        """The lexical index on disk for this writer (caller holds the index lock); a folder that cannot
        be opened is replaced by an empty index, which recover() then rebuilds from the manifest."""
        if self._writer is None:
            path = self.dir / LEXICAL_DIR
            try:
                self._writer = LexicalIndex(path)
            except LexicalError:
                self._writer = LexicalIndex.recreate(path)
        return self._writer

    def close_writer(self) -> None:
        """Release tantivy's writer lock (uncommitted lexical writes are dropped; recover() repairs them)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def drop_old_snapshot(self) -> None:
        """Delete a previous version's snapshot once a tantivy index replaces it."""
        (self.dir / OLD_SNAPSHOT).unlink(missing_ok=True)

    def problem(self, thorough: bool = False) -> str | None:
        """Why the lexical index on disk is not in step with the manifest, or None. Cheap (counts) unless
        `thorough`, which compares every chunk id (doctor)."""
        known = self._manifest.counts()[1]
        if (self.dir / OLD_SNAPSHOT).exists():
            return f"the lexical index was built by a previous version ({OLD_SNAPSHOT}) and is rebuilt as a tantivy index ({LEXICAL_DIR}/)"
        path = self.dir / LEXICAL_DIR
        if not path.exists():
            return f"the lexical index ({LEXICAL_DIR}/) is missing" if known else None
        try:
            lex = LexicalIndex.open(path)
        except LexicalError as e:
            return f"the lexical index ({LEXICAL_DIR}/) cannot be read ({e})"
        if self._manifest.get("lexical_analysis") != lexical.identity() and known:
            return "the lexical index was built by another version of the text analysis or of its index format"
        if lex.num_docs() != known or (thorough and set(lex.ids()) != self._manifest.chunk_ids()):
            return f"the lexical index holds {lex.num_docs()} chunks, the manifest {known}"
        return None

    def rebuild(self, lex: LexicalIndex) -> None:
        """Replace every chunk of `lex` by the manifest's (committed by the caller)."""
        lex.clear()
        chunks = self._manifest.all_chunks()
        lang = {d.path: d.meta.lang for d in self._manifest.documents()}
        lex.add(
            [c.id for c in chunks],
            [c.doc for c in chunks],
            [c.text for c in chunks],
            [lang.get(c.doc, "") for c in chunks],
        )

    def _load(self) -> LexicalIndex:
        if self._manifest.get("lexical_analysis") == lexical.identity() and not (self.dir / OLD_SNAPSHOT).exists():
            try:
                return LexicalIndex.open(self.dir / LEXICAL_DIR)
            except LexicalError:
                pass  # rebuilt in memory below
        if not self._manifest.counts()[1]:
            return LexicalIndex()
        log.warning(
            "%s: answering from a lexical index rebuilt in memory until the next `assistant ingest` repairs it on disk",
            self.problem() or "the lexical index is not in step with the manifest",
        )
        lex = LexicalIndex()
        self.rebuild(lex)
        lex.commit()
        return lex
