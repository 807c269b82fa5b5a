"""Retrieval-only sweep of the hybrid fusion weight: MRR / recall / nDCG per `dense_weight`, by language.

Each question is embedded once; `retrieve` runs for every weight with that vector, so a sweep over a
set costs about one query embedding per question. Usage (from the project root):
  .venv/bin/python evals/tools/sweep_fusion.py evals/seed.jsonl [--corpus corpus] [--step 0.1]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from assistant.app import build  # noqa: E402
from assistant.evaluate import K_RETRIEVE, corpus_app, dedupe, first_rank, load_questions, retrieval_scores  # noqa: E402
from assistant.retrieve import retrieve  # noqa: E402
from assistant.settings import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("questions", type=Path)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--step", type=float, default=0.1)
    args = ap.parse_args()
    questions, _ = load_questions(args.questions)
    questions = [q for q in questions if q.answerable and q.docs]
    app = build(Settings())
    if args.corpus:
        app = corpus_app(app, args.corpus)
    app.sync()
    vectors = app.embedder.embed_queries([q.question for q in questions])
    weights = [round(i * args.step, 3) for i in range(int(round(1 / args.step)) + 1)]
    langs = sorted({q.lang for q in questions})
    print(f"{len(questions)} answerable questions; MRR (recall@1 / recall@5 / nDCG@10 overall) per dense_weight")
    print("w      " + "  ".join(f"{lg:>6}" for lg in langs) + "     all    r@1    r@5  ndcg")
    for w in weights:
        scores = {lg: [] for lg in langs}
        allq = []
        for q, v in zip(questions, vectors):
            hits = retrieve(q.question, app.embedder, app.index, "hybrid", w, K_RETRIEVE, None, query_vector=v)
            s = retrieval_scores(first_rank(dedupe((h.chunk.doc, h.chunk.paragraph) for h in hits), q.docs, q.doc, q.paragraph))
            scores[q.lang].append(s)
            allq.append(s)

        def mean(rows, key):
            return sum(r[key] for r in rows) / len(rows)

        print(f"{w:<5}  " + "  ".join(f"{mean(scores[lg], 'mrr'):6.3f}" for lg in langs)
              + f"  {mean(allq, 'mrr'):6.3f} {mean(allq, 'recall@1'):6.3f} {mean(allq, 'recall@5'):6.3f} {mean(allq, 'ndcg@10'):6.3f}")


if __name__ == "__main__":
    main()
