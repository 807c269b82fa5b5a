"""Question + retrieved paragraphs -> Answer: extractive by default, LLM when configured.

`gather` retrieves and scores (retrieve.py, extractive.py, support.py) without deciding anything;
`answerable` decides: the answerability model (support.py, fitted on the development sets) reaches its
threshold (or `min_score` when set) and the passages mention every named entity of the question;
then the answer is quoted (extractive_answer.py; citations.py builds and checks each citation), read
from the document's metadata (meta_answer.py), or written by an LLM (llm_answer.py); refusal.py says
what is said when the documents do not answer. This module only orchestrates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .enumeration import asked_item
from .extractive import (
    Candidate,
    amount,
    answer_kind,
    asked_offices,
    asked_unit,
    asks_for_person,
    choose,
    evidence,
    new_names,
)
from .extractive_answer import quote, scored_candidates, sentence_vectors
from .gloss import glossed, needs_gloss
from .llm_answer import llm_answer, stream_llm_answer
from .meta_answer import asked_fields, metadata_answer
from .refusal import REFUSALS, question_language, refusal
from .retrieve import rank, score
from .store import Filter, Index
from .text import fold, words
from .support import (
    anchor_share,
    anchor_terms,
    answerability_features,
    answerability_model,
    conflicting_years,
    countries,
    coverage,
    entities,
    missing_entities,
    names_a_rival,
    support,
)
from .types import Answer, Answerability, Embedder, Hit, doc_language

LEXICAL_COVERAGE = 0.5  # lexical mode answers when the best passage holds this share of the question's terms


@dataclass
class Evidence:
    """What one question retrieved, before anything is said: the passages, the scored candidate
    sentences, the ones an extractive answer quotes, and the answerability features (support.py)."""

    lang: str
    qvec: np.ndarray | None
    hits: list[Hit]
    candidates: list[Candidate]
    chosen: list[Candidate]
    features: dict[str, float]
    cross: bool
    languages: frozenset[str] = frozenset()  # of the hits' documents
    articles: tuple[str, ...] = ()  # the whole text of each document a chosen sentence is quoted from


def gather(
    question: str,
    embedder: Embedder,
    index: Index,
    *,
    mode: str = "hybrid",
    dense_weight: float | tuple[float, float] = 0.4,
    k: int = 5,
    flt: Filter | None = None,
    max_sentences: int = 2,
    context: str = "",
) -> Evidence:
    """Retrieve, score every candidate sentence and measure answerability (pure of any decision)."""
    lang = question_language(question)
    query = f"{context} {question}".strip() if context else question
    qvec = embedder.embed_queries([query])[0] if mode != "lexical" else None
    scores = score(query, embedder, index, mode, dense_weight, flt, query_vector=qvec)
    hits = rank(index, scores, k)
    cands = scored_candidates(question, qvec, hits, embedder, index, lang)
    top_lang = _lang_of(index, hits[0], lang) if hits else lang
    eligible = about_the_question(question, without_rivals(question, cands), index, lang)
    chosen = choose(eligible, max_sentences, follow=not answer_kind(question))
    chosen_docs = list(dict.fromkeys(c.hit.chunk.doc for c in chosen))
    features = _features(question, hits, evidence(eligible), index, lang)
    if (
        mode != "lexical"
        and any(_lang_of(index, h, lang) != lang for h in hits)
        and _has_language(index, lang)
        and not anchored(question, [_text(index, d) for d in chosen_docs])
    ):
        # The refusal model was fitted on the plain ranking; the cross-language bonus can put another
        # language's passage on top, which gives the model's cross-lingual allowance to off-topic questions
        # ("Hur lång är en giraff?" over the seeds). So the bonus chooses what is quoted, the plain
        # evidence decides whether to answer at all, unless the articles quoted from hold every name and
        # number of the question (no language is needed to match those). Seed set (the only development
        # set mixing the question's language with others): answer contains .792 -> .812, false refusals
        # .050 -> .020, refusals unchanged.
        plain = rank(index, scores, k, bonus=0.0)
        plain_cands = scored_candidates(question, qvec, plain, embedder, index, lang)
        features = _features(question, plain, evidence(plain_cands, bonus=0.0), index, lang)
    item = asked_item(question, hits, index) if hits else None
    if item is not None:
        # "Khuyến nghị thứ năm …?": item five of the list a top passage introduces or belongs to is what is
        # quoted (it names its place only by its ordinal); whether to answer stays the evidence's to decide
        own_hit = next((h for h in hits if h.chunk.id == item.chunk.id), None)  # its own cosine and BM25, if any
        lead = Hit(item.chunk, hits[0].score, *((own_hit.dense, own_hit.lexical) if own_hit else (None, None)))
        hits = [lead] + [h for h in hits if h.chunk.id != item.chunk.id][: k - 1]
        pool = scored_candidates(question, qvec, [lead], embedder, index, lang)
        # the pool is one passage's sentences in text order: the item's own sentence states it ("Thứ hai, đẩy
        # mạnh …."), quoted first, then the best of the rest by the sentence model
        own = [c for c in pool if item.start <= c.start < item.end]
        chosen = own[:1] + choose(own[1:], max_sentences - 1) if own and max_sentences else chosen
        chosen_docs = list(dict.fromkeys(c.hit.chunk.doc for c in chosen))
    # read only when the refusal rules will look for the question's entities in them (entities_present)
    quoted = chosen_docs if entities(question, top_lang != lang) else []
    articles = tuple(_text(index, d) for d in quoted)
    return Evidence(
        lang,
        qvec,
        hits,
        cands,
        chosen,
        features,
        top_lang != lang,
        frozenset(_lang_of(index, h, lang) for h in hits),
        articles,
    )


def anchored(question: str, articles: list[str]) -> bool:
    """The articles of the sentences to be quoted hold every name and number of the question
    (support.anchor_terms: "Nguyen Chi Dung", "Tokyo" are "Nguyễn Chí Dũng", "Tokyo" in a Vietnamese
    article); False for a question naming none ("Hur lång är en giraff?")."""
    anchors = anchor_terms(question)
    return bool(anchors) and anchor_share(anchors, articles) == 1.0


def without_rivals(question: str, cands: list[Candidate]) -> list[Candidate]:
    """The candidates whose passage does not name a rival of the question's countries
    (support.names_a_rival); all of them when every passage does (the refusal rules decide then)."""
    groups = countries(question)
    if not groups or not cands:
        return cands
    rival = {c.hit.chunk.id: names_a_rival(groups, c.hit.chunk.text) for c in cands}
    return [c for c in cands if not rival[c.hit.chunk.id]] or cands


def about_the_question(question: str, cands: list[Candidate], index: Index, lang: str) -> list[Candidate]:
    """The candidates from documents that name every entity of the question (support.missing_entities
    over the whole document: a paragraph that refers back need not repeat the name, its article does);
    all of them when no document does (the refusal rules decide then). "Kim ngạch thương mại Việt Nam -
    Brazil" is not answered from an article on textile exports that never names Brazil."""
    if not cands or not entities(question):  # no entity asked (in any language): no document is read
        return cands
    docs = {c.hit.chunk.doc for c in cands}
    naming = {
        d
        for d in docs
        if not missing_entities(question, [_text(index, d)], doc_language(index.doc_meta, d, lang) != lang)
    }
    return [c for c in cands if c.hit.chunk.doc in naming] or cands


def _features(question: str, hits: list[Hit], best: Candidate | None, index: Index, lang: str) -> dict[str, float]:
    """The refusal model's features of one ranking and its strongest sentence (extractive.evidence)."""
    top_lang = _lang_of(index, hits[0], lang) if hits else lang
    return answerability_features(question, hits, best, top_lang != lang, top_lang == lang)


def _title_similarity(embedder: Embedder, index: Index, qvec: np.ndarray | None):
    """The model's cosine of the question with texts (document titles), for meta_answer.pick_document."""
    if qvec is None:
        return None
    return lambda texts: [float(x) for x in sentence_vectors(embedder, index, texts) @ qvec]


def _text(index: Index, doc: str) -> str:
    """A document's text ("" when it left the index); the loaded view reads each one once (store.ChunkView)."""
    return index.document_text(doc) or ""


def _has_language(index: Index, lang: str) -> bool:
    """Some document is in `lang` (else the bonus lifts every candidate alike: nothing to re-rank)."""
    return any((m.lang or "vi") == lang for m in index.doc_meta.values())


def _lang_of(index: Index, hit: Hit, default: str) -> str:
    return doc_language(index.doc_meta, hit.chunk.doc, default)


def answerable(ev: Evidence, question: str, mode: str, min_score: float | None) -> bool:
    """The refusal decision: answer only when `answerability` passes."""
    decision = answerability(ev, question, mode, min_score)
    return decision is not None and decision.passed


def answerability(ev: Evidence, question: str, mode: str, min_score: float | None) -> Answerability | None:
    """How the refusal decision is taken; None (refuse) with no passage or an infinite `min_score`. By
    default the answerability model (support.py, fitted on the development sets) must reach its
    threshold; with `min_score` set, the best passage's support score (dense + TERM_WEIGHT x coverage) must
    reach it instead. In lexical mode, with no dense score, the best passage's term coverage decides.
    Always (`checks`): every named entity of the question is in the passages, a how-many question has an
    amount to quote, and a question about who holds an office a person."""
    if not ev.hits or min_score == math.inf:
        return None
    checks = entities_present(ev, question) and amount_found(ev, question) and person_found(ev, question)
    if mode == "lexical":
        return Answerability("coverage", coverage(question, ev.hits[0].chunk.text), LEXICAL_COVERAGE, checks)
    if min_score is not None:
        return Answerability("support", max(support(question, h) for h in ev.hits), min_score, checks)
    model = answerability_model()
    return Answerability("model", model.probability(ev.features), model.threshold, checks)


def amount_found(ev: Evidence, question: str) -> bool:
    """A question asking how many / how much is answered only with an amount: some sentence to be quoted
    states one (extractive.amount). "Giá vé là bao nhiêu?" is not answered with "diễn ra ngày 27/10"."""
    if answer_kind(question) != "number":
        return True
    unit = asked_unit(question)
    return any(amount(c.text, unit) for c in ev.chosen)


def person_found(ev: Evidence, question: str) -> bool:
    """A question asking who holds an office (extractive.asks_for_person) is answered only with a person:
    some sentence to be quoted names one the question does not. "Đại sứ Nhật Bản tại Việt Nam là ai?" is not
    answered with a photo caption of the Deputy Prime Minister and the delegates. And the office asked
    about is named, in any language, in the article quoted from (or, when the question names no entity and
    no article was read, in the quoted passages): "Đại sứ Brazil tại Việt Nam là ai?" is not answered with
    the Prime Minister's words about Brazil's firms from an article that names no ambassador."""
    if not asks_for_person(question):
        return True
    q_words = {fold(w) for w in words(question)}
    if not any(new_names(c.text, q_words) for c in ev.chosen):
        return False
    texts = ev.articles or tuple(c.hit.chunk.text for c in ev.chosen)
    return all(any(office.search(t) for t in texts) for office in asked_offices(question))


def entities_present(ev: Evidence, question: str) -> bool:
    """Every named entity of the question occurs in the retrieved passages or in the article a quote comes
    from (support.missing_entities: "5 MOU" is quoted from a paragraph that refers back to the Tokyo event
    its article names), and no year it asks about is contradicted by the passages
    (support.conflicting_years)."""
    passages = [h.chunk.text for h in ev.hits]
    return not missing_entities(question, [*passages, *ev.articles], ev.cross, ev.languages) and not (
        conflicting_years(question, passages)
    )


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
    gloss: bool = False,
) -> Answer:
    """Answer one question from the index; `context` (earlier turns) only widens retrieval; `gloss` adds
    the LLM's translation under quotes in another language (LLM mode). An answer is read from one index
    generation: when a writer published a new one while it was being read (chunk texts and citations are
    read on demand), the question is answered again from the new one (here when the index follows writes
    itself; App, whose threads share one view, reloads it between questions and asks again)."""
    kw = dict(mode=mode, dense_weight=dense_weight, k=k, flt=flt, min_score=min_score, max_sentences=max_sentences,
              llm=llm, llm_fallback=llm_fallback, context=context, gloss=gloss)  # fmt: skip
    for _ in range(GENERATION_RETRIES if index.follows_writes else 1):
        answer = _final(_ask_once(question, embedder, index, stream=False, **kw))
        if index.view_is_current():
            break
    return answer


def ask_stream(question: str, embedder: Embedder, index: Index, **kw) -> Iterator[str | Answer]:
    """`ask`, streamed: an LLM answer's text pieces (str) as the model writes them, then each Answer as it
    is complete (the checked one, then the one with glosses); the last item is the final Answer. Other
    answers arrive whole. If the index changed while it was read, the answer is given again (not streamed)."""
    yield from _ask_once(question, embedder, index, stream=True, **kw)
    if index.follows_writes and not index.view_is_current():
        yield ask(question, embedder, index, **kw)


GENERATION_RETRIES = 3  # a writer publishes once per ingest: a second read is from a settled index


def _final(events: Iterator[str | Answer]) -> Answer:
    """The last Answer of an unstreamed `_ask_once` (it yields nothing else)."""
    answer = None
    for event in events:
        answer = event
    if not isinstance(answer, Answer):
        raise TypeError(f"an answer ended in {answer!r}, not an Answer")
    return answer


def _ask_once(
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
    gloss: bool = False,
    stream: bool,
) -> Iterator[str | Answer]:
    t0 = time.perf_counter()
    ev = gather(
        question,
        embedder,
        index,
        mode=mode,
        dense_weight=dense_weight,
        k=k,
        flt=flt,
        max_sentences=max_sentences,
        context=context,
    )
    t1 = time.perf_counter()
    lang, hits = ev.lang, ev.hits
    timings = {"retrieve": (t1 - t0) * 1000}
    # "source/date of the article about X?": the document's own metadata line, verified like any quote;
    # it does not need the answerability model (the line is no paraphrase of the question), only the
    # question's named entities in the passages
    about_document = bool(asked_fields(question)) and bool(hits) and min_score != math.inf
    meta = (
        metadata_answer(question, lang, hits, index, _title_similarity(embedder, index, ev.qvec))
        if about_document and entities_present(ev, question)
        else None
    )
    # asked where or when the article was published, and it does not say: refused, not answered with
    # another date or name of its text ("Sáng 30/5, ..." is the event's day, not the article's)
    decision = None if meta is not None or about_document else answerability(ev, question, mode, min_score)
    if meta is None and (decision is None or not decision.passed):
        timings.update(answer=0.0, total=(time.perf_counter() - t0) * 1000)
        refused = refusal(question, lang, hits, timings, "llm" if llm else "extractive")
        refused.answerability = decision
        yield refused
        return
    first: float | None = None
    if meta is not None:
        answer = meta
    elif llm is not None and stream:
        for event in stream_llm_answer(
            question, lang, hits, llm, index, fallback=llm_fallback, embedder=embedder, qvec=ev.qvec
        ):
            if isinstance(event, str):
                first = first or time.perf_counter()
                yield event
            else:
                answer = event
    elif llm is not None:
        answer = llm_answer(question, lang, hits, llm, index, fallback=llm_fallback, embedder=embedder, qvec=ev.qvec)
    else:
        text, cits = quote(ev.chosen, index)
        answer = Answer(
            question,
            bool(cits),
            text if cits else REFUSALS.get(lang, REFUSALS["en"]),
            lang,
            cits,
            "extractive",
            {},
            hits,
        )
    t2 = time.perf_counter()
    answer.timings_ms = {"retrieve": timings["retrieve"], "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
    if first is not None:
        answer.timings_ms["first_token"] = (first - t1) * 1000  # from the request to the LLM's first text
    answer.hits = hits
    answer.answerability = decision
    if gloss and llm is not None and needs_gloss(answer, index.doc_meta):
        if stream:
            yield answer  # the checked answer now; its quotes' translations follow
        answer = glossed(answer, llm, index.doc_meta)
        answer.timings_ms = {
            **answer.timings_ms,
            "gloss": (time.perf_counter() - t2) * 1000,
            "total": (time.perf_counter() - t0) * 1000,
        }
    yield answer
