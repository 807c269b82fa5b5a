"""`assistant bench`: ingest, resync, query latency, memory and cold start at growing corpus sizes.

Each size gets its own corpus (real Vietnamese sentences from evals/xquad-vi/corpus and the seeds,
recombined so no two paragraphs are equal, 10 paragraphs a document) in a temp dir. What is
measured there, in one run, so every ratio compares numbers taken under the same machine load:
- ingest throughput, and the raw encoder (`SentenceTransformer.encode`, best batch size) on the same
  chunks (a sample of them past `ENCODER_SAMPLE`): their ratio is the pipeline's overhead;
- llama-index's default pipeline (`VectorStoreIndex.from_documents` into Chroma, same model) on a sample;
- no-op and one-changed-file resync, query latency (retrieve + extractive answer), peak RSS, index
  size on disk, and `assistant ask` cold start.
Embedding 100k chunks takes hours on 2 cores, so vectors are kept between runs in a cache by
content hash (`~/.cache/assistant/bench/`); a size that used cached vectors says so, and its
overhead ratio is then computed from the time spent outside the encoder (`overhead_estimated`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .settings import Settings
from .types import Embedder

DEFAULT_SIZES = (1000, 10000)
PARAS_PER_DOC = 10
ENCODER_SAMPLE = 256  # chunks the raw encoder is timed on (all of them below this)
BATCH_PROBE = 32  # chunks each candidate batch size is timed on
BATCH_SIZES = (8, 16, 32)
PEER_SAMPLE = 200  # chunks llama-index ingests (its throughput barely depends on the corpus size)
QUESTIONS = 80
WARMUP = 3  # questions asked before the timed ones
ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "evals" / "xquad-vi" / "corpus", ROOT / "corpus")
QUESTION_FILE = ROOT / "evals" / "xquad-vi.jsonl"
KEYS = (
    "chunks", "documents", "ingest_chunks_per_s", "encoder_chunks_per_s", "overhead_ratio", "llamaindex_chunks_per_s",
    "noop_resync_s", "one_changed_resync_s", "query_p50_ms", "query_p95_ms", "peak_rss_mb", "index_mb", "cold_start_s",
)  # fmt: skip
Log = Callable[[str], None]


def default_cache_dir() -> Path:
    return Path.home() / ".cache" / "assistant" / "bench"


# ---------------------------------------------------------------- corpus


def source_sentences(sources: Sequence[Path] = SOURCES) -> list[list[str]]:
    """Vietnamese paragraphs of the sources, each as its sentences (paragraphs of 2+ sentences only)."""
    from .metadata import detect_language
    from .text import sentence_spans

    paragraphs: list[list[str]] = []
    for folder in sources:
        for f in sorted(Path(folder).glob("*.txt")):
            for para in re.split(r"\n\s*\n", f.read_text(encoding="utf-8")):
                para = " ".join(para.split())
                if len(para.split()) < 25 or detect_language(para) != "vi":
                    continue
                sents = [para[s:e] for s, e in sentence_spans(para)]
                sents = [s for s in sents if 4 <= len(s.split()) <= 80]
                if len(sents) >= 2:
                    paragraphs.append(sents)
    if not paragraphs:
        raise FileNotFoundError(f"no Vietnamese paragraphs found under {', '.join(map(str, sources))}")
    return paragraphs


def paragraphs_stream(pool: list[list[str]], seed: int = 6) -> Iterator[str]:
    """Endless distinct paragraphs: 2-4 sentences of one source paragraph, shuffled, often with one
    sentence of another. The same seed gives the same sequence, so a smaller size is a prefix of a
    larger one and cached vectors carry over between sizes and runs."""
    rng = random.Random(seed)
    seen: set[str] = set()
    n = 0
    while True:
        base = pool[rng.randrange(len(pool))]
        k = min(len(base), rng.randint(2, 4))
        start = rng.randrange(len(base) - k + 1)
        sents = base[start : start + k]
        rng.shuffle(sents)
        if rng.random() < 0.5:
            other = pool[rng.randrange(len(pool))]
            sents.insert(rng.randrange(len(sents) + 1), other[rng.randrange(len(other))])
        text = " ".join(sents)
        if text in seen:
            n += 1
            text = f"{text} (Bản {n}.)"  # a numbered variant: still distinct text
        seen.add(text)
        yield text


def write_corpus(dest: Path, n_chunks: int, pool: list[list[str]]) -> list[Path]:
    """n_chunks paragraphs written as documents of PARAS_PER_DOC paragraphs each; returns the files."""
    dest.mkdir(parents=True, exist_ok=True)
    stream = paragraphs_stream(pool)
    files = []
    for d in range(0, n_chunks, PARAS_PER_DOC):
        paras = [next(stream) for _ in range(min(PARAS_PER_DOC, n_chunks - d))]
        f = dest / f"doc_{d // PARAS_PER_DOC:06d}.txt"
        f.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
        files.append(f)
    return files


def bench_questions(n: int = QUESTIONS, path: Path = QUESTION_FILE) -> list[str]:
    """n questions spread over the XQuAD-vi file."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = max(1, len(rows) // n)
    return [r["question"] for r in rows[::step][:n]]


# ---------------------------------------------------------------- the embedder, cached across runs


class CachedEmbedder:
    """The Embedder protocol over another one, with a persistent vector cache by text hash while
    `active()` (ingest only: query-time embeddings are always computed). Times what it encodes."""

    def __init__(self, inner: Embedder, path: Path | None):
        self.inner = inner
        self.model_id, self.dim, self.max_tokens = inner.model_id, inner.dim, inner.max_tokens
        self._db = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB NOT NULL)")
        self._active = False
        self.hits = self.misses = 0
        self.encode_s = 0.0

    @contextlib.contextmanager
    def active(self) -> Iterator["CachedEmbedder"]:
        self._active, self.hits, self.misses, self.encode_s = True, 0, 0, 0.0
        try:
            yield self
        finally:
            self._active = False

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not self._active:
            return self.inner.embed_passages(texts)
        keys = [hashlib.sha1(f"{self.model_id}\0{t}".encode()).hexdigest() for t in texts]
        found: dict[str, bytes] = {}
        if self._db is not None:
            for i in range(0, len(keys), 500):
                part = keys[i : i + 500]
                q = f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(part))})"
                found.update(self._db.execute(q, part).fetchall())
        todo = [i for i, k in enumerate(keys) if k not in found]
        out = np.zeros((len(texts), self.dim), np.float32)
        if todo:
            t0 = time.perf_counter()
            vecs = self.inner.embed_passages([texts[i] for i in todo]).astype(np.float32)
            self.encode_s += time.perf_counter() - t0
            out[todo] = vecs
            if self._db is not None:
                self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)", [(keys[i], v.tobytes()) for i, v in zip(todo, vecs)])
        for i, k in enumerate(keys):
            if k in found:
                out[i] = np.frombuffer(found[k], dtype=np.float32)
        self.hits += len(keys) - len(todo)
        self.misses += len(todo)
        return out


# ---------------------------------------------------------------- measurements


def raw_encoder(embedder: Embedder, texts: list[str], log: Log) -> dict[str, Any]:
    """Chunks/s of the model alone (SentenceTransformer.encode at its best batch size) on `texts`;
    any other embedder is timed through embed_passages."""
    model = getattr(embedder, "_model", None)
    prefix = getattr(embedder, "_passage_prefix", "")
    if model is None or not hasattr(model, "encode"):
        t0 = time.perf_counter()
        embedder.embed_passages(texts)
        return {"encoder_chunks_per_s": len(texts) / max(time.perf_counter() - t0, 1e-9), "encoder_batch_size": None}
    batch = sorted((prefix + t for t in texts), key=len)  # as encode() and our ingest do: less padding

    def speed(items: list[str], bs: int) -> float:
        t0 = time.perf_counter()
        model.encode(items, batch_size=bs, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return len(items) / (time.perf_counter() - t0)

    probe = batch[:: max(1, len(batch) // BATCH_PROBE)][:BATCH_PROBE]  # spread over the lengths
    speeds = {bs: speed(probe, bs) for bs in BATCH_SIZES}
    best = max(speeds, key=lambda b: speeds[b])
    log(f"raw encoder batch sizes (chunks/s on {len(probe)}): " + ", ".join(f"{b}: {s:.1f}" for b, s in speeds.items()))
    return {"encoder_chunks_per_s": speed(batch, best), "encoder_batch_size": best}


def _peak_reset() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(np.asarray(values), p)) if values else float("nan")


def cold_start(settings: Settings, question: str) -> float:
    """Seconds from process start to the answer of `assistant ask QUESTION` on this index."""
    exe = shutil.which("assistant", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "assistant.cli"]
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir), "ASSISTANT_INDEX_DIR": str(settings.index_dir)}
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, "ask", question, "--json"], env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"assistant ask failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return seconds


# ---------------------------------------------------------------- llama-index, the peer


def llamaindex_ingest(files: list[Path], work: Path, embed_model: Any) -> dict[str, Any]:
    """llama-index's default pipeline on `files`: SimpleDirectoryReader, VectorStoreIndex.from_documents
    (SentenceSplitter defaults) into a Chroma collection. Returns seconds and nodes."""
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from .vectors import _open_collection

    settings = Settings(index_dir=work)
    collection = _open_collection(settings, work, "llamaindex_bench")
    before = LlamaSettings._llm
    LlamaSettings.llm = MockLLM()  # its default is OpenAI (network, a key); ingest needs no LLM
    try:
        t0 = time.perf_counter()
        documents = SimpleDirectoryReader(input_files=[str(f) for f in files]).load_data()
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        index = VectorStoreIndex.from_documents(documents, storage_context=storage, embed_model=embed_model)
        seconds = time.perf_counter() - t0
    finally:
        LlamaSettings._llm = before  # the process's global is left as it was
    del index
    return {"seconds": seconds, "nodes": collection.count()}


def llamaindex_subprocess(files: list[Path], work: Path, settings: Settings) -> dict[str, Any]:
    """Run the peer in its own process (its own copy of the model does not inflate our RSS)."""
    out = work / "peer.json"
    args = [sys.executable, "-m", "assistant.bench", "--peer", str(work), str(out), *map(str, files)]
    env = {**os.environ, "ASSISTANT_EMBED_MODEL": settings.embed_model}
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"llama-index peer failed: {proc.stderr.strip()[-800:]}")
    return json.loads(out.read_text())


def _peer_main(work: str, out: str, files: list[str]) -> None:
    """Entry point of the peer process: the same model through llama-index's HuggingFaceEmbedding."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from .app import offline_defaults
    from .embeddings import configured_prefixes, ensure_default_model
    from .settings import DEFAULT_MODEL

    offline_defaults()
    s = Settings()
    path = str(ensure_default_model(s)) if s.embed_model == DEFAULT_MODEL else s.embed_model
    q, p = configured_prefixes(s)
    embed = HuggingFaceEmbedding(model_name=path, query_instruction=q, text_instruction=p)
    res = llamaindex_ingest([Path(f) for f in files], Path(work), embed)
    res["peak_rss_mb"] = _peak_rss_mb()
    Path(out).write_text(json.dumps(res))


# ---------------------------------------------------------------- one size


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
    from .app import build

    corpus, index_dir = work / "corpus", work / "index"
    files = write_corpus(corpus, n_chunks, pool)
    settings = base.model_copy(update={"corpus_dir": corpus, "index_dir": index_dir})
    row: dict[str, Any] = {"chunks": n_chunks, "documents": len(files)}
    peak_ok = _peak_reset()

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

    log(f"[{n_chunks}] resyncs")
    t0 = time.perf_counter()
    build(settings, embedder=embedder).sync()  # a fresh App: opens the index like a new process would
    row["noop_resync_s"] = time.perf_counter() - t0
    changed = files[len(files) // 2]
    changed.write_text(changed.read_text(encoding="utf-8") + "\nTài liệu này được cập nhật cho phép đo hiệu năng.\n", encoding="utf-8")
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
    row["peak_rss_mb"] = _peak_rss_mb()
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
    from .manifest import Manifest

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
    sources: Sequence[Path] = SOURCES,
    log: Log = lambda s: None,
) -> dict[str, Any]:
    """Bench every size (smallest first); an injected embedder (tests) skips cold start unless asked."""
    from .app import offline_defaults

    offline_defaults()
    base = settings or Settings()
    if cold is None:
        cold = embedder is None
    if embedder is None:
        from .embeddings import load_embedder

        embedder = load_embedder(base)
    if peer is True:
        peer = lambda files, work: llamaindex_subprocess(files, work, base)  # noqa: E731
    cache = (cache_dir or default_cache_dir()) / f"vectors-{hashlib.sha1(embedder.model_id.encode()).hexdigest()[:12]}.sqlite"
    cached = CachedEmbedder(embedder, cache if use_cache else None)
    pool = source_sentences(sources)
    qs = bench_questions(questions + WARMUP)
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    rows = []
    for n in sorted(sizes):
        with tempfile.TemporaryDirectory(prefix=f"assistant-bench-{n}-") as tmp:
            rows.append(bench_size(n, base, cached, Path(tmp), pool=pool, questions=qs, peer=peer or None, cold=cold, log=log))
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


if __name__ == "__main__" and len(sys.argv) > 3 and sys.argv[1] == "--peer":
    _peer_main(sys.argv[2], sys.argv[3], sys.argv[4:])
