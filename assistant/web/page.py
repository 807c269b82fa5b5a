"""The Gradio page over one App: chat with citations and the paragraph viewer, filters, the library.

`ChatPage(app)` holds the services (the App; the library functions that take it); `build()` lays out the
components and wires each event to a method (`layout.py`), and the methods are what a test calls: the chat
and viewer handlers here, the library's in `library_tab.py`. HTML comes from the pure `render` and `views`
modules. Only this package imports gradio.

No `from __future__ import annotations` here: Gradio reads handler annotations (`evt: gr.EventData`,
`progress=gr.Progress()`) at runtime.
"""

import logging
import re
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import gradio as gr

from ..errors import AssistantError
from ..followup import followup_context
from ..settings import Settings
from ..store import Filter
from ..types import Answer, DocMeta, Paragraph
from .layout import layout
from .library_tab import LibraryHandlers, error_text
from .render import render_message, render_transcript
from .views import Target, render_document_view, render_paragraph_view, render_scan

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)

STREAM_WORDS = 3  # words added per streamed update
STREAM_DELAY_S = 0.015

EMPTY_VIEWER = '<div class="muted">The cited paragraph appears here.</div>'


# --------------------------------------------------------------------------------------------- page logic


def parse_date(value: str, name: str) -> str:
    """'' or a valid ISO day; anything else is a message the user can act on."""
    v = (value or "").strip()
    if not v:
        return ""
    try:
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise AssistantError(f"{name} must look like 2025-10-29 (year-month-day), not {v!r}") from None


def make_filter(docs, lang, date_from, date_to) -> Filter:
    """The filter inputs as one store Filter (dates checked)."""
    return Filter(list(docs or []), lang or "", parse_date(date_from, "date from"), parse_date(date_to, "date to"))


def stream_steps(text: str, words_per_step: int = STREAM_WORDS) -> Iterator[str]:
    """Growing prefixes of text, a few words at a time (never splitting a `[n]` marker)."""
    tokens = re.findall(r"\S+\s*", text)
    for i in range(words_per_step, len(tokens), words_per_step):
        yield "".join(tokens[:i])
    yield text


def _metas(app: "App", answer: Answer) -> dict[str, DocMeta]:
    docs = {c.doc for c in answer.citations} | {h.chunk.doc for h in answer.hits}
    known = app.index.doc_meta
    return {d: known[d] for d in docs if d in known}


def _doc_meta(app: "App", doc: str) -> DocMeta | None:
    meta = app.index.doc_meta.get(doc)
    if meta is None:
        return next((r.meta for r in app.documents() if r.name == doc and r.indexed), None)
    return meta


# --------------------------------------------------------------------------------------------- the page


class ChatPage(LibraryHandlers):
    """The page over one App; `build()` returns the Blocks, each event handler is a method below."""

    def __init__(self, app: "App"):
        self.app = app
        self.settings: Settings = app.settings

    def build(self) -> gr.Blocks:
        """Lay out the chat, viewer and library, and wire their events to the methods (layout.py)."""
        return layout(self)

    # ---- chat

    def respond(self, q, turns, docs, lang, dfrom, dto, answer_mode, k):
        """Ask: the question joins the conversation at once, then its answer streams in: an LLM's text as
        the model writes it (replaced by the checked answer when complete, then glosses), any other answer
        a few words at a time."""
        q = (q or "").strip()
        if not q:
            yield gr.skip(), gr.skip(), gr.skip()
            return
        turns = list(turns or [])
        turn = {"q": q, "context": followup_context(q, turns), "answer": None, "error": "", "draft": ""}
        turns.append(turn)
        yield render_transcript(turns), turns, ""
        try:
            flt = make_filter(docs, lang, dfrom, dto)
            for event in self.app.ask_stream(
                q, flt=flt, context=turn["context"], answer_mode=answer_mode, top_k=int(k)
            ):
                if isinstance(event, str):
                    turn["draft"] += event
                    yield render_transcript(turns), turns, gr.skip()
                    continue
                first = turn["answer"] is None
                turn["metas"] = _metas(self.app, event)
                turn["answer"] = event
                if first and not turn["draft"]:  # a whole answer: shown a few words at a time
                    yield from self._type_out(turn, turns)
                else:
                    yield render_transcript(turns), turns, gr.skip()
        except Exception as e:  # the page's boundary: show the message in the conversation
            turn["error"] = error_text(e, self.settings)
            yield render_transcript(turns), turns, gr.skip()

    def _type_out(self, turn: dict, turns: list[dict]):
        answer = turn["answer"]
        for prefix in stream_steps(answer.answer):
            turn["shown"] = prefix
            yield render_transcript(turns), turns, gr.skip()
            if prefix != answer.answer:
                time.sleep(STREAM_DELAY_S)
        turn.pop("shown", None)
        yield render_transcript(turns), turns, gr.skip()

    def export_update(self, turns):
        """The export button, holding a brief of the conversation so far (a fresh .docx after every answer)."""
        from ..brief import export

        answers = [t["answer"] for t in turns if t.get("answer") is not None]
        if not answers:
            return gr.update(value=None, interactive=False)
        try:
            folder = Path(tempfile.mkdtemp(prefix="assistant-brief-"))
            path = export(
                self.app.brief(answers, "Brief: conversation"), folder / f"brief-{date.today().isoformat()}.docx"
            )
        except Exception as e:  # the answer stands; the button says why there is no brief
            log.warning("cannot write the brief: %s", error_text(e, self.settings))
            return gr.update(value=None, interactive=False)
        return gr.update(value=str(path), interactive=True)

    def on_load(self, request: gr.Request):
        """Opened at a permalink (`?doc=<file>&p=<n>[&q=<start>-<end>]`): that paragraph in the viewer, highlighted."""
        from ..brief import parse_span

        params = dict(request.query_params) if request is not None else {}
        doc, p = params.get("doc", ""), params.get("p", "")
        if not doc:
            return gr.skip(), gr.skip()
        if not p.isdigit():
            return render_message(
                f"The link names no paragraph of {doc} (p= must be a number, like p=3).", "warn"
            ), None
        start, end = parse_span(params.get("q", "")) or (-1, -1)
        target = Target(doc, int(p), start, end, "linked paragraph")
        return self.view(target, whole=False), target

    def answer(self, question: str) -> dict:
        """One question answered as JSON (the `assistant ask --json` contract), for scripts and load tests."""
        try:
            return self.app.ask(question).to_json()
        except AssistantError as e:
            raise gr.Error(str(e)) from e

    def clear(self):
        """New conversation: empty transcript, turns, target and viewer."""
        return render_transcript([]), [], None, EMPTY_VIEWER, gr.update(value=None, interactive=False)

    def on_transcript_click(self, turns, evt: gr.EventData):
        """A [n] marker or a nearest passage clicked: show that paragraph in the viewer."""
        data = getattr(evt, "_data", None) or {}
        try:
            t, n = int(data.get("turn", -1)), int(data.get("n", -1))
            answer: Answer | None = turns[t].get("answer") if 0 <= t < len(turns) else None
        except (TypeError, ValueError):
            return gr.skip(), gr.skip()
        if answer is None:
            return gr.skip(), gr.skip()
        if data.get("action") == "cite":
            c = next((c for c in answer.citations if c.n == n), None)
            if c is None:
                return gr.skip(), gr.skip()
            target = Target(c.doc, c.paragraph, c.char_start, c.char_end, f"[{c.n}]")
        elif data.get("action") == "hit" and 0 <= n < len(answer.hits):
            ch = answer.hits[n].chunk
            target = Target(ch.doc, ch.paragraph, label="nearest passage")
        else:
            return gr.skip(), gr.skip()
        return self.view(target, whole=False), target

    def on_viewer_click(self, target, evt: gr.EventData):
        """The viewer's own buttons: the whole document, or back to the passage."""
        data = getattr(evt, "_data", None) or {}
        if target is None or data.get("action") not in ("doc", "passage"):
            return gr.skip()
        return self.view(target, whole=data["action"] == "doc")

    def view(self, target: Target, whole: bool) -> str:
        """The viewer's HTML for a target: its paragraph in context (with the scan, if OCR read it) or the whole document."""
        try:
            paragraphs = self.app.index.paragraphs(target.doc)
            meta = _doc_meta(self.app, target.doc)
            ocr_pages = frozenset(self.app.ocr_pages(target.doc))
        except Exception as e:
            return render_message(error_text(e, self.settings), "error")
        if whole:
            return render_document_view(target, meta, paragraphs, ocr_pages=ocr_pages)
        return render_paragraph_view(target, meta, paragraphs, ocr_pages=ocr_pages) + self._scan_html(
            target, paragraphs, ocr_pages
        )

    def _scan_html(self, target: Target, paragraphs: list[Paragraph], ocr_pages: frozenset[int]) -> str:
        """Under a cited paragraph of a scanned page: the page image, the quote's words outlined."""
        p = next((x for x in paragraphs if x.n == target.paragraph), None)
        if p is None or p.page not in ocr_pages:
            return ""
        try:
            scan = self.app.scan_page(target.doc, p.page)
        except Exception as e:  # the text view stands without the image
            log.warning("cannot show the scanned page: %s", e)
            return ""
        if scan is None:
            return ""
        quote = p.text[target.start - p.start : target.end - p.start] if target.start >= p.start else p.text
        return render_scan(scan[0], scan[1], quote, target.doc)
