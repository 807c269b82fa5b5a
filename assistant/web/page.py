"""The Gradio page over one App: chat with citations and the paragraph viewer, filters, the library.

The only module that imports gradio. `ChatPage(app)` holds the services (the App; the library functions
that take it); `build()` lays out the components and wires each event to a method, and the methods are
what a test calls. HTML comes from the pure `render` and `views` modules.

No `from __future__ import annotations` here: Gradio reads handler annotations (`evt: gr.EventData`,
`progress=gr.Progress()`) at runtime.
"""

import logging
import re
import tempfile
import time
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import gradio as gr

from ..errors import AssistantError
from ..followup import followup_context
from ..settings import Settings
from ..store import Filter
from ..types import Answer, DocMeta, Paragraph
from .library_tab import LibraryHandlers, doc_choices, error_text, supported_suffixes
from .render import esc, render_library, render_message, render_transcript
from .views import Target, render_document_view, render_paragraph_view, render_scan

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)

STREAM_WORDS = 3  # words added per streamed update
STREAM_DELAY_S = 0.015

EXAMPLES = [
    "Đại sứ EU tại Việt Nam là ai?",
    "Diễn đàn Hợp tác Số Việt Nam - EU 2025 diễn ra khi nào?",
    "Who is the EU ambassador to Vietnam?",
    "Vem är biträdande minister för vetenskap och teknik?",
]
LANGUAGES = [("any language", ""), ("Tiếng Việt", "vi"), ("English", "en"), ("Svenska", "sv")]
EMPTY_VIEWER = '<div class="muted">The cited paragraph appears here.</div>'


def _asset(name: str) -> str:
    # a leading newline, as the strings these files were cut from had (gradio's js_on_load runs them as is)
    return "\n" + files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


CSS = _asset("page.css")
TRANSCRIPT_JS = _asset("transcript.js")
VIEWER_JS = _asset("viewer.js")


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
        """Lay out the chat, viewer and library, and wire their events to the methods."""
        settings = self.settings
        # delete_cache: uploads copied into corpus/ leave Gradio's temp copies behind; drop them after an hour
        with gr.Blocks(title="Document assistant", analytics_enabled=False, delete_cache=(3600, 3600)) as page:
            turns_state = gr.State([])
            target_state = gr.State(None)
            gr.HTML(
                "<div class='app-head'><h2 style='margin:0'>Document assistant</h2>"
                "<div class='muted'>Answers quote the documents; click a [n] marker to see the paragraph.</div></div>",
                js_on_load=None,
            )
            with gr.Tabs():
                with gr.Tab("Chat", id="chat"):
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=3, elem_id="chat-col"):
                            transcript = gr.HTML(
                                render_transcript([]),
                                elem_id="transcript",
                                js_on_load=TRANSCRIPT_JS,
                                autoscroll=True,
                                padding=False,
                                max_height="64vh",  # type: ignore[arg-type]  # gradio documents CSS units, annotates int
                            )
                            with gr.Row(equal_height=True):
                                question = gr.Textbox(
                                    placeholder="Ask a question (Tiếng Việt, English, Svenska)…",
                                    show_label=False,
                                    lines=1,
                                    max_lines=4,
                                    scale=5,
                                    min_width=180,
                                    elem_id="question",
                                    autofocus=True,
                                    container=False,
                                )
                                ask_btn = gr.Button(
                                    "Ask", variant="primary", scale=1, min_width=70, elem_id="ask", size="md"
                                )
                            gr.Examples(EXAMPLES, inputs=question, label="Examples")
                            with gr.Accordion("Filters and settings", open=False, elem_id="filters"):
                                docs_filter = gr.Dropdown(
                                    choices=doc_choices(self.app),
                                    multiselect=True,
                                    label="Only these documents",
                                    elem_id="f-docs",
                                )
                                with gr.Row():
                                    lang_filter = gr.Dropdown(
                                        choices=LANGUAGES, value="", label="Language", min_width=120
                                    )
                                    date_from = gr.Textbox(label="Date from", placeholder="YYYY-MM-DD", min_width=120)
                                    date_to = gr.Textbox(label="Date to", placeholder="YYYY-MM-DD", min_width=120)
                                with gr.Row():
                                    mode = gr.Radio(
                                        [
                                            ("extractive (offline quotes)", "extractive"),
                                            (
                                                "LLM"
                                                if settings.llm_model
                                                else "LLM (not configured: set ASSISTANT_LLM_MODEL)",
                                                "llm",
                                            ),
                                        ],
                                        value=settings.answer_mode,
                                        label="Answer mode",
                                        min_width=200,
                                    )
                                    top_k = gr.Slider(
                                        1, 20, value=settings.top_k, step=1, label="Passages retrieved", min_width=160
                                    )
                            with gr.Row():
                                clear_btn = gr.Button("New conversation", size="sm", variant="secondary")
                                export_btn = gr.DownloadButton(
                                    "Export brief (.docx)",
                                    value=None,
                                    size="sm",
                                    variant="secondary",
                                    elem_id="export",
                                    interactive=False,
                                )
                        with gr.Column(scale=2, elem_id="viewer-col"):
                            viewer = gr.HTML(
                                '<div class="muted">The cited paragraph appears here, highlighted in its document.</div>',
                                elem_id="viewer",
                                js_on_load=VIEWER_JS,
                                padding=False,
                            )
                with gr.Tab("Library", id="library") as lib_tab:
                    suffixes = sorted(supported_suffixes())
                    with gr.Row(equal_height=False):
                        with gr.Column(scale=3, min_width=300):
                            upload = gr.File(
                                file_count="multiple", elem_id="upload", height=150, label="Upload documents"
                            )
                            gr.HTML(
                                f'<div class="muted">{esc(", ".join(suffixes))}; up to {settings.upload_max_mb:g} MB each. '
                                "Files are saved into corpus/ and indexed at once.</div>",
                                js_on_load=None,
                            )
                        with gr.Column(scale=2, min_width=300):
                            with gr.Row(equal_height=False, elem_id="delete-row"):
                                delete_pick = gr.Dropdown(
                                    choices=doc_choices(self.app),
                                    label="Document to delete",
                                    elem_id="delete-pick",
                                    scale=3,
                                    min_width=160,
                                )
                                delete_btn = gr.Button(
                                    "Delete…", variant="stop", elem_id="delete", scale=1, min_width=90, size="md"
                                )
                            with gr.Group(visible=False, elem_id="confirm-box") as confirm_box:
                                confirm_text = gr.HTML("", js_on_load=None, elem_id="confirm-text", padding=True)
                                with gr.Row():
                                    confirm_btn = gr.Button(
                                        "Yes, delete it", variant="stop", elem_id="confirm-delete", size="sm"
                                    )
                                    cancel_btn = gr.Button("Cancel", elem_id="cancel-delete", size="sm")
                            resync_btn = gr.Button(
                                "Re-sync corpus/ (files added or removed by hand)", elem_id="resync", size="sm"
                            )
                    lib_status = gr.HTML("", elem_id="lib-status", js_on_load=None)
                    lib_table = gr.HTML(render_library(self.app.documents()), elem_id="lib-table", js_on_load=None)

            # ---- chat
            ask_inputs = [question, turns_state, docs_filter, lang_filter, date_from, date_to, mode, top_k]
            ask_outputs = [transcript, turns_state, question]
            # the brief is written after the answer, in an event of its own: the next question is never held up by it
            ask_btn.click(self.respond, ask_inputs, ask_outputs, show_progress="hidden", api_name="ask").then(
                self.export_update, [turns_state], [export_btn], show_progress="hidden", api_visibility="private"
            )
            question.submit(
                self.respond, ask_inputs, ask_outputs, show_progress="hidden", api_visibility="private"
            ).then(self.export_update, [turns_state], [export_btn], show_progress="hidden", api_visibility="private")
            gr.api(self.answer, api_name="answer")
            clear_btn.click(
                self.clear, None, [transcript, turns_state, target_state, viewer, export_btn], api_visibility="private"
            )
            page.load(self.on_load, None, [viewer, target_state], api_visibility="private", show_progress="hidden")
            transcript.click(
                self.on_transcript_click,
                [turns_state],
                [viewer, target_state],
                show_progress="hidden",
                api_visibility="private",
            )
            viewer.click(
                self.on_viewer_click, [target_state], [viewer], show_progress="hidden", api_visibility="private"
            )

            # ---- library
            lib_outputs = [lib_table, docs_filter, delete_pick]
            upload.upload(
                self.on_upload,
                [upload],
                [lib_status, *lib_outputs, upload],
                api_visibility="private",
                concurrency_limit=1,
            )
            resync_btn.click(
                self.on_resync, None, [lib_status, *lib_outputs], api_visibility="private", concurrency_limit=1
            )
            delete_btn.click(
                self.ask_delete, [delete_pick], [lib_status, confirm_box, confirm_text], api_visibility="private"
            )
            cancel_btn.click(self.cancel_delete, None, [confirm_box], api_visibility="private")
            confirm_btn.click(
                self.do_delete,
                [delete_pick],
                [lib_status, confirm_box, *lib_outputs],
                api_visibility="private",
                concurrency_limit=1,
            )
            lib_tab.select(self.lists, None, lib_outputs, api_visibility="private", show_progress="hidden")
        return page

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
            paragraphs = self.app.index.manifest.paragraphs(target.doc)
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
