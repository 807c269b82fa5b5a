"""Where a citation is built, checked and numbered: a quote is emitted only if it is, verbatim, the
document text at its offsets and lies inside the cited paragraph (`verify`, pure; `verified` reads the
index's text)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .types import Chunk, Citation

if TYPE_CHECKING:
    from .store import Index


def make_citation(n: int, chunk: Chunk, start: int, end: int, score: float) -> Citation:
    """Cite chunk text[start:end] (offsets relative to the chunk) by absolute document offsets."""
    return Citation(
        n=n,
        doc=chunk.doc,
        paragraph=chunk.paragraph,
        page=chunk.page,
        quote=chunk.text[start:end],
        char_start=chunk.start + start,
        char_end=chunk.start + end,
        score=round(float(score), 4),
    )


def verify(c: Citation, doc_text: str, para_start: int, para_end: int) -> bool:
    """True when the quote is exactly doc_text[char_start:char_end] inside the paragraph's span."""
    return (
        bool(c.quote.strip())
        and para_start <= c.char_start < c.char_end <= para_end
        and doc_text[c.char_start : c.char_end] == c.quote
    )


def verified(citations: list[Citation], index: Index) -> list[Citation]:
    """Keep only citations whose quote is verbatim in the cited paragraph; renumber nothing."""
    out = []
    for c in citations:
        text = index.document_text(c.doc) or ""
        paras = {p.n: p for p in index.paragraphs(c.doc)}
        p = paras.get(c.paragraph)
        if p is not None and verify(c, text, p.start, p.end):
            out.append(c)
    return out


def numbered(groups: list[list[Citation]]) -> tuple[list[list[int]], list[Citation]]:
    """Number citations in order of first appearance, one number per quoted span (doc, offsets): the
    markers of each group and the numbered citations, copies (the inputs are not changed)."""
    numbers: dict[tuple[str, int, int], int] = {}
    out: list[Citation] = []
    markers: list[list[int]] = []
    for group in groups:
        ns = []
        for c in group:
            key = (c.doc, c.char_start, c.char_end)
            if key not in numbers:
                numbers[key] = len(out) + 1
                out.append(replace(c, n=numbers[key]))
            ns.append(numbers[key])
        markers.append(list(dict.fromkeys(ns)))
    return markers, out
