"""PDF via pypdf (the only module that imports it): lines re-joined per page, paragraph breaks detected, a
paragraph cut by a page break joined again; scanned pages read by OCR when a reader is given."""

from __future__ import annotations

import io
import re

from ..errors import SkipFile
from ..types import PageReader, Paragraph
from .base import joined, normalize, reason

SENTENCE_END = re.compile(r"[.!?…][\"'”’»)\]]*$")
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
    text, paragraphs = joined(pieces)
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
        scanned = [
            n
            for n, (page, text) in enumerate(zip(reader.pages, texts), 1)
            if len("".join(text.split())) < SCANNED_MAX_CHARS and _has_image(page)
        ]
        return texts, scanned
    except SkipFile:
        raise
    except pypdf.errors.FileNotDecryptedError:
        raise SkipFile("encrypted PDF: remove the password and save it again") from None
    except pypdf.errors.DependencyError as e:
        raise SkipFile(f"encrypted PDF that needs an extra library to open ({reason(e)})") from None
    except Exception as e:
        raise SkipFile(f"corrupt or unreadable PDF ({reason(e)})") from None


def across_pages(pieces: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Re-join a paragraph that a page break cut: the last paragraph of a page that ends without a sentence
    end, followed by a first paragraph of the next page that starts in lower case (or after a hyphen). The
    paragraph keeps the page it starts on."""
    out: list[tuple[str, int]] = []
    last_page = 0
    for para, page in pieces:
        prev = out[-1][0] if out else ""
        if (
            prev
            and page == last_page + 1
            and not SENTENCE_END.search(prev)
            and (para[:1].islower() or prev.endswith(_HYPHENS))
        ):
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
    if len(line) < 0.8 * typical and SENTENCE_END.search(line):
        return True
    heading = first and len(line) < 0.6 * typical and not _NO_BREAK_END.search(line) and not SENTENCE_END.search(line)
    return heading and bool(following) and following[0].isupper()
