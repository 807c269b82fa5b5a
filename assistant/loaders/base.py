"""What every loader shares: NFC normalisation, paragraphs joined into a document text with exact offsets,
and the wording of size and parser errors."""

from __future__ import annotations

import unicodedata
from typing import Iterable

from ..types import Paragraph

MB = 1024 * 1024


def mb(n: int) -> str:
    """Bytes as megabytes, readable for both 120 MB and tiny test limits."""
    size = n / MB
    return f"{size:.1f}" if size >= 0.1 else f"{size:.2g}"


def reason(e: BaseException) -> str:
    """A parser exception as a short message."""
    msg = str(e).strip() or type(e).__name__
    return msg if len(msg) <= 200 else msg[:200] + "…"


def normalize(text: str) -> str:
    """Drop a BOM, unify line ends to \\n, compose to NFC."""
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def joined(pieces: Iterable[tuple[str, int | None]]) -> tuple[str, list[Paragraph]]:
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
