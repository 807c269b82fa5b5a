"""File -> normalised (NFC) text + paragraphs with exact offsets (and pages for PDFs).

The only module that imports pypdf, python-docx, charset-normalizer and html.parser.
Every failure becomes `SkipFile` with a reason the user can act on.

Paragraphs:
- txt/md: blank lines (also lines of only spaces/NBSP) separate blocks; inside a block every line
  is its own paragraph (web dumps put one paragraph per line), unless the file is hard-wrapped
  (median line < 100 chars and longest < 130): then a block is one paragraph spanning its lines
  (newlines kept in the text). In markdown, `# headings` stay their own paragraph; list items start one.
- html: visible text only; block elements break paragraphs; whitespace collapsed.
- pdf: lines re-joined per page (hyphenation undone); a paragraph ends at a blank line, at a clearly
  short line ending a sentence, or after a short heading-like first line; a paragraph cut by a page break
  (no sentence end, the next page starts in lower case) is one, on the page it starts. A page without a text layer
  (an image and next to no text: a scan) is read by OCR (`ocr.py`) when an OCR reader is given, and its
  lines are re-joined the same way.
- docx: body paragraphs and table cells in document order.
html/pdf/docx text is the paragraphs joined by a blank line.
"""

from __future__ import annotations

import codecs
import io
import re
import statistics
import unicodedata
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterable

from .errors import SkipFile
from .metadata import VI_LETTERS, extract_meta
from .types import LoadedDocument, PageReader, Paragraph

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
_IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_IGNORED_SUFFIXES = (".part", ".crdownload", ".tmp", ".swp")
_MB = 1024 * 1024
DOCX_MAX_XML_BYTES = 64 * _MB  # unpacked XML of a .docx; reading 30 MB of it took 620 MB of memory

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_CP1258_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # the tone marks Windows-1258 stores as separate bytes
_VI_EXTENDED = re.compile(r"[\u1ea0-\u1ef9ơưăđƠƯĂĐ]")
_VI_LETTER = re.compile("[" + VI_LETTERS + VI_LETTERS.upper() + "]")
_DECLARED_CHARSET = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def is_ignored(name: str) -> bool:
    """Hidden, lock, temporary and partial-download files that are never documents."""
    low = name.lower()
    return (
        name.startswith((".", "~$"))
        or name.endswith("~")
        or low in _IGNORED_NAMES
        or low.endswith(_IGNORED_SUFFIXES)
    )


def load_document(path: Path, max_bytes: int, ocr: PageReader | None = None) -> LoadedDocument:
    """Read a supported file into NFC text, paragraphs and metadata; raise SkipFile when it cannot be indexed.

    `ocr` reads the scanned pages of a PDF; without it they are left out (a PDF of scans only is skipped)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise SkipFile(f"unsupported file type {suffix or '(none)'}: supported are {supported}")
    data = _read(path, max_bytes)
    try:
        ocr_pages: list[int] = []
        if suffix == ".pdf":
            text, paragraphs, ocr_pages = parse_pdf(data, ocr, path.name)
            html_meta = None
        else:
            text, paragraphs, html_meta = _PARSERS[suffix](data)
        if not paragraphs:
            raise SkipFile("empty file")
        return LoadedDocument(text, paragraphs, extract_meta(text, paragraphs, path.name, html_meta), ocr_pages)
    except SkipFile:
        raise
    except Exception as e:  # a parser bug or a file shape nobody anticipated: skip it, do not crash the sync
        raise SkipFile(f"cannot read this {suffix} file ({_reason(e)})") from e


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; the size limit is checked before reading."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkipFile(
                f"file is {_mb(size)} MB, over the ASSISTANT_MAX_FILE_MB limit of {_mb(max_bytes)} MB: "
                "raise the setting or split the file"
            )
        if size == 0:
            raise SkipFile("empty file")
        return path.read_bytes()
    except PermissionError:
        raise SkipFile("cannot read file: permission denied") from None
    except IsADirectoryError:
        raise SkipFile("cannot read file: it is a directory") from None
    except FileNotFoundError:
        raise SkipFile("cannot read file: it was removed or renamed while reading") from None
    except OSError as e:
        raise SkipFile(f"cannot read file: {e.strerror or e}") from None


def _mb(n: int) -> str:
    """Bytes as megabytes, readable for both 120 MB and tiny test limits."""
    mb = n / _MB
    return f"{mb:.1f}" if mb >= 0.1 else f"{mb:.2g}"


def _reason(e: BaseException) -> str:
    """A parser exception as a short message."""
    msg = str(e).strip() or type(e).__name__
    return msg if len(msg) <= 200 else msg[:200] + "…"


def normalize(text: str) -> str:
    """Drop a BOM, unify line ends to \\n, compose to NFC."""
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


# --- decoding -----------------------------------------------------------------------------------


def decode(data: bytes, declared: str = "") -> str:
    """Bytes -> str: a BOM, UTF-8, BOM-less UTF-16, a declared charset, Windows-1258, or charset-normalizer's guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            return _check_text(text)
    if b"\x00" in data:
        return _check_text(_utf16_without_bom(data))
    try:
        return _check_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    return _check_text(_legacy(data, declared))


def _utf16_without_bom(data: bytes) -> str:
    """UTF-16 text without a BOM, recognised by NULs in every other byte; anything else with NULs is binary."""
    half = len(data) // 2
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if len(data) % 2 == 0 and half:
        for encoding, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
            if zeros > 0.3 * half and others < 0.05 * half:
                try:
                    return data.decode(encoding)
                except UnicodeDecodeError:
                    break
    raise SkipFile("binary data, not text: the file contains NUL bytes")


def _legacy(data: bytes, declared: str) -> str:
    """Non-UTF-8 bytes: mostly-UTF-8 with a few bad bytes, a declared charset, Windows-1258, or the best guess."""
    mostly = _mostly_utf8(data)
    if mostly is not None:
        return mostly
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    if _looks_vietnamese_cp1258(data):
        return data.decode("cp1258")
    return _guess(data)


def _guess(data: bytes) -> str:
    """charset-normalizer's best guess; among equally clean decodings Windows-1252 wins (English, Swedish)."""
    import charset_normalizer

    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        raise SkipFile("binary data, not text: no text encoding fits it (save it as UTF-8)")
    cleanest = min(m.chaos for m in matches)
    if any(m.encoding == "cp1252" and m.chaos <= cleanest + 0.01 for m in matches):
        return data.decode("cp1252")
    best = max((m for m in matches if m.chaos <= cleanest + 0.01), key=lambda m: m.coherence)
    return str(best)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken bytes (a bad copy) decodes as UTF-8, not as a legacy code page."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = sum(1 for ch in text if ord(ch) > 127) - bad
    return text if bad <= len(data) / 1000 and non_ascii >= 10 * bad else None


def _looks_vietnamese_cp1258(data: bytes) -> bool:
    """Windows-1258 Vietnamese: its separate tone-mark bytes all compose into Vietnamese letters."""
    try:
        raw = data.decode("cp1258")
    except UnicodeDecodeError:
        return False
    marks = sum(raw.count(m) for m in _CP1258_MARKS)
    if not marks:
        return False
    composed = unicodedata.normalize("NFC", raw)
    left = sum(composed.count(m) for m in _CP1258_MARKS)
    letters = len(_VI_LETTER.findall(composed))
    return left <= 0.1 * marks and letters >= 0.8 * marks and bool(_VI_EXTENDED.search(composed))


def _check_text(text: str) -> str:
    """Reject decoded text that is mostly control characters (binary data in a text costume)."""
    sample = text[:100_000]
    if sample and len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        raise SkipFile("binary data, not text: mostly non-printable characters")
    return text


# --- plain text and markdown --------------------------------------------------------------------


def _parse_txt(data: bytes) -> tuple[str, list[Paragraph], None]:
    """Plain text: decode, normalise, split into paragraphs."""
    text = normalize(decode(data))
    return text, plain_paragraphs(text, markdown=False), None


def _parse_md(data: bytes) -> tuple[str, list[Paragraph], None]:
    """Markdown: like plain text, markup kept verbatim, headings their own paragraph."""
    text = normalize(decode(data))
    return text, plain_paragraphs(text, markdown=True), None


_MD_HEADING = re.compile(r"#{1,6}(\s|$)")
_LIST_ITEM = re.compile(r"([-*+•]|\d{1,3}[.)])\s")


def plain_paragraphs(text: str, markdown: bool = False) -> list[Paragraph]:
    """Paragraph spans of normalised plain text (see the module docstring for the rules)."""
    lines = _line_spans(text)
    lengths = [e - s for span in lines if span for s, e in [span]]
    if not lengths:
        return []
    wrapped = statistics.median(lengths) < 100 and max(lengths) < 130
    spans: list[tuple[int, int]] = []
    block_open = False
    for span in lines:
        if span is None:
            block_open = False
            continue
        line = text[span[0] : span[1]]
        heading = markdown and _MD_HEADING.match(line) is not None
        starts_new = not (wrapped and block_open) or heading or _LIST_ITEM.match(line) is not None
        if not starts_new and markdown and _MD_HEADING.match(text[spans[-1][0] : spans[-1][1]]):
            starts_new = True  # the line after a heading
        if starts_new:
            spans.append(span)
        else:
            spans[-1] = (spans[-1][0], span[1])
        block_open = True
    return [Paragraph(n, s, e, text[s:e]) for n, (s, e) in enumerate(spans, 1)]


def _line_spans(text: str) -> list[tuple[int, int] | None]:
    """(start, end) of each line with surrounding whitespace (NBSP too) trimmed; None for a blank line."""
    spans: list[tuple[int, int] | None] = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + len(line) - len(line.lstrip())
            spans.append((start, start + len(stripped)))
        else:
            spans.append(None)
        pos += len(line) + 1
    return spans


def _joined(pieces: Iterable[tuple[str, int | None]]) -> tuple[str, list[Paragraph]]:
    """Paragraph texts (with pages) -> document text joined by blank lines, and exact paragraphs."""
    paragraphs: list[Paragraph] = []
    parts: list[str] = []
    pos = 0
    for raw, page in pieces:
        piece = unicodedata.normalize("NFC", raw).strip()
        if not piece:
            continue
        if parts:
            pos += 2
        paragraphs.append(Paragraph(len(paragraphs) + 1, pos, pos + len(piece), piece, page))
        parts.append(piece)
        pos += len(piece)
    return "\n\n".join(parts), paragraphs


# --- HTML -----------------------------------------------------------------------------------------

_HTML_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_HTML_BLOCK = {
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div", "dl", "dt",
    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
}  # fmt: skip
_HTML_META = {"og:title", "og:site_name", "article:published_time"}


class _HTMLText(HTMLParser):
    """Collects visible text as paragraphs, plus <title> and a few <meta> values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self.meta: dict[str, str] = {}
        self._parts: list[str] = []
        self._title: list[str] = []
        self._skip = 0
        self._in_title = False
        self._title_done = False  # an <svg><title> later in the page is not the page title
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Track skipped regions, paragraph breaks, <title> and <meta>."""
        if tag == "meta":
            self._read_meta(dict(attrs))
        elif tag == "body":
            self._skip = 0  # an unclosed <head> ends here
        elif tag == "title":
            self._in_title = not self._title_done
        if tag in _HTML_SKIP:
            self._skip += 1
        elif tag in _HTML_BLOCK:
            self._flush()
        self._pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        """Close skipped regions and paragraphs; keep table cells apart."""
        if tag == "title" and self._in_title:
            self._in_title, self._title_done = False, True
        if tag in _HTML_SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in _HTML_BLOCK:
            self._flush()
        elif tag in ("td", "th"):
            self._parts.append(" ")
        if tag == "pre":
            self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        """Visible text goes to the current paragraph; inside <pre> each line is one."""
        if self._in_title:
            self._title.append(data)
        if self._skip:
            return
        if not self._pre:
            self._parts.append(data)
            return
        lines = data.split("\n")
        for i, line in enumerate(lines):
            if i:
                self._flush()
            self._parts.append(line)

    def close(self) -> None:
        """Finish parsing and the last paragraph."""
        super().close()
        self._flush()
        self.meta["title"] = " ".join("".join(self._title).split())

    def _flush(self) -> None:
        """End the current paragraph (whitespace collapsed, empty ones dropped)."""
        text = " ".join("".join(self._parts).split())
        if text:
            self.paragraphs.append(text)
        self._parts = []

    def _read_meta(self, attrs: dict[str, str | None]) -> None:
        """Keep the <meta> values used for document metadata."""
        key = (attrs.get("property") or attrs.get("name") or "").lower()
        if key in _HTML_META and attrs.get("content"):
            self.meta[key] = attrs["content"] or ""


def _parse_html(data: bytes) -> tuple[str, list[Paragraph], dict[str, str]]:
    """HTML: visible text, block elements as paragraph breaks, <title>/<meta> for metadata."""
    m = _DECLARED_CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii", "ignore") if m else ""
    parser = _HTMLText()
    parser.feed(normalize(decode(data, declared)))
    parser.close()
    text, paragraphs = _joined([(p, None) for p in parser.paragraphs])
    if not paragraphs:
        raise SkipFile("no visible text in this HTML page")
    return text, paragraphs, parser.meta


# --- PDF ------------------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
_NO_BREAK_END = re.compile(r"[,;:\-–(]$")
_HYPHENS = ("-", "\u2010", "\u00ad")


SCANNED_MAX_CHARS = 20  # a page with an image and fewer letters than this is a scan (a stamped page number at most)


def parse_pdf(data: bytes, ocr: PageReader | None = None, name: str = "") -> tuple[str, list[Paragraph], list[int]]:
    """PDF via pypdf: text per page, lines re-joined into paragraphs, page numbers kept; scanned pages read by
    `ocr` when given. Returns the text, the paragraphs and the pages whose text is OCR's."""
    pages, scanned = _pdf_pages(data)
    read = ocr.read(data, scanned, name) if ocr is not None and scanned else {}
    for n, page in read.items():
        pages[n - 1] = page.text
    pieces = across_pages([(para, n) for n, page in enumerate(pages, 1) for para in pdf_page_paragraphs(page)])
    text, paragraphs = _joined(pieces)
    if not paragraphs:
        if read:
            scans = "its scanned page" if len(read) == 1 else f"its {len(read)} scanned pages"
            raise SkipFile(f"OCR found no text on {scans} (blank or unreadable scans?)")
        if scanned or ocr is None:  # no OCR here, or it is off (ASSISTANT_OCR_MAX_PAGES=0)
            raise SkipFile("no text layer (scanned/image-only PDF): it needs OCR")
        raise SkipFile("no text on any page: no text layer and no scanned image (blank pages or drawings only)")
    return text, paragraphs, sorted(n for n in read if any(p.page == n for p in paragraphs))


def _pdf_pages(data: bytes) -> tuple[list[str], list[int]]:
    """The extracted text of each page, normalised, and the scanned pages (an image, next to no text);
    encryption and corruption become SkipFile."""
    import pypdf

    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # an owner-only password still allows reading
            raise SkipFile("encrypted PDF: remove the password and save it again")
        texts = [normalize(page.extract_text() or "") for page in reader.pages]
        scanned = [n for n, (page, text) in enumerate(zip(reader.pages, texts), 1) if len("".join(text.split())) < SCANNED_MAX_CHARS and _has_image(page)]
        return texts, scanned
    except SkipFile:
        raise
    except pypdf.errors.FileNotDecryptedError:
        raise SkipFile("encrypted PDF: remove the password and save it again") from None
    except pypdf.errors.DependencyError as e:
        raise SkipFile(f"encrypted PDF that needs an extra library to open ({_reason(e)})") from None
    except Exception as e:
        raise SkipFile(f"corrupt or unreadable PDF ({_reason(e)})") from None


def across_pages(pieces: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Re-join a paragraph that a page break cut: the last paragraph of a page that ends without a sentence
    end, followed by a first paragraph of the next page that starts in lower case (or after a hyphen). The
    paragraph keeps the page it starts on."""
    out: list[tuple[str, int]] = []
    last_page = 0
    for para, page in pieces:
        prev = out[-1][0] if out else ""
        if prev and page == last_page + 1 and not _SENTENCE_END.search(prev) and (para[:1].islower() or prev.endswith(_HYPHENS)):
            out[-1] = (_join_line(prev, para), out[-1][1])
        else:
            out.append((para, page))
        last_page = page
    return out


def _has_image(page) -> bool:
    """Whether a page draws an image (its resources or inline); one that cannot be listed is tried by OCR."""
    try:
        return len(page.images) > 0
    except Exception:
        return True


def pdf_page_paragraphs(page_text: str) -> list[str]:
    """Re-join the lines of one page into paragraphs (hyphenation undone, breaks detected)."""
    lines = [line.strip() for line in page_text.split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return []
    typical = lengths[(len(lengths) * 3) // 4]  # 75th percentile: robust to short last lines
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        if not line:
            paragraphs.append(current)
            current = ""
            continue
        first = not current
        current = _join_line(current, line)
        following = lines[i + 1] if i + 1 < len(lines) else ""
        if _ends_paragraph(line, typical, first, following):
            paragraphs.append(current)
            current = ""
    paragraphs.append(current)
    return [p for p in paragraphs if p]


def _join_line(current: str, line: str) -> str:
    """Append a line: `hyphen-` + `ation` -> `hyphenation`, `EU-` + `Vietnam` keeps the hyphen, else a space."""
    if not current:
        return line
    if current.endswith(_HYPHENS) and len(current) > 1 and current[-2].isalpha():
        return (current[:-1] if line[0].islower() else current.rstrip("\u00ad")) + line
    return current + " " + line


def _ends_paragraph(line: str, typical: int, first: bool, following: str) -> bool:
    """A clearly short line ending a sentence, or a short heading-like first line."""
    if len(line) < 0.8 * typical and _SENTENCE_END.search(line):
        return True
    heading = first and len(line) < 0.6 * typical and not _NO_BREAK_END.search(line) and not _SENTENCE_END.search(line)
    return heading and bool(following) and following[0].isupper()


# --- DOCX -----------------------------------------------------------------------------------------


def _parse_docx(data: bytes) -> tuple[str, list[Paragraph], None]:
    """DOCX via python-docx: body paragraphs and table cells in document order."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise SkipFile("not a valid .docx (not a zip archive; an old .doc file must be saved as .docx)")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # python-docx holds every XML part in memory, ~20x its size
        xml = sum(i.file_size for i in archive.infolist() if i.filename.lower().endswith(".xml"))
    if xml > DOCX_MAX_XML_BYTES:
        raise SkipFile(
            f"the .docx unpacks to {_mb(xml)} MB of XML, more than the {_mb(DOCX_MAX_XML_BYTES)} MB that can be read "
            "safely (a zip bomb, or an enormous document): split it or save it as .txt"
        )
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        texts = _docx_texts(document)
    except Exception as e:
        raise SkipFile(f"not a valid .docx ({_reason(e)})") from None
    text, paragraphs = _joined([(normalize(t), None) for t in texts])
    if not paragraphs:
        raise SkipFile("empty document: no text in its paragraphs or tables")
    return text, paragraphs, None


def _docx_texts(container) -> list[str]:
    """Texts of the paragraphs of a document or table cell, descending into tables (each cell once)."""
    from docx.table import Table, _Cell

    texts: list[str] = []
    for item in container.iter_inner_content():
        if isinstance(item, Table):
            for tr in item._tbl.tr_lst:  # physical cells: merged cells are not repeated
                for tc in tr.tc_lst:
                    texts.extend(_docx_texts(_Cell(tc, item)))
        else:
            texts.append(item.text)
    return texts


_PARSERS: dict[str, Callable[[bytes], tuple[str, list[Paragraph], dict | None]]] = {
    ".txt": _parse_txt,
    ".md": _parse_md,
    ".markdown": _parse_md,
    ".html": _parse_html,
    ".htm": _parse_html,
    ".docx": _parse_docx,
}
