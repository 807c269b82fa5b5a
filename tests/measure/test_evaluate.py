"""`assistant eval`: metric functions, question files, baseline gating, and one run on the fake embedder."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from assistant.measure.evaluate import check_baseline
from assistant.measure.metrics import (
    by_class,
    citation_correct,
    contains_gold,
    dedupe,
    first_rank,
    ndcg_at,
    percentile,
    rank_relevances,
    recall_at,
    recall_curve,
    reciprocal_rank,
    refusal_curve,
    regressions,
    retrieval_scores,
    summarize,
)
from assistant.measure.questions import Question, parse_questions
from assistant.measure.results import CitationCheck, EvalRun, GoldRemoved, QuestionResult
from assistant.types import Answerability
from tests.support import ROOT
from tests.support.tiny_eval import QUESTIONS, TINY, write_corpus, write_questions

EVALS = ROOT / "evals"


# ---------------------------------------------------------------- ranking metrics


def test_recall_mrr_ndcg_from_the_first_gold_rank():
    assert [recall_at(3, k) for k in (1, 5, 10)] == [0.0, 1.0, 1.0]
    assert recall_at(None, 10) == 0.0
    assert reciprocal_rank(4) == 0.25 and reciprocal_rank(None) == 0.0
    s = retrieval_scores(2)
    assert s["recall@1"] == 0.0 and s["recall@5"] == 1.0 and s["mrr"] == 0.5
    assert s["ndcg@10"] == pytest.approx(1 / math.log2(3))
    assert retrieval_scores(1)["ndcg@10"] == 1.0
    assert retrieval_scores(None) == {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr": 0.0, "ndcg@10": 0.0}


def test_ndcg_with_several_relevant_units():
    assert ndcg_at([1, 1, 0], 10, n_relevant=2) == 1.0
    assert ndcg_at([0, 1, 1], 10, n_relevant=2) == pytest.approx(
        (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    )
    assert ndcg_at([0] * 10 + [1], 10) == 0.0  # past the cut-off
    assert rank_relevances(3, 5) == [0, 0, 1, 0, 0]


def test_pieces_of_one_paragraph_count_once_before_ranking():
    hits = [("a.txt", 7), ("a.txt", 7), ("a.txt", 7), ("b.txt", 2), ("a.txt", 3)]
    units = dedupe(hits)
    assert units == [("a.txt", 7), ("b.txt", 2), ("a.txt", 3)]
    assert first_rank(units, ["a.txt"], "a.txt", 3) == 3  # paragraph gold: the paragraph must match
    assert first_rank(units, ["b.txt"]) == 2  # document gold: any paragraph of it
    assert first_rank(units, ["a.txt", "c.txt"], "c.txt", 1) == 1  # other acceptable documents match at doc level
    assert first_rank(units, ["z.txt"]) is None


def test_gold_strings_match_nfc_and_case_folded():
    nfd = "Đại sứ JULIEN Guerrier".replace("ạ", "a\u0323")
    assert contains_gold(nfd, ["julien guerrier"])
    assert contains_gold("Ông Bùi Thế Duy phát biểu", ["bùi thế duy"])
    assert not contains_gold("Ông Bui The Duy", ["Bùi Thế Duy"])  # no diacritic folding: gold strings are verbatim
    assert not contains_gold("anything", [])


# ---------------------------------------------------------------- citations and summary


def _q(**kw) -> Question:
    base = dict(id="q1", question="?", answers=["450 triệu USD"], docs=["a.txt"], doc="a.txt", paragraph=3, lang="vi")
    base.update(kw)
    return Question(**base)


def test_a_citation_is_correct_on_the_gold_paragraph_or_one_holding_a_gold_string():
    q = _q()
    assert citation_correct(q, "a.txt", 3, "unrelated text")
    assert citation_correct(q, "a.txt", 9, "kim ngạch đạt 450 triệu USD")
    assert not citation_correct(q, "a.txt", 9, "kim ngạch tăng")
    assert not citation_correct(q, "b.txt", 3, "450 triệu USD")  # not a gold document
    assert citation_correct(_q(docs=[], doc="", paragraph=None), "b.txt", 1, "450 triệu USD")


def _row(answerable=True, rank=1, answered=True, contains=True, cits=((True, True),), lang="vi", total=10.0,
         decision=None, cls=None):  # fmt: skip
    q = _q(id="x", lang=lang, answers=["450 triệu USD"] if answerable else [])
    if cls:
        q.fields["class"] = cls
    row = QuestionResult(
        q, answered=answered, answerability=decision,
        answer_contains=contains if answerable else None,
        citations=[CitationCheck(1, "a.txt", 3, "q", 0, 1, verified=v, correct=c) for c, v in cits],
        timings_ms={"retrieve": total / 2, "answer": total / 2, "total": total},
    )  # fmt: skip
    if answerable and rank != "none":
        row.rank, row.scores = rank, retrieval_scores(rank)
    return row


def test_summary_over_handmade_rows():
    rows = [
        _row(rank=1, cits=((True, True), (False, True))),  # precision 0.5
        _row(rank=3, contains=False, cits=((False, True),), total=30.0),  # precision 0, no correct citation
        _row(rank=None, answered=False, contains=False, cits=()),  # refused an answerable question
        _row(answerable=False, answered=False, cits=()),  # refused correctly
        _row(answerable=False, answered=True, cits=((False, True),)),  # answered an unanswerable one
    ]
    m = summarize(rows)
    assert m["questions"] == 5 and m["answerable"] == 3 and m["unanswerable"] == 2
    assert m["recall@1"] == pytest.approx(1 / 3, abs=1e-4) and m["recall@5"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["mrr"] == pytest.approx((1 + 1 / 3) / 3, abs=1e-4)
    assert m["answer_contains"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["answered_rate"] == pytest.approx(2 / 3, abs=1e-4) and m["false_refusal_rate"] == pytest.approx(
        1 / 3, abs=1e-4
    )
    assert m["citation_precision"] == 0.25  # mean of 0.5 and 0.0 over answered answerable questions
    assert m["citation_recall"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["refusal_accuracy"] == 0.5
    # of the three answers given, the second holds no gold and the last answers an unanswerable question
    assert m["wrong_answer_rate"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["verified_quote_rate"] == 1.0 and m["citations"] == 4
    assert m["latency_p50_ms"] == 10.0 and m["latency_retrieve_p50_ms"] == 5.0
    assert recall_curve(rows, 3) == pytest.approx([1 / 3, 1 / 3, 2 / 3])


def _model(p: float, checks: bool = True) -> Answerability:
    return Answerability("model", p, 0.3, checks)


CURVE_ROWS = [
    _row(decision=_model(0.9)),  # answered at every threshold up to 0.9
    _row(decision=_model(0.5), contains=False),
    _row(answered=False, contains=False, cits=(), decision=_model(0.2)),  # refused: below 0.3
    _row(answered=False, contains=False, cits=(), decision=_model(0.8, checks=False)),  # a named entity missing
    _row(answered=False, contains=False, cits=(), decision=_model(0.7)),  # passed, but nothing to quote
    _row(decision=None),  # a metadata answer: the model did not decide
    _row(answerable=False, answered=False, cits=(), decision=_model(0.1), cls="near_topic_unanswerable"),
    _row(answerable=False, answered=True, cits=((False, True),), decision=_model(0.6), cls="near_topic_unanswerable"),
    _row(answerable=False, answered=False, cits=(), decision=_model(0.95, checks=False), cls="near_topic_unanswerable"),
]


def test_the_refusal_curve_moves_the_model_threshold_and_meets_the_run_at_its_own():
    curve = {p["threshold"]: p for p in refusal_curve(CURVE_ROWS)}
    m = summarize(CURVE_ROWS)
    assert 0.3 in curve and curve[0.3]["refusal_accuracy"] == m["refusal_accuracy"]
    assert curve[0.3]["false_refusal_rate"] == m["false_refusal_rate"]
    # threshold 0: only the blocked ones are refused (entity missing, nothing to quote; one unanswerable)
    assert curve[0.0] == {"threshold": 0.0, "refusal_accuracy": round(1 / 3, 4), "false_refusal_rate": round(2 / 6, 4)}
    # 0.55: the 0.5 answer is refused too, and so is the 0.1 unanswerable one; 0.6 is refused from 0.65 on
    assert curve[0.55]["false_refusal_rate"] == round(4 / 6, 4) and curve[0.55]["refusal_accuracy"] == round(2 / 3, 4)
    assert curve[0.65]["refusal_accuracy"] == 1.0
    # the metadata answer keeps its outcome: never refused, whatever the threshold
    assert curve[0.95]["false_refusal_rate"] == round(5 / 6, 4)
    fr = [p["false_refusal_rate"] for p in refusal_curve(CURVE_ROWS)]
    assert fr == sorted(fr)  # refusing more as the threshold rises
    # no question decided by the model (a set min_score, lexical mode, llama-index): no curve
    assert refusal_curve([_row(decision=Answerability("support", 0.5, 0.3, True))]) == []
    assert refusal_curve([QuestionResult(_q(id="x"), rank=1, scores=retrieval_scores(1))]) == []
    # answerable questions only: the unanswerable side is not applicable
    assert {p["refusal_accuracy"] for p in refusal_curve(CURVE_ROWS[:2])} == {None}


def test_gold_removed_refusals_are_summarised_and_on_the_curve():
    rows = [
        _row(decision=_model(0.9)),
        _row(decision=_model(0.8)),
        _row(answerable=False, answered=False, cits=(), decision=_model(0.1)),
    ]
    assert "gold_removed_refusal" not in summarize(rows) and "gold_removed_refusal" not in refusal_curve(rows)[0]
    rows[0].gold_removed = GoldRemoved(True, "wrongly answered", _model(0.5))  # answered without its gold
    rows[1].gold_removed = GoldRemoved(False, "refused", _model(0.2))
    m = summarize(rows)
    assert m["gold_removed_questions"] == 2 and m["gold_removed_refusal"] == 0.5
    curve = {p["threshold"]: p for p in refusal_curve(rows)}
    assert curve[0.3]["gold_removed_refusal"] == m["gold_removed_refusal"]  # the run's own threshold
    assert curve[0.0]["gold_removed_refusal"] == 0.0 and curve[0.55]["gold_removed_refusal"] == 1.0
    row = rows[0]
    row.question.fields.update(id=row.id, question="?", answers=row.question.answers)
    assert QuestionResult.from_json(row.to_json()).gold_removed == row.gold_removed


def test_metrics_by_question_class_only_when_the_file_names_classes():
    assert by_class(CURVE_ROWS[:6]) == {}
    groups = by_class(CURVE_ROWS)
    assert list(groups) == ["general", "near_topic_unanswerable"]
    assert groups["general"]["questions"] == 6 and groups["near_topic_unanswerable"]["unanswerable"] == 3
    assert groups["near_topic_unanswerable"]["refusal_accuracy"] == round(2 / 3, 4)


def test_the_report_shows_classes_and_the_refusal_curve(tmp_path):
    from assistant.measure.report import write_report

    run = EvalRun.of(list(CURVE_ROWS), {"name": "hybrid", "min_score": 0.3, "corpus_dir": "c", "model_id": "m"})
    assert run.refusal_curve == refusal_curve(CURVE_ROWS) and run.by_class == by_class(CURVE_ROWS)
    files = write_report([run], tmp_path)
    assert (tmp_path / "refusal_curve.png") in files and (tmp_path / "refusal_curve.png").stat().st_size > 0
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## By class: hybrid" in md and "| metric | general | near_topic_unanswerable |" in md
    assert "## Refusal curve: hybrid" in md and "| 0.300 (this run) | 0.667 | 0.500 |" in md
    # a row read back keeps how its refusal was decided
    for q in run.questions:
        q.question.fields.update(id=q.id, question="?", answers=q.question.answers)
        assert QuestionResult.from_json(q.to_json()).answerability == q.answerability


def test_retrieval_only_configurations_leave_answer_metrics_not_applicable():
    rows = [QuestionResult(_q(id="x"), rank=2, scores=retrieval_scores(2), timings_ms={"retrieve": 3.0, "total": 3.0})]
    m = summarize(rows)
    assert m["mrr"] == 0.5
    for key in (
        "answer_contains",
        "answered_rate",
        "citation_precision",
        "citation_recall",
        "verified_quote_rate",
        "refusal_accuracy",
        "wrong_answer_rate",
    ):
        assert m[key] is None
    assert m["latency_answer_p50_ms"] is None and m["latency_p50_ms"] == 3.0


def test_percentile_interpolates_like_numpy():
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10.0], 95) == 10.0
    assert percentile([], 50) is None
    assert percentile(list(range(101)), 95) == 95


def test_the_eval_index_fingerprint_reads_the_index_building_modules():
    """INDEX_CODE names modules and subpackages of the package (not of assistant/measure/): a name that matched
    no file would leave its code out of the fingerprint, and a stale evaluation index would be reused."""
    import hashlib

    from assistant.measure.evaluate import INDEX_CODE, _code_hash, index_code_files

    package = ROOT / "assistant"
    assert all(
        (package / f"{name}.py").is_file() or (package / name / "__init__.py").is_file() for name in INDEX_CODE
    ), INDEX_CODE
    assert not any(name in INDEX_CODE for name in ("measure", "evaluate", "metrics", "questions", "bench"))
    files = index_code_files()
    assert all(f.is_file() for f in files)
    assert {f.relative_to(package).as_posix() for f in files} >= {"ingest.py", "loaders/__init__.py", "loaders/pdf.py"}
    assert set((package / "loaders").glob("*.py")) <= set(files)  # a new loader module is fingerprinted too
    expected = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()[:16]
    assert _code_hash() == expected


# ---------------------------------------------------------------- question files


def test_malformed_lines_are_reported_with_their_number_and_the_rest_parses():
    lines = [
        json.dumps(
            {
                "id": "a",
                "question": "Ai?",
                "answers": ["X"],
                "doc": "d.txt",
                "paragraph": 2,
                "lang": "vi",
                "sentence": 4,
            }
        ),
        "{not json",
        json.dumps({"id": "b", "question": "Ai?"}),
        "",
        json.dumps({"id": "c", "question": "Ai?", "answers": [], "paragraph": 3}),
        json.dumps({"id": "a", "question": "again", "answers": []}),
        json.dumps({"id": "d", "question": "Who?", "answers": "X"}),
        json.dumps({"id": 7, "question": "Vem?", "answers": [], "docs": ["x.txt", "y.txt"], "source": "hand"}),
    ]
    questions, problems = parse_questions(lines)
    assert [q.id for q in questions] == ["a", "7"]
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 5", "line 6", "line 7"]
    assert "missing field 'answers'" in problems[1] and "needs 'doc'" in problems[2] and "duplicate" in problems[3]
    a, seven = questions
    assert a.fields["sentence"] == 4 and a.paragraph == 2 and a.docs == ["d.txt"] and a.answerable
    assert seven.fields["source"] == "hand" and not seven.answerable and seven.docs == ["x.txt", "y.txt"]


# ---------------------------------------------------------------- baseline gating


def test_fail_under_flags_only_gated_metrics_that_dropped_more_than_the_tolerance():
    base = {"recall@5": 0.90, "mrr": 0.80, "ndcg@10": 0.85, "answer_contains": 0.70, "citation_precision": 0.60,
            "refusal_accuracy": 0.90, "latency_p50_ms": 10.0, "recall@1": 0.9}  # fmt: skip
    same = {**base, "latency_p50_ms": 99.0, "recall@1": 0.1}
    assert regressions(same, base, 0.02) == []  # latency and recall@1 are not gated
    slight = {**base, "recall@5": 0.885, "mrr": 0.81}
    assert regressions(slight, base, 0.02) == []
    worse = {**base, "recall@5": 0.85, "refusal_accuracy": 0.80, "citation_precision": None}
    out = regressions(worse, base, 0.02)
    assert [m.split(":")[0] for m in out] == ["recall@5", "citation_precision", "refusal_accuracy"]
    assert regressions({**base, "mrr": 0.79}, base, 0.0) != []


def test_baseline_is_checked_against_the_run_of_the_same_configuration():
    def res(name, r5):
        return EvalRun({"recall@5": r5}, {}, {"name": name}, [])

    baseline = {"config": {"name": "hybrid"}, "metrics": {"recall@5": 0.9}}
    name, regressed = check_baseline([res("dense", 0.5), res("hybrid", 0.9)], baseline, 0.02)
    assert name == "hybrid" and regressed == []
    name, regressed = check_baseline([res("dense", 0.5)], baseline, 0.02)  # one run: compared whatever its name
    assert regressed and regressed[0].startswith("recall@5")


# ---------------------------------------------------------------- the llama-index node mapping (pure parts)


def test_llamaindex_nodes_map_to_the_paragraph_holding_their_start():
    from assistant.measure.baseline import locate, paragraph_at

    doc = "Tiêu đề\n\nĐoạn một có nội dung.\n\nĐoạn hai có nội dung khác."
    spans = [(0, 7, 1), (9, 30, 2), (32, 58, 3)]
    assert paragraph_at(spans, doc.index("Đoạn hai")) == 3
    assert paragraph_at(spans, 8) == 2  # in the gap between paragraphs: the next one
    assert paragraph_at(spans, 99) is None
    assert locate("Đoạn hai có nội dung khác.", doc) == doc.index("Đoạn hai")
    nfd = "Đoạn hai có nội dung".replace("ộ", "o\u0302\u0323")
    assert locate(nfd + " KHÁC (changed tail)", doc) == doc.index("Đoạn hai")  # NFC, then by prefix
    assert locate("nowhere to be found in it", doc) is None


# ---------------------------------------------------------------- the shipped eval sets


def _docs(folder: Path) -> dict:
    from assistant.loaders import load_document

    return {p.name: load_document(p, 50 * 2**20) for p in sorted(folder.glob("*.txt"))}


def test_seed_questions_gold_strings_occur_verbatim_in_the_gold_paragraph():
    questions, problems = parse_questions((EVALS / "seed.jsonl").read_text(encoding="utf-8").splitlines())
    assert problems == []
    docs = _docs(ROOT / "corpus")
    assert len(questions) >= 40
    assert sum(not q.answerable for q in questions) >= 8
    assert {q.lang for q in questions} == {"vi", "en", "sv"}
    assert {d for q in questions for d in q.docs} == set(docs)
    assert any(q.fields.get("long_paragraph") for q in questions)
    for q in questions:
        if q.paragraph is not None:
            text = docs[q.doc].paragraphs[q.paragraph - 1].text
            assert docs[q.doc].paragraphs[q.paragraph - 1].n == q.paragraph
            for a in q.answers:
                assert a in text, f"{q.id}: {a!r} not in {q.doc} ¶{q.paragraph}"
        else:
            for a in q.answers:
                assert any(a in docs[d].text for d in q.docs), f"{q.id}: {a!r} in none of {q.docs}"


def test_xquad_questions_map_to_our_paragraph_numbering():
    lines = (EVALS / "xquad-vi.jsonl").read_text(encoding="utf-8").splitlines()
    questions, problems = parse_questions(lines)
    assert problems == [] and len(questions) == 1190
    docs = _docs(EVALS / "xquad-vi" / "corpus")
    found = sum(all(a in docs[q.doc].paragraphs[q.paragraph - 1].text for a in q.answers) for q in questions)
    assert found == len(questions)
    assert all(q.paragraph == q.fields["source_paragraph"] + 1 for q in questions)  # the title line is paragraph 1
    assert (EVALS / "xquad-vi" / "LICENSE.md").read_text(encoding="utf-8").count("CC BY-SA 4.0") >= 1


# ---------------------------------------------------------------- one run end to end (fake embedder)


def test_evaluate_file_end_to_end_on_a_tiny_corpus(tmp_path):
    from tests.support.fakes import HashEmbedder

    from assistant.app import build
    from assistant.measure.evaluate import evaluate_file
    from assistant.measure.report import metrics_table, write_report
    from assistant.settings import Settings

    corpus = write_corpus(tmp_path / "corpus")
    q1, q2, q3 = (json.dumps(q) for q in QUESTIONS)
    qfile = write_questions(tmp_path / "q.jsonl", [q1, q2, "oops", q3])
    user_index = tmp_path / "user-index"
    # plumbing under test, not calibration: the support rule at a hash-embedder level (min_score)
    app = build(Settings(corpus_dir=tmp_path / "nothing", index_dir=user_index, min_score=0.3), embedder=HashEmbedder())
    logs: list[str] = []
    progress: list[tuple[int, int]] = []
    results, problems = evaluate_file(
        app, qfile, ["hybrid", "lexical"], corpus=corpus, index_root=tmp_path / "eval-index",
        progress=lambda d, t: progress.append((d, t)), log=logs.append,
    )  # fmt: skip
    assert problems == ["line 3: not valid JSON (Expecting value at column 1)"]
    assert any("line 3" in line for line in logs)
    assert not user_index.exists()  # --corpus never touches the user's index
    assert progress[-1] == (6, 6)
    hybrid, lexical = (r.to_json() for r in results)
    assert hybrid["config"]["name"] == "hybrid" and lexical["config"]["retrieval_mode"] == "lexical"
    assert set(hybrid) == {"metrics", "by_lang", "config", "questions", "by_class", "refusal_curve"}
    # min_score set: the support rule decided, not the answerability model, so there is no curve
    assert hybrid["refusal_curve"] == [] and hybrid["by_class"] == {}
    assert {q["answerability"]["method"] for q in hybrid["questions"] if q["answerability"]} == {"support"}
    m = hybrid["metrics"]
    assert m["recall@1"] == 1.0 and m["mrr"] == 1.0 and m["ndcg@10"] == 1.0
    # both answerable questions are answered with one verified, correct citation each; the World Cup one is refused
    assert m["citations"] == 2 and m["verified_quote_rate"] == 1.0
    assert {key: m[key] for key in ("recall@5", "recall@10", "answer_contains", "answered_rate", "citation_precision",
                                   "citation_recall", "refusal_accuracy", "false_refusal_rate")} == {
        "recall@5": 1.0, "recall@10": 1.0, "answer_contains": 1.0, "answered_rate": 1.0, "citation_precision": 1.0,
        "citation_recall": 1.0, "refusal_accuracy": 1.0, "false_refusal_rate": 0.0}  # fmt: skip
    assert 0 < m["latency_p50_ms"] <= m["latency_p95_ms"]
    cited = [c for q in hybrid["questions"] for c in q["citations"]]
    assert [(c["doc"], c["paragraph"], c["verified"], c["correct"]) for c in cited] == [
        ("a.txt", 2, True, True),
        ("b.txt", 2, True, True),
    ]
    assert "Julien Guerrier" in cited[0]["quote"] and "70 doanh nghiệp" in cited[1]["quote"]
    assert set(hybrid["by_lang"]) == {"vi", "en"}
    first = hybrid["questions"][0]
    assert first["topic"] == "people" and first["rank"] == 1 and first["hits"][0] == ["a.txt", 2]
    assert "rank" not in hybrid["questions"][2]  # unanswerable: no retrieval gold
    json.dumps([hybrid, lexical])  # plain data all the way down
    # a second run reuses the evaluation index (same corpus content, same model)
    again, _ = evaluate_file(app, qfile, ["hybrid"], corpus=corpus, index_root=tmp_path / "eval-index")
    assert len(list((tmp_path / "eval-index").iterdir())) == 1
    assert again[0].metrics["mrr"] == m["mrr"]
    files = write_report(results, tmp_path / "report")
    assert {f.name for f in files} == {
        "report.md",
        "results.jsonl",
        "recall_at_k.png",
        "latency.png",
        "by_language.png",
    }
    assert all(f.stat().st_size > 0 for f in files)
    assert len((tmp_path / "report" / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 6
    assert "recall@5" in metrics_table(results)


def test_eval_command_usage_errors(tmp_path):
    from click.testing import CliRunner

    from assistant.cli import main

    q = tmp_path / "q.jsonl"
    q.write_text("", encoding="utf-8")
    r = CliRunner().invoke(main, ["eval", str(q), "--compare", "dense,bogus"])
    assert r.exit_code == 2 and "bogus" in r.output
    r = CliRunner().invoke(main, ["eval", str(q), "--fail-under", "0.1"])
    assert r.exit_code == 2 and "--baseline" in r.output


BENCH_SETS = ("vinewsqa-vi", "viquad2-vi", "swequad-mc-sv", "xquad-en-mixed-dev", "xquad-vi")


def test_eval_gold_removed_asks_again_without_the_gold_document(tmp_path, monkeypatch):
    """`assistant eval --gold-removed`: each answerable question with a gold document is asked again over
    the other documents; the refusals of that run are reported, in the table and the JSON."""
    from click.testing import CliRunner

    import assistant.cli as cli
    from assistant.app import build
    from assistant.settings import Settings
    from tests.support.fakes import HashEmbedder

    corpus, qfile = write_corpus(tmp_path / "corpus"), write_questions(tmp_path / "q.jsonl")
    app = build(
        # min_score 0: the support rule answers whatever is retrieved, so the run without the gold cites another
        Settings(corpus_dir=tmp_path / "unused", index_dir=tmp_path / "user", min_score=0.0),
        embedder=HashEmbedder(),
    )
    monkeypatch.setattr(cli, "_app", lambda settings: app)
    monkeypatch.setattr(cli, "_settings", lambda **kw: app.settings)
    r = CliRunner().invoke(cli.main, ["eval", str(qfile), "--corpus", str(corpus), "--json", "--gold-removed"])
    assert r.exit_code == 0, r.output
    run = json.loads(r.stdout)
    with_gold = [q for q in run["questions"] if q["answerable"] and q.get("doc")]
    assert with_gold and all("gold_removed" in q for q in with_gold)
    assert all("gold_removed" not in q for q in run["questions"] if not q["answerable"])
    for q in with_gold:  # asked over the other documents only: nothing it cites is a gold document
        g = q["gold_removed"]
        assert set(g) == {"answered", "answer", "answerability", "cited"} and g["answerability"]["method"] == "support"
        assert all(d != q["doc"] for d, _ in g["cited"]) and bool(g["cited"]) == g["answered"]
    refused = [not q["gold_removed"]["answered"] for q in with_gold]
    assert run["metrics"]["gold_removed_questions"] == len(with_gold)
    assert run["metrics"]["gold_removed_refusal"] == round(sum(refused) / len(refused), 4)
    table = CliRunner().invoke(cli.main, ["eval", str(qfile), "--corpus", str(corpus), "--gold-removed"])
    assert table.exit_code == 0 and "gold_removed_refusal" in table.stdout


def test_the_gold_removed_run_filters_out_every_gold_document():
    from types import SimpleNamespace

    from assistant.measure.evaluate import ask_without_gold
    from assistant.types import Answer, Citation

    asked = []

    def ask(question, flt=None, **overrides):
        asked.append((question, flt, overrides))
        cit = Citation(1, "c.txt", 2, None, "quote", 0, 5, 0.5)
        return Answer(question, True, "quote [1]", "vi", [cit], "extractive", {}, answerability=_model(0.4))

    indexed = ["a.txt", "b.txt", "c.txt"]
    app = SimpleNamespace(ask=ask)
    got = ask_without_gold(app, _q(docs=["a.txt", "b.txt"]), {"top_k": 5}, indexed)
    assert asked[0][1].docs == ["c.txt"] and asked[0][2] == {"top_k": 5}
    assert got == GoldRemoved(True, "quote [1]", _model(0.4), [("c.txt", 2)])
    # the gold documents are all there is: nothing to ask
    assert ask_without_gold(app, _q(docs=["a.txt", "b.txt", "c.txt"]), {}, indexed) is None and len(asked) == 1


def test_committed_baselines_have_the_results_shape():
    """Every baseline `make eval` / `make eval-ci` gates on (the Makefile's SETS) exists and was made with the real model."""
    makefile = (EVALS.parent / "Makefile").read_text(encoding="utf-8")
    assert f"SETS = {' '.join(BENCH_SETS)}" in makefile
    for name in ("seed.json", *(f"{s}.json" for s in BENCH_SETS), *(f"ci-{s}.json" for s in BENCH_SETS)):
        path = EVALS / "baselines" / name
        assert path.exists(), (
            f"{path} is missing: `make eval` gates on it; produce it with `assistant eval ... --json > {path}`"
        )
        data = json.loads(path.read_text(encoding="utf-8"))
        assert {"metrics", "by_lang", "config"} <= set(data)
        assert data["metrics"]["verified_quote_rate"] == 1.0
        assert not data["config"]["model_id"].startswith("fake")


@pytest.fixture(autouse=True)
def _no_shared_cache(tmp_path, monkeypatch):
    """Evaluation indexes of these tests live under tmp_path, never in ~/.cache."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield
    shutil.rmtree(tmp_path / "home", ignore_errors=True)


@pytest.fixture
def llamaindex_two_nodes(monkeypatch):
    """llama-index's pipeline replaced by a retriever that returns two nodes for every question: one from
    a.txt's title through paragraph 2, then b.txt's whole text (nodes spanning paragraphs)."""
    from assistant.measure import baseline

    a_text = TINY["a.txt"]

    class FakeRetriever:
        n_nodes = 2

        def retrieve(self, question):
            return [
                baseline.Node("a.txt", a_text[: a_text.index("Kim")], 0, 0.9),
                baseline.Node("b.txt", TINY["b.txt"], 0, 0.5),
            ]

        anchor = staticmethod(baseline.LlamaIndexDefault.anchor)

    monkeypatch.setattr(
        baseline.LlamaIndexDefault, "build", classmethod(lambda cls, settings, corpus, k=10: FakeRetriever())
    )


def test_llamaindex_configuration_scores_nodes_by_their_start_and_by_span(tmp_path, llamaindex_two_nodes):
    """The llama-index run with its retriever replaced: nodes spanning paragraphs map back to our anchors."""
    from tests.support.fakes import HashEmbedder

    from assistant.app import build
    from assistant.measure.evaluate import evaluate_file
    from assistant.settings import Settings

    corpus = write_corpus(tmp_path / "corpus")
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        json.dumps({"id": "1", "question": "Đại sứ EU?", "answers": ["Julien Guerrier"], "doc": "a.txt", "paragraph": 2, "lang": "vi"}) + "\n"
        + json.dumps({"id": "2", "question": "Nhật Bản?", "answers": ["70 doanh nghiệp"], "doc": "b.txt", "paragraph": 2, "lang": "vi"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    app = build(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embedder=HashEmbedder())
    (res,), _ = evaluate_file(app, qfile, ["llamaindex-default"])
    first, second = res.questions
    assert first.hits == [("a.txt", 1), ("b.txt", 1)]  # each node anchored at the paragraph holding its start
    assert first.rank is None and first.node_rank == 1  # ... though the first node contains the gold paragraph
    assert second.rank is None and second.node_rank == 2
    m = res.metrics
    assert m["recall@10"] == 0.0 and m["node_recall@1"] == 0.5 and m["node_recall@5"] == 1.0 and m["node_mrr"] == 0.75
    assert m["answer_contains"] is None and m["citation_precision"] is None
    assert res.config["unmapped_hits"] == 0 and res.config["paragraphs_per_retrieved_node"] == 2.0


# ---------------------------------------------------------------- the results JSON is an interface

METRIC_KEYS = [
    "questions", "answerable", "unanswerable", "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10",
    "answer_contains", "answered_rate", "false_refusal_rate", "refusal_accuracy", "wrong_answer_rate",
    "citation_precision", "citation_recall", "verified_quote_rate", "citations", "latency_p50_ms", "latency_p95_ms",
    "latency_retrieve_p50_ms", "latency_retrieve_p95_ms", "latency_answer_p50_ms", "latency_answer_p95_ms",
]  # fmt: skip
NODE_METRIC_KEYS = ["node_recall@1", "node_recall@5", "node_recall@10", "node_mrr"]  # after ndcg@10, llama-index only
CONFIG_KEYS = [
    "name", "version", "retrieval_mode", "dense_weight", "top_k", "k", "min_score", "answer_mode",
    "max_answer_sentences", "embed_model", "model_id", "corpus_dir", "index_dir", "host", "settings",
    "questions_file", "malformed", "sample", "questions",
]  # fmt: skip
LLAMA_CONFIG_KEYS = [
    "name", "version", "retrieval_mode", "k", "embed_model", "model_id", "corpus_dir", "index_dir", "host",
    "settings", "nodes", "unmapped_hits", "paragraphs_per_retrieved_node", "questions_file", "malformed", "sample",
    "questions",
]  # fmt: skip
RECORD = ["id", "question", "answers", "doc", "paragraph", "lang"]  # the question file's own keys, in its order
SCORED = ["hits", "rank", "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10"]
ROW_KEYS = [  # the three questions of tiny_eval: answerable (with a `topic` of its own), answerable, unanswerable
    [*RECORD, "topic", "line", "answerable", *SCORED, "answered", "citations", "answer", "answer_contains", "timings_ms",
     "answerability"],
    [*RECORD, "line", "answerable", *SCORED, "answered", "citations", "answer", "answer_contains", "timings_ms",
     "answerability"],
    ["id", "question", "answers", "lang", "line", "answerable", "hits", "answered", "citations", "answer",
     "answer_contains", "timings_ms", "answerability"],
]  # fmt: skip
LLAMA_ROW_KEYS = [
    [*RECORD, "topic", "line", "answerable", *SCORED, "answered", "citations", "node_rank", "timings_ms"],
    [*RECORD, "line", "answerable", *SCORED, "answered", "citations", "node_rank", "timings_ms"],
    ["id", "question", "answers", "lang", "line", "answerable", "hits", "answered", "citations", "timings_ms"],
]
CITATION_KEYS = ["n", "doc", "paragraph", "quote", "char_start", "char_end", "verified", "correct"]


def test_eval_json_and_results_jsonl_keep_their_keys_in_their_order(tmp_path, monkeypatch, llamaindex_two_nodes):
    """`assistant eval --json` and the report's results.jsonl are read by scripts and committed as baselines:
    the keys and their order (recorded from the dict rows the dataclasses replaced), the value types, one
    line of results.jsonl per question and configuration, and a row read back writes itself again."""
    from click.testing import CliRunner

    import assistant.cli as cli
    from assistant.app import build
    from assistant.settings import Settings
    from tests.support.fakes import HashEmbedder

    corpus, qfile = write_corpus(tmp_path / "corpus"), write_questions(tmp_path / "q.jsonl")
    app = build(
        Settings(corpus_dir=tmp_path / "unused", index_dir=tmp_path / "user", min_score=0.3), embedder=HashEmbedder()
    )
    monkeypatch.setattr(cli, "_app", lambda settings: app)
    monkeypatch.setattr(cli, "_settings", lambda **kw: app.settings)
    report = tmp_path / "report"
    args = ["eval", str(qfile), "--corpus", str(corpus), "--json", "--report", str(report), "--compare", "hybrid,llamaindex-default"]  # fmt: skip
    r = CliRunner().invoke(cli.main, args)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert list(out) == ["runs"]
    hybrid, llama = out["runs"]
    for run in (hybrid, llama):
        assert list(run) == ["metrics", "by_lang", "config", "questions", "by_class", "refusal_curve"]
        assert list(run["by_lang"]) == ["en", "vi"] and list(run["config"]["host"]) == [
            "cpus",
            "torch_threads",
            "load_avg_1m",
        ]
    assert list(hybrid["metrics"]) == METRIC_KEYS and list(hybrid["config"]) == CONFIG_KEYS
    assert list(llama["metrics"]) == METRIC_KEYS[:8] + NODE_METRIC_KEYS + METRIC_KEYS[8:]
    assert list(llama["config"]) == LLAMA_CONFIG_KEYS
    assert all(list(m) == METRIC_KEYS for m in hybrid["by_lang"].values())
    assert list(llama["by_lang"]["en"]) == METRIC_KEYS and list(llama["by_lang"]["vi"]) == list(llama["metrics"])
    assert [list(q) for q in hybrid["questions"]] == ROW_KEYS
    assert [list(q) for q in llama["questions"]] == LLAMA_ROW_KEYS
    cited = [c for q in hybrid["questions"] for c in q["citations"]]
    assert cited and all(list(c) == CITATION_KEYS for c in cited)
    first, _, unanswerable = hybrid["questions"]
    assert first["topic"] == "people" and first["line"] == 1 and first["answerable"] is True
    assert all(isinstance(d, str) and isinstance(p, int) for d, p in first["hits"]) and isinstance(first["rank"], int)
    assert all(isinstance(first[k], float) for k in SCORED[2:])
    assert first["answered"] is True and first["answer_contains"] is True and isinstance(first["answer"], str)
    assert unanswerable["answered"] is False and unanswerable["answer_contains"] is None
    assert list(first["timings_ms"]) == ["retrieve", "answer", "total"]
    assert llama["questions"][0]["answered"] is None and llama["questions"][0]["node_rank"] == 1
    assert list(llama["questions"][0]["timings_ms"]) == ["retrieve", "total"]

    lines = (report / "results.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [{"config": run["config"]["name"], **q} for run in (hybrid, llama) for q in run["questions"]]
    assert [json.loads(line) for line in lines] == rows and all(list(json.loads(line))[0] == "config" for line in lines)
    for q in hybrid["questions"] + llama["questions"]:
        assert QuestionResult.from_json(q).to_json() == q


@pytest.mark.model
def test_llamaindex_default_runs_offline_on_the_real_model(tmp_path, real_embedder):
    from assistant.app import build
    from assistant.measure.evaluate import evaluate_file
    from assistant.settings import Settings

    corpus = write_corpus(tmp_path / "corpus")
    qfile = tmp_path / "q.jsonl"
    qfile.write_text(
        json.dumps(
            {
                "id": "1",
                "question": "Who is the EU ambassador to Vietnam?",
                "answers": ["Julien Guerrier"],
                "doc": "a.txt",
                "lang": "en",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    app = build(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embedder=real_embedder)
    (li, hy), _ = evaluate_file(app, qfile, ["llamaindex-default", "hybrid"])
    assert li.config["nodes"] == 2 and li.config["unmapped_hits"] == 0
    assert li.metrics["recall@1"] == 1.0 and hy.metrics["recall@1"] == 1.0
    assert hy.metrics["verified_quote_rate"] == 1.0
