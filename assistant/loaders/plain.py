"""Plain text and Markdown: blank lines separate blocks, each line a paragraph unless the file is hard-wrapped."""

from __future__ import annotations

import re
import statistics

from ..text import line_spans
from ..types import Paragraph
from .base import normalize
from .decode import decode


def parse_txt(data: bytes) -> tuple[str, list[Paragraph], None]:
    """Plain text: decode, normalise, split into paragraphs."""
    text = normalize(decode(data))
    return text, plain_paragraphs(text, markdown=False), None


def parse_md(data: bytes) -> tuple[str, list[Paragraph], None]:
    """Markdown: like plain text, markup kept verbatim, headings their own paragraph."""
    text = normalize(decode(data))
    return text, plain_paragraphs(text, markdown=True), None


_MD_HEADING = re.compile(r"#{1,6}(\s|$)")
_LIST_ITEM = re.compile(r"([-*+•]|\d{1,3}[.)])\s")


def plain_paragraphs(text: str, markdown: bool = False) -> list[Paragraph]:
    """Paragraph spans of normalised plain text (see the module docstring for the rules)."""
    lines = line_spans(text)
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
