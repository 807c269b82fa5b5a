"""LLM mode end to end over HTTP: the real llama-index OpenAI-compatible client (`openai-like`) against
the local test server (tests/support/llm_server.py), through App and `assistant ask --mode llm`.

Streaming and non-streaming answers, the citation check on the streamed reply, glosses, and each
failure mode's message (named setting, under 2 s). The embedder is the hash fake; the index is the
seed corpus, built once for the module.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.support import SEEDS
from tests.support.fakes import HashEmbedder
from tests.support.llm_server import (
    GLOSS,
    INVENTED,
    QUESTION_EN,
    LLMServer,
    Reply,
    copying_model,
    first_sentence,
    is_gloss_request,
    sources,
)

import assistant.cli as cli
from assistant.app import build
from assistant.errors import ModelUnavailable
from assistant.gloss import LABEL
from assistant.llm_answer import NOT_SUPPORTED
from assistant.settings import Settings
from assistant.types import Answer

QUESTION_VI = "Julien Guerrier Đại sứ Liên minh châu Âu"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The seed corpus and its index (hash embedder), synced once."""
    base = tmp_path_factory.mktemp("llmhttp")
    shutil.copytree(SEEDS, base / "corpus")
    build(Settings(corpus_dir=base / "corpus", index_dir=base / "index"), embedder=HashEmbedder()).sync()
    return base


@pytest.fixture
def server():
    s = LLMServer().start()
    yield s
    s.stop()


def app_for(folders: Path, url: str, **kw):
    """An App over the module's index in LLM mode, talking to `url`."""
    settings = Settings(
        corpus_dir=folders / "corpus", index_dir=folders / "index", min_score=0.0, answer_mode="llm",
        llm_provider="openai-like", llm_model=kw.pop("llm_model", "test-model"), llm_base_url=url, **kw,
    )  # fmt: skip
    return build(settings, embedder=HashEmbedder())


# streaming -------------------------------------------------------------------------------------


def test_a_streamed_answer_arrives_in_pieces_and_is_checked_when_complete(folders, server):
    server.replies = copying_model()
    events = list(app_for(folders, server.url, llm_gloss=False).ask_stream(QUESTION_VI))
    pieces = [e for e in events if isinstance(e, str)]
    answers = [e for e in events if isinstance(e, Answer)]
    assert len(pieces) > 5 and isinstance(events[-1], Answer) and len(answers) == 1  # text first, the answer last
    assert server.requests[0]["stream"] is True and len(server.requests) == 1
    draft = "".join(pieces)
    assert draft.endswith(f"{INVENTED} [1].")  # the draft is the model's text, unchecked
    a = answers[0]
    assert a.answered and a.mode == "llm" and INVENTED not in a.answer
    quoted = first_sentence(sources(server.requests[0])[1])
    assert a.answer.startswith(quoted.rstrip(".")) and a.citations and a.citations[0].quote
    text = build(
        Settings(corpus_dir=folders / "corpus", index_dir=folders / "index"), embedder=HashEmbedder()
    ).index.document_text(a.citations[0].doc)
    assert text[a.citations[0].char_start : a.citations[0].char_end] == a.citations[0].quote
    # the invented sentence is not dropped unseen: it is listed as removed, with why
    assert [(r.text, r.markers, r.reason, r.sentence_kept) for r in a.removed] == [
        (f"{INVENTED}.", [1], NOT_SUPPORTED, False)
    ]
    assert "first_token" in a.timings_ms and a.timings_ms["first_token"] <= a.timings_ms["answer"]


def test_the_first_token_arrives_before_the_reply_is_complete(folders, server):
    server.replies = copying_model(delay_s=0.05)
    app = app_for(folders, server.url, llm_gloss=False)
    t0 = time.perf_counter()
    seen: list[tuple[float, str | Answer]] = [(time.perf_counter() - t0, e) for e in app.ask_stream(QUESTION_VI)]
    first, last = seen[0][0], seen[-1][0]
    assert isinstance(seen[0][1], str) and isinstance(seen[-1][1], Answer)
    assert last - first > 0.5  # ~20 tokens 50 ms apart: the first one was not held back until the end


def test_without_streaming_the_answer_comes_in_one_reply(folders, server):
    server.replies = copying_model()
    a = app_for(folders, server.url, llm_gloss=False).ask(QUESTION_VI)
    assert not server.requests[0].get("stream") and a.answered and INVENTED not in a.answer
    assert a.to_json()["removed"] == [
        {"text": f"{INVENTED}.", "markers": [1], "reason": NOT_SUPPORTED, "sentence_kept": False}
    ]
    assert "first_token" not in a.timings_ms


# glosses ---------------------------------------------------------------------------------------


def test_a_quote_in_another_language_gets_a_labelled_machine_translation(folders, server):
    server.replies = copying_model()
    app = app_for(folders, server.url)
    events = list(app.ask_stream(QUESTION_EN))
    answers = [e for e in events if isinstance(e, Answer)]
    checked, final = answers[0], answers[-1]
    assert len(answers) == 2 and all(c.gloss is None for c in checked.citations)  # shown first, glossed after
    assert final.language == "en" and final.citations
    metas = app.index.doc_meta
    for c in final.citations:
        assert (metas[c.doc].lang != "en") == (c.gloss == GLOSS), c  # only quotes not in the question's language
        assert c.quote == next(x.quote for x in checked.citations if x.n == c.n)  # the quote stays the citation
    assert any(c.gloss for c in final.citations)
    gloss_req = next(b for b in server.requests if is_gloss_request(b))
    assert "English" in gloss_req["messages"][0]["content"]
    assert all(
        f">{' '.join(c.quote.split())}</quote>" in gloss_req["messages"][-1]["content"]
        for c in final.citations
        if c.gloss
    )
    assert "gloss" in final.timings_ms


def test_a_question_in_the_quotes_language_or_the_extractive_mode_gets_no_gloss(folders, server):
    server.replies = copying_model()
    app = app_for(folders, server.url)
    a = app.ask(QUESTION_VI)
    assert a.language == "vi" and a.citations
    assert all(app.index.doc_meta[c.doc].lang == "vi" and c.gloss is None for c in a.citations)
    assert not any(is_gloss_request(b) for b in server.requests)  # nothing to translate: no request
    extractive = app_for(folders, server.url).ask(QUESTION_EN, answer_mode="extractive")
    assert extractive.citations and all(c.gloss is None for c in extractive.citations)
    assert len(server.requests) == 1


def test_a_failing_translation_keeps_the_checked_answer(folders, server, caplog):
    replies = copying_model()
    server.replies = lambda body: Reply(status=500, text="translator down") if is_gloss_request(body) else replies(body)
    a = app_for(folders, server.url).ask(QUESTION_EN)
    assert a.answered and a.citations and all(c.gloss is None for c in a.citations)
    assert "no translation under the quotes" in caplog.text and "HTTP 500" in caplog.text


# failures: each names the setting to fix, within 2 s --------------------------------------------

FAILURES = {
    "unreachable": (
        "is not reachable (Connection refused): start it or check ASSISTANT_LLM_BASE_URL / ASSISTANT_LLM_PROVIDER"
    ),
    "hangs": "is not reachable (timed out): start it or check ASSISTANT_LLM_BASE_URL / ASSISTANT_LLM_PROVIDER",
    "500": "failed (HTTP 500: boom): see the server's log; check ASSISTANT_LLM_BASE_URL / ASSISTANT_LLM_PROVIDER and ASSISTANT_LLM_MODEL",
    "401": "refused the API key (HTTP 401: Incorrect API key provided.): set ASSISTANT_LLM_API_KEY",
    "404-model": "has no model 'nope' (HTTP 404: The model `nope` does not exist.): check ASSISTANT_LLM_MODEL",
    "malformed": "sent a reply that is not an OpenAI-compatible chat completion (JSONDecodeError",
    "wrong-shape": "sent a reply that is not an OpenAI-compatible chat completion (TypeError",
    "empty": "sent an empty reply: check ASSISTANT_LLM_MODEL and the server's log",
    "slow": "did not answer within 0.4 s: raise ASSISTANT_LLM_TIMEOUT_S for a slow model, or check ASSISTANT_LLM_BASE_URL",
}


def failing(kind: str, server: LLMServer) -> tuple[str, dict]:
    """Script the server to fail one way; returns (base URL, extra settings)."""
    if kind == "unreachable":
        return "http://127.0.0.1:9/v1", {}
    server.hang_everything = kind == "hangs"
    server.api_key = "the-right-key" if kind == "401" else ""
    raw = {"malformed": (b'{"id": "x", "choices": [', b"data: {not json\n\n"),
           "wrong-shape": (b'{"foo": 1}', b'data: {"foo": 1}\n\n')}.get(kind)  # fmt: skip
    server.replies = lambda body: Reply(
        status=500 if kind == "500" else 200, text="boom" if kind == "500" else "", hang=kind == "slow",
        raw=raw[bool(body.get("stream"))] if raw else None,
    )  # fmt: skip
    extra = {"llm_api_key": "a-wrong-key"} if kind == "401" else {"llm_model": "nope"} if kind == "404-model" else {}
    return server.url, {**extra, "llm_timeout_s": 0.4} if kind == "slow" else extra


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize("kind", list(FAILURES))
def test_each_failure_names_the_setting_to_fix_within_2_s(folders, server, kind, stream):
    url, extra = failing(kind, server)
    app = app_for(folders, url, **extra)
    t0 = time.perf_counter()
    with pytest.raises(ModelUnavailable) as e:
        list(app.ask_stream(QUESTION_VI)) if stream else app.ask(QUESTION_VI)
    seconds = time.perf_counter() - t0
    base = url
    assert str(e.value).startswith(f"the LLM server at {base} " if kind != "empty" else f"the LLM at {base} "), str(
        e.value
    )
    assert FAILURES[kind] in str(e.value)
    assert str(e.value).endswith("To answer without the LLM use --fallback (ASSISTANT_LLM_FALLBACK=true).")
    assert seconds < 2.0, f"{kind}: {seconds:.2f} s"
    assert len(server.requests) <= 1  # never retried


def test_with_fallback_a_failing_server_gives_the_extractive_answer(folders, server):
    url, _ = failing("500", server)
    events = list(app_for(folders, url, llm_fallback=True).ask_stream(QUESTION_VI))
    assert len(events) == 1 and isinstance(events[0], Answer) and events[0].mode == "extractive" and events[0].answered


# the command line ------------------------------------------------------------------------------


@pytest.fixture
def cli_env(folders, server, monkeypatch):
    """`assistant ask` over the module's index with the hash embedder; LLM settings from the environment."""
    monkeypatch.setattr(cli, "_app", lambda settings: build(settings, embedder=HashEmbedder()))
    env = {"CORPUS_DIR": str(folders / "corpus"), "INDEX_DIR": str(folders / "index"), "MIN_SCORE": "0",
           "LLM_PROVIDER": "openai-like", "LLM_MODEL": "test-model", "LLM_BASE_URL": server.url}  # fmt: skip
    for k, v in env.items():
        monkeypatch.setenv(f"ASSISTANT_{k}", v)
    return server


def test_ask_mode_llm_json_gains_gloss_and_removed(cli_env):
    cli_env.replies = copying_model()
    res = CliRunner().invoke(cli.main, ["ask", QUESTION_EN, "--mode", "llm", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["mode"] == "llm" and d["answered"] and not any(b.get("stream") for b in cli_env.requests)
    assert {"question", "answered", "answer", "language", "citations", "mode", "timings_ms"} <= set(d)
    assert all("gloss" in c for c in d["citations"]) and any(c["gloss"] == GLOSS for c in d["citations"])
    assert d["removed"][0]["text"] == f"{INVENTED}." and d["removed"][0]["reason"] == NOT_SUPPORTED
    assert res.stderr == ""


def test_ask_mode_llm_streams_a_draft_on_a_terminal_then_prints_the_checked_answer(cli_env, monkeypatch):
    cli_env.replies = copying_model()
    monkeypatch.setattr(cli, "is_tty", lambda stream: True)
    res = CliRunner().invoke(cli.main, ["ask", QUESTION_EN, "--mode", "llm"])
    assert res.exit_code == 0, res.output
    assert res.stderr.startswith("LLM draft (checked below): ") and f"{INVENTED} [1]." in res.stderr
    assert cli_env.requests[0]["stream"] is True
    assert f"    {LABEL}: {GLOSS}" in res.stdout
    assert f'removed: "{INVENTED}." [1] — {NOT_SUPPORTED}' in res.stdout
    assert INVENTED not in res.stdout.split("\n")[0]  # the answer line holds only what passed the check


def test_ask_mode_llm_with_a_dead_server_exits_1_naming_the_setting(cli_env, monkeypatch):
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    res = CliRunner().invoke(cli.main, ["ask", QUESTION_EN, "--mode", "llm"])
    assert res.exit_code == 1
    assert "Error: the LLM server at http://127.0.0.1:9/v1 is not reachable" in res.stderr
    assert "ASSISTANT_LLM_BASE_URL" in res.stderr and res.stdout == ""


def test_warming_the_llm_builds_it_once_and_reports_a_setting_error_later(folders, server, caplog):
    app = app_for(folders, server.url)
    app.warm_llm()
    built = app.llm()
    app.warm_llm()
    assert app.llm() is built and built.api_base == server.url
    unset = app_for(folders, server.url, llm_model="")
    unset.warm_llm()  # nothing raised at start-up: the first LLM question says what to set
    assert "LLM not ready" in caplog.text and "ASSISTANT_LLM_MODEL" in caplog.text


def test_a_streamed_answer_read_across_a_commit_is_given_again_from_the_new_generation(tmp_path, server, monkeypatch):
    from assistant import answer as answer_mod

    shutil.copytree(SEEDS, tmp_path / "corpus")
    reader, writer = app_for(tmp_path, server.url, llm_gloss=False), app_for(tmp_path, server.url, llm_gloss=False)
    server.replies = copying_model()
    reader.sync()
    reader.ask(QUESTION_VI)  # the reader's view is loaded
    (tmp_path / "corpus" / "new.txt").write_text(
        "Tài liệu mới\n\nĐại sứ Liên minh châu Âu Julien Guerrier thăm Huế.\n", encoding="utf-8"
    )
    real, calls = answer_mod._ask_once, []

    def once(*a, **kw):
        calls.append(kw["stream"])
        for event in real(*a, **kw):
            yield event
        if len(calls) == 1:
            writer.sync()  # published after this read began

    monkeypatch.setattr(answer_mod, "_ask_once", once)
    events = list(reader.ask_stream(QUESTION_VI))
    assert calls == [True, False]  # streamed, then answered again (not streamed) from the new generation
    answers = [e for e in events if isinstance(e, Answer)]
    assert len(answers) == 2 and reader.index.view_is_current()
