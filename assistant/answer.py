"""Question + retrieved paragraphs -> Answer: extractive by default, LLM when configured.

Refusal (support.py): a question is answered only when the best passage's support reaches the
calibrated `SUPPORT_THRESHOLD` (or `min_score` when set) and the passages mention every named
entity of the question.
"""

from __future__ import annotations

import re
import time

import numpy as np

from .citations import make_citation, verify
from .metadata import detect_language
from .retrieve import retrieve, weight_for
from .store import Filter, Index
from .support import coverage, is_alias, missing_entities, support
from .text import fold, sentence_spans, words
from .types import Answer, Citation, DocMeta, Embedder, Hit

_NO_META = DocMeta()
SUPPORT_THRESHOLD = 0.82  # calibrated on evals/seed.jsonl answerable vs unanswerable (see README)
REFUSALS = {
    "vi": "Các tài liệu không chứa câu trả lời cho câu hỏi này.",
    "en": "The documents do not contain an answer to this question.",
    "sv": "Dokumenten innehåller inget svar på den frågan.",
}
NEAREST = {"vi": "Đoạn gần nhất tìm được", "en": "Nearest passages found", "sv": "Närmaste stycken"}

_NAME_Q = re.compile(r"(\bai\b|\bwho\b|\bwhom\b|\bvem\b|người nào|là gì)", re.I)
_NUMBER_Q = re.compile(r"\b(bao nhiêu|mấy|năm nào|ngày nào|khi nào|how many|how much|when|what year|which year|hur många|när|vilket år)\b", re.I)


_ORG_START = {fold(w) for w in "Bộ Ban Viện Hội Trung Phái Quỹ Liên Diễn Ngày Tuần Chương Hiệp Luật Sở Cục Tổng Phó Thủ Thứ Đại".split()}


def _new_names(sentence: str, q_words: set[str]) -> bool:
    """True when the sentence names a person the question does not (what a who-question wants):
    2-4 capitalised words, no acronym, not starting like an organisation or title, not a known place."""
    for run in _word_runs(sentence):
        if not 2 <= len(run) <= 4 or any(t.isupper() for t in run) or fold(run[0]) in _ORG_START:
            continue
        if {fold(t) for t in run} - q_words and not is_alias(" ".join(run)):
            return True
    return False


def _word_runs(text: str) -> list[list[str]]:
    """Runs of capitalised words separated by single spaces."""
    runs: list[list[str]] = []
    prev_end = -2
    for m in re.finditer(r"\w+", text):
        tok = m.group()
        if tok[0].isupper():
            if runs and text[prev_end : m.start()] == " ":
                runs[-1].append(tok)
            else:
                runs.append([tok])
            prev_end = m.end()
    return runs


EMBED_SENTENCES = 3  # candidate sentences compared with the question by the embedding model
SKIP_EMBED_MARGIN = 0.1  # lexical lead that makes the embedding comparison unnecessary
_SENTENCE_CACHE: dict[tuple[str, str], np.ndarray] = {}
_SENTENCE_CACHE_MAX = 4096


def _sentence_vectors(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Passage vectors of candidate sentences, remembered per process (pages ask about the same passages)."""
    keys = [(embedder.model_id, t[:2000]) for t in texts]
    missing = list(dict.fromkeys(k for k in keys if k not in _SENTENCE_CACHE))
    if missing:
        if len(_SENTENCE_CACHE) + len(missing) > _SENTENCE_CACHE_MAX:
            _SENTENCE_CACHE.clear()
        for k, v in zip(missing, embedder.embed_passages([t for _, t in missing])):
            _SENTENCE_CACHE[k] = v
    return np.stack([_SENTENCE_CACHE[k] for k in keys])


def question_language(question: str) -> str:
    return detect_language(question) or "vi"


def extractive(question: str, qvec: np.ndarray | None, hits: list[Hit], embedder: Embedder | None, max_sentences: int) -> tuple[str, list[Citation]]:
    """Quote the sentences of the best passages that best answer the question, each cited."""
    cands: list[tuple[Hit, int, int]] = []
    for hit in [h for h in hits if h.chunk.kind == "text"][:3] or hits[:1]:
        cands.extend((hit, s, e) for s, e in sentence_spans(hit.chunk.text))
    if not cands:
        return "", []
    texts = [h.chunk.text[s:e] for h, s, e in cands]
    best_hit = max(h.score for h, _, _ in cands) or 1.0
    wants_number = bool(_NUMBER_Q.search(question))
    wants_name = bool(_NAME_Q.search(question))
    q_words = {fold(w) for w in words(question)}
    lexical = []
    for i, (hit, s, e) in enumerate(cands):
        t = texts[i]
        score = 0.3 * coverage(question, t) + 0.15 * hit.score / best_hit
        if wants_number and re.search(r"\d", t):
            score += 0.1
        if wants_name and _new_names(t, q_words):
            score += 0.15
        if len(t) < 25:
            score -= 0.1
        lexical.append((score, i))
    lexical.sort(reverse=True)
    # Embedding every candidate sentence (~15) at query time cost more than the rest of a query;
    # only the best few by the cheap scores are compared with the question, none when one clearly
    # leads: ~1 sentence embedded instead of ~15; answer_contains on XQuAD-vi .846 against .850 when all
    # were embedded (README, Speed).
    if embedder is None or qvec is None or (len(lexical) > 1 and lexical[0][0] - lexical[1][0] >= SKIP_EMBED_MARGIN):
        scored = lexical[:1] if embedder is not None and qvec is not None else lexical
    else:
        top = lexical[:EMBED_SENTENCES]
        sims = _sentence_vectors(embedder, [texts[i] for _, i in top]) @ qvec
        scored = sorted(((score + 0.55 * float(sim), i) for (score, i), sim in zip(top, sims)), reverse=True)
    chosen = [scored[0]]
    for score, i in scored[1:]:
        if len(chosen) >= max_sentences:
            break
        if score >= scored[0][0] - 0.05:
            chosen.append((score, i))
    citations: list[Citation] = []
    parts: list[str] = []
    for score, i in sorted(chosen, key=lambda x: (cands[x[1]][0].chunk.doc, cands[x[1]][0].chunk.start + cands[x[1]][1])):
        hit, s, e = cands[i]
        c = make_citation(len(citations) + 1, hit.chunk, s, e, hit.score)
        citations.append(c)
        parts.append(f"{c.quote} [{c.n}]")
    return " ".join(parts), citations


def verified(citations: list[Citation], index: Index) -> list[Citation]:
    """Keep only citations whose quote is verbatim in the cited paragraph; renumber nothing."""
    out = []
    for c in citations:
        text = index.manifest.document_text(c.doc) or ""
        paras = {p.n: p for p in index.manifest.paragraphs(c.doc)}
        p = paras.get(c.paragraph)
        if p is not None and verify(c, text, p.start, p.end):
            out.append(c)
    return out


def refusal(question: str, lang: str, hits: list[Hit], timings: dict[str, float], mode: str) -> Answer:
    return Answer(question, False, REFUSALS.get(lang, REFUSALS["en"]), lang, [], mode, timings, hits)


def ask(
    question: str,
    embedder: Embedder,
    index: Index,
    *,
    mode: str = "hybrid",
    dense_weight: float | tuple[float, float] = 0.4,
    k: int = 5,
    flt: Filter | None = None,
    min_score: float | None = None,
    max_sentences: int = 2,
    llm=None,
    llm_fallback: bool = False,
    context: str = "",
) -> Answer:
    """Answer one question from the index; `context` (earlier turns) only widens retrieval."""
    t0 = time.perf_counter()
    lang = question_language(question)
    query = f"{context} {question}".strip() if context else question
    qvec = embedder.embed_queries([query])[0] if mode != "lexical" else None
    weight = dense_weight if isinstance(dense_weight, float) else weight_for(question, *dense_weight)
    hits = retrieve(query, embedder, index, mode, weight, k, flt, query_vector=qvec)
    t1 = time.perf_counter()
    threshold = SUPPORT_THRESHOLD if min_score is None else min_score
    best = max((support(question, h) for h in hits), default=0.0)
    timings = {"retrieve": (t1 - t0) * 1000}
    if mode == "lexical" and hits:
        best = threshold + coverage(question, hits[0].chunk.text) - 0.5  # no dense score: coverage decides
    cross = bool(hits) and lang != (index.doc_meta.get(hits[0].chunk.doc) or _NO_META).lang
    if not hits or best < threshold or missing_entities(question, [h.chunk.text for h in hits], cross):
        timings.update(answer=0.0, total=(time.perf_counter() - t0) * 1000)
        return refusal(question, lang, hits, timings, "llm" if llm else "extractive")
    if llm is not None:
        from .llm_answer import llm_answer

        answer = llm_answer(question, lang, hits, llm, index, fallback=llm_fallback, embedder=embedder, qvec=qvec)
    else:
        text, cits = extractive(question, qvec, hits, embedder, max_sentences)
        cits = verified(cits, index)
        answer = Answer(question, bool(cits), text if cits else REFUSALS.get(lang, REFUSALS["en"]), lang, cits, "extractive", {}, hits)
    t2 = time.perf_counter()
    answer.timings_ms = {"retrieve": timings["retrieve"], "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
    answer.hits = hits
    return answer
