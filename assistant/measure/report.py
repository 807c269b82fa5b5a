"""`assistant eval --report DIR`: report.md, results.jsonl and PNG plots (the only module using matplotlib).

Plots use matplotlib's object API on the Agg canvas (no pyplot, no global backend switch).
"""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import K_RETRIEVE, recall_curve
from .results import EvalRun

TABLE_KEYS = (
    "recall@1", "recall@5", "recall@10", "mrr", "ndcg@10", "answer_contains", "answered_rate",
    "citation_precision", "citation_recall", "verified_quote_rate", "refusal_accuracy", "false_refusal_rate",
    "wrong_answer_rate", "latency_p50_ms", "latency_p95_ms", "latency_retrieve_p50_ms", "latency_answer_p50_ms",
)  # fmt: skip
NODE_KEYS = ("node_recall@1", "node_recall@5", "node_mrr")  # llama-index: gold paragraph anywhere in a node
REMOVED_KEYS = ("gold_removed_refusal",)  # --gold-removed
LANG_KEYS = ("recall@5", "mrr", "answer_contains", "citation_precision", "refusal_accuracy")
CLASS_KEYS = (
    "recall@5",
    "answer_contains",
    "citation_precision",
    "refusal_accuracy",
    "false_refusal_rate",
    "wrong_answer_rate",
)


def fmt(v) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 10 else f"{v:.3f}"
    return str(v)


def metrics_table(results: list[EvalRun], keys=TABLE_KEYS, markdown: bool = False) -> str:
    """Metrics (rows) by configuration (columns), plain text or Markdown."""
    names = [r.name for r in results]
    keys = tuple(keys) + tuple(k for k in NODE_KEYS + REMOVED_KEYS if any(k in r.metrics for r in results))
    rows = [["metric", *names]] + [[k, *(fmt(r.metrics.get(k)) for r in results)] for k in keys]
    rows.append(
        ["questions", *(f"{r.metrics['questions']} ({r.metrics['unanswerable']} unanswerable)" for r in results)]
    )
    return _table(rows, markdown)


def language_table(res: EvalRun, keys=LANG_KEYS, markdown: bool = False) -> str:
    """One configuration's metrics by question language."""
    return _group_table(res.by_lang, keys, markdown)


def class_table(res: EvalRun, keys=CLASS_KEYS, markdown: bool = False) -> str:
    """One configuration's metrics by question class (res.by_class must not be empty)."""
    return _group_table(res.by_class, keys, markdown)


def _group_table(groups: dict[str, dict], keys, markdown: bool) -> str:
    names = list(groups)
    rows = [["metric", *names]] + [[k, *(fmt(groups[g].get(k)) for g in names)] for k in keys]
    rows.append(["questions", *(str(groups[g]["questions"]) for g in names)])
    return _table(rows, markdown)


def curve_table(res: EvalRun, markdown: bool = False) -> str:
    """The refusal curve (res.refusal_curve must not be empty), the run's own threshold marked."""
    own = res.config.get("min_score")
    cols = ["refusal_accuracy", "false_refusal_rate"] + [k for k in REMOVED_KEYS if k in res.refusal_curve[0]]
    rows = [["threshold", *cols]] + [
        [f"{fmt(p['threshold'])}{' (this run)' if p['threshold'] == own else ''}", *(fmt(p[c]) for c in cols)]
        for p in res.refusal_curve
    ]
    return _table(rows, markdown)


def _table(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        head, *body = rows
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows
    )


def write_report(results: list[EvalRun], out: Path, title: str = "Evaluation") -> list[Path]:
    """Write report.md, results.jsonl and the plots into `out`; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    jsonl = out / "results.jsonl"
    with jsonl.open("w", encoding="utf-8") as f:
        for res in results:
            for row in res.questions:
                f.write(json.dumps({"config": res.name, **row.to_json()}, ensure_ascii=False) + "\n")
    plots = [
        plot_recall_curve(results, out / "recall_at_k.png"),
        plot_latency(results, out / "latency.png"),
        plot_by_language(results, out / "by_language.png"),
    ]
    if any(r.refusal_curve for r in results):
        plots.append(plot_refusal_curve(results, out / "refusal_curve.png"))
    md = out / "report.md"
    md.write_text(_markdown(results, title, plots), encoding="utf-8")
    return [md, jsonl, *plots]


def _markdown(results: list[EvalRun], title: str, plots: list[Path]) -> str:
    first = results[0].config
    parts = [
        f"# {title}",
        "",
        f"Questions: {results[0].metrics['questions']} ({results[0].metrics['unanswerable']} unanswerable); "
        f"corpus `{first['corpus_dir']}`; model `{first['model_id']}`; ranking metrics over the top {K_RETRIEVE} hits "
        "deduplicated by (doc, paragraph).",
        "",
        "## Metrics",
        "",
        metrics_table(results, markdown=True),
        "",
    ]
    for res in results:
        parts += [f"## By language: {res.name}", "", language_table(res, markdown=True), ""]
        if res.by_class:
            parts += [f"## By class: {res.name}", "", class_table(res, markdown=True), ""]
        if res.refusal_curve:
            parts += [
                f"## Refusal curve: {res.name}",
                "",
                "Both error directions as the answerability model's threshold moves (questions it did not "
                "decide keep their outcome; one whose named entities, amounts or persons are missing stays "
                "refused).",
                "",
                curve_table(res, markdown=True),
                "",
            ]
    parts += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in plots] + [""]
    for res in results:
        misses = [r for r in res.questions if r.ranked and r.rank is None][:15]
        wrong = [r for r in res.questions if r.answered is True and not r.answerable][:15]
        refused = [r for r in res.questions if r.answered is False and r.answerable][:15]
        if misses or wrong or refused:
            parts += [f"## Failures: {res.name} (first 15 of each)", ""]
        for label, rows in (
            ("gold paragraph not in the top 10", misses),
            ("answered an unanswerable question", wrong),
            ("refused an answerable question", refused),
        ):
            if rows:
                parts += (
                    [f"**{label}** ({len(rows)} shown)", ""]
                    + [f"- `{r.id}` ({r.lang or '?'}): {r.question.question}" for r in rows]
                    + [""]
                )
    return "\n".join(parts)


def _figure(width: float = 7, height: float = 4.2):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110)
    FigureCanvasAgg(fig)
    return fig


def plot_recall_curve(results: list[EvalRun], path: Path) -> Path:
    """recall@k for k = 1..10, one line per configuration."""
    fig = _figure()
    ax = fig.add_subplot()
    ks = list(range(1, K_RETRIEVE + 1))
    for res in results:
        curve = recall_curve(res.questions)
        if any(curve):
            line = ax.plot(ks, curve, marker="o", label=res.name)[0]
            nodes = recall_curve(res.questions, nodes=True)
            if any(nodes):
                ax.plot(
                    ks,
                    nodes,
                    marker=".",
                    linestyle="--",
                    color=line.get_color(),
                    label=f"{res.name}: gold ¶ anywhere in the node",
                )
    ax.set(xlabel="k (top-k paragraphs)", ylabel="recall@k", title="Recall@k: gold paragraph in the top k", xticks=ks)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_refusal_curve(results: list[EvalRun], path: Path) -> Path:
    """Refusal curve: unanswerable questions refused against answerable ones refused, one line per
    configuration, its own threshold circled; with no unanswerable question, false refusals by threshold."""
    fig = _figure()
    ax = fig.add_subplot()
    both = any(
        p.get(k) is not None for r in results for p in r.refusal_curve for k in ("refusal_accuracy", *REMOVED_KEYS)
    )
    for res in results:
        pts = [p for p in res.refusal_curve if p["false_refusal_rate"] is not None]
        if not pts:
            continue
        if not both:
            xs, ys = [p["threshold"] for p in pts], [p["false_refusal_rate"] for p in pts]
            ax.plot(xs, ys, marker=".", label=res.name)
            continue
        for key, label, style in (
            ("refusal_accuracy", "unanswerable", "-"),
            ("gold_removed_refusal", "gold removed", "--"),
        ):
            sel = [p for p in pts if p.get(key) is not None]
            if not sel:
                continue
            xs, ys = [p["false_refusal_rate"] for p in sel], [p[key] for p in sel]
            line = ax.plot(xs, ys, marker=".", linestyle=style, label=f"{res.name}: {label}")[0]
            own = [i for i, p in enumerate(sel) if p["threshold"] == res.config.get("min_score")]
            if own:
                ax.plot([xs[own[0]]], [ys[own[0]]], "o", markersize=11, fillstyle="none", color=line.get_color(),
                        label=f"{res.name}: threshold {res.config['min_score']:g}")  # fmt: skip
    if both:
        ax.set(
            xlabel="false refusals (answerable questions refused)",
            ylabel="questions refused",
        )
        ax.set_xlim(0, 1.02)
    else:
        ax.set(xlabel="answerability threshold", ylabel="false refusals (answerable questions refused)")
    ax.set_ylim(0, 1.02)
    ax.set_title("Refusal curve: both error directions by threshold")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_latency(results: list[EvalRun], path: Path) -> Path:
    """Distribution of per-question total latency, one histogram per configuration (log scale)."""
    import numpy as np

    fig = _figure()
    ax = fig.add_subplot()
    values = {r.name: [q.timings_ms["total"] for q in r.questions if q.timings_ms.get("total")] for r in results}
    allv = [v for vs in values.values() for v in vs]
    if allv:
        bins = np.geomspace(max(min(allv), 0.1), max(allv) * 1.05 + 0.1, 40)
        for name, vs in values.items():
            if vs:
                ax.hist(vs, bins=bins, histtype="step", linewidth=1.6, label=f"{name} (p50 {np.median(vs):.0f} ms)")
        ax.set_xscale("log")
        ax.legend()
    ax.set(
        xlabel="latency per question, ms (log scale)",
        ylabel="questions",
        title="Latency: retrieval + answer per question",
    )
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_by_language(results: list[EvalRun], path: Path) -> Path:
    """Per-language bars for recall@5, answer_contains and refusal accuracy, one bar per configuration."""
    import numpy as np

    keys = [k for k in ("recall@5", "mrr", "answer_contains", "refusal_accuracy") if any(_lang_values(results, k))]
    langs = sorted({lg for r in results for lg in r.by_lang})
    fig = _figure(3.2 * max(len(keys), 1) + 1, 4)
    width = 0.8 / max(len(results), 1)
    x = np.arange(len(langs))
    for j, key in enumerate(keys):
        ax = fig.add_subplot(1, len(keys), j + 1)
        for i, res in enumerate(results):
            vals = [res.by_lang.get(lg, {}).get(key) for lg in langs]
            if all(v is None for v in vals):
                continue
            ax.bar(x + i * width - 0.4 + width / 2, [v or 0 for v in vals], width, label=res.name)
        n = [max(r.by_lang.get(lg, {}).get("questions", 0) for r in results) for lg in langs]
        ax.set_xticks(x, [f"{lg}\n(n={c})" for lg, c in zip(langs, n)])
        ax.set_ylim(0, 1.05)
        ax.set_title(key)
        ax.grid(axis="y", alpha=0.3)
    if keys:
        handles, labels = fig.axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="upper right", ncol=len(labels), fontsize=8)
    fig.suptitle("By question language", x=0.02, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    fig.savefig(path)
    return path


def _lang_values(results: list[EvalRun], key: str):
    return [v for r in results for m in r.by_lang.values() if (v := m.get(key)) is not None]
