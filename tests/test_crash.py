"""kill -9 an ingest at many moments; the next ingest must converge to exactly what a clean ingest builds.

The ingest runs as a real process (tests/support/hostile.py ingest: the CLI's sync with the hash embedder, small
embedding batches). It is killed either right after a named step (it SIGKILLs itself there:
deterministic, covers every write of a sync) or by the test at a random moment while it embeds.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from tests.support import ROOT
from tests.support.fakes import hash_app
from tests.support.hostile import DIE_POINTS, make_docs

HOSTILE = ROOT / "tests" / "support" / "hostile.py"

BATCH = "8"


def runner(corpus: Path, index: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(HOSTILE),
        "ingest",
        str(corpus),
        str(index),
        "--batch-chunks",
        BATCH,
        *extra,
    ]


def run_killed_at(corpus: Path, index: Path, step: str) -> None:
    proc = subprocess.run(runner(corpus, index, "--die-at", step), capture_output=True, text=True, timeout=120)
    assert proc.returncode == -signal.SIGKILL, (
        f"{step}: the ingest was not killed there (rc {proc.returncode}):\n{proc.stderr[-2000:]}"
    )


def run_killed_after(corpus: Path, index: Path, delay: float, *extra: str) -> str:
    """Kill -9 the ingest `delay` seconds after it started embedding; returns how far it got."""
    proc = subprocess.Popen(runner(corpus, index, *extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started = None
    last = ""
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("progress "):
            last = line.strip()
            if started is None:
                started = time.monotonic()
                time.sleep(delay)
                proc.kill()
                break
    proc.wait(timeout=60)
    return (
        f"killed {delay:.2f}s after `{last}`"
        if proc.returncode == -signal.SIGKILL
        else f"finished before the kill ({last})"
    )


def make_target(corpus: Path) -> None:
    """Version 1 of the corpus: 8 changed, 3 deleted, 2 renamed, 6 new documents."""
    from tests.support.hostile import doc_text

    for i in range(8):
        (corpus / f"doc-{i:03d}.txt").write_text(doc_text(i, version=1), encoding="utf-8")
    for i in (10, 11, 12):
        (corpus / f"doc-{i:03d}.txt").unlink()
    (corpus / "doc-013.txt").rename(corpus / "renamed-013.txt")
    (corpus / "doc-014.txt").rename(corpus / "sub-renamed-014.txt")
    for i in range(30, 36):
        (corpus / f"doc-{i:03d}.txt").write_text(doc_text(i), encoding="utf-8")


def state(corpus: Path, index: Path) -> dict:
    """Everything a clean ingest determines: documents, chunk ids, vectors, Chroma metadata, lexical rows
    (which chunks each project code and each document filter find: what a chunk was indexed with, and
    under which document, whatever the BM25 statistics)."""
    from assistant.lexical import LexicalIndex, identity
    from assistant.text import words

    app = hash_app(corpus, index)
    idx = app.index
    ids = sorted(idx.chunk_ids())
    got = idx.collection.get(include=["embeddings", "metadatas"])
    lex = LexicalIndex.open(index / "lexical")
    codes = sorted({w for c in idx.all_chunks() for w in words(c.text) if w.startswith("doc0")})
    rows = {code: sorted(cid for cid, _ in lex.search(code, "vi", 1000)) for code in codes}
    rows.update(
        {
            doc: sorted(cid for cid, _ in lex.search("tài liệu", "vi", 1000, {doc}))
            for doc in sorted(d.path for d in idx.documents())
        }
    )
    out = {
        "documents": [(d.path, d.hash, d.n_paragraphs, d.n_chunks) for d in idx.documents()],
        "chunk_ids": ids,
        "chroma_ids": sorted(got["ids"]),
        "chroma_count": idx.collection.count(),
        "vectors": {
            cid: np.asarray(e, dtype=np.float32).round(5).tobytes() for cid, e in zip(got["ids"], got["embeddings"])
        },
        "metadatas": {cid: meta for cid, meta in zip(got["ids"], got["metadatas"])},
        "lexical_ids": sorted(lex.ids()),
        "lexical_rows": rows,
        "lexical_in_step": (
            idx.manifest_for_tests.get("lexical_analysis") == identity() and idx.lexical_problem(thorough=True) is None
        ),
        "interrupted": idx.interrupted(),
        "skipped": idx.skipped(),
    }
    idx.close()
    return out


def assert_converged(got: dict, want: dict, label: str) -> None:
    assert not got["interrupted"], f"{label}: still marked dirty"
    assert got["skipped"] == {}, f"{label}: {got['skipped']}"
    assert got["documents"] == want["documents"], f"{label}: documents differ"
    assert got["chunk_ids"] == want["chunk_ids"], f"{label}: chunk ids differ"
    dupes = [cid for cid, n in Counter(got["lexical_ids"]).items() if n > 1]
    assert not dupes, f"{label}: duplicate lexical rows {dupes[:5]}"
    assert got["chroma_count"] == len(got["chroma_ids"]) == len(want["chunk_ids"]), (
        f"{label}: Chroma holds {got['chroma_count']} vectors"
    )
    assert got["chroma_ids"] == got["chunk_ids"] == got["lexical_ids"], (
        f"{label}: Chroma / manifest / lexical ids differ"
    )
    assert got["vectors"] == want["vectors"], f"{label}: vectors differ"
    bad_meta = {c: (m, want["metadatas"][c]) for c, m in got["metadatas"].items() if m != want["metadatas"][c]}
    assert not bad_meta, f"{label}: Chroma metadata differs, e.g. {list(bad_meta.items())[:2]}"
    assert got["lexical_rows"] == want["lexical_rows"], f"{label}: lexical rows differ"
    assert got["lexical_in_step"], f"{label}: the lexical index is not in step with the manifest"


def final_sync(corpus: Path, index: Path) -> tuple:
    """A normal ingest after the crash(es), then a second one that must find nothing to do."""
    logs: list[str] = []
    first = hash_app(corpus, index).sync(log=logs.append)
    second = hash_app(corpus, index).sync()
    assert not second.changed and not second.skipped, f"a second ingest still changed things: {second.to_json()}"
    return first, logs


@pytest.mark.slow
def test_kill_9_at_many_moments_always_converges_to_a_clean_ingest(tmp_path):
    corpus = tmp_path / "corpus"
    make_docs(corpus, 30)
    base = tmp_path / "base-index"
    subprocess.run(runner(corpus, base), check=True, capture_output=True, timeout=120)
    make_target(corpus)
    clean = tmp_path / "clean-index"
    subprocess.run(runner(corpus, clean), check=True, capture_output=True, timeout=120)
    want = state(corpus, clean)
    assert len(want["documents"]) == 33

    rng = random.Random(int(os.environ.get("ASSISTANT_CRASH_SEED", "7")))
    scenarios: list[tuple[str, list[str]]] = [(f"die at {p}", [p]) for p in DIE_POINTS]
    scenarios += [  # steps deeper into the sync, and a second crash while recovering from the first
        ("die at upsert:6", ["upsert:6"]),
        ("die at put-manifest:9", ["put-manifest:9"]),
        (
            "die at chroma-delete (old vectors gone at commit), then again while recovering",
            ["chroma-delete", "rebuild-lexical"],
        ),
        ("die at upsert:3, then again while recovering (orphans deleted)", ["upsert:3", "chroma-delete:1"]),
        ("die at put-manifest:2, then again while recovering (lexical rebuilt)", ["put-manifest:2", "rebuild-lexical"]),
    ]
    scenarios += [(f"kill -9 at random moment {i + 1}", []) for i in range(5)]
    table = []
    for n, (label, steps) in enumerate(scenarios):
        index = tmp_path / f"index-{n:02d}"
        shutil.copytree(base, index)
        if steps:
            for step in steps:
                run_killed_at(corpus, index, step)
            how = label
        else:  # ~13 embedding batches of >= 0.06 s: a kill within 0.6 s of the first always lands mid-ingest
            how = run_killed_after(corpus, index, rng.uniform(0.0, 0.6), "--delay-s", "0.06")
            assert how.startswith("killed "), f"{label}: {how}: the ingest was not interrupted, nothing was tested"
        report, logs = final_sync(corpus, index)
        assert report.changed or logs, (
            f"{label}: the next ingest had nothing to finish or repair: the kill interrupted nothing"
        )
        assert_converged(state(corpus, index), want, label)
        repaired = "; ".join(line.removeprefix("recovered from an interrupted ingest: ") for line in logs) or "-"
        table.append(
            (
                how,
                f"+{len(report.added)} ~{len(report.updated)} -{len(report.removed)} >{len(report.renamed)}",
                repaired,
            )
        )
    print(f"\n{len(table)} crashes, each followed by a normal ingest that converged to the clean index:")
    for how, changes, repaired in table:
        print(f"  {how:<70} then {changes:<14} repaired: {repaired[:120]}")
    unrecovered = [how for how, _, repaired in table if repaired == "-"]
    assert not unrecovered, (
        f"these crashes left no interrupted ingest to recover from (the kill came too early or too late): {unrecovered}"
    )


# --- assistant doctor --------------------------------------------------------------------------------


def _doctor(app, fix: bool = True):
    from assistant.doctor import run

    return run(app, fix=fix, model_id=app.embedder.model_id)


def test_doctor_finds_and_repairs_a_damaged_index(tmp_path):
    corpus = tmp_path / "corpus"
    make_docs(corpus, 12)
    app = hash_app(corpus, tmp_path / "index")
    app.sync()
    assert not _doctor(app).findings, "a fresh index is healthy"

    idx = app.index
    lost = idx.doc_chunk_ids("doc-001.txt")[:3]
    idx.collection.delete(ids=lost)  # vectors lost
    idx.collection.add(
        ids=["orphan-1"],
        embeddings=[np.ones(256, np.float32) / 16],
        metadatas=[{"doc": "nowhere.txt", "paragraph": 1, "kind": "text"}],
    )
    moved = idx.doc_chunk_ids("doc-002.txt")
    metas = idx.collection.get(ids=moved, include=["metadatas"])  # as a crash in the middle of a rename leaves them
    idx.collection.update(ids=metas["ids"], metadatas=[{**meta, "doc": "old-name.txt"} for meta in metas["metadatas"]])
    swapped = idx.doc_chunk_ids("doc-003.txt")[1]
    idx.collection.update(
        ids=[swapped], embeddings=[np.eye(256, dtype=np.float32)[7]]
    )  # a vector that is not its text's
    shutil.rmtree(idx.dir / "lexical")
    (corpus / "doc-004.txt").unlink()
    (corpus / "doc-005.txt").write_text("Tài liệu số 5 đã được viết lại hoàn toàn.\n", encoding="utf-8")
    (corpus / "new.txt").write_text("Một tài liệu mới về hợp tác hàng không.\n", encoding="utf-8")

    check = _doctor(app, fix=False)
    kinds = {f.check: f for f in check.findings}
    assert set(kinds) == {
        "not-indexed", "gone", "changed", "orphan-vectors", "missing-vectors", "misattributed-vectors", "wrong-vectors", "lexical",
    }  # fmt: skip
    assert (
        kinds["missing-vectors"].docs == ["doc-001.txt"]
        and "3 indexed chunk(s) have no vector" in kinds["missing-vectors"].detail
    )
    assert kinds["misattributed-vectors"].docs == ["doc-002.txt"] and kinds["wrong-vectors"].docs == ["doc-003.txt"]
    assert (
        kinds["not-indexed"].docs == ["new.txt"]
        and kinds["gone"].docs == ["doc-004.txt"]
        and kinds["changed"].docs == ["doc-005.txt"]
    )
    assert (
        not any(f.fixed for f in check.findings) and (idx.dir / "lexical").exists() is False
    )  # check-only changed nothing

    report = _doctor(app)
    for f in report.findings:
        print(f"{f.check:<22} {f.detail}\n{'':<22} fixed: {f.fix}")
    assert report.healthy and report.remaining == [] and all(f.fixed for f in report.findings)
    assert "removed 1 orphan vectors" in next(f.fix for f in report.findings if f.check == "orphan-vectors")
    assert report.sync is not None and report.sync.added == sorted(["doc-001.txt", "doc-003.txt", "new.txt"])
    assert report.sync.updated == ["doc-005.txt"] and report.sync.removed == ["doc-004.txt"]

    clean = tmp_path / "clean"
    hash_app(corpus, clean).sync()
    assert_converged(state(corpus, tmp_path / "index"), state(corpus, clean), "after doctor")
    assert not _doctor(app).findings


def test_doctor_reports_an_interrupted_ingest_and_another_model(tmp_path):
    corpus = tmp_path / "corpus"
    make_docs(corpus, 3)
    app = hash_app(corpus, tmp_path / "index")
    app.sync()
    app.index.begin()  # an ingest began and never committed
    from assistant.doctor import run

    checked = run(app, fix=False, model_id="another-model")
    assert {f.check for f in checked.findings} == {"dirty", "model"}
    assert "built with 'fake-hash-256', the settings name 'another-model'" in next(
        f.detail for f in checked.findings if f.check == "model"
    )
    fixed = _doctor(app)
    assert [f.check for f in fixed.findings] == ["dirty"] and fixed.healthy
    assert not app.index.interrupted()


def test_doctor_command_json(tmp_path, monkeypatch):
    import json as jsonlib

    from click.testing import CliRunner

    import assistant.cli
    import assistant.doctor

    corpus = tmp_path / "corpus"
    make_docs(corpus, 3)
    app = hash_app(corpus, tmp_path / "index")
    app.sync()
    shutil.rmtree(app.index.dir / "lexical")
    monkeypatch.setattr(assistant.cli, "_app", lambda settings: app)
    monkeypatch.setattr(assistant.doctor, "configured_model_id", lambda settings: app.embedder.model_id)
    res = CliRunner().invoke(assistant.cli.main, ["doctor", "--check-only", "--json"])
    assert res.exit_code == 1
    out = jsonlib.loads(res.stdout)
    assert out["healthy"] is False and [f["check"] for f in out["findings"]] == ["lexical"]
    res = CliRunner().invoke(assistant.cli.main, ["doctor"])
    assert res.exit_code == 0, res.output
    assert (
        "problem   the lexical index (lexical/) is missing" in res.stdout
        and "fixed:  lexical index rebuilt" in res.stdout
    )
    res = CliRunner().invoke(assistant.cli.main, ["doctor"])
    assert res.exit_code == 0 and "index is healthy (3 documents, 21 chunks, 21 vectors, 3 files)" in res.stdout


def test_recover_says_what_it_repaired_as_typed_values(tmp_path):
    from assistant.types import Repair

    corpus = tmp_path / "corpus"
    make_docs(corpus, 3)
    app = hash_app(corpus, tmp_path / "index")
    app.sync()
    idx = app._writer
    assert idx is not None and idx.recover() == []  # a healthy index: nothing to repair
    idx.collection.delete(ids=idx.doc_chunk_ids("doc-001.txt")[:1])
    idx.collection.add(
        ids=["orphan-1"],
        embeddings=[np.ones(256, np.float32) / 16],
        metadatas=[{"doc": "nowhere.txt", "paragraph": 1, "kind": "text"}],
    )
    idx.begin()  # an ingest began and never committed
    assert idx.recover() == [
        Repair("orphan-vectors", "removed 1 orphan vectors"),
        Repair("missing-vectors", "doc-001.txt: vectors incomplete, will be re-indexed", ("doc-001.txt",)),
        Repair("lexical", "lexical index rebuilt"),
    ]
    idx.close()
