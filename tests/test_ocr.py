"""OCR of scanned PDFs with the real Tesseract (CI installs tesseract-ocr, -vie, -swe: .ci/run).

The scans are rendered once per session (Pillow, DejaVu Sans: evals/tools/scans.py) at 200 dpi and
OCR'd at 200 dpi: 3 pages in the shared index, 3 more in the crash/cache test.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import unicodedata
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from assistant.app import build
from assistant.citations import verify
from assistant import cli
from assistant.cli import main
from assistant.terminal import format_answer
from assistant.ocr import Ocr, OcrPage, install_command, page_text, quote_boxes, skip_may_clear, tsv_rows
from assistant.settings import Settings
from assistant.web.render import render_library, render_sources
from assistant.web.views import render_scan
from tests.support import ROOT
from tests.support.fakes import HashEmbedder
from tests.support.pdfmaker import PAGE1, make_pdf

sys.path.insert(0, str(ROOT / "evals" / "tools"))
from scans import cer as _cer, scanned_pdf  # noqa: E402

DPI = 200
TITLE = "Quyết định số 1234/QĐ-TTg về hợp tác Việt Nam - Thụy Điển"
AID = (
    "Thủ tướng Chính phủ phê duyệt chương trình hợp tác phát triển bền vững giữa Việt Nam và Thụy Điển "
    "giai đoạn 2026-2030, với tổng vốn viện trợ không hoàn lại 45 triệu đô la Mỹ."
)
LEAD = "Bộ Kế hoạch và Đầu tư chủ trì, phối hợp với các bộ, ngành liên quan tổ chức thực hiện chương trình."
PAGE_2 = "Điều 2. Quyết định này có hiệu lực kể từ ngày ký. Đại sứ Thụy Điển tại Việt Nam, bà Johanna Mörner, đồng chủ trì hội nghị triển khai."
MIXED_SCAN = "Phụ lục: danh sách 12 dự án ưu tiên về năng lượng tái tạo tại tỉnh Ninh Bình."
INSTALL = "sudo apt-get install tesseract-ocr tesseract-ocr-vie tesseract-ocr-swe"


@pytest.fixture(scope="session")
def scans() -> dict[str, bytes]:
    """A two-page Vietnamese scan, and a PDF whose page 1 has a text layer and page 2 is scanned."""
    mixed = pypdf.PdfWriter()
    for src in (make_pdf([PAGE1], paragraph_per_line=False), scanned_pdf([[MIXED_SCAN]], dpi=DPI)):
        for page in pypdf.PdfReader(io.BytesIO(src)).pages:
            mixed.add_page(page)
    out = io.BytesIO()
    mixed.write(out)
    return {"quyet-dinh.pdf": scanned_pdf([[TITLE, AID, LEAD], [PAGE_2]], dpi=DPI), "mixed.pdf": out.getvalue()}


def _settings(base: Path, **kw) -> Settings:
    return Settings(corpus_dir=base / "corpus", index_dir=base / "index", ocr_dpi=DPI, **kw)


def _corpus(base: Path, files: dict[str, bytes]) -> Path:
    corpus = base / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (corpus / name).write_bytes(data)
    return corpus


@pytest.fixture(scope="session")
def ocr_app(tmp_path_factory, scans):
    """Both scans OCR'd once into an index (hash embedder); returns (app, sync report, OCR progress calls)."""
    base = tmp_path_factory.mktemp("ocr")
    _corpus(base, scans)
    app = build(_settings(base), embedder=HashEmbedder())
    calls: list[tuple[str, int, int]] = []
    report = app.sync(ocr_progress=lambda name, done, total: calls.append((name, done, total)))
    return app, report, calls


def test_scanned_pdf_is_indexed_page_by_page_in_nfc(ocr_app):
    app, report, calls = ocr_app
    assert report.skipped == [] and sorted(report.added) == ["mixed.pdf", "quyet-dinh.pdf"]
    assert (report.ocr_pages, report.ocr_cached_pages) == (3, 0)
    paragraphs = app.index.paragraphs("quyet-dinh.pdf")
    assert [p.page for p in paragraphs] == [1, 1, 1, 2]  # wrapped lines re-joined: one paragraph each
    for p, want in zip(paragraphs, [TITLE, AID, LEAD, PAGE_2]):
        assert unicodedata.is_normalized("NFC", p.text)
        assert _cer(p.text, want) < 0.03, (p.text, want)
    assert "45 triệu đô la Mỹ" in paragraphs[1].text
    # progress: every page of each scan, in order
    assert [c for c in calls if c[0] == "quyet-dinh.pdf"] == [
        ("quyet-dinh.pdf", 0, 2),
        ("quyet-dinh.pdf", 1, 2),
        ("quyet-dinh.pdf", 2, 2),
    ]


def test_mixed_pdf_ocrs_only_the_page_without_a_text_layer(ocr_app):
    app, _, _ = ocr_app
    paragraphs = app.index.paragraphs("mixed.pdf")
    assert paragraphs[0].page == 1 and paragraphs[0].text == PAGE1[0]  # the text layer, not OCR
    assert paragraphs[-1].page == 2 and _cer(paragraphs[-1].text, MIXED_SCAN) < 0.03
    rows = {r.name: r for r in app.documents()}
    assert rows["mixed.pdf"].ocr_pages == [2] and rows["quyet-dinh.pdf"].ocr_pages == [1, 2]


def _check_ocr_answer(app, answer) -> None:
    """Answered from the scan's page 1, the quote verbatim from the OCR text layer, marked OCR everywhere."""
    assert answer.answered, answer.answer
    c = answer.citations[0]
    assert (c.doc, c.page, c.ocr) == ("quyet-dinh.pdf", 1, True)
    assert "45 triệu đô la Mỹ" in c.quote
    text = app.index.document_text(c.doc)
    para = next(p for p in app.index.paragraphs(c.doc) if p.n == c.paragraph)
    assert verify(c, text, para.start, para.end)  # verbatim from the OCR text layer
    assert answer.to_json()["citations"][0]["ocr"] is True
    assert f"quyet-dinh.pdf ¶{c.paragraph} p.1 (OCR text of the scanned page)" in format_answer(answer)
    assert 'class="badge ocr"' in render_sources(answer, {}, 0)


def test_answer_quotes_ocr_text_verbatim_with_its_page_and_says_so(ocr_app):
    app, _, _ = ocr_app
    # the hash embedder is no model of meaning: the support rule (ASSISTANT_MIN_SCORE) decides here, the
    # answerability model in the test below with the real model
    _check_ocr_answer(app, app.ask("Tổng vốn viện trợ không hoàn lại là bao nhiêu?", min_score=0.1))


def test_viewer_shows_the_scanned_page_with_the_quoted_words_outlined(ocr_app, tmp_path):
    app, _, _ = ocr_app
    c = app.ask("Tổng vốn viện trợ không hoàn lại là bao nhiêu?", min_score=0.1).citations[0]
    page, png = app.scan_page(c.doc, c.page)
    assert (
        png.startswith(b"\x89PNG") and page.page == 1 and abs(page.width - 1654) <= 2 and abs(page.height - 2339) <= 2
    )  # A4, 200 dpi
    boxes = quote_boxes(page.words, c.quote)
    assert len(boxes) == len(c.quote.split())  # every quoted word, on the lines of that paragraph only
    title_bottom = max(w[2] + w[4] for w in page.words if w[0] == "Quyết")
    lead_top = min(w[2] for w in page.words if w[0] == "Bộ")
    assert all(title_bottom < y and y + h < lead_top for _, y, _, h in boxes)
    html = render_scan(page, png, c.quote, c.doc)
    assert html.count('class="scan-box"') == len(boxes) and "data:image/png;base64," in html
    assert app.scan_page(c.doc, 2) is not None and app.scan_page("mixed.pdf", 1) is None  # page 1 has a text layer


def test_quote_boxes_follow_hyphenation_and_partial_words():
    words = [
        ("Việt", 0, 0, 9, 9),
        ("Nam", 10, 0, 9, 9),
        ("gover-", 20, 0, 9, 9),
        ("nance", 0, 10, 9, 9),
        ("tốt.", 10, 10, 9, 9),
    ]
    assert quote_boxes(words, "Nam governance tốt.") == [(10, 0, 9, 9), (20, 0, 9, 9), (0, 10, 9, 9), (10, 10, 9, 9)]
    assert quote_boxes(words, "iệt Nam gover") == [(0, 0, 9, 9), (10, 0, 9, 9), (20, 0, 9, 9)]
    assert quote_boxes(words, "Hà Nội") == [] and quote_boxes(words, "") == []


@pytest.mark.model
def test_real_model_answers_from_the_scan_and_re_embeds_without_ocr(ocr_app, real_embedder, tmp_path):
    app, _, _ = ocr_app
    shutil.copytree(app.settings.index_dir, tmp_path / "index")
    real = build(
        Settings(corpus_dir=app.settings.corpus_dir, index_dir=tmp_path / "index", ocr_dpi=DPI), embedder=real_embedder
    )
    report = real.sync()  # another model: every document is loaded again, its scanned pages from the OCR cache
    assert sorted(report.added) == ["mixed.pdf", "quyet-dinh.pdf"] and (report.ocr_pages, report.ocr_cached_pages) == (
        0,
        3,
    )
    _check_ocr_answer(
        real, real.ask("Tổng vốn viện trợ không hoàn lại của chương trình hợp tác với Thụy Điển là bao nhiêu?")
    )


def test_text_pdf_citations_are_not_marked_ocr(ocr_app):
    app, _, _ = ocr_app
    answer = app.ask("When was the digital cooperation forum held in Ninh Binh province?")
    cited = [c for c in answer.citations if c.doc == "mixed.pdf" and c.page == 1]
    assert cited and not any(c.ocr for c in cited)


def test_docs_json_and_library_mark_ocr(ocr_app, monkeypatch):
    app, _, _ = ocr_app
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(app.settings.corpus_dir))
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(app.settings.index_dir))
    result = CliRunner().invoke(main, ["docs", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert rows["quyet-dinh.pdf"]["ocr_pages"] == [1, 2] and rows["quyet-dinh.pdf"]["status"] == "indexed"
    plain = CliRunner().invoke(main, ["docs"])
    assert "(OCR: pages 1,2)" in plain.output
    html = render_library(app.documents())
    assert 'class="badge ocr"' in html and "text read by OCR on 2 scanned pages (1, 2)" in html


@pytest.mark.parametrize("how", ["setting", "path"])
def test_without_tesseract_a_scan_is_skipped_with_the_install_command_then_indexed_once_installed(
    tmp_path, scans, monkeypatch, how
):
    _corpus(tmp_path, {"scan.pdf": scanned_pdf([[MIXED_SCAN]], dpi=DPI)})
    real = shutil.which("tesseract")
    assert real, "Tesseract must be installed for these tests (.ci/run installs it)"
    if how == "setting":
        settings = _settings(tmp_path, tesseract_cmd=str(tmp_path / "no" / "tesseract"))
    else:  # the default `tesseract`, looked up on a PATH that has none
        empty = tmp_path / "bin"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))
        settings = _settings(tmp_path)
    app = build(settings, embedder=HashEmbedder())
    report = app.sync()
    assert report.added == [] and len(report.skipped) == 1
    reason = report.skipped[0].reason
    assert reason.startswith(
        "no text layer on page 1 (scanned/image-only PDF): OCR needs Tesseract, which is not installed"
    )
    assert f"`{INSTALL}`" in reason
    assert app.documents()[0].reason == reason
    # installed meanwhile: the next sync (here `assistant ingest --json`) retries the unchanged file and indexes it
    monkeypatch.setenv("PATH", os.path.dirname(real) + os.pathsep + os.environ["PATH"])
    app2 = build(_settings(tmp_path), embedder=HashEmbedder())
    monkeypatch.setattr(cli, "_app", lambda settings: app2)
    result = CliRunner().invoke(cli.main, ["ingest", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["added"] == ["scan.pdf"] and report["skipped"] == [] and report["ocr_pages"] == 1
    assert "OCR scan.pdf (1 page)" in result.stderr  # the per-file OCR progress bar


def test_a_missing_language_model_names_its_package(tmp_path, scans):
    _corpus(tmp_path, {"quyet-dinh.pdf": scans["quyet-dinh.pdf"]})
    report = build(_settings(tmp_path, ocr_languages="vie+kor"), embedder=HashEmbedder()).sync()
    reason = report.skipped[0].reason
    assert "language models that are not installed (kor)" in reason
    assert (
        "`sudo apt-get install tesseract-ocr tesseract-ocr-kor`" in reason
        and "vie" in reason.split("installed ones")[1]
    )


def test_page_limit_and_ocr_off(tmp_path, scans):
    _corpus(tmp_path, {"quyet-dinh.pdf": scans["quyet-dinh.pdf"]})
    report = build(_settings(tmp_path, ocr_max_pages=1), embedder=HashEmbedder()).sync()
    reason = report.skipped[0].reason
    assert reason.startswith("2 scanned pages need OCR, more than the ASSISTANT_OCR_MAX_PAGES limit of 1")
    assert skip_may_clear(reason, Ocr("vie", DPI, 2)) and not skip_may_clear(reason, Ocr("vie", DPI, 1))
    off = build(_settings(tmp_path, ocr_max_pages=0), embedder=HashEmbedder()).sync()  # the setting changed: retried
    assert off.skipped[0].reason == "no text layer (scanned/image-only PDF): it needs OCR"
    assert report.ocr_pages == off.ocr_pages == 0


def test_with_ocr_off_a_partly_scanned_pdf_keeps_its_text_pages(tmp_path, scans):
    _corpus(tmp_path, {"mixed.pdf": scans["mixed.pdf"]})
    app = build(_settings(tmp_path, ocr_max_pages=0), embedder=HashEmbedder())
    report = app.sync()
    assert report.added == ["mixed.pdf"] and report.ocr_pages == 0
    assert {p.page for p in app.index.paragraphs("mixed.pdf")} == {1}


def test_a_blank_pdf_is_not_mistaken_for_a_scan(tmp_path):
    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    _corpus(tmp_path, {"blank.pdf": out.getvalue()})
    report = build(_settings(tmp_path), embedder=HashEmbedder()).sync()
    reason = report.skipped[0].reason
    assert reason == "no text on any page: no text layer and no scanned image (blank pages or drawings only)"
    assert report.ocr_pages == 0 and not skip_may_clear(reason, Ocr("vie", DPI, 5))


_KILLED_INGEST = """
import os, signal, sys
sys.path.insert(0, {root!r})
from assistant.app import build
from assistant.settings import Settings
from tests.support.fakes import HashEmbedder

def die_after_first_page(name, done, total):
    if done == 1:
        os.kill(os.getpid(), signal.SIGKILL)

app = build(Settings(corpus_dir={corpus!r}, index_dir={index!r}, ocr_dpi={dpi}), embedder=HashEmbedder())
app.sync(ocr_progress=die_after_first_page)
"""


@pytest.mark.slow
def test_killed_mid_ocr_resumes_from_the_cache_and_never_reads_a_page_twice(tmp_path, scans):
    corpus = _corpus(tmp_path, {"quyet-dinh.pdf": scans["quyet-dinh.pdf"]})
    code = _KILLED_INGEST.format(root=str(ROOT), corpus=str(corpus), index=str(tmp_path / "index"), dpi=DPI)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    app = build(_settings(tmp_path), embedder=HashEmbedder())
    report = app.sync()
    assert report.added == ["quyet-dinh.pdf"] and (report.ocr_pages, report.ocr_cached_pages) == (1, 1)
    assert [p.page for p in app.index.paragraphs("quyet-dinh.pdf")] == [1, 1, 1, 2]
    # removed, then dropped in again (or renamed, or re-embedded for a new model): nothing is read again
    data = (corpus / "quyet-dinh.pdf").read_bytes()
    (corpus / "quyet-dinh.pdf").unlink()
    assert app.sync().removed == ["quyet-dinh.pdf"]
    (corpus / "lai.pdf").write_bytes(data)
    again = app.sync()
    assert again.added == ["lai.pdf"] and (again.ocr_pages, again.ocr_cached_pages) == (0, 2)
    assert "OCR read 0 scanned pages" in again.summary()


# --- pure parts ----------------------------------------------------------------------------------


def _tsv(rows: list[tuple[int, int, int, str, float]]) -> dict[str, list]:
    """Tesseract TSV columns for word rows (block, paragraph, line, text, confidence)."""
    cols: dict[str, list] = {
        k: [] for k in ("level", "block_num", "par_num", "line_num", "left", "top", "width", "height", "conf", "text")
    }
    for i, (block, par, line, text, conf) in enumerate(rows):
        for k, v in zip(cols, (5, block, par, line, 10 * i, 20 * line, 9, 12, conf, text)):
            cols[k].append(v)
    return cols


def test_page_text_lines_paragraphs_nfc_and_stamps_dropped():
    decomposed = unicodedata.normalize("NFD", "Việt")
    rows = [
        (1, 1, 1, decomposed, 91), (1, 1, 1, "Nam", 95), (1, 1, 2, "hợp", 90), (1, 1, 2, "tác", 88),
        (1, 2, 1, "Điều", 93), (1, 2, 1, "2.", 96),
        (2, 1, 1, "~@#", 8), (2, 1, 1, "ll", 12),  # a stamp: a line Tesseract is unsure of
        (3, 1, 1, "Hà", 90), (3, 1, 1, "Nội", 92),
    ]  # fmt: skip
    text, words = page_text(tsv_rows(_tsv(rows)))
    assert text == "Việt Nam\nhợp tác\n\nĐiều 2.\n\nHà Nội"
    assert unicodedata.is_normalized("NFC", text) and words[0][0] == "Việt"
    assert len(words) == 8 and ("~@#", 60, 20, 9, 12) not in words
    page = OcrPage(1, 100, 100, 200, 1.0, tsv_rows(_tsv(rows)))
    assert OcrPage.from_json(page.to_json()) == page and page.text == text  # the cache holds rows, text is derived


def test_a_blank_line_inside_one_tesseract_paragraph_breaks_it():
    """Tesseract grouped a title, a blank line and a byline into one paragraph: the gap splits them."""
    rows = [
        (t, 0, top, 50, 12, 90.0, 1, 1, line)
        for line, (t, top) in enumerate([("Tiêu", 0), ("Thiên", 40), ("dòng", 56), ("một", 72)], 1)
    ]
    assert page_text(rows)[0] == "Tiêu\n\nThiên\ndòng\nmột"
    # but a sentence that goes on in lower case is one paragraph, whatever Tesseract's layout says
    rows = [
        ("thu", 0, 0, 50, 12, 90.0, 1, 1, 1),
        ("hút", 60, 0, 50, 12, 90.0, 1, 1, 1),
        ("tuyến", 0, 16, 50, 12, 90.0, 1, 2, 1),
        ("tàu.", 60, 16, 50, 12, 90.0, 1, 2, 1),
    ]
    assert page_text(rows)[0] == "thu hút\ntuyến tàu."


def test_install_command_names_each_language_package():
    assert install_command(["vie", "eng", "swe"]) == INSTALL
    assert install_command(["chi_sim"]) == "sudo apt-get install tesseract-ocr tesseract-ocr-chi-sim"
