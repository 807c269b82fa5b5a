"""Loaders on real files written to tmp_path (PDF, DOCX, HTML, encodings) and on the five corpus seeds."""

from __future__ import annotations

import io
import sys
import unicodedata
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest

from assistant import loaders
from assistant.errors import SkipFile
from assistant.loaders import SUPPORTED_SUFFIXES, is_ignored, load_document
from assistant.types import LoadedDocument
from tests.support import SEEDS as CORPUS
from tests.support.hostile import encode_cp1258  # the hostile test corpus needs the same legacy encoder
from tests.support.pdfmaker import PAGE1, PAGE2, make_pdf

SEEDS = sorted(CORPUS.glob("*.txt"))
MAX = 50 * 1024 * 1024
EU_VI = "Đại sứ Liên minh châu Âu tại Việt Nam"


def load(path: Path, max_bytes: int = MAX) -> LoadedDocument:
    """Load and check the invariant every consumer relies on: paragraph text == text[start:end]."""
    doc = load_document(path, max_bytes)
    assert doc.paragraphs, "a loaded document has paragraphs"
    assert unicodedata.is_normalized("NFC", doc.text)
    assert "\r" not in doc.text and not doc.text.startswith("\ufeff")
    for i, p in enumerate(doc.paragraphs, 1):
        assert p.n == i
        assert p.text == doc.text[p.start : p.end]
        assert p.text == p.text.strip() and p.text
        assert p.kind == "text"
    assert [p.start for p in doc.paragraphs] == sorted(p.start for p in doc.paragraphs)
    return doc


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def skip_reason(path: Path, max_bytes: int = MAX) -> str:
    with pytest.raises(SkipFile) as e:
        load_document(path, max_bytes)
    return str(e.value)


def texts(doc: LoadedDocument) -> list[str]:
    return [p.text for p in doc.paragraphs]


# --- real PDFs, written by hand (tests/support/pdfmaker.py) -----------------------------------------


def encrypted(pdf: bytes, user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(pdf)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_paragraphs_pages_and_hyphenation(tmp_path):
    doc = load(write(tmp_path, "report.pdf", make_pdf([PAGE1, PAGE2], paragraph_per_line=False)))
    assert [(p.page, p.text[:30]) for p in doc.paragraphs] == [
        (1, "Viet Nam and EU digital cooper"),
        (1, "The European Union and Viet Na"),
        (2, "The ambassador said the partne"),
        (2, "A research and innovation day "),
    ]
    body = doc.paragraphs[1].text
    assert "data governance during" in body and "gover-" not in body
    assert "their digital cooperation" in body  # a line break inside a paragraph becomes a space
    assert doc.paragraphs[2].text.endswith("on shared values.")
    assert doc.text == "\n\n".join(texts(doc))
    assert doc.meta.lang == "en" and doc.meta.title == "Viet Nam and EU digital cooperation report"


def test_pdf_hyphen_before_capital_is_kept():
    lines = ["The forum on the digital partnership between the European Union and Viet-", "Nam was held."]
    assert loaders.pdf_page_paragraphs("\n".join(lines))[0].endswith("European Union and Viet-Nam was held.")


def test_pdf_blank_line_breaks_paragraph():
    assert loaders.pdf_page_paragraphs("First paragraph line\n\nSecond paragraph line") == [
        "First paragraph line",
        "Second paragraph line",
    ]


def test_encrypted_pdf_is_skipped_with_what_to_do(tmp_path):
    path = write(tmp_path, "secret.pdf", encrypted(make_pdf([PAGE1], paragraph_per_line=False), "secret"))
    assert skip_reason(path) == "encrypted PDF: remove the password and save it again"


def test_pdf_with_only_an_owner_password_still_loads(tmp_path):
    doc = load(write(tmp_path, "restricted.pdf", encrypted(make_pdf([PAGE1], paragraph_per_line=False), "")))
    assert "data governance" in doc.text


def test_image_only_pdf_needs_ocr(tmp_path):
    writer = pypdf.PdfWriter()
    writer.add_blank_page(612, 792)
    out = io.BytesIO()
    writer.write(out)
    path = write(tmp_path, "scan.pdf", out.getvalue())
    assert skip_reason(path) == "no text layer (scanned/image-only PDF): it needs OCR"


@pytest.mark.parametrize("data", [b"%PDF-1.7\n garbage \x00\x01 no objects", b"<html>error page</html>"])
def test_corrupt_pdf_is_skipped_with_parser_message(tmp_path, data):
    reason = skip_reason(write(tmp_path, "broken.pdf", data))
    assert reason.startswith("corrupt or unreadable PDF (") and len(reason) > len("corrupt or unreadable PDF ()")


# --- DOCX -----------------------------------------------------------------------------------------


def test_docx_paragraphs_and_table_cells_in_order(tmp_path):
    d = docx.Document()
    d.add_heading("Hợp tác số Việt Nam - EU", 1)
    d.add_paragraph(f"{EU_VI} là ông Julien Guerrier.")
    d.add_paragraph("   ")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Lĩnh vực"
    table.cell(0, 1).text = "Trí tuệ nhân tạo"
    table.cell(1, 0).merge(table.cell(1, 1)).text = "Ô gộp một lần"
    d.add_paragraph("Sau bảng.")
    path = tmp_path / "note.docx"
    d.save(str(path))
    doc = load(path)
    assert texts(doc) == [
        "Hợp tác số Việt Nam - EU",
        f"{EU_VI} là ông Julien Guerrier.",
        "Lĩnh vực",
        "Trí tuệ nhân tạo",
        "Ô gộp một lần",  # a merged cell once, not once per grid column
        "Sau bảng.",
    ]
    assert all(p.page is None for p in doc.paragraphs)
    assert doc.meta.lang == "vi"


def test_docx_that_is_not_a_docx(tmp_path):
    junk = io.BytesIO()
    with zipfile.ZipFile(junk, "w") as z:
        z.writestr("readme.txt", "not a word document")
    assert skip_reason(write(tmp_path, "junk.docx", junk.getvalue())).startswith("not a valid .docx (")
    assert "save" in skip_reason(write(tmp_path, "old.docx", b"\xd0\xcf\x11\xe0 old binary .doc"))


# --- HTML -----------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html><html><head><title>EU và Việt Nam | Báo Mẫu</title>
<meta property="og:site_name" content="Báo Mẫu">
<meta property="article:published_time" content="2025-10-21T08:00:00+07:00">
<style>p { color: red }</style><script>var x = "<p>not text</p>";</script></head>
<body><noscript>Enable JavaScript</noscript>
<h1>EU &amp; Việt Nam hợp tác số</h1>
<p>Đại sứ&nbsp;EU   tại Việt Nam
là ông Julien Guerrier.<br>Dòng thứ hai &lt;b&gt; &#7841;</p>
<ul><li>Một</li><li>Hai</li></ul><template><p>hidden template</p></template>
<table><tr><td>Ô 1</td><td>Ô 2</td></tr></table><svg><title>icon</title></svg>
</body></html>"""


def test_html_visible_text_only(tmp_path):
    doc = load(write(tmp_path, "page.html", HTML))
    assert texts(doc) == [
        "EU & Việt Nam hợp tác số",
        "Đại sứ EU tại Việt Nam là ông Julien Guerrier.",
        "Dòng thứ hai <b> ạ",
        "Một",
        "Hai",
        "Ô 1 Ô 2",
    ]
    for hidden in ("not text", "color", "Enable JavaScript", "hidden template", "icon", "Báo Mẫu"):
        assert hidden not in doc.text
    assert doc.text == "\n\n".join(texts(doc))
    assert (doc.meta.title, doc.meta.date, doc.meta.source, doc.meta.lang) == (
        "EU và Việt Nam",
        "2025-10-21",
        "Báo Mẫu",
        "vi",
    )


def test_html_declared_legacy_charset(tmp_path):
    page = '<html><head><meta charset="windows-1252"></head><body><p>Malmö är en stad i Sverige.</p></body></html>'
    doc = load(write(tmp_path, "sv.htm", page.encode("cp1252")))
    assert texts(doc) == ["Malmö är en stad i Sverige."]


def test_html_without_visible_text(tmp_path):
    assert "no visible text" in skip_reason(write(tmp_path, "empty.html", "<html><script>x()</script></html>"))


# --- plain text, markdown and encodings -----------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        ("\ufeff" + EU_VI + "\n").encode("utf-8"),
        (EU_VI + "\n").encode("utf-16"),  # with BOM
        b"\xfe\xff" + (EU_VI + "\n").encode("utf-16-be"),
        (EU_VI + " là ông Julien Guerrier.\n").encode("utf-16-le"),  # no BOM
        encode_cp1258(EU_VI),
        encode_cp1258(EU_VI + " là ông Julien Guerrier.\r\nBộ Khoa học và Công nghệ.\r\n"),
        unicodedata.normalize("NFD", EU_VI).encode("utf-8"),
    ],
    ids=["utf8-bom", "utf16-bom", "utf16be-bom", "utf16le-nobom", "cp1258-short", "cp1258-crlf", "nfd"],
)
def test_encodings_decode_to_the_same_nfc_text(tmp_path, data):
    doc = load(write(tmp_path, "doc.txt", data))
    assert doc.paragraphs[0].text.startswith(EU_VI)
    assert doc.meta.lang == "vi"


def test_cp1258_is_really_vietnamese_not_a_western_codepage(tmp_path):
    doc = load(write(tmp_path, "legacy.txt", encode_cp1258("Thứ trưởng Bùi Thế Duy phát biểu tại Diễn đàn.")))
    assert doc.text == "Thứ trưởng Bùi Thế Duy phát biểu tại Diễn đàn."


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_legacy_swedish_text(tmp_path, encoding):
    text = "Vem är EU:s ambassadör i Vietnam? Åsa åkte till Åre."
    doc = load(write(tmp_path, "sv.txt", text.encode(encoding)))
    assert doc.text == text and doc.meta.lang == "sv"


def test_line_ends_are_unified(tmp_path):
    doc = load(write(tmp_path, "crlf.txt", "Dòng một.\r\nDòng hai.\rDòng ba.\r\n\r\nĐoạn bốn."))
    assert doc.text == "Dòng một.\nDòng hai.\nDòng ba.\n\nĐoạn bốn."


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, bytes(range(1, 9)) * 200, b"MZ\x90\x00\x03\x00\x00\x00" * 50],
    ids=["png", "control-bytes", "exe"],
)
def test_binary_txt_is_skipped(tmp_path, data):
    assert skip_reason(write(tmp_path, "image.txt", data)).startswith("binary data, not text: ")


@pytest.mark.parametrize("data", [b"", b"  \n\n\t \r\n", "\u00a0\n \u00a0 \n".encode()])
def test_empty_or_whitespace_file(tmp_path, data):
    assert skip_reason(write(tmp_path, "empty.txt", data)) == "empty file"


def _calls_to_load(path) -> int:
    """Python and C function calls made while loading a file (deterministic, unlike a stopwatch)."""
    calls = 0

    def profile(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        load(path)
    finally:
        sys.setprofile(None)
    return calls


def test_five_mb_single_line_loads_in_a_fixed_number_of_whole_text_passes(tmp_path):
    """A 5 MB one-line file: the loader's work is a fixed number of whole-text operations (decode, NFC,
    one split), the same for 0.5 MB and 5 MB, never Python code per sentence or per character."""
    sentence = "Việt Nam và EU thúc đẩy hợp tác chuyển đổi số. "
    path = write(tmp_path, "big.txt", sentence * 100_000)
    assert path.stat().st_size > 5 * 1024 * 1024
    doc = load(path)
    assert len(doc.paragraphs) == 1 and doc.paragraphs[0].end == len(doc.text.rstrip()) and doc.paragraphs[0].start == 0
    small = write(tmp_path, "small.txt", sentence * 10_000)
    _calls_to_load(small)  # warm: lazy imports and regex compilation happen once
    assert _calls_to_load(path) <= _calls_to_load(small) + 20


def test_oversize_is_skipped_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path, "big.txt", "x" * 3 * 1024 * 1024)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read an oversize file"))
    assert skip_reason(path, 1024 * 1024) == (
        "file is 3.0 MB, over the ASSISTANT_MAX_FILE_MB limit of 1.0 MB: raise the setting or split the file"
    )


def test_permission_denied(tmp_path, monkeypatch):
    path = write(tmp_path, "locked.txt", "text")

    def denied(self):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "read_bytes", denied)
    assert skip_reason(path) == "cannot read file: permission denied"


def test_unexpected_parser_error_becomes_skip(tmp_path, monkeypatch):
    def broken(data):
        raise ValueError("parser exploded")

    monkeypatch.setitem(loaders._PARSERS, ".md", broken)
    assert skip_reason(write(tmp_path, "x.md", "# hi")) == "cannot read this .md file (parser exploded)"


def test_unsupported_extension(tmp_path):
    reason = skip_reason(write(tmp_path, "data.xyz", "text"))
    assert reason.startswith("unsupported file type .xyz: supported are ")
    assert all(s in reason for s in (".pdf", ".docx", ".txt", ".md", ".html"))


def test_one_paragraph_per_line_in_news_dumps(tmp_path):
    long = "Đây là một đoạn văn dài của bài báo, " * 5
    doc = load(write(tmp_path, "dump.txt", f"Tiêu đề bài báo\n\n{long}\n{long}\nẢnh minh họa\n\u00a0\n"))
    assert texts(doc) == ["Tiêu đề bài báo", long.strip(), long.strip(), "Ảnh minh họa"]


def test_hard_wrapped_text_joins_lines_of_a_paragraph(tmp_path):
    text = "First paragraph that was wrapped\nat a fixed width by an editor.\n\nSecond one\nalso wrapped.\n"
    doc = load(write(tmp_path, "wrapped.txt", text))
    assert texts(doc) == [
        "First paragraph that was wrapped\nat a fixed width by an editor.",
        "Second one\nalso wrapped.",
    ]


def test_markdown_kept_verbatim_headings_alone(tmp_path):
    text = "# Hợp tác số\nĐoạn mở đầu ngắn\ntiếp tục ở đây.\n\n## Mục hai\n- mục **một**\n- mục hai\n"
    doc = load(write(tmp_path, "note.md", text))
    assert texts(doc) == [
        "# Hợp tác số",
        "Đoạn mở đầu ngắn\ntiếp tục ở đây.",
        "## Mục hai",
        "- mục **một**",
        "- mục hai",
    ]
    assert doc.meta.title == "Hợp tác số"


@pytest.mark.parametrize(
    ("name", "ignored"),
    [
        (".hidden.txt", True), ("~$report.docx", True), ("report.docx~", True), ("file.pdf.part", True),
        ("file.crdownload", True), ("x.tmp", True), (".report.md.swp", True), ("a.swp", True),
        (".DS_Store", True), ("Thumbs.db", True), ("desktop.ini", True),
        ("report.pdf", False), ("000_b0dddf86d6f85ffe.txt", False), ("tmp-notes.md", False),
    ],
)  # fmt: skip
def test_is_ignored(name, ignored):
    assert is_ignored(name) is ignored


def test_supported_suffixes():
    assert SUPPORTED_SUFFIXES == {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


# --- the real seed documents ----------------------------------------------------------------------


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_seed_offsets_are_exact(path):
    doc = load(path)
    raw = path.read_text(encoding="utf-8")
    assert doc.text == unicodedata.normalize("NFC", raw)
    assert not any(set(p.text) <= {"\u00a0", " "} for p in doc.paragraphs)
    non_blank = [line for line in raw.split("\n") if line.strip()]
    assert len(doc.paragraphs) == len(non_blank)  # news dumps: one paragraph per line


def test_seed_paragraph_counts():
    assert len(SEEDS) == 5
    counts = [len(load(p).paragraphs) for p in SEEDS]
    assert counts == [43, 14, 15, 41, 44]


def test_seed_003_glued_related_news_is_one_paragraph():
    doc = load(CORPUS / "003_a6de01ab2ae2bfda.txt")
    last = doc.paragraphs[-1]
    assert last.text.startswith("Thủ tướng tiếp ông Celso Nunes Cio") and len(last.text) > 6000
    assert "\n" not in last.text


def test_seed_000_captions_and_nbsp_lines():
    doc = load(CORPUS / "000_b0dddf86d6f85ffe.txt")
    assert texts(doc).count("Ảnh minh họa") == 2
    assert doc.paragraphs[2].text == "Thiên Trường"
    assert any(p.text.startswith("Việc Bộ KH&CN dẫn đầu") for p in doc.paragraphs)  # leading space stripped


def test_pdf_paragraph_cut_by_a_page_break_is_one_paragraph(tmp_path):
    doc = load(
        write(
            tmp_path,
            "cut.pdf",
            make_pdf([PAGE1[:3], ["nance during the forum.", *PAGE2[2:]]], paragraph_per_line=False),
        )
    )
    assert [(p.page, p.text[:24]) for p in doc.paragraphs] == [
        (1, "Viet Nam and EU digital "),
        (1, "The European Union and V"),
        (2, "A research and innovatio"),
    ]
    assert doc.paragraphs[1].text.endswith("data governance during the forum.")
    assert loaders.across_pages([("Ends here.", 1), ("lower case, but after a sentence end", 2)]) == [
        ("Ends here.", 1),
        ("lower case, but after a sentence end", 2),
    ]
