"""The `assistant` command: click commands calling services; errors -> messages and exit codes."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import AssistantError
from .settings import Settings, settings_table
from .terminal import Bar, FileBars, format_answer, is_tty, streamed

if TYPE_CHECKING:
    pass

EPILOG = """\b
Examples:
  assistant ingest                      # index corpus/ (incremental)
  assistant ask "Đại sứ EU tại Việt Nam là ai?"
  assistant ask "Who is the EU ambassador to Vietnam?" --json
  assistant ask "Who is the EU ambassador to Vietnam?" --mode llm   # streamed on a terminal
  assistant ask --file questions.txt --json
  assistant ask --file questions.txt --export brief.docx   # or brief.md
  assistant docs
  assistant serve                       # the chat page on http://127.0.0.1:7860
"""


def _settings(**overrides) -> Settings:
    clean = {k: v for k, v in overrides.items() if v not in (None, (), [])}
    try:
        return Settings(**clean)
    except Exception as e:  # pydantic ValidationError: show it as a settings error
        raise click.UsageError(f"invalid setting: {e}") from e


def _app(settings: Settings):
    from .app import build

    return build(settings)


def _err(msg: str) -> None:
    click.echo(msg, err=True)


class Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AssistantError as e:
            if _debug():
                raise
            raise click.ClickException(str(e)) from e


def _debug() -> bool:
    """settings.debug (ASSISTANT_DEBUG), as the page reads it; read from the environment as pydantic
    would only when the settings themselves are what failed to load."""
    try:
        return Settings().debug
    except Exception:
        return os.environ.get("ASSISTANT_DEBUG", "").strip().lower() in ("1", "true", "yes", "on")


@click.group(cls=Group, epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="assistant")
def main() -> None:
    """Ask questions of your documents; every answer cites its paragraph."""


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def ingest(as_json: bool) -> None:
    """Sync corpus/ into index/: add new, re-index changed, purge deleted, detect renames."""
    app = _app(_settings())
    bar, ocr_bars = Bar("embedding"), FileBars("OCR", "pages")
    report = app.sync(progress=bar.update, log=_err, ocr_progress=ocr_bars.update)
    ocr_bars.close()
    bar.close()
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        return
    for _, line in report.lines():
        click.echo(line)
    click.echo(report.summary())


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def docs(as_json: bool) -> None:
    """List indexed documents: name, title, date, language, paragraphs, chunks, status."""
    rows = _app(_settings()).documents()
    if as_json:
        click.echo(json.dumps([r.to_json() for r in rows], ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("no documents indexed yet: put files into corpus/ and run `assistant ingest`")
        return
    for r in rows:
        status = r.status if r.indexed else f"skipped: {r.reason}"
        if r.ocr_pages:
            status += f" (OCR: pages {','.join(map(str, r.ocr_pages))})"
        click.echo(
            f"{r.name}\t{r.title[:60]}\t{r.date or '-'}\t{r.lang or '-'}\t{r.paragraphs} ¶\t{r.chunks} chunks\t{status}"
        )


@main.command()
@click.argument("question", required=False)
@click.option(
    "--file", "qfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="One question per line."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question on stdout.")
@click.option("--doc", "docs_", multiple=True, help="Only search this document (repeatable).")
@click.option("--lang", help="Only search documents in this language (vi, en, sv).")
@click.option("--date-from", help="Only documents dated on/after YYYY-MM-DD.")
@click.option("--date-to", help="Only documents dated on/before YYYY-MM-DD.")
@click.option("--retrieval", type=click.Choice(["hybrid", "dense", "lexical"]), help="Retrieval mode.")
@click.option("-k", "--top-k", type=int, help="Passages retrieved.")
@click.option("--mode", "answer_mode", type=click.Choice(["extractive", "llm"]), help="Answer mode.")
@click.option("--fallback", is_flag=True, default=None, help="In llm mode, answer extractively if the LLM fails.")
@click.option(
    "--export",
    "export_to",
    type=click.Path(path_type=Path),
    help="Also write the answers as a brief: FILE.docx (Word) or FILE.md (Markdown), quotes with references and permalinks.",
)
def ask(
    question, qfile, as_json, docs_, lang, date_from, date_to, retrieval, top_k, answer_mode, fallback, export_to
) -> None:
    """Answer QUESTION (or each line of --file) with cited quotes from the documents."""
    if not question and not qfile:
        raise click.UsageError("give a QUESTION or --file FILE")
    if export_to is not None:
        from .brief import check_target

        check_target(export_to)  # before any work: a wrong name or folder costs nothing
    settings = _settings(
        filter_docs=list(docs_),
        filter_lang=lang,
        date_from=date_from,
        date_to=date_to,
        retrieval_mode=retrieval,
        top_k=top_k,
        answer_mode=answer_mode,
        llm_fallback=fallback,
    )
    app = _app(settings)
    questions = (
        [question] if question else [q.strip() for q in qfile.read_text(encoding="utf-8").splitlines() if q.strip()]
    )
    live = not as_json and settings.answer_mode == "llm" and is_tty(sys.stderr)
    answers = []
    for q in questions:
        answer = streamed(app, q) if live else app.ask(q)
        answers.append(answer)
        if as_json:
            click.echo(json.dumps(answer.to_json(), ensure_ascii=False))
        else:
            click.echo(format_answer(answer))
    if export_to is not None:
        from .brief import export

        title = f"Brief: {qfile.name}" if qfile else "Brief"
        _err(f"brief written to {export(app.brief(answers, title), export_to)} ({len(answers)} questions)")


@main.command(name="settings")
@click.option("--json", "as_json", is_flag=True, help="Current values as JSON.")
def settings_cmd(as_json: bool) -> None:
    """Print every setting (env ASSISTANT_*, or assistant.toml) with its default and meaning."""
    if as_json:
        click.echo(_settings().model_dump_json(indent=1))
    else:
        click.echo(settings_table())


@main.command()
@click.option("--host", help="Bind address (default 127.0.0.1).")
@click.option("--port", type=int, help="Port (default 7860).")
def serve(host, port) -> None:
    """Start the chat page."""
    from .web.server import serve as run

    run(_settings(host=host, port=port))


@main.command()
def watch() -> None:
    """Keep index/ in sync with corpus/: index files as they are dropped, changed, renamed or deleted."""
    import time

    from .watch import CorpusWatcher

    settings = _settings()
    app = _app(settings)
    _print_report(app.sync(log=_err))
    watcher = CorpusWatcher(app, settings.watch_debounce_s, on_sync=_print_report).start()
    _err(f"watching {settings.corpus_dir} (Ctrl+C to stop)")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        watcher.stop()


def _print_report(report) -> None:
    for _, line in report.lines():
        _err(f"sync: {line}")
    _err(f"sync: {report.summary()}")


EVAL_EPILOG = """\b
Examples:
  assistant eval evals/seed.jsonl                      # progress bar, then a table of metrics
  assistant eval evals/xquad-vi.jsonl --corpus evals/xquad-vi/corpus --json
  assistant eval evals/seed.jsonl --compare dense,lexical,hybrid,llamaindex-default
  assistant eval evals/seed.jsonl --baseline evals/baselines/seed.json --fail-under 0.02
  assistant eval evals/seed.jsonl --report out/       # report.md, results.jsonl, PNG plots
  assistant eval ../shared/bench/vinewsqa-vi --sample 200   # a development set folder, fixed sample
  assistant eval ../shared/bench/viquad2-vi --sample 300 --gold-removed   # also: refused once the gold document is gone?
"""


@main.command(name="eval", epilog=EVAL_EPILOG)
@click.argument("qfile", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--corpus",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Evaluate against this corpus, in its own index (the user's index is not touched).",
)
@click.option(
    "--json", "as_json", is_flag=True, help='Print the results JSON on stdout ({"runs": [...]} with --compare).'
)
@click.option(
    "--compare",
    help="Comma-separated configurations run over the same questions: dense, lexical, hybrid, llamaindex-default.",
)
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Results JSON to compare against (e.g. evals/baselines/seed.json).",
)
@click.option(
    "--fail-under",
    type=float,
    default=None,
    help="With --baseline: exit 1 if a gated metric dropped by more than this (absolute; default 0).",
)
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write report.md, results.jsonl and PNG plots into this folder.",
)
@click.option(
    "--sample",
    "n_sample",
    type=click.IntRange(min=1),
    default=None,
    help="Evaluate a fixed sample of N questions (the same ones on every run).",
)
@click.option(
    "--gold-removed",
    is_flag=True,
    help="Also ask each answerable question with its gold document(s) filtered out: the corpus then does "
    "not answer it (a near-topic unanswerable question); reports gold_removed_refusal.",
)
def eval_cmd(qfile, corpus, as_json, compare, baseline, fail_under, report_dir, n_sample, gold_removed) -> None:
    """Score a question file (JSON lines) or a development-set folder (questions.jsonl + corpus/):
    retrieval, answers, citations, refusals, latency."""
    from .measure.evaluate import CONFIGS, check_baseline, evaluate_file
    from .measure.questions import is_bench_folder
    from .measure.report import class_table, language_table, metrics_table

    if fail_under is not None and baseline is None:
        raise click.UsageError("--fail-under needs --baseline FILE")
    names = [n.strip() for n in compare.split(",") if n.strip()] if compare else [""]
    unknown = [n for n in names if n and n not in CONFIGS]
    if unknown:
        raise click.UsageError(
            f"unknown configuration(s) for --compare: {', '.join(unknown)}; choose from {', '.join(CONFIGS)}"
        )
    base = None
    if baseline is not None:
        try:
            base = json.loads(baseline.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise click.UsageError(f"cannot read baseline {baseline}: {e}") from e
    app = _app(_settings())
    sync_bar, bar = Bar("indexing"), Bar("evaluating")
    if qfile.is_dir() and not is_bench_folder(qfile):
        raise click.UsageError(
            f"{qfile} is a folder but not a development set: it needs questions.jsonl and corpus/ inside"
        )
    results, _ = evaluate_file(
        app, qfile, names, corpus, sync_progress=sync_bar.update, progress=bar.update, log=_err, n_sample=n_sample,
        gold_removed=gold_removed,
    )  # fmt: skip
    sync_bar.close()
    bar.close()
    if report_dir is not None:
        from .measure.report import write_report

        files = write_report(results, report_dir, title=f"Evaluation of {qfile.name}")
        _err(f"report written: {', '.join(str(f) for f in files)}")
    if as_json:
        out = results[0].to_json() if len(results) == 1 else {"runs": [r.to_json() for r in results]}
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        click.echo(metrics_table(results))
        for res in results:
            if res.by_lang and len(res.by_lang) > 1:
                click.echo(f"\nby language ({res.name}):\n{language_table(res)}")
            if res.by_class:
                click.echo(f"\nby class ({res.name}):\n{class_table(res)}")
    if base is not None:
        name, regressed = check_baseline(results, base, fail_under or 0.0)
        if regressed:
            _err(f"regression against {baseline} ({name}):\n  " + "\n  ".join(regressed))
            raise SystemExit(1)
        _err(f"no gated metric dropped by more than {fail_under or 0.0} against {baseline} ({name})")


DOCTOR_EPILOG = """\b
Examples:
  assistant doctor                 # check index/ against corpus/ and the manifest, repair what is wrong
  assistant doctor --check-only    # only report (exit 1 when something is wrong)
  assistant doctor --json
"""


@main.command(epilog=DOCTOR_EPILOG)
@click.option("--json", "as_json", is_flag=True, help="Print the findings and repairs as JSON on stdout.")
@click.option("--check-only", is_flag=True, help="Report what is wrong without changing anything.")
def doctor(as_json: bool, check_only: bool) -> None:
    """Check index/ against corpus/ and the manifest; say what is wrong and how it was fixed."""
    from .doctor import run

    app = _app(_settings())
    bar = Bar("re-indexing")
    report = run(app, fix=not check_only, log=_err, progress=bar.update)
    bar.close()
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        counts = ", ".join(f"{v} {k}" for k, v in report.counts.items())
        if not report.findings:
            click.echo(f"index is healthy ({counts})")
        for f in report.findings:
            click.echo(f"problem   {f.detail}")
            if not check_only:
                click.echo(f"  fixed:  {f.fix}" if f.fixed else "  NOT fixed")
        for f in report.remaining:
            click.echo(f"still wrong: {f.detail}")
    if (check_only and report.findings) or report.remaining:
        raise SystemExit(1)


BENCH_EPILOG = """\b
Examples:
  assistant bench                          # 1,000 and 10,000 chunks: a table on stdout
  assistant bench --chunks 1000 --json
  assistant bench --chunks 1000,10000,100000   # 100k embeds for hours the first time (vectors are cached)
"""


@main.command(epilog=BENCH_EPILOG)
@click.option("--chunks", default="1000,10000", show_default=True, help="Comma-separated corpus sizes in chunks.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON on stdout.")
@click.option("--no-cache", is_flag=True, help="Embed every chunk (ignore vectors cached by earlier bench runs).")
def bench(chunks: str, as_json: bool, no_cache: bool) -> None:
    """Measure ingest, resync, query latency, memory and cold start on generated Vietnamese corpora."""
    from .measure.bench import format_table, run, to_json

    try:
        sizes = sorted({int(c.replace("_", "")) for c in chunks.split(",") if c.strip()})
    except ValueError as e:
        raise click.UsageError(f"--chunks takes comma-separated numbers, e.g. 1000,10000: {e}") from e
    if not sizes or min(sizes) < 10:
        raise click.UsageError("--chunks: each size must be at least 10")
    result = run(sizes, _settings(), use_cache=not no_cache, log=_err)
    if as_json:
        click.echo(json.dumps(to_json(result), ensure_ascii=False))
        return
    click.echo(format_table(result["sizes"]))
    host = result["host"]
    click.echo(
        f"\n{host['cpus']} cpus, load average {host['load_avg']}; model {result['model_id']} ({result['embed_backend']})"
    )
    for r in result["sizes"]:
        if r.get("overhead_estimated"):
            click.echo(f"{r['chunks']:,} chunks: {r['cached_fraction']:.0%} of the vectors came from the bench cache; "
                       "the ratio is estimated from the time outside the encoder.")  # fmt: skip


if __name__ == "__main__":
    main()
