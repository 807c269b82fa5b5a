"""The refusal decision (`answer.answerable`) on hand-built evidence: the answerability model's
threshold, the `min_score` support rule, lexical mode's coverage rule, named entities (pure, fast).

The committed model (assistant/answerability.json) is re-fitted from time to time: nothing here
hard-codes its numbers; the operating point is read from `answerability_model()`.
"""

from __future__ import annotations

import json
import math

import pytest

from assistant import answer as answer_mod
from assistant.answer import LEXICAL_COVERAGE, Evidence, answerability, answerable
from assistant.extractive import Candidate
from assistant.support import (
    FEATURES,
    AnswerabilityModel,
    answerability_model,
    conflicting_years,
    content_terms,
    coverage,
    document_languages,
    entities,
    missing_entities,
    spelled_out,
    support,
    vietnamese_name,
    years,
)
from assistant.types import Hit
from tests.support.values import hit

AMBASSADOR_VI = "Đại sứ Liên minh châu Âu tại Việt Nam là ông Julien Guerrier."
# no named entity: only the score can refuse it
PLAIN_Q = "What was the budget of the digital programme?"
PLAIN_PASSAGE = "The budget of the digital programme was 30 million euros, the ministry said."
EPS = 1e-6


def features(**kw: float) -> dict[str, float]:
    """A feature vector of the model's names: zeros, bias 1, anchors 1 (no names asked), then kw."""
    f = {k: 0.0 for k in FEATURES}
    f.update(bias=1.0, anchors=1.0)
    f.update(kw)
    return f


def evidence(
    hits: list[Hit], feats: dict[str, float] | None = None, *, lang: str = "en", cross: bool = False
) -> Evidence:
    """Evidence over these hits, each hit's whole text one candidate sentence, all of them chosen."""
    cands = [Candidate(h, i, 0, len(h.chunk.text)) for i, h in enumerate(hits)]
    return Evidence(lang, None, hits, cands, cands, feats if feats is not None else features(), cross)


def at_threshold(model: AnswerabilityModel, base: dict[str, float], name: str) -> float:
    """The value of feature `name` at which the model's probability equals its threshold (others from base)."""
    w = model.weights.get(name, 0.0)
    assert w > 0, f"the model has no positive weight on {name!r}: {model.weights}"
    t = min(
        max(model.threshold, 1e-9), 1.0 - 1e-9
    )  # a broken threshold is test_the_committed_model_file_is_well_formed's to report
    z_star = math.log(t / (1.0 - t))
    z_rest = sum(model.weights.get(k, 0.0) * base.get(k, 0.0) for k in FEATURES if k != name)
    return (z_star - z_rest) / w


def far_above(**kw: float) -> dict[str, float]:
    """Features the model answers whatever its fitted weights: dense well past the threshold point."""
    model = answerability_model()
    base = features(**kw)
    return features(**{**kw, "dense": at_threshold(model, base, "dense") + 1.0})


def far_below(**kw: float) -> dict[str, float]:
    model = answerability_model()
    base = features(**kw)
    return features(**{**kw, "dense": at_threshold(model, base, "dense") - 1.0})


# ---------------------------------------------------------------- the answerability model (default)


@pytest.mark.parametrize(
    "base",
    [features(), features(coverage=0.5, sentence_coverage=0.5, kind_match=1.0), features(cross=1.0, margin=0.05)],
)
def test_the_model_threshold_decides_just_below_and_just_above(base):
    model = answerability_model()
    x = at_threshold(model, base, "dense")
    below, above = features(**{**base, "dense": x - 1e-3}), features(**{**base, "dense": x + 1e-3})
    assert model.probability(below) < model.threshold <= model.probability(above)
    hits = [hit(PLAIN_PASSAGE, dense=0.5)]
    assert not answerable(evidence(hits, below), PLAIN_Q, "hybrid", None)
    assert answerable(evidence(hits, above), PLAIN_Q, "hybrid", None)
    assert not answerable(evidence(hits, below), PLAIN_Q, "dense", None)
    assert answerable(evidence(hits, above), PLAIN_Q, "dense", None)


def test_with_the_default_settings_a_weak_evidence_is_refused_and_a_strong_one_answered():
    """The ends of the scale (a broken threshold, e.g. 0 or 1, fails one of them)."""
    hits = [hit(PLAIN_PASSAGE)]
    weak = features(dense=0.0, sentence=0.0)
    strong = features(dense=1.0, sentence=1.0, coverage=1.0, sentence_coverage=1.0, kind_match=1.0, margin=0.3)
    assert not answerable(evidence(hits, weak), PLAIN_Q, "hybrid", None)
    assert answerable(evidence(hits, strong), PLAIN_Q, "hybrid", None)


def test_the_hits_dense_scores_do_not_bypass_the_model():
    """By default only the features count: a passage with a perfect cosine but refusing features is refused."""
    model = answerability_model()
    below = features(dense=at_threshold(model, features(), "dense") - 1e-3)
    assert not answerable(evidence([hit(PLAIN_PASSAGE, dense=1.0)], below), PLAIN_Q, "hybrid", None)


@pytest.mark.parametrize("name", ["dense", "sentence"])
def test_the_committed_model_is_monotone_in_dense_and_sentence(name):
    model = answerability_model()
    assert model.weights.get(name, 0.0) >= 0.0, model.weights
    for base in (features(), features(coverage=1.0, kind_match=1.0), features(cross=1.0)):
        ps = [model.probability({**base, name: v / 20}) for v in range(0, 21)]
        assert ps == sorted(ps), (name, ps)
    assert model.weights.get("dense", 0.0) > 0.0  # a better passage must be able to change the decision


def test_the_committed_model_file_is_well_formed():
    model = answerability_model()
    assert set(model.weights) <= set(FEATURES), model.weights
    assert 0.0 < model.threshold < 1.0
    assert all(math.isfinite(w) for w in model.weights.values())


def test_probability_is_a_logistic_of_the_weighted_features():
    m = AnswerabilityModel({"dense": 2.0, "bias": -1.0, "unknown": 100.0}, 0.5, {})
    assert m.probability({"dense": 0.5, "bias": 1.0}) == pytest.approx(0.5)
    assert m.probability({"dense": 1.0, "bias": 1.0}) == pytest.approx(1 / (1 + math.exp(-1)))
    assert m.probability({"dense": 1e9, "bias": 1.0}) == pytest.approx(1.0)  # clamped, no OverflowError
    assert m.probability({"dense": -1e9, "bias": 1.0}) == pytest.approx(0.0)


@pytest.mark.parametrize(
    "content",
    [
        None,
        "",
        "{not json",
        json.dumps({"threshold": 0.5}),
        json.dumps({"weights": {"dense": 1.0}}),
        json.dumps({"weights": [1, 2], "threshold": 0.5}),
        json.dumps({"weights": {}, "threshold": "high"}),
        "[]",
    ],
    ids=["missing", "empty", "corrupt", "no-weights", "no-threshold", "weights-list", "threshold-text", "a-list"],
)
def test_a_missing_or_corrupt_model_file_is_an_actionable_error(tmp_path, content):
    path = tmp_path / "answerability.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(RuntimeError) as e:
        answerability_model.__wrapped__(path)
    msg = str(e.value)
    assert str(path) in msg and "missing or unreadable" in msg and "pip install -e ." in msg


def test_a_broken_model_file_stops_the_answer_instead_of_answering(tmp_path, monkeypatch):
    broken = tmp_path / "x.json"
    monkeypatch.setattr(answer_mod, "answerability_model", lambda: answerability_model.__wrapped__(broken))
    with pytest.raises(RuntimeError, match="reinstall the package"):
        answerable(evidence([hit(PLAIN_PASSAGE)], features(dense=1.0)), PLAIN_Q, "hybrid", None)
    # min_score set or lexical mode never need the model
    assert answerable(evidence([hit(PLAIN_PASSAGE)]), PLAIN_Q, "hybrid", 0.0)
    assert answerable(evidence([hit(PLAIN_PASSAGE, dense=None)]), PLAIN_Q, "lexical", None)


def test_a_valid_model_file_loads(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps({"weights": {"dense": 3.0, "bias": -2.0}, "threshold": 0.4, "about": {"note": "x"}}),
        encoding="utf-8",
    )
    m = answerability_model.__wrapped__(path)
    assert m == AnswerabilityModel({"dense": 3.0, "bias": -2.0}, 0.4, {"note": "x"})


# ---------------------------------------------------------------- min_score: the support rule


def test_min_score_uses_the_best_support_of_all_hits_just_below_and_above():
    hits = [
        hit("Nothing relevant here.", dense=0.30, n=1),
        hit(PLAIN_PASSAGE, dense=0.60, n=2),
        hit("Other text.", dense=0.10, n=3),
    ]
    best = max(support(PLAIN_Q, h) for h in hits)
    assert best == pytest.approx(0.60 + 0.15 * coverage(PLAIN_Q, PLAIN_PASSAGE)) and best > support(PLAIN_Q, hits[0])
    refusing = far_below()  # the model would refuse: min_score must replace it
    assert answerable(evidence(hits, refusing), PLAIN_Q, "hybrid", best - EPS)
    assert not answerable(evidence(hits, refusing), PLAIN_Q, "hybrid", best + EPS)
    answering = far_above()
    assert not answerable(evidence(hits, answering), PLAIN_Q, "hybrid", best + EPS)  # the model is not consulted


def test_min_score_counts_term_coverage_and_treats_a_missing_dense_score_as_zero():
    h = hit(PLAIN_PASSAGE, dense=None)
    cov = coverage(PLAIN_Q, PLAIN_PASSAGE)
    assert cov > 0.5
    assert answerable(evidence([h]), PLAIN_Q, "hybrid", 0.15 * cov - EPS)
    assert not answerable(evidence([h]), PLAIN_Q, "hybrid", 0.15 * cov + EPS)


def test_min_score_zero_answers_any_nonnegative_support():
    assert answerable(evidence([hit("Unrelated words entirely.", dense=0.0)]), PLAIN_Q, "hybrid", 0.0)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_min_score_infinity_always_refuses(mode):
    strong = far_above()
    assert not answerable(evidence([hit(PLAIN_PASSAGE, dense=1.0)], strong), PLAIN_Q, mode, math.inf)
    assert not answerable(evidence([hit(PLAIN_Q, dense=1.0)], strong), PLAIN_Q, mode, math.inf)


@pytest.mark.parametrize("mode,min_score", [("hybrid", None), ("hybrid", 0.0), ("dense", -10.0), ("lexical", None)])
def test_no_hits_refuses(mode, min_score):
    strong = far_above()
    assert not answerable(evidence([], strong), PLAIN_Q, mode, min_score)


# ---------------------------------------------------------------- lexical mode: term coverage


LEX_Q = "budget digital programme ministry"  # four content terms


def test_lexical_mode_coverage_rule_at_the_boundary():
    assert len(content_terms(LEX_Q)) == 4 and LEXICAL_COVERAGE == pytest.approx(0.5)
    half = hit("The budget of the digital plan.", dense=None)  # 2 of 4
    quarter = hit("The budget was approved.", dense=None)  # 1 of 4
    assert coverage(LEX_Q, half.chunk.text) == pytest.approx(LEXICAL_COVERAGE)
    assert coverage(LEX_Q, quarter.chunk.text) < LEXICAL_COVERAGE
    assert answerable(evidence([half]), LEX_Q, "lexical", None)
    assert not answerable(evidence([quarter]), LEX_Q, "lexical", None)


def test_lexical_mode_looks_at_the_first_hit_and_ignores_the_model():
    weak = far_below()
    full = hit("budget digital programme ministry", dense=None, n=2)
    low = hit("The budget was approved.", dense=None, n=1)
    assert answerable(evidence([full, low], weak), LEX_Q, "lexical", None)  # the model would refuse these features
    assert not answerable(
        evidence([low, full], weak), LEX_Q, "lexical", None
    )  # the rule is on the best (first) passage


# ---------------------------------------------------------------- named entities


@pytest.mark.parametrize(
    "mode,min_score", [("hybrid", None), ("hybrid", 0.0), ("hybrid", -10.0), ("dense", None), ("lexical", None)]
)
def test_a_missing_named_entity_refuses_even_with_a_high_score(mode, min_score):
    q = "Who is the Korean ambassador to Vietnam?"
    passage = "The EU ambassador to Vietnam met the minister."  # every word of the question but the entity
    strong = far_above()
    assert not answerable(evidence([hit(passage, dense=1.0)], strong), q, mode, min_score)
    # the same evidence with the entity present is answered: the entity is what refused it
    assert answerable(
        evidence([hit(passage + " So did the Korean ambassador, Mr Park.", dense=1.0)], strong), q, mode, min_score
    )


def test_the_decision_says_how_it_was_taken():
    """answerability() is what `assistant eval` draws the refusal curve from: the model's probability and
    threshold, or the rule that replaced it, and the checks apart from the score."""
    q = "Who is the Korean ambassador to Vietnam?"
    passage = "The EU ambassador to Vietnam met the minister."
    strong = far_above()
    model = answerability_model()
    d = answerability(evidence([hit(passage, dense=1.0)], strong), q, "hybrid", None)
    assert d is not None and (d.method, d.threshold) == ("model", model.threshold)
    assert d.score == pytest.approx(model.probability(strong)) and d.score >= d.threshold
    assert not d.checks and not d.passed  # the score passes, the missing entity refuses
    ok = answerability(
        evidence([hit(passage + " So did the Korean ambassador, Mr Park.", dense=1.0)], strong), q, "hybrid", None
    )
    assert ok is not None and ok.checks and ok.passed
    s = answerability(evidence([hit(PLAIN_PASSAGE, dense=0.5)]), PLAIN_Q, "hybrid", 0.2)
    assert (
        s is not None
        and (s.method, s.threshold) == ("support", 0.2)
        and s.score == pytest.approx(support(PLAIN_Q, hit(PLAIN_PASSAGE, dense=0.5)))
    )
    lx = answerability(evidence([hit(PLAIN_PASSAGE, dense=None)]), PLAIN_Q, "lexical", None)
    assert lx is not None and (lx.method, lx.threshold) == ("coverage", LEXICAL_COVERAGE)
    assert answerability(evidence([]), PLAIN_Q, "hybrid", None) is None
    assert answerability(evidence([hit(PLAIN_PASSAGE)]), PLAIN_Q, "hybrid", math.inf) is None


def test_an_acronym_is_present_where_the_passage_writes_it_out():
    """UBND is how Vietnamese writes "Ủy ban Nhân dân" (People's Committee) short; MOU is "Memorandum of
    Understanding". A caption naming "Phó Chủ tịch Ủy ban Nhân dân TP HCM" answers a question about UBND."""
    q = "Lãnh đạo nào của UBND TP HCM xuất hiện trong ảnh?"
    caption = "Từ trái qua: ông Nguyễn Lộc Hà, Phó Chủ tịch Ủy ban Nhân dân TP HCM. Ảnh: D4D hub"
    assert missing_entities(q, [caption]) == []
    assert missing_entities(q, ["Từ trái qua: ông Nguyễn Lộc Hà, Phó Chủ tịch TP HCM."]) == ["ubnd"]
    assert spelled_out("khcn", "Bộ Khoa học và Công nghệ")  # linking words skipped
    assert spelled_out("mou", "They signed a Memorandum of Understanding.")
    # lower-case syllables that happen to start with the letters are no spelling-out
    assert not spelled_out("mou", "một ông út") and not spelled_out("ubnd", "ủy ban nhân dân")


def test_the_entity_may_be_in_any_hit_not_only_the_best():
    q = "Who is the Korean ambassador to Vietnam?"
    strong = far_above()
    hits = [
        hit("The ambassador to Vietnam, Park Noh Wan, met the minister.", dense=1.0, n=1),  # a person: asked for
        hit("Hàn Quốc là đối tác lớn.", dense=0.2, n=2),
    ]
    assert answerable(evidence(hits, strong), q, "hybrid", None)  # Hàn Quốc is Korea's alias


def test_across_languages_only_name_shaped_entities_are_required():
    """The cross flag of the evidence (question not in the best passage's language) relaxes the check:
    a translated event name need not occur verbatim, a brand name must."""
    strong = far_above(cross=1.0, kind_match=1.0)
    vi = [hit("Ngày Nghiên cứu và Đổi mới sáng tạo EU - Việt Nam sẽ tổ chức ngày 27 và 28/10.", dense=1.0)]
    q = "When is the Research and Innovation Day?"
    assert entities(q)  # a title-cased name when in the same language
    assert answerable(evidence(vi, strong, cross=True), q, "hybrid", None)
    assert not answerable(evidence(vi, strong, cross=False), q, "hybrid", None)
    brand = "How many cars did VinFast sell in Vietnam?"
    assert not answerable(evidence(vi, strong, cross=True), brand, "hybrid", None)


def test_the_ambassador_question_with_its_name_present_is_answered_by_score_alone():
    model = answerability_model()
    q = "Đại sứ Liên minh châu Âu tại Việt Nam là ai?"
    x = at_threshold(model, features(), "dense")
    hits = [hit(AMBASSADOR_VI, dense=0.9)]
    assert answerable(evidence(hits, features(dense=x + 1e-3), lang="vi"), q, "hybrid", None)
    assert not answerable(evidence(hits, features(dense=x - 1e-3), lang="vi"), q, "hybrid", None)


@pytest.mark.parametrize(
    "q",
    [
        "Vem är Koreas ambassadör i Vietnam?",
        "Vem är Japans ambassadör i Vietnam?",
        "Vem är Frankrikes ambassadör i Vietnam?",
    ],
)
def test_a_swedish_genitive_country_is_still_required_across_languages(q):
    vi = [hit(AMBASSADOR_VI, dense=1.0)]
    assert not answerable(evidence(vi, far_above(cross=1.0), lang="sv", cross=True), q, "hybrid", None)


def test_the_english_possessive_keeps_the_country_across_languages():
    vi = [hit(AMBASSADOR_VI, dense=1.0)]
    q = "Who is Korea's ambassador to Vietnam?"
    assert not answerable(evidence(vi, far_above(cross=1.0), cross=True), q, "hybrid", None)
    assert not answerable(evidence(vi, far_above(), cross=False), q, "hybrid", 0.0)


def test_the_pronoun_i_is_not_a_named_entity():
    q = "How can I apply for the EU scholarship?"
    en = [hit("Applicants can apply for the EU scholarship online before 30 June.", dense=1.0)]
    assert answerable(evidence(en, far_above()), q, "hybrid", None)


# ---------------------------------------------------------------- years and names the passages contradict


def test_a_year_the_passages_do_not_name_refuses_when_they_name_other_years():
    q = "How much did Vietnam's textile exports reach in the first eight months of 2024?"
    strong = far_above()
    other_year = [hit("Trong 8 tháng đầu năm 2025, kim ngạch xuất khẩu dệt may Việt Nam đạt 30,7 tỷ USD.", dense=1.0)]
    assert not answerable(evidence(other_year, strong), q, "hybrid", None)
    both = [hit("Trong 8 tháng đầu năm 2025, dệt may Việt Nam đạt 30,7 tỷ USD, tăng so với năm 2024.", dense=1.0)]
    assert answerable(evidence(both, strong), q, "hybrid", None)
    # no year at all in the passages: the year is often implied ("mùa giải", "năm nay"), no conflict
    undated = [hit("Trong 8 tháng đầu năm, kim ngạch xuất khẩu dệt may Việt Nam đạt 30,7 tỷ USD.", dense=1.0)]
    assert answerable(evidence(undated, strong), q, "hybrid", None)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("năm 2024 và 2025", {"2024", "2025"}),
        ("1.2024 tỷ", set()),
        ("20245", set()),
        ("1499 hay 1500", {"1500"}),
        ("ngày 27/10/2025", {"2025"}),
    ],
)
def test_years_are_four_digit_years_not_parts_of_other_numbers(text, expected):
    assert years(text) == expected


def test_conflicting_years_lists_only_the_missing_ones():
    assert conflicting_years("Từ 2020 đến 2024?", ["năm 2020 và 2023"]) == ["2024"]
    assert conflicting_years("Năm 2024?", []) == []
    assert conflicting_years("Không có năm?", ["năm 2025"]) == []


def test_a_vietnamese_name_without_its_marks_must_be_found_whole_across_languages():
    """ "Da Nang" in an English question is "Đà Nẵng": "da" alone (đã, "already") is in every passage."""
    strong = far_above(cross=1.0)
    ninh_binh = [
        hit("Diễn đàn Hợp tác Số EU - Việt Nam đã được tổ chức tại Ninh Bình ngày 27/10, nẵng lòng.", dense=1.0)
    ]
    q = "On what date is the EU-Vietnam Digital Cooperation Forum held in Da Nang?"
    assert {"da nang"} in entities(q, cross_lingual=True)
    assert not answerable(evidence(ninh_binh, strong, cross=True), q, "hybrid", None)
    da_nang = [hit("Diễn đàn Hợp tác Số EU - Việt Nam được tổ chức tại Đà Nẵng ngày 27/10.", dense=1.0)]
    assert answerable(evidence(da_nang, strong, cross=True), q, "hybrid", None)


@pytest.mark.parametrize(
    "run,expected",
    [
        ("da nang", True),
        ("nguyen chi dung", True),
        ("bui the duy", True),
        ("research innovation", False),
        ("ninh", False),
        ("a b c d e", False),
    ],
)
def test_vietnamese_name_shape(run, expected):
    assert vietnamese_name(run) is expected


def test_in_a_vietnamese_question_any_word_of_a_name_still_counts():
    # "Đảng Cách mạng Nhân dân" is also written "Đảng Nhân dân Cách mạng": whole-phrase matching refused it
    q = "Kể từ năm nào thì Đảng Cách mạng Nhân dân Mông Cổ đổi tên?"
    p = [hit("Đảng Nhân dân Cách mạng Mông Cổ đổi tên năm 2010.", dense=1.0)]
    assert answerable(evidence(p, far_above(), lang="vi"), q, "hybrid", None)


def test_a_two_syllable_vietnamese_name_must_be_found_whole():
    """Seen on the page: "Việt Nam và Phần Lan hợp tác trong những lĩnh vực nào?" was answered with an
    EU - Vietnam sentence: no seed names Finland, but "phần" and "lan" are common syllables ("một phần",
    "lan tỏa"). A name of two syllables counts whole; longer ones keep any word (the test above)."""
    q = "Việt Nam và Phần Lan hợp tác trong những lĩnh vực nào?"
    p = [hit("EU và Việt Nam hợp tác trong nhiều lĩnh vực, một phần nhờ tinh thần lan tỏa.", dense=1.0)]
    assert not answerable(evidence(p, far_above(), lang="vi"), q, "hybrid", None)
    named = [hit("Việt Nam và Phần Lan hợp tác trong lĩnh vực giáo dục.", dense=1.0)]
    assert answerable(evidence(named, far_above(), lang="vi"), q, "hybrid", None)


def test_the_language_named_for_a_document_is_present_when_a_hit_is_in_that_language():
    """ "the Swedish-language article" need not name Sweden; "the Swedish ambassador" must."""
    q = "What is the source of the Swedish-language article on AI governance?"
    sv = [hit("Källa: https://mst.gov.vn/ai-styrning", dense=1.0)]
    strong = far_above(cross=1.0)
    swedish_docs = Evidence("en", None, sv, [], [], strong, True, frozenset({"sv"}))
    assert answerable(swedish_docs, q, "hybrid", None)
    vietnamese_docs = Evidence("en", None, sv, [], [], strong, True, frozenset({"vi"}))
    assert not answerable(vietnamese_docs, q, "hybrid", None)
    assert not answerable(swedish_docs, "Who is the Swedish ambassador to Vietnam?", "hybrid", None)
    assert (
        document_languages("Bài báo tiếng Việt về AI?") == {"vi"}
        and document_languages("Vem är Sveriges ambassadör?") == set()
    )


def test_an_english_demonym_names_its_country():
    """ "the Australian minister" asks about Australia: refused over passages that do not name it."""
    q = "What did the Australian minister say at the forum in Ninh Binh?"
    strong = far_above(cross=1.0)
    forum = [hit("Bộ trưởng Bộ Khoa học và Công nghệ phát biểu tại diễn đàn ở Ninh Bình.", dense=1.0)]
    assert not answerable(evidence(forum, strong, cross=True), q, "hybrid", None)


@pytest.mark.parametrize(
    "q,passage",
    [("What did the Russian president say?", "Tổng thống Nga phát biểu tại Ninh Bình."),
     ("What did the Australian minister say?", "Bộ trưởng Úc phát biểu tại Ninh Bình."),
     ("What did the French ambassador say?", "Đại sứ Pháp phát biểu tại Ninh Bình.")],
)  # fmt: skip
def test_a_country_named_by_its_one_syllable_vietnamese_name_is_present(q, passage):
    """Nga, Úc, Pháp are left out of the alias table (folded they collide with ngã, úc, pháp lý) but, as
    written, they name the country: an English question about Russia is answered from "Tổng thống Nga"."""
    strong = far_above(cross=1.0)
    assert answerable(evidence([hit(passage, dense=1.0)], strong, cross=True), q, "hybrid", None)
    assert not answerable(
        evidence([hit(passage.lower(), dense=1.0)], strong, cross=True), q, "hybrid", None
    )  # "nga" is no name
