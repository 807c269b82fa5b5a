"""The one place that wires everything: `build(settings)` returns the assembled services.

Nothing heavy happens until used: the embedding model loads on the first ask/ingest.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

from .errors import AssistantError
from .settings import Settings
from .lock import ReadWriteLock
from .store import Filter, Index
from .types import Answer, DocumentRow, Embedder, SyncReport

if TYPE_CHECKING:
    from .corroborate import CorroborationCache

log = logging.getLogger(__name__)


def offline_defaults() -> None:
    """No network by default: hub offline, telemetry off (an explicit user value wins)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class App:
    """Services over one corpus/index: sync, ask, documents. Thread-safe for the page.

    Questions read through one `Index` (its own SQLite connection and lexical view) while a sync
    writes through another, so the page keeps answering — from the old state, then the new one —
    while files are being indexed."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self._embedder = embedder
        self._index: Index | None = None
        self._writer: Index | None = None
        self._llm = None
        self._load_lock = threading.Lock()
        self._llm_lock = threading.Lock()
        self._view = ReadWriteLock()  # questions read the view together; a reload waits for them
        self._write_lock = threading.Lock()
        self._corroborations: CorroborationCache | None = None  # made with the first answer

    @property
    def embedder(self) -> Embedder:
        with self._load_lock:
            if self._embedder is None:
                from .embeddings import load_embedder

                self._embedder = load_embedder(self.settings)
            return self._embedder

    @property
    def index(self) -> Index:
        """The reading side of the index (questions, document views)."""
        model_id = self.embedder.model_id
        with self._load_lock:
            if self._index is None:
                self._index = Index(self.settings, model_id)
                self._index.follows_writes = False  # reloaded by _current_view, between questions
            return self._index

    def _current_view(self) -> Index:
        """The reading index with the newest published generation loaded: a reload waits for the
        questions in flight (they finish on the old view) and holds new ones until it is done."""
        index = self.index
        if index.needs_refresh():
            with self._view.writing():
                index.refresh()
        return index

    def sync(
        self,
        progress: Callable[[int, int], None] | None = None,
        log: Callable[[str], None] | None = None,
        ocr_progress: Callable[[str, int, int], None] | None = None,
    ) -> SyncReport:
        """Index corpus/ incrementally (one writer at a time, see lock.py); `ocr_progress(file, done, total)`
        hears of each scanned page OCR'd."""
        from .ingest import sync

        with self._write_lock:
            if self._writer is None:
                self._writer = Index(self.settings, self.embedder.model_id)
            self._writer.last_change = None
            try:
                return sync(self.settings, self.embedder, self._writer, progress, log, ocr_progress)
            finally:
                self._writer.release_memory()
                with self._view.writing():  # only the documents this sync changed are read again
                    self.index.refresh(self._writer.last_change)

    def llm(self):
        with self._llm_lock:
            if self._llm is None:
                from .llm import build_llm

                self._llm = build_llm(self.settings)
            return self._llm

    def warm_llm(self) -> None:
        """Build the configured LLM ahead (importing its client takes seconds), so the page's first LLM
        question does not wait for it; a setting error is logged here and reported again by that question."""
        from .llm import prepare

        try:
            prepare(self.llm())
        except AssistantError as e:
            log.warning("LLM not ready: %s", e)

    def ask(self, question: str, *, flt: Filter | None = None, context: str = "", **overrides) -> Answer:
        """Answer a question with the current settings (keyword overrides for one call)."""
        from .answer import GENERATION_RETRIES, ask

        s, kw = self._ask_args(flt, context, overrides)
        for _ in range(GENERATION_RETRIES):  # a writer published while the question was read: ask again
            index = self._current_view()
            with self._view.reading():
                answer = self._finish(ask(question, self.embedder, index, **kw), index)
                if index.view_is_current():
                    break
        return answer

    def ask_stream(
        self, question: str, *, flt: Filter | None = None, context: str = "", **overrides
    ) -> Iterator[str | Answer]:
        """`ask`, streamed (answer.ask_stream): an LLM answer's text pieces as the model writes them, then
        each complete Answer; the last item is the final one. The view is read one step at a time (other
        questions read it alongside); if a writer published meanwhile, the answer is given again, whole."""
        from .answer import ask_stream

        s, kw = self._ask_args(flt, context, overrides)
        index = self._current_view()
        events = ask_stream(question, self.embedder, index, **kw)
        while True:
            with self._view.reading():
                event = next(events, None)
                if event is None:
                    break
                if isinstance(event, Answer):
                    event = self._finish(event, index)
            yield event
        if not index.view_is_current():
            yield self.ask(question, flt=flt, context=context, **overrides)

    def _finish(self, answer: Answer, index: Index) -> Answer:
        """What App adds to an answer: citations read by OCR marked, and each citation's corroboration (the
        other documents stating what it quotes, corroborate.py), counted in the answer step's time."""
        from .corroborate import CorroborationCache, corroborate_all

        mark_ocr(answer, index)
        if answer.answered:
            t = time.perf_counter()
            with self._load_lock:
                if self._corroborations is None:
                    self._corroborations = CorroborationCache()
            corroborate_all(answer.citations, self.embedder, index, self._corroborations)
            ms = (time.perf_counter() - t) * 1000  # part of the answer step (timings_ms keeps its keys)
            answer.timings_ms = {**answer.timings_ms, "answer": answer.timings_ms.get("answer", 0.0) + ms,
                                 "total": answer.timings_ms.get("total", 0.0) + ms}  # fmt: skip
        return answer

    def _ask_args(self, flt: Filter | None, context: str, overrides: dict) -> tuple[Settings, dict]:
        s = self.settings.model_copy(update=overrides) if overrides else self.settings
        llm = self.llm() if s.answer_mode == "llm" else None
        return s, dict(
            mode=s.retrieval_mode,
            dense_weight=(s.dense_weight, s.dense_weight_other),
            k=s.top_k,
            flt=flt if flt is not None else Filter.from_settings(s),
            min_score=s.min_score,
            max_sentences=s.max_answer_sentences,
            llm=llm,
            llm_fallback=s.llm_fallback,
            context=context,
            gloss=s.llm_gloss,
        )

    def brief(self, answers: list[Answer], title: str = "Brief"):
        """A brief of these answers (brief.Brief): their quotes with titles, outlets, dates and permalinks."""
        from .brief import build_brief

        index = self._current_view()
        with self._view.reading():
            metas = dict(index.doc_meta)
        return build_brief(answers, metas, self.settings.page_url, title)

    def ocr_pages(self, doc: str) -> set[int]:
        """Pages of an indexed document whose text OCR read (empty for text documents)."""
        with self._view.reading():
            return self.index.doc_ocr_pages(doc)

    def scan_page(self, doc: str, page: int, dpi: int = 100):
        """A scanned page of an indexed document: (its OcrPage: words and boxes, the page as PNG at `dpi`), or
        None when OCR did not read that page or the file changed since it was indexed."""
        from .chunking import content_hash
        from .library import document_path
        from .ocr import OcrPage, render_png

        with self._view.reading():
            digest = self.index.doc_hash(doc)
            data = self.index.ocr_page(digest, page) if digest else None
        if data is None:
            return None
        try:
            pdf = document_path(Path(self.settings.corpus_dir), doc).read_bytes()
        except OSError:
            return None
        if content_hash(pdf) != digest:
            return None
        return OcrPage.from_json(data), render_png(pdf, page, dpi)

    def documents(self) -> list[DocumentRow]:
        """Indexed and skipped documents, for `assistant docs` and the page's library. Skipped are the files a
        sync could not load (recorded in the manifest) and those it never tries (unsupported type, a name that
        is not UTF-8, a broken link), found by walking corpus/ again: a user looks for every file there."""
        from .ingest import scan
        from .manifest import Manifest

        path = Path(self.settings.index_dir) / "manifest.sqlite"
        if not path.exists():
            return []
        m = Manifest(path)
        try:
            rows = [
                DocumentRow(
                    d.path,
                    **asdict(d.meta),
                    paragraphs=d.n_paragraphs,
                    chunks=d.n_chunks,
                    status="indexed",
                    ocr_pages=m.ocr_pages(d.hash),
                )
                for d in m.documents()
            ]
            skipped = {p: r for p, (_, _, r) in m.skipped().items()}
        finally:
            m.close()
        corpus = Path(self.settings.corpus_dir)
        if corpus.is_dir():
            for s in scan(corpus)[1]:
                skipped.setdefault(s.file, s.reason)
        indexed = {r.name for r in rows}
        rows += [DocumentRow(p, status="skipped", reason=r) for p, r in sorted(skipped.items()) if p not in indexed]
        return rows


def mark_ocr(answer: Answer, index: Index) -> None:
    """Mark each citation whose page was read by OCR (its quote is verbatim OCR text, which can hold misreadings)."""
    pages = {c.doc: index.doc_ocr_pages(c.doc) for c in answer.citations if c.page}
    for c in answer.citations:
        c.ocr = c.page in pages.get(c.doc, set())


def build(settings: Settings | None = None, embedder: Embedder | None = None) -> App:
    """Assemble the services from settings (the entry points call this once)."""
    offline_defaults()
    return App(settings or Settings(), embedder)
