"""Chroma server mode: ASSISTANT_CHROMA_HOST/PORT against a real `chroma run` on loopback."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tests.support.fakes import HashEmbedder
from tests.support.procs import free_port, stop
from tests.support.values import as_seen

from assistant.app import build
from assistant.errors import IndexUnavailable
from assistant.settings import Settings

CHROMA = Path(sys.executable).parent / "chroma"


def _chroma_cli() -> Path:
    """The `chroma` CLI that chromadb (a hard dependency) installs beside the interpreter: missing is a broken install."""
    assert CHROMA.exists(), (
        f"{CHROMA} is missing: chromadb's CLI comes with the pinned dependencies (pip install -e '.[dev]')"
    )
    return CHROMA


QUESTION = "Julien Guerrier Đại sứ Liên minh châu Âu"


def _start(path: Path, port: int, log: Path) -> subprocess.Popen:
    """`chroma run` on 127.0.0.1:port, returned once its heartbeat answers."""
    out = open(log, "ab")
    proc = subprocess.Popen(
        [str(_chroma_cli()), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"chroma run exited with {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"chroma run did not answer on port {port} within 60 s: {log.read_text()[-2000:]}")


def assert_same_answer(got, want) -> None:
    """The same answer, citations and order; scores within 0.01. A restarted server answers from its own
    HNSW graph (approximate), so the last of the 40 dense candidates, where the score's normalisation
    starts, may differ (seen under CI load: .8950 before the restart, .8944 after)."""
    g, w = as_seen(got), as_seen(want)
    gs, ws = ([c.pop("score") for c in d["citations"]] for d in (g, w))
    assert g == w
    assert gs == pytest.approx(ws, abs=0.01)


@pytest.mark.slow
def test_ingest_and_ask_through_a_chroma_server_that_restarts(tmp_path, corpus):
    port = free_port()
    data, log = tmp_path / "chroma-server", tmp_path / "chroma.log"
    proc = _start(data, port, log)
    try:
        settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", chroma_host="127.0.0.1", chroma_port=port)
        app = build(settings, embedder=HashEmbedder())
        report = app.sync()
        assert report.chunks > 0 and len(report.added) == len(list(corpus.glob("*.txt")))
        assert (tmp_path / "index" / "manifest.sqlite").exists()  # the manifest stays local
        assert not (tmp_path / "index" / "chroma").exists()  # the vectors live in the server
        hybrid = app.ask(QUESTION, min_score=0.0)
        dense = app.ask(QUESTION, min_score=0.0, retrieval_mode="dense")
        assert hybrid.answered and dense.answered and dense.hits[0].dense is not None

        stop(proc)
        proc = _start(data, port, log)

        again = build(settings, embedder=HashEmbedder())  # a new process's view: nothing cached
        assert_same_answer(again.ask(QUESTION, min_score=0.0, retrieval_mode="dense"), dense)
        assert_same_answer(again.ask(QUESTION, min_score=0.0), hybrid)
        assert_same_answer(app.ask(QUESTION, min_score=0.0, retrieval_mode="dense"), dense)  # the old client reconnects
        assert again.sync().changed is False  # nothing re-embedded after the restart

        stop(proc)  # the server goes away under a running app: a clear error, not a traceback from httpx
        with pytest.raises(IndexUnavailable, match="ASSISTANT_CHROMA_HOST"):
            again.ask(QUESTION, min_score=0.0)
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


@pytest.mark.slow
def test_two_index_folders_on_one_server_keep_their_own_vectors(tmp_path, corpus):
    """Two teams' indexes on one server: one's crash recovery must not take the other's vectors as orphans."""
    files = sorted(corpus.glob("*.txt"))
    halves = {"a": files[:2], "b": files[2:]}
    port = free_port()
    data = tmp_path / "chroma-server"
    proc = _start(data, port, tmp_path / "chroma.log")
    try:
        apps = {}
        for name, part in halves.items():
            (tmp_path / f"corpus-{name}").mkdir()
            for f in part:
                shutil.copy(f, tmp_path / f"corpus-{name}" / f.name)
            settings = Settings(
                corpus_dir=tmp_path / f"corpus-{name}",
                index_dir=tmp_path / f"index-{name}",
                chroma_host="127.0.0.1",
                chroma_port=port,
            )
            apps[name] = build(settings, embedder=HashEmbedder())
            apps[name].sync()
        counts = {name: app.index.counts()[1] for name, app in apps.items()}
        assert apps["a"].index.collection.name != apps["b"].index.collection.name
        assert {name: len(app.index.vector_ids()) for name, app in apps.items()} == counts

        apps["a"].index.begin()  # as after a kill -9 during an ingest of index a
        apps["a"].sync()  # recover() drops what the manifest of a does not know
        assert {name: len(app.index.vector_ids()) for name, app in apps.items()} == counts
        b_docs = {f.name for f in halves["b"]}
        got = apps["b"].ask(QUESTION, min_score=0.0, retrieval_mode="dense")
        assert got.hits and {h.chunk.doc for h in got.hits} <= b_docs
    finally:
        stop(proc)
        shutil.rmtree(data, ignore_errors=True)


def test_unreachable_server_names_the_setting(tmp_path, corpus):
    settings = Settings(
        corpus_dir=corpus, index_dir=tmp_path / "index", chroma_host="127.0.0.1", chroma_port=free_port()
    )
    app = build(settings, embedder=HashEmbedder())
    with pytest.raises(IndexUnavailable, match="ASSISTANT_CHROMA_HOST") as err:
        app.sync()
    assert f"127.0.0.1:{settings.chroma_port}" in str(err.value)
