"""The page's questions read one index view together (lock.ReadWriteLock, App): readers at once, a
reload alone, a waiting reload before new readers; App answers questions side by side and reloads its
view between them when a writer published. Real threads; the hash embedder."""

from __future__ import annotations

import threading

import pytest

from assistant import answer as answer_mod
from assistant.lock import ReadWriteLock

WAIT = 10.0  # s: far above any real wait here; a deadlock fails the test instead of hanging it


def in_thread(fn) -> threading.Thread:
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t


def test_readers_hold_the_lock_together():
    lock = ReadWriteLock()
    both_in = threading.Barrier(2, timeout=WAIT)

    def reader():
        with lock.reading():
            both_in.wait()  # broken (BrokenBarrierError) if the second reader cannot get in

    threads = [in_thread(reader), in_thread(reader)]
    for t in threads:
        t.join(WAIT)
    assert not both_in.broken and not any(t.is_alive() for t in threads)


def test_a_writer_waits_for_the_readers_and_readers_that_come_after_it_wait_for_the_writer():
    lock = ReadWriteLock()
    order: list[str] = []
    reader_in, writer_waiting, release_reader = threading.Event(), threading.Event(), threading.Event()

    def first_reader():
        with lock.reading():
            reader_in.set()
            release_reader.wait(WAIT)
            order.append("reader 1 out")

    def writer():
        writer_waiting.set()
        with lock.writing():
            order.append("writer")

    def late_reader():
        with lock.reading():
            order.append("reader 2")

    r1 = in_thread(first_reader)
    assert reader_in.wait(WAIT)
    w = in_thread(writer)
    assert writer_waiting.wait(WAIT)
    while not lock._writers_waiting:  # the writer is queued behind the reader
        threading.Event().wait(0.01)
    r2 = in_thread(late_reader)
    threading.Event().wait(0.2)
    assert order == []  # the writer waits for reader 1; reader 2 waits for the writer
    release_reader.set()
    for t in (r1, w, r2):
        t.join(WAIT)
    assert order == ["reader 1 out", "writer", "reader 2"]


def test_the_lock_is_released_when_the_holder_raises():
    lock = ReadWriteLock()
    with pytest.raises(RuntimeError):
        with lock.writing():
            raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        with lock.reading():
            raise RuntimeError("boom")
    done = threading.Event()
    in_thread(lambda: (lock.writing().__enter__(), done.set()))
    assert done.wait(WAIT)


def test_app_answers_two_questions_at_once(fake_app, monkeypatch):
    """Before, App held one lock for a whole question: 20 users on the page waited in a line."""
    fake_app.sync()
    both_inside = threading.Barrier(2, timeout=WAIT)
    real_ask = answer_mod.ask

    def ask(*a, **kw):
        both_inside.wait()  # broken if the questions are answered one after the other
        return real_ask(*a, **kw)

    monkeypatch.setattr(answer_mod, "ask", ask)
    answers: list = []
    threads = [in_thread(lambda: answers.append(fake_app.ask("Đại sứ EU tại Việt Nam là ai?"))) for _ in range(2)]
    for t in threads:
        t.join(WAIT)
    assert not both_inside.broken and len(answers) == 2
    assert answers[0].answer == answers[1].answer and answers[0].citations == answers[1].citations


def test_app_reloads_its_view_between_questions_after_a_sync(fake_app, corpus):
    """The view is reloaded by App (retrieval does not reload an index shared by threads): a document
    added and synced is found by the next question."""
    fake_app.sync()
    assert fake_app.index.follows_writes is False
    (corpus / "zz_new.txt").write_text(
        "Tiêu đề\n\nHội nghị Zanzibar về hợp tác nghề cá diễn ra tại Hà Nội năm 2026.\n", encoding="utf-8"
    )
    fake_app.sync()
    a = fake_app.ask("Hội nghị Zanzibar về hợp tác nghề cá diễn ra ở đâu?", min_score=0.0)
    assert any(c.doc == "zz_new.txt" for c in a.citations), a


def test_app_reloads_when_another_writer_published(fake_app, corpus, settings_for):
    """Another process (here: another App on the same folders) indexes a file: the page's App sees it on
    its next question, reloading its view itself."""
    from assistant.app import build
    from tests.support.fakes import HashEmbedder

    fake_app.sync()
    fake_app.ask("Đại sứ EU tại Việt Nam là ai?")  # the view is loaded
    (corpus / "zz_other.txt").write_text(
        "Tiêu đề\n\nDự án Kilimanjaro về năng lượng gió được ký tại Huế năm 2026.\n", encoding="utf-8"
    )
    other = build(fake_app.settings, embedder=HashEmbedder())
    other.sync()
    assert fake_app.index.needs_refresh()
    a = fake_app.ask("Dự án Kilimanjaro về năng lượng gió được ký ở đâu?", min_score=0.0)
    assert any(c.doc == "zz_other.txt" for c in a.citations), a
    assert not fake_app.index.needs_refresh()
