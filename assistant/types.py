"""Plain dataclasses passed between the modules: no behaviour beyond trivial helpers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal, Mapping, Protocol, Sequence

import numpy as np


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a document; `text == document_text[start:end]`."""

    n: int  # 1-based, reading order
    start: int
    end: int
    text: str
    page: int | None = None  # 1-based, PDFs only
    kind: str = "text"  # "text" | "heading" | "caption"


@dataclass
class DocMeta:
    """What a user filters or cites a document by; empty when not found, never guessed."""

    title: str = ""
    date: str = ""  # ISO yyyy-mm-dd
    source: str = ""  # outlet name or URL
    lang: str = ""  # "vi" | "en" | "sv" | ...


def doc_language(metas: Mapping[str, DocMeta], doc: str, default: str) -> str:
    """The detected language of a document, `default` when it is unknown or was not detected."""
    meta = metas.get(doc)
    return (meta.lang if meta is not None else "") or default


@dataclass
class LoadedDocument:
    """A file turned into normalised (NFC) text plus its paragraphs."""

    text: str
    paragraphs: list[Paragraph]
    meta: DocMeta = field(default_factory=DocMeta)
    ocr_pages: list[int] = field(default_factory=list)  # PDF pages whose text was read by OCR


@dataclass(frozen=True)
class Chunk:
    """The unit that is embedded: a paragraph or a sentence-aligned piece of a long one."""

    id: str
    doc: str  # file name relative to corpus/
    paragraph: int
    start: int  # offsets into the normalised document text
    end: int
    text: str
    page: int | None = None
    kind: str = "text"
    heading: str = ""  # nearest heading above, used as context for embedding


@dataclass
class Hit:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    score: float
    dense: float | None = None
    lexical: float | None = None


@dataclass(frozen=True)
class Corroboration:
    """Another document's paragraph that states what a citation quotes (corroborate.py)."""

    doc: str
    paragraph: int
    lang: str
    score: float  # cosine of the quote and the paragraph's closest sentence


@dataclass
class Citation:
    n: int
    doc: str
    paragraph: int
    page: int | None
    quote: str
    char_start: int
    char_end: int
    score: float
    ocr: bool = False  # the quote is OCR text of a scanned page (verbatim from the OCR text layer)
    corroborated_by: list[Corroboration] = field(default_factory=list)  # other documents stating it
    gloss: str | None = None  # LLM mode: a machine translation of a quote in another language than the question


@dataclass
class Removed:
    """A sentence of an LLM reply, or some of its `[n]` markers, that failed the citation check: shown as
    removed (struck through, with the reason), never dropped unseen."""

    text: str  # the model's sentence, markers taken out
    markers: list[int]  # the source numbers the model wrote that failed (its numbering of the retrieved passages)
    reason: str  # e.g. "not supported by the source"
    sentence_kept: bool  # the sentence stays in the answer with its other, verified citations


@dataclass(frozen=True)
class Answerability:
    """How the refusal decision was taken (answer.answerability): `score` against `threshold` by `method`
    ("model": the answerability model's probability; "support": a set min_score; "coverage": lexical mode),
    and whether the question's checks passed (`checks`: its named entities, years, amounts and persons are
    in the passages). It answers when both hold; `assistant eval` draws the refusal curve from these."""

    method: Literal["model", "support", "coverage"]
    score: float
    threshold: float
    checks: bool

    @property
    def passed(self) -> bool:
        return self.passed_at(self.threshold)

    def passed_at(self, threshold: float) -> bool:
        """The decision had the threshold been `threshold` (the refusal curve moves it)."""
        return self.checks and self.score >= threshold


@dataclass
class Answer:
    question: str
    answered: bool
    answer: str
    language: str
    citations: list[Citation]
    mode: str
    timings_ms: dict[str, float]
    hits: list[Hit] = field(default_factory=list)  # nearest passages, also when refused
    removed: list[Removed] = field(default_factory=list)  # LLM mode: what the citation check took out
    answerability: Answerability | None = None  # the refusal decision (None: a metadata answer, or no passage)

    def to_json(self) -> dict:
        """The `--json` contract of `assistant ask`."""
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": self.answer,
            "language": self.language,
            "citations": [asdict(c) for c in self.citations],
            "mode": self.mode,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "removed": [asdict(r) for r in self.removed],
        }


@dataclass(frozen=True)
class Repair:
    """One thing `Index.recover()` repaired: `kind` for programs (doctor), `detail` for people."""

    kind: Literal["orphan-vectors", "missing-vectors", "lexical", "search-breadth"]
    detail: str
    docs: tuple[str, ...] = ()


@dataclass
class DocumentRow:
    """One document of the library (`App.documents()`): indexed, or skipped with the reason a user can act on."""

    name: str  # path under corpus/
    title: str = ""
    date: str = ""
    source: str = ""
    lang: str = ""
    paragraphs: int = 0
    chunks: int = 0
    status: Literal["indexed", "skipped"] = "indexed"
    reason: str = ""  # why it was skipped
    ocr_pages: list[int] = field(default_factory=list)  # pages whose text OCR read

    @property
    def indexed(self) -> bool:
        return self.status == "indexed"

    @property
    def meta(self) -> DocMeta:
        return DocMeta(self.title, self.date, self.source, self.lang)

    def to_json(self) -> dict:
        """The `assistant docs --json` row."""
        return asdict(self)


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed (or not saved), and why, in words a user can act on."""

    file: str
    reason: str


@dataclass(frozen=True)
class Renamed:
    """A document whose file moved: its passages and vectors were kept and re-pointed from `old` to `new`."""

    old: str
    new: str


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: list[Renamed] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    paragraphs: int = 0  # in the whole index after the sync
    chunks: int = 0
    seconds: float = 0.0
    ocr_pages: int = 0  # scanned pages read by OCR in this sync
    ocr_cached_pages: int = 0  # scanned pages whose OCR came from the cache (same content read before)
    ocr_seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.renamed)

    def to_json(self) -> dict:
        """The `--json` report: skips as {"file", "reason"}, renames as {"from", "to"}."""
        d = asdict(self)
        d["renamed"] = [{"from": r.old, "to": r.new} for r in self.renamed]
        d["seconds"] = round(self.seconds, 3)
        d["ocr_seconds"] = round(self.ocr_seconds, 3)
        return d

    def lines(self) -> list[tuple[bool, str]]:
        """What changed, one (ok, plain-words line) per file, skips last: every surface (ingest, watch,
        the page's Library tab, serve's start-up) reports a sync with these."""
        out = [(True, f"indexed {n}") for n in self.added] + [(True, f"re-indexed {n}") for n in self.updated]
        out += [(True, f"renamed {r.old} → {r.new}") for r in self.renamed]
        out += [(True, f"removed {n} from the index") for n in self.removed]
        return out + [(False, f"skipped {s.file}: {s.reason}") for s in self.skipped]

    def summary(self) -> str:
        """One line: totals after the sync."""
        head = "nothing changed; " if not self.changed else ""
        if self.ocr_pages or self.ocr_cached_pages:
            head += f"OCR read {self.ocr_pages} scanned pages ({self.ocr_seconds:.1f} s), {self.ocr_cached_pages} from its cache; "
        return f"{head}{self.unchanged} unchanged; the index holds {self.paragraphs} paragraphs in {self.chunks} chunks ({self.seconds:.1f} s)"


class PageReader(Protocol):
    """Reads scanned PDF pages (ocr.Ocr); raises SkipFile when it cannot."""

    def read(self, data: bytes, pages: list[int], name: str = "") -> dict: ...  # page -> an object with .text


class Embedder(Protocol):
    """What the pipeline needs from an embedding model (real or fake)."""

    model_id: str  # identity recorded in the manifest; a change re-embeds everything
    dim: int
    max_tokens: int  # tokens available for passage text, prefix already subtracted

    def count_tokens(self, text: str) -> int: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...  # (n, dim) float32, L2-normalised

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...
