"""Paragraphs -> chunks within the model's token limit, each keeping its paragraph anchor (pure).

Short lines are kept but classified so they do not drown real paragraphs:
- `caption`: a photo caption that says something (`Phó Thủ tướng và các đại biểu … - Ảnh: VGP/Thu Sa`,
  `Từ trái qua: bà …, Trưởng phòng …`): names and titles of the people in a photo are evidence, so a
  caption is ranked and quoted like text.
- `noise`: what only looks like content: a line repeating the one before it (web dumps repeat teaser
  titles), `Ảnh minh họa`, an image's alt text (`<the title>- Ảnh 1.`), a caption with nothing left
  once its photo credit is removed. Indexed, ranked below text, never quoted when text is there.
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

# an image's alt text / numbered photo marker, and an illustration label: noise
_IMAGE_MARK = re.compile(r"(-\s*Ảnh\s*\d+\.?\s*$)|(^Ảnh minh (họa|hoạ)\.?$)", re.I)
# a photo credit: what comes before it is a caption
_CREDIT = re.compile(r"(\(?\s*[-–]?\s*(Ảnh|Nguồn ảnh)\s*:\s*\S+.{0,60}$)|(^(Photo|Foto|Bild)\s*:)", re.I)
_CAPTION_WORDS = 4  # a caption with fewer words left after its credit says nothing
_TERMINAL = '.!?…:;"”»)'
SHORT_KINDS = ("heading", "noise")  # ranked below text and never quoted when text is there
QUOTABLE_KINDS = ("text", "caption")


def classify(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """Set each paragraph's kind: text, caption, heading or noise."""
    out = []
    prev = ""
    for p in paragraphs:
        t = p.text.strip()
        credit = _CREDIT.search(t)
        if t == prev or _IMAGE_MARK.search(t):
            kind = "noise"
        elif credit:
            kind = "caption" if len(t[: credit.start()].split()) >= _CAPTION_WORDS else "noise"
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


def _split_words(
    text: str, start: int, end: int, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int]]:
    """Last resort for one over-long sentence: cut at word boundaries (token counts add up per word)."""
    cache: dict[str, int] = {}
    out: list[tuple[int, int]] = []
    cur: int | None = None
    last = start  # set together with cur below
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


def _pack(
    text: str, pieces: list[tuple[int, int]], count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int]]:
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


CONTEXT_CHARS = 90  # of the title and of the heading given to each chunk as its context


def context_budget(max_tokens: int) -> int:
    """Tokens kept free in every chunk for its context (title, heading)."""
    return min(64, max_tokens // 8)


def _clip(text: str, n: int) -> str:
    """At most n characters, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= n:
        return text
    cut = text[:n].rsplit(" ", 1)[0]
    return cut or text[:n]


def chunk_context(chunk: Chunk, title: str) -> str:
    """What a chunk is about beyond its own words: the document title and the heading above it.

    Paragraphs refer back ("Sự kiện được tổ chức lần đầu năm 2022 …" does not name the event): the
    encoder reads each chunk after this context, so its vector knows which document and section it is
    in. Quotes and offsets never include it."""
    parts = [_clip(title, CONTEXT_CHARS)] if title and title.strip() != chunk.text.strip() else []
    if chunk.heading and chunk.heading.strip() not in (title.strip(), chunk.text.strip()):
        parts.append(_clip(chunk.heading, CONTEXT_CHARS))
    return ". ".join(p.rstrip(".") for p in parts if p)


def passage_text(chunk: Chunk, title: str, count_tokens: Callable[[str], int], max_tokens: int) -> tuple[str, int]:
    """(text the encoder reads, offset of the chunk's own text in it): context + chunk, the context
    dropped when both would not fit."""
    ctx = chunk_context(chunk, title)
    if ctx:
        full = f"{ctx}\n{chunk.text}"
        if count_tokens(full) <= max_tokens:
            return full, len(ctx) + 1
    return chunk.text, 0


def content_hash(data: bytes) -> str:
    """sha256 of a file's bytes: the identity used for change and rename detection."""
    return hashlib.sha256(data).hexdigest()
