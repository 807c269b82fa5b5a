"""The chat page's pure rendering and logic (no browser): escaping, citations, viewer, follow-ups, page build."""

from __future__ import annotations

import re

import gradio as gr
import pytest

from assistant.errors import AssistantError, ConfigError
from assistant.followup import followup_context, is_followup
from assistant.settings import Settings
from assistant.types import Answer, Chunk, Citation, DocMeta, DocumentRow, Hit, Paragraph, Skipped
from assistant.web.page import ChatPage, make_filter, stream_steps
from assistant.web.render import (
    esc,
    render_answer_text,
    render_library,
    render_sources,
    render_sync_report,
    render_turn,
    safe_url,
)
from assistant.web.server import auth_pair
from assistant.web.views import Target, highlight, render_document_view, render_paragraph_view
from tests.support.html_checks import assert_inert, parse

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    '"><svg onload=alert(1)>',
    "' onmouseover='alert(1)",
]
EVIL = " ".join(XSS)


def evil_answer() -> Answer:
    text = f"Ngân sách là 7 tỷ đồng {EVIL} [1] và [2]. Không phải [9]."
    doc = f"{XSS[1]}.txt"
    c1 = Citation(1, doc, 2, None, f"7 tỷ đồng {EVIL}", 10, 40, 0.9)
    c2 = Citation(2, "b.pdf", 3, 4, "second quote", 5, 17, 0.8)
    chunk = Chunk("id1", doc, 2, 0, 10, f"passage {EVIL}")
    return Answer("q", True, text, "vi", [c1, c2], "extractive", {"total": 12.0}, [Hit(chunk, 0.9)])


def test_esc_and_safe_url():
    assert esc('<a href="x">&') == "&lt;a href=&quot;x&quot;&gt;&amp;"
    assert safe_url("https://vnexpress.net/a?b=1") == "https://vnexpress.net/a?b=1"
    for bad in [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "data:text/html,x",
        'https://x" onmouseover="a',
        "vbscript:x",
    ]:
        assert safe_url(bad) is None


def test_answer_markers_become_buttons_and_text_is_escaped():
    a = evil_answer()
    metas = {a.citations[0].doc: DocMeta(title=EVIL, source="javascript:alert(1)")}
    html = render_turn(0, {"q": EVIL, "answer": a, "metas": metas})
    assert_inert(html)
    buttons = [attrs for tag, attrs in parse(html).tags if tag == "button" and attrs.get("class") == "cite"]
    assert [b["data-n"] for b in buttons] == ["1", "2"]  # [9] is not a citation: stays text
    assert "[9]" in html and all(b["data-turn"] == "0" for b in buttons)
    assert "Sources" in html and "¶2" in html and "p. 4" in html


def test_markdown_link_stays_text():
    html = render_answer_text("see [x](javascript:alert(1)) [1]", {1: ("doc", "q")}, 0)
    assert "<a" not in html and "[x](javascript:alert(1))" in html and 'data-n="1"' in html


def test_grouped_markers():
    html = render_answer_text("a [1, 2] b", {1: ("d", "x"), 2: ("d", "y")}, 3)
    assert len(re.findall(r'class="cite"', html)) == 2


def test_refused_answer_says_so_and_lists_nearest():
    chunk = Chunk("c", "a.txt", 7, 0, 5, f"nearest text {EVIL}", page=2)
    a = Answer(
        "Giá vàng?",
        False,
        "Các tài liệu không chứa câu trả lời cho câu hỏi này.",
        "vi",
        [],
        "extractive",
        {"total": 3},
        [Hit(chunk, 0.2)],
    )
    html = render_turn(1, {"q": "Giá vàng?", "answer": a, "metas": {"a.txt": DocMeta(title="Tiêu đề")}})
    assert_inert(html)
    assert "không chứa câu trả lời" in html
    # the heading in the answer's language like the refusal above it (it was "Not in the documents; đoạn …")
    assert "Không có trong tài liệu; đoạn gần nhất tìm được:" in html and "Not in the documents" not in html
    assert 'data-action="hit"' in html and "Tiêu đề · ¶7 · p. 2" in html
    assert "Sources" not in html


def test_streaming_turn_shows_cursor_and_no_sources_yet():
    a = evil_answer()
    html = render_turn(0, {"q": "q", "answer": a, "shown": a.answer[:20], "metas": {}})
    assert "cursor" in html and "Sources" not in html and "streaming" in html


def test_error_and_pending_turns():
    assert "Searching" in render_turn(0, {"q": "q", "answer": None})
    html = render_turn(0, {"q": XSS[0], "answer": None, "error": XSS[1]})
    assert_inert(html)
    assert "&lt;img" in html


def test_stream_steps_grow_to_the_full_text_without_splitting_markers():
    text = "Một hai ba bốn năm sáu bảy [1] tám chín [2]."
    steps = list(stream_steps(text, 2))
    assert steps[-1] == text and len(steps) > 3
    assert all(text.startswith(s) for s in steps)
    assert all(not re.search(r"\[\d*$", s.rstrip()) for s in steps)


PARAS_TEXT = [
    "Tiêu đề <b>",
    "Đoạn một.",
    f"Đoạn hai có trích dẫn {EVIL} ở giữa.",
    "Đoạn ba.",
    "Đoạn bốn.",
    "Đoạn năm.",
    "Đoạn sáu.",
]


def paragraphs() -> list[Paragraph]:
    out, pos = [], 0
    for i, t in enumerate(PARAS_TEXT, start=1):
        out.append(Paragraph(i, pos, pos + len(t), t, page=1 + i // 4, kind="heading" if i == 1 else "text"))
        pos += len(t) + 2
    return out


def test_paragraph_view_highlights_the_quote_with_two_neighbours_each_side():
    ps = paragraphs()
    target_p = ps[2]
    quote = f"trích dẫn {EVIL}"
    start = target_p.start + target_p.text.index(quote)
    t = Target("x<script>.txt", 3, start, start + len(quote), "[1]")
    meta = DocMeta(title=XSS[1], date="2025-10-29", source="https://vnexpress.net/x", lang="vi")
    html = render_paragraph_view(t, meta, ps)
    assert_inert(html)
    p = parse(html)
    ids = [a["id"] for tag, a in p.tags if tag == "div" and a.get("id", "").startswith("para-")]
    assert ids == ["para-1", "para-2", "para-3", "para-4", "para-5"]
    marked = re.search(r"<mark>(.*?)</mark>", html).group(1)
    assert marked == esc(quote)
    assert "¶3 of 7" in html and "page 1" in html and "2025-10-29" in html
    assert '<a href="https://vnexpress.net/x" target="_blank" rel="noopener noreferrer nofollow">' in html
    assert "2 paragraphs after" in html and 'data-action="doc"' in html


def test_paragraph_view_with_a_javascript_source_shows_it_as_text():
    ps = paragraphs()
    html = render_paragraph_view(Target("a.txt", 1), DocMeta(source="javascript:alert(1)"), ps)
    assert "<a " not in html and "javascript:alert(1)" in html
    assert "<mark>" not in html  # no quote span: nothing highlighted


def test_paragraph_view_of_a_deleted_document():
    html = render_paragraph_view(Target("<b>gone.txt", 3), None, [])
    assert "no longer in the library" in html and "&lt;b&gt;gone.txt" in html


def test_document_view_is_whole_and_marks_the_target():
    ps = paragraphs()
    t = Target("a.txt", 6, ps[5].start, ps[5].start + 4, "[2]")
    html = render_document_view(t, DocMeta(title="T"), ps)
    assert_inert(html)
    assert all(f'id="para-{i}"' in html for i in range(1, 8))
    assert html.count("<mark>") == 1 and 'class="para target" id="para-6"' in html
    assert "page 1" in html and "page 2" in html and 'data-action="passage"' in html
    small = render_document_view(t, None, ps, window=1)
    assert "4 paragraphs before" in small and "after" not in small
    assert "1 paragraph after" in render_document_view(Target("a.txt", 5), None, ps, window=1)


def test_highlight_clips_offsets():
    assert highlight("abc<", 2, 99) == "ab<mark>c&lt;</mark>"
    assert highlight("abc", 5, 9) == "abc"


def test_library_table_escapes_names_and_reasons():
    rows = [
        DocumentRow(XSS[1] + ".txt", title=EVIL, date="2025-01-01", lang="vi", paragraphs=3),
        DocumentRow("bad.pdf", status="skipped", reason="no text layer: needs OCR " + XSS[0]),
    ]
    html = render_library(rows)
    assert_inert(html)
    assert "1 indexed, 1 skipped" in html and "needs OCR" in html


def test_sync_report_rendering_escapes():
    from assistant.types import SyncReport

    r = SyncReport(added=[XSS[1]], skipped=[Skipped(XSS[0], "empty file")], paragraphs=10)
    html = render_sync_report(r, saved=[XSS[1]], rejected=[Skipped("x", XSS[0])])
    assert_inert(html)
    assert "saved" in html and "not saved" in html and "10 paragraphs" in html


@pytest.mark.parametrize(
    ("question", "follow"),
    [
        ("còn Nhật Bản thì sao?", True),
        ("Còn Thụy Điển?", True),
        ("What about Japan?", True),
        ("And Sweden?", True),
        ("Och Japan då?", True),
        ("Who signed it?", True),
        ("Ai đã ký văn bản đó với Việt Nam?", True),
        ("When did they sign the partnership agreement?", True),
        ("Vad är det digitala samarbetsforumet mellan Vietnam och EU om?", False),
        ("Đại sứ EU tại Việt Nam là ai?", False),
        ("Diễn đàn Hợp tác Số Việt Nam - EU 2025 diễn ra khi nào và ở đâu?", False),
        ("Who is the EU ambassador to Vietnam?", False),
        ("Vem är biträdande minister för vetenskap och teknik?", False),
    ],
)
def test_followup_rule(question, follow):
    assert is_followup(question) is follow


def test_followup_context_carries_the_previous_question():
    turns = [{"q": "Việt Nam hợp tác chuyển đổi số với EU như thế nào?", "context": ""}]
    assert followup_context("còn Nhật Bản thì sao?", turns) == turns[0]["q"]
    assert followup_context("Đại sứ EU tại Việt Nam là ai?", turns) == ""
    assert followup_context("còn Nhật Bản thì sao?", []) == ""
    turns.append({"q": "còn Nhật Bản thì sao?", "context": turns[0]["q"]})
    ctx = followup_context("Và Thụy Điển?", turns)
    assert ctx.startswith(turns[0]["q"]) and ctx.endswith("còn Nhật Bản thì sao?")


def test_filters_and_dates():
    f = make_filter(["a.txt"], "vi", "2025-10-01", "")
    assert (f.docs, f.lang, f.date_from, f.date_to) == (["a.txt"], "vi", "2025-10-01", "")
    assert not make_filter(None, "", "", "").active()
    with pytest.raises(AssistantError, match="year-month-day"):
        make_filter([], "", "29/10/2025", "")


def test_auth_pair():
    assert auth_pair(Settings()) is None
    assert auth_pair(Settings(auth_user="u", auth_password="p")) == ("u", "p")
    with pytest.raises(ConfigError):
        auth_pair(Settings(auth_user="u"))


# ----------------------------------------------------------------------------------- the page, no browser


def test_chat_page_builds_with_its_parts(page_app):
    page = ChatPage(page_app)
    blocks = page.build()
    ids = {getattr(b, "elem_id", None) for b in blocks.blocks.values()}
    assert {"transcript", "viewer", "question", "ask", "upload", "resync", "delete", "confirm-delete", "f-docs"} <= ids
    assert sum(1 for f in blocks.fns.values() if f.api_name == "ask") == 1
    assert sum(1 for f in blocks.fns.values() if f.api_name == "answer") == 1
    # (the hash embedder's cosines are word overlap: the wording names the ambassador's own sentence)
    out = page.answer("Ai là Đại sứ Liên minh Châu Âu tại Việt Nam?")
    assert out["answered"] and any("Julien Guerrier" in c["quote"] for c in out["citations"]), out
    for c in out["citations"]:  # the API's quotes are the document's own text, where they say they are
        assert page_app.index.document_text(c["doc"])[c["char_start"] : c["char_end"]] == c["quote"]


def test_ask_streams_a_cited_answer_and_a_citation_opens_its_paragraph(page_app):
    respond = ChatPage(page_app).respond
    steps = list(respond("Đại sứ EU tại Việt Nam là ai?", [], [], "", "", "", "extractive", 5))
    assert "Searching" in steps[0][0] and steps[0][2] == ""
    assert len(steps) > 3, "the answer arrives in several updates"
    html, turns, *_ = steps[-1]
    answer = turns[0]["answer"]
    assert answer.answered and 'class="cite"' in html and "Sources" in html
    c = answer.citations[0]
    paras = page_app.index.paragraphs(c.doc)
    view = render_paragraph_view(Target(c.doc, c.paragraph, c.char_start, c.char_end, "[1]"), None, paras)
    assert f"<mark>{esc(c.quote)}</mark>" in view


def test_follow_up_is_asked_with_the_previous_question_as_context(page_app, monkeypatch):
    seen = []
    real_ask = page_app.ask_stream

    def spy(q, **kw):
        seen.append(kw.get("context", ""))
        return real_ask(q, **kw)

    monkeypatch.setattr(page_app, "ask_stream", spy)
    respond = ChatPage(page_app).respond
    *_, (_, turns, *_) = respond(
        "Việt Nam hợp tác chuyển đổi số với EU như thế nào?", [], [], "", "", "", "extractive", 5
    )
    *_, (html, turns, *_) = respond("còn Nhật Bản thì sao?", turns, [], "", "", "", "extractive", 5)
    assert seen == ["", "Việt Nam hợp tác chuyển đổi số với EU như thế nào?"]
    assert "follow-up: also searched with" in html


def test_bad_date_filter_is_shown_in_the_conversation(page_app):
    respond = ChatPage(page_app).respond
    *_, (html, turns, *_) = respond("Đại sứ EU tại Việt Nam là ai?", [], [], "", "hôm qua", "", "extractive", 5)
    assert "Error" in html and "year-month-day" in html and turns[0]["answer"] is None


def test_empty_question_does_nothing(page_app):
    respond = ChatPage(page_app).respond
    assert len(list(respond("   ", [], [], "", "", "", "extractive", 5))) == 1


def test_filters_restrict_the_citations(page_app):
    respond = ChatPage(page_app).respond
    japan = "003_a6de01ab2ae2bfda.txt"
    *_, (_, turns, *_) = respond("Việt Nam hợp tác chuyển đổi số", [], [japan], "", "", "", "extractive", 5)
    answer = turns[0]["answer"]
    assert answer.hits and {h.chunk.doc for h in answer.hits} == {japan}
    *_, (_, turns, *_) = respond("Vietnam EU samarbete AI", [], [], "sv", "", "", "extractive", 5)
    assert {h.chunk.doc for h in turns[0]["answer"].hits} == {"004_03e94a76b2f901da.txt"}
    *_, (_, turns, *_) = respond("Diễn đàn Hợp tác Số", [], [], "", "2025-10-28", "2025-12-31", "extractive", 3)
    assert {h.chunk.doc for h in turns[0]["answer"].hits} == {"000_b0dddf86d6f85ffe.txt"}
    *_, (_, turns, *_) = respond("Diễn đàn Hợp tác Số", [], [], "", "", "2025-10-21", "extractive", 5)
    assert {h.chunk.doc for h in turns[0]["answer"].hits} == {
        "002_ac641c82a5bb9970.txt"
    }  # the end day is in, later ones out
    *_, (_, turns, *_) = respond("Diễn đàn Hợp tác Số", [], [], "", "2025-10-22", "2025-10-26", "extractive", 5)
    assert turns[0]["answer"].hits == [] and not turns[0]["answer"].answered  # no document dated in between


def test_llm_mode_without_a_configured_model_says_what_to_set(page_app):
    respond = ChatPage(page_app).respond
    *_, (html, turns, *_) = respond("Đại sứ EU tại Việt Nam là ai?", [], [], "", "", "", "llm", 5)
    assert "Error" in html and "set ASSISTANT_LLM_MODEL" in turns[0]["error"], turns[0]["error"]
    assert esc("set ASSISTANT_LLM_MODEL") in html  # shown to the user, not only kept in the state
    assert "unexpected error" not in turns[0]["error"], turns[0]["error"]


# ----------------------------------------------------------------------------------- corroboration, permalinks, briefs


def test_sources_show_permalinks_also_in_and_group_copies_of_one_story():
    from assistant.types import Corroboration

    a = Citation(
        1,
        "vn.txt",
        3,
        None,
        "Diễn đàn diễn ra ngày 27/10.",
        100,
        128,
        0.9,
        corroborated_by=[Corroboration("copy.txt", 4, "vi", 0.97), Corroboration("sv.txt", 11, "sv", 0.86)],
    )
    b = Citation(
        2,
        "copy.txt",
        4,
        None,
        "Diễn đàn diễn ra ngày 27/10.",
        40,
        68,
        0.8,
        corroborated_by=[Corroboration("vn.txt", 3, "vi", 0.97)],
    )
    html = render_sources(Answer("q", True, "x [1] [2]", "vi", [a, b], "extractive", {}), {}, 0)
    assert html.count("<li>") == 1  # the copy is listed under the first source, not as another one
    assert 'href="?doc=vn.txt&amp;p=3&amp;q=100-128"' in html and 'href="?doc=copy.txt&amp;p=4&amp;q=40-68"' in html
    assert "also in: " in html and 'href="?doc=sv.txt&amp;p=11"' in html and "sv.txt ¶11 (sv)" in html
    # the copy cited as [2] is named once, under the first source, with its marker (a click opens it)
    assert html.count("copy.txt ¶4 (vi)") == 1
    assert '<button type="button" class="src-copy" data-action="cite" data-turn="0" data-n="2"' in html


def test_two_quotes_of_one_paragraph_are_one_source_not_an_also_in():
    """Seen: the fifth recommendation quoted twice from ¶32, and its card read "also in: … ¶32 [2]", as if the
    paragraph corroborated itself."""
    a = Citation(1, "jp.txt", 32, None, "Thứ năm, hợp tác về năng lượng.", 10, 41, 0.9)
    b = Citation(2, "jp.txt", 32, None, "Hai bên cần đẩy mạnh chuyển đổi xanh.", 42, 80, 0.8)
    html = render_sources(Answer("q", True, "x [1] [2]", "vi", [a, b], "extractive", {}), {}, 0)
    assert html.count("<li>") == 1 and "also in" not in html
    assert html.count("<button") == 2 and 'data-n="1"' in html and 'data-n="2"' in html
    assert html.count("src-where") == 1  # the place is named once; each quote keeps its own permalink
    assert 'href="?doc=jp.txt&amp;p=32&amp;q=10-41"' in html and 'href="?doc=jp.txt&amp;p=32&amp;q=42-80"' in html
    assert html.index("Thứ năm") < html.index("Hai bên")


class _Request:
    def __init__(self, **params):
        self.query_params = params


def test_a_permalink_opens_its_paragraph_highlighted_with_the_quote(page_app):
    page = ChatPage(page_app)
    doc = "000_b0dddf86d6f85ffe.txt"
    para = next(p for p in page_app.index.paragraphs(doc) if p.n == 10)
    start = para.start + para.text.index("11 công nghệ")
    html, target = page.on_load(_Request(doc=doc, p="10", q=f"{start}-{start + 12}"))
    assert target.doc == doc and target.paragraph == 10
    assert 'class="para target" id="para-10"' in html and "<mark>11 công nghệ</mark>" in html
    html, _ = page.on_load(_Request(doc=doc, p="10"))
    assert 'class="para target" id="para-10"' in html and "<mark>" not in html
    html, target = page.on_load(_Request(doc="gone.txt", p="2"))
    assert "no longer in the library" in html
    html, target = page.on_load(_Request(doc=doc, p="x"))
    assert "p= must be a number" in html and target is None
    assert page.on_load(_Request()) == (gr.skip(), gr.skip())


def test_every_answer_updates_the_export_button_with_a_brief_of_the_conversation(page_app):
    import docx

    page = ChatPage(page_app)
    assert page.export_update([])["interactive"] is False  # nothing to export yet
    *_, (_, turns, _) = page.respond("Đại sứ EU tại Việt Nam là ai?", [], [], "", "", "", "extractive", 5)
    first = page.export_update(turns)
    *_, (_, turns, _) = page.respond(
        "Diễn đàn Hợp tác số EU - Việt Nam diễn ra ở đâu?", turns, [], "", "", "", "extractive", 5
    )
    button = page.export_update(turns)
    assert first["interactive"] and button["interactive"] and button["value"].endswith(".docx")
    d = docx.Document(button["value"])
    quotes = [p.text for p in d.paragraphs if p.style.name == "Quote"]
    cited = [c for t in turns for c in t["answer"].citations]
    assert quotes == [c.quote for c in cited] and cited
    for c in cited:
        assert page_app.index.document_text(c.doc)[c.char_start : c.char_end] == c.quote
    assert ChatPage(page_app).clear()[-1]["interactive"] is False
