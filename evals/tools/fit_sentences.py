"""Fit the sentence model (which sentence the extractive answer quotes) on dumped evidence:

    .venv/bin/python evals/tools/dump_evidence.py /tmp/train.jsonl SET [SET ...] --sample 700 --skip 300 --asked-only
    .venv/bin/python evals/tools/fit_sentences.py /tmp/train.jsonl [--test /tmp/test.jsonl] [--write]

The model is a linear score over extractive.RANK_FEATURES, fitted listwise: for each answerable question,
a softmax over its candidate sentences, maximising the probability of the sentences that hold a gold
answer (each set weighs the same; L2 on standardised features; Adam). The window (a second sentence is
quoted when its score is within it of the best) maximises, averaged over the sets, the share of questions
whose quoted sentences hold a gold answer, among the windows that quote at most MEAN_SENTENCES sentences
per answer on average: an analyst reads every sentence, and more text always "contains" more.

Printed: leave-one-set-out results (fitted without the set it is measured on: what a set written by others
would see), and with --test, the fitted model on held-out questions beside the current model.
--skip 300 keeps the evaluation samples (`assistant eval --sample 300` takes the first 300 of the fixed
order) out of the fit.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.extractive import _MODEL_FILE, RANK_FEATURES, SentenceModel  # noqa: E402

MEAN_SENTENCES = 1.6  # sentences quoted per answer, on average over the sets (the hand-set window quoted 1.58)
WINDOWS = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0]
L2 = 1e-3
STEPS = 600
MAX_SENTENCES = 2  # Settings.max_answer_sentences default


def groups(path_list: list[Path]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(set, features [candidates x RANK_FEATURES], gold [candidates]) per answerable question."""
    out = []
    for p in path_list:
        for line in p.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if not r["answerable"] or not r["candidates"]:
                continue
            x = np.array([[float(c.get(k, 0.0)) for k in RANK_FEATURES] for c in r["candidates"]])
            out.append((r["set"], x, np.array([bool(c["gold"]) for c in r["candidates"]], float)))
    return out


def fit(data: list[tuple[str, np.ndarray, np.ndarray]]) -> np.ndarray:
    """Raw (unstandardised) weights over RANK_FEATURES."""
    rows = [(s, x, y) for s, x, y in data if y.sum() > 0]
    x = np.vstack([x for _, x, _ in rows])
    mu, sd = x.mean(0), x.std(0) + 1e-6
    x = (x - mu) / sd
    y = np.concatenate([y for _, _, y in rows])
    sizes = np.array([len(g) for _, _, g in rows])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    group = np.repeat(np.arange(len(rows)), sizes)
    per_set: dict[str, int] = defaultdict(int)
    for s, _, _ in rows:
        per_set[s] += 1
    weight = np.array([1.0 / (per_set[s] * len(per_set)) for s, _, _ in rows])  # each set weighs the same
    w = np.zeros(x.shape[1])
    m, v = np.zeros_like(w), np.zeros_like(w)
    for step in range(1, STEPS + 1):
        z = x @ w
        z = z - np.maximum.reduceat(z, starts)[group]
        p = np.exp(z)
        p /= np.add.reduceat(p, starts)[group]
        gold = p * y
        target = gold / np.add.reduceat(gold, starts)[group]
        grad = x.T @ ((p - target) * weight[group]) + L2 * w
        m, v = 0.9 * m + 0.1 * grad, 0.999 * v + 0.001 * grad * grad
        w -= 0.05 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w / sd


def measure(data, weights: np.ndarray, window: float) -> dict[str, tuple[float, float]]:
    """Per set: share of questions whose quoted sentences hold a gold answer, mean sentences quoted."""
    hit: dict[str, list[float]] = defaultdict(list)
    n: dict[str, list[int]] = defaultdict(list)
    for s, x, y in data:
        z = x @ weights
        order = np.argsort(-z, kind="stable")
        chosen = [order[0]] + [i for i in order[1:MAX_SENTENCES] if z[i] >= z[order[0]] - window]
        hit[s].append(float(y[chosen].max()))
        n[s].append(len(chosen))
    return {s: (float(np.mean(hit[s])), float(np.mean(n[s]))) for s in sorted(hit)}


def best_window(data, weights: np.ndarray) -> float:
    results = {w: measure(data, weights, w) for w in WINDOWS}
    within = [w for w, r in results.items() if np.mean([k for _, k in r.values()]) <= MEAN_SENTENCES] or [0.0]
    return max(within, key=lambda w: np.mean([h for h, _ in results[w].values()]))


def show(label: str, result: dict[str, tuple[float, float]]) -> None:
    cells = "  ".join(f"{s} {h:.3f} ({k:.2f})" for s, (h, k) in result.items())
    print(f"{label:28s} mean {np.mean([h for h, _ in result.values()]):.3f}  {cells}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dumps", nargs="+", type=Path)
    ap.add_argument("--test", nargs="*", type=Path, default=[])
    ap.add_argument("--write", action="store_true", help=f"save the model to {_MODEL_FILE.name}")
    args = ap.parse_args()
    data = groups(args.dumps)
    sets = sorted({s for s, _, _ in data})
    print(f"{len(data)} answerable questions, sets: {', '.join(sets)}")
    held: dict[str, tuple[float, float]] = {}
    for s in sets:  # leave one set out
        rest = [g for g in data if g[0] != s]
        w = fit(rest)
        held.update(measure([g for g in data if g[0] == s], w, best_window(rest, w)))
    show("leave-one-set-out", held)
    weights = fit(data)
    window = best_window(data, weights)
    show(f"fitted, window {window}", measure(data, weights, window))
    current = SentenceModel.load()
    cur_w = np.array([current.weights[k] for k in RANK_FEATURES])
    show("current model", measure(data, cur_w, current.window))
    if args.test:
        test = groups(args.test)
        show("held-out: fitted", measure(test, weights, window))
        show("held-out: current model", measure(test, cur_w, current.window))
    print("weights:", {k: round(float(v), 4) for k, v in zip(RANK_FEATURES, weights)})
    if args.write:
        about = {"fitted_by": "evals/tools/fit_sentences.py", "sets": sets, "questions": len(data), "mean_sentences": MEAN_SENTENCES,
                 "leave_one_set_out": {s: round(h, 3) for s, (h, _) in held.items()}}  # fmt: skip
        model = {
            "weights": {k: round(float(v), 5) for k, v in zip(RANK_FEATURES, weights)},
            "window": window,
            "about": about,
        }
        _MODEL_FILE.write_text(json.dumps(model, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {_MODEL_FILE}")


if __name__ == "__main__":
    main()
