"""Save a results JSON (from `assistant eval FILE --json`, on stdin) as a committed baseline.

Per-question rows are trimmed to ids, ranks, scores and answer outcomes so the file stays small (no
document or question text: the UIT sets may not be copied); metrics, by_lang, by_class, the refusal curve
and config are kept whole.
Usage (from the project root):
  assistant eval evals/seed.jsonl --json | .venv/bin/python evals/tools/save_baseline.py evals/baselines/seed.json
  # one configuration of a --compare run, restricted to the fixed sample CI evaluates (--sample 150):
  .venv/bin/python evals/tools/save_baseline.py evals/baselines/ci-vinewsqa-vi.json --run hybrid --sample 150 < results.json
"""

import argparse
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from assistant.measure.evaluate import baseline_json  # noqa: E402
from assistant.measure.results import EvalRun, QuestionResult  # noqa: E402


def restrict(res: dict, n: int) -> dict:
    """The results of the fixed sample of n questions (evaluate.sample: the n smallest id hashes), as if
    `--sample n` had been run: answers are deterministic, so the rows are the same."""
    rows = sorted(res["questions"], key=lambda r: hashlib.sha1(str(r["id"]).encode()).hexdigest())[:n]
    keep = {r["id"] for r in rows}
    rows = [r for r in res["questions"] if r["id"] in keep]
    run = EvalRun.of(
        [QuestionResult.from_json(r) for r in rows], {**res["config"], "sample": n, "questions": len(rows)}
    )
    return {**res, **run.to_json(), "questions": rows}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--run", help="configuration to take from a --compare results JSON")
    ap.add_argument("--sample", type=int, help="restrict to the fixed sample of N questions")
    args = ap.parse_args()
    data = json.load(sys.stdin)
    if "runs" in data:
        if not args.run:
            sys.exit("a --compare results JSON: say which configuration with --run NAME")
        data = next((r for r in data["runs"] if r["config"]["name"] == args.run), None)
        if data is None:
            sys.exit(f"no configuration {args.run!r} in the results")
    if str(data["config"].get("model_id", "")).startswith("fake"):
        sys.exit("refusing to save a baseline produced with a fake embedder")
    if args.sample:
        data = restrict(data, args.sample)
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    base = baseline_json(data)
    text = json.dumps({k: v for k, v in base.items() if k != "questions"}, ensure_ascii=False, indent=1)
    rows = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in base["questions"])
    out.write_text(text[:-2] + ',\n "questions": [\n' + rows + "\n ]\n}\n", encoding="utf-8")
    m = base["metrics"]
    print(
        f"{out}: "
        + ", ".join(
            f"{k} {m[k]}"
            for k in ("recall@5", "mrr", "ndcg@10", "answer_contains", "citation_precision", "refusal_accuracy")
        )
    )


if __name__ == "__main__":
    main()
