"""The extractive answer: the best-scoring sentences of the retrieved passages (extractive.py scores them),
quoted verbatim, each with a verified citation (citations.py). The edge of the extractive side: sentence
vectors come from the index (embedded at ingest) or the embedder."""

from __future__ import annotations

import numpy as np

from .citations import make_citation, verified
from .extractive import Candidate, answer_kind, candidates, choose, featurize
from .refusal import question_language
from .retrieve import lifted, stored_sentence_vectors
from .store import Index
from .types import Citation, Embedder, Hit, doc_language


def sentence_vectors(embedder: Embedder, index: Index | None, texts: list[str]) -> np.ndarray:
    """Passage vectors of candidate sentences: embedded at ingest (ingest.sentence_texts) and read from the
    vector cache; a sentence not found there is embedded now."""
    found = stored_sentence_vectors(index, embedder.model_id, texts) if index is not None else {}
    found.update({t: v for t in texts if t not in found and (v := _ASKED.get((embedder.model_id, t))) is not None})
    missing = list(dict.fromkeys(t for t in texts if t not in found))
    if missing:
        new = dict(zip(missing, embedder.embed_passages(missing)))
        if len(_ASKED) + len(new) > _ASKED_MAX:
            _ASKED.clear()
        _ASKED.update({(embedder.model_id, t): v for t, v in new.items()})
        found.update(new)
    return np.stack([found[t] for t in texts])


# sentences embedded at question time (extractive.quote_spans pieces, an older index): kept in memory
_ASKED: dict[tuple[str, str], np.ndarray] = {}
_ASKED_MAX = 20_000


def quote(chosen: list[Candidate], index: Index | None = None) -> tuple[str, list[Citation]]:
    """The extractive answer: the chosen sentences, verbatim, each with its citation marker. With an
    index, a sentence whose citation fails verification (citations.verify) is left out of the text
    too, and the markers are numbered over the citations that remain: text and citations agree."""
    citations: list[Citation] = []
    parts: list[str] = []
    for c in chosen:
        cit = make_citation(len(citations) + 1, c.hit.chunk, c.start, c.end, c.hit.score)
        if index is not None and not verified([cit], index):
            continue
        citations.append(cit)
        parts.append(f"{cit.quote} [{cit.n}]")
    return " ".join(parts), citations


def extractive(
    question: str,
    qvec: np.ndarray | None,
    hits: list[Hit],
    embedder: Embedder | None,
    max_sentences: int,
    index: Index | None = None,
    lang: str = "",
) -> tuple[str, list[Citation]]:
    """Quote the sentences of the given passages that best answer the question, each cited (extractive.py scores them)."""
    cands = scored_candidates(question, qvec, hits, embedder, index, lang or question_language(question))
    return quote(choose(cands, max_sentences, follow=not answer_kind(question)), index) if cands else ("", [])


def scored_candidates(
    question: str, qvec: np.ndarray | None, hits: list[Hit], embedder: Embedder | None, index: Index | None, lang: str
) -> list[Candidate]:
    """The candidate sentences of the hits with their features (extractive.featurize); word coverage
    counts only in documents of the question's language `lang`."""
    cands = candidates(hits)
    metas = getattr(index, "doc_meta", {})
    langs = [doc_language(metas, c.hit.chunk.doc, lang) for c in cands]
    same = [d == lang for d in langs]
    sims = (
        sentence_vectors(embedder, index, [c.text for c in cands]) @ qvec
        if cands and embedder is not None and qvec is not None
        else None
    )
    featurize(question, cands, sims, same, [lifted(lang, d) for d in langs])
    return cands
