"""Questions about a document itself (source, publication date): answered from its metadata, quoting the
line the value was read from, verbatim and verified (fake embedder: fast)."""

from __future__ import annotations

import json

import pytest

from assistant.citations import verified
from assistant.loaders import load_document
from assistant.meta_answer import asked_fields, metadata_answer, pick_document
from assistant.metadata import meta_lines
from assistant.retrieve import retrieve
from assistant.types import Chunk, DocMeta, Hit
from tests.support import ROOT

D0, D1, D2, D3, D4 = (
    "000_b0dddf86d6f85ffe.txt", "001_42eb7389f324bfd9.txt", "002_ac641c82a5bb9970.txt",
    "003_a6de01ab2ae2bfda.txt", "004_03e94a76b2f901da.txt",
)  # fmt: skip
MST = "Källa: https://mst.gov.vn/viet-nam-eu-thuc-day-hop-tac-the-che-trong-quan-tri-ai-19725102721083656.htm"


@pytest.fixture
def synced(fake_app):
    fake_app.sync()
    return fake_app


def meta_for(app, question: str, lang: str = "vi"):
    hits = retrieve(question, app.embedder, app.index, "hybrid", 0.4, 5)
    return metadata_answer(question, lang, hits, app.index)


# --- which questions are about the document --------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "fields"),
    [
        ("Bài báo về Diễn đàn Mở rộng đầu tư số được đăng trên trang nào / ngày nào?", ["source", "date"]),
        ("Nguồn của bài báo về Diễn đàn Mở rộng đầu tư số là gì?", ["source"]),
        ("Bài viết về hợp tác chuyển đổi số Việt Nam - EU được đăng ngày nào?", ["date"]),
        ("What is the source of the article about the Vietnam-EU AI governance cooperation?", ["source"]),
        ("Which website published the article on EU-Vietnam AI governance?", ["source"]),
        ("When was the article about the Ninh Binh forum published?", ["date"]),
        ("What is the publication date of the document about the Tokyo event?", ["date"]),
        ("Vilket datum publicerades artikeln om AI-styrning?", ["date"]),
        ("Vad är källan till artikeln om AI-styrning?", ["source"]),
        # the same words about something else: not a question about the document
        ("Theo bài báo, Việt Nam đăng cai lễ ký kết nào?", []),
        ("Theo bài báo, nguồn nhân lực số được đào tạo thế nào?", []),
        ("According to the article, what is the main source of growth?", []),
        ("When was the list of strategic technologies published?", []),
        ("Diễn đàn Hợp tác Số EU - Việt Nam được tổ chức tại Ninh Bình vào ngày nào?", []),
        ("Bài báo nào được xuất bản năm 1937?", []),  # which article (of the text), not which outlet
        ("Tờ báo nào đăng bài viết về diễn đàn?", ["source"]),
    ],
)
def test_asked_fields(question, fields):
    assert asked_fields(question) == fields


def test_only_the_metadata_questions_of_the_seed_set_are_taken_for_metadata_questions():
    lines = (ROOT / "evals" / "seed.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(x) for x in lines]
    others = [q for q in questions if "metadata" not in q.get("class", "") + q.get("note", "")]
    assert len(others) >= 71
    assert [q["question"] for q in others if asked_fields(q["question"])] == []
    assert all(asked_fields(q["question"]) for q in questions if q.get("class") == "metadata")


# --- where the metadata was read ---------------------------------------------------------------------


def test_meta_lines_of_the_seeds():
    docs = {p.name: load_document(p, 50 * 2**20) for p in sorted((ROOT / "corpus").glob("*.txt"))}

    def lines(name):
        d = docs[name]
        return {k: (n, d.paragraphs[n - 1].text[s:e]) for k, (n, s, e, _) in meta_lines(d.paragraphs, d.meta).items()}

    assert lines(D0) == {"date": (1, "Thứ tư, 29/10/2025 00:00 (GMT+7)")}
    assert lines(D1) == {"source": (14, "(Nguồn: D4D Hub)")}
    assert lines(D2)["date"][0] == 1 and lines(D2)["date"][1].startswith("date 2025-10-21 Ninh Bình")
    assert lines(D3) == {}
    assert lines(D4) == {"date": (4, "Bộ Khoa học và Công nghệBộ Khoa học và Công nghệ27/10/2025"), "source": (27, MST)}


# --- answers over the seed corpus --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "lang", "doc", "paragraph", "quote"),
    [
        (
            "Bài viết về Việt Nam - EU thúc đẩy hợp tác chuyển đổi số được đăng ngày nào?",
            "vi",
            D0,
            1,
            "Thứ tư, 29/10/2025 00:00 (GMT+7)",
        ),
        ("Nguồn của bài báo về Diễn đàn Mở rộng đầu tư số là gì?", "vi", D1, 14, "(Nguồn: D4D Hub)"),
        ("What is the source of the article about the Vietnam-EU AI governance cooperation?", "en", D4, 27, MST),
        (
            "Vilket datum publicerades artikeln om AI-styrning?",
            "sv",
            D4,
            4,
            "Bộ Khoa học và Công nghệBộ Khoa học và Công nghệ27/10/2025",
        ),
    ],
)
def test_source_and_date_questions_quote_the_exact_line(synced, question, lang, doc, paragraph, quote):
    a = meta_for(synced, question, lang)
    assert a is not None and a.answered and a.mode == "extractive" and a.language == lang
    assert [(c.doc, c.paragraph, c.quote) for c in a.citations] == [(doc, paragraph, quote)]
    assert a.answer == f"{quote} [1]"
    assert verified(a.citations, synced.index) == a.citations
    text = synced.index.document_text(doc)
    c = a.citations[0]
    assert text[c.char_start : c.char_end] == quote


def test_a_question_for_both_cites_what_the_document_states(synced):
    # 001 names its source but gives no year for its date: the source alone is quoted
    a = meta_for(synced, "Bài báo về Diễn đàn Mở rộng đầu tư số được đăng trên trang nào / ngày nào?")
    assert a is not None and [(c.doc, c.paragraph, c.quote) for c in a.citations] == [(D1, 14, "(Nguồn: D4D Hub)")]


def test_a_question_that_is_not_about_the_document_is_untouched(synced):
    assert meta_for(synced, "Đại sứ Liên minh châu Âu tại Việt Nam là ai?") is None
    assert meta_for(synced, "Diễn đàn Hợp tác Số EU - Việt Nam được tổ chức tại Ninh Bình vào ngày nào?") is None


def test_a_document_without_a_date_gives_none_and_the_question_is_refused(synced):
    q = "Bài báo về Ngày chuyển đổi số Việt Nam 2025 tại Tokyo, Nhật Bản được đăng ngày nào?"
    hits = retrieve(q, synced.embedder, synced.index, "hybrid", 0.4, 5)
    assert hits[0].chunk.doc == D3  # 003 states no date (the glued article's `1 ngày trước` is no date)
    assert metadata_answer(q, "vi", hits, synced.index) is None
    # the normal answer path would quote another date of its text ("Sáng 30/5", the event's day):
    # asked when the article was published, the answer is that the documents do not say
    a = synced.ask(q, min_score=0.0)
    assert not a.answered and a.citations == [] and a.hits


def test_the_article_about_a_place_is_one_that_names_it(synced):
    """Another retrieved article's date is not the Tokyo article's, however close its title."""
    q = "Bài báo về Ngày chuyển đổi số Việt Nam 2025 tại Tokyo được đăng ngày nào?"
    hits = [_hit(D2), _hit(D3)]
    texts = {D2: "Diễn đàn Hợp tác số tại Ninh Bình", D3: "Ngày chuyển đổi số Việt Nam 2025 tại Tokyo"}
    closest_first = lambda titles: [1.0 - i / 10 for i in range(len(titles))]  # noqa: E731 - D2's title "closest"
    assert pick_document(q, hits, {}, {D2: "D2", D3: "D3"}, closest_first, texts) == D3
    assert pick_document(q, hits, {}, {D2: "D2", D3: "D3"}, closest_first) == D2  # without texts: the closest title


def test_ask_answers_a_metadata_question_through_the_pipeline(synced):
    a = synced.ask("Nguồn của bài báo về Diễn đàn Mở rộng đầu tư số là gì?", min_score=0.0)
    assert a.answered and [(c.doc, c.paragraph, c.quote) for c in a.citations] == [(D1, 14, "(Nguồn: D4D Hub)")]
    assert set(a.timings_ms) == {"retrieve", "answer", "total"} and a.hits
    assert a.to_json()["answer"] == "(Nguồn: D4D Hub) [1]"


# --- values with no line to cite, long lines, choosing the document ----------------------------------


def test_a_date_from_the_file_name_has_no_line_and_gives_none(tmp_path, settings_for):
    from tests.support.fakes import HashEmbedder

    from assistant.app import build

    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "2025-10-21-forum.txt").write_text(
        "Diễn đàn hợp tác số EU - Việt Nam tại Ninh Bình\n\nDiễn đàn bàn về trí tuệ nhân tạo và bán dẫn.\n",
        encoding="utf-8",
    )
    app = build(settings_for(corpus), embedder=HashEmbedder())
    app.sync()
    assert app.index.doc_meta["2025-10-21-forum.txt"].date == "2025-10-21"
    assert meta_for(app, "Bài báo về diễn đàn hợp tác số tại Ninh Bình được đăng ngày nào?") is None


def test_a_long_line_is_narrowed_to_the_sentence_holding_the_value(tmp_path, settings_for):
    from tests.support.fakes import HashEmbedder

    from assistant.app import build

    corpus = tmp_path / "c"
    corpus.mkdir()
    lead = "Ngày 21/10/2025 Diễn đàn hợp tác số khai mạc tại Ninh Bình."
    rest = " Các đại biểu thảo luận về trí tuệ nhân tạo, bán dẫn và dữ liệu mở cùng nhiều lĩnh vực khác." * 4
    (corpus / "a.txt").write_text(f"{lead}{rest}\n\nDiễn đàn bàn về hợp tác số.\n", encoding="utf-8")
    app = build(settings_for(corpus), embedder=HashEmbedder(max_tokens=200))
    app.sync()
    a = meta_for(app, "Bài báo về diễn đàn hợp tác số được đăng ngày nào?")
    assert a is not None and [c.quote for c in a.citations] == [lead]
    assert verified(a.citations, app.index) == a.citations


def _hit(doc: str) -> Hit:
    return Hit(Chunk(f"{doc}#1", doc, 1, 0, 10, "x"), 0.5)


def test_pick_document_prefers_a_retrieved_document_whose_title_matches():
    metas = {
        "a.txt": DocMeta(title="Việt Nam - Nhật Bản: chuyển đổi số"),
        "b.txt": DocMeta(title="Vietnam - EU främjar samarbete inom AI-styrning"),
    }
    hits = [_hit("a.txt"), _hit("b.txt")]
    assert (
        pick_document("What is the source of the article about Vietnam-EU AI governance?", hits, metas, {}) == "b.txt"
    )
    assert pick_document("When was the article published?", hits, metas, {}) == "a.txt"  # no title words: the best hit


def test_pick_document_by_the_models_similarity_of_question_and_title():
    """An English question names a Vietnamese article by a translation of its title: no shared words."""
    metas = {
        "a.txt": DocMeta(title="Vietnam - EU främjar samarbete"),
        "b.txt": DocMeta(title="Việt Nam - EU thúc đẩy hợp tác chuyển đổi số"),
    }
    hits = [_hit("a.txt"), _hit("b.txt")]
    seen: list[list[str]] = []

    def similarity(titles: list[str]) -> list[float]:
        seen.append(titles)
        return [0.80 if "främjar" in t else 0.86 for t in titles]

    q = "On what date was the article about the Vietnam-EU digital transformation partnership published?"
    assert pick_document(q, hits, metas, {}, similarity) == "b.txt"
    assert seen == [["Vietnam - EU främjar samarbete", "Việt Nam - EU thúc đẩy hợp tác chuyển đổi số"]]


def test_titles_are_compared_across_languages_with_the_retrieval_lift():
    """Seen: "Vilken källa anges för artikeln om forumet för digitala investeringar i Ho Chi Minh-staden?"
    took the Swedish article's title (nearer in script) over the Vietnamese one it names, and quoted the
    wrong source. Titles across the Vietnamese / Latin line get the retrieval's lift (+.04)."""
    metas = {
        "sv.txt": DocMeta(title="Vietnam - EU främjar samarbete inom AI-styrning", lang="sv"),
        "vi.txt": DocMeta(title='Diễn đàn quốc tế "Mở rộng đầu tư số" tại TP HCM', lang="vi"),
    }
    hits = [_hit("sv.txt"), _hit("vi.txt")]
    q = "Vilken källa anges för artikeln om forumet för digitala investeringar i Ho Chi Minh-staden?"

    def near(sv: float, vi: float):
        return lambda titles: [sv if "främjar" in t else vi for t in titles]

    assert pick_document(q, hits, metas, {}, near(0.84, 0.81)) == "vi.txt"  # .81 + .04 > .84
    assert pick_document(q, hits, metas, {}, near(0.86, 0.81)) == "sv.txt"  # beyond the lift: the nearer title
    # a Vietnamese question over the same titles: the Swedish one is lifted instead
    assert pick_document("Nguồn của bài báo về AI là gì?", hits, metas, {}, near(0.79, 0.82)) == "sv.txt"
