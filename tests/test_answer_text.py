"""The answer text and its citations agree, through `App.ask` (fake embedder over the seed copies):
the `[n]` markers in the text are exactly the citations' numbers, a sentence whose citation fails
verification leaves the text with it; LLM mode through `App.ask` (a fake LLM); follow-up context."""

from __future__ import annotations

import math
import re

import pytest

from assistant.extractive import SentenceModel, sentence_model
from assistant import answer as answer_mod
from assistant import extractive_answer
from assistant import citations as citations_mod
from assistant.errors import ModelUnavailable
from assistant.types import Citation
from tests.support.fake_llm import FakeLLM

QUESTIONS = [
    "Đại sứ EU tại Việt Nam là ai?",
    "Who is the EU ambassador to Vietnam?",
    "Vem är EU:s ambassadör i Vietnam?",
    "Kim ngạch xuất khẩu dệt may 8 tháng đầu năm 2025 đạt bao nhiêu?",
    "Việt Nam có bao nhiêu kỹ sư IT đang hoạt động tại Nhật Bản?",
    "Việt Nam cam kết Net Zero vào năm nào?",
    "Hur många strategiska teknologiprodukter har regeringen tillkännagivit?",
    "Bùi Thế Duy nói gì về dữ liệu?",
    "Diễn đàn Hợp tác Số EU - Việt Nam tổ chức ở đâu?",
    "Phó Thủ tướng Nguyễn Chí Dũng kêu gọi điều gì tại Tokyo?",
    "What did the Deputy Prime Minister say in Tokyo?",
    "Luật Trí tuệ Nhân tạo do ai soạn thảo?",
]
AMBASSADOR_Q = "Đại sứ EU tại Việt Nam là ai?"
_MARKER = re.compile(r"\[(\d+)\]")


def markers(text: str) -> list[int]:
    return [int(m) for m in _MARKER.findall(text)]


def assert_text_and_citations_agree(a, index) -> None:
    ns = [c.n for c in a.citations]
    assert ns == list(range(1, len(ns) + 1)), ns
    assert markers(a.answer) == ns, (a.answer, ns)  # each once, in order, nothing else
    rest = a.answer
    for c in a.citations:  # the text is the quotes, each followed by its own marker
        assert f"{c.quote} [{c.n}]" in rest, (c.quote, a.answer)
        rest = rest.replace(f"{c.quote} [{c.n}]", "", 1)
        text = index.document_text(c.doc)
        assert text[c.char_start : c.char_end] == c.quote
    assert not rest.strip(), rest  # no uncited text left over


@pytest.fixture
def app(fake_app):
    fake_app.sync()
    return fake_app


@pytest.fixture
def two_sentences(monkeypatch):
    """Every answer quotes `max_answer_sentences` sentences (the score window opened wide)."""
    real = answer_mod.choose
    wide = SentenceModel(sentence_model().weights, window=1e9)
    monkeypatch.setattr(answer_mod, "choose", lambda cands, n, *a, **kw: real(cands, n, wide))


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_markers_in_the_text_are_exactly_the_citation_numbers(app, mode, k):
    answered = 0
    for q in QUESTIONS:
        a = app.ask(q, min_score=0.0, max_answer_sentences=k, retrieval_mode=mode)
        if a.answered:
            answered += 1
            assert 1 <= len(a.citations) <= k
            assert_text_and_citations_agree(a, app.index)
        else:
            assert a.citations == [] and markers(a.answer) == []
    assert answered >= len(QUESTIONS) // 2, answered  # the check ran on real answers


def test_with_the_window_open_k_sentences_are_quoted_and_numbered(app, two_sentences):
    sizes = []
    for q in QUESTIONS:
        a = app.ask(q, min_score=0.0, max_answer_sentences=3)
        if not a.answered:  # a named entity the hash embedder did not retrieve
            continue
        assert 1 <= len(a.citations) <= 3, a.answer
        assert_text_and_citations_agree(a, app.index)
        sizes.append(len(a.citations))
    assert sizes.count(3) >= len(QUESTIONS) // 2, sizes


def _reject(monkeypatch, bad_quotes: set[str] | None) -> list[str]:
    """citations.verify as citations.verified uses it, rejecting the given quotes (all when None); returns what was checked."""
    real = citations_mod.verify
    seen: list[str] = []

    def verify(c: Citation, *args) -> bool:
        seen.append(c.quote)
        return (bad_quotes is not None and c.quote not in bad_quotes) and real(c, *args)

    monkeypatch.setattr(citations_mod, "verify", verify)
    return seen


@pytest.mark.parametrize("which", [0, 1])
def test_a_sentence_whose_citation_fails_verification_leaves_the_text(app, two_sentences, monkeypatch, which):
    before = app.ask(AMBASSADOR_Q, min_score=0.0, max_answer_sentences=2)
    assert [c.n for c in before.citations] == [1, 2], before.answer
    bad, kept = before.citations[which], before.citations[1 - which]
    seen = _reject(monkeypatch, {bad.quote})
    a = app.ask(AMBASSADOR_Q, min_score=0.0, max_answer_sentences=2)
    assert bad.quote in seen  # the rejected quote was checked, not skipped
    assert a.answered and a.answer == f"{kept.quote} [1]"
    assert bad.quote not in a.answer and "[2]" not in a.answer
    assert [(c.n, c.doc, c.char_start, c.quote) for c in a.citations] == [(1, kept.doc, kept.char_start, kept.quote)]


def test_when_every_citation_fails_verification_the_question_is_refused(app, two_sentences, monkeypatch):
    _reject(monkeypatch, None)
    for q, lang in [
        (AMBASSADOR_Q, "vi"),
        ("Who is the EU ambassador to Vietnam?", "en"),
        ("Vem är EU:s ambassadör i Vietnam?", "sv"),
    ]:
        a = app.ask(q, min_score=0.0, max_answer_sentences=2)
        assert not a.answered and a.citations == [] and a.answer == answer_mod.REFUSALS[lang]


def test_a_citation_that_is_not_the_document_text_is_caught_by_the_real_verify(app, two_sentences, monkeypatch):
    """No monkeypatched verify: a citation whose quote or offsets lie (a bug in building it) is dropped
    with its sentence by the real check."""
    real = extractive_answer.make_citation
    calls = {"n": 0}

    def lying(n, chunk, start, end, score):
        c = real(n, chunk, start, end, score)
        calls["n"] += 1
        if calls["n"] == 1:
            return Citation(
                c.n, c.doc, c.paragraph, c.page, "Đại sứ là ông John Smith.", c.char_start, c.char_end, c.score
            )
        if calls["n"] == 2:
            return Citation(c.n, c.doc, c.paragraph, c.page, c.quote, c.char_start + 1, c.char_end + 1, c.score)
        return c

    monkeypatch.setattr(extractive_answer, "make_citation", lying)
    a = app.ask(AMBASSADOR_Q, min_score=0.0, max_answer_sentences=3)
    assert calls["n"] == 3
    assert "John Smith" not in a.answer and all("John Smith" not in c.quote for c in a.citations)
    assert a.answered and len(a.citations) == 1 and a.citations[0].n == 1
    assert_text_and_citations_agree(a, app.index)


# ---------------------------------------------------------------- LLM mode through App.ask


@pytest.fixture
def llm(app):
    fake = FakeLLM()  # copies source 1's first sentence [1]; mode "fail" raises
    app._llm = fake  # App.llm() builds one only when none is set
    return fake


@pytest.mark.parametrize(
    "question,kw",
    [
        ("Who is the Korean ambassador to Vietnam?", {"min_score": 0.0}),  # a named entity missing
        ("Đại sứ Hàn Quốc tại Việt Nam là ai?", {"min_score": 0.0}),
        (AMBASSADOR_Q, {"min_score": math.inf}),  # by score
        (AMBASSADOR_Q, {}),  # the default model: the hash embedder's cosines are far below any fitted threshold
    ],
)
def test_a_refused_question_never_reaches_the_llm(app, llm, question, kw):
    a = app.ask(question, answer_mode="llm", **kw)
    assert not a.answered and a.citations == [] and a.mode == "llm"
    assert llm.prompts == []


def test_an_answerable_question_asks_the_llm_once_and_its_citations_are_checked(app, llm):
    a = app.ask(AMBASSADOR_Q, answer_mode="llm", min_score=0.0)
    assert len(llm.prompts) == 1 and a.mode == "llm" and a.answered
    assert markers(a.answer) == [c.n for c in a.citations] == [1]
    c = a.citations[0]
    assert app.index.document_text(c.doc)[c.char_start : c.char_end] == c.quote
    assert a.hits and a.timings_ms["total"] >= a.timings_ms["retrieve"]


def test_llm_fallback_gives_the_extractive_answer_when_the_llm_is_unavailable(app, llm):
    llm.mode = "fail"
    extractive = app.ask(AMBASSADOR_Q, min_score=0.0, max_answer_sentences=2)
    a = app.ask(AMBASSADOR_Q, answer_mode="llm", llm_fallback=True, min_score=0.0)
    assert len(llm.prompts) == 1
    assert a.mode == "extractive" and a.answered
    assert a.answer == extractive.answer and a.citations == extractive.citations
    assert_text_and_citations_agree(a, app.index)


def test_without_fallback_an_unavailable_llm_is_an_error_naming_the_fallback(app, llm):
    llm.mode = "fail"
    with pytest.raises(ModelUnavailable, match="--fallback"):
        app.ask(AMBASSADOR_Q, answer_mode="llm", min_score=0.0)


# ---------------------------------------------------------------- follow-up context


def test_context_widens_retrieval(app):
    vague = "Ông ấy là ai?"
    alone = app.ask(vague, min_score=0.0)
    followed = app.ask(vague, min_score=0.0, context="Đại sứ Liên minh châu Âu Julien Guerrier")
    assert [h.chunk.id for h in alone.hits] != [h.chunk.id for h in followed.hits]
    assert "Julien Guerrier" not in alone.hits[0].chunk.text
    assert "Julien Guerrier" in followed.hits[0].chunk.text


def test_with_context_the_language_follows_the_question(app):
    vi_context = "Đại sứ Liên minh châu Âu tại Việt Nam Julien Guerrier phát biểu tại diễn đàn"
    a = app.ask("Who is the EU ambassador to Vietnam?", min_score=0.0, context=vi_context)
    assert a.language == "en" and a.answered
    r = app.ask("Who is the Korean ambassador to Vietnam?", min_score=0.0, context=vi_context)
    assert r.language == "en" and r.answer == answer_mod.REFUSALS["en"]
    s = app.ask("Vem är EU:s ambassadör i Vietnam?", min_score=math.inf, context=vi_context)
    assert s.language == "sv" and not s.answered and s.answer == answer_mod.REFUSALS["sv"]


def test_with_context_the_refusal_follows_the_question(app):
    """The context brings the EU ambassador's paragraph, but the question asks for Korea's: refused.
    And a context naming Korea does not make the EU question unanswerable."""
    eu_context = "Đại sứ Liên minh châu Âu tại Việt Nam Julien Guerrier"
    r = app.ask("Đại sứ Hàn Quốc tại Việt Nam là ai?", min_score=0.0, context=eu_context)
    assert not r.answered and r.citations == []
    assert any("Julien Guerrier" in h.chunk.text for h in r.hits)  # the context did widen retrieval
    a = app.ask(AMBASSADOR_Q, min_score=0.0, context="Còn đại sứ Hàn Quốc thì sao?")
    assert a.answered and a.citations
    # by score: the support rule reads the question's own words, not the context's
    off = "Công thức nấu phở bò gồm những gì?"
    hits = app.ask(off, min_score=0.0, context=eu_context).hits
    own = max(answer_mod.support(off, h) for h in hits)
    with_context = max(answer_mod.support(f"{eu_context} {off}", h) for h in hits)
    assert with_context > own
    assert not app.ask(off, min_score=(own + with_context) / 2, context=eu_context).answered
