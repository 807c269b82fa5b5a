"""What the commands print on a terminal: an answer with its sources, an LLM draft as it streams, progress
bars on stderr. (cli.py holds the commands and their options.)"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from .gloss import LABEL as GLOSS_LABEL

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

    from .app import App
    from .types import Answer


def is_tty(stream) -> bool:
    return hasattr(stream, "isatty") and stream.isatty()


def streamed(app: App, question: str) -> Answer:
    """Ask with the LLM's text printed to stderr as it is written (a draft: the checked answer, with its
    sources, follows on stdout); returns the final Answer."""
    from .types import Answer

    answer, drafting = None, False
    for event in app.ask_stream(question):
        if isinstance(event, Answer):
            answer = event
            continue
        if not drafting:
            click.echo(click.style("LLM draft (checked below): ", dim=True), err=True, nl=False)
            drafting = True
        click.echo(click.style(event, dim=True), err=True, nl=False)
    if drafting:
        click.echo("", err=True)
    if answer is None:  # App.ask_stream always ends with an Answer
        raise RuntimeError(f"the answer to {question!r} ended without an Answer")
    return answer


def format_answer(answer) -> str:
    """Human output: the answer, then numbered sources with their quotes (and where else they are stated)."""
    from .brief import also_in_label

    lines = [answer.answer, ""]
    if answer.answered:
        for c in answer.citations:
            page = f" p.{c.page}" if c.page else ""
            ocr = " (OCR text of the scanned page)" if c.ocr else ""
            lines.append(f'[{c.n}] {c.doc} ¶{c.paragraph}{page}{ocr} — "{c.quote}"')
            if c.gloss:
                lines.append(f"    {GLOSS_LABEL}: {c.gloss}")
            if c.corroborated_by:
                lines.append(
                    "    also in: " + ", ".join(also_in_label(o.doc, o.paragraph, o.lang) for o in c.corroborated_by)
                )
    elif answer.hits:
        from .refusal import NEAREST

        lines.append(NEAREST.get(answer.language, NEAREST["en"]) + ":")
        for h in answer.hits[:3]:
            lines.append(f"  {h.chunk.doc} ¶{h.chunk.paragraph} — {h.chunk.text[:140]}…")
    for r in answer.removed:
        markers = "".join(f"[{n}]" for n in r.markers)
        what = f'{markers} removed from "{r.text}"' if r.sentence_kept else f'removed: "{r.text}" {markers}'.rstrip()
        lines.append(f"{what} — {r.reason}")
    lines.append(f"({answer.mode}, {answer.timings_ms.get('total', 0):.0f} ms)")
    return "\n".join(lines)


class Bar:
    """A progress bar on stderr that appears only when there is work."""

    def __init__(self, label: str):
        self.label = label
        self.bar: ProgressBar[int] | None = None
        self.last = 0

    def update(self, done: int, total: int) -> None:
        if total == 0:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr, show_pos=True)
            self.bar.__enter__()
        self.bar.update(done - self.last)
        self.last = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


class FileBars:
    """One progress bar per file (OCR pages of each scanned PDF), on stderr."""

    def __init__(self, label: str, unit: str):
        self.label, self.unit = label, unit
        self.name: str | None = None
        self.bar: Bar | None = None

    def update(self, name: str, done: int, total: int) -> None:
        if name != self.name or self.bar is None:
            self.close()
            unit = self.unit if total != 1 else self.unit.removesuffix("s")
            self.name, self.bar = name, Bar(f"{self.label} {name} ({total} {unit})")
        self.bar.update(done, total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        self.bar = None
