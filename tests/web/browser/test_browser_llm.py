"""LLM mode in headless Chromium: the page streams an answer from the local OpenAI-compatible test server
(tests/support/llm_server.py, in this process) token by token, then shows it checked, what the check took out struck
through, and a labelled machine translation under the quote in another language. Screenshots in
test-output/screenshots/, latency to first token in test-output/page-timings.json."""

from __future__ import annotations

import time

import pytest
from tests.support.llm_server import GLOSS, INVENTED, QUESTION_EN, LLMServer, copying_model
from tests.support.pagekit import record_timing, running_page

from assistant.gloss import LABEL

pytestmark = pytest.mark.browser

TOKEN_DELAY_S = 0.12  # slow enough for the test to see the answer grow


@pytest.fixture(scope="module")
def llm_page(tmp_path_factory):
    with LLMServer(replies=copying_model(delay_s=TOKEN_DELAY_S)) as llm:
        with running_page(tmp_path_factory.mktemp("llmpage"), llm_url=llm.url) as (url, _):
            yield url, llm


def test_an_llm_answer_streams_into_the_page_and_shows_its_gloss(tab, llm_page):
    url, llm = llm_page
    pg = tab.page
    pg.goto(url)
    pg.locator("#question textarea").fill(QUESTION_EN)
    t0 = time.perf_counter()
    pg.click("#ask")
    draft = pg.locator("#transcript .turn.streaming .a.draft")
    draft.wait_for(timeout=30_000)
    t_first = time.perf_counter()
    partial = draft.inner_text()
    tab.shot("30-llm-streaming")
    pg.wait_for_function(
        f"(() => {{ const d = document.querySelector('#transcript .a.draft'); return d && d.innerText.length > {len(partial) + 10}; }})()",
        timeout=30_000,
    )
    grown = draft.inner_text()
    assert len(grown) > len(partial), "the answer grows while the model writes it"
    assert not pg.locator("#transcript .turn.done").count(), "partial text is shown before the answer is complete"

    pg.locator("#transcript .turn.done").wait_for(timeout=60_000)
    t_done = time.perf_counter()
    gloss = pg.locator("#transcript .sources .gloss").first
    gloss.wait_for(timeout=60_000)
    t_gloss = time.perf_counter()
    turn = pg.locator("#transcript .turn").first
    assert gloss.inner_text() == f"{LABEL}: {GLOSS}"
    quote = gloss.locator("xpath=preceding-sibling::span[contains(@class,'src-quote')]").inner_text()
    assert quote.strip("“”") and quote.strip("“”") != GLOSS, "the verbatim quote stays above its translation"
    assert turn.locator(".a button.cite").count() >= 1
    removed = turn.locator(".removed li").first
    assert removed.locator("del").inner_text() == f"{INVENTED}. [1]"
    assert "removed: not supported by the source" in removed.inner_text()
    assert INVENTED not in turn.locator(".a").first.inner_text()
    tab.shot("31-llm-answer-with-gloss")
    assert llm.requests[0]["stream"] is True

    # a second question, the client warm: the time a user waits for the first word
    pg.locator("#question textarea").fill(QUESTION_EN)
    t1 = time.perf_counter()
    pg.click("#ask")
    pg.locator("#transcript .turn:nth-child(2) .a.draft").wait_for(timeout=30_000)
    t_first2 = time.perf_counter()
    pg.wait_for_function("document.querySelectorAll('#transcript .turn.done').length >= 2", timeout=60_000)
    assert not tab.errors, tab.errors
    record_timing("llm test server: page", {
        "first_token_ms": round((t_first - t0) * 1000), "answer_checked_ms": round((t_done - t0) * 1000),
        "gloss_ms": round((t_gloss - t0) * 1000), "second_question_first_token_ms": round((t_first2 - t1) * 1000),
        "token_delay_ms": TOKEN_DELAY_S * 1000,
    })  # fmt: skip
