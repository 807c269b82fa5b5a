"""Precision and recall of corroboration ("also in") on labelled pairs of the seed documents.

    python evals/corroboration.py [--pairs evals/corroboration_pairs.jsonl] [--index DIR] [--json]

Each pair is a quote (a sentence of doc a, paragraph n) and a paragraph of another document, labelled
`same` when both state the same fact. Predicted same: the paragraph is among the quote's corroborations.
Precision and recall over the labelled pairs, at the default threshold and a sweep; the index of the
seed corpus is built with the real model in a temporary folder unless --index names one.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import corroborate as co  # noqa: E402
from assistant.app import build  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.types import Citation  # noqa: E402

THRESHOLDS = (0.80, 0.81, 0.815, 0.82, 0.83, 0.84, 0.85, 0.86)
SAME = (0.9, 0.92, 0.93, 0.94, 0.96)
SLACKS = (None, 0.0, 0.01, 0.02)


def load_pairs(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def citation_of(app, a: dict) -> Citation:
    """The citation a labelled quote would be: verbatim, located in its paragraph."""
    para = next(p for p in app.index.paragraphs(a["doc"]) if p.n == a["paragraph"])
    at = para.text.find(a["quote"])
    if at < 0:
        raise SystemExit(f"{a['doc']} ¶{a['paragraph']}: the labelled quote is not in the paragraph")
    return Citation(
        1, a["doc"], a["paragraph"], para.page, a["quote"], para.start + at, para.start + at + len(a["quote"]), 1.0
    )


def measure(
    app,
    pairs: list[dict],
    threshold: float,
    same: float = co.MIN_SIMILARITY_SAME,
    slack: float | None = co.MUTUAL_SLACK,
) -> dict:
    """Counts, precision, recall and ms per quote at one threshold."""
    tp = fp = fn = tn = 0
    ms = []
    for p in pairs:
        t = time.perf_counter()
        found = co.corroborate(
            citation_of(app, p["a"]),
            app.embedder,
            app.index,
            min_similarity=threshold,
            min_similarity_same=same,
            mutual_slack=slack,
        )
        ms.append((time.perf_counter() - t) * 1000)
        hit = any(c.doc == p["b"]["doc"] and c.paragraph == p["b"]["paragraph"] for c in found)
        tp, fp, fn, tn = (
            tp + (hit and p["same"]),
            fp + (hit and not p["same"]),
            fn + (not hit and p["same"]),
            tn + (not hit and not p["same"]),
        )
    return {
        "threshold": threshold, "same_language_threshold": same, "mutual_slack": slack, "tp": tp, "fp": fp, "fn": fn, "tn": tn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None, "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "ms_per_quote_p50": round(sorted(ms)[len(ms) // 2], 1),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pairs", type=Path, default=ROOT / "evals" / "corroboration_pairs.jsonl")
    ap.add_argument("--index", type=Path, help="An index of the seed corpus (default: built in a temporary folder).")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    pairs = load_pairs(args.pairs)
    with tempfile.TemporaryDirectory() as tmp:
        app = build(Settings(corpus_dir=ROOT / "corpus", index_dir=args.index or Path(tmp) / "index"))
        app.sync()
        app.index.refresh()
        rows = [measure(app, pairs, t) for t in THRESHOLDS]
        rows += [measure(app, pairs, co.MIN_SIMILARITY, same=v) for v in SAME if v != co.MIN_SIMILARITY_SAME]
        rows += [measure(app, pairs, co.MIN_SIMILARITY, slack=v) for v in SLACKS if v != co.MUTUAL_SLACK]
    default = rows[THRESHOLDS.index(co.MIN_SIMILARITY)]
    result = {"pairs": len(pairs), "same": sum(p["same"] for p in pairs), "default": default, "sweep": rows}
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"{len(pairs)} labelled pairs ({result['same']} same fact); defaults: across languages {co.MIN_SIMILARITY}, "
        f"within one {co.MIN_SIMILARITY_SAME}, mutual slack {co.MUTUAL_SLACK}"
    )
    for r in rows:
        print(
            f"  {r['threshold']:.3f} / {r['same_language_threshold']:.2f} / {r['mutual_slack']}: precision {r['precision']}  recall {r['recall']}  (tp {r['tp']} fp {r['fp']} fn {r['fn']} tn {r['tn']}), {r['ms_per_quote_p50']} ms a quote"
        )


if __name__ == "__main__":
    main()
