"""Pure text helpers: NFC, Vietnamese-aware tokens, diacritic folding, sentence spans."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)
# Sentence end: . ! ? … (optionally closing quotes/brackets) then space, then a likely sentence start.
_SENT_END = re.compile(r"[.!?…][\"”’»)\]]*(?=\s+[\"“‘«(\[]?[A-ZÀ-ỸĐ0-9])")
# Tokens before a period that do not end a sentence (TP. Hồ Chí Minh, Mr. X, No. 5).
_ABBREV = {"tp", "mr", "mrs", "ms", "dr", "st", "no", "ts", "ths", "pgs", "gs", "ks", "bs", "vs", "etc", "e.g", "i.e", "jr", "sr"}


def nfc(text: str) -> str:
    """Unicode NFC: NFD input (common from macOS and some CMSs) must match NFC text."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lowercase and strip diacritics (đ -> d) so `Bui The Duy` matches `Bùi Thế Duy`."""
    return _fold_word(text) if len(text) <= 32 else _fold(text)


@lru_cache(maxsize=200_000)
def _fold_word(text: str) -> str:
    """Cached: ingest folds the same syllables millions of times."""
    return _fold(text)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Lowercased NFC word tokens; Vietnamese syllables kept whole, one-letter ones too (ở, ý)."""
    return _WORD.findall(nfc(text).casefold())


def lexical_terms(text: str) -> list[str]:
    """Terms for the lexical index: syllables, their folded forms (`~bui`) and syllable bigrams."""
    toks = words(text)
    terms = list(toks)
    terms.extend("~" + f for f in map(fold, toks))
    terms.extend(f"{a}_{b}" for a, b in zip(toks, toks[1:]))
    return terms


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of `text`, whitespace trimmed, covering all its words."""
    spans: list[tuple[int, int]] = []
    cut = 0
    for m in _SENT_END.finditer(text):
        before = text[max(cut, m.start() - 6) : m.start()]
        last = re.split(r"\s", before)[-1] if before else ""
        if last.casefold() in _ABBREV or (len(last) == 1 and last.isalpha() and last.isupper()):
            continue
        spans.append((cut, m.end()))
        cut = m.end()
    spans.append((cut, len(text)))
    out = []
    for s, e in spans:
        for ls, le in _line_spans(text, s, e):
            out.append((ls, le))
    return out


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split a span further at newlines and trim whitespace; drop empty pieces."""
    out = []
    pos = start
    for piece in text[start:end].split("\n"):
        s = pos + (len(piece) - len(piece.lstrip()))
        e = pos + len(piece.rstrip())
        if e > s:
            out.append((s, e))
        pos += len(piece) + 1
    return out
