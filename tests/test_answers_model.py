"""The seed corpus with the real packaged model: cited answers in vi/en/sv, refusals off-topic."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.model

ANSWERS = [
    ("Đại sứ EU tại Việt Nam là ai?", "Julien Guerrier"),
    ("Who is the EU ambassador to Vietnam?", "Julien Guerrier"),
    ("Vem är EU:s ambassadör i Vietnam?", "Julien Guerrier"),
    ("Kim ngạch xuất khẩu dệt may 8 tháng đầu năm 2025 đạt bao nhiêu?", "30,7 tỷ USD"),
    ("Việt Nam có bao nhiêu kỹ sư IT đang hoạt động tại Nhật Bản?", "5.000 kỹ sư IT"),
    ("How many IT engineers from Vietnam work in Japan?", "5.000"),
    ("Việt Nam cam kết Net Zero vào năm nào?", "2050"),
    ("Hur många strategiska teknologiprodukter har regeringen tillkännagivit?", "35 strategiska teknologiprodukter"),
    # Swedish questions answered from Vietnamese articles: without retrieve.CROSS_LANGUAGE_BONUS the Swedish
    # article's near-topic paragraphs won (the encoder prefers the question's own language)
    ("Hur mycket väntas Vietnams textilexport uppgå till för hela året 2025?", "48 tỷ USD"),
    ("Vilket frihandelsavtal har enligt artikeln format de ekonomiska relationerna mellan Vietnam och EU?", "EVFTA"),
    # inside the 6,600-character glued line: quotable only once "kinh tế.Đánh giá" is a sentence end
    ("Who chairs the FIRJAN federation in Rio de Janeiro?", "Luiz Césio Caetano"),
    # Swedish questions whose names are in a Vietnamese article (answer.anchored): the plain ranking put a
    # Swedish paragraph on another event first and the refusal read it
    (
        "Vilken dag deltog vice premiärminister Nguyen Chi Dung i den vietnamesiska digitala transformationsdagen i Tokyo?",
        "30/5",
    ),
    ("Vem presenterade CMC:s tekniska lösningar för vice premiärministern på utställningen i Tokyo?", "Hồ Thanh Tùng"),
    # about the article itself (meta_answer.py): the Swedish article need not name Sweden; the English
    # question names the Vietnamese article by a translation of its title
    ("What is the source of the Swedish-language article about AI governance?", "mst.gov.vn"),
    ("When was the article about the EU-Vietnam digital forum and research day in Ninh Binh published?", "2025-10-21"),
]

REFUSE = [
    "Ai là đại sứ Hàn Quốc tại Việt Nam?",
    "Who is the Korean ambassador to Vietnam?",
    "How many electric cars did VinFast sell in Europe in 2024?",
    "Vem vann fotbolls-VM 2022?",
    # no seed names Finland; "phần" and "lan" are common syllables ("một phần", "lan tỏa"): a two-syllable
    # name counts only where it is written as a name (support.missing_entities)
    "Việt Nam và Phần Lan hợp tác trong những lĩnh vực nào?",
    # near-topic: the seeds speak of 2025 and of Ninh Bình, not of 2019 or Cần Thơ (support.conflicting_years,
    # a Vietnamese name without its marks found whole)
    "Kim ngạch xuất khẩu dệt may 8 tháng đầu năm 2019 đạt bao nhiêu?",
    "When will the EU-Vietnam Digital Cooperation Forum take place in Can Tho?",
    # the Tokyo article states no publication date: its event's day ("Sáng 30/5") is no answer
    "When was the article about Vietnam's digital transformation day in Tokyo published?",
]


@pytest.mark.parametrize("question,expected", ANSWERS)
def test_seed_questions_get_cited_answers(seed_app, question, expected):
    a = seed_app.ask(question)
    assert a.answered, a.answer
    assert any(expected in c.quote for c in a.citations), [c.quote for c in a.citations]
    for c in a.citations:
        assert seed_app.index.document_text(c.doc)[c.char_start : c.char_end] == c.quote


@pytest.mark.parametrize("question", REFUSE)
def test_off_topic_questions_are_refused(seed_app, question):
    a = seed_app.ask(question)
    assert not a.answered and a.citations == []


def test_answer_inside_the_glued_paragraph(seed_app):
    a = seed_app.ask("Ai là Chủ tịch Liên đoàn Công nghiệp bang Rio de Janeiro (FIRJAN)?")
    assert a.answered, a.answer
    named = [c for c in a.citations if c.doc == "003_a6de01ab2ae2bfda.txt" and "Luiz Césio Caetano" in c.quote]
    assert named, [
        (c.doc, c.quote) for c in a.citations
    ]  # the chairman's name, quoted from inside the 6,600-character line
    for c in named:
        assert seed_app.index.document_text(c.doc)[c.char_start : c.char_end] == c.quote


# refusal by score: no named entity to miss, only the answerability model can refuse these
OFF_TOPIC_NO_ENTITY = [
    pytest.param(
        "Công thức nấu phở bò gồm những gì?",
        marks=pytest.mark.xfail(
            strict=True,
            reason=(
                "answerability model (answerability.json, threshold .15): a cooking question over the seed corpus gets "
                "p = .167 (dense .814: the seeds' food-export paragraphs are near-topic for the model), just above the "
                "threshold; the retrieval features cannot tell a near-topic question from an answerable one"
            ),
        ),
    ),
    pytest.param(
        "How is sourdough bread baked at home?",
        marks=pytest.mark.xfail(
            strict=True,
            reason=(
                "answerability model: the `cross` feature adds +3.3 to the logit of every question that crosses languages, "
                "whatever its similarity, so an English off-topic question (dense .769) gets p = .36 and is answered; "
                "a dense x cross interaction feature was fitted (session 4) and learned the same allowance (+3.5 x dense): "
                "the development sets hold too few cross-lingual off-topic questions to learn otherwise"
            ),
        ),
    ),
    "Hur lång är en giraff?",
]


@pytest.fixture
def evidence_seen(monkeypatch):
    """The Evidence each ask() hands to answer.answerability (the refusal decision), in order."""
    from assistant import answer as answer_mod

    seen = []
    real = answer_mod.answerability

    def spy(ev, *a, **kw):
        seen.append(ev)
        return real(ev, *a, **kw)

    monkeypatch.setattr(answer_mod, "answerability", spy)
    return seen


@pytest.mark.parametrize("question", OFF_TOPIC_NO_ENTITY)
def test_off_topic_questions_without_a_named_entity_are_refused_by_the_model(seed_app, evidence_seen, question):
    from assistant.refusal import REFUSALS, question_language
    from assistant.support import answerability_model, entities

    assert entities(question) == [] and entities(question, cross_lingual=True) == []
    assert seed_app.settings.min_score is None  # the default: the fitted model decides
    a = seed_app.ask(question)
    assert not a.answered and a.citations == [], a.answer
    assert a.answer == REFUSALS[question_language(question)]
    model = answerability_model()
    assert len(evidence_seen) == 1
    assert model.probability(evidence_seen[0].features) < model.threshold, evidence_seen[0].features


@pytest.mark.parametrize("question", ["Đại sứ EU tại Việt Nam là ai?", "Who is the EU ambassador to Vietnam?"])
def test_the_ambassador_is_answered_by_the_model_with_default_settings(seed_app, evidence_seen, question):
    from assistant.support import answerability_model

    assert seed_app.settings.min_score is None
    a = seed_app.ask(question)
    assert a.answered and a.mode == "extractive", a.answer
    assert "Julien Guerrier" in a.answer and any("Julien Guerrier" in c.quote for c in a.citations)
    model = answerability_model()
    assert len(evidence_seen) == 1
    assert model.probability(evidence_seen[0].features) >= model.threshold, evidence_seen[0].features


def test_the_refusal_is_decided_on_the_plain_ranking_the_bonus_only_chooses_the_quote(seed_app, evidence_seen):
    """A Swedish question over the Vietnamese seeds: the bonus quotes the Vietnamese article, and the
    refusal model sees the features of the plain ranking (top hit in the question's language)."""
    from assistant.retrieve import retrieve

    q = "Hur mycket väntas Vietnams textilexport uppgå till för hela året 2025?"
    a = seed_app.ask(q)
    assert a.answered and any("48 tỷ USD" in c.quote for c in a.citations), a.answer
    s = seed_app.settings
    plain = retrieve(
        q, seed_app.embedder, seed_app.index, "hybrid", (s.dense_weight, s.dense_weight_other), s.top_k, bonus=0.0
    )
    ev = evidence_seen[0]
    assert seed_app.index.doc_meta[plain[0].chunk.doc].lang == "sv" and ev.features["cross"] == 0.0
    assert seed_app.index.doc_meta[ev.hits[0].chunk.doc].lang == "vi"  # what is quoted comes from the bonused ranking


def test_a_question_about_brazil_never_quotes_the_algeria_trade_figure(seed_app):
    """The seeds hold no Vietnam - Brazil trade figure, and the Algeria one was quoted for it."""
    a = seed_app.ask("Kim ngạch thương mại giữa Việt Nam và Brazil năm 2024 là bao nhiêu?")
    assert not any("Algeria" in c.quote for c in a.citations), [c.quote for c in a.citations]


def test_a_population_is_answered_only_with_a_number_of_people(seed_app):
    """The seeds give Vietnam's population, not Japan's: "What is the population of Japan?" was answered with
    the number of Vietnamese firms and IT engineers working in Japan (extractive.POPULATION)."""
    assert not seed_app.ask("What is the population of Japan?").answered
    a = seed_app.ask("Dân số Việt Nam là bao nhiêu?")
    assert a.answered and "100 triệu người" in a.citations[0].quote, [c.quote for c in a.citations]


def test_who_holds_an_office_is_answered_only_with_a_person(seed_app):
    """No seed names Japan's ambassador to Vietnam; the caption of the Tokyo delegates was quoted for it."""
    assert not seed_app.ask("Đại sứ Nhật Bản tại Việt Nam là ai?").answered
    a = seed_app.ask("Ai là Đại sứ Liên minh Châu Âu tại Việt Nam?")
    assert a.answered and any("Guerrier" in c.quote for c in a.citations), [c.quote for c in a.citations]
