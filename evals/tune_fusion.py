"""Sweep the hybrid fusion weight on a question set: recall@1/5, MRR, nDCG@10 per weight.

    python evals/tune_fusion.py evals/xquad-vi.jsonl evals/xquad-vi/corpus
    python evals/tune_fusion.py evals/seed.jsonl corpus

Query vectors and lexical scores are computed once; only the fusion varies. Prints a table.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

from assistant.app import build
from assistant.retrieve import CANDIDATES, SHORT_KIND_FACTOR, fuse
from assistant.settings import Settings

WEIGHTS = [0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]


def main(qfile: str, corpus: str) -> None:
    questions = [json.loads(line) for line in open(qfile, encoding="utf-8") if line.strip()]
    questions = [q for q in questions if q.get("answers") and (q.get("doc") or q.get("docs"))]
    if len(sys.argv) > 3:
        questions = [q for q in questions if q.get("lang") == sys.argv[3]]
    with tempfile.TemporaryDirectory() as tmp:
        app = build(Settings(corpus_dir=Path(corpus), index_dir=Path(tmp) / "index"))
        app.sync()
        index = app.index
        index.refresh()
        qvecs = app.embedder.embed_queries([q["question"] for q in questions])
        runs = []
        for q, v in zip(questions, qvecs):
            runs.append((q, index.dense(v, CANDIDATES, None), index.lexical_search(q["question"], CANDIDATES, None)))
        print("weight  recall@1  recall@5  mrr     ndcg@10")
        for w in WEIGHTS:
            r1 = r5 = mrr = ndcg = 0.0
            for q, dense, lexical in runs:
                ranked = []
                for cid, score, _, _ in fuse(dense, lexical, w):
                    c = index.chunks[cid]
                    ranked.append((score * (1 if c.kind == "text" else SHORT_KIND_FACTOR), (c.doc, c.paragraph)))
                ranked.sort(key=lambda x: -x[0])
                seen: list = []
                for _, key in ranked:
                    if key not in seen:
                        seen.append(key)
                docs = set(q.get("docs") or [q.get("doc")])
                para = q.get("paragraph")
                rank = next((i + 1 for i, (d, p) in enumerate(seen) if d in docs and (para is None or p == para)), None)
                r1 += rank == 1
                r5 += bool(rank and rank <= 5)
                mrr += 1 / rank if rank else 0
                ndcg += 1 / math.log2(rank + 1) if rank and rank <= 10 else 0
            n = len(runs)
            print(f"{w:<7} {r1 / n:.3f}     {r5 / n:.3f}     {mrr / n:.3f}   {ndcg / n:.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
