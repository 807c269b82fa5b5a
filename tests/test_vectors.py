"""The Chroma vector store: searches that every process answers alike (vectors.SEARCH_EF)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

from assistant.settings import Settings
from assistant.vectors import SEARCH_EF, ChromaVectors

PROBE = textwrap.dedent(
    """
    import sys, numpy as np
    from assistant.settings import Settings
    from assistant.vectors import ChromaVectors
    store = ChromaVectors(Settings(), __import__("pathlib").Path(sys.argv[1]), "vectors-test")
    rng = np.random.default_rng(7)
    for _ in range(5):
        v = rng.standard_normal(384).astype(np.float32)
        print(",".join(cid for cid, _ in store.search(v / np.linalg.norm(v), 40, None, lambda c: True)))
    """
)


def _filled(tmp_path, n=600) -> tuple[ChromaVectors, np.ndarray]:
    store = ChromaVectors(Settings(), tmp_path, "vectors-test")
    vecs = np.random.default_rng(3).standard_normal((n, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    store.upsert([f"c{i}" for i in range(n)], vecs, [{"doc": f"d{i % 7}.txt"} for i in range(n)])
    return store, vecs


def test_every_process_finds_the_exact_nearest_vectors(tmp_path):
    """Chroma rebuilds the HNSW graph of unpersisted vectors (all of a small index) in each process, with
    random levels: at its default breadth the same question got another top 40 in another process. Each of
    three fresh processes must now return the exact 40 nearest, in order."""
    _, vecs = _filled(tmp_path)
    rng = np.random.default_rng(7)
    want = []
    for _ in range(5):
        v = rng.standard_normal(384).astype(np.float32)
        v /= np.linalg.norm(v)
        want.append(",".join(f"c{i}" for i in np.argsort(-(vecs @ v))[:40]))
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path)], capture_output=True, text=True, check=True)
        assert out.stdout.split() == want


def test_the_exact_nearest_among_thousands_of_clustered_vectors(tmp_path):
    """Passages cluster by topic, and HNSW misses neighbours in dense clusters: at ef_search 400, swequad-mc-sv's
    4,704 chunks gave 21 of 300 questions another top 40 than the exact one (one without its nearest passage),
    and these 5,000 clustered vectors 4 of 30 (random ones are easy: none)."""
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((250, 384)).astype(np.float32)
    vecs = centres[rng.integers(0, 250, 5000)] + 0.6 * rng.standard_normal((5000, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    store = ChromaVectors(Settings(), tmp_path, "vectors-test")
    store.upsert([f"c{i}" for i in range(5000)], vecs, [{"doc": "d.txt"}] * 5000)
    rq = np.random.default_rng(7)
    for _ in range(30):
        q = vecs[rq.integers(0, 5000)] + 0.5 * rq.standard_normal(384).astype(np.float32)
        q /= np.linalg.norm(q)
        got = {cid for cid, _ in store.search(q, 40, None, lambda c: True)}
        assert got == {f"c{i}" for i in np.argsort(-(vecs @ q))[:40]}


def test_an_index_made_with_a_narrower_search_is_widened_once_with_a_message(tmp_path):
    store, _ = _filled(tmp_path, n=50)
    store.collection.modify(configuration={"hnsw": {"ef_search": 100}})  # as versions before this one made it
    said = store.tune()
    assert said and f"100 -> {SEARCH_EF}" in said
    assert (
        ChromaVectors(Settings(), tmp_path, "vectors-test").collection.configuration["hnsw"]["ef_search"] == SEARCH_EF
    )
    assert store.tune() is None  # nothing to do the second time


def test_a_search_returns_what_there_is_and_fetches_more_past_unknown_ids(tmp_path):
    """No count() is read before a search (vectors.search): a short answer from Chroma is the end."""
    assert ChromaVectors(Settings(), tmp_path / "empty", "vectors-test").search(np.ones(384) / 384**0.5, 5, None, lambda c: True) == []  # fmt: skip
    store, vecs = _filled(tmp_path, n=12)
    v = vecs[0]
    nearest = [f"c{i}" for i in np.argsort(-(vecs @ v))]
    assert [cid for cid, _ in store.search(v, 40, None, lambda c: True)] == nearest  # all 12, fewer than k
    # ids the manifest no longer knows (a document being deleted) are skipped and more fetched in their place
    gone = set(nearest[:6])
    assert [cid for cid, _ in store.search(v, 4, None, lambda c: c not in gone)] == nearest[6:10]
    assert [cid for cid, _ in store.search(v, 4, {"d0.txt"}, lambda c: True)] == [c for c in nearest if int(c[1:]) % 7 == 0][:4]  # fmt: skip


def test_the_vector_memo_keeps_the_most_recently_read():
    from assistant.store import VectorMemo

    memo = VectorMemo(size=2)
    a, b, c = (np.full(3, x, np.float32) for x in (1, 2, 3))
    memo.put({"a": a, "b": b})
    assert memo.get(["a", "x"]).keys() == {"a"}  # "a" read last: "b" is the least recent
    memo.put({"c": c})
    assert memo.get(["a", "b", "c"]).keys() == {"a", "c"}


def test_sentence_vectors_are_read_from_sqlite_once_then_from_memory(corpus, settings_for, monkeypatch):
    """A question's sentence vectors (retrieve.stored_sentence_vectors) were read from SQLite every time: ~7%
    of the page's CPU under 20 users. A key names its model and text, so what it holds never changes."""
    from assistant.app import build
    from assistant.retrieve import sentence_texts, stored_sentence_vectors
    from tests.support.fakes import HashEmbedder

    app = build(settings_for(corpus), embedder=HashEmbedder())
    app.sync()
    index = app.index
    texts = [t for cid in list(index.chunks)[:5] for t in sentence_texts(index.chunks[cid])]
    first = stored_sentence_vectors(index, app.embedder.model_id, texts)
    assert first and set(first) == set(texts)
    reads: list[list[str]] = []
    real = index._manifest.cached_vectors
    monkeypatch.setattr(index._manifest, "cached_vectors", lambda keys: reads.append(keys) or real(keys))
    again = stored_sentence_vectors(index, app.embedder.model_id, texts)
    assert reads == [] and all(np.array_equal(first[t], again[t]) for t in texts)
    assert np.allclose(again[texts[0]], app.embedder.embed_passages([texts[0]])[0], atol=1e-6)
