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


def test_an_index_made_with_a_narrower_search_is_widened_once_with_a_message(tmp_path):
    store, _ = _filled(tmp_path, n=50)
    store.collection.modify(configuration={"hnsw": {"ef_search": 100}})  # as versions before this one made it
    said = store.tune()
    assert said and "100 -> 400" in said
    assert (
        ChromaVectors(Settings(), tmp_path, "vectors-test").collection.configuration["hnsw"]["ef_search"] == SEARCH_EF
    )
    assert store.tune() is None  # nothing to do the second time
