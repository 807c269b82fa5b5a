"""Watch mode: CorpusWatcher (watchdog) keeps the index in sync with corpus/ on its own.

Real watchdog observer, real Chroma on tmp_path, hash embedder; a short debounce so the tests are quick.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from assistant.types import Renamed

DEBOUNCE = 0.3
WAIT = 15.0  # "within seconds", with room for a loaded CI machine


class Recorder:
    """Wraps app.sync: counts syncs and embedding calls, records each report and the hashes it indexed."""

    def __init__(self, app):
        self.app = app
        self.reports = []
        self.embedded: list[str] = []
        self.seen_hashes: dict[str, set[str]] = {}
        self.lock = threading.Lock()
        real_sync = app.sync
        real_embed = app.embedder.embed_passages

        def sync(*a, **kw):
            report = real_sync(*a, **kw)
            with self.lock:
                self.reports.append(report)
                for d in app.index.documents():
                    self.seen_hashes.setdefault(d.path, set()).add(d.hash)
            return report

        def embed(texts):
            with self.lock:
                self.embedded.extend(texts)
            return real_embed(texts)

        app.sync = sync
        app.embedder.embed_passages = embed

    @property
    def syncs(self) -> int:
        return len(self.reports)


def docs(app) -> dict[str, str]:
    return {d.path: d.hash for d in app.index.documents()}


def wait_for(predicate, timeout: float = WAIT) -> float:
    """Seconds until predicate() holds (fails after timeout)."""
    t0 = time.monotonic()
    while not predicate():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"not reached within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - t0


def quiet(rec: Recorder, seconds: float = 1.5) -> None:
    """Wait until no sync happened for `seconds` (the watcher has settled)."""
    last = (rec.syncs, time.monotonic())
    while time.monotonic() - last[1] < seconds:
        time.sleep(0.1)
        if rec.syncs != last[0]:
            last = (rec.syncs, time.monotonic())


@pytest.fixture
def watched(fake_app):
    from assistant.watch import CorpusWatcher

    fake_app.sync()
    rec = Recorder(fake_app)
    watcher = CorpusWatcher(fake_app, debounce_s=DEBOUNCE).start()
    time.sleep(0.2)  # the observer is scheduled
    yield fake_app, rec
    watcher.stop()


def test_dropped_changed_renamed_and_deleted_files_are_synced(watched):
    app, rec = watched
    corpus: Path = app.settings.corpus_dir
    new = corpus / "mới thêm.txt"
    new.write_text("Việt Nam và Chile hợp tác về năng lượng mặt trời.\n", encoding="utf-8")
    took = wait_for(lambda: any("mới thêm.txt" in r.added for r in rec.reports))
    print(f"\ndropped file indexed after {took:.1f} s")
    hits = app.ask("Chile năng lượng mặt trời", retrieval_mode="lexical").hits
    assert hits and hits[0].chunk.doc == "mới thêm.txt"

    old_hash = docs(app)["mới thêm.txt"]
    new.write_text("Việt Nam và Chile hợp tác về năng lượng gió ngoài khơi.\n", encoding="utf-8")
    took = wait_for(lambda: any("mới thêm.txt" in r.updated for r in rec.reports))
    print(f"changed file re-indexed after {took:.1f} s")
    assert docs(app)["mới thêm.txt"] != old_hash

    quiet(rec)
    embedded_before = len(rec.embedded)
    new.rename(corpus / "renamed.txt")
    took = wait_for(lambda: any(r.renamed == [Renamed("mới thêm.txt", "renamed.txt")] for r in rec.reports))
    print(f"renamed file moved after {took:.1f} s")
    assert len(rec.embedded) == embedded_before, "a rename must not re-embed"
    assert app.ask("Chile gió ngoài khơi", retrieval_mode="lexical").hits[0].chunk.doc == "renamed.txt"

    (corpus / "renamed.txt").unlink()
    took = wait_for(lambda: any(r.removed == ["renamed.txt"] for r in rec.reports))
    print(f"deleted file purged after {took:.1f} s")
    assert set(app.index.vector_ids()) == app.index.chunk_ids()


def test_a_burst_of_files_is_one_sync(watched):
    app, rec = watched
    corpus: Path = app.settings.corpus_dir
    quiet(rec)
    before = rec.syncs
    for i in range(50):
        (corpus / f"burst-{i:02d}.txt").write_text(
            f"Tài liệu {i} của đợt sao chép hàng loạt về cảng biển số {i}.\n", encoding="utf-8"
        )
    wait_for(lambda: sum(p.startswith("burst-") for p in docs(app)) == 50)
    quiet(rec)
    print(f"\n50 files dropped at once: {rec.syncs - before} sync(s)")
    assert rec.syncs - before <= 2


def test_an_editor_save_via_temp_file_is_one_update(watched):
    app, rec = watched
    corpus: Path = app.settings.corpus_dir
    target = corpus / "000_b0dddf86d6f85ffe.txt"
    quiet(rec)
    before = rec.syncs
    tmp = corpus / ".000_b0dddf86d6f85ffe.txt.swp"
    tmp.write_text(
        target.read_text(encoding="utf-8") + "\nĐoạn cuối được thêm bởi trình soạn thảo.\n", encoding="utf-8"
    )
    os.replace(tmp, target)
    wait_for(lambda: any(target.name in r.updated for r in rec.reports))
    quiet(rec)
    assert rec.syncs - before == 1
    assert not any(".swp" in d for d in docs(app))


@pytest.fixture
def watched_patiently(fake_app):
    """A watcher whose quiet period (1.5 s) is 7x the writer's pauses below: on a loaded machine a 0.2 s
    pause can stretch past the short test debounce, which then rightly indexes the file as it stood."""
    from assistant.watch import CorpusWatcher

    fake_app.sync()
    rec = Recorder(fake_app)
    watcher = CorpusWatcher(fake_app, debounce_s=1.5).start()
    time.sleep(0.2)
    yield fake_app, rec
    watcher.stop()


def test_a_file_written_slowly_is_indexed_only_when_complete(watched_patiently):
    app, rec = watched_patiently
    corpus: Path = app.settings.corpus_dir
    parts = [f"Phần {i} của báo cáo dài về hợp tác nghề cá, được sao chép chậm qua mạng.\n\n" for i in range(8)]
    path = corpus / "slow copy.txt"
    with open(path, "w", encoding="utf-8") as f:
        for part in parts:  # about 1.6 s in all, each pause far shorter than the debounce
            f.write(part)
            f.flush()
            time.sleep(0.2)
    from assistant.chunking import content_hash

    final = content_hash(path.read_bytes())
    wait_for(lambda: docs(app).get("slow copy.txt") == final)
    quiet(rec)
    assert rec.seen_hashes["slow copy.txt"] == {final}, "a half-written version was indexed"
    assert docs(app)["slow copy.txt"] == final


def test_hidden_and_partial_files_do_not_trigger_syncs(watched):
    app, rec = watched
    corpus: Path = app.settings.corpus_dir
    quiet(rec)
    before = rec.syncs
    (corpus / "x.part").write_bytes(b"half a download")
    (corpus / "~$report.docx").write_bytes(b"lock")
    (corpus / ".DS_Store").write_bytes(b"\x00")
    time.sleep(DEBOUNCE * 5)
    assert rec.syncs == before
    (corpus / "x.part").rename(corpus / "x.txt")  # the download finished
    wait_for(lambda: "x.txt" in docs(app))


def test_reading_the_corpus_does_not_retrigger_the_watcher(watched):
    """A sync opens the files it indexes; those open/close events must not cause another sync."""
    app, rec = watched
    corpus: Path = app.settings.corpus_dir
    quiet(rec)
    before = rec.syncs
    (corpus / "one.txt").write_text("Một tệp mới về hợp tác thể thao.\n", encoding="utf-8")
    wait_for(lambda: "one.txt" in docs(app))
    quiet(rec, 2.0)
    assert rec.syncs - before == 1
    for _ in range(3):
        for f in corpus.iterdir():
            f.read_bytes()
    time.sleep(DEBOUNCE * 5)
    assert rec.syncs - before == 1
