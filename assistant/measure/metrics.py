"""Evaluation metrics: pure functions over ranks, strings and per-question results (`results.QuestionResult`).

Definitions (README, "Evaluation"):
- Gold unit: `(doc, paragraph)` when the question gives `paragraph` (for `doc`), else any paragraph
  of one of its acceptable documents (`doc` / `docs`). Hits are deduplicated by (doc, paragraph)
  before ranking, so the pieces of one long paragraph count once. `rank` = 1-based rank of the first
  gold unit among the top K_RETRIEVE, or None.
- recall@k = rank <= k; MRR = 1/rank; nDCG@10 = 1/log2(rank+1) (one gold unit needed: binary gains,
  ideal DCG 1). Averaged over answerable questions that name a gold document.
- answer_contains: the answer text contains a gold string (NFC, case-folded); answered_rate and
  false_refusal_rate over answerable questions; refusal_accuracy over unanswerable ones;
  wrong_answer_rate: share of the answers given (answered questions, answerable or not) that hold no gold
  string: an answerable question answered wrongly, or an unanswerable one answered. What an analyst would
  quote wrongly; lower is better.
- A citation is correct when its paragraph is the gold paragraph, or (in a gold document, when the
  question names any) its paragraph contains a gold string. citation_precision: mean per answered
  answerable question of correct / cited; citation_recall: share of answerable questions with at
  least one correct citation; verified_quote_rate: share of all citations whose quote is, verbatim,
  the document text at its offsets inside the cited paragraph (manifest text).
"""

from __future__ import annotations

import math
import unicodedata
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .questions import Question

if TYPE_CHECKING:
    from ..types import Answerability
    from .results import QuestionResult

K_RETRIEVE = 10  # hits ranked per question for the retrieval metrics
KS = (1, 5, 10)
GATED = ("recall@5", "mrr", "ndcg@10", "answer_contains", "citation_precision", "refusal_accuracy")
METRIC_KEYS = (
    "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10",
    "answer_contains", "answered_rate", "citation_precision", "citation_recall", "verified_quote_rate",
    "refusal_accuracy", "false_refusal_rate", "wrong_answer_rate",
    "latency_p50_ms", "latency_p95_ms", "latency_retrieve_p50_ms", "latency_retrieve_p95_ms",
    "latency_answer_p50_ms", "latency_answer_p95_ms",
)  # fmt: skip


def norm(text: str) -> str:
    """NFC + case-fold: how answers and gold strings are compared."""
    return unicodedata.normalize("NFC", text).casefold()


def contains_gold(text: str, answers: Iterable[str]) -> bool:
    """True when any gold string occurs in text (NFC, case-folded)."""
    t = norm(text)
    return any(norm(a) in t for a in answers if a)


def dedupe(hits: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    """(doc, paragraph) in first-seen order: chunks of one paragraph count once."""
    return list(dict.fromkeys((d, int(p)) for d, p in hits))


def is_gold(
    doc: str, paragraph: int, gold_docs: Iterable[str], gold_doc: str = "", gold_paragraph: int | None = None
) -> bool:
    """Whether a (doc, paragraph) unit is a gold unit of the question."""
    if gold_paragraph is not None and doc == gold_doc:
        return paragraph == gold_paragraph
    return doc in set(gold_docs)


def first_rank(
    units: list[tuple[str, int]], gold_docs: Iterable[str], gold_doc: str = "", gold_paragraph: int | None = None
) -> int | None:
    """1-based rank of the first gold unit in a deduplicated ranking, or None."""
    docs = list(gold_docs)
    for i, (d, p) in enumerate(units, start=1):
        if is_gold(d, p, docs, gold_doc, gold_paragraph):
            return i
    return None


def recall_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def ndcg_at(relevances: list[int], k: int, n_relevant: int = 1) -> float:
    """nDCG@k with binary gains; the ideal ranking puts min(n_relevant, k) gold units first."""
    dcg = sum(r / math.log2(i + 2) for i, r in enumerate(relevances[:k]))
    ideal = sum(1 / math.log2(i + 2) for i in range(min(n_relevant, k)))
    return dcg / ideal if ideal else 0.0


def rank_relevances(rank: int | None, k: int = K_RETRIEVE) -> list[int]:
    """Binary gains of a ranking where only the first gold unit counts (gold documents are alternatives)."""
    return [1 if rank == i else 0 for i in range(1, k + 1)]


def retrieval_scores(rank: int | None) -> dict[str, float]:
    """recall@1/5/10, MRR and nDCG@10 of one question from its first gold rank."""
    out = {f"recall@{k}": recall_at(rank, k) for k in KS}
    out["mrr"] = reciprocal_rank(rank)
    out["ndcg@10"] = ndcg_at(rank_relevances(rank), 10)
    return out


def citation_correct(q: Question, doc: str, paragraph: int, paragraph_text: str) -> bool:
    """The cited paragraph is the gold one, or holds a gold string (in a gold document, if any is named)."""
    if q.paragraph is not None and doc == q.doc and paragraph == q.paragraph:
        return True
    if q.docs and doc not in q.docs:
        return False
    return contains_gold(paragraph_text, q.answers)


def percentile(values: list[float], p: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(rows: Sequence[QuestionResult]) -> dict[str, Any]:
    """Overall metrics from per-question results (see `evaluate.score_question`); None where not applicable."""
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    ranked = [r for r in answerable if r.scores is not None]  # not scored: no gold document, or no retrieval
    m: dict[str, Any] = {"questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable)}
    for key in ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10"):
        m[key] = _mean([r.scores[key] for r in ranked if r.scores is not None])
    if any(r.node_ranked for r in ranked):  # llama-index: gold paragraph anywhere in a retrieved node
        for k in KS:
            m[f"node_recall@{k}"] = _mean([recall_at(r.node_rank, k) for r in ranked])
        m["node_mrr"] = _mean([reciprocal_rank(r.node_rank) for r in ranked])
    has_answers = [r for r in rows if r.answered is not None]
    ans = [r for r in answerable if r.answered is not None]
    una = [r for r in unanswerable if r.answered is not None]
    m["answer_contains"] = _mean([float(bool(r.answer_contains)) for r in ans])
    m["answered_rate"] = _mean([float(bool(r.answered)) for r in ans])
    m["false_refusal_rate"] = _mean([float(not r.answered) for r in ans])
    m["refusal_accuracy"] = _mean([float(not r.answered) for r in una])
    given = [r for r in ans + una if r.answered]
    m["wrong_answer_rate"] = _mean([float(not (r.answerable and r.answer_contains)) for r in given])
    cited = [r for r in ans if r.answered and r.citations]
    m["citation_precision"] = _mean([sum(c.correct for c in r.citations) / len(r.citations) for r in cited])
    m["citation_recall"] = _mean([float(any(c.correct for c in r.citations)) for r in ans])
    all_cits = [c for r in has_answers for c in r.citations]
    m["verified_quote_rate"] = _mean([float(c.verified) for c in all_cits])
    m["citations"] = len(all_cits)
    for stage, prefix in (("total", "latency"), ("retrieve", "latency_retrieve"), ("answer", "latency_answer")):
        values = [r.timings_ms[stage] for r in rows if stage in r.timings_ms]
        for p in (50, 95):
            v = percentile(values, p)
            m[f"{prefix}_p{p}_ms"] = round(v, 2) if v is not None else None
    removed = [r.gold_removed for r in rows if r.gold_removed is not None]
    if removed:  # --gold-removed: out-of-sample near-topic questions the corpus no longer answers
        m["gold_removed_questions"] = len(removed)
        m["gold_removed_refusal"] = _mean([float(not g.answered) for g in removed])
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in m.items()}


def by_language(rows: Sequence[QuestionResult]) -> dict[str, dict[str, Any]]:
    """`summarize` per question language."""
    langs = sorted({r.lang or "?" for r in rows})
    return {lang: summarize([r for r in rows if (r.lang or "?") == lang]) for lang in langs}


GENERAL = "general"  # by_class: the questions of a file that name no class


def by_class(rows: Sequence[QuestionResult]) -> dict[str, dict[str, Any]]:
    """`summarize` per question class (the `class` field of a question file: "caption", "back_reference",
    "near_topic_unanswerable", ...; questions without one count as GENERAL), {} when no question has one."""
    classes = [str(r.question.fields.get("class") or GENERAL) for r in rows]
    if set(classes) <= {GENERAL}:
        return {}
    return {c: summarize([r for r, rc in zip(rows, classes) if rc == c]) for c in sorted(set(classes))}


CURVE_THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(20))


def refusal_curve(rows: Sequence[QuestionResult], thresholds: Iterable[float] = CURVE_THRESHOLDS) -> list[dict]:
    """Both error directions of the refusal decision as the answerability model's threshold moves: at each
    threshold, the share of unanswerable questions refused (`refusal_accuracy`) and of answerable ones
    refused (`false_refusal_rate`), None where the run has no question of that side. The run's own
    threshold is among the points, which then equal its metrics. With --gold-removed, each point also has
    the share of the questions asked without their gold document that are refused (`gold_removed_refusal`).

    A question the model did not decide (a metadata answer; lexical mode; a set min_score) keeps its
    outcome at every threshold; one decided by the model is refused below its probability, and at every
    threshold when its checks failed (a named entity missing, ...) or when it passed but had nothing to
    quote. [] when the model decided no question."""
    given = [r for r in rows if r.answered is not None]
    removed = [r.gold_removed for r in rows if r.gold_removed is not None]
    decided = [a for a in [r.answerability for r in given] + [g.answerability for g in removed] if _by_model(a)]
    if not decided:
        return []
    points = sorted({*thresholds, *(a.threshold for a in decided if a is not None)})

    def refused(a: Answerability | None, answered: bool | None, t: float) -> bool:
        if a is None or a.method != "model":
            return not answered
        return not a.passed_at(t) or (a.passed and not answered)  # passed, but nothing to quote

    def rate(values: list[bool]) -> float | None:
        return round(sum(values) / len(values), 4) if values else None

    out = []
    for t in points:
        point = {
            "threshold": t,
            "refusal_accuracy": rate([refused(r.answerability, r.answered, t) for r in given if not r.answerable]),
            "false_refusal_rate": rate([refused(r.answerability, r.answered, t) for r in given if r.answerable]),
        }
        if removed:
            point["gold_removed_refusal"] = rate([refused(g.answerability, g.answered, t) for g in removed])
        out.append(point)
    return out


def _by_model(a: Answerability | None) -> bool:
    return a is not None and a.method == "model"


def recall_curve(rows: Sequence[QuestionResult], max_k: int = K_RETRIEVE, nodes: bool = False) -> list[float]:
    """recall@k for k = 1..max_k over the answerable questions with a gold document (`nodes`: llama-index's
    node ranks instead of the paragraph ranks)."""
    ranks = [r.node_rank if nodes else r.rank for r in rows if r.answerable and (r.node_ranked if nodes else r.ranked)]
    return [
        sum(1 for x in ranks if x is not None and x <= k) / len(ranks) if ranks else 0.0 for k in range(1, max_k + 1)
    ]


def regressions(
    current: dict[str, Any], baseline: dict[str, Any], tolerance: float, keys: Iterable[str] = GATED
) -> list[str]:
    """Gated metrics that dropped by more than `tolerance` (absolute) below the baseline, as messages."""
    out = []
    for key in keys:
        old, new = baseline.get(key), current.get(key)
        if old is None:
            continue
        if new is None:
            out.append(f"{key}: {old:.4f} -> n/a")
        elif old - new > tolerance + 1e-12:
            out.append(f"{key}: {old:.4f} -> {new:.4f} ({new - old:+.4f}, allowed -{tolerance})")
    return out
