"""`assistant serve` end to end (a child process, the hash embedder) and the page's handlers called without a browser.

The child runs the real CLI entry (`assistant.cli.main(["serve", ...])` -> web.server.serve: start-up sync, watcher,
launch); only `assistant.app.build` is wrapped so that it gets `fakes.HashEmbedder` instead of the model.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from assistant.store import Filter
from assistant.web.library_tab import doc_choices
from assistant.web.page import ChatPage
from assistant.refusal import NOT_IN_DOCS
from assistant.web.render import esc, render_library, render_message, render_transcript
from assistant.web.views import Target, render_document_view, render_paragraph_view
from tests.support import ROOT, SEEDS
from tests.support.procs import ask_page, free_port, stop

SEED_DOCS = sorted(p.name for p in SEEDS.glob("*.txt"))

CHILD = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import assistant.app
from tests.support.fakes import HashEmbedder
real_build = assistant.app.build
assistant.app.build = lambda settings=None, embedder=None: real_build(settings, embedder or HashEmbedder())
from assistant.cli import main
main(sys.argv[1:], prog_name="assistant")
"""


def _get(url: str, timeout: float = 5) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode()


def test_assistant_serve_syncs_the_corpus_serves_the_page_and_stops_on_ctrl_c(corpus, tmp_path):
    port = free_port()
    index = tmp_path / "index"
    env = {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_INDEX_DIR": str(index),
        "ASSISTANT_MIN_SCORE": "0.5",  # the hash embedder's similarities are lower than the model's
        "ASSISTANT_WATCH": "true",
        "GRADIO_ANALYTICS_ENABLED": "False",
        "PYTHONUNBUFFERED": "1",
    }
    err_path = tmp_path / "serve.err"
    with open(err_path, "w") as err:
        proc = subprocess.Popen(
            ["nice", "-n", "10", sys.executable, "-c", CHILD, "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        status, body = 0, ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = _get(url)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert proc.poll() is None, f"serve exited early ({proc.returncode}):\n{err_path.read_text()}"
        assert status == 200, err_path.read_text()
        assert '"title":"Document assistant"' in body and "Document assistant" in body
        out = ask_page(
            url, "Ai là Đại sứ Liên minh Châu Âu tại Việt Nam?"
        )  # word overlap (hash embedder) finds the ambassador's sentence
        assert out["answered"] and any("Julien Guerrier" in c["quote"] for c in out["citations"]), out
        assert {c["doc"] for c in out["citations"]} <= set(SEED_DOCS)

        proc.send_signal(signal.SIGINT)  # "Ctrl+C stops it"
        rc = proc.wait(30)
    finally:
        stop(proc)
    log = err_path.read_text().replace("\r", "\n")
    lines = [x.strip() for x in log.splitlines()]
    assert lines[0] == f"indexing {corpus} …"
    assert [x for x in lines if x.startswith("indexed ")] == [f"indexed {n}" for n in SEED_DOCS]
    assert "embedding 239/239 passages" in lines
    ready = next(x for x in lines if x.startswith("index ready: "))
    assert ready.startswith("index ready: 0 unchanged; the index holds 157 paragraphs in 239 chunks ("), ready
    assert f"watching {corpus} for changes" in lines
    assert f"chat page on http://127.0.0.1:{port} (Ctrl+C stops it)" in lines
    assert rc == 0, f"exit code {rc}:\n{log}"
    assert "Traceback" not in log, log
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):  # nobody listens on the port any more
        s.connect(("127.0.0.1", port))

    from assistant.app import build
    from assistant.settings import Settings
    from tests.support.fakes import HashEmbedder

    rows = build(Settings(corpus_dir=corpus, index_dir=index), embedder=HashEmbedder()).documents()
    assert sorted(r.name for r in rows if r.indexed) == SEED_DOCS
    assert sum(r.paragraphs for r in rows) == 157


# ----------------------------------------------------------------------------------- handlers, no browser


def _last(gen):
    *_, last = gen
    return last


SKIP = {"__type__": "update"}
EMPTY_VIEWER = '<div class="muted">The cited paragraph appears here.</div>'


def _event(**data):
    import gradio as gr

    return gr.EventData(None, data)


def _progress_log():
    calls = []

    def progress(value, desc=None, unit=None):
        calls.append((value, desc, unit))

    return progress, calls


STUCK_CHILD = """
import threading, time
from assistant.web.server import exit_when_stuck
threading.Thread(target=threading.Event().wait, name="stuck-worker").start()  # never returns, not a daemon
exit_when_stuck(%s)
print("main thread done", flush=True)
"""


def test_a_shutdown_held_by_a_thread_ends_after_the_grace_time_and_names_it():
    """Ctrl+C must stop the page even when a thread does not return: after the grace time the process says
    which threads held it (with their stacks) and exits."""
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", STUCK_CHILD % "0.5"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "main thread done", r
    assert "shutdown: still waiting after 0.5 s on threads stuck-worker;" in r.stderr, r.stderr
    assert 'File "' in r.stderr and "wait" in r.stderr  # the stuck thread's stack
    assert time.monotonic() - t0 < 30
    # a process that ends in time never hears of the timer
    quick = subprocess.run([sys.executable, "-c", "from assistant.web.server import exit_when_stuck\nexit_when_stuck(30)\nprint('ok')"],
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    assert quick.returncode == 0 and quick.stdout.strip() == "ok" and "shutdown" not in quick.stderr


def test_new_conversation_empties_the_transcript_state_and_viewer(page_app):
    clear = ChatPage(page_app).clear
    assert clear()[:4] == (render_transcript([]), [], None, EMPTY_VIEWER)
    assert clear()[4]["value"] is None and clear()[4]["interactive"] is False  # no brief to export any more
    assert "Ask a question about the documents" in clear()[0]


def test_filter_inputs_reach_app_ask_as_one_filter_with_both_dates(page_app, monkeypatch):
    seen = []
    real_ask = page_app.ask_stream

    def spy(q, **kw):
        seen.append((q, kw))
        return real_ask(q, **kw)

    monkeypatch.setattr(page_app, "ask_stream", spy)
    respond = ChatPage(page_app).respond
    docs = ["000_b0dddf86d6f85ffe.txt", "002_ac641c82a5bb9970.txt"]
    _last(respond("  Diễn đàn Hợp tác Số  ", [], docs, "vi", " 2025-10-01 ", "2025-10-31", "extractive", 4.0))
    assert seen == [
        (
            "Diễn đàn Hợp tác Số",
            {
                "flt": Filter(docs, "vi", "2025-10-01", "2025-10-31"),
                "context": "",
                "answer_mode": "extractive",
                "top_k": 4,
            },
        )
    ]
    assert type(seen[0][1]["top_k"]) is int  # the slider's float is passed on as a whole number


def test_a_refused_question_renders_the_nearest_passages_and_one_opens_in_the_viewer(page_app):
    page = ChatPage(page_app)
    html, turns, _ = _last(page.respond("What is the capital of Australia?", [], [], "", "", "", "extractive", 5))
    answer = turns[0]["answer"]
    assert not answer.answered and answer.hits, answer
    assert html.count('class="sources refused"') == 1 and "Sources" not in html
    assert f"{NOT_IN_DOCS['en']}; nearest passages found:" in html  # an English question: all of it in English
    assert html.count('data-action="hit"') == min(3, len(answer.hits))
    assert html == render_transcript([{**turns[0]}])
    assert 'data-action="cite"' not in html

    viewer, target = page.on_transcript_click(turns, _event(action="hit", turn="0", n="1"))
    ch = answer.hits[1].chunk
    assert target == Target(ch.doc, ch.paragraph, -1, -1, "nearest passage")
    paragraphs = page_app.index.paragraphs(ch.doc)
    assert viewer == render_paragraph_view(target, page_app.index.doc_meta.get(ch.doc), paragraphs)
    assert "nearest passage in its document" in viewer and "<mark>" not in viewer


def test_a_citation_click_opens_its_paragraph_and_the_viewer_switches_to_the_whole_document(page_app):
    page = ChatPage(page_app)
    _, turns, _ = _last(page.respond("Đại sứ EU tại Việt Nam là ai?", [], [], "", "", "", "extractive", 5))
    answer = turns[0]["answer"]
    assert answer.answered and answer.citations
    c = answer.citations[-1]
    click = page.on_transcript_click
    viewer, target = click(turns, _event(action="cite", turn="0", n=str(c.n)))
    assert target == Target(c.doc, c.paragraph, c.char_start, c.char_end, f"[{c.n}]")
    meta = page_app.index.doc_meta.get(c.doc)
    paragraphs = page_app.index.paragraphs(c.doc)
    assert viewer == render_paragraph_view(target, meta, paragraphs)
    assert f"<mark>{esc(c.quote)}</mark>" in viewer

    on_viewer = page.on_viewer_click
    whole = on_viewer(target, _event(action="doc"))
    assert whole == render_document_view(target, meta, paragraphs)
    assert whole.count('class="para ') == len(paragraphs)  # the seed documents are shorter than DOC_WINDOW
    assert on_viewer(target, _event(action="passage")) == viewer


@pytest.mark.parametrize(
    "data",
    [
        {"action": "cite", "turn": "1", "n": "1"},  # no such turn
        {"action": "cite", "turn": "-1", "n": "1"},
        {"action": "cite", "turn": "0", "n": "99"},  # no such citation
        {"action": "hit", "turn": "0", "n": "99"},  # no such passage
        {"action": "hit", "turn": "0", "n": "-1"},
        {"action": "other", "turn": "0", "n": "1"},
        {"action": "cite", "turn": "x", "n": "1"},  # not a number
        {"action": "cite", "turn": None, "n": "1"},
        {},
    ],
)
def test_transcript_clicks_that_point_nowhere_change_nothing(page_app, data):
    page = ChatPage(page_app)
    _, turns, _ = _last(page.respond("Đại sứ EU tại Việt Nam là ai?", [], [], "", "", "", "extractive", 5))
    assert turns[0]["answer"].citations and len(turns[0]["answer"].hits) < 99
    assert page.on_transcript_click(turns, _event(**data)) == (SKIP, SKIP)


def test_transcript_click_on_a_turn_still_pending_or_failed_changes_nothing(page_app):
    click = ChatPage(page_app).on_transcript_click
    assert click([{"q": "q", "answer": None, "error": "x"}], _event(action="cite", turn="0", n="1")) == (SKIP, SKIP)


def test_viewer_clicks_without_a_target_or_with_another_action_change_nothing(page_app):
    on_viewer = ChatPage(page_app).on_viewer_click
    t = Target(SEED_DOCS[0], 1)
    assert on_viewer(None, _event(action="doc")) == SKIP
    assert on_viewer(t, _event(action="cite")) == SKIP
    assert on_viewer(t, _event()) == SKIP


def test_viewer_of_a_document_deleted_since_the_answer_says_it_is_gone(page_app):
    on_viewer = ChatPage(page_app).on_viewer_click
    html = on_viewer(Target("gone.txt", 3, label="[1]"), _event(action="doc"))
    assert html == '<div class="pv missing">gone.txt is no longer in the library (deleted or changed).</div>'


def test_library_tab_lists_the_documents_and_the_delete_choice_is_reset(page_app):
    table, docs_update, delete_update = ChatPage(page_app).lists()
    choices = doc_choices(page_app)
    assert sorted(v for _, v in choices) == SEED_DOCS
    assert table == render_library(page_app.documents())
    assert "5 indexed, 0 skipped" in table
    assert docs_update == {"__type__": "update", "choices": choices}
    assert delete_update == {"__type__": "update", "choices": choices, "value": None}


def test_delete_asks_for_confirmation_first_and_cancel_hides_it(page_app):
    page = ChatPage(page_app)
    ask_delete = page.ask_delete
    assert ask_delete(None) == (
        render_message("Choose a document to delete first.", "warn"),
        {"__type__": "update", "visible": False},
        "",
    )
    name = SEED_DOCS[1]
    assert ask_delete(name) == (
        "",
        {"__type__": "update", "visible": True},
        render_message(
            f"Delete {name}? The file is removed from corpus/ and from the index; this cannot be undone.", "warn"
        ),
    )
    assert (Path(page_app.settings.corpus_dir) / name).exists()  # asking deletes nothing
    assert page.cancel_delete() == {"__type__": "update", "visible": False}


def test_confirmed_delete_removes_the_file_and_its_passages_and_updates_the_lists(page_app):
    page = ChatPage(page_app)
    do_delete = page.do_delete
    progress, _ = _progress_log()
    assert do_delete(None, progress) == (SKIP, {"__type__": "update", "visible": False}, *page.lists())
    name = SEED_DOCS[1]
    status, box, table, docs_update, delete_update = do_delete(name, progress)
    assert status.startswith(render_message(f"Deleted {name}.", "info") + '<ul class="report">')
    assert f'<li class="ok">removed {name} from the index</li>' in status
    assert box == {"__type__": "update", "visible": False}
    assert not (Path(page_app.settings.corpus_dir) / name).exists()
    assert sorted(r.name for r in page_app.documents()) == [n for n in SEED_DOCS if n != name]
    assert "4 indexed, 0 skipped" in table
    assert name not in [v for _, v in docs_update["choices"]] and delete_update["value"] is None
    assert page_app.index.paragraphs(name) == []
    assert all(h.chunk.doc != name for h in page_app.ask("Việt Nam hợp tác chuyển đổi số").hits)


def test_resync_indexes_a_file_put_into_corpus_by_hand(page_app):
    page = ChatPage(page_app)
    new = Path(page_app.settings.corpus_dir) / "new_note.txt"
    new.write_text("Ghi chú mới\n\nThành phố Đà Lạt nổi tiếng với hoa dã quỳ vào tháng mười một.\n", encoding="utf-8")
    progress, calls = _progress_log()
    status, table, docs_update, _ = page.on_resync(progress)
    assert '<li class="ok">indexed new_note.txt</li>' in status
    assert "6 indexed, 0 skipped" in table and "new_note.txt" in [v for _, v in docs_update["choices"]]
    assert calls and calls[-1][1:] == ("indexing", "passages") and calls[-1][0][0] == calls[-1][0][1]
    assert page.on_resync(progress)[0].count("nothing changed") == 1


def test_upload_saves_into_corpus_and_indexes_and_an_empty_upload_does_nothing(page_app, tmp_path):
    page = ChatPage(page_app)
    on_upload = page.on_upload
    progress, _ = _progress_log()
    assert on_upload(None, progress) == (SKIP,) * 5
    assert on_upload([], progress) == (SKIP,) * 5
    src = tmp_path / "upload" / "Hoa dã quỳ.txt"
    src.parent.mkdir()
    src.write_text("Hoa dã quỳ\n\nĐà Lạt có hoa dã quỳ nở vào tháng mười một hằng năm.\n", encoding="utf-8")
    status, table, docs_update, delete_update, cleared = on_upload([str(src)], progress)
    saved = [r.name for r in page_app.documents() if r.name not in SEED_DOCS]
    assert len(saved) == 1 and (Path(page_app.settings.corpus_dir) / saved[0]).read_text(
        encoding="utf-8"
    ) == src.read_text(encoding="utf-8")
    assert f'<li class="ok">saved <b>{esc(saved[0])}</b> into corpus/</li>' in status
    assert f'<li class="ok">indexed {esc(saved[0])}</li>' in status
    assert "6 indexed, 0 skipped" in table and saved[0] in [v for _, v in delete_update["choices"]]
    assert cleared is None  # the upload box is emptied
