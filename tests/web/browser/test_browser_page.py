"""End-to-end: the chat page in headless Chromium (hash embedder, so answers are lexical-ish).

Screenshots of each step go to test-output/screenshots/, answer timings to test-output/page-timings.json.
"""

from __future__ import annotations

import json
import time

import pytest
from tests.support.pagekit import DELETE_ME, PHONE, SHOTS, XSS_NAME, record_timing, running_page
from tests.support.pdfmaker import make_pdf
from tests.support.procs import ask_page, http_status

pytestmark = pytest.mark.browser

SEED_Q = "Đại sứ EU tại Việt Nam là ai?"


def open_page(tab, server):
    url, _ = server
    tab.page.goto(url)
    tab.page.locator("#question textarea").wait_for()
    return tab.page


def test_ask_see_cited_answer_click_marker_see_highlighted_paragraph(tab, server):
    pg = open_page(tab, server)
    tab.shot("01-start")
    timings = tab.ask(SEED_Q, 1)
    record_timing("hash-embedder seed question (laptop)", timings)
    turn = pg.locator("#transcript .turn").first
    assert turn.locator("button.cite").count() >= 1
    assert turn.locator(".sources li").count() == turn.locator("button.cite").count()
    tab.shot("02-cited-answer")

    quote = turn.locator(".sources li .src-quote").first.inner_text().strip("“”")
    turn.locator("button.cite").first.click()
    mark = pg.locator("#viewer .para.target mark")
    mark.wait_for()
    assert mark.inner_text() == quote
    assert pg.locator("#viewer .para").count() >= 3, "neighbouring paragraphs are shown"
    assert "¶" in pg.locator("#viewer .pv-loc").inner_text()
    tab.shot("03-citation-paragraph")

    pg.click("#viewer button[data-action=doc]")
    pg.locator("#viewer .pv.whole").wait_for()
    target = pg.locator("#viewer .para.target")
    assert target.locator("mark").inner_text() == quote
    box, view = target.bounding_box(), pg.locator("#viewer .pv-scroll").bounding_box()
    assert box["y"] < view["y"] + view["height"] and box["y"] + box["height"] > view["y"], (
        "scrolled to the cited paragraph"
    )
    tab.shot("04-whole-document")
    pg.click("#viewer button[data-action=passage]")
    pg.locator("#viewer .pv:not(.whole) mark").wait_for()
    assert not tab.errors, tab.errors


@pytest.mark.parametrize("tab", [PHONE], indirect=True)
def test_phone_width(tab, server):
    pg = open_page(tab, server)
    timings = tab.ask(SEED_Q, 1)
    record_timing("hash-embedder seed question (phone)", timings)
    tab.shot("05-phone-answer")
    width = pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"no horizontal scrolling at phone width: {width}"
    pg.locator("#transcript button.cite").first.click()
    pg.locator("#viewer mark").wait_for()
    time.sleep(1.0)  # smooth scroll to the viewer
    box = pg.locator("#viewer .para.target").bounding_box()
    assert 0 <= box["y"] < PHONE["height"], f"the cited paragraph is scrolled into view: {box}"
    tab.shot("06-phone-citation")
    pg.get_by_role("tab", name="Library").click()
    pg.locator("#lib-table table").wait_for()
    width = pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"the library table scrolls inside its box at phone width: {width}"
    tab.shot("06b-phone-library")


def test_refused_answer_lists_nearest_passages(tab, server):
    pg = open_page(tab, server)
    tab.ask("Giá vàng SJC hôm nay là bao nhiêu?", 1)
    turn = pg.locator("#transcript .turn").first
    assert "không chứa câu trả lời" in turn.locator(".a").inner_text()
    assert "Không có trong tài liệu" in turn.locator(".refused-h").inner_text()
    assert turn.locator("button.cite").count() == 0
    turn.locator(".sources button.src").first.click()
    pg.locator("#viewer .para.target").wait_for()
    assert pg.locator("#viewer mark").count() == 0
    tab.shot("07-refused-nearest")


def test_follow_up_uses_the_conversation(tab, server):
    pg = open_page(tab, server)
    tab.ask("Việt Nam và EU hợp tác chuyển đổi số như thế nào?", 1)
    tab.ask("còn Nhật Bản thì sao?", 2)
    second = pg.locator("#transcript .turn").nth(1)
    assert "follow-up: also searched with" in second.inner_text()
    tab.shot("08-follow-up")
    pg.click("text=New conversation")
    pg.locator("#transcript .empty").wait_for()
    pg.click("text=Filters and settings")
    pg.locator("#f-docs").wait_for()
    tab.shot("18-filters-and-settings", full_page=True)


def test_xss_document_stays_inert(tab, server):
    pg = open_page(tab, server)
    tab.ask("Dự án thử nghiệm an ninh XSS tại Đà Nẵng có ngân sách bao nhiêu?", 1)
    turn = pg.locator("#transcript .turn").first
    assert "<img src=x onerror=alert(1)>" in turn.inner_text()
    turn.locator("button.cite").first.click()
    pg.locator("#viewer mark").wait_for()
    viewer = pg.locator("#viewer").inner_text()
    assert '<script>alert("title")</script>' in viewer and "[liên kết](javascript:alert(1))" in viewer
    assert "javascript:alert(1)" in viewer
    pg.click("#viewer button[data-action=doc]")
    pg.locator("#viewer .pv.whole").wait_for()
    for area in ("#transcript", "#viewer"):
        assert pg.locator(f"{area} img, {area} script, {area} a[href^='javascript']").count() == 0
    tab.shot("09-xss-inert")
    pg.get_by_role("tab", name="Library").click()
    pg.locator("#lib-table td.file", has_text="onerror").wait_for()
    assert XSS_NAME in pg.locator("#lib-table").inner_text()
    assert pg.locator("#lib-table img").count() == 0
    tab.shot("10-xss-library")
    time.sleep(0.5)
    assert tab.dialogs == [] and not tab.errors


def test_upload_pdf_then_ask_about_it(tab, server, tmp_path):
    pg = open_page(tab, server)
    pdf = tmp_path / "Mekong – hợp tác.pdf"
    pdf.write_bytes(
        make_pdf(
            [
                [
                    "Mekong Delta Climate Partnership",
                    "The Mekong Delta Climate Partnership was signed in Can Tho on 12 March 2024.",
                    "Sweden and Vietnam fund the partnership with a budget of 40 million SEK.",
                ],
                ["The partnership runs until 2029 and covers mangrove restoration along the coast."],
            ]
        )
    )
    bad = tmp_path / "setup.exe"
    bad.write_bytes(b"MZ not a document")
    pg.get_by_role("tab", name="Library").click()
    pg.set_input_files("#upload input[type=file]", [str(pdf), str(bad)])
    status = pg.locator("#lib-status ul.report")
    status.wait_for(timeout=120_000)
    text = status.inner_text()
    assert "indexed Mekong – hợp tác.pdf" in text
    assert "unsupported file type .exe" in text
    assert "Mekong – hợp tác.pdf" in pg.locator("#lib-table").inner_text()
    tab.shot("11-upload-indexed", full_page=True)

    pg.get_by_role("tab", name="Chat").click()
    tab.ask("When was the Mekong Delta Climate Partnership signed?", 1)
    turn = pg.locator("#transcript .turn").first
    assert "Mekong Delta Climate Partnership" in turn.locator(".sources").inner_text()
    turn.locator("button.cite").first.click()
    pg.locator("#viewer mark").wait_for()
    assert "Can Tho" in pg.locator("#viewer mark").inner_text()
    assert "page 1" in pg.locator("#viewer .pv-loc").inner_text()
    assert "Mekong – hợp tác.pdf" in pg.locator("#viewer .pv-meta").inner_text()
    tab.shot("12-ask-uploaded-pdf")


def test_delete_asks_for_confirmation(tab, server):
    pg = open_page(tab, server)
    _, corpus = server
    pg.get_by_role("tab", name="Library").click()
    pg.locator("#delete-pick input").click()
    pg.locator("#delete-pick input").fill("xoá")
    pg.get_by_role("option", name=DELETE_ME).click()
    pg.click("#delete")
    pg.locator("#confirm-delete").wait_for()
    assert "cannot be undone" in pg.locator("#confirm-text").inner_text()
    tab.shot("13-delete-confirm", full_page=True)
    pg.click("#cancel-delete")
    pg.locator("#confirm-delete").wait_for(state="hidden")
    assert (corpus / DELETE_ME).exists()
    pg.click("#delete")
    pg.click("#confirm-delete")
    pg.locator("#lib-status", has_text=f"Deleted {DELETE_ME}").wait_for(timeout=60_000)
    assert not (corpus / DELETE_ME).exists()
    assert DELETE_ME not in pg.locator("#lib-table").inner_text()
    tab.shot("14-deleted", full_page=True)


def test_resync_picks_up_files_dropped_into_corpus(tab, server):
    pg = open_page(tab, server)
    _, corpus = server
    (corpus / "dropped.md").write_text(
        "# Tài liệu thả tay\n\nCảng Cái Mép hợp tác với Rotterdam từ năm 2031.\n", encoding="utf-8"
    )
    (corpus / "hỏng.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    pg.get_by_role("tab", name="Library").click()
    pg.click("#resync")
    pg.locator("#lib-status", has_text="indexed dropped.md").wait_for(timeout=60_000)
    assert "skipped hỏng.pdf" in pg.locator("#lib-status").inner_text()
    table = pg.locator("#lib-table").inner_text()
    assert "dropped.md" in table and "hỏng.pdf" in table and "skipped" in table
    tab.shot("17-resync-with-skipped", full_page=True)


def test_json_api_answers_with_citations(server):
    url, _ = server
    out = ask_page(url, SEED_Q)  # POST, then the event stream until `complete`
    assert out["answered"] and out["citations"] and out["question"] == SEED_Q


def test_auth_refuses_unauthenticated_access(browser, tmp_path):
    with running_page(tmp_path, user="cán bộ", password="mật-khẩu-42") as (url, _):
        api_call = json.dumps({"data": [SEED_Q, [], [], "", "", "", "extractive", 5]}).encode()
        assert http_status(url + "config") in (401, 403)
        assert http_status(url + "gradio_api/info") in (401, 403)
        assert http_status(url + "gradio_api/call/ask", api_call) in (401, 403)
        ctx = browser.new_context()
        pg = ctx.new_page()
        pg.goto(url)
        pg.locator("input[type=password]").wait_for()
        assert pg.locator("#transcript").count() == 0
        pg.screenshot(path=str(_shots() / "15-login-required.png"))
        pg.locator("input[type=text]").fill("cán bộ")
        pg.locator("input[type=password]").fill("wrong")
        pg.get_by_role("button", name="Login").click()
        pg.get_by_text("Incorrect Credentials").wait_for(timeout=30_000)  # the refusal itself, not a pause
        assert pg.locator("#transcript").count() == 0 and pg.locator("input[type=password]").is_visible()
        pg.screenshot(path=str(_shots() / "16-login-refused.png"))
        pg.locator("input[type=text]").fill("cán bộ")
        pg.locator("input[type=password]").fill("mật-khẩu-42")
        pg.get_by_role("button", name="Login").click()
        pg.locator("#transcript").wait_for(timeout=30_000)
        ctx.close()


def _shots():
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
