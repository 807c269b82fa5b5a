"""`assistant eval`: run a question file through the real pipeline (or llama-index's default one, see
baseline.py) and return one `EvalRun` per configuration (results.py: metrics, by language, the configuration
and every question's `QuestionResult`; `to_json` is the results JSON).

Question files are read in `questions.py`, the metrics are defined (and computed, purely) in `metrics.py`.
An evaluation corpus gets its own index under ~/.cache/assistant/eval-index, named by a hash of the corpus,
the model, the index settings and the code of the modules that decide what an index holds (INDEX_CODE).
"""

from __future__ import annotations

import hashlib
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from ..errors import AssistantError, ConfigError
from .metrics import (
    K_RETRIEVE, citation_correct, contains_gold, dedupe, first_rank, is_gold, regressions, retrieval_scores,
)  # fmt: skip
from .questions import Question, load_bench, load_questions, sample
from .results import CitationCheck, EvalRun, GoldRemoved, QuestionResult

if TYPE_CHECKING:
    from ..app import App
    from ..types import Answer

# Configurations `--compare` knows: setting overrides for our pipeline, None for llama-index's default.
CONFIGS: dict[str, dict[str, Any] | None] = {
    "hybrid": {"retrieval_mode": "hybrid"},
    "dense": {"retrieval_mode": "dense"},
    "lexical": {"retrieval_mode": "lexical"},
    "llamaindex-default": None,
}
Progress = Callable[[int, int], None]
SECRET_SETTINGS = {"llm_api_key", "auth_password"}
# Modules whose code decides what an index holds: an evaluation index is rebuilt when they change.
INDEX_CODE = (
    "loaders", "ocr", "chunking", "text", "metadata", "lexical", "lexical_store", "ingest", "manifest", "store", "vectors",
)  # fmt: skip


class DocTexts:
    """Document text and paragraphs from the index (Index.document_text / paragraphs), read once per
    document."""

    def __init__(self, index):
        self.index = index
        self._cache: dict[str, tuple[str, dict]] = {}

    def get(self, doc: str) -> tuple[str, dict]:
        if doc not in self._cache:
            text = self.index.document_text(doc) or ""
            self._cache[doc] = (text, {p.n: p for p in self.index.paragraphs(doc)})
        return self._cache[doc]

    def paragraph_text(self, doc: str, n: int) -> str:
        text, paras = self.get(doc)
        p = paras.get(n)
        return text[p.start : p.end] if p else ""


def score_question(
    q: Question, units: list[tuple[str, int]] | None, answer: Answer | None, docs: DocTexts | None
) -> QuestionResult:
    """Per-question result: ranked hits, the gold's rank and scores, the answer and its checked citations.

    `units`: deduplicated (doc, paragraph) ranking (None: retrieval not run); `answer`: None when this
    configuration gives no answers.
    """
    from ..citations import verify

    row = QuestionResult(q)
    if units is not None:
        row.hits = units[:K_RETRIEVE]
        if q.answerable and q.docs:
            row.rank = first_rank(units[:K_RETRIEVE], q.docs, q.doc, q.paragraph)
            row.scores = retrieval_scores(row.rank)
    if answer is not None:
        row.answered = bool(answer.answered)
        row.answerability = answer.answerability
        row.answer = answer.answer
        row.answer_contains = row.answered and contains_gold(answer.answer, q.answers) if q.answerable else None
        for c in answer.citations:
            text, paras = docs.get(c.doc) if docs else ("", {})
            p = paras.get(c.paragraph)
            ok = p is not None and verify(c, text, p.start, p.end)
            ptext = text[p.start : p.end] if p else ""
            row.citations.append(
                CitationCheck(c.n, c.doc, c.paragraph, c.quote, c.char_start, c.char_end, verified=ok,
                              correct=q.answerable and citation_correct(q, c.doc, c.paragraph, ptext))
            )  # fmt: skip
    return row


# ------------------------------------------------------------------------- services


def corpus_fingerprint(corpus: Path, model_id: str, extra: str = "") -> str:
    """Hash of the corpus files' paths and contents plus the model: names an evaluation index."""
    from ..ingest import scan

    files, _ = scan(corpus)
    h = hashlib.sha256(f"{model_id}\0{extra}\0".encode())
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + hashlib.sha256((corpus / rel).read_bytes()).digest())
    return h.hexdigest()[:20]


def index_code_files() -> list[Path]:
    """The source files of INDEX_CODE: a module's file, or every module of a subpackage (loaders/)."""
    here = Path(__file__).resolve().parent.parent  # the package: INDEX_CODE names its top-level modules
    files: list[Path] = []
    for name in INDEX_CODE:
        path = here / name
        files += sorted(path.glob("*.py")) if path.is_dir() else [path.with_suffix(".py")]
    return files


def _code_hash() -> str:
    """Hash of the source of INDEX_CODE: a change in loading or chunking must not reuse a stale index."""
    h = hashlib.sha256()
    for path in index_code_files():
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def default_eval_root() -> Path:
    return Path.home() / ".cache" / "assistant" / "eval-index"


def corpus_app(app: App, corpus: Path, root: Path | None = None):
    """An App over another corpus with its own index (never the user's), reused by content hash."""
    from ..app import App

    corpus = Path(corpus)
    if not corpus.is_dir():
        raise ConfigError(f"--corpus {corpus}: not a folder")
    s = app.settings
    fp = corpus_fingerprint(
        corpus,
        app.embedder.model_id,
        f"max_chunk_tokens={s.max_chunk_tokens}\0embed_context={s.embed_context}\0{_code_hash()}",
    )
    index_dir = (root or default_eval_root()) / fp
    return App(s.model_copy(update={"corpus_dir": corpus.resolve(), "index_dir": index_dir}), app.embedder)


def evaluate(
    app: App,
    questions: list[Question],
    name: str = "",
    overrides: dict | None = None,
    progress: Progress | None = None,
    gold_removed: bool = False,
) -> EvalRun:
    """Run every question through App.ask (answers, timed) and a top-10 ranking with the same settings.
    `gold_removed`: each answerable question with a gold document is asked once more with its gold
    documents filtered out (untimed): the corpus then does not answer it, and a refusal is right."""
    overrides = overrides or {}
    s = app.settings.model_copy(update=overrides) if overrides else app.settings
    if questions:  # warm-up: model, index view and caches load outside the timed questions
        app.ask(questions[0].question, **overrides)
    docs = DocTexts(app.index)
    indexed = sorted(d.path for d in app.index.documents()) if gold_removed else []
    rows = []
    for i, q in enumerate(questions):
        answer = app.ask(q.question, **overrides)
        hits = answer.hits if s.top_k >= K_RETRIEVE else ranking(app, q.question, overrides)
        units = dedupe((h.chunk.doc, h.chunk.paragraph) for h in hits)
        row = score_question(q, units, answer, docs)
        row.timings_ms = {k: round(v, 2) for k, v in answer.timings_ms.items()}
        if gold_removed and q.answerable and q.docs:
            row.gold_removed = ask_without_gold(app, q, overrides, indexed)
        rows.append(row)
        if progress:
            progress(i + 1, len(questions))
    return EvalRun.of(rows, _config(app, s, name or s.retrieval_mode))


def ask_without_gold(app: App, q: Question, overrides: dict, indexed: list[str]) -> GoldRemoved | None:
    """The question asked over every indexed document but its gold ones (None when those are all there
    is); `indexed`: the index's documents, listed once per run."""
    from ..store import Filter

    gold = set(q.docs)
    rest = [d for d in indexed if d not in gold]
    if not rest:
        return None
    answer = app.ask(q.question, flt=Filter(docs=rest), **overrides)
    cited = [(c.doc, c.paragraph) for c in answer.citations]
    return GoldRemoved(bool(answer.answered), answer.answer, answer.answerability, cited)


def ranking(app: App, question: str, overrides: dict) -> list:
    """The top K_RETRIEVE hits exactly as App.ask retrieves them (same weights and filters), without
    answering: an unreachable refusal threshold stops ask right after retrieval."""
    answer = app.ask(question, **{**overrides, "top_k": K_RETRIEVE, "min_score": math.inf, "answer_mode": "extractive"})
    return answer.hits


def evaluate_llamaindex(app: App, questions: list[Question], progress: Progress | None = None) -> EvalRun:
    """Retrieval metrics of llama-index's out-of-the-box pipeline on the same corpus and model."""
    from .baseline import LlamaIndexDefault

    base = LlamaIndexDefault.build(app.settings, Path(app.settings.corpus_dir), k=K_RETRIEVE)
    docs = DocTexts(app.index)
    if questions:
        base.retrieve(questions[0].question)
    rows = []
    unmapped = 0
    covered = []
    for i, q in enumerate(questions):
        t0 = time.perf_counter()
        nodes = base.retrieve(q.question)
        ms = (time.perf_counter() - t0) * 1000
        anchors = [a for a in (base.anchor(node, docs) for node in nodes) if a is not None]
        unmapped += len(nodes) - len(anchors)
        covered += [len(a[2]) for a in anchors]
        row = score_question(q, dedupe((d, n) for d, n, _ in anchors), None, None)
        if row.ranked:  # the gold paragraph anywhere inside a node, ranked by node
            row.node_ranked = True
            row.node_rank = next(
                (
                    j
                    for j, (d, _, ps) in enumerate(anchors, 1)
                    if any(is_gold(d, p, q.docs, q.doc, q.paragraph) for p in ps)
                ),
                None,
            )
        row.timings_ms = {"retrieve": round(ms, 2), "total": round(ms, 2)}
        rows.append(row)
        if progress:
            progress(i + 1, len(questions))
    config = _config(app, app.settings, "llamaindex-default")
    config.update(
        retrieval_mode="llama-index VectorStoreIndex (default SentenceSplitter)", nodes=base.n_nodes, unmapped_hits=unmapped,
        paragraphs_per_retrieved_node=round(sum(covered) / len(covered), 2) if covered else None,
    )  # fmt: skip
    for key in ("dense_weight", "min_score", "answer_mode", "max_answer_sentences", "top_k"):
        config.pop(key, None)
    return EvalRun.of(rows, config)


def _config(app: App, s, name: str) -> dict:
    import os
    import sys

    from .. import __version__
    from ..support import answerability_model

    torch = sys.modules.get("torch")
    host = {
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads() if torch else None,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    return {
        "name": name, "version": __version__, "retrieval_mode": s.retrieval_mode, "dense_weight": s.dense_weight,
        "top_k": s.top_k, "k": K_RETRIEVE, "min_score": s.min_score if s.min_score is not None else answerability_model().threshold,
        "answer_mode": s.answer_mode, "max_answer_sentences": s.max_answer_sentences,
        "embed_model": s.embed_model, "model_id": app.embedder.model_id,
        "corpus_dir": str(s.corpus_dir), "index_dir": str(s.index_dir), "host": host,
        "settings": {k: v for k, v in s.model_dump(mode="json").items() if k not in SECRET_SETTINGS},
    }  # fmt: skip


def run(
    app: App,
    questions: list[Question],
    names: list[str],
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
    gold_removed: bool = False,
) -> list[EvalRun]:
    """Evaluate each named configuration over the same questions (`CONFIGS`, or the current settings for "");
    `gold_removed`: see `evaluate` (llama-index's configuration gives no answers, so it has none)."""
    unknown = [n for n in names if n and n not in CONFIGS]
    if unknown:
        raise ConfigError(f"unknown configuration(s) {', '.join(unknown)}: choose from {', '.join(CONFIGS)}")
    missing = _missing_docs(app, questions)
    if missing and log:
        log(f"warning: {len(missing)} gold document(s) are not in the index: {', '.join(sorted(missing)[:5])}")
    total = len(questions) * len(names)
    results = []
    for j, name in enumerate(names):
        step = (lambda done, _n, j=j: progress(j * len(questions) + done, total)) if progress else None
        if name == "llamaindex-default":
            if log:
                log("llamaindex-default: reading, splitting and embedding the corpus the llama-index way ...")
            results.append(evaluate_llamaindex(app, questions, step))
        else:
            results.append(evaluate(app, questions, name, CONFIGS.get(name) or {}, step, gold_removed))
    return results


def evaluate_file(
    app,
    path: Path,
    names: list[str] | None = None,
    corpus: Path | None = None,
    index_root: Path | None = None,
    sync_progress: Progress | None = None,
    progress: Progress | None = None,
    log: Callable[[str], None] | None = None,
    n_sample: int | None = None,
    gold_removed: bool = False,
) -> tuple[list[EvalRun], list[str]]:
    """The whole `assistant eval`: parse, pick or build the index, sync it, run each configuration.

    `path` is a question file or a development-set folder (questions.jsonl + corpus/, whose corpus is
    used unless `corpus` is given); `n_sample` evaluates a fixed sample of the questions."""
    names = names or [""]
    unknown = [n for n in names if n and n not in CONFIGS]
    if unknown:
        raise ConfigError(f"unknown configuration(s) {', '.join(unknown)}: choose from {', '.join(CONFIGS)}")
    if Path(path).is_dir():
        questions, problems, bench_corpus = load_bench(path)
        corpus = corpus or bench_corpus
    else:
        questions, problems = load_questions(path)
    questions = sample(questions, n_sample)
    for p in problems:
        if log:
            log(f"{path} {p}")
    if not questions:
        raise AssistantError(f"{path}: no valid questions")
    if corpus is not None:
        app = corpus_app(app, corpus, index_root)
        if log:
            log(f"evaluation index for {corpus}: {app.settings.index_dir}")
    app.sync(progress=sync_progress, log=log)
    results = run(app, questions, names, progress, log, gold_removed)
    for res in results:
        res.config.update(questions_file=str(path), malformed=problems, sample=n_sample, questions=len(questions))
    return results, problems


def _missing_docs(app: App, questions: list[Question]) -> set[str]:
    known = {d.path for d in app.index.documents()}
    return {d for q in questions for d in q.docs} - known


def check_baseline(results: list[EvalRun], baseline: dict, tolerance: float) -> tuple[str, list[str]]:
    """(configuration compared, regressions) against a baseline results JSON."""
    if "metrics" not in baseline or not isinstance(baseline["metrics"], dict):
        raise ConfigError(
            "baseline file has no 'metrics' object: give a results JSON written by `assistant eval --json`"
        )
    name = baseline.get("config", {}).get("name", "")
    match = next((r for r in results if r.name == name), None)
    if match is None:
        if len(results) > 1:
            raise ConfigError(f"baseline was run as configuration {name!r}, which this run does not include")
        match = results[0]
    return match.name, regressions(match.metrics, baseline["metrics"], tolerance)


def baseline_json(res: dict) -> dict:
    """A results JSON (`EvalRun.to_json`) trimmed for committing: per-question rows keep ids, ranks, scores and answers."""
    keep = (
        "id",
        "lang",
        "answerable",
        "rank",
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr",
        "ndcg@10",
        "answered",
        "answer_contains",
    )
    rows = [{k: r[k] for k in keep if k in r} for r in res["questions"]]
    return {**res, "questions": rows}
