"""Question files -> metrics, comparisons and baseline checks for `assistant eval`.

The metric functions at the top are pure functions over plain data (ranks, strings, dicts) so tests
pin them without a model. The services below run a question file through the real pipeline (or
llama-index's default one, see baseline.py) and return plain results:
`{"metrics": {...}, "by_lang": {...}, "config": {...}, "questions": [...]}`.

Definitions (README, "Evaluation"):
- Gold unit: `(doc, paragraph)` when the question gives `paragraph` (for `doc`), else any paragraph
  of one of its acceptable documents (`doc` / `docs`). Hits are deduplicated by (doc, paragraph)
  before ranking, so the pieces of one long paragraph count once. `rank` = 1-based rank of the first
  gold unit among the top K_RETRIEVE, or None.
- recall@k = rank <= k; MRR = 1/rank; nDCG@10 = 1/log2(rank+1) (one gold unit needed: binary gains,
  ideal DCG 1). Averaged over answerable questions that name a gold document.
- answer_contains: the answer text contains a gold string (NFC, case-folded); answered_rate and
  false_refusal_rate over answerable questions; refusal_accuracy over unanswerable ones.
- A citation is correct when its paragraph is the gold paragraph, or (in a gold document, when the
  question names any) its paragraph contains a gold string. citation_precision: mean per answered
  answerable question of correct / cited; citation_recall: share of answerable questions with at
  least one correct citation; verified_quote_rate: share of all citations whose quote is, verbatim,
  the document text at its offsets inside the cited paragraph (manifest text).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import AssistantError, ConfigError

K_RETRIEVE = 10  # hits ranked per question for the retrieval metrics
KS = (1, 5, 10)
GATED = ("recall@5", "mrr", "ndcg@10", "answer_contains", "citation_precision", "refusal_accuracy")
METRIC_KEYS = (
    "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10",
    "answer_contains", "answered_rate", "citation_precision", "citation_recall", "verified_quote_rate",
    "refusal_accuracy", "false_refusal_rate",
    "latency_p50_ms", "latency_p95_ms", "latency_retrieve_p50_ms", "latency_retrieve_p95_ms",
    "latency_answer_p50_ms", "latency_answer_p95_ms",
)  # fmt: skip
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
INDEX_CODE = ("loaders", "ocr", "chunking", "text", "metadata", "lexical", "ingest", "manifest", "store", "vectors")


# ------------------------------------------------------------------------- question files


@dataclass
class Question:
    """One line of a question file; `fields` keeps the whole record, unknown keys included."""

    id: str
    question: str
    answers: list[str]
    docs: list[str] = field(default_factory=list)  # acceptable gold documents, `doc` first
    doc: str = ""
    paragraph: int | None = None  # 1-based, for `doc`
    lang: str = ""
    line: int = 0
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def parse_question(record: Any, line: int) -> Question:
    """Validate one JSON record; ValueError with a message a user can act on."""
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    for key in ("id", "question", "answers"):
        if key not in record:
            raise ValueError(f"missing field {key!r}")
    qid, text, answers = record["id"], record["question"], record["answers"]
    if not isinstance(qid, (str, int)) or isinstance(qid, bool) or str(qid) == "":
        raise ValueError("'id' must be a non-empty string or number")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'question' must be a non-empty string")
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise ValueError("'answers' must be a list of non-empty strings ([] = the corpus does not answer it)")
    doc = record.get("doc", "")
    docs = record.get("docs", [])
    if not isinstance(doc, str) or not isinstance(docs, list) or not all(isinstance(d, str) and d for d in docs):
        raise ValueError("'doc' must be a file name and 'docs' a list of file names")
    paragraph = record.get("paragraph")
    if paragraph is not None:
        if not isinstance(paragraph, int) or isinstance(paragraph, bool) or paragraph < 1:
            raise ValueError("'paragraph' must be a 1-based integer")
        if not doc:
            raise ValueError("'paragraph' needs 'doc' (the document it numbers)")
    lang = record.get("lang", "")
    if not isinstance(lang, str):
        raise ValueError("'lang' must be a string")
    return Question(
        id=str(qid), question=text, answers=list(answers), docs=list(dict.fromkeys(([doc] if doc else []) + docs)),
        doc=doc, paragraph=paragraph, lang=lang, line=line, fields=dict(record),
    )  # fmt: skip


def parse_questions(lines: Iterable[str]) -> tuple[list[Question], list[str]]:
    """(questions, problems): a malformed line becomes `line N: why` and the rest still parse."""
    questions: list[Question] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            q = parse_question(json.loads(raw), n)
        except json.JSONDecodeError as e:
            problems.append(f"line {n}: not valid JSON ({e.msg} at column {e.colno})")
            continue
        except ValueError as e:
            problems.append(f"line {n}: {e}")
            continue
        if q.id in seen:
            problems.append(f"line {n}: duplicate id {q.id!r}; skipped")
            continue
        seen.add(q.id)
        questions.append(q)
    return questions, problems


def load_questions(path: Path) -> tuple[list[Question], list[str]]:
    """Read a JSON-lines question file (UTF-8, BOM tolerated)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise AssistantError(f"cannot read question file {path}: {e}") from e
    return parse_questions(text.splitlines())


def is_bench_folder(path: Path) -> bool:
    """A development set in the shared layout: questions.jsonl + corpus/ (+ manifest.json)."""
    path = Path(path)
    return path.is_dir() and (path / "questions.jsonl").is_file() and (path / "corpus").is_dir()


def load_bench(folder: Path) -> tuple[list[Question], list[str], Path]:
    """(questions, problems, corpus) of a shared development set (`../shared/bench/<name>/`).

    Its paragraph numbers count after the title line; ours count the title line as paragraph 1, so each
    gold paragraph moves by one (README of shared/; evals/README.md)."""
    folder = Path(folder)
    if not is_bench_folder(folder):
        raise ConfigError(f"{folder}: not a development set (expected questions.jsonl and corpus/ inside)")
    questions, problems = load_questions(folder / "questions.jsonl")
    for q in questions:
        if q.paragraph is not None:
            q.paragraph += 1
            q.fields["source_paragraph"] = q.fields.get("paragraph")
            q.fields["paragraph"] = q.paragraph
    return questions, problems, folder / "corpus"


def sample(questions: list[Question], n: int | None) -> list[Question]:
    """A fixed sample of n questions (by a hash of the id: the same questions on every run and machine,
    answerable and unanswerable ones in about their share), in file order."""
    if not n or n >= len(questions):
        return questions
    keep = set(sorted(range(len(questions)), key=lambda i: hashlib.sha1(questions[i].id.encode()).hexdigest())[:n])
    return [q for i, q in enumerate(questions) if i in keep]


# ------------------------------------------------------------------------- pure metrics


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


def is_gold(doc: str, paragraph: int, gold_docs: Iterable[str], gold_doc: str = "", gold_paragraph: int | None = None) -> bool:
    """Whether a (doc, paragraph) unit is a gold unit of the question."""
    if gold_paragraph is not None and doc == gold_doc:
        return paragraph == gold_paragraph
    return doc in set(gold_docs)


def first_rank(units: list[tuple[str, int]], gold_docs: Iterable[str], gold_doc: str = "", gold_paragraph: int | None = None) -> int | None:
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


def summarize(rows: list[dict]) -> dict[str, Any]:
    """Overall metrics from per-question results (see `score_question`); None where not applicable."""
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    ranked = [r for r in answerable if "rank" in r]  # no rank: no gold document, or no retrieval
    m: dict[str, Any] = {"questions": len(rows), "answerable": len(answerable), "unanswerable": len(unanswerable)}
    for key in ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10"):
        m[key] = _mean([r[key] for r in ranked])
    if any("node_rank" in r for r in ranked):  # llama-index: gold paragraph anywhere in a retrieved node
        for k in KS:
            m[f"node_recall@{k}"] = _mean([recall_at(r["node_rank"], k) for r in ranked])
        m["node_mrr"] = _mean([reciprocal_rank(r["node_rank"]) for r in ranked])
    has_answers = [r for r in rows if r.get("answered") is not None]
    ans = [r for r in answerable if r.get("answered") is not None]
    una = [r for r in unanswerable if r.get("answered") is not None]
    m["answer_contains"] = _mean([float(bool(r["answer_contains"])) for r in ans])
    m["answered_rate"] = _mean([float(r["answered"]) for r in ans])
    m["false_refusal_rate"] = _mean([float(not r["answered"]) for r in ans])
    m["refusal_accuracy"] = _mean([float(not r["answered"]) for r in una])
    cited = [r for r in ans if r["answered"] and r["citations"]]
    m["citation_precision"] = _mean([sum(c["correct"] for c in r["citations"]) / len(r["citations"]) for r in cited])
    m["citation_recall"] = _mean([float(any(c["correct"] for c in r["citations"])) for r in ans])
    all_cits = [c for r in has_answers for c in r["citations"]]
    m["verified_quote_rate"] = _mean([float(c["verified"]) for c in all_cits])
    m["citations"] = len(all_cits)
    for stage, prefix in (("total", "latency"), ("retrieve", "latency_retrieve"), ("answer", "latency_answer")):
        values = [r["timings_ms"][stage] for r in rows if stage in r.get("timings_ms", {})]
        for p in (50, 95):
            v = percentile(values, p)
            m[f"{prefix}_p{p}_ms"] = round(v, 2) if v is not None else None
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in m.items()}


def by_language(rows: list[dict]) -> dict[str, dict[str, Any]]:
    """`summarize` per question language."""
    langs = sorted({r.get("lang") or "?" for r in rows})
    return {lang: summarize([r for r in rows if (r.get("lang") or "?") == lang]) for lang in langs}


def recall_curve(rows: list[dict], max_k: int = K_RETRIEVE, key: str = "rank") -> list[float]:
    """recall@k for k = 1..max_k over answerable questions with a gold document (`key`: rank or node_rank)."""
    ranks = [r[key] for r in rows if r["answerable"] and key in r]
    return [sum(1 for x in ranks if x is not None and x <= k) / len(ranks) if ranks else 0.0 for k in range(1, max_k + 1)]


def regressions(current: dict[str, Any], baseline: dict[str, Any], tolerance: float, keys: Iterable[str] = GATED) -> list[str]:
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


# ------------------------------------------------------------------------- scoring one question


class DocTexts:
    """Document text and paragraphs from the index manifest, read once per document."""

    def __init__(self, manifest):
        self.manifest = manifest
        self._cache: dict[str, tuple[str, dict]] = {}

    def get(self, doc: str) -> tuple[str, dict]:
        if doc not in self._cache:
            text = self.manifest.document_text(doc) or ""
            self._cache[doc] = (text, {p.n: p for p in self.manifest.paragraphs(doc)})
        return self._cache[doc]

    def paragraph_text(self, doc: str, n: int) -> str:
        text, paras = self.get(doc)
        p = paras.get(n)
        return text[p.start : p.end] if p else ""


def score_question(q: Question, units: list[tuple[str, int]] | None, answer: dict | None, docs: DocTexts | None) -> dict:
    """Per-question result: the record's fields, ranked hits, rank and scores, answer and citations.

    `units`: deduplicated (doc, paragraph) ranking (None: retrieval not run); `answer`: the
    `Answer.to_json()` dict (None: this configuration gives no answers).
    """
    from .citations import verify
    from .types import Citation

    row: dict[str, Any] = {**q.fields, "id": q.id, "lang": q.lang, "line": q.line, "answerable": q.answerable}
    if units is not None:
        row["hits"] = [[d, p] for d, p in units[:K_RETRIEVE]]
    if units is not None and q.answerable and q.docs:
        row["rank"] = first_rank(units[:K_RETRIEVE], q.docs, q.doc, q.paragraph)
        row.update(retrieval_scores(row["rank"]))
    row["answered"] = None
    row["citations"] = []
    if answer is not None:
        row["answered"] = bool(answer["answered"])
        row["answer"] = answer["answer"]
        row["answer_contains"] = bool(answer["answered"]) and contains_gold(answer["answer"], q.answers) if q.answerable else None
        for c in answer["citations"]:
            text, paras = docs.get(c["doc"]) if docs else ("", {})
            p = paras.get(c["paragraph"])
            ok = p is not None and verify(Citation(**c), text, p.start, p.end)
            ptext = text[p.start : p.end] if p else ""
            row["citations"].append(
                {**{k: c[k] for k in ("n", "doc", "paragraph", "quote", "char_start", "char_end")},
                 "verified": ok, "correct": q.answerable and citation_correct(q, c["doc"], c["paragraph"], ptext)}
            )  # fmt: skip
    return row


# ------------------------------------------------------------------------- services


def corpus_fingerprint(corpus: Path, model_id: str, extra: str = "") -> str:
    """Hash of the corpus files' paths and contents plus the model: names an evaluation index."""
    from .ingest import scan

    files, _ = scan(corpus)
    h = hashlib.sha256(f"{model_id}\0{extra}\0".encode())
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + hashlib.sha256((corpus / rel).read_bytes()).digest())
    return h.hexdigest()[:20]


def _code_hash() -> str:
    """Hash of the source of INDEX_CODE: a change in loading or chunking must not reuse a stale index."""
    here = Path(__file__).parent
    h = hashlib.sha256()
    for name in INDEX_CODE:
        path = here / f"{name}.py"
        h.update(path.read_bytes() if path.exists() else name.encode())
    return h.hexdigest()[:16]


def default_eval_root() -> Path:
    return Path.home() / ".cache" / "assistant" / "eval-index"


def corpus_app(app, corpus: Path, root: Path | None = None):
    """An App over another corpus with its own index (never the user's), reused by content hash."""
    from .app import App

    corpus = Path(corpus)
    if not corpus.is_dir():
        raise ConfigError(f"--corpus {corpus}: not a folder")
    s = app.settings
    fp = corpus_fingerprint(corpus, app.embedder.model_id, f"max_chunk_tokens={s.max_chunk_tokens}\0embed_context={s.embed_context}\0{_code_hash()}")
    index_dir = (root or default_eval_root()) / fp
    return App(s.model_copy(update={"corpus_dir": corpus.resolve(), "index_dir": index_dir}), app.embedder)


def evaluate(app, questions: list[Question], name: str = "", overrides: dict | None = None, progress: Progress | None = None) -> dict:
    """Run every question through App.ask (answers, timed) and a top-10 ranking with the same settings."""
    overrides = overrides or {}
    s = app.settings.model_copy(update=overrides) if overrides else app.settings
    if questions:  # warm-up: model, index view and caches load outside the timed questions
        app.ask(questions[0].question, **overrides)
    docs = DocTexts(app.index.manifest)
    rows = []
    for i, q in enumerate(questions):
        answer = app.ask(q.question, **overrides)
        hits = answer.hits if s.top_k >= K_RETRIEVE else ranking(app, q.question, overrides)
        units = dedupe((h.chunk.doc, h.chunk.paragraph) for h in hits)
        row = score_question(q, units, answer.to_json(), docs)
        row["timings_ms"] = {k: round(v, 2) for k, v in answer.timings_ms.items()}
        rows.append(row)
        if progress:
            progress(i + 1, len(questions))
    return result(rows, _config(app, s, name or s.retrieval_mode))


def ranking(app, question: str, overrides: dict) -> list:
    """The top K_RETRIEVE hits exactly as App.ask retrieves them (same weights and filters), without
    answering: an unreachable refusal threshold stops ask right after retrieval."""
    answer = app.ask(question, **{**overrides, "top_k": K_RETRIEVE, "min_score": math.inf, "answer_mode": "extractive"})
    return answer.hits


def evaluate_llamaindex(app, questions: list[Question], progress: Progress | None = None) -> dict:
    """Retrieval metrics of llama-index's out-of-the-box pipeline on the same corpus and model."""
    from .baseline import LlamaIndexDefault

    base = LlamaIndexDefault.build(app.settings, Path(app.settings.corpus_dir), k=K_RETRIEVE)
    docs = DocTexts(app.index.manifest)
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
        if "rank" in row:  # the gold paragraph anywhere inside a node, ranked by node
            row["node_rank"] = next((j for j, (d, _, ps) in enumerate(anchors, 1) if any(is_gold(d, p, q.docs, q.doc, q.paragraph) for p in ps)), None)
        row["timings_ms"] = {"retrieve": round(ms, 2), "total": round(ms, 2)}
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
    return result(rows, config)


def result(rows: list[dict], config: dict) -> dict:
    """The results JSON of one configuration."""
    return {"metrics": summarize(rows), "by_lang": by_language(rows), "config": config, "questions": rows}


def _config(app, s, name: str) -> dict:
    import os
    import sys

    from . import __version__
    from .support import answerability_model

    torch = sys.modules.get("torch")
    host = {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads() if torch else None, "load_avg_1m": round(os.getloadavg()[0], 2)}
    return {
        "name": name, "version": __version__, "retrieval_mode": s.retrieval_mode, "dense_weight": s.dense_weight,
        "top_k": s.top_k, "k": K_RETRIEVE, "min_score": s.min_score if s.min_score is not None else answerability_model().threshold,
        "answer_mode": s.answer_mode, "max_answer_sentences": s.max_answer_sentences,
        "embed_model": s.embed_model, "model_id": app.embedder.model_id,
        "corpus_dir": str(s.corpus_dir), "index_dir": str(s.index_dir), "host": host,
        "settings": {k: v for k, v in s.model_dump(mode="json").items() if k not in SECRET_SETTINGS},
    }  # fmt: skip


def run(app, questions: list[Question], names: list[str], progress: Progress | None = None, log: Callable[[str], None] | None = None) -> list[dict]:
    """Evaluate each named configuration over the same questions (`CONFIGS`, or the current settings for "")."""
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
            results.append(evaluate(app, questions, name, CONFIGS.get(name) or {}, step))
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
) -> tuple[list[dict], list[str]]:
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
    results = run(app, questions, names, progress, log)
    for res in results:
        res["config"].update(questions_file=str(path), malformed=problems, sample=n_sample, questions=len(questions))
    return results, problems


def _missing_docs(app, questions: list[Question]) -> set[str]:
    known = {d.path for d in app.index.manifest.documents()}
    return {d for q in questions for d in q.docs} - known


def check_baseline(results: list[dict], baseline: dict, tolerance: float) -> tuple[str, list[str]]:
    """(configuration compared, regressions) against a baseline results JSON."""
    if "metrics" not in baseline or not isinstance(baseline["metrics"], dict):
        raise ConfigError("baseline file has no 'metrics' object: give a results JSON written by `assistant eval --json`")
    name = baseline.get("config", {}).get("name", "")
    match = next((r for r in results if r["config"]["name"] == name), None)
    if match is None:
        if len(results) > 1:
            raise ConfigError(f"baseline was run as configuration {name!r}, which this run does not include")
        match = results[0]
    return match["config"]["name"], regressions(match["metrics"], baseline["metrics"], tolerance)


def baseline_json(res: dict) -> dict:
    """A results JSON trimmed for committing: per-question rows keep ids, ranks, scores and answers."""
    keep = ("id", "lang", "answerable", "rank", "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10", "answered", "answer_contains")
    rows = [{k: r[k] for k in keep if k in r} for r in res["questions"]]
    return {**res, "questions": rows}
