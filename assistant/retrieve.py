"""Question -> scored paragraphs: dense (multilingual model), lexical (Vietnamese BM25), fused.

Fusion is a weighted sum of per-query normalised scores (dense cosine min-max over candidates,
BM25 divided by the best BM25), weight `dense_weight` chosen by measurement per question language
(`doc_weights`: one weight where question and document share a language, another across languages;
README, evals/tune_fusion.py).
Headings and noise lines (chunking.SHORT_KINDS) are ranked below text by `SHORT_KIND_FACTOR`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chunking import QUOTABLE_KINDS, SHORT_KINDS
from .manifest import vector_key
from .metadata import detect_language
from .store import Filter, Index
from .text import sentence_spans
from .types import Chunk, Embedder, Hit

CANDIDATES = 40
SHORT_KIND_FACTOR = 0.85
# A chunk's dense score mixes its own cosine with its best sentence's: a passage that holds one sentence
# answering the question stands out from passages on the same topic (an English question over a
# Vietnamese article finds the article by the passage, the paragraph by the sentence). Measured on the
# development sets (README, Quality): viquad2-vi r@1 .771 -> .830, xquad-en-mixed-dev .345 -> .435.
SENTENCE_WEIGHT = 0.5
# The encoder scores a passage in the question's own language higher than the same content in another
# language (seed corpus: a Vietnamese question ranked the Swedish paragraph that answers it below
# Vietnamese near-topic ones). Cosines of documents in another language get this bonus; where every
# document is in another language (English questions over Vietnamese and German) ranks do not change.
# The bonus ranks and chooses what is quoted; the cosines reported (Hit.dense, Candidate.sim) stay raw and
# the refusal decision is taken on the plain ranking (answer.gather). Seed set (the only development set
# that mixes document languages): answer_contains .604 -> .663, recall@1 .564 -> .614, recall@5 .723 ->
# .772, refusals unchanged; bonus .02 / .04 / .06 / .08 gave answer_contains .653 / .673 / .673 / .683
# with the refusal on the bonused ranking, which answered "Hur lång är en giraff?" from the seeds.
CROSS_LANGUAGE_BONUS = 0.04


def cross_language_bonus(
    scored: list[tuple[str, float]], cross: list[bool], bonus: float = CROSS_LANGUAGE_BONUS
) -> list[tuple[str, float]]:
    """Cosines with `bonus` added where the text is not in the question's language, best first (pure)."""
    return sorted(((i, s + bonus) if c else (i, s) for (i, s), c in zip(scored, cross)), key=lambda r: -r[1])


def is_cross_language(index: Index, cid: str, lang: str) -> bool:
    """The cross-language bonus applies to the chunk: its document is known and `lifted` from `lang`."""
    doc = index.chunks.doc_of(cid)
    meta = index.doc_meta.get(doc) if doc else None
    return meta is not None and lifted(lang, meta.lang)


def lifted(question_lang: str, doc_lang: str) -> bool:
    """Question and document lie on either side of the Vietnamese / Latin-European line (a document of no
    detected language counts as Vietnamese). The encoder's own-language preference is a matter of
    orthography: an English question shares script and names with Swedish and German text, which needs
    no lift against it (an English question over the seeds chose the Swedish article's near-topic
    paragraphs over the Vietnamese one that answers), while Vietnamese text, all tone-marked syllables,
    does."""
    return (question_lang == "vi") != ((doc_lang or "vi") == "vi")


def doc_weights(crossing: dict[str, bool], same: float, cross: float) -> dict[str, float]:
    """Dense weight per candidate: `same` where the document is in the question's language, `cross`
    where it is not. Across languages word overlap is no evidence (a Vietnamese question shares no words
    with the Swedish article that answers it; an English one shares names with a German distractor), so
    the model's score decides there; BM25 is normalised over all candidates, so without this a
    same-language passage with word overlap always outranked the other-language passage that answers.
    `crossing`: per candidate, whether its document is across the language line (is_cross_language)."""
    return {cid: cross if crosses else same for cid, crosses in crossing.items()}


def fuse(
    dense: list[tuple[str, float]],
    lexical: list[tuple[str, float]],
    dense_weight: float,
    weights: dict[str, float] | None = None,
) -> list[tuple[str, float, float | None, float | None]]:
    """(id, fused, dense, lexical) best first; `weights` overrides the dense weight per id. Pure, so tests
    can pin its behaviour."""
    d = dict(dense)
    lx = dict(lexical)
    ids = list(dict.fromkeys([i for i, _ in dense] + [i for i, _ in lexical]))
    if not ids:
        return []
    if d:
        lo, hi = min(d.values()), max(d.values())
        span = (hi - lo) or 1.0
        dn = {i: (d[i] - lo) / span if i in d else 0.0 for i in ids}
    else:
        dn = {i: 0.0 for i in ids}
    top = max(lx.values()) if lx else 0.0
    ln = {i: (lx.get(i, 0.0) / top if top > 0 else 0.0) for i in ids}
    if not dense:
        w = 0.0
    elif not lexical:
        w = 1.0
    else:
        w = dense_weight
    per = weights if weights and dense and lexical else {}
    out = [(i, per.get(i, w) * dn[i] + (1 - per.get(i, w)) * ln[i], d.get(i), lx.get(i)) for i in ids]
    return sorted(out, key=lambda r: -r[1])


def sentence_texts(chunk: Chunk) -> list[str]:
    """The sentences of a chunk that have their own vectors (ingest.sentence_texts embeds the same)."""
    if chunk.kind not in QUOTABLE_KINDS:
        return []
    return [chunk.text[s:e] for s, e in sentence_spans(chunk.text)]


def stored_sentence_vectors(index: Index, model_id: str, texts: list[str]) -> dict[str, np.ndarray]:
    """Sentence vectors computed at ingest, by text (texts without one are absent)."""
    keys = {t: vector_key(model_id, t) for t in texts}
    got = index.cached_vectors(list(set(keys.values())))
    return {t: got[k] for t, k in keys.items() if k in got}


def with_sentences(
    dense: list[tuple[str, float]], qv: np.ndarray, index: Index, model_id: str
) -> list[tuple[str, float]]:
    """Dense scores mixed with each chunk's best sentence cosine (SENTENCE_WEIGHT); a chunk whose
    sentences have no stored vector keeps its own cosine for them."""
    chunks = {cid: index.chunks.get(cid) for cid, _ in dense}
    texts = {cid: sentence_texts(c) if c is not None else [] for cid, c in chunks.items()}
    vecs = stored_sentence_vectors(index, model_id, [t for ts in texts.values() for t in ts])
    out = []
    for cid, s in dense:
        found = [vecs[t] for t in texts[cid] if t in vecs]
        best = float(np.max(np.stack(found) @ qv)) if found else s
        out.append((cid, (1 - SENTENCE_WEIGHT) * s + SENTENCE_WEIGHT * best))
    return out


@dataclass(frozen=True)
class Scores:
    """One question's candidate scores before fusion: raw dense (with best sentences), BM25, and the
    weights; `rank` fuses them, with or without the cross-language bonus, without searching again."""

    dense: list[tuple[str, float]]
    lexical: list[tuple[str, float]]
    cross: dict[str, bool]  # the cross-language bonus applies to the chunk (is_cross_language)
    weight: float
    per: dict[str, float] | None


def score(
    question: str,
    embedder: Embedder,
    index: Index,
    mode: str = "hybrid",
    dense_weight: float | tuple[float, float] = 0.7,
    flt: Filter | None = None,
    query_vector=None,
) -> Scores:
    """Search both sides once: the CANDIDATES best chunks by cosine and by BM25 under the filter."""
    if index.follows_writes:
        index.refresh()
    docs = index.allowed_docs(flt)
    dense: list[tuple[str, float]] = []
    lexical: list[tuple[str, float]] = []
    if mode in ("hybrid", "dense"):
        qv = query_vector if query_vector is not None else embedder.embed_queries([question])[0]
        dense = index.dense(qv, CANDIDATES, docs)
        if SENTENCE_WEIGHT:
            dense = with_sentences(dense, qv, index, embedder.model_id)
    if mode in ("hybrid", "lexical"):
        lexical = index.lexical_search(question, CANDIDATES, docs)
    lang = detect_language(question) or "vi"
    ids = dict.fromkeys([i for i, _ in dense] + [i for i, _ in lexical])
    cross = {cid: is_cross_language(index, cid, lang) for cid in ids}  # once per candidate, for bonus and weights
    if isinstance(dense_weight, tuple):
        return Scores(dense, lexical, cross, dense_weight[0], doc_weights(cross, *dense_weight))
    return Scores(dense, lexical, cross, dense_weight, None)


def rank(index: Index, scores: Scores, k: int = 5, bonus: float = CROSS_LANGUAGE_BONUS) -> list[Hit]:
    """The k best chunks: dense (plus `bonus` across the language line) and BM25 fused; Hit.dense raw."""
    raw = dict(scores.dense)
    dense = scores.dense
    if dense and bonus:
        dense = cross_language_bonus(dense, [scores.cross[cid] for cid, _ in dense], bonus)
    hits: list[Hit] = []
    for cid, fused, ds, ls in fuse(dense, scores.lexical, scores.weight, scores.per):
        chunk = index.chunks.get(cid)
        if chunk is None:  # written by a concurrent ingest after our view was loaded
            continue
        if chunk.kind in SHORT_KINDS:
            fused *= SHORT_KIND_FACTOR
        hits.append(Hit(chunk, fused, raw.get(cid, ds), ls))
    hits.sort(key=lambda h: -h.score)
    return hits[:k]


def retrieve(
    question: str,
    embedder: Embedder,
    index: Index,
    mode: str = "hybrid",
    dense_weight: float | tuple[float, float] = 0.7,
    k: int = 5,
    flt: Filter | None = None,
    query_vector=None,
    bonus: float = CROSS_LANGUAGE_BONUS,
) -> list[Hit]:
    """The k best chunks for the question under the given filter. `dense_weight`: one weight, or
    (same-language, cross-language) weights applied per document (doc_weights); `bonus`: added to the
    cosine of chunks not in the question's language (CROSS_LANGUAGE_BONUS), for ranking only."""
    return rank(index, score(question, embedder, index, mode, dense_weight, flt, query_vector), k, bonus)
