"""What the bench measures with: an embedder that keeps vectors between runs, the raw encoder's speed,
peak memory, size on disk, and `assistant ask`'s cold start."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..manifest import vector_key
from ..settings import Settings
from ..types import Embedder

BATCH_PROBE = 32  # chunks each candidate batch size is timed on
BATCH_SIZES = (8, 16, 32)
Log = Callable[[str], None]


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
        keys = [vector_key(self.model_id, t) for t in texts]
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
                self._db.executemany(
                    "INSERT OR REPLACE INTO vec VALUES (?, ?)", [(keys[i], v.tobytes()) for i, v in zip(todo, vecs)]
                )
        for i, k in enumerate(keys):
            if k in found:
                out[i] = np.frombuffer(found[k], dtype=np.float32)
        self.hits += len(keys) - len(todo)
        self.misses += len(todo)
        return out


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


def peak_reset() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
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


def cold_start(settings: Settings, question: str) -> float:
    """Seconds from process start to the answer of `assistant ask QUESTION` on this index."""
    exe = shutil.which("assistant", path=str(Path(sys.executable).parent))
    cmd = [exe] if exe else [sys.executable, "-m", "assistant.cli"]
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
        "ASSISTANT_INDEX_DIR": str(settings.index_dir),
    }
    t0 = time.perf_counter()
    proc = subprocess.run([*cmd, "ask", question, "--json"], env=env, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"assistant ask failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return seconds
