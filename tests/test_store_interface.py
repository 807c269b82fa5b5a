"""Callers use `store.Index`'s methods, never its manifest or its Chroma collection (issue 12: one closed
store interface). Read from the source, as test_imports.py reads the import graph: an `index.manifest....`
anywhere outside the store's own modules fails here, before it can drift back in.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support import ROOT

# the store: Index and the parts it holds (nothing else touches them)
STORE = {"store.py", "manifest.py", "lexical_store.py", "lexical.py", "vectors.py"}
# Index's parts, and its accessors for tests that damage them on purpose
PRIVATE = {"manifest", "_manifest", "manifest_for_tests", "collection", "_collection", "_vectors", "_lex", "_lexical"}
# modules that open a Manifest of their own, without an Index (and so without loading the embedding model)
OWN_MANIFEST = {
    "assistant/app.py": "App.documents: the library lists an index without loading the model",
    "assistant/measure/bench.py": "the bench reads the chunk texts of the index it just built",
    "evals/ocr_bench.py": "keep_ocr_cache copies the OCR cache into a fresh index folder",
}


def sources() -> list[Path]:
    return sorted([*(ROOT / "assistant").rglob("*.py"), *(ROOT / "evals").rglob("*.py"), ROOT / "ui.py"])


def reach_throughs(path: Path) -> list[str]:
    """`x.manifest`, `x.collection`, ... in `path`: line and expression."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in PRIVATE
    ]


def opens_manifest(path: Path) -> bool:
    """`path` imports the Manifest class (to open a manifest itself)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(
        isinstance(node, ast.ImportFrom)
        and (node.module or "").endswith("manifest")
        and any(a.name == "Manifest" for a in node.names)
        for node in ast.walk(tree)
    )


def test_the_finders_see_a_reach_through_and_a_manifest_of_its_own(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from .manifest import Manifest, vector_key\n"
        "def f(app):\n    return app.index.manifest.documents(), app.index.collection.count()\n"
    )
    good = tmp_path / "good.py"
    good.write_text("from .manifest import vector_key\ndef f(index):\n    return index.documents()\n")
    assert reach_throughs(bad) == ["3: app.index.manifest", "3: app.index.collection"]
    assert opens_manifest(bad) and not opens_manifest(good) and reach_throughs(good) == []


def test_no_caller_reaches_into_the_index_s_manifest_or_collection():
    found = {
        str(p.relative_to(ROOT)): hits
        for p in sources()
        if not (p.parent == ROOT / "assistant" and p.name in STORE)
        for hits in [reach_throughs(p)]
        if hits
    }
    assert len(sources()) > 50 and found == {}, "use Index's methods (store.py) instead:\n" + "\n".join(
        f"{path}:{hit}" for path, hits in found.items() for hit in hits
    )


def test_only_the_store_and_the_named_readers_open_a_manifest():
    opened = {
        str(p.relative_to(ROOT))
        for p in sources()
        if not (p.parent == ROOT / "assistant" and p.name in STORE) and opens_manifest(p)
    }
    assert opened == set(OWN_MANIFEST)
