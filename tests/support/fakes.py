"""Fakes implementing the project's real interfaces, for fast tests without models."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from assistant.app import App

_WORD = re.compile(r"\w+")


def _fold(word: str) -> str:
    """Vietnamese/Swedish diacritics removed: `đại` -> `dai`, `ambassadör` -> `ambassador`."""
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=65536)
def _bucket(token: str, dim: int) -> tuple[int, float]:
    """Stable (index, sign) of a token: the same in every process, unlike `hash()`."""
    h = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
    return h % dim, 1.0 if (h >> 63) & 1 else -1.0


class HashEmbedder:
    """Deterministic bag-of-words embedding (NFC, lowercased, plus diacritic-folded words): fast, no model."""

    def __init__(self, dim: int = 256, max_tokens: int = 64) -> None:
        self.dim = dim
        self.max_tokens = max_tokens
        self.model_id = f"fake-hash-{dim}"

    def tokens(self, text: str) -> list[str]:
        """Words of the NFC-lowercased text, each followed by its folded form when that differs."""
        out = []
        for word in _WORD.findall(unicodedata.normalize("NFC", text).lower()):
            out.append(word)
            folded = _fold(word)
            if folded != word:
                out.append(folded)
        return out

    def count_tokens(self, text: str) -> int:
        """Whitespace-separated words."""
        return len(text.split())

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 L2-normalised; ValueError past `max_tokens`, like the real embedder."""
        for i, text in enumerate(texts):
            if self.count_tokens(text) > self.max_tokens:
                raise ValueError(f"passage {i} has {self.count_tokens(text)} tokens, more than {self.max_tokens}")
        return self._embed(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 L2-normalised."""
        return self._embed(texts)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        """Signed bucket counts, L2-normalised (an empty text stays the zero vector)."""
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            for token in self.tokens(text):
                index, sign = _bucket(token, self.dim)
                out[row, index] += sign
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)


def hash_app(corpus: Path, index: Path, *, max_tokens: int = 64, **settings: Any) -> App:
    """The App over `corpus` with its index in `index` (other settings as given), embedding with HashEmbedder."""
    from assistant.app import build
    from assistant.settings import Settings

    return build(Settings(corpus_dir=corpus, index_dir=index, **settings), embedder=HashEmbedder(max_tokens=max_tokens))
