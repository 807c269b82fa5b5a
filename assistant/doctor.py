"""`assistant doctor`: check index/ against corpus/ and the manifest, say what is wrong, repair it.

Checks (under the index lock, so a running ingest is never mistaken for damage):
- corpus vs manifest: files not indexed, indexed files gone from corpus/, files changed since indexed;
- manifest vs Chroma: orphan vectors, manifest chunks without a vector, vectors that cannot be read
  back or differ from the embedding recorded for their text, vectors carrying another document's name,
  vectors the vector search cannot find (sampled);
- the lexical index: missing, unreadable, of a previous version or another text analysis, or with other
  chunks than the manifest;
- the `dirty` flag of an interrupted ingest, and an index built with another embedding model.

Repairs: documents whose vectors are damaged are dropped from the index (and re-indexed by the sync),
misattributed vectors are re-pointed, `Index.recover()` removes orphans and rebuilds the lexical
index, and a sync indexes whatever corpus/ needs. A second check confirms what was fixed.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from .chunking import chunk_context, content_hash
from .embeddings import configured_model_id
from .lock import IndexLock
from .manifest import vector_key
from .settings import Settings
from .store import Index
from .types import SyncReport

if TYPE_CHECKING:
    from .app import App

SEARCH_SAMPLE = 20  # chunks whose own vector must come back first from the vector search
Log = Callable[[str], None]


@dataclass
class Finding:
    """One thing wrong with the index: `check` names the kind, `detail` says what, `fix` how it was fixed."""

    check: str
    detail: str
    docs: list[str] = field(default_factory=list)
    fix: str = ""

    @property
    def fixed(self) -> bool:
        return bool(self.fix)


@dataclass
class DoctorReport:
    findings: list[Finding]
    counts: dict[str, int]
    sync: SyncReport | None = None
    remaining: list[Finding] = field(default_factory=list)  # still wrong after the repairs

    @property
    def healthy(self) -> bool:
        return not self.remaining and all(f.fixed for f in self.findings)

    def to_json(self) -> dict:
        return {
            "healthy_before": not self.findings,
            "healthy": self.healthy,
            "counts": self.counts,
            "findings": [{**asdict(f), "fixed": f.fixed} for f in self.findings],
            "remaining": [asdict(f) for f in self.remaining],
            "sync": self.sync.to_json() if self.sync else None,
        }


def run(
    app: App, *, fix: bool = True, model_id: str | None = None, log: Log | None = None, progress=None
) -> DoctorReport:
    """Check the index of `app` and, with fix, repair it; model_id defaults to the configured model's."""
    settings: Settings = app.settings
    wanted = model_id or configured_model_id(settings)
    with IndexLock(Path(settings.index_dir), settings.lock_timeout_s, on_wait=log):
        index = _open(settings, wanted)
        try:
            findings, counts = diagnose(settings, index, wanted)
            needs_sync = fix and bool(findings) and _repair(index, findings)
        finally:
            index.close()
    report = DoctorReport(findings, counts)
    if not fix or not findings:
        return report
    if needs_sync:
        report.sync = app.sync(progress=progress, log=log)
        _credit_sync(findings, report.sync)
    with IndexLock(Path(settings.index_dir), settings.lock_timeout_s, on_wait=log):
        index = _open(settings, wanted)
        try:
            report.remaining, _ = diagnose(settings, index, wanted)
        finally:
            index.close()
    for f in findings:
        if f.fix and any(r.check == f.check for r in report.remaining):
            f.fix += " (but the problem is still there: see `remaining`)"
    return report


def _open(settings: Settings, wanted: str) -> Index:
    """The index as built: with the model its manifest names (the configured one for a new index)."""
    index = Index(settings, wanted)
    built = index.built_model()
    if not built or built == wanted:
        return index
    index.close()
    return Index(settings, built)


# --- checks ---------------------------------------------------------------------------------------


def diagnose(settings: Settings, index: Index, wanted_model: str) -> tuple[list[Finding], dict[str, int]]:
    """Everything wrong with the index (read-only), and what was looked at."""
    findings: list[Finding] = []
    docs = {d.path: d for d in index.documents()}
    known = index.chunk_ids()
    stored = set(index.vector_ids()) if known or docs or _has_collection(index) else set()
    counts = {"documents": len(docs), "chunks": len(known), "vectors": len(stored)}

    findings += _corpus_findings(settings, index, docs, counts)
    if index.interrupted():
        findings.append(Finding("dirty", "an ingest was interrupted (the index is marked dirty)"))
    built = index.built_model()
    if built and built != wanted_model:
        findings.append(
            Finding(
                "model",
                f"the index was built with {built!r}, the settings name {wanted_model!r}: everything must be re-embedded",
            )
        )
    findings += _vector_findings(index, known, stored)
    findings += _lexical_findings(index)
    return findings, counts


def _corpus_findings(settings: Settings, index: Index, docs: dict, counts: dict[str, int]) -> list[Finding]:
    from .ingest import scan

    corpus = Path(settings.corpus_dir)
    if not corpus.is_dir():
        return [Finding("corpus", f"corpus folder {corpus} does not exist: create it or set ASSISTANT_CORPUS_DIR")]
    files, _ = scan(corpus)
    skipped = index.skipped()
    counts["files"] = len(files)
    new = sorted(
        p
        for p in files
        if p not in docs
        and (p not in skipped or (skipped[p].size, skipped[p].mtime_ns) != (files[p].st_size, files[p].st_mtime_ns))
    )
    gone = sorted(p for p in docs if p not in files)
    changed = sorted(p for p in docs if p in files and _changed(corpus / p, files[p], docs[p], settings))
    out = []
    if new:
        out.append(Finding("not-indexed", f"{len(new)} file(s) in corpus/ are not indexed: {_names(new)}", new))
    if gone:
        out.append(Finding("gone", f"{len(gone)} indexed document(s) are no longer in corpus/: {_names(gone)}", gone))
    if changed:
        out.append(
            Finding("changed", f"{len(changed)} file(s) changed since they were indexed: {_names(changed)}", changed)
        )
    return out


def _changed(path: Path, st: os.stat_result, rec, settings: Settings) -> bool:
    if st.st_size != rec.size:
        return True
    if st.st_size > settings.max_file_mb * 1024 * 1024:
        return False  # not read (over the limit); same size, trust it
    try:
        return content_hash(path.read_bytes()) != rec.hash
    except OSError:
        return True


def _vector_findings(index: Index, known: set[str], stored: set[str]) -> list[Finding]:
    from .ingest import misattributed_vectors

    out = []
    orphans = stored - known
    if orphans:
        out.append(Finding("orphan-vectors", f"{len(orphans)} vector(s) in Chroma belong to no indexed paragraph"))
    by_chunk = _chunk_docs(index)
    missing = known - stored
    if missing:
        docs = sorted({by_chunk[c] for c in missing})
        out.append(Finding("missing-vectors", f"{len(missing)} indexed chunk(s) have no vector: {_names(docs)}", docs))
    unreadable, wrong_vectors = _bad_vectors(index, sorted(known & stored))
    if unreadable:
        docs = sorted({by_chunk[c] for c in unreadable})
        out.append(
            Finding("unreadable-vectors", f"{len(unreadable)} vector(s) cannot be read back: {_names(docs)}", docs)
        )
    if wrong_vectors:
        docs = sorted({by_chunk[c] for c in wrong_vectors})
        out.append(
            Finding(
                "wrong-vectors",
                f"{len(wrong_vectors)} vector(s) are not the embedding of their paragraph: {_names(docs)}",
                docs,
            )
        )
    wrong = misattributed_vectors(index) if known & stored else {}
    if wrong:
        out.append(
            Finding(
                "misattributed-vectors",
                f"{sum(wrong.values())} vector(s) carry another document's name: {_names(sorted(wrong))}",
                sorted(wrong),
            )
        )
    lost = _not_found_by_search(index, sorted(known & stored - set(unreadable)))
    if lost:
        docs = sorted({by_chunk[c] for c in lost})
        out.append(
            Finding(
                "vector-search",
                f"the vector search does not find {len(lost)} of {SEARCH_SAMPLE} sampled vectors: {_names(docs)}",
                docs,
            )
        )
    return out


def _lexical_findings(index: Index) -> list[Finding]:
    problem = index.lexical_problem(thorough=True)
    return [Finding("lexical", problem)] if problem else []


def _has_collection(index: Index) -> bool:
    return (index.dir / "chroma").exists()


def _chunk_docs(index: Index) -> dict[str, str]:
    return {cid: d.path for d in index.documents() for cid in index.doc_chunk_ids(d.path)}


def _bad_vectors(index: Index, ids: list[str]) -> tuple[list[str], list[str]]:
    """(unreadable, wrong): vectors that do not come back as finite non-zero vectors of the index's
    dimension, and vectors that differ from the embedding recorded for their text when it was indexed."""

    titles = {d.path: d.meta.title for d in index.documents()}
    # the encoder read a chunk with its context, or alone when both did not fit (chunking.passage_text):
    # without loading the model, both inputs are looked up and the recorded one is checked
    inputs: dict[str, list[str]] = {}
    for c in index.all_chunks():
        ctx = chunk_context(c, titles.get(c.doc, "")) if index.settings.embed_context else ""
        inputs[c.id] = [f"{ctx}\n{c.text}", c.text] if ctx else [c.text]
    unreadable: list[str] = []
    wrong: list[str] = []
    dim = None
    for i in range(0, len(ids), 1000):
        part = ids[i : i + 1000]
        returned = index.vectors(part)
        keys = {cid: [vector_key(index.model_id, t) for t in inputs.get(cid, [""])] for cid in part}
        cached = index.cached_vectors(list({k for ks in keys.values() for k in ks}))
        for cid in part:
            arr = returned.get(cid)
            dim = dim or (arr.size if arr is not None else None)
            if arr is None or arr.size != dim or not np.all(np.isfinite(arr)) or not np.any(arr):
                unreadable.append(cid)
                continue
            wants = [cached[k] for k in keys[cid] if k in cached]
            if wants and not any(np.allclose(arr, w, atol=1e-4) for w in wants):
                wrong.append(cid)
    return unreadable, wrong


def _not_found_by_search(index: Index, ids: list[str]) -> list[str]:
    """Sampled chunks whose own vector does not come back (similarity ~1) from the vector search."""
    if not ids:
        return []
    step = max(1, len(ids) // SEARCH_SAMPLE)
    sample = ids[::step][:SEARCH_SAMPLE]
    lost = []
    for cid, vec in index.vectors(sample).items():
        best = index.dense(vec, 1, None) if vec is not None else []
        if not best or best[0][1] < 0.999:
            lost.append(cid)
    return lost


def _names(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


# --- repairs --------------------------------------------------------------------------------------


_RECOVERED = {"dirty", "orphan-vectors", "missing-vectors", "lexical"}
_REINDEX = {"unreadable-vectors", "wrong-vectors", "vector-search"}
_SYNCED = {"not-indexed", "gone", "changed", "model", "missing-vectors", *_REINDEX}


def _repair(index: Index, findings: list[Finding]) -> bool:
    """Repair what the manifest can (caller holds the lock); True when a sync must follow."""
    kinds = {f.check for f in findings}
    if kinds & (_RECOVERED | _REINDEX | {"misattributed-vectors"}):
        index.begin()  # dirty: a crash during the repair is repaired by the next ingest
        for f in findings:
            if f.check in _REINDEX:
                for doc in f.docs:
                    index.delete(doc)
                f.fix = f"dropped {_names(f.docs)} from the index to be embedded again"
        if "misattributed-vectors" in kinds:
            from .ingest import repoint_vectors

            done = repoint_vectors(index)
            _fixed(findings, "misattributed-vectors", f"re-pointed the vectors of {_names(done)} to their document")
        repaired = index.recover()
        said = {
            kind: [r.detail for r in repaired if r.kind == kind]
            for kind in ("orphan-vectors", "missing-vectors", "lexical")
        }
        said["dirty"] = [r.detail for r in repaired]
        for kind, lines in said.items():
            _fixed(findings, kind, "; ".join(lines) or "index checked and marked consistent")
    return bool(kinds & _SYNCED)


def _credit_sync(findings: list[Finding], report: SyncReport) -> None:
    summary = (
        f"ingest: {len(report.added)} added, {len(report.updated)} updated, {len(report.removed)} removed, "
        f"{len(report.renamed)} renamed, {len(report.skipped)} skipped"
    )
    for f in findings:
        if f.check in _SYNCED:
            f.fix = (f.fix + " then " if f.fix else "") + summary


def _fixed(findings: list[Finding], kind: str, how: str) -> None:
    for f in findings:
        if f.check == kind and not f.fix:
            f.fix = how
