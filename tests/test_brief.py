"""Briefs: `assistant ask --file questions.txt --export brief.docx|.md` and brief.py, read back (python-docx for
Word) and every quote checked, verbatim, against the source text; permalinks; bad targets fail first."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import docx
import pytest
from click.testing import CliRunner

import assistant.cli as cli
from assistant.brief import ExportError, build_brief, check_target, export, parse_span, permalink, to_markdown
from assistant.types import Answer, Citation, Corroboration, DocMeta

QUESTIONS = [
    "Đại sứ EU tại Việt Nam là ai?",
    "Diễn đàn Hợp tác số EU - Việt Nam diễn ra ở đâu?",
    "Vem är Vietnams biträdande minister för vetenskap och teknik?",
    "Thời tiết ở Paris hôm nay thế nào?",
]


@pytest.fixture
def run_cli(fake_app, monkeypatch):
    monkeypatch.setattr(cli, "_app", lambda settings: fake_app)
    monkeypatch.setattr(cli, "_settings", lambda **kw: fake_app.settings)
    fake_app.settings.min_score = 0.3  # the hash embedder's similarities are lower than the model's
    fake_app.sync()
    return lambda *args: CliRunner().invoke(cli.main, list(args))


def _source_paragraph(app, doc: str, n: int):
    return next(p for p in app.index.paragraphs(doc) if p.n == n)


def _check_quote(app, doc: str, n: int, quote: str, link: str) -> None:
    """The quote is verbatim in that paragraph of the source file, and the permalink points at it."""
    para = _source_paragraph(app, doc, n)
    assert quote in para.text
    q = parse_qs(urlsplit(link).query)
    assert q["doc"] == [doc] and q["p"] == [str(n)]
    start, end = parse_span(q["q"][0])
    assert para.start <= start < end <= para.end and app.index.document_text(doc)[start:end] == quote


def test_ask_exports_a_docx_brief_whose_quotes_are_verbatim_with_references_and_permalinks(run_cli, fake_app, tmp_path):
    qfile = tmp_path / "questions.txt"
    qfile.write_text("\n".join(QUESTIONS) + "\n", encoding="utf-8")
    out = tmp_path / "brief.docx"
    res = run_cli("ask", "--file", str(qfile), "--export", str(out))
    assert res.exit_code == 0, res.output
    assert f"brief written to {out} (4 questions)" in res.stderr
    answers = [fake_app.ask(q) for q in QUESTIONS]
    cited = [c for a in answers if a.answered for c in a.citations]
    assert cited, "the seed questions must be answered"

    d = docx.Document(str(out))
    texts = [p.text for p in d.paragraphs]
    for q in QUESTIONS:
        assert any(t.endswith(q) for t in texts)
    quotes = [p for p in d.paragraphs if p.style.name == "Quote"]
    assert [p.text for p in quotes] == [c.quote for c in cited]
    links = [r.target_ref for r in d.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert len(links) == len(cited)
    for c, link in zip(cited, links):
        _check_quote(fake_app, c.doc, c.paragraph, c.quote, link)
        assert link.startswith("http://127.0.0.1:7860/?")
    # each quote names where it stands; the reference list names every document quoted once
    meta = fake_app.index.doc_meta
    for c, p in zip(cited, quotes):
        following = texts[texts.index(p.text) + 1]
        assert f"¶{c.paragraph}" in following and (meta[c.doc].title or c.doc) in following
    refs = texts[texts.index("References") + 1 :]
    assert len(refs) == len({c.doc for c in cited})
    for c in cited:
        assert any(c.doc in r and (not meta[c.doc].date or meta[c.doc].date in r) for r in refs)


def test_ask_exports_a_markdown_brief(run_cli, fake_app, tmp_path):
    out = tmp_path / "brief.md"
    res = run_cli("ask", QUESTIONS[0], "--export", str(out))
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    answer = fake_app.ask(QUESTIONS[0])
    assert text.startswith("# Brief\n") and f"## 1. {QUESTIONS[0]}" in text and "## References" in text
    for c in answer.citations:
        assert f"> {c.quote}\n" in text
        link = re.search(rf"\]\((http://[^)]*doc={re.escape(c.doc)}&p={c.paragraph}&q=[^)]*)\)", text).group(1)
        _check_quote(fake_app, c.doc, c.paragraph, c.quote, link)


@pytest.mark.parametrize(("name", "message"), [
    ("brief.pdf", "give a file name ending in .docx (Word) or .md (Markdown)"),
    ("missing/brief.docx", "does not exist; create it or choose another path"),
])  # fmt: skip
def test_a_bad_export_target_fails_before_any_question_is_answered(
    run_cli, tmp_path, name, message, monkeypatch, fake_app
):
    asked = []
    monkeypatch.setattr(fake_app, "ask", lambda q, **kw: asked.append(q))
    res = run_cli("ask", "Ai?", "--export", str(tmp_path / name))
    assert res.exit_code == 1 and message in res.output and not asked


def test_a_failed_write_keeps_the_old_brief_whole(tmp_path, monkeypatch):
    target = tmp_path / "brief.md"
    target.write_text("the old brief\n", encoding="utf-8")
    brief = build_brief([], {}, "http://x")
    monkeypatch.setattr(
        "assistant.brief.to_markdown", lambda b: (_ for _ in ()).throw(OSError(28, "No space left on device"))
    )
    with pytest.raises(ExportError, match="No space left on device; choose another path"):
        export(brief, target)
    assert target.read_text(encoding="utf-8") == "the old brief\n"
    assert [p.name for p in tmp_path.iterdir()] == ["brief.md"]  # no temporary file left behind
    with pytest.raises(ExportError, match="is a folder"):
        check_target(tmp_path / "x.md" if (tmp_path / "x.md").mkdir() is None else tmp_path)


def test_build_brief_numbers_references_once_and_keeps_markers_outlets_urls_and_also_in():
    cit = [
        Citation(
            1, "a.txt", 3, None, "Một câu.", 110, 118, 0.9, corroborated_by=[Corroboration("b.txt", 7, "sv", 0.86)]
        ),
        Citation(2, "c.pdf", 2, 4, "Hai câu.", 40, 48, 0.8, ocr=True),
    ]
    answers = [
        Answer("Q1?", True, "Một câu. [1] Hai câu. [2]", "vi", cit, "extractive", {}),
        Answer("Q2?", True, "Một câu. [1]", "vi", cit[:1], "extractive", {}),
        Answer("Q3?", False, "Không có.", "vi", [], "extractive", {}),
    ]
    metas = {
        "a.txt": DocMeta("Tiêu đề A", "2025-10-27", "https://mst.gov.vn/a.htm", "vi"),
        "c.pdf": DocMeta("", "", "VnExpress", "vi"),
    }
    brief = build_brief(answers, metas, "https://briefs.example.org/")
    assert [(r.n, r.doc, r.outlet, r.url) for r in brief.references] == [
        (1, "a.txt", "mst.gov.vn", "https://mst.gov.vn/a.htm"),
        (2, "c.pdf", "VnExpress", ""),
    ]
    q1, q2 = brief.items[0].quotes
    assert q1.permalink == "https://briefs.example.org/?doc=a.txt&p=3&q=110-118" and q1.also_in == ("b.txt ¶7 (sv)",)
    assert (q2.n, q2.ref, q2.page, q2.ocr) == (2, 2, 4, True)
    md = to_markdown(brief)
    assert "> — [1] Tiêu đề A, mst.gov.vn, 2025-10-27, ¶3 (reference 1)." in md
    assert "[2] c.pdf, VnExpress, ¶2, p. 4 (OCR text of the scanned page) (reference 2)" in md
    assert "Also in: b.txt ¶7 (sv)" in md and "## 3. Q3?\n\nKhông có.\n" in md
    assert md.count("https://mst.gov.vn/a.htm") == 1  # once, in the reference list


def test_permalinks_escape_file_names_and_spans_parse_strictly():
    assert permalink("http://h:1", "tin tức/bài 1.txt", 4) == "http://h:1/?doc=tin%20t%E1%BB%A9c%2Fb%C3%A0i%201.txt&p=4"
    assert parse_span("3-9") == (3, 9)
    assert parse_span("9-3") is None and parse_span("x-1") is None and parse_span("") is None


def test_permalinks_survive_a_reingest_of_unchanged_documents_a_touch_a_rename_and_a_fresh_index(
    fake_app, tmp_path, settings_for
):
    import os
    import shutil

    from tests.support.fakes import HashEmbedder

    from assistant.app import build

    fake_app.sync()
    doc = "000_b0dddf86d6f85ffe.txt"
    before = fake_app.index.paragraphs(doc)
    path = fake_app.settings.corpus_dir / doc
    os.utime(path, (1, 1))  # touched, same content
    fake_app.sync()
    assert fake_app.index.paragraphs(doc) == before
    path.rename(path.with_name("renamed.txt"))
    fake_app.sync()
    assert fake_app.index.paragraphs("renamed.txt") == before
    # numbering comes from the source text alone: a new index of the same file numbers it the same
    corpus2 = tmp_path / "corpus2"
    corpus2.mkdir()
    shutil.copy2(fake_app.settings.corpus_dir / "renamed.txt", corpus2 / doc)
    fresh = build(settings_for(corpus2).model_copy(update={"index_dir": tmp_path / "index2"}), embedder=HashEmbedder())
    fresh.sync()
    assert fresh.index.paragraphs(doc) == before
