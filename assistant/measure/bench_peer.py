"""The bench's peer: llama-index's default ingest pipeline on the same files and model, in its own process
(`python -m assistant.measure.bench_peer WORK OUT FILES...`) so its copy of the model does not inflate our RSS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..settings import Settings
from .bench_probes import peak_rss_mb


def llamaindex_ingest(files: list[Path], work: Path, embed_model: Any) -> dict[str, Any]:
    """llama-index's default pipeline on `files`: SimpleDirectoryReader, VectorStoreIndex.from_documents
    (SentenceSplitter defaults) into a Chroma collection. Returns seconds and nodes."""
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from ..vectors import _open_collection

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
    args = [sys.executable, "-m", "assistant.measure.bench_peer", str(work), str(out), *map(str, files)]
    env = {**os.environ, "ASSISTANT_EMBED_MODEL": settings.embed_model}
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"llama-index peer failed: {proc.stderr.strip()[-800:]}")
    return json.loads(out.read_text())


def _peer_main(work: str, out: str, files: list[str]) -> None:
    """Entry point of the peer process: the same model through llama-index's HuggingFaceEmbedding."""
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    from ..app import offline_defaults
    from ..embeddings import configured_prefixes, ensure_default_model
    from ..settings import DEFAULT_MODEL

    offline_defaults()
    s = Settings()
    path = str(ensure_default_model(s)) if s.embed_model == DEFAULT_MODEL else s.embed_model
    q, p = configured_prefixes(s)
    embed = HuggingFaceEmbedding(model_name=path, query_instruction=q, text_instruction=p)
    res = llamaindex_ingest([Path(f) for f in files], Path(work), embed)
    res["peak_rss_mb"] = peak_rss_mb()
    Path(out).write_text(json.dumps(res))


if __name__ == "__main__":
    _peer_main(sys.argv[1], sys.argv[2], sys.argv[3:])
