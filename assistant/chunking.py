"""Paragraphs -> chunks within the model's token limit, each keeping its paragraph anchor (pure).

Short lines are kept but classified so they do not drown real paragraphs:
- `caption`: photo captions (`… - Ảnh 1.`, `Ảnh minh họa`, `… Ảnh: VGP/Thu Sa`) and a line that repeats
  the one before it (web dumps repeat teaser titles). Indexed, but ranked below text.
- `heading`: a short line (<= 15 words) without sentence-final punctuation. Indexed, ranked below
  text, and recorded as the `heading` context of the paragraphs under it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Callable

from .text import sentence_spans
from .types import Chunk, Paragraph

_CAPTION = re.compile(r"(-\s*Ảnh\s*\d+\.?\s*$)|(^Ảnh minh (họa|hoạ)\.?$)|(Ảnh:\s*\S+.{0,60}$)|(^(Photo|Foto|Bild)\s*:)", re.I)
_TERMINAL = ".!?…:;\"”»)"


def classify(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Set each paragraph's kind: text, heading or caption."""
    out = []
    prev = ""
    for p in paragraphs:
        t = p.text.strip()
        if _CAPTION.search(t) or t == prev:
            kind = "caption"
        elif len(t.split()) <= 15 and not t.endswith(tuple(_TERMINAL)):
            kind = "heading"
        else:
            kind = "text"
        out.append(replace(p, kind=kind))
        prev = t
    return out


def chunk_id(doc_hash: str, index: int) -> str:
    """Stable chunk id from the document's content hash: a renamed file keeps its ids."""
    return f"{doc_hash[:20]}-{index:05d}"


def make_chunks(
    doc: str,
    doc_hash: str,
    text: str,
    paragraphs: list[Paragraph],
    count_tokens: Callable[[str], int],
    max_tokens: int,
) -> list[Chunk]:
    """Chunks for one document: a paragraph each, long ones split at sentence boundaries."""
    chunks: list[Chunk] = []
    heading = ""
    for p in paragraphs:
        for start, end in split_span(text, p.start, p.end, count_tokens, max_tokens):
            chunks.append(
                Chunk(
                    id=chunk_id(doc_hash, len(chunks)),
                    doc=doc,
                    paragraph=p.n,
                    start=start,
                    end=end,
                    text=text[start:end],
                    page=p.page,
                    kind=p.kind,
                    heading=heading if p.kind == "text" else "",
                )
            )
        if p.kind == "heading":
            heading = p.text
    return chunks


def split_span(
    text: str, start: int, end: int, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int]]:
    """Split text[start:end] into spans of at most max_tokens, at sentence boundaries when possible."""
    if count_tokens(text[start:end]) <= max_tokens:
        return [(start, end)]
    pieces: list[tuple[int, int]] = []
    for s, e in sentence_spans(text[start:end]):
        s, e = s + start, e + start
        if count_tokens(text[s:e]) <= max_tokens:
            pieces.append((s, e))
        else:
            pieces.extend(_split_words(text, s, e, count_tokens, max_tokens))
    return _pack(text, pieces, count_tokens, max_tokens)


def _split_words(text: str, start: int, end: int, count_tokens: Callable[[str], int], max_tokens: int) -> list[tuple[int, int]]:
    """Last resort for one over-long sentence: cut at word boundaries (token counts add up per word)."""
    cache: dict[str, int] = {}
    out: list[tuple[int, int]] = []
    cur = last = None
    used = 0
    for m in re.finditer(r"\S+", text[start:end]):
        s, e = m.start() + start, m.end() + start
        word = m.group()
        n = cache.get(word)
        if n is None:
            n = cache[word] = count_tokens(word)
        if cur is not None and used + n > max_tokens:
            out.append((cur, last))
            cur, used = None, 0
        if cur is None:
            cur = s
        used += n
        last = e
    if cur is not None:
        out.append((cur, last))
    return out


def _pack(text: str, pieces: list[tuple[int, int]], count_tokens: Callable[[str], int], max_tokens: int) -> list[tuple[int, int]]:
    """Greedily merge consecutive sentence spans while their summed token counts fit."""
    out: list[tuple[int, int]] = []
    used = 0
    for s, e in pieces:
        n = count_tokens(text[s:e])
        if out and used + n <= max_tokens:
            out[-1] = (out[-1][0], e)
            used += n
        else:
            out.append((s, e))
            used = n
    return out


def content_hash(data: bytes) -> str:
    """sha256 of a file's bytes: the identity used for change and rename detection."""
    return hashlib.sha256(data).hexdigest()
