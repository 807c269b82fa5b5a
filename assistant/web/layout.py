"""The page's layout: its components (chat, viewer, library) and which of `ChatPage`'s methods each event
calls; and the CSS and JavaScript it loads from `assets/`. No logic: what an event does is the handler's.
"""

from importlib.resources import files
from typing import TYPE_CHECKING

import gradio as gr

from .library_tab import doc_choices, supported_suffixes
from .render import esc, render_library, render_transcript

if TYPE_CHECKING:
    from .page import ChatPage

EXAMPLES = [
    "Đại sứ EU tại Việt Nam là ai?",
    "Diễn đàn Hợp tác Số Việt Nam - EU 2025 diễn ra khi nào?",
    "Who is the EU ambassador to Vietnam?",
    "Vem är biträdande minister för vetenskap och teknik?",
]
LANGUAGES = [("any language", ""), ("Tiếng Việt", "vi"), ("English", "en"), ("Svenska", "sv")]


def _asset(name: str) -> str:
    # a leading newline, as the strings these files were cut from had (gradio's js_on_load runs them as is)
    return "\n" + files(__package__).joinpath("assets", name).read_text(encoding="utf-8")


CSS = _asset("page.css")
TRANSCRIPT_JS = _asset("transcript.js")
VIEWER_JS = _asset("viewer.js")


def layout(page: "ChatPage") -> gr.Blocks:
    """Lay out the chat, viewer and library, and wire their events to the page's methods."""
    settings = page.settings
    # delete_cache: uploads copied into corpus/ leave Gradio's temp copies behind; drop them after an hour
    with gr.Blocks(title="Document assistant", analytics_enabled=False, delete_cache=(3600, 3600)) as blocks:
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
                                choices=doc_choices(page.app),
                                multiselect=True,
                                label="Only these documents",
                                elem_id="f-docs",
                            )
                            with gr.Row():
                                lang_filter = gr.Dropdown(choices=LANGUAGES, value="", label="Language", min_width=120)
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
                        upload = gr.File(file_count="multiple", elem_id="upload", height=150, label="Upload documents")
                        gr.HTML(
                            f'<div class="muted">{esc(", ".join(suffixes))}; up to {settings.upload_max_mb:g} MB each. '
                            "Files are saved into corpus/ and indexed at once.</div>",
                            js_on_load=None,
                        )
                    with gr.Column(scale=2, min_width=300):
                        with gr.Row(equal_height=False, elem_id="delete-row"):
                            delete_pick = gr.Dropdown(
                                choices=doc_choices(page.app),
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
                lib_table = gr.HTML(render_library(page.app.documents()), elem_id="lib-table", js_on_load=None)

        # ---- chat
        ask_inputs = [question, turns_state, docs_filter, lang_filter, date_from, date_to, mode, top_k]
        ask_outputs = [transcript, turns_state, question]
        # the brief is written after the answer, in an event of its own: the next question is never held up by it
        ask_btn.click(page.respond, ask_inputs, ask_outputs, show_progress="hidden", api_name="ask").then(
            page.export_update, [turns_state], [export_btn], show_progress="hidden", api_visibility="private"
        )
        question.submit(page.respond, ask_inputs, ask_outputs, show_progress="hidden", api_visibility="private").then(
            page.export_update, [turns_state], [export_btn], show_progress="hidden", api_visibility="private"
        )
        gr.api(page.answer, api_name="answer")
        clear_btn.click(
            page.clear, None, [transcript, turns_state, target_state, viewer, export_btn], api_visibility="private"
        )
        blocks.load(page.on_load, None, [viewer, target_state], api_visibility="private", show_progress="hidden")
        transcript.click(
            page.on_transcript_click,
            [turns_state],
            [viewer, target_state],
            show_progress="hidden",
            api_visibility="private",
        )
        viewer.click(page.on_viewer_click, [target_state], [viewer], show_progress="hidden", api_visibility="private")

        # ---- library
        lib_outputs = [lib_table, docs_filter, delete_pick]
        upload.upload(
            page.on_upload,
            [upload],
            [lib_status, *lib_outputs, upload],
            api_visibility="private",
            concurrency_limit=1,
        )
        resync_btn.click(
            page.on_resync, None, [lib_status, *lib_outputs], api_visibility="private", concurrency_limit=1
        )
        delete_btn.click(
            page.ask_delete, [delete_pick], [lib_status, confirm_box, confirm_text], api_visibility="private"
        )
        cancel_btn.click(page.cancel_delete, None, [confirm_box], api_visibility="private")
        confirm_btn.click(
            page.do_delete,
            [delete_pick],
            [lib_status, confirm_box, *lib_outputs],
            api_visibility="private",
            concurrency_limit=1,
        )
        lib_tab.select(page.lists, None, lib_outputs, api_visibility="private", show_progress="hidden")
    return blocks
