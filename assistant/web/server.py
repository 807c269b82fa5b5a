"""Serving the page: `assistant serve` (start-up sync with terminal progress, the corpus watcher, the page),
launch with auth and queue limits, and a Ctrl+C that always stops the process.

The page itself is built in `page.py` (imported when the page is launched, so the CLI starts without gradio).
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..settings import Settings

if TYPE_CHECKING:
    import gradio as gr

    from ..app import App

CONCURRENCY = 20  # users answered at once (App serialises index access; the rest waits in the queue)
QUEUE_MAX = 200  # requests waiting before new ones are turned away
ANALYTICS_EVERY = 1000  # events between gradio's monitoring summaries (see launch)


def auth_pair(settings: Settings) -> tuple[str, str] | None:
    """(user, password) when both are set; refuse a half-configured auth instead of serving unprotected."""
    if settings.auth_user and settings.auth_password:
        return (settings.auth_user, settings.auth_password)
    if settings.auth_user or settings.auth_password:
        raise ConfigError("set both ASSISTANT_AUTH_USER and ASSISTANT_AUTH_PASSWORD (or neither)")
    return None


def launch(app: App, *, block: bool = True, quiet: bool = False) -> gr.Blocks:
    """Start the page for `app` on settings.host:port; returns the Blocks (running in the background if not block)."""
    from .layout import CSS
    from .page import ChatPage

    settings = app.settings
    auth = auth_pair(settings)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        print(
            f"warning: the page listens on {settings.host} without a password; set ASSISTANT_AUTH_USER/PASSWORD",
            file=sys.stderr,
        )
    if settings.llm_model:
        threading.Thread(target=app.warm_llm, name="llm-warm-up", daemon=True).start()
    page = ChatPage(app).build()
    # gradio rebuilds a pandas table of up to 10,000 past events after every event for its monitoring
    # summary (unused here: no /monitoring): ~11% of the page's CPU under 20 users. Once per 1,000 events.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", str(ANALYTICS_EVERY))
    page.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_MAX)
    page.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        auth_message="Document assistant: sign in" if auth else None,
        max_threads=CONCURRENCY * 2,
        max_file_size=int(settings.upload_max_mb * 1024 * 1024),
        prevent_thread_lock=not block,
        quiet=quiet,
        show_error=True,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        run_history=False,  # no per-browser copies of answers, no "save runs to a bucket" option
        footer_links=["api", "settings"],
        css=CSS,
    )
    return page


def serve(settings: Settings) -> None:
    """`assistant serve`: index corpus/ (progress on the terminal), watch it, and run the page."""
    from ..app import build

    app = build(settings)
    auth_pair(settings)  # fail before the slow start when auth is half-configured
    print(f"indexing {settings.corpus_dir} …", file=sys.stderr)
    terminal = _TerminalProgress()
    report = app.sync(progress=terminal, log=lambda m: print(m, file=sys.stderr), ocr_progress=terminal.ocr)
    for _, line in report.lines():
        print(f"  {line}", file=sys.stderr)
    print(f"index ready: {report.summary()}", file=sys.stderr)
    watcher = _start_watcher(app) if settings.watch else None
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupted)
    try:
        print(f"chat page on http://{settings.host}:{settings.port} (Ctrl+C stops it)", file=sys.stderr)
        launch(app, block=True, quiet=True)
    finally:
        if watcher is not None:
            watcher.stop()


SHUTDOWN_GRACE_S = (
    10.0  # after Ctrl+C, how long threads may hold the process (an ingest cut short is recovered at the next start)
)


def _interrupted(signum, frame) -> None:
    """Ctrl+C: stop as Python does (KeyboardInterrupt in the main thread), with a bound on the shutdown."""
    exit_when_stuck(SHUTDOWN_GRACE_S)
    raise KeyboardInterrupt


def exit_when_stuck(grace_s: float) -> threading.Timer:
    """Ctrl+C must stop the page: if the process is still alive `grace_s` from now (a server thread waiting
    on a client that keeps its connection open, a worker that does not return), say which threads hold it,
    with their stacks, and exit. A daemon timer: a shutdown that finishes in time never sees it."""

    def force() -> None:
        held = [t.name for t in threading.enumerate() if t not in (threading.current_thread(), threading.main_thread())]
        print(
            f"shutdown: still waiting after {grace_s:g} s on threads {', '.join(held)}; their stacks:", file=sys.stderr
        )
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(0)

    timer = threading.Timer(grace_s, force)
    timer.daemon = True
    timer.start()
    return timer


def _start_watcher(app: App):
    try:
        from ..watch import CorpusWatcher
    except ImportError as e:
        print(f"watch mode unavailable ({e}); use Re-sync on the Library tab after changing corpus/", file=sys.stderr)
        return None

    def on_sync(report) -> None:
        for _, line in report.lines():
            print(f"watch: {line}", file=sys.stderr)

    watcher = CorpusWatcher(app, debounce_s=app.settings.watch_debounce_s, on_sync=on_sync)
    watcher.start()
    print(f"watching {app.settings.corpus_dir} for changes", file=sys.stderr)
    return watcher


class _TerminalProgress:
    """A one-line progress counter on stderr for the initial sync."""

    def __call__(self, done: int, total: int) -> None:
        if total:
            print(
                f"\r  embedding {done}/{total} passages", end="" if done < total else "\n", file=sys.stderr, flush=True
            )

    def ocr(self, name: str, done: int, total: int) -> None:
        if total:
            print(f"\r  OCR {name}: page {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
