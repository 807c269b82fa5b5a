"""Save a results JSON (from `assistant eval FILE --json`, on stdin) as a committed baseline.

Per-question rows are trimmed to ids, ranks, scores and answer outcomes so the file stays small;
metrics, by_lang and config are kept whole. Usage (from the project root):
  assistant eval evals/seed.jsonl --json | .venv/bin/python evals/tools/save_baseline.py evals/baselines/seed.json
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from assistant.evaluate import baseline_json  # noqa: E402


def main(out: Path) -> None:
    data = json.load(sys.stdin)
    if "runs" in data:
        sys.exit("give the JSON of a single configuration (no --compare)")
    if str(data["config"].get("model_id", "")).startswith("fake"):
        sys.exit("refusing to save a baseline produced with a fake embedder")
    out.parent.mkdir(parents=True, exist_ok=True)
    base = baseline_json(data)
    text = json.dumps({k: v for k, v in base.items() if k != "questions"}, ensure_ascii=False, indent=1)
    rows = ",\n".join("  " + json.dumps(r, ensure_ascii=False) for r in base["questions"])
    out.write_text(text[:-2] + ',\n "questions": [\n' + rows + "\n ]\n}\n", encoding="utf-8")
    m = base["metrics"]
    print(f"{out}: " + ", ".join(f"{k} {m[k]}" for k in ("recall@5", "mrr", "ndcg@10", "answer_contains", "citation_precision", "refusal_accuracy")))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
