"""The ONNX Runtime backend: a sentence-transformers folder exported once (float32, or int8 per channel) and
run without torch, for the embedder's subset of SentenceTransformer."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelUnavailable
from assistant.lock import FileLock

log = logging.getLogger(__name__)

ONNX_OPSET = 17
ONNX_BATCH = 8  # texts per session run: 32 held ~1.3 GB at peak (8: ~0.7 GB) and was no faster
ONNX_MODULES = ("Transformer", "Pooling", "Normalize")  # what encode() reproduces of a sentence-transformers model
ONNX_POOLING = ("pooling_mode_mean_tokens", "pooling_mode_cls_token")


def _has_module(name: str) -> bool:
    """Whether `name` (possibly dotted) can be imported, without importing it."""
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


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
        _, pool = _layout(folder)
        self.max_seq_length = int(cfg.get("max_seq_length") or tok_cfg.get("model_max_length") or 512)
        backend = Tokenizer.from_file(str(folder / "tokenizer.json"))
        if cfg.get("do_lower_case"):  # as sentence-transformers does: a Lowercase normalizer first
            from tokenizers import normalizers

            backend.normalizer = normalizers.Sequence([normalizers.Lowercase(), *filter(None, [backend.normalizer])])
        self.tokenizer = _OnnxTokenizer(backend, self.max_seq_length)
        self._dim = int(pool.get("word_embedding_dimension") or _read_json(folder / "config.json")["hidden_size"])
        self._cls = bool(pool.get("pooling_mode_cls_token"))
        self._normalize = (folder / "2_Normalize").exists() or any(
            m.get("type", "").endswith("Normalize") for m in _read_json(folder / "modules.json") or []
        )
        self._path = onnx_path
        self._ort_session: Any = None
        self._lock = threading.Lock()

    @classmethod
    def load(cls, name_or_path: str, cache_dir: Path, quantize: bool) -> "OnnxSentenceModel":
        """Export (once) and open the model, int8 or float32; ModelUnavailable with what to install when it cannot."""
        folder = _local_folder(name_or_path)
        _check_supported(folder)
        key = hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:10]
        target = cache_dir / f"{folder.name}-{key}" / ("model_int8_per_channel.onnx" if quantize else "model.onnx")
        if not target.is_file():
            with FileLock(target.parent.with_name(f".{target.parent.name}.lock")):
                if not target.is_file():
                    export_onnx(folder, target, quantize=quantize)
        return cls(target, folder)

    def get_embedding_dimension(self) -> int:
        return self._dim

    def _session(self) -> Any:
        """The one ONNX Runtime session, on every core, for questions and ingest batches alike. Each
        session holds its own copy of the weights (~480 MB in float32), so the 1-thread session questions
        had beside it cost that much RAM; with sleeping waiters (no spinning) the shared one answers a
        single question as fast on a loaded 2-core machine (p50 16-21 against 22-27 ms), and 20
        concurrent callers as fast (87-113 against 94-98 runs/s)."""
        with self._lock:
            if self._ort_session is None:
                import onnxruntime as ort

                opts = ort.SessionOptions()
                opts.intra_op_num_threads = os.cpu_count() or 1
                opts.inter_op_num_threads = 1
                # threads that spin while waiting for a sibling descheduled by another process's load
                # made a batch slower on 2 busy cores than one thread was; sleeping waiters did not
                opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
                opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                self._ort_session = ort.InferenceSession(str(self._path), opts, providers=["CPUExecutionProvider"])
            return self._ort_session

    def encode(
        self, sentences: Sequence[str], batch_size: int = 32, normalize_embeddings: bool = False, **_: Any
    ) -> np.ndarray:
        """(n, dim) float32 sentence vectors, like SentenceTransformer.encode(convert_to_numpy=True)."""
        session = self._session()
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


def _layout(folder: Path) -> tuple[list[str], dict[str, Any]]:
    """The folder's sentence-transformers modules (class names) and its pooling config."""
    modules = _read_json(folder / "modules.json") or []
    pooling = next((m.get("path", "") for m in modules if str(m.get("type", "")).endswith("Pooling")), "1_Pooling")
    return [str(m.get("type", "")).rpartition(".")[2] for m in modules], _read_json(folder / pooling / "config.json")


def _check_supported(folder: Path) -> None:
    """ModelUnavailable, before any export, for a model this backend would embed differently from sentence-transformers."""
    kinds, pool = _layout(folder)
    modes = [k for k, v in pool.items() if k.startswith("pooling_mode_") and v]
    unsupported = [k for k in kinds if k not in ONNX_MODULES] + [m for m in modes if m not in ONNX_POOLING]
    if len(modes) > 1:
        unsupported.append(" + ".join(modes))
    if unsupported:
        raise ModelUnavailable(
            f"{folder}: the ONNX backend runs a transformer with mean or CLS pooling (and Normalize), not "
            f"{', '.join(unsupported)}: set ASSISTANT_EMBED_BACKEND=torch for this model."
        )


def _local_folder(name_or_path: str) -> Path:
    """A model's local folder: the path itself, or its snapshot in the Hugging Face cache (fetched once when
    the hub is reachable: the configs, tokenizer and safetensors weights, none of a repo's other exports)."""
    if Path(name_or_path).is_dir():
        return Path(name_or_path)
    try:
        from huggingface_hub import snapshot_download

        try:
            folder = Path(snapshot_download(name_or_path, local_files_only=True))
        except Exception:  # not cached: fetch (raises when HF_HUB_OFFLINE=1)
            patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "tokenizer*"]
            folder = Path(snapshot_download(name_or_path, allow_patterns=patterns))
    except Exception as e:  # huggingface_hub raises several kinds here
        raise ModelUnavailable(
            f"Cannot load the embedding model {name_or_path!r}: {e}. ASSISTANT_EMBED_MODEL must be a local "
            "sentence-transformers folder, or a model name already in the Hugging Face cache when offline (HF_HUB_OFFLINE=1)."
        ) from e
    if not any(folder.glob("*.safetensors")):
        raise ModelUnavailable(
            f"{name_or_path!r} has no safetensors weights for the ONNX export: set ASSISTANT_EMBED_BACKEND=torch for this model."
        )
    return folder


def export_onnx(folder: Path, target: Path, quantize: bool = True) -> Path:
    """Export the folder's transformer to ONNX (last hidden state), int8-quantized when asked; atomic."""
    if not _has_module("onnx"):
        raise ModelUnavailable(
            "ASSISTANT_EMBED_BACKEND=onnx converts the model once with the onnx package, a dependency of this one that is "
            "missing here: pip install onnx==1.23.2 ml_dtypes==0.6.0 (or reinstall: pip install -e .), or set ASSISTANT_EMBED_BACKEND=torch."
        )
    import torch
    from transformers import AutoModel

    log.warning(
        "Converting the embedding model to ONNX%s into %s (once, about a minute)...",
        " int8" if quantize else "",
        target.parent,
    )
    model = AutoModel.from_pretrained(str(folder)).eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            types = torch.zeros_like(input_ids)
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=types
            ).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".onnx-", dir=target.parent))
    try:
        dummy = torch.ones((2, 8), dtype=torch.long)
        axes = {
            "input_ids": {0: "batch", 1: "seq"},
            "attention_mask": {0: "batch", 1: "seq"},
            "last_hidden_state": {0: "batch", 1: "seq"},
        }
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
