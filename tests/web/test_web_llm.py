"""The page in LLM mode (no browser): the streamed draft, the checked answer with what was taken out struck
through, glosses under foreign-language quotes; the real openai-like client against tests/support/llm_server.py."""

from __future__ import annotations

import re

import pytest
from tests.support.fakes import HashEmbedder
from tests.support.html_checks import assert_inert, parse
from tests.support.llm_server import GLOSS, INVENTED, QUESTION_EN, LLMServer, copying_model

from assistant.app import build
from assistant.gloss import LABEL
from assistant.types import Answer, Citation, Removed
from assistant.web.page import ChatPage
from assistant.web.render import render_removed, render_sources, render_turn

EVIL = "<img src=x onerror=alert(1)> <script>alert(1)</script>"


@pytest.fixture
def llm_page(corpus, settings_for):
    with LLMServer() as server:
        settings = settings_for(
            corpus, min_score=0.0, llm_provider="openai-like", llm_model="test-model", llm_base_url=server.url
        )
        app = build(settings, embedder=HashEmbedder())
        app.sync()
        yield ChatPage(app), server


def test_an_llm_answer_streams_into_the_page_then_shows_its_check_and_glosses(llm_page):
    page, server = llm_page
    server.replies = copying_model()
    steps = list(page.respond(QUESTION_EN, [], [], "", "", "", "llm", 5))
    drafts = [html for html, _, _ in steps if 'class="a draft"' in html]
    assert len(drafts) > 5, "the model's text arrives piece by piece"
    assert all('class="turn streaming"' in h and "checking citations" in h for h in drafts)
    lengths = [len(re.search(r'class="a draft">(.*?)<span class="cursor">', h, re.DOTALL).group(1)) for h in drafts]
    assert lengths == sorted(lengths) and lengths[0] < lengths[-1]
    html, turns, _ = steps[-1]
    answer: Answer = turns[0]["answer"]
    assert answer.answered and 'class="turn done"' in html and 'class="a draft"' not in html
    # the invented sentence: struck through, with the reason, not silently dropped
    assert f"<del>{INVENTED}. [1]</del>" in html and "removed: not supported by the source" in html
    assert INVENTED not in re.search(r'<div class="a">(.*?)</div>', html, re.DOTALL).group(1)
    # a gloss under each quote in another language than the question, labelled
    glossed = [c for c in answer.citations if c.gloss]
    assert glossed and f'<span class="gloss-label">{LABEL}:</span> {GLOSS}' in html
    assert html.count('class="gloss"') == len(glossed)
    # the step before the glosses showed the checked answer already, without them
    before = [h for h, _, _ in steps if 'class="turn done"' in h and 'class="gloss"' not in h]
    assert before and "Sources" in before[-1]


def test_removed_claims_glosses_and_drafts_are_escaped():
    c = Citation(1, "a.txt", 1, None, "Đại sứ.", 0, 7, 0.9, gloss=f"The ambassador {EVIL}")
    a = Answer("q", True, "x [1]", "en", [c], "llm", {"total": 1.0}, [],
               [Removed(f"Invented {EVIL}.", [7], "cites a source that was not retrieved", False),
                Removed("Kept sentence.", [2], "not supported by the source", True)])  # fmt: skip
    assert_inert(render_sources(a, {}, 0))
    removed = render_removed(a)
    assert_inert(removed)
    tags = [t for t, _ in parse(removed).tags]
    assert tags.count("del") == 2 and "marker removed: not supported by the source" in removed
    assert_inert(render_turn(0, {"q": "q", "answer": None, "draft": f"draft {EVIL} [1]"}))


def test_an_extractive_answer_has_no_gloss_and_nothing_removed(llm_page):
    page, server = llm_page
    *_, (html, turns, _) = page.respond(QUESTION_EN, [], [], "", "", "", "extractive", 5)
    assert turns[0]["answer"].citations and 'class="gloss"' not in html and 'class="removed"' not in html
    assert server.requests == []
