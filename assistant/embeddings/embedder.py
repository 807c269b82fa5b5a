"""The embedder: a loaded model (sentence-transformers on torch, or ONNX Runtime) behind the `Embedder`
protocol, with the settings' prefixes, exact token limits and no silent truncation."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assistant.errors import ModelUnavailable
from assistant.settings import DEFAULT_MODEL, Settings

from .identity import configured_model_id, configured_prefixes
from .onnx import OnnxSentenceModel, _has_module
from .rebuild import ensure_default_model

log = logging.getLogger(__name__)

SMALL_BATCH = 8  # texts per call up to which a call is interactive (a question, a few answer sentences)


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


def load_embedder(settings: Settings) -> SentenceTransformerEmbedder:
    """The embedding model the settings name, with its prefixes, limits and backend."""
    name = settings.embed_model
    path = str(ensure_default_model(settings)) if name == DEFAULT_MODEL else name
    query_prefix, passage_prefix = configured_prefixes(settings)
    if settings.embed_backend in ("onnx", "onnx-fp32"):
        cache = Path(settings.model_cache_dir) / "onnx"
        model: Any = OnnxSentenceModel.load(path, cache, quantize=settings.embed_backend == "onnx")
    else:
        model = load_sentence_transformer(path)
    return SentenceTransformerEmbedder(
        model,
        model_id=configured_model_id(settings),
        query_prefix=query_prefix,
        passage_prefix=passage_prefix,
        batch_size=settings.embed_batch_size,
        max_chunk_tokens=settings.max_chunk_tokens,
    )


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


@contextlib.contextmanager
def _inference(model: Any, small: bool) -> Iterator[None]:
    """Torch inference mode; small batches on ONE intra-op thread. With two threads on a 2-core machine
    whose other core is busy, a single question took ~1 s instead of ~75 ms (each op waits for the
    descheduled thread). The ONNX model needs neither (onnx.OnnxSentenceModel._session)."""
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
