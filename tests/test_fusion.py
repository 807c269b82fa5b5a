import pytest

from assistant.retrieve import fuse


def test_fusion_weights_both_signals():
    dense = [("a", 0.90), ("c", 0.88), ("b", 0.85)]
    lexical = [("c", 12.0), ("b", 6.0)]
    got = fuse(dense, lexical, 0.5)
    assert [r[0] for r in got] == ["c", "a", "b"]  # strong on both beats best on one


def test_dense_weight_one_is_dense_order():
    dense = [("a", 0.9), ("b", 0.8)]
    lexical = [("b", 10.0), ("z", 9.0)]
    assert [r[0] for r in fuse(dense, lexical, 1.0)][:2] == ["a", "b"]


def test_dense_weight_zero_is_lexical_order():
    dense = [("a", 0.9), ("b", 0.8)]
    lexical = [("b", 10.0), ("z", 9.0)]
    assert [r[0] for r in fuse(dense, lexical, 0.0)][:2] == ["b", "z"]


def test_one_side_empty_uses_the_other():
    assert [r[0] for r in fuse([], [("x", 3.0), ("y", 1.0)], 0.7)] == ["x", "y"]
    assert [r[0] for r in fuse([("x", 0.5), ("y", 0.9)], [], 0.7)] == ["y", "x"]
    assert fuse([], [], 0.7) == []


def test_raw_scores_are_kept():
    got = {r[0]: r for r in fuse([("a", 0.9)], [("b", 2.0)], 0.5)}
    assert got["a"][2] == 0.9 and got["a"][3] is None
    assert got["b"][2] is None and got["b"][3] == 2.0


def test_the_cross_language_bonus_ranks_other_language_texts_up_by_a_constant():
    from assistant.retrieve import cross_language_bonus

    scored = [("vi-near-topic", 0.88), ("sv-answer", 0.86), ("vi-other", 0.80)]
    got = cross_language_bonus(scored, [False, True, False], bonus=0.04)
    assert [i for i, _ in got] == ["sv-answer", "vi-near-topic", "vi-other"]
    assert dict(got)["sv-answer"] == 0.86 + 0.04 and dict(got)["vi-near-topic"] == 0.88
    # every text in another language (an English question over Vietnamese and German): the order is the model's
    assert [i for i, _ in cross_language_bonus(scored, [True, True, True], bonus=0.04)] == [i for i, _ in scored]
    assert cross_language_bonus(scored, [False, True, False], bonus=0.0) == scored


@pytest.mark.parametrize(
    "question,doc,expected",
    [("vi", "sv", True), ("sv", "vi", True), ("en", "vi", True), ("en", "", True), ("vi", "en", True),
     ("en", "sv", False), ("en", "de", False), ("sv", "en", False), ("vi", "vi", False), ("vi", "", False), ("sv", "sv", False)],
)  # fmt: skip
def test_the_bonus_lifts_across_the_vietnamese_latin_line_only(question, doc, expected):
    """An English question shares script and names with Swedish or German text: no lift for those."""
    from assistant.retrieve import lifted

    assert lifted(question, doc) is expected


def test_featurize_marks_the_lifted_sentences_not_every_other_language():
    from assistant.extractive import Candidate, featurize
    from assistant.types import Chunk, Hit

    h = Hit(Chunk("c", "d.txt", 1, 0, 10, "Ett svar."), 1.0, dense=0.8)
    cands = [Candidate(h, 0, 0, 9), Candidate(h, 0, 0, 9), Candidate(h, 0, 0, 9)]
    featurize("What is it?", cands, None, [True, False, False], [False, False, True])
    assert [c.cross for c in cands] == [0.0, 0.0, 1.0]
    featurize("What is it?", cands, None, [True, False, False])  # no lift given: every other language
    assert [c.cross for c in cands] == [0.0, 1.0, 1.0]


def test_the_bonus_ranks_sentences_but_the_reported_cosine_stays_raw():
    from assistant.extractive import Candidate, score
    from assistant.retrieve import CROSS_LANGUAGE_BONUS
    from assistant.types import Chunk, Hit

    h = Hit(Chunk("c", "d.txt", 1, 0, 10, "Ett svar."), 1.0, dense=0.8)
    same = Candidate(h, 0, 0, 9, sim=0.80)
    other = Candidate(h, 0, 0, 9, sim=0.80, cross=1.0)
    assert CROSS_LANGUAGE_BONUS > 0
    assert score(other) == pytest.approx(score(same) + CROSS_LANGUAGE_BONUS) and other.sim == same.sim == 0.80


def test_hits_report_the_raw_cosine_and_the_bonus_only_reorders(tmp_path):
    """A Vietnamese question over a Vietnamese and a Swedish document: Hit.dense is the cosine the
    refusal model was fitted on, whatever the bonus did to the order."""
    from tests.support.fakes import HashEmbedder

    from assistant.app import build
    from assistant.retrieve import CANDIDATES, retrieve, with_sentences
    from assistant.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "vi.txt").write_text(
        "Hợp tác Việt Nam và EU\n\nViệt Nam và EU ký hiệp định thương mại tự do EVFTA năm 2019.\n", encoding="utf-8"
    )
    (corpus / "sv.txt").write_text(
        "Samarbete mellan Vietnam och EU\n\nVietnam och EU undertecknade frihandelsavtalet EVFTA år 2019 i Hanoi.\n",
        encoding="utf-8",
    )
    app = build(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embedder=HashEmbedder())
    app.sync()
    q = "Việt Nam và EU ký hiệp định thương mại nào?"
    qv = app.embedder.embed_queries([q])[0]
    hits = retrieve(q, app.embedder, app.index, "dense", (0.4, 0.9), 5, query_vector=qv)
    raw = dict(with_sentences(app.index.dense(qv, CANDIDATES, None), qv, app.index, app.embedder.model_id))
    assert {h.chunk.doc for h in hits} == {"vi.txt", "sv.txt"}
    for h in hits:
        assert h.dense == pytest.approx(raw[h.chunk.id])
