"""Where a citation is built and checked (pure): a quote is emitted only if it is, verbatim, the
document text at its offsets and lies inside the cited paragraph."""

from __future__ import annotations

from .types import Chunk, Citation


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
