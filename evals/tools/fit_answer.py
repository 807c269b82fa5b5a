"""Fit the answer step on dumped evidence (dump_evidence.py): sentence weights, then the answerability
model and its operating point. Prints the curve and leave-one-set-out results; --write saves
assistant/answerability.json (the sentence weights are printed for extractive.WEIGHTS).

    .venv/bin/python evals/tools/fit_answer.py /tmp/dump-*.jsonl [--write]

Sentence weights: a grid over extractive.WEIGHTS maximising, averaged over the sets (each counts the
same), the share of answerable questions whose quoted sentences hold a gold answer.
Answerability: logistic regression (numpy, L2) over support.FEATURES, labels answerable (1) vs
unanswerable or gold document removed (0), each set and class weighted equally. The threshold is the
highest at which no set refuses more than MAX_FALSE_REFUSALS of its answerable questions.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.extractive import score as extractive_score  # noqa: E402
from assistant.support import FEATURES  # noqa: E402

MAX_FALSE_REFUSALS = 0.04
GRID = {
    "passage": [0.0, 0.1, 0.2, 0.3, 0.5, 0.8],
    "coverage": [0.0, 0.1, 0.2, 0.3, 0.5],
    "anchors": [0.0, 0.1, 0.2],
    "kind_match": [0.0, 0.03, 0.06, 0.1],
    "short": [0.0, 0.1],
}
WINDOWS = [0.0, 0.02, 0.05]


def load(paths: list[Path]) -> list[dict]:
    out = []
    for p in paths:
        out += [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def score(c: dict, w: dict) -> float:
    """extractive.score on a dumped candidate (a dump from before `cross` was recorded counts as same-language)."""
    return extractive_score(SimpleNamespace(**{"cross": 0.0, **c}), {"sim": 1.0, **w})


def chosen(cands: list[dict], w: dict, window: float, max_sentences: int = 2) -> list[dict]:
    if not cands:
        return []
    ranked = sorted(cands, key=lambda c: -score(c, w))
    top = score(ranked[0], w)
    return [ranked[0]] + [c for c in ranked[1:max_sentences] if score(c, w) >= top - window]


def answer_accuracy(rows: list[dict], w: dict, window: float) -> dict[str, float]:
    by: dict[str, list[bool]] = defaultdict(list)
    for r in rows:
        if r["kind"] == "asked" and r["answerable"]:
            by[r["set"]].append(any(c["gold"] for c in chosen(r["candidates"], w, window)))
    return {s: float(np.mean(v)) for s, v in by.items()}


def fit_sentences(rows: list[dict]) -> tuple[dict, float]:
    best = (-1.0, None, None)
    keys = list(GRID)
    for values in itertools.product(*(GRID[k] for k in keys)):
        w = dict(zip(keys, values))
        for window in WINDOWS:
            acc = answer_accuracy(rows, w, window)
            mean = float(np.mean(list(acc.values())))
            if mean > best[0]:
                best = (mean, w, window)
    return best[1], best[2]


def features(r: dict, w: dict, window: float) -> np.ndarray:
    """The row's answerability features, the sentence ones recomputed for the fitted weights."""
    f = dict(r["features"])
    ch = chosen(r["candidates"], w, window)
    if ch:
        f["sentence"], f["sentence_coverage"], f["kind_match"] = ch[0]["sim"], ch[0]["coverage"], ch[0]["kind_match"]
    return np.array([f.get(k, 0.0) for k in FEATURES], dtype=np.float64)


def logistic(X: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float = 1e-3, steps: int = 3000) -> np.ndarray:
    """Weighted L2 logistic regression by Newton steps (the last column is the bias, not penalised)."""
    theta = np.zeros(X.shape[1])
    reg = np.full(X.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(min(steps, 50)):
        p = 1 / (1 + np.exp(-np.clip(X @ theta, -50, 50)))
        grad = X.T @ (weights * (p - y)) + reg * theta
        H = (X * (weights * p * (1 - p))[:, None]).T @ X + np.diag(reg) + 1e-9 * np.eye(X.shape[1])
        theta -= np.linalg.solve(H, grad)
    return theta


def sample_weights(rows: list[dict], y: np.ndarray) -> np.ndarray:
    """Each (set, label) group weighs the same in total."""
    groups: dict[tuple[str, int], int] = defaultdict(int)
    for r, label in zip(rows, y):
        groups[(r["set"], int(label))] += 1
    return np.array([1.0 / groups[(r["set"], int(label))] for r, label in zip(rows, y)])


def rates(rows: list[dict], p: np.ndarray, t: float) -> dict[str, dict[str, float]]:
    """Per set: false refusals (answerable refused), refusals of unanswerable and of removed-gold questions."""
    out: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for r, prob in zip(rows, p):
        refused = prob < t or not r["entities_ok"]
        key = (
            "false_refusal"
            if r["answerable"]
            else ("refused_unanswerable" if r["kind"] == "asked" else "refused_removed")
        )
        out[r["set"]][key].append(refused)
    return {s: {k: round(float(np.mean(v)), 3) for k, v in d.items()} for s, d in out.items()}


def pick_threshold(rows: list[dict], p: np.ndarray) -> float:
    """The highest threshold at which the model adds at most MAX_FALSE_REFUSALS false refusals to any set
    (beyond those of the named-entity rule, which refuses whatever the threshold)."""
    base = rates(rows, p, 0.0)
    best = 0.0
    for t in np.linspace(0.01, 0.99, 99):
        r = rates(rows, p, float(t))
        if all(
            v.get("false_refusal", 0.0) - base[s].get("false_refusal", 0.0) <= MAX_FALSE_REFUSALS for s, v in r.items()
        ):
            best = float(t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dumps", nargs="+", type=Path)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--weights", help="sentence weights as JSON (skip the grid), e.g. from a previous fit")
    args = ap.parse_args()
    rows = load(args.dumps)
    sets = sorted({r["set"] for r in rows})
    if args.weights:
        w, window = json.loads(args.weights), 0.05
    else:
        w, window = fit_sentences(rows)
    print("sentence weights", w, "window", window)
    print(
        "answer accuracy (quoted sentences hold a gold answer):",
        {k: round(v, 3) for k, v in answer_accuracy(rows, w, window).items()},
    )
    before = {"passage": 0.25, "coverage": 0.2, "anchors": 0.1, "kind_match": 0.08, "short": 0.1}
    print("with the first guess:", {k: round(v, 3) for k, v in answer_accuracy(rows, before, 0.05).items()})

    X = np.stack([features(r, w, window) for r in rows])
    y = np.array([1.0 if r["answerable"] else 0.0 for r in rows])
    # leave one set out: fitted without it, threshold picked without it, measured on it
    print("\nleave-one-set-out (fitted and thresholded on the other sets):")
    for s in sets:
        train = np.array([r["set"] != s for r in rows])
        theta = logistic(X[train], y[train], sample_weights([r for r, m in zip(rows, train) if m], y[train]))
        p = 1 / (1 + np.exp(-X @ theta))
        t = pick_threshold([r for r, m in zip(rows, train) if m], p[train])
        print(f"  {s:<20} t={t:.2f}", rates([r for r, m in zip(rows, ~train) if m], p[~train], t)[s])
    theta = logistic(X, y, sample_weights(rows, y))
    p = 1 / (1 + np.exp(-X @ theta))
    t = pick_threshold(rows, p)
    print("\nall sets: weights", dict(zip(FEATURES, np.round(theta, 3))), "threshold", round(t, 2))
    for s, v in sorted(rates(rows, p, t).items()):
        print(f"  {s:<20}", v)
    print("\ncurve (threshold: mean false refusal / mean refusal of unanswerable+removed):")
    for tt in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        r = rates(rows, p, tt)
        fr = np.mean([v["false_refusal"] for v in r.values() if "false_refusal" in v])
        rr = np.mean([v[k] for v in r.values() for k in ("refused_unanswerable", "refused_removed") if k in v])
        print(f"  {tt:.1f}: {fr:.3f} / {rr:.3f}")
    if args.write:
        out = ROOT / "assistant" / "answerability.json"
        about = {
            "fitted_by": "evals/tools/fit_answer.py", "sets": sets, "rows": len(rows),
            "sentence_weights": w, "window": window, "max_false_refusals_per_set": MAX_FALSE_REFUSALS,
            "rates_at_threshold": rates(rows, p, t),
        }  # fmt: skip
        out.write_text(
            json.dumps(
                {
                    "weights": dict(zip(FEATURES, [round(float(v), 4) for v in theta])),
                    "threshold": round(t, 3),
                    "about": about,
                },
                indent=1,
            )
            + "\n",
            encoding="utf-8",
        )
        print("written", out)


if __name__ == "__main__":
    main()
