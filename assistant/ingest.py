"""corpus/ -> hash, diff, load, chunk, embed, upsert -> SyncReport. Incremental and crash-safe."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .chunking import QUOTABLE_KINDS, classify, content_hash, context_budget, make_chunks, passage_text
from .errors import CorpusMissing, SkipFile
from .loaders import SUPPORTED_SUFFIXES, is_ignored, load_document, unsupported_type
from .lock import IndexLock
from .manifest import DocRecord, vector_key
from .ocr import Ocr, OcrProgress, skip_may_clear
from .settings import Settings
from .store import Index
from .text import sentence_spans
from .types import Chunk, Embedder, LoadedDocument, Renamed, Skipped, SyncReport

Progress = Callable[[int, int], None]  # (chunks embedded so far, total)
BATCH_CHUNKS = 256
_READ_ERROR = "cannot read file"
_NO_SPACE = re.compile(r"\S+")


@dataclass
class Pending:
    """A file that must be (re)indexed."""

    path: str
    rec: DocRecord
    doc: LoadedDocument
    chunks: list[Chunk]


def scan(corpus: Path) -> tuple[dict[str, os.stat_result], list[Skipped]]:
    """Regular files under corpus/ by relative path, and unsupported ones as skips. Ignored files vanish.
    (Plain string paths: at 10,000 files pathlib's objects were most of a no-op resync.)"""
    found: dict[str, os.stat_result] = {}
    skipped: list[Skipped] = []
    top = os.fspath(corpus)
    for root, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not is_ignored(d))
        where = os.path.relpath(root, top).replace(os.sep, "/")
        prefix = "" if where == "." else where + "/"
        for name in sorted(files):
            if is_ignored(name):
                continue
            rel = prefix + name
            if not _valid_name(rel):  # SQLite, JSON and the page all need text names
                shown = os.fsencode(rel).decode("utf-8", "backslashreplace")
                skipped.append(
                    Skipped(
                        shown, "the file name is not valid UTF-8 (copied from an old archive or disk?): rename the file"
                    )
                )
                continue
            try:
                st = os.stat(os.path.join(root, name))
            except OSError as e:
                skipped.append(Skipped(rel, f"cannot read file: {e.strerror or e} (broken link or loop?)"))
                continue
            if not _is_regular(st):
                continue
            suffix = _suffix(name)
            if suffix.lower() not in SUPPORTED_SUFFIXES:
                skipped.append(Skipped(rel, unsupported_type(suffix)))
                continue
            found[rel] = st
    return found, skipped


def _suffix(name: str) -> str:
    """The file name's extension as pathlib's `suffix` gives it ("" for ".bashrc" or "notes.")."""
    i = name.rfind(".")
    return name[i:] if 0 < i < len(name) - 1 else ""


def _valid_name(rel: str) -> bool:
    """False for a name whose bytes are not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_regular(st: os.stat_result) -> bool:
    import stat

    return stat.S_ISREG(st.st_mode)


def sync(
    settings: Settings,
    embedder: Embedder,
    index: Index,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
    ocr_progress: OcrProgress | None = None,
) -> SyncReport:
    """Bring index/ in line with corpus/; returns what changed. Scanned PDF pages are OCR'd (ocr.py), pages
    cached in the manifest as they are read; `ocr_progress` hears of each page."""
    t0 = time.monotonic()
    corpus = Path(settings.corpus_dir)
    if not corpus.is_dir():
        raise CorpusMissing(f"corpus folder {corpus} does not exist: create it or set ASSISTANT_CORPUS_DIR")
    report = SyncReport()
    with IndexLock(index.dir, settings.lock_timeout_s, on_wait=log):
        if index.model_changed():
            if log:
                log(
                    f"embedding model or passage recipe changed (now {embedder.model_id}, {index.passage_recipe}): re-embedding every document"
                )
            index.reset_for_model()
        interrupted = index.interrupted()
        if interrupted:  # before recover() clears the flag, so a crash here repeats it
            for doc in repoint_vectors(index):
                if log:
                    log(f"recovered from an interrupted ingest: {doc}: vectors re-pointed to the renamed file")
        for repair in index.recover():  # not interrupted: a lexical index of a previous version or analysis, rebuilt
            if log:
                log(f"recovered from an interrupted ingest: {repair.detail}" if interrupted else repair.detail)
        files, report.skipped = scan(corpus)
        ocr = Ocr.from_settings(settings, cache=index, progress=ocr_progress)
        known = {d.path: d for d in index.documents()}
        todo = _diff(settings, index, known, corpus, files, report, ocr)
        if todo or report.removed or report.renamed:
            index.begin()
            for r in report.renamed:
                index.rename(r.old, r.new, files[r.new].st_mtime_ns)
            for path in report.removed:
                index.delete(path)
            pending = _load_all(settings, embedder, corpus, todo, known, index, report, ocr)
            _embed_and_store(embedder, index, pending, progress)
            index.commit()
        report.paragraphs, report.chunks = index.counts()
    report.ocr_pages, report.ocr_cached_pages, report.ocr_seconds = ocr.pages_read, ocr.pages_cached, ocr.seconds
    report.seconds = time.monotonic() - t0
    return report


def misattributed_vectors(index: Index) -> dict[str, int]:
    """Documents whose vectors carry another document's name in Chroma, with how many.

    A rename updates the manifest, then the vectors' `doc` metadata; a crash in between leaves vectors
    that document filters never find. Only the manifest knows the right name."""
    wrong: dict[str, int] = {}
    for rec in index.documents():
        n = sum(1 for doc in index.vector_docs(index.doc_chunk_ids(rec.path)).values() if doc != rec.path)
        if n:
            wrong[rec.path] = n
    return wrong


def repoint_vectors(index: Index) -> list[str]:
    """Give misattributed vectors their document's name again (see misattributed_vectors); returns the documents."""
    mtimes = {d.path: d.mtime_ns for d in index.documents()}
    docs = sorted(misattributed_vectors(index))
    for doc in docs:
        index.rename(doc, doc, mtimes[doc])  # same name: rewrites the vectors' metadata only
    return docs


def _diff(
    settings: Settings,
    index: Index,
    known: dict[str, DocRecord],
    corpus: Path,
    files: dict[str, os.stat_result],
    report: SyncReport,
    ocr: Ocr,
) -> list[tuple[str, str, os.stat_result]]:
    """Classify files against the indexed documents `known` (by path): unchanged, renamed, removed;
    return (path, hash, stat) of those to (re)load."""
    skipped_before = index.skipped()
    todo: list[tuple[str, str, os.stat_result]] = []
    hashes: dict[str, str] = {}
    for path, st in files.items():
        rec = known.get(path)
        if rec and rec.size == st.st_size and rec.mtime_ns == st.st_mtime_ns:
            report.unchanged += 1
            continue
        prev_skip = skipped_before.get(path)
        # a read error (chmod changes no mtime) or the size limit (a setting) may be gone without the file changing
        # and so may Tesseract's absence (installed since) or an OCR setting
        retry = prev_skip is not None and (
            prev_skip.reason.startswith(_READ_ERROR)
            or "ASSISTANT_MAX_FILE_MB" in prev_skip.reason
            or skip_may_clear(prev_skip.reason, ocr)
        )
        if prev_skip and (prev_skip.size, prev_skip.mtime_ns) == (st.st_size, st.st_mtime_ns) and not rec and not retry:
            report.skipped.append(Skipped(path, prev_skip.reason))
            continue
        if st.st_size > settings.max_file_mb * 1024 * 1024:
            todo.append((path, "", st))  # the loader refuses it with the size reason, without reading it
            continue
        try:
            digest = content_hash((corpus / path).read_bytes())
        except OSError as e:
            hint = " (give your user read access to it)" if isinstance(e, PermissionError) else ""
            reason = f"{_READ_ERROR}: {e.strerror or e}{hint}"
            report.skipped.append(Skipped(path, reason))
            index.mark_skipped(path, st.st_size, st.st_mtime_ns, reason)
            continue
        if rec and rec.hash == digest:
            index.touch(path, st.st_mtime_ns)
            report.unchanged += 1
            continue
        hashes[path] = digest
        todo.append((path, digest, st))
    for stale in set(skipped_before) - set(files):
        index.clear_skipped(stale)
    gone = {p: known[p] for p in known if p not in files}
    by_hash = {rec.hash: p for p, rec in gone.items()}
    present_hash = {rec.hash: p for p, rec in known.items() if p in files}
    remaining = []
    for path, digest, st in todo:
        if path not in known and digest in by_hash:
            old = by_hash.pop(digest)
            report.renamed.append(Renamed(old, path))
            gone.pop(old)
        elif digest and present_hash.get(digest, path) != path:
            reason = f"same content as {present_hash[digest]}: not indexed twice"
            report.skipped.append(Skipped(path, reason))
            index.mark_skipped(path, st.st_size, st.st_mtime_ns, reason)
        else:
            if digest:
                present_hash[digest] = path
            remaining.append((path, digest, st))
    report.removed = sorted(gone)
    return remaining


def _load_all(
    settings: Settings,
    embedder: Embedder,
    corpus: Path,
    todo,
    known: dict[str, DocRecord],
    index: Index,
    report: SyncReport,
    ocr: Ocr,
) -> list[Pending]:
    """Load and chunk each file; failures become skips (an indexed older version is kept). `known`: the
    documents indexed before this sync, by path (no file to load was renamed or removed by it)."""
    pending: list[Pending] = []
    max_bytes = int(settings.max_file_mb * 1024 * 1024)
    for path, digest, st in todo:
        try:
            doc = load_document(corpus / path, max_bytes, ocr)
            paragraphs = classify(doc.paragraphs)
            doc.paragraphs = paragraphs
            chunks = make_chunks(
                path,
                digest,
                doc.text,
                paragraphs,
                embedder.count_tokens,
                chunk_tokens(embedder, settings.embed_context),
            )
            _check_fits(chunks, embedder)
        except SkipFile as e:
            reason = str(e) + ("; the previously indexed version is kept" if path in known else "")
            report.skipped.append(Skipped(path, reason))
            index.mark_skipped(path, st.st_size, st.st_mtime_ns, reason)
            continue
        rec = DocRecord(path, digest, st.st_size, st.st_mtime_ns, doc.meta)
        (report.updated if path in known else report.added).append(path)
        pending.append(Pending(path, rec, doc, chunks))
    return pending


def _check_fits(chunks: list[Chunk], embedder: Embedder) -> None:
    """Refuse a file with a chunk the model cannot take: chunking splits at sentences and words, so only
    one unbroken run of characters (encoded data, a data: URI) can be over the limit; embedding it would fail."""
    for c in chunks:
        if _NO_SPACE.fullmatch(c.text) and embedder.count_tokens(c.text) > embedder.max_tokens:
            raise SkipFile(
                f"paragraph {c.paragraph} holds {len(c.text):,} characters without a space (encoded data?), more than "
                f"the embedding model takes at once ({embedder.max_tokens} tokens): remove it or break it up"
            )


def _embed_and_store(embedder: Embedder, index: Index, pending: list[Pending], progress: Progress | None) -> None:
    """Embed in batches across files (cache by text hash), store each file as soon as it is complete."""
    total = sum(len(p.chunks) for p in pending)
    done = 0
    if progress:
        progress(0, total)
    group: list[Pending] = []
    for p in pending:
        group.append(p)
        if sum(len(g.chunks) for g in group) >= BATCH_CHUNKS:
            done += _store_group(embedder, index, group)
            group = []
            if progress:
                progress(done, total)
    if group:
        done += _store_group(embedder, index, group)
        if progress:
            progress(done, total)


def chunk_tokens(embedder: Embedder, context: bool) -> int:
    """Chunk size: the model's limit less the room kept for each chunk's context."""
    return embedder.max_tokens - (context_budget(embedder.max_tokens) if context else 0)


def passage_texts(embedder: Embedder, chunks: list[Chunk], titles: dict[str, str], context: bool) -> list[str]:
    """What the encoder reads for each chunk (chunking.passage_text); `titles` by document."""
    if not context:
        return [c.text for c in chunks]
    return [passage_text(c, titles.get(c.doc, ""), embedder.count_tokens, embedder.max_tokens)[0] for c in chunks]


def sentence_texts(chunks: list[Chunk]) -> list[str]:
    """The sentences the answer step compares with a question (extractive.py), embedded at ingest into the
    vector cache so that a question costs one lookup instead of an encoder run per sentence."""
    return list(
        dict.fromkeys(c.text[s:e] for c in chunks if c.kind in QUOTABLE_KINDS for s, e in sentence_spans(c.text))
    )


def _store_group(embedder: Embedder, index: Index, group: list[Pending]) -> int:
    texts = [
        t
        for p in group
        for t in passage_texts(embedder, p.chunks, {p.path: p.doc.meta.title}, index.settings.embed_context)
    ]
    vectors = embed_cached(embedder, index, texts)
    embed_cached(embedder, index, sentence_texts([c for p in group for c in p.chunks]))
    items, pos = [], 0
    for p in group:
        n = len(p.chunks)
        items.append((p.rec, p.doc.text, p.doc.paragraphs, p.chunks, vectors[pos : pos + n]))
        pos += n
    index.put_many(items)
    return len(texts)


def embed_cached(embedder: Embedder, index: Index, texts: list[str]) -> np.ndarray:
    """Passage vectors, reusing those already computed for the same text and model."""
    keys = [vector_key(embedder.model_id, t) for t in texts]
    cached = index.cached_vectors(keys)
    missing = sorted({k: t for k, t in zip(keys, texts) if k not in cached}.items())
    if missing:
        vecs = embedder.embed_passages([t for _, t in missing]).astype(np.float32)
        new = [(k, v) for (k, _), v in zip(missing, vecs)]
        index.cache_vectors(new)
        cached.update(new)
    return np.stack([cached[k] for k in keys]) if keys else np.zeros((0, embedder.dim), np.float32)
