"""HTML: visible text only, block elements break paragraphs, whitespace collapsed; <title> and a few <meta>
values for the document's metadata."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ..errors import SkipFile
from ..types import Paragraph
from .base import joined, normalize
from .decode import decode

_DECLARED_CHARSET = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)
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


def parse_html(data: bytes) -> tuple[str, list[Paragraph], dict[str, str]]:
    """HTML: visible text, block elements as paragraph breaks, <title>/<meta> for metadata."""
    m = _DECLARED_CHARSET.search(data[:4096])
    declared = m.group(1).decode("ascii", "ignore") if m else ""
    parser = _HTMLText()
    parser.feed(normalize(decode(data, declared)))
    parser.close()
    text, paragraphs = joined([(p, None) for p in parser.paragraphs])
    if not paragraphs:
        raise SkipFile("no visible text in this HTML page")
    return text, paragraphs, parser.meta
