"""The extractive answer: which sentences of the retrieved passages are quoted (where a query's answer
sentence is scored).

Every sentence of the best passages is a candidate (captions included: they name the people in a photo;
noise lines only when nothing else was retrieved). Each gets features (`SentenceFeatures`):
- `sim`: cosine of the question with the sentence's own vector (the model, in every language);
- `passage`: its passage's retrieval score relative to the best one (the retrieval evidence);
- `coverage`: share of the question's content terms in the sentence, counted only when question and
  document share a language (an English question's words in a Swedish sentence are no evidence for it;
  names and numbers are, through `anchors`);
- `anchors`: share of the question's names and numbers found in the sentence (any language);
- `kind_match`: the sentence holds the kind of thing asked for (a number for "how many", a date for
  "when", a new person's name for "who").
`score` weighs them (weights fitted on the development sets, evals/tools/fit_answer.py); the best
sentence is quoted, and a second one when it scores within `WINDOW` of the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .chunking import QUOTABLE_KINDS
from .retrieve import CROSS_LANGUAGE_BONUS
from .support import anchor_terms, coverage, is_alias
from .text import fold, sentence_spans, words
from .types import Hit

PASSAGES = 5  # passages whose sentences compete
WINDOW = 0.05  # a second sentence is quoted only when this close to the best
# weights of score(); fitted on the development sets (evals/tools/fit_answer.py, README "Quality")
# sentences quoted that hold a gold answer (development sets, 2,700 answerable questions): first guess
# (passage .25, coverage .2, anchors .1, kind .08) -> fitted: seed .564 -> .604, xquad-en-mixed .702 -> .736,
# viquad2 .740 -> .802, vinewsqa .658 -> .686, swequad .704 -> .718, xquad-vi .856 -> .894
WEIGHTS = {"sim": 1.0, "passage": 0.1, "coverage": 0.1, "anchors": 0.0, "kind_match": 0.06, "short": 0.1}

# "ai" (who) but not "AI" (artificial intelligence): the Vietnamese word is never written in capitals
_WHO = re.compile(r"(\b[Aa]i\b|(?i:\bwho\b|\bwhom\b|\bvem\b|người nào|vị nào|ông nào|bà nào))")
_HOW_MANY = re.compile(r"(bao nhiêu|\bmấy\b|how many|how much|what percentage|hur många|hur mycket|hur stor)", re.I)
_WHEN = re.compile(r"(năm nào|ngày nào|tháng nào|khi nào|bao giờ|lúc nào|thời gian nào|\bwhen\b|what year|which year|what date|\bnär\b|vilket år|vilken dag)", re.I)
_DATE = re.compile(r"(\b(1[0-9]|20)\d\d\b|\b\d{1,2}/\d{1,2}\b|\btháng \d|\bngày \d|\bnăm \d)", re.I)
_DIGIT = re.compile(r"\d")
_ORG_START = {fold(w) for w in "Bộ Ban Viện Hội Trung Phái Quỹ Liên Diễn Ngày Tuần Chương Hiệp Luật Sở Cục Tổng Phó Thủ Thứ Đại".split()}


def answer_kind(question: str) -> str:
    """What the question asks for: "name", "number", "date" or "" (anything)."""
    if _WHEN.search(question):
        return "date"
    if _HOW_MANY.search(question):
        return "number"
    if _WHO.search(question):
        return "name"
    return ""


def kind_match(kind: str, sentence: str, q_words: set[str]) -> bool:
    """Does the sentence hold what an answer of this kind needs?"""
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "number":
        return bool(_DIGIT.search(sentence))
    if kind == "name":
        return new_names(sentence, q_words)
    return False


def new_names(sentence: str, q_words: set[str]) -> bool:
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


@dataclass
class Candidate:
    """One sentence of a retrieved passage, offsets relative to the chunk text."""

    hit: Hit
    rank: int  # of its passage, 0 = best
    start: int
    end: int
    sim: float = 0.0
    passage: float = 0.0
    coverage: float = 0.0
    anchors: float = 0.0
    kind_match: float = 0.0
    short: float = 0.0
    cross: float = 0.0  # 1 when the cross-language bonus applies to the sentence (retrieve.lifted, CROSS_LANGUAGE_BONUS)
    score: float = 0.0

    @property
    def text(self) -> str:
        return self.hit.chunk.text[self.start : self.end]


# A sentence end glued to the next sentence ("… hai nền kinh tế.Đánh giá cao …"): web pages flattened
# into one line do this (a seed paragraph runs 6,600 characters so). A lower-case letter or digit, the
# mark, then a capital: "TP.HCM", "U.S." and "3.5" stay whole.
_GLUED_END = re.compile(r"(?<=[a-zà-ỹđ0-9)\"”’])[.!?…](?=[A-ZÀ-ỸĐ])")


def quote_spans(text: str) -> list[tuple[int, int]]:
    """The sentences an answer may quote: text.sentence_spans, also cut where a sentence end is glued to
    the next sentence. (Ingest embeds text.sentence_spans; a piece cut here is embedded when first asked.)"""
    out = []
    for s, e in sentence_spans(text):
        cut = s
        for m in _GLUED_END.finditer(text, s, e):
            out.append((cut, m.end()))
            cut = m.end()
        out.append((cut, e))
    return [(s, e) for s, e in out if text[s:e].strip()]


def candidates(hits: list[Hit]) -> list[Candidate]:
    """The sentences of the best quotable passages (noise and headings only if nothing else)."""
    passages = [h for h in hits if h.chunk.kind in QUOTABLE_KINDS][:PASSAGES] or hits[:1]
    return [Candidate(h, r, s, e) for r, h in enumerate(passages) for s, e in quote_spans(h.chunk.text)]


def featurize(
    question: str, cands: list[Candidate], sims: np.ndarray | None, same_lang: list[bool], lift: list[bool] | None = None
) -> None:
    """Fill each candidate's features (pure; `sims` = sentence-question cosines, None without a model;
    `lift`: the cross-language bonus applies (retrieve.lifted), default: wherever the language differs)."""
    if not cands:
        return
    best = max(c.hit.score for c in cands) or 1.0
    kind = answer_kind(question)
    q_words = {fold(w) for w in words(question)}
    anchors = anchor_terms(question)
    for i, c in enumerate(cands):
        t = c.text
        c.sim = float(sims[i]) if sims is not None else 0.0
        c.passage = c.hit.score / best
        c.coverage = coverage(question, t) if same_lang[i] else 0.0
        c.cross = 1.0 if (lift[i] if lift is not None else not same_lang[i]) else 0.0
        if anchors:
            found = {fold(w) for w in words(t)}
            c.anchors = len(anchors & found) / len(anchors)
        c.kind_match = 1.0 if kind and kind_match(kind, t, q_words) else 0.0
        c.short = 1.0 if len(t) < 25 else 0.0


def score(c: Candidate, weights: dict[str, float] = WEIGHTS, bonus: float = CROSS_LANGUAGE_BONUS) -> float:
    """How well the sentence answers: its cosine (plus the cross-language bonus), its passage's score,
    word coverage, names and numbers, answer kind; a very short sentence is demoted."""
    return (
        weights["sim"] * (c.sim + bonus * c.cross) + weights["passage"] * c.passage + weights["coverage"] * c.coverage
        + weights["anchors"] * c.anchors + weights["kind_match"] * c.kind_match - weights["short"] * c.short
    )  # fmt: skip


def choose(
    cands: list[Candidate], max_sentences: int, weights: dict[str, float] = WEIGHTS, window: float = WINDOW,
    bonus: float = CROSS_LANGUAGE_BONUS,
) -> list[Candidate]:
    """The best sentence, plus up to max_sentences - 1 more within `window` of it, in document order."""
    if not cands:
        return []
    for c in cands:
        c.score = score(c, weights, bonus)
    ranked = sorted(cands, key=lambda c: -c.score)
    chosen = [ranked[0]] + [c for c in ranked[1:max_sentences] if c.score >= ranked[0].score - window]
    return sorted(chosen, key=lambda c: (c.hit.chunk.doc, c.hit.chunk.start + c.start))
