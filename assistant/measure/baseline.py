"""llama-index's out-of-the-box pipeline as a yardstick for `assistant eval --compare llamaindex-default`.

What a user gets by default: `SimpleDirectoryReader(corpus).load_data()`, `VectorStoreIndex.from_documents`
with the default splitter (SentenceSplitter, 1024 tokens, overlap 200) and an in-memory vector store,
`as_retriever(similarity_top_k=k)`, on the same embedding model and prompts as our pipeline. Its
nodes are mapped back to our anchors by locating each node's text in our normalised document text
(the manifest) and taking the paragraph that holds its first character.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..settings import DEFAULT_MODEL, Settings


@dataclass
class Node:
    """A retrieved llama-index node, reduced to what the mapping needs."""

    file: str  # relative to the corpus
    text: str
    start: int | None  # llama-index's offset into its own document text
    score: float


def locate(node_text: str, doc_text: str, hint: int | None = None) -> int | None:
    """Offset of the node's text in our document text: exact at the hint, anywhere, then by prefix."""
    t = unicodedata.normalize("NFC", node_text)
    if hint is not None and doc_text.startswith(t, hint):
        return hint
    at = doc_text.find(t)
    if at >= 0:
        return at
    stripped = t.strip()
    lead = len(t) - len(t.lstrip())
    for n in (200, 80, 30, 15):
        prefix = stripped[:n]
        if len(prefix) < min(n, 12):
            continue
        found = [i for i in _all(doc_text, prefix)]
        if found:
            target = (hint or 0) + lead
            return min(found, key=lambda i: abs(i - target))
    return None


def _all(text: str, sub: str):
    i = text.find(sub)
    while i >= 0:
        yield i
        i = text.find(sub, i + 1)


def paragraph_at(spans: list[tuple[int, int, int]], offset: int) -> int | None:
    """Number of the paragraph (start, end, n) holding offset, or the next one after a gap."""
    starts = [s for s, _, _ in spans]
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and offset < spans[i][1]:
        return spans[i][2]
    return spans[i + 1][2] if i + 1 < len(spans) else None


class LlamaIndexDefault:
    """llama-index's default retriever over a corpus folder."""

    def __init__(self, retriever: Any, corpus: Path, n_nodes: int):
        self._retriever = retriever
        self.corpus = corpus
        self.n_nodes = n_nodes

    @classmethod
    def build(cls, settings: Settings, corpus: Path, k: int = 10) -> "LlamaIndexDefault":
        """Read, split and embed the corpus the way llama-index does when given nothing else."""
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.core.llms import MockLLM
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        from ..embeddings import configured_prefixes, ensure_default_model

        # llama-index's default LLM is OpenAI (network, a key); retrieval needs no LLM at all. The
        # global is restored afterwards so nothing else in the process sees a changed default.
        before = LlamaSettings._llm
        LlamaSettings.llm = MockLLM()
        try:
            name = settings.embed_model
            path = str(ensure_default_model(settings)) if name == DEFAULT_MODEL else name
            query_prefix, passage_prefix = configured_prefixes(settings)
            embed = HuggingFaceEmbedding(
                model_name=path, query_instruction=query_prefix, text_instruction=passage_prefix
            )
            documents = SimpleDirectoryReader(str(corpus), recursive=True).load_data()
            index = VectorStoreIndex.from_documents(documents, embed_model=embed)
        finally:
            LlamaSettings._llm = before
        return cls(index.as_retriever(similarity_top_k=k), corpus.resolve(), len(index.docstore.docs))

    def retrieve(self, question: str) -> list[Node]:
        out = []
        for hit in self._retriever.retrieve(question):
            node = hit.node
            path = Path(node.metadata.get("file_path", ""))
            try:
                rel = path.resolve().relative_to(self.corpus).as_posix()
            except ValueError:
                rel = path.name
            out.append(Node(rel, node.get_content(), getattr(node, "start_char_idx", None), float(hit.score or 0.0)))
        return out

    @staticmethod
    def anchor(node: Node, docs) -> tuple[str, int, list[int]] | None:
        """(doc, paragraph holding the node's start, every paragraph the node overlaps), via the
        manifest's text (`evaluate.DocTexts`); None when the node's text is not found."""
        text, paras = docs.get(node.file)
        if not text:
            return None
        offset = locate(node.text, text, node.start)
        if offset is None:
            return None
        spans = sorted((p.start, p.end, p.n) for p in paras.values())
        n = paragraph_at(spans, offset)
        if n is None:
            return None
        end = offset + len(node.text.strip())
        return node.file, n, [m for s, e, m in spans if s < end and e > offset]
