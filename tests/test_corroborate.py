"""Corroboration ("also in"): anchors that must agree, copies of one story, and the whole path on a real
Chroma index with the hash embedder (a syndicated copy, a copy with another figure, an unrelated text)."""

from __future__ import annotations

import json

import pytest
from tests.support.fakes import HashEmbedder

from assistant.app import build
from assistant.corroborate import agree, anchors, copies
from assistant.types import Citation, Corroboration
from tests.support import ROOT

STORY = (
    "Diễn đàn Hợp tác số EU - Việt Nam\n\n"
    "Diễn đàn Hợp tác Số EU - Việt Nam do Bộ Khoa học và Công nghệ tổ chức tại Ninh Bình ngày 27/10.\n\n"
    "Thứ trưởng Bùi Thế Duy và Đại sứ Julien Guerrier phát biểu tại diễn đàn.\n\n"
    "Chính phủ ban hành danh sách 11 công nghệ chiến lược quốc gia.\n"
)


def test_anchors_keep_figures_people_and_countries_and_leave_translated_phrases_out():
    a = anchors("Biträdande minister Bui The Duy och ambassadör Julien Guerrier: 11 teknologier, 5G/6G, 27/10.")
    assert a.figures == {"11", "27", "10"}  # 5G/6G names a thing, it is no figure
    assert {"bui the duy", "julien", "guerrier"} <= a.people
    vi = anchors("Việc Bộ KH&CN soạn thảo Luật Trí tuệ Nhân tạo với Hàn Quốc.")
    assert not vi.people  # Vietnamese capitalised phrases are translated, not kept across languages
    assert vi.countries  # Korea, in any language


@pytest.mark.parametrize(("quote", "other", "same"), [
    ("danh sách 11 công nghệ chiến lược", "en lista med 11 nationella strategiska teknologier", True),
    ("hơn 35 năm hợp tác", "30 năm thiết lập quan hệ ngoại giao", False),  # another figure
    ("ông Bùi Thế Duy đánh giá cao Đạo luật AI", "ông Serrano bày tỏ sự hài lòng về Đạo luật AI", False),  # another person
    ("Ambassadören Julien Guerrier tackade ministeriet", "Đại sứ cảm ơn Bộ", True),  # a name left out is no conflict
    ("kim ngạch thương mại với Brazil", "kim ngạch thương mại với Algeria", False),  # another country
])  # fmt: skip
def test_agree_rejects_another_figure_person_or_country(quote, other, same):
    assert agree(anchors(quote), anchors(other), other) is same


def test_copies_groups_citations_that_corroborate_each_other():
    def cit(n, doc, p, also=()):
        return Citation(
            n, doc, p, None, "q", 0, 1, 1.0, corroborated_by=[Corroboration(d, q, "vi", 0.9) for d, q in also]
        )

    cits = [cit(1, "a.txt", 2, [("b.txt", 5)]), cit(2, "c.txt", 1), cit(3, "b.txt", 5, [("a.txt", 2)])]
    assert copies(cits) == {3: 1}


@pytest.fixture
def story_app(tmp_path, settings_for):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "vnexpress.txt").write_text(STORY, encoding="utf-8")
    (corpus / "syndicated.txt").write_text("Nguồn: Báo Tin tức\n\n" + STORY, encoding="utf-8")
    (corpus / "other-figure.txt").write_text(
        STORY.replace("11 công nghệ", "12 công nghệ").replace("27/10", "28/10"), encoding="utf-8"
    )
    (corpus / "unrelated.txt").write_text(
        "Giá lúa gạo tăng mạnh trong tháng 9.\n\nXuất khẩu thủy sản đạt 1 tỷ USD.\n", encoding="utf-8"
    )
    app = build(settings_for(corpus), embedder=HashEmbedder())
    app.sync()
    return app


def test_an_answer_lists_the_copies_that_state_its_quote_and_not_a_text_with_another_figure(story_app):
    answer = story_app.ask(
        "Chính phủ ban hành danh sách bao nhiêu công nghệ chiến lược quốc gia?", filter_docs=["vnexpress.txt"]
    )
    assert answer.answered, answer.answer
    cit = answer.citations[0]
    assert "11 công nghệ" in cit.quote
    also = {(o.doc, o.paragraph) for o in cit.corroborated_by}
    assert ("syndicated.txt", 5) in also  # the same sentence, two paragraphs lower (a source line above it)
    assert not any(o.doc in ("other-figure.txt", "unrelated.txt") for o in cit.corroborated_by)
    assert all(o.lang == "vi" and o.score >= 0.93 for o in cit.corroborated_by)
    row = answer.to_json()["citations"][0]["corroborated_by"]
    assert {"doc": "syndicated.txt", "paragraph": 5, "lang": "vi", "score": row[0]["score"]} in row
    assert set(answer.timings_ms) == {"retrieve", "answer", "total"}  # corroboration is part of the answer step
    # the paragraph named is the one whose text holds the fact: "also in" is findable
    para = next(p for p in story_app.index.paragraphs("syndicated.txt") if p.n == 5)
    assert cit.quote in para.text


def test_a_quote_cited_again_is_corroborated_once_per_index_generation(story_app, monkeypatch):
    """The page's users cite the same paragraphs again and again: the second answer citing a quote reads
    its corroboration from the app's cache (the same result), and an ingest (a new generation) computes it
    anew, so a document added since is found."""
    from assistant import corroborate as corroborate_mod

    calls: list[str] = []
    real = corroborate_mod.corroborate
    monkeypatch.setattr(corroborate_mod, "corroborate", lambda c, *a, **kw: calls.append(c.doc) or real(c, *a, **kw))
    q = "Chính phủ ban hành danh sách bao nhiêu công nghệ chiến lược quốc gia?"
    first = story_app.ask(q, filter_docs=["vnexpress.txt"])
    n = len(calls)
    assert n == len(first.citations) >= 1
    again = story_app.ask(q, filter_docs=["vnexpress.txt"])
    assert len(calls) == n  # nothing compared again
    assert [c.corroborated_by for c in again.citations] == [c.corroborated_by for c in first.citations]
    again.citations[0].corroborated_by.clear()  # an answer's list is its own: the cache is not changed through it
    assert story_app.ask(q, filter_docs=["vnexpress.txt"]).citations[0].corroborated_by
    (story_app.settings.corpus_dir / "copy.txt").write_text("Bản sao\n\n" + STORY, encoding="utf-8")
    story_app.sync()
    third = story_app.ask(q, filter_docs=["vnexpress.txt"])
    assert len(calls) > n  # a new generation: computed again
    assert "copy.txt" in {o.doc for o in third.citations[0].corroborated_by}


def test_the_cache_keeps_the_most_recently_used_quotes():
    from assistant.corroborate import CorroborationCache

    cache = CorroborationCache(size=2)
    made = []
    for key in ("a", "b", "a", "c", "a", "b"):
        cache.get((key,), lambda key=key: made.append(key) or [Corroboration(key, 1, "vi", 1.0)])
    assert made == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came


def test_the_labelled_pairs_quote_the_seed_documents_verbatim():
    pairs = [
        json.loads(line)
        for line in (ROOT / "evals" / "corroboration_pairs.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(pairs) >= 30 and sum(p["same"] for p in pairs) >= 15
    for p in pairs:
        assert p["a"]["doc"] != p["b"]["doc"]
        text = (ROOT / "corpus" / p["a"]["doc"]).read_text(encoding="utf-8")
        assert p["a"]["quote"] in text, p["note"]
