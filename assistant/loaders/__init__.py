"""File -> normalised (NFC) text + paragraphs with exact offsets (and pages for PDFs).

The only package that imports pypdf (`pdf.py`), python-docx (`word.py`), charset-normalizer (`decode.py`) and
html.parser (`html_page.py`); `base.py` holds what they share.
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

from pathlib import Path
from typing import Callable

from ..errors import SkipFile
from ..metadata import extract_meta
from ..types import LoadedDocument, PageReader, Paragraph
from .base import mb, normalize, reason
from .decode import decode
from .html_page import parse_html
from .pdf import across_pages, parse_pdf, pdf_page_paragraphs
from .plain import parse_md, parse_txt, plain_paragraphs
from .word import DOCX_MAX_XML_BYTES, parse_docx

__all__ = [
    "DOCX_MAX_XML_BYTES", "SUPPORTED_SUFFIXES", "across_pages", "decode", "is_ignored", "load_document", "normalize",
    "parse_pdf", "pdf_page_paragraphs", "plain_paragraphs",
]  # fmt: skip

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}


def unsupported_type(suffix: str) -> str:
    """Why a file of this type is not indexed, naming the types that are (sync, the loaders, uploads)."""
    return f"unsupported file type {suffix or '(none)'}: supported are {', '.join(sorted(SUPPORTED_SUFFIXES))}"


_IGNORED_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_IGNORED_SUFFIXES = (".part", ".crdownload", ".tmp", ".swp")


def is_ignored(name: str) -> bool:
    """Hidden, lock, temporary and partial-download files that are never documents."""
    low = name.lower()
    return (
        name.startswith((".", "~$")) or name.endswith("~") or low in _IGNORED_NAMES or low.endswith(_IGNORED_SUFFIXES)
    )


def load_document(path: Path, max_bytes: int, ocr: PageReader | None = None) -> LoadedDocument:
    """Read a supported file into NFC text, paragraphs and metadata; raise SkipFile when it cannot be indexed.

    `ocr` reads the scanned pages of a PDF; without it they are left out (a PDF of scans only is skipped)."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(unsupported_type(suffix))
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
        raise SkipFile(f"cannot read this {suffix} file ({reason(e)})") from e


def _read(path: Path, max_bytes: int) -> bytes:
    """The file's bytes; the size limit is checked before reading."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SkipFile(
                f"file is {mb(size)} MB, over the ASSISTANT_MAX_FILE_MB limit of {mb(max_bytes)} MB: "
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


_PARSERS: dict[str, Callable[[bytes], tuple[str, list[Paragraph], dict | None]]] = {
    ".txt": parse_txt,
    ".md": parse_md,
    ".markdown": parse_md,
    ".html": parse_html,
    ".htm": parse_html,
    ".docx": parse_docx,
}
