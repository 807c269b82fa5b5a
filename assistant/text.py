"""Pure text helpers: NFC, Vietnamese-aware tokens, diacritic folding, per-language lexical terms,
sentence spans."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from importlib.metadata import version

import snowballstemmer

_WORD = re.compile(r"\w+", re.UNICODE)
# Sentence end: . ! ? … (optionally closing quotes/brackets) then space, then a likely sentence start.
_SENT_END = re.compile(r"[.!?…][\"”’»)\]]*(?=\s+[\"“‘«(\[]?[A-ZÀ-ỸĐ0-9])")
# Tokens before a period that do not end a sentence (TP. Hồ Chí Minh, Mr. X, No. 5).
_ABBREV = {
    "tp",
    "mr",
    "mrs",
    "ms",
    "dr",
    "st",
    "no",
    "ts",
    "ths",
    "pgs",
    "gs",
    "ks",
    "bs",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "jr",
    "sr",
}


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


def _capitalised(word: str, start: int) -> bool:
    return word[0].isupper()


def word_runs(
    text: str, keep: Callable[[str, int], bool] = _capitalised, joiners: tuple[str, ...] = (" ",)
) -> list[list[str]]:
    """Runs of the words `keep` accepts (given the word and its offset; by default capitalised words), as
    written: a word joins the run before it when only one of `joiners` stands between them."""
    runs: list[list[str]] = []
    prev_end = -2
    for m in _WORD.finditer(text):
        word = m.group()
        if keep(word, m.start()):
            if runs and text[prev_end : m.start()] in joiners:
                runs[-1].append(word)
            else:
                runs.append([word])
            prev_end = m.end()
    return runs


def lexical_terms(text: str, lang: str = "") -> list[str]:
    """Terms for the lexical index, analysed in the text's language.

    Every language (Vietnamese, also "" = unknown, exactly as before languages were told apart):
    syllables/words, their folded forms (`~bui`) and bigrams, so that names and numbers match across
    languages. Swedish and English add Snowball stems under their own prefix (`sv:mynd`, `en:agreement`),
    so inflections match within a language and never collide with another's words; Swedish also adds
    character 4-grams of long words (`sv#arbe`, …), so a compound matches its parts (`arbetsmiljöverket`
    ~ `arbetsmiljö`). SweQUAD-MC (300 dev questions, lexical only, real eval): r@5 .74 -> .78 with stems,
    -> .88 with stems and 4-grams."""
    toks = words(text)
    terms = list(toks)
    terms.extend("~" + f for f in map(fold, toks))
    terms.extend(f"{a}_{b}" for a, b in zip(toks, toks[1:]))
    if lang in _STEMMERS:
        alpha = [t for t in toks if t.isalpha()]
        terms.extend(f"{lang}:{_stem(lang, t)}" for t in alpha)
        if lang == "sv":
            terms.extend(
                f"sv#{t[i : i + NGRAM]}" for t in alpha if len(t) >= NGRAM_MIN_WORD for i in range(len(t) - NGRAM + 1)
            )
    return terms


def is_language_term(term: str) -> bool:
    """A term only one language's analysis makes (`sv:…`, `en:…`, `sv#…`); words, `~folded` forms and
    bigrams, which every language has, never hold ':' or '#'."""
    return ":" in term or "#" in term


_STEMMERS = {"sv": "swedish", "en": "english"}
NGRAM, NGRAM_MIN_WORD = 4, 8  # Swedish compounds: 4-grams of words of 8+ letters
ANALYSIS_VERSION = 2  # bump when lexical_terms changes (analysis_id() also notices most changes by itself)
_PROBE = (
    ("vi", "Thứ trưởng Bùi Thế Duy ký kết hợp tác với Đại sứ EU tại Hà Nội ngày 21/10/2024, tăng 30,7%."),
    ("sv", "Myndigheten för arbetsmiljöfrågor fattade beslut om sjukpenningen; myndigheterna i Malmö överklagade."),
    ("en", "The ambassadors signed cooperation agreements on renewable energies in 2023."),
)


@lru_cache(maxsize=200_000)
def _stem(lang: str, word: str) -> str:
    return _stemmer(lang).stemWord(word)


@lru_cache(maxsize=None)
def _stemmer(lang: str):
    return snowballstemmer.stemmer(_STEMMERS[lang])


@lru_cache(maxsize=1)
def analysis_id() -> str:
    """Identity of the lexical analysis, stored with every lexical snapshot: a snapshot made by another
    analysis (older code, another stemmer version) is rebuilt, never scored with today's query terms.
    The version, the stemmer's version and a hash of the terms of a probe text in each language."""
    probe = "\n".join(" ".join(lexical_terms(text, lang)) for lang, text in _PROBE)
    digest = hashlib.sha1(probe.encode()).hexdigest()[:12]
    return f"{ANALYSIS_VERSION}-snowball{version('snowballstemmer')}-{digest}"


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
    return [line for s, e in spans for line in line_spans(text, s, e) if line is not None]


def line_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int] | None]:
    """(start, end) of each line of text[start:end], surrounding whitespace (NBSP too) trimmed; None for a
    blank line."""
    spans: list[tuple[int, int] | None] = []
    pos = start
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            s = pos + len(line) - len(line.lstrip())
            spans.append((s, s + len(stripped)))
        else:
            spans.append(None)
        pos += len(line) + 1
    return spans
