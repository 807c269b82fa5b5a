"""Corroboration: the paragraphs of other documents that state what a citation quotes, in any language.

Verified, never guessed: a paragraph corroborates a quote only when
1. one of its sentences is close to the quote in the embedding model's space (cosine of the sentence
   vectors computed at ingest >= MIN_SIMILARITY, measured on evals/corroboration_pairs.jsonl),
2. the two are each other's best match: the quote's best sentence in that document, and that sentence's
   best match in the cited document lies in the cited paragraph (mutual nearest neighbours, the usual
   check in mining translations: a topic shared by many paragraphs matches none of them mutually),
3. their anchors agree (`agree`): the figures of the quote are found in the paragraph, and the people and
   countries both name are shared (a name a translation leaves out, "the ambassador", is no conflict;
   another name is).
Documents with several corroborated citations are copies of one story (`copies`): the page groups them.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np

from .chunking import QUOTABLE_KINDS
from .retrieve import stored_sentence_vectors
from .store import Index
from .support import alias_words, capitalised_runs, countries, vietnamese_name, vietnamese_syllable
from .text import fold, sentence_spans, words
from .types import Chunk, Citation, Corroboration, Embedder

# multilingual-e5-small, sentence vectors, evals/corroboration_pairs.jsonl (30 labelled pairs): same-fact
# pairs across Vietnamese / Swedish scored 0.82-0.87, within Vietnamese 0.95; other models need their own
# value (evals/corroboration.py measures precision and recall at a range of thresholds).
MIN_SIMILARITY = 0.815
CANDIDATE_CHUNKS = 20  # nearest chunks (any document) whose sentences are compared with the quote
MAX_PER_CITATION = 4
MIN_NUMBER_SHARE = 0.5
MIN_SIMILARITY_SAME = 0.93  # within one language the encoder scores a shared topic 0.87-0.92
MUTUAL_SLACK: float | None = 0.0
CANDIDATE_DOCS = 8  # documents near the quote (by chunk vector or its figures and names), all their sentences compared
ANCHOR_BONUS = 0.02  # per shared figure / person / country, when choosing a document's paragraph
# figures standing alone: "5G/6G" or "AI-lag" name things, "11", "27/10", "450" are facts a copy repeats
_FIGURE = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")


@dataclass(frozen=True)
class Anchors:
    """What a fact's wording must keep across languages: figures, people, countries (folded)."""

    figures: frozenset[str]
    people: frozenset[str]
    countries: frozenset[int]


def anchors(text: str) -> Anchors:
    """The figures, people and countries a text names. People: a Vietnamese three-syllable name ("bui the
    duy", with or without its marks) or a capitalised word that is no Vietnamese syllable, title or alias
    ("guerrier", "serrano"); Vietnamese capitalised phrases ("Luật Trí tuệ") are translated, not kept."""
    figures = frozenset(re.sub(r"\D", "", m) for m in _FIGURE.findall(text))
    people: set[str] = set()
    known = alias_words()
    for run in capitalised_runs(text):
        parts = run.split()
        if len(parts) == 3 and vietnamese_name(run):
            people.add(run)
            continue
        people |= {p for p in parts if len(p) > 2 and p not in known and not vietnamese_syllable(p) and not p.isdigit()}
    return Anchors(figures, frozenset(people), frozenset(countries(text)))


def agree(quote: Anchors, other: Anchors, other_text: str) -> bool:
    """The paragraph keeps the quote's figures (at least half) and names none of its people or countries
    differently."""
    if quote.figures and len(quote.figures & other.figures) < MIN_NUMBER_SHARE * len(quote.figures):
        return False
    folded = " " + " ".join(fold(w) for w in words(other_text)) + " "
    if quote.people and other.people and not any(f" {p} " in folded for p in quote.people):
        return False
    return not (quote.countries and other.countries and not quote.countries & other.countries)


@dataclass
class _Sentences:
    """The quotable sentences of some chunks (as retrieve.sentence_texts splits them) with their stored vectors."""

    chunks: list[Chunk]
    owner: list[int]  # sentence -> index into chunks
    spans: list[tuple[int, int]]  # sentence -> offsets in its document
    vectors: np.ndarray


def _sentences(index: Index, model_id: str, chunks: list[Chunk]) -> _Sentences:
    found = [
        (i, c.start + s, c.start + e, c.text[s:e])
        for i, c in enumerate(chunks)
        if c.kind in QUOTABLE_KINDS
        for s, e in sentence_spans(c.text)
    ]
    vecs = stored_sentence_vectors(index, model_id, [t for *_, t in found])
    kept = [f for f in found if f[3] in vecs]
    mat = np.stack([vecs[t] for *_, t in kept]) if kept else np.zeros((0, 0), np.float32)
    return _Sentences(chunks, [i for i, *_ in kept], [(s, e) for _, s, e, _ in kept], mat)


def _quote_vector(home: _Sentences, embedder: Embedder, citation: Citation) -> np.ndarray:
    """The quote's passage vector: the mean of the stored vectors of the cited document's sentences it
    overlaps (extractive quotes are sentences, or pieces of one glued to the next); the encoder runs
    (~100 ms) only for a quote of text without sentence vectors (a heading, a metadata line)."""
    rows = [i for i, (s, e) in enumerate(home.spans) if s < citation.char_end and citation.char_start < e]
    if not rows:
        return embedder.embed_passages([citation.quote])[0].astype(np.float32)
    mean = home.vectors[rows].mean(axis=0)
    return (mean / np.linalg.norm(mean)).astype(np.float32)


def corroborate(
    citation: Citation,
    embedder: Embedder,
    index: Index,
    min_similarity: float = MIN_SIMILARITY,
    min_similarity_same: float = MIN_SIMILARITY_SAME,
    mutual_slack: float | None = MUTUAL_SLACK,
) -> list[Corroboration]:
    """Paragraphs of other documents stating what the citation quotes, best first (at most one per document).
    `min_similarity` holds across languages, `min_similarity_same` within one; `mutual_slack`: how far below
    the cited document's best match for it the cited paragraph may be (None: no mutual check)."""
    home = _sentences(index, embedder.model_id, index.document_chunks(citation.doc))
    qv = _quote_vector(home, embedder, citation)
    lang = _lang(index, citation.doc)
    quote_anchors = anchors(citation.quote)
    others = _candidates(index, qv, quote_anchors, citation.doc)
    if not others:
        return []
    cand = _sentences(index, embedder.model_id, others)
    if not len(cand.owner):
        return []
    sims = cand.vectors @ qv
    best: dict[str, tuple[float, Corroboration]] = {}  # document -> its paragraph that states the quote best
    texts: dict[tuple[str, int], str] = {}
    for s in np.flatnonzero(sims >= min(min_similarity, min_similarity_same)):
        chunk = cand.chunks[cand.owner[s]]
        if sims[s] < (min_similarity_same if _lang(index, chunk.doc) == lang else min_similarity):
            continue
        if mutual_slack is not None and not _mutual(home, cand.vectors[s], citation.paragraph, mutual_slack):
            continue  # the sentence says something the cited document says better elsewhere
        key = (chunk.doc, chunk.paragraph)
        if key not in texts:
            texts[key] = _paragraph_text(index, chunk)
        other = anchors(texts[key])
        if not agree(quote_anchors, other, texts[key]):
            continue
        rank = float(sims[s]) + ANCHOR_BONUS * shared(quote_anchors, other)
        if chunk.doc not in best or rank > best[chunk.doc][0]:
            best[chunk.doc] = (
                rank,
                Corroboration(chunk.doc, chunk.paragraph, _lang(index, chunk.doc), round(float(sims[s]), 4)),
            )
    out = [c for _, c in sorted(best.values(), key=lambda rc: -rc[0])]
    return out[:MAX_PER_CITATION]


def _mutual(home: _Sentences, vector: np.ndarray, paragraph: int, slack: float) -> bool:
    """The cited paragraph holds the cited document's best match for `vector`, or one within `slack` of it."""
    if not len(home.owner):
        return True
    sims = home.vectors @ vector
    mine = [float(sims[i]) for i, o in enumerate(home.owner) if home.chunks[o].paragraph == paragraph]
    return bool(mine) and max(mine) >= float(sims.max()) - slack


def _lang(index: Index, doc: str) -> str:
    meta = index.doc_meta.get(doc)
    return meta.lang if meta is not None else ""


def shared(a: Anchors, b: Anchors) -> int:
    """How many figures, people and countries two texts share."""
    return len(a.figures & b.figures) + len(a.people & b.people) + len(a.countries & b.countries)


def _candidates(index: Index, qv: np.ndarray, quote: Anchors, doc: str) -> list[Chunk]:
    """Every chunk of the other documents nearest the quote, by chunk vector and by the quote's figures and
    names: the translated paragraph itself is often far down the chunk list (a chunk vector carries its
    document's title), its document is not."""
    elsewhere = set(index.doc_meta) - {doc}
    # no document filter on the vector search, the quote's own chunks fetched and dropped instead: a filtered
    # Chroma query on a reader whose folder another process is writing fails ("Error finding id"), an
    # unfiltered one reads its loaded view (tests/test_concurrency.py)
    own = len(index.doc_chunk_ids(doc))
    ids = [cid for cid, _ in index.dense(qv, CANDIDATE_CHUNKS + own, None)]  # its own document is dropped below
    terms = " ".join(sorted(quote.figures | quote.people))
    if terms:
        ids += [cid for cid, _ in index.lexical_search(terms, CANDIDATE_CHUNKS, elsewhere)]
    docs = [d for d in dict.fromkeys(index.chunks.doc_of(cid) for cid in ids) if d is not None and d != doc][
        :CANDIDATE_DOCS
    ]
    return [c for d in docs for c in index.document_chunks(d)]


def corroborate_all(
    citations: list[Citation], embedder: Embedder, index: Index, cache: CorroborationCache | None = None
) -> None:
    """Fill `corroborated_by` of each citation (from `cache` when the same quote was corroborated before
    in this index generation)."""
    for c in citations:
        if cache is None:
            c.corroborated_by = corroborate(c, embedder, index)
        else:
            key = (index.view_generation, embedder.model_id, c.doc, c.char_start, c.char_end)
            c.corroborated_by = cache.get(key, partial(corroborate, c, embedder, index))


class CorroborationCache:
    """Corroborations by quote (generation, model, document, span): a paragraph cited again, for another
    question or another user, is not compared with the corpus again. The result depends only on the quote
    and the index generation, so a new generation (an ingest) never reads an older one's entries.
    Thread-safe; keeps the `size` most recently used quotes."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._items: OrderedDict[tuple, tuple[Corroboration, ...]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable[[], list[Corroboration]]) -> list[Corroboration]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return list(self._items[key])
        value = tuple(compute())  # outside the lock: two threads may compute one quote, never block each other
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return list(value)


def copies(citations: list[Citation]) -> dict[int, int]:
    """Citation number -> the number of an earlier citation it repeats (its paragraph corroborates that
    one's quote, or the other way round): copies of one story, shown under one entry."""
    seen: dict[tuple[str, int], int] = {}
    out: dict[int, int] = {}
    for c in citations:
        here = (c.doc, c.paragraph)
        first = seen.get(here)
        if first is None:
            first = next((seen[(o.doc, o.paragraph)] for o in c.corroborated_by if (o.doc, o.paragraph) in seen), None)
        if first is not None and first != c.n:
            out[c.n] = first
        else:
            seen[here] = c.n
            for o in c.corroborated_by:
                seen.setdefault((o.doc, o.paragraph), c.n)
    return out


def _paragraph_text(index: Index, chunk: Chunk) -> str:
    """The whole paragraph of a chunk (a long paragraph is several chunks)."""
    para = next((p for p in index.paragraphs(chunk.doc) if p.n == chunk.paragraph), None)
    return para.text if para is not None else chunk.text
