"""The library side of the page: the document list, uploads, re-sync and delete (handlers of `ChatPage`,
which inherits them; each calls the library services in `assistant/library.py`).

No `from __future__ import annotations`: Gradio reads `progress=gr.Progress()` at runtime."""

import logging
import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from ..errors import AssistantError
from ..settings import Settings
from .render import render_library, render_message, render_sync_report

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)


def error_text(e: Exception, settings: Settings) -> str:
    """What the page shows for an error: the message of ours, a short line (or the traceback in debug) otherwise."""
    if isinstance(e, AssistantError):
        return str(e)
    log.exception("unexpected error on the page")
    if settings.debug:
        return "".join(traceback.format_exception(e))
    return f"unexpected error ({type(e).__name__}: {e}); set ASSISTANT_DEBUG=1 for details"


def doc_choices(app: "App") -> list[tuple[str, str]]:
    """(label, file name) of each indexed document, for the filter and delete dropdowns."""
    out = []
    for r in app.documents():
        if r.indexed:
            label = f"{r.title[:70]} ({r.name})" if r.title else r.name
            out.append((label, r.name))
    return out


def supported_suffixes() -> set[str]:
    """File types an upload may have (for the upload box)."""
    try:
        from ..library import supported_suffixes as suffixes

        return set(suffixes())
    except ImportError:
        return set()


def _progress(progress, desc: str):
    def update(done: int, total: int) -> None:
        if total:
            progress((done, total), desc=desc, unit="passages")

    return update


def _ocr_progress(progress):
    """Per-page progress of OCR on the page's bar: `OCR scan.pdf` n/total pages."""

    def update(name: str, done: int, total: int) -> None:
        if total:
            progress((done, total), desc=f"OCR {name}", unit="pages")

    return update


class LibraryHandlers:
    """The library's event handlers (ChatPage inherits them): `app` and `settings` are the page's."""

    app: "App"
    settings: Settings

    def lists(self):
        """The library table and both document dropdowns, fresh (the delete choice reset)."""
        choices = doc_choices(self.app)
        return render_library(self.app.documents()), gr.update(choices=choices), gr.update(choices=choices, value=None)

    def on_upload(self, files, progress=gr.Progress()):
        """Uploaded files saved into corpus/ and indexed; the report, the fresh lists, the upload box emptied."""
        from ..library import add_uploads

        if not files:
            return (gr.skip(),) * 5
        paths = [Path(f if isinstance(f, str) else f.name) for f in files]
        try:
            res = add_uploads(
                self.app,
                [(p, p.name) for p in paths],
                progress=_progress(progress, "indexing"),
                ocr_progress=_ocr_progress(progress),
            )
            status = render_sync_report(res.report, res.saved, res.rejected)
        except Exception as e:
            status = render_message(error_text(e, self.settings), "error")
        return (status, *self.lists(), None)

    def on_resync(self, progress=gr.Progress()):
        """Re-sync corpus/ (files changed by hand): the report and the fresh lists."""
        from ..library import resync

        try:
            status = render_sync_report(
                resync(self.app, progress=_progress(progress, "indexing"), ocr_progress=_ocr_progress(progress))
            )
        except Exception as e:
            status = render_message(error_text(e, self.settings), "error")
        return (status, *self.lists())

    def ask_delete(self, name):
        """Delete… pressed: ask for confirmation (or say to choose a document first)."""
        if not name:
            return render_message("Choose a document to delete first.", "warn"), gr.update(visible=False), ""
        text = render_message(
            f"Delete {name}? The file is removed from corpus/ and from the index; this cannot be undone.", "warn"
        )
        return "", gr.update(visible=True), text

    def cancel_delete(self):
        """Cancel: hide the confirmation."""
        return gr.update(visible=False)

    def do_delete(self, name, progress=gr.Progress()):
        """Confirmed: the file removed from corpus/ and the index; the report and the fresh lists."""
        from ..library import delete_document

        if not name:
            return (gr.skip(), gr.update(visible=False), *self.lists())
        try:
            report = delete_document(self.app, name, progress=_progress(progress, "updating the index"))
            status = render_message(f"Deleted {name}.", "info") + render_sync_report(report)
        except Exception as e:
            status = render_message(error_text(e, self.settings), "error")
        return (status, gr.update(visible=False), *self.lists())
