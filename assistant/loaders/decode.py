"""Bytes -> text: a BOM, UTF-8, BOM-less UTF-16, a declared charset, Windows-1258, or charset-normalizer's
guess; binary data in a text costume is refused (SkipFile)."""

from __future__ import annotations

import codecs
import re
import unicodedata

from ..errors import SkipFile
from ..metadata import VI_LETTERS

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_CP1258_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # the tone marks Windows-1258 stores as separate bytes
_VI_EXTENDED = re.compile(r"[\u1ea0-\u1ef9ơưăđƠƯĂĐ]")
_VI_LETTER = re.compile("[" + VI_LETTERS + VI_LETTERS.upper() + "]")
_DECLARED_CHARSET = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.I)


def decode(data: bytes, declared: str = "") -> str:
    """Bytes -> str: a BOM, UTF-8, BOM-less UTF-16, a declared charset, Windows-1258, or charset-normalizer's guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = data[len(bom) :].decode(encoding, errors="replace")
            return _check_text(text)
    if b"\x00" in data:
        return _check_text(_utf16_without_bom(data))
    try:
        return _check_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    return _check_text(_legacy(data, declared))


def _utf16_without_bom(data: bytes) -> str:
    """UTF-16 text without a BOM, recognised by NULs in every other byte; anything else with NULs is binary."""
    half = len(data) // 2
    even, odd = data[0::2].count(0), data[1::2].count(0)
    if len(data) % 2 == 0 and half:
        for encoding, zeros, others in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
            if zeros > 0.3 * half and others < 0.05 * half:
                try:
                    return data.decode(encoding)
                except UnicodeDecodeError:
                    break
    raise SkipFile("binary data, not text: the file contains NUL bytes")


def _legacy(data: bytes, declared: str) -> str:
    """Non-UTF-8 bytes: mostly-UTF-8 with a few bad bytes, a declared charset, Windows-1258, or the best guess."""
    mostly = _mostly_utf8(data)
    if mostly is not None:
        return mostly
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    if _looks_vietnamese_cp1258(data):
        return data.decode("cp1258")
    return _guess(data)


def _guess(data: bytes) -> str:
    """charset-normalizer's best guess; among equally clean decodings Windows-1252 wins (English, Swedish)."""
    import charset_normalizer

    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        raise SkipFile("binary data, not text: no text encoding fits it (save it as UTF-8)")
    cleanest = min(m.chaos for m in matches)
    if any(m.encoding == "cp1252" and m.chaos <= cleanest + 0.01 for m in matches):
        return data.decode("cp1252")
    best = max((m for m in matches if m.chaos <= cleanest + 0.01), key=lambda m: m.coherence)
    return str(best)


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with a few broken bytes (a bad copy) decodes as UTF-8, not as a legacy code page."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    non_ascii = sum(1 for ch in text if ord(ch) > 127) - bad
    return text if bad <= len(data) / 1000 and non_ascii >= 10 * bad else None


def _looks_vietnamese_cp1258(data: bytes) -> bool:
    """Windows-1258 Vietnamese: its separate tone-mark bytes all compose into Vietnamese letters."""
    try:
        raw = data.decode("cp1258")
    except UnicodeDecodeError:
        return False
    marks = sum(raw.count(m) for m in _CP1258_MARKS)
    if not marks:
        return False
    composed = unicodedata.normalize("NFC", raw)
    left = sum(composed.count(m) for m in _CP1258_MARKS)
    letters = len(_VI_LETTER.findall(composed))
    return left <= 0.1 * marks and letters >= 0.8 * marks and bool(_VI_EXTENDED.search(composed))


def _check_text(text: str) -> str:
    """Reject decoded text that is mostly control characters (binary data in a text costume)."""
    sample = text[:100_000]
    if sample and len(_CONTROL.findall(sample)) > 0.05 * len(sample):
        raise SkipFile("binary data, not text: mostly non-printable characters")
    return text
