"""HTML for the document viewer: a cited paragraph in its context, the whole document, a scanned page.

Pure: built from Paragraph and DocMeta values; all document text is escaped (`render.esc`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..types import DocMeta, Paragraph
from .render import OCR_BADGE, doc_label, esc, safe_url

NEIGHBOURS = 2  # paragraphs shown before and after a cited one
DOC_WINDOW = 300  # paragraphs rendered around the target in the whole-document view


def _paragraphs(n: int) -> str:
    return f"{n} paragraph" if n == 1 else f"{n} paragraphs"


def highlight(text: str, start: int, end: int) -> str:
    """Escaped text with text[start:end] wrapped in <mark> (offsets clipped to the text)."""
    a, b = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if b <= a:
        return esc(text)
    return f"{esc(text[:a])}<mark>{esc(text[a:b])}</mark>{esc(text[b:])}"


@dataclass
class Target:
    """What the viewer shows: a paragraph of a document, optionally a quoted span (absolute offsets)."""

    doc: str
    paragraph: int
    start: int = -1
    end: int = -1
    label: str = ""  # "[1]" or "nearest passage"


def _para_html(p: Paragraph, target: Target, css: str) -> str:
    body = highlight(p.text, target.start - p.start, target.end - p.start) if p.n == target.paragraph else esc(p.text)
    kind = " heading" if p.kind == "heading" else ""
    page = f' data-page="{p.page}"' if p.page else ""
    return f'<div class="para {css}{kind}" id="para-{p.n}"{page}><span class="pn">¶{p.n}</span>{body}</div>'


def _doc_head(
    target: Target,
    meta: DocMeta | None,
    paragraphs: list[Paragraph],
    what: str,
    ocr_pages: frozenset[int] = frozenset(),
) -> str:
    title = doc_label(target.doc, meta)
    bits = []
    if meta and meta.date:
        bits.append(f"<span>{esc(meta.date)}</span>")
    if meta and meta.source:
        url = safe_url(meta.source)
        src = (
            f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">{esc(meta.source)}</a>'
            if url
            else esc(meta.source)
        )
        bits.append(f"<span>{src}</span>")
    if meta and meta.lang:
        bits.append(f"<span>{esc(meta.lang)}</span>")
    bits.append(f'<span class="file">{esc(target.doc)}</span>')
    p = next((x for x in paragraphs if x.n == target.paragraph), None)
    loc = f"¶{target.paragraph} of {len(paragraphs)}"
    if p is not None and p.page:
        loc += f" · page {p.page}"
        if p.page in ocr_pages:
            loc += f" {OCR_BADGE} text read by OCR from the scanned page"
    return (
        f'<div class="pv-head"><div class="pv-label">{esc(target.label)} {what}</div>'
        f'<div class="pv-title">{esc(title)}</div><div class="pv-meta">{" · ".join(bits)}</div>'
        f'<div class="pv-loc">{loc}</div></div>'
    )


def _position(target: Target, paragraphs: list[Paragraph]) -> int | None:
    """Where the cited paragraph is in the document's list, None when it is gone."""
    return next((i for i, p in enumerate(paragraphs) if p.n == target.paragraph), None)


def _missing(target: Target, where: str = "") -> str:
    return (
        f'<div class="pv missing">{esc(target.doc)}{esc(where)} is no longer in the library (deleted or changed).</div>'
    )


def render_paragraph_view(
    target: Target,
    meta: DocMeta | None,
    paragraphs: list[Paragraph],
    radius: int = NEIGHBOURS,
    ocr_pages: frozenset[int] = frozenset(),
) -> str:
    """The cited paragraph with its quote highlighted and `radius` neighbours each side, plus the document's details."""
    i = _position(target, paragraphs)
    if i is None:
        return _missing(target, f" ¶{target.paragraph}")
    shown = paragraphs[max(0, i - radius) : i + radius + 1]
    before = f'<div class="more muted">… {_paragraphs(i - radius)} before</div>' if i - radius > 0 else ""
    after_n = len(paragraphs) - (i + radius + 1)
    after = f'<div class="more muted">… {_paragraphs(after_n)} after</div>' if after_n > 0 else ""
    body = "".join(_para_html(p, target, "target" if p.n == target.paragraph else "ctx") for p in shown)
    return (
        f'<div class="pv">{_doc_head(target, meta, paragraphs, "in its document", ocr_pages)}'
        f'<div class="pv-scroll">{before}{body}{after}</div>'
        f'<div class="pv-actions"><button type="button" class="btn-doc" data-action="doc">'
        f"Open the whole document at ¶{target.paragraph}</button></div></div>"
    )


def render_document_view(
    target: Target,
    meta: DocMeta | None,
    paragraphs: list[Paragraph],
    window: int = DOC_WINDOW,
    ocr_pages: frozenset[int] = frozenset(),
) -> str:
    """The whole document (up to `window` paragraphs each side), scrolled to and highlighting the target."""
    i = _position(target, paragraphs)
    if i is None:
        return _missing(target)
    lo, hi = max(0, i - window), i + window + 1
    parts, page = [], None
    if lo > 0:
        parts.append(f'<div class="more muted">… {_paragraphs(lo)} before</div>')
    for p in paragraphs[lo:hi]:
        if p.page and p.page != page:
            scanned = " · scanned, text read by OCR" if p.page in ocr_pages else ""
            parts.append(f'<div class="page-break muted">page {p.page}{scanned}</div>')
            page = p.page
        parts.append(_para_html(p, target, "target" if p.n == target.paragraph else "ctx"))
    if hi < len(paragraphs):
        parts.append(f'<div class="more muted">… {_paragraphs(len(paragraphs) - hi)} after</div>')
    return (
        f'<div class="pv whole">{_doc_head(target, meta, paragraphs, "· whole document", ocr_pages)}'
        f'<div class="pv-scroll tall">{"".join(parts)}</div>'
        f'<div class="pv-actions"><button type="button" class="btn-doc" data-action="passage">'
        f"Back to the passage</button></div></div>"
    )


def render_scan(page, png: bytes, quote: str, doc: str) -> str:
    """A scanned page's image with the quoted words' boxes (from Tesseract) outlined over it."""
    import base64

    from ..ocr import quote_boxes

    boxes = quote_boxes(page.words, quote)
    marks = "".join(
        f'<span class="scan-box" style="left:{100 * x / page.width:.2f}%;top:{100 * y / page.height:.2f}%;'
        f'width:{100 * w / page.width:.2f}%;height:{100 * h / page.height:.2f}%"></span>'
        for x, y, w, h in boxes
    )
    note = "the quoted words are outlined" if boxes else "the quote's words were not found among the page's OCR words"
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (
        f'<div class="scan"><div class="scan-h muted">page {page.page} as scanned · {note}</div>'
        f'<div class="scan-page"><img src="{src}" alt="{esc(doc)}, page {page.page}">{marks}</div></div>'
    )
