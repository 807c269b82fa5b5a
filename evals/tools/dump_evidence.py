"""Dump what the answer step sees for each question of development sets, for fitting its weights.

    .venv/bin/python evals/tools/dump_evidence.py OUT.jsonl SET [SET ...] [--sample N]

SET is a question file (its corpus: corpus/) or a development-set folder (../shared/bench/<name>). For
every question: the answerability features (support.answerability_features) and, per candidate
sentence, its features and whether it holds a gold answer. Each answerable question with a gold
document is asked a second time with that document filtered out: the corpus then does not answer it
(an out-of-sample, near-topic unanswerable question, labelled `removed`). Nothing of the texts is
written, only numbers and ids (the UIT sets may not be copied).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.answer import gather  # noqa: E402
from assistant.app import build  # noqa: E402
from assistant.extractive import RANK_FEATURES  # noqa: E402
from assistant.measure.evaluate import corpus_app  # noqa: E402
from assistant.measure.metrics import contains_gold  # noqa: E402
from assistant.measure.questions import is_bench_folder, load_bench, load_questions, sample  # noqa: E402
from assistant.store import Filter  # noqa: E402

CAND_KEYS = ("rank", *RANK_FEATURES)


def rows(app, name: str, questions, log, removed: bool = True) -> list[dict]:
    s = app.settings
    app.sync()
    index, embedder = app.index, app.embedder
    all_docs = sorted(d.path for d in index.documents())
    out = []
    for i, q in enumerate(questions):
        weights = (s.dense_weight, s.dense_weight_other)
        runs = [("asked", None)]
        if removed and q.answerable and q.docs:
            runs.append(("removed", Filter(docs=[d for d in all_docs if d not in set(q.docs)])))
        for kind, flt in runs:
            ev = gather(
                q.question,
                embedder,
                index,
                mode=s.retrieval_mode,
                dense_weight=weights,
                k=s.top_k,
                flt=flt,
                max_sentences=s.max_answer_sentences,
            )
            gold_here = q.answerable and kind == "asked"
            cands = [
                {**{k: round(float(getattr(c, k)), 5) for k in CAND_KEYS}, "gold": bool(gold_here and contains_gold(c.text, q.answers)),
                 "doc_ok": (c.hit.chunk.doc in q.docs) if q.docs else None,
                 "para_ok": (c.hit.chunk.doc == q.doc and c.hit.chunk.paragraph == q.paragraph) if q.paragraph else None}
                for c in ev.candidates
            ]  # fmt: skip
            out.append({
                "set": name, "id": q.id, "lang": q.lang, "kind": kind, "answerable": gold_here,
                "features": {k: round(v, 5) for k, v in ev.features.items()}, "cross": ev.cross,
                "candidates": cands,
                "entities_ok": _entities_ok(q.question, ev),
            })  # fmt: skip
        if log and (i + 1) % 50 == 0:
            log(f"{name}: {i + 1}/{len(questions)}")
    return out


def _entities_ok(question: str, ev) -> bool:
    from assistant.support import missing_entities

    return not missing_entities(question, [h.chunk.text for h in ev.hits], ev.cross)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("sets", nargs="+", type=Path)
    ap.add_argument("--sample", type=int, default=None)
    ap.add_argument(
        "--skip",
        type=int,
        default=0,
        help="leave out the first N of the fixed order (the evaluation sample): tune on other questions",
    )
    ap.add_argument(
        "--asked-only",
        action="store_true",
        help="skip the second run with the gold document removed (enough for fit_sentences.py)",
    )
    args = ap.parse_args()
    base = build()
    with args.out.open("w", encoding="utf-8") as f:
        for path in args.sets:
            if is_bench_folder(path):
                questions, _, corpus = load_bench(path)
                app = corpus_app(base, corpus)
            else:
                questions, _ = load_questions(path)
                app = base
            held = {q.id for q in sample(questions, args.skip)} if args.skip else set()
            questions = [
                q for q in sample(questions, (args.sample + args.skip) if args.sample else None) if q.id not in held
            ]
            name = path.name if path.is_dir() else path.stem
            for r in rows(app, name, questions, lambda m: print(m, file=sys.stderr, flush=True), not args.asked_only):
                f.write(json.dumps(r) + "\n")
            f.flush()


if __name__ == "__main__":
    main()
