"""The bench machinery on a tiny corpus with the fake embedder: shape of the JSON, not speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.support.fakes import HashEmbedder

from assistant.measure import bench, bench_corpus, bench_peer
from assistant.settings import Settings
from tests.support import ROOT, SEEDS

KEYS = {
    "ingest_chunks_per_s", "encoder_chunks_per_s", "overhead_ratio", "llamaindex_chunks_per_s",
    "noop_resync_s", "query_p50_ms", "query_p95_ms", "peak_rss_mb",
}  # fmt: skip


def test_corpus_paragraphs_are_distinct_and_a_smaller_size_is_a_prefix(tmp_path):
    pool = bench_corpus.packaged_source().paragraphs
    small = bench_corpus.write_corpus(tmp_path / "a", 40, pool)
    large = bench_corpus.write_corpus(tmp_path / "b", 80, pool)
    assert len(small) == 4 and len(large) == 8
    assert [f.read_text() for f in small] == [f.read_text() for f in large[:4]]
    paras = [p for f in large for p in f.read_text().strip().split("\n\n")]
    assert len(paras) == 80 and len(set(paras)) == 80


def test_the_packaged_source_is_the_repositorys_texts(tmp_path):
    """data/bench_source.json holds what the bench read from evals/ before it was packaged: the Vietnamese
    paragraphs of evals/xquad-vi/corpus and corpus/, and the XQuAD-vi questions (else: evals/tools/make_bench_source.py)."""
    folders, qfile = (ROOT / "evals" / "xquad-vi" / "corpus", SEEDS), ROOT / "evals" / "xquad-vi.jsonl"
    packaged = bench_corpus.packaged_source()
    assert packaged == bench_corpus.load_source(folders, qfile)
    assert len(packaged.paragraphs) > 200 and len(packaged.questions) > 1000
    assert bench_corpus.bench_questions(3, ["a", "b", "c", "d", "e", "f", "g"]) == ["a", "c", "e"]
    # a source passed in replaces the packaged one, part by part
    (tmp_path / "c").mkdir()
    para = (
        "Hà Nội là thủ đô của Việt Nam và là một thành phố lớn. " * 3
        + "Thành phố có nhiều hồ nước đẹp và nhiều công viên."
    )
    (tmp_path / "c" / "a.txt").write_text(para, encoding="utf-8")
    own = bench_corpus.load_source([tmp_path / "c"])
    assert len(own.paragraphs) == 1 and own.questions == packaged.questions
    with pytest.raises(FileNotFoundError, match="no Vietnamese paragraphs"):
        bench_corpus.load_source([tmp_path / "empty"])


def test_bench_json_shape_with_the_fake_embedder(tmp_path):
    def peer(files, work):
        from llama_index.core.embeddings import MockEmbedding

        return bench_peer.llamaindex_ingest(files, work, MockEmbedding(embed_dim=8))

    from llama_index.core import Settings as LlamaSettings

    llm_before = LlamaSettings._llm
    settings = Settings(index_dir=tmp_path / "unused", corpus_dir=tmp_path / "unused")
    result = bench.run(
        [20, 30], settings, HashEmbedder(max_tokens=400), cache_dir=tmp_path / "cache", peer=peer, questions=5
    )
    rows = result["sizes"]
    assert [r["documents"] for r in rows] == [2, 3]
    for r in rows:
        assert KEYS <= set(r)
        assert all(r[k] is not None and r[k] >= 0 for k in KEYS)
        assert "cold_start_s" not in r  # an injected embedder is not what `assistant ask` would load
        assert r["llamaindex_nodes"] > 0
    # 30 chunks share their first 20 paragraphs with the 20-chunk corpus: those vectors came from the cache
    assert rows[0]["cached_fraction"] == 0 and not rows[0]["overhead_estimated"]
    assert rows[1]["cached_fraction"] > 0 and rows[1]["overhead_estimated"]
    # the encoder reads each chunk's passage and its sentences: more than one input per chunk, and the
    # share of the ingest spent inside it is a share
    assert all(r["encoder_texts_per_chunk"] > 1 and 0 < r["encoder_share_of_ingest"] < 1 for r in rows)
    assert LlamaSettings._llm is llm_before  # llama-index's global LLM is left alone
    json.dumps(bench.to_json(result))
    table = bench.format_table(rows)
    assert table.splitlines()[0] == "| metric | 20 | 30 |" and "ingest (chunks/s)" in table


@pytest.mark.model
@pytest.mark.slow
def test_the_bench_command_runs_end_to_end_with_the_real_model(tmp_path):
    """`assistant bench` as a user runs it: real model, llama-index peer process, `assistant ask` cold start."""
    exe = Path(sys.executable).parent / "assistant"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant.cli"]
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(tmp_path / "c"), "ASSISTANT_INDEX_DIR": str(tmp_path / "i")}
    proc = subprocess.run(
        [*cmd, "bench", "--chunks", "40", "--json", "--no-cache"], capture_output=True, text=True, timeout=900, env=env
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    (row,) = result["sizes"]
    assert KEYS | {"cold_start_s", "llamaindex_nodes"} <= set(row)
    assert row["chunks"] >= 40 and row["cached_fraction"] == 0 and not row["overhead_estimated"]
    assert 0 < row["overhead_ratio"] and row["llamaindex_chunks_per_s"] > 0 and row["cold_start_s"] > 0
    assert row["answered_rate"] > 0.2  # XQuAD questions over 40 of its recombined paragraphs: some are answerable
    assert result["cache"] is None and not (tmp_path / "i").exists()  # the user's index is never touched
