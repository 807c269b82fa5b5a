"""What `assistant eval` returns: each configuration's run and its per-question results, as plain dataclasses.

Their JSON is an interface (`assistant eval --json`, the report's results.jsonl, the committed baselines):
`to_json` writes the same keys in the same order whatever the configuration, the question's own record first."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..types import Answerability
from .metrics import by_class, by_language, refusal_curve, retrieval_scores, summarize
from .questions import Question, parse_question


@dataclass
class CitationCheck:
    """One citation of an answer and what the evaluation found about it."""

    n: int
    doc: str
    paragraph: int
    quote: str
    char_start: int
    char_end: int
    verified: bool  # the quote is, verbatim, the document text at its offsets inside the cited paragraph
    correct: bool  # the cited paragraph is the gold one or holds a gold string (metrics.citation_correct)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class GoldRemoved:
    """An answerable question asked again with its gold document(s) filtered out (`assistant eval
    --gold-removed`): the corpus then does not answer it, so the right outcome is a refusal."""

    answered: bool
    answer: str
    answerability: Answerability | None = None
    cited: list[tuple[str, int]] = field(default_factory=list)  # (doc, paragraph) of each citation

    def to_json(self) -> dict:
        return {**asdict(self), "cited": [[d, n] for d, n in self.cited]}

    @classmethod
    def from_json(cls, row: dict) -> GoldRemoved:
        a = row.get("answerability")
        cited = [(d, n) for d, n in row.get("cited", [])]
        return cls(bool(row["answered"]), row.get("answer", ""), Answerability(**a) if a else None, cited)


@dataclass
class QuestionResult:
    """One question of a run: the ranking and where the gold is in it, the answer and its checked citations."""

    question: Question
    hits: list[tuple[str, int]] | None = None  # the deduplicated (doc, paragraph) top K_RETRIEVE; None: not retrieved
    rank: int | None = None  # 1-based rank of the first gold unit in `hits`; None: not there
    scores: dict[str, float] | None = None  # recall@1/5/10, mrr, ndcg@10 of `rank`; None: retrieval is not scored
    answered: bool | None = None  # None: the configuration gives no answers (llama-index: retrieval only)
    answer: str = ""
    answer_contains: bool | None = None  # None for an unanswerable question
    citations: list[CitationCheck] = field(default_factory=list)
    node_rank: int | None = None  # llama-index: rank of the first retrieved node holding a gold paragraph
    node_ranked: bool = False  # `node_rank` was measured (llama-index, retrieval scored)
    timings_ms: dict[str, float] = field(default_factory=dict)
    answerability: Answerability | None = None  # how the refusal decision was taken (answered is not None)
    gold_removed: GoldRemoved | None = None  # --gold-removed: the question again without its gold document

    @property
    def id(self) -> str:
        return self.question.id

    @property
    def lang(self) -> str:
        return self.question.lang

    @property
    def answerable(self) -> bool:
        return self.question.answerable

    @property
    def ranked(self) -> bool:
        """Retrieval is scored: the question is answerable, names a gold document, and was retrieved for."""
        return self.scores is not None

    def to_json(self) -> dict:
        """The question's record (its line of the question file), then what the run found."""
        q = self.question
        row: dict[str, Any] = {**q.fields, "id": q.id, "lang": q.lang, "line": q.line, "answerable": q.answerable}
        if self.hits is not None:
            row["hits"] = [[d, p] for d, p in self.hits]
        if self.scores is not None:
            row["rank"] = self.rank
            row.update(self.scores)
        row["answered"] = self.answered
        row["citations"] = [c.to_json() for c in self.citations]
        if self.answered is not None:
            row["answer"] = self.answer
            row["answer_contains"] = self.answer_contains
        if self.node_ranked:
            row["node_rank"] = self.node_rank
        row["timings_ms"] = dict(self.timings_ms)
        if self.answered is not None:
            row["answerability"] = asdict(self.answerability) if self.answerability is not None else None
        if self.gold_removed is not None:
            row["gold_removed"] = self.gold_removed.to_json()
        return row

    @classmethod
    def from_json(cls, row: dict) -> QuestionResult:
        """A row of a results JSON (`assistant eval --json`) read back, e.g. to summarise a part of a run."""
        record = {k: v for k, v in row.items() if k not in _RESULT_KEYS}
        scored = "rank" in row
        return cls(
            question=parse_question(record, row["line"]),
            hits=[(d, p) for d, p in row["hits"]] if "hits" in row else None,
            rank=row.get("rank"),
            scores={k: row[k] for k in _SCORE_KEYS} if scored else None,
            answered=row["answered"],
            answer=row.get("answer", ""),
            answer_contains=row.get("answer_contains"),
            citations=[CitationCheck(**c) for c in row["citations"]],
            node_rank=row.get("node_rank"),
            node_ranked="node_rank" in row,
            timings_ms=dict(row["timings_ms"]),
            answerability=Answerability(**row["answerability"]) if row.get("answerability") else None,
            gold_removed=GoldRemoved.from_json(row["gold_removed"]) if row.get("gold_removed") else None,
        )


_SCORE_KEYS = tuple(retrieval_scores(None))
_RESULT_KEYS = {
    "line", "answerable", "hits", "rank", *_SCORE_KEYS, "answered", "citations", "answer", "answer_contains",
    "node_rank", "timings_ms", "answerability", "gold_removed",
}  # fmt: skip


@dataclass
class EvalRun:
    """One configuration run over a question file: metrics overall, per question language and per question
    class (the `class` of a question file's lines; {} when none has one), the configuration (settings,
    model, host), every question's result, and the refusal curve (metrics.refusal_curve; [] when the
    answerability model took no decision)."""

    metrics: dict[str, Any]
    by_lang: dict[str, dict[str, Any]]
    config: dict[str, Any]
    questions: list[QuestionResult]
    by_class: dict[str, dict[str, Any]] = field(default_factory=dict)
    refusal_curve: list[dict[str, float | None]] = field(default_factory=list)

    @classmethod
    def of(cls, rows: list[QuestionResult], config: dict[str, Any]) -> EvalRun:
        """The run of one configuration: its metrics summarised from its questions."""
        return cls(summarize(rows), by_language(rows), config, rows, by_class(rows), refusal_curve(rows))

    @property
    def name(self) -> str:
        return self.config["name"]

    def to_json(self) -> dict:
        """The results JSON of `assistant eval --json` (one of `runs` with --compare)."""
        return {
            "metrics": self.metrics,
            "by_lang": self.by_lang,
            "config": self.config,
            "questions": [q.to_json() for q in self.questions],
            "by_class": self.by_class,
            "refusal_curve": self.refusal_curve,
        }
