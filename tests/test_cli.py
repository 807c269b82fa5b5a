"""The commands a user types: `assistant docs`, `watch` and `eval --baseline --fail-under`, through click's runner
with the hash embedder (cli._app / cli._settings replaced, everything else real)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from click.testing import CliRunner
from tests.support.fakes import HashEmbedder
from tests.support.tiny_eval import write_corpus, write_questions

import assistant.cli as cli
from assistant.app import build
from assistant.settings import Settings
from tests.support import SEEDS

SEED_NAMES = sorted(p.name for p in SEEDS.glob("*.txt"))


@pytest.fixture
def use_app(monkeypatch):
    """Make the commands run on this app and its settings."""

    def install(app):
        monkeypatch.setattr(cli, "_app", lambda settings: app)
        monkeypatch.setattr(cli, "_settings", lambda **kw: app.settings)
        return app

    return install


# ---------------------------------------------------------------- docs


def test_docs_lists_every_document_with_its_metadata_and_the_skipped_ones_with_their_reason(fake_app, use_app):
    use_app(fake_app)
    empty = CliRunner().invoke(cli.main, ["docs"])
    assert (
        empty.exit_code == 0
        and empty.stdout == "no documents indexed yet: put files into corpus/ and run `assistant ingest`\n"
    )
    (fake_app.settings.corpus_dir / "notes.xyz").write_text("x", encoding="utf-8")
    fake_app.sync()

    res = CliRunner().invoke(cli.main, ["docs", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in json.loads(res.stdout)}
    assert sorted(rows) == sorted([*SEED_NAMES, "notes.xyz"])
    idx = fake_app.index
    for d in idx.documents():
        assert rows[d.path] == {
            "name": d.path, "title": d.meta.title, "date": d.meta.date, "source": d.meta.source, "lang": d.meta.lang,
            "paragraphs": d.n_paragraphs, "chunks": d.n_chunks, "status": "indexed", "reason": "", "ocr_pages": [],
        }  # fmt: skip
        assert d.n_paragraphs > 0 and d.n_chunks >= d.n_paragraphs
    assert rows["004_03e94a76b2f901da.txt"]["lang"] == "sv" and rows["004_03e94a76b2f901da.txt"]["date"] == "2025-10-27"
    assert rows["000_b0dddf86d6f85ffe.txt"]["title"] == "Việt Nam - EU thúc đẩy hợp tác chuyển đổi số"
    assert rows["001_42eb7389f324bfd9.txt"]["date"] == ""  # undated: empty, never guessed
    assert rows["notes.xyz"]["status"] == "skipped" and rows["notes.xyz"]["reason"].startswith(
        "unsupported file type .xyz: supported are .docx"
    )

    table = CliRunner().invoke(cli.main, ["docs"])
    assert table.exit_code == 0
    lines = {line.split("\t")[0]: line.split("\t") for line in table.stdout.splitlines()}
    assert sorted(lines) == sorted(rows)
    sv = rows["004_03e94a76b2f901da.txt"]
    assert lines[sv["name"]] == [
        sv["name"],
        sv["title"][:60],
        "2025-10-27",
        "sv",
        f"{sv['paragraphs']} ¶",
        f"{sv['chunks']} chunks",
        "indexed",
    ]
    assert lines["001_42eb7389f324bfd9.txt"][2] == "-"  # no date shown as '-'
    assert lines["notes.xyz"][-1].startswith("skipped: unsupported file type .xyz: supported are")


# ---------------------------------------------------------------- watch


def test_watch_syncs_at_start_then_indexes_a_dropped_file_and_stops_on_ctrl_c(fake_app, use_app, monkeypatch):
    app = use_app(fake_app)
    app.settings.watch_debounce_s = 0.2
    corpus = app.settings.corpus_dir
    real_sleep = time.sleep
    main_thread = threading.current_thread()
    state = {"dropped": False, "deadline": time.monotonic() + 60}

    def sleep(seconds):  # the command's own `while True: sleep(1)`; the watcher's threads sleep for real
        if threading.current_thread() is not main_thread:
            return real_sleep(seconds)
        if not state["dropped"]:
            (corpus / "new.txt").write_text(
                "Việt Nam và Phần Lan hợp tác về giáo dục đại học năm 2026.\n", encoding="utf-8"
            )
            state["dropped"] = True
        indexed = "new.txt" in {d.path for d in app.index.documents()}
        if indexed or time.monotonic() > state["deadline"]:
            raise KeyboardInterrupt  # the user presses Ctrl+C
        real_sleep(0.05)

    monkeypatch.setattr(time, "sleep", sleep)
    res = CliRunner().invoke(cli.main, ["watch"])
    monkeypatch.setattr(time, "sleep", real_sleep)
    assert res.exit_code == 0, res.output
    out = res.stderr.splitlines()
    assert [line for line in out if line.startswith("sync: indexed ")] == [f"sync: indexed {n}" for n in SEED_NAMES] + [
        "sync: indexed new.txt"
    ]
    assert f"watching {corpus} (Ctrl+C to stop)" in out
    assert out.index(f"watching {corpus} (Ctrl+C to stop)") < out.index("sync: indexed new.txt")  # found by watching
    assert "new.txt" in {d.path for d in app.index.documents()}
    assert app.ask("Phần Lan giáo dục đại học 2026", retrieval_mode="lexical").hits[0].chunk.doc == "new.txt"
    real_sleep(0.3)
    assert not [t for t in threading.enumerate() if t.name == "corpus-watcher"], "Ctrl+C left the watcher running"


# ---------------------------------------------------------------- eval --baseline --fail-under


@pytest.fixture
def eval_setup(tmp_path, monkeypatch, use_app):
    """A tiny corpus, its question file, and the command's app (evaluation indexes under tmp_path)."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    corpus, qfile = write_corpus(tmp_path / "eval-corpus"), write_questions(tmp_path / "q.jsonl")
    use_app(
        build(
            Settings(corpus_dir=tmp_path / "unused", index_dir=tmp_path / "user-index", min_score=0.3),
            embedder=HashEmbedder(),
        )
    )
    return corpus, qfile


def _eval(*args: str):
    return CliRunner().invoke(cli.main, ["eval", *args])


def test_eval_fail_under_exits_1_only_when_a_gated_metric_dropped_more_than_the_tolerance(eval_setup, tmp_path):
    corpus, qfile = eval_setup
    first = _eval(str(qfile), "--corpus", str(corpus), "--json")
    assert first.exit_code == 0, first.output
    result = json.loads(first.stdout)
    got = result["metrics"]
    assert got["mrr"] == 1.0 and got["answer_contains"] == 1.0 and got["refusal_accuracy"] == 1.0

    same = tmp_path / "same.json"
    same.write_text(json.dumps(result), encoding="utf-8")
    ok = _eval(str(qfile), "--corpus", str(corpus), "--baseline", str(same), "--fail-under", "0")
    assert ok.exit_code == 0, ok.output
    assert f"no gated metric dropped by more than 0.0 against {same} (hybrid)" in ok.stderr

    # a baseline that was better: answer_contains 1.0 now, "was" 1.0 + 0.1 (gated); latency worse is not gated
    better = tmp_path / "better.json"
    better.write_text(
        json.dumps({**result, "metrics": {**got, "answer_contains": 1.1, "latency_p50_ms": 0.0001}}), encoding="utf-8"
    )
    bad = _eval(str(qfile), "--corpus", str(corpus), "--baseline", str(better), "--fail-under", "0.05")
    assert bad.exit_code == 1, bad.output
    assert f"regression against {better} (hybrid):" in bad.stderr
    regressed = [line.strip() for line in bad.stderr.splitlines() if line.startswith("  ")]
    assert len(regressed) == 1 and regressed[0].startswith("answer_contains"), bad.stderr
    tolerated = _eval(str(qfile), "--corpus", str(corpus), "--baseline", str(better), "--fail-under", "0.2")
    assert tolerated.exit_code == 0, tolerated.output
    default = _eval(str(qfile), "--corpus", str(corpus), "--baseline", str(better))  # no --fail-under: tolerance 0
    assert default.exit_code == 1, default.output


# ---------------------------------------------------------------- errors


def test_a_missing_corpus_is_a_short_message_naming_the_setting_and_debug_shows_the_traceback(tmp_path, monkeypatch):
    """`assistant ingest` over a corpus folder that does not exist: one line naming ASSISTANT_CORPUS_DIR
    (exit 1, no traceback); with ASSISTANT_DEBUG=1 (settings.debug, as the page reads it) the error itself."""
    from assistant.errors import CorpusMissing

    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setattr(cli, "_app", lambda settings: build(settings, embedder=HashEmbedder()))
    monkeypatch.delenv("ASSISTANT_DEBUG", raising=False)
    res = CliRunner().invoke(cli.main, ["ingest"])
    assert res.exit_code == 1 and "does not exist: create it or set ASSISTANT_CORPUS_DIR" in res.output
    assert "Traceback" not in res.output and not isinstance(res.exception, CorpusMissing)
    monkeypatch.setenv("ASSISTANT_DEBUG", "1")
    res = CliRunner().invoke(cli.main, ["ingest"])
    assert isinstance(res.exception, CorpusMissing)
