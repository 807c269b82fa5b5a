"""`assistant bench`: ingest, resync, query latency, memory and cold start at growing corpus sizes.

Each size gets its own corpus (real Vietnamese sentences, by default the packaged ones from XQuAD-vi and the
seeds, recombined so no two paragraphs are equal, 10 paragraphs a document: `bench_corpus.py`) in a temp dir.
What is measured there, in one run, so every ratio compares numbers taken under the same machine load:
- ingest throughput, and the raw encoder (`SentenceTransformer.encode`, best batch size) on the same
  chunks (a sample of them past `ENCODER_SAMPLE`): their ratio is the pipeline's overhead;
- llama-index's default pipeline (`VectorStoreIndex.from_documents` into Chroma, same model) on a sample
  (`bench_peer.py`);
- no-op and one-changed-file resync, query latency (retrieve + extractive answer), peak RSS, index
  size on disk, and `assistant ask` cold start (`bench_probes.py`).
Embedding 100k chunks takes hours on 2 cores, so vectors are kept between runs in a cache by
content hash (`~/.cache/assistant/bench/`); a size that used cached vectors says so, and its
overhead ratio is then computed from the time spent outside the encoder (`overhead_estimated`).
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..settings import Settings
from ..types import Embedder
from .bench_corpus import PARAS_PER_DOC, bench_questions, load_source, write_corpus
from .bench_peer import llamaindex_subprocess
from .bench_probes import CachedEmbedder, Log, cold_start, dir_mb, peak_reset, peak_rss_mb, raw_encoder
from .metrics import percentile

DEFAULT_SIZES = (1000, 10000)
ENCODER_SAMPLE = 256  # chunks the raw encoder is timed on (all of them below this)
PEER_SAMPLE = 200  # chunks llama-index ingests (its throughput barely depends on the corpus size)
QUESTIONS = 80
WARMUP = 3  # questions asked before the timed ones
KEYS = (
    "chunks", "documents", "ingest_chunks_per_s", "encoder_chunks_per_s", "overhead_ratio", "llamaindex_chunks_per_s",
    "noop_resync_s", "one_changed_resync_s", "query_p50_ms", "query_p95_ms", "peak_rss_mb", "index_mb", "cold_start_s",
)  # fmt: skip


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "assistant" / "bench"


def bench_size(
    n_chunks: int,
    base: Settings,
    embedder: CachedEmbedder,
    work: Path,
    *,
    pool: list[list[str]],
    questions: list[str],
    peer: Callable[[list[Path], Path], dict] | None,
    cold: bool,
    log: Log,
) -> dict[str, Any]:
    """Every measurement at one corpus size; returns the size's JSON row."""
    from ..app import build

    corpus, index_dir = work / "corpus", work / "index"
    files = write_corpus(corpus, n_chunks, pool)
    settings = base.model_copy(update={"corpus_dir": corpus, "index_dir": index_dir})
    row: dict[str, Any] = {"chunks": n_chunks, "documents": len(files)}
    peak_ok = peak_reset()

    log(f"[{n_chunks}] ingest of {len(files)} documents")
    app = build(settings, embedder=embedder)
    with embedder.active():
        t0 = time.perf_counter()
        report = app.sync()
        ingest_s = time.perf_counter() - t0
    row["chunks"] = report.chunks
    row["ingest_s"] = round(ingest_s, 2)
    row["ingest_chunks_per_s"] = report.chunks / ingest_s
    row["cached_fraction"] = embedder.hits / max(embedder.hits + embedder.misses, 1)
    row["encode_s_in_ingest"] = round(embedder.encode_s, 2)
    # what the ingest/raw ratio is made of: encoder inputs per chunk (the passage, and each sentence not
    # seen before: extractive.py reads their vectors) and the share of the ingest spent inside the encoder
    row["encoder_texts_per_chunk"] = (embedder.hits + embedder.misses) / max(report.chunks, 1)
    row["encoder_share_of_ingest"] = embedder.encode_s / ingest_s if ingest_s > 0 else 0.0

    log(f"[{n_chunks}] resyncs")
    t0 = time.perf_counter()
    build(settings, embedder=embedder).sync()  # a fresh App: opens the index like a new process would
    row["noop_resync_s"] = time.perf_counter() - t0
    changed = files[len(files) // 2]
    changed.write_text(
        changed.read_text(encoding="utf-8") + "\nTài liệu này được cập nhật cho phép đo hiệu năng.\n", encoding="utf-8"
    )
    with embedder.active():
        t0 = time.perf_counter()
        app.sync()
        row["one_changed_resync_s"] = time.perf_counter() - t0

    warm, timed = questions[:WARMUP], questions[WARMUP:]
    log(f"[{n_chunks}] {len(timed)} questions")
    for q in warm:
        app.ask(q)  # the view and the model warmed on other questions than the timed ones
    total, retrieve, answer, answered = [], [], [], 0
    for q in timed:
        t0 = time.perf_counter()
        a = app.ask(q)
        total.append((time.perf_counter() - t0) * 1000)
        retrieve.append(a.timings_ms.get("retrieve", 0.0))
        answer.append(a.timings_ms.get("answer", 0.0))
        answered += a.answered
    row.update(
        query_p50_ms=percentile(total, 50), query_p95_ms=percentile(total, 95),
        retrieve_p50_ms=percentile(retrieve, 50), answer_p50_ms=percentile(answer, 50),
        answered_rate=answered / max(len(timed), 1),
    )  # fmt: skip
    app.index.close()
    row["index_mb"] = dir_mb(index_dir)

    texts = _chunk_texts(index_dir)
    sample = random.Random(n_chunks).sample(texts, min(ENCODER_SAMPLE, len(texts)))
    log(f"[{n_chunks}] raw encoder on {len(sample)} of the same chunks")
    row.update(raw_encoder(embedder.inner, sample, log))
    row["encoder_sample"] = len(sample)
    _overhead(row)
    # read after the raw encoder: with cached vectors the ingest encoded nothing, and encoding
    # batches is what sets the peak (the peer runs in its own process and is not counted)
    row["peak_rss_mb"] = peak_rss_mb()
    row["peak_rss_since"] = "size start" if peak_ok else "process start"
    row["load_avg_1m"] = os.getloadavg()[0]

    if cold:
        log(f"[{n_chunks}] cold start of `assistant ask`")
        row["cold_start_s"] = cold_start(settings, questions[0])

    if peer is not None:
        docs = files[: max(1, PEER_SAMPLE // PARAS_PER_DOC)]
        n_peer = sum(len(re.split(r"\n\s*\n", f.read_text(encoding="utf-8").strip())) for f in docs)
        log(f"[{n_chunks}] llama-index default pipeline on {n_peer} chunks")
        res = peer(docs, work / "peer")
        row["llamaindex_chunks_per_s"] = n_peer / res["seconds"]
        row["llamaindex_nodes"] = res["nodes"]
        row["llamaindex_sample_chunks"] = n_peer
    return row


def _chunk_texts(index_dir: Path) -> list[str]:
    from ..manifest import Manifest

    m = Manifest(index_dir / "manifest.sqlite")
    try:
        return [c.text for c in m.all_chunks()]
    finally:
        m.close()


def _overhead(row: dict[str, Any]) -> None:
    """ingest / raw encoder. With cached vectors the ingest skipped most encoding: estimate it as the
    time spent outside the encoder plus what the raw encoder would take for every chunk."""
    enc = row["encoder_chunks_per_s"]
    if row["cached_fraction"] == 0:
        row["overhead_ratio"] = row["ingest_chunks_per_s"] / enc
        row["overhead_estimated"] = False
        return
    outside = max(row["ingest_s"] - row["encode_s_in_ingest"], 0.0)
    uncached_s = outside + row["chunks"] / enc
    row["ingest_uncached_est_chunks_per_s"] = row["chunks"] / uncached_s
    row["overhead_ratio"] = row["ingest_uncached_est_chunks_per_s"] / enc
    row["overhead_estimated"] = True


# ---------------------------------------------------------------- the run


def run(
    sizes: Sequence[int] = DEFAULT_SIZES,
    settings: Settings | None = None,
    embedder: Embedder | None = None,
    *,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    peer: Callable[[list[Path], Path], dict] | None | bool = True,
    cold: bool | None = None,
    questions: int = QUESTIONS,
    sources: Sequence[Path] | None = None,
    question_file: Path | None = None,
    log: Log = lambda s: None,
) -> dict[str, Any]:
    """Bench every size (smallest first); an injected embedder (tests) skips cold start unless asked.

    `sources` (folders of .txt) and `question_file` replace the packaged corpus source and questions."""
    from ..app import offline_defaults

    offline_defaults()
    base = settings or Settings()
    if cold is None:
        cold = embedder is None
    if embedder is None:
        from ..embeddings import load_embedder

        embedder = load_embedder(base)
    if peer is True:
        peer = lambda files, work: llamaindex_subprocess(files, work, base)  # noqa: E731
    cache = (
        cache_dir or default_cache_dir()
    ) / f"vectors-{hashlib.sha1(embedder.model_id.encode()).hexdigest()[:12]}.sqlite"
    cached = CachedEmbedder(embedder, cache if use_cache else None)
    source = load_source(sources, question_file)
    pool = source.paragraphs
    qs = bench_questions(questions + WARMUP, source.questions)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    rows = []
    for n in sorted(sizes):
        with tempfile.TemporaryDirectory(prefix=f"assistant-bench-{n}-") as tmp:
            rows.append(
                bench_size(n, base, cached, Path(tmp), pool=pool, questions=qs, peer=peer or None, cold=cold, log=log)
            )
        log(format_table(rows))
    return {"sizes": rows, "host": {**host_info(embedder), "load_avg_at_start": load_at_start}, "model_id": embedder.model_id, "embed_backend": base.embed_backend,
            "cache": str(cache) if use_cache else None}  # fmt: skip


def host_info(embedder: Embedder) -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": os.cpu_count(), "load_avg": [round(x, 2) for x in os.getloadavg()]}
    if "torch" in sys.modules:
        info["torch_threads"] = sys.modules["torch"].get_num_threads()
    return info


ROWS = [
    ("chunks", "chunks", "{:.0f}"),
    ("documents", "documents", "{:.0f}"),
    ("ingest_chunks_per_s", "ingest (chunks/s)", "{:.1f}"),
    ("cached_fraction", "  of which cached vectors", "{:.0%}"),
    ("encoder_chunks_per_s", "raw encoder (chunks/s)", "{:.1f}"),
    ("overhead_ratio", "ingest / raw encoder", "{:.2f}"),
    ("encoder_texts_per_chunk", "  encoder inputs per chunk (passage + new sentences)", "{:.2f}"),
    ("encoder_share_of_ingest", "  share of the ingest inside the encoder", "{:.0%}"),
    ("llamaindex_chunks_per_s", "llama-index default (chunks/s)", "{:.1f}"),
    ("noop_resync_s", "no-op resync (s)", "{:.2f}"),
    ("one_changed_resync_s", "one changed file resync (s)", "{:.2f}"),
    ("query_p50_ms", "query p50 (ms)", "{:.0f}"),
    ("query_p95_ms", "query p95 (ms)", "{:.0f}"),
    ("retrieve_p50_ms", "  retrieve p50 (ms)", "{:.0f}"),
    ("answer_p50_ms", "  answer p50 (ms)", "{:.0f}"),
    ("peak_rss_mb", "peak RSS (MB)", "{:.0f}"),
    ("index_mb", "index on disk (MB)", "{:.1f}"),
    ("cold_start_s", "`assistant ask` cold start (s)", "{:.1f}"),
]


def format_table(rows: list[dict[str, Any]]) -> str:
    """Markdown table: one column per size."""
    head = "| metric | " + " | ".join(f"{r['chunks']:,}" for r in rows) + " |"
    lines = [head, "| --- |" + " ---: |" * len(rows)]
    for key, label, fmt in ROWS:
        cells = []
        for r in rows:
            v = r.get(key)
            cell = "-" if v is None else fmt.format(v)
            if key == "overhead_ratio" and r.get("overhead_estimated"):
                cell += " (est.)"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def to_json(result: dict[str, Any]) -> dict[str, Any]:
    """Rounded for printing."""

    def rnd(v: Any) -> Any:
        return round(v, 3) if isinstance(v, float) else v

    return {**result, "sizes": [{k: rnd(v) for k, v in r.items()} for r in result["sizes"]]}
