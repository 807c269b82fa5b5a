"""Keep index/ in sync with corpus/ without anyone running a command (watchdog).

Events only mark the folder dirty; a sync runs after `debounce_s` of quiet, so a burst (200 files
copied, an editor's save-via-temp-file) becomes one sync. Files still growing are left for the next
round: a sync starts only when no file changed size/mtime during the last debounce period.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .errors import AssistantError
from .loaders import is_ignored
from .types import SyncReport

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver

    from .app import App

log = logging.getLogger(__name__)
_NOT_CHANGES = {"opened", "closed_no_write"}  # watchdog event types of a file being read


class CorpusWatcher:
    """Watch app.settings.corpus_dir and call app.sync() after changes settle."""

    def __init__(self, app: App, debounce_s: float = 2.0, on_sync: Callable[[SyncReport], None] | None = None):
        self.app = app
        self.debounce_s = debounce_s
        self.on_sync = on_sync
        self._last_event = 0.0
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._observer: BaseObserver | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> "CorpusWatcher":
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.event_type in _NOT_CHANGES or (event.is_directory and event.event_type == "modified"):
                    return  # reads (a sync's own too) and a folder's mtime: the file events tell what changed
                paths = [getattr(event, "src_path", ""), getattr(event, "dest_path", "")]
                if all(not p or is_ignored(Path(str(p)).name) for p in paths):
                    return  # hidden, temporary and partial files, also when they are deleted
                watcher.poke()

        corpus = Path(self.app.settings.corpus_dir)
        corpus.mkdir(parents=True, exist_ok=True)
        self._observer = Observer()
        self._observer.schedule(Handler(), str(corpus), recursive=True)
        self._observer.start()
        self._thread = threading.Thread(target=self._loop, name="corpus-watcher", daemon=True)
        self._thread.start()
        return self

    def poke(self) -> None:
        """Note a change; the sync waits for quiet."""
        self._last_event = time.monotonic()
        self._dirty.set()

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._dirty.wait()
            if self._stop.is_set():
                return
            while time.monotonic() - self._last_event < self.debounce_s or not self._settled():
                if self._stop.wait(min(self.debounce_s, 0.5) or 0.05):
                    return
            self._dirty.clear()
            if time.monotonic() - self._last_event < self.debounce_s:
                self._dirty.set()  # a change arrived after the quiet check: wait for quiet again
                continue
            self._sync()

    def _settled(self) -> bool:
        """True when no file under corpus/ changed size or mtime over a short interval (copies finished)."""
        before = _snapshot(Path(self.app.settings.corpus_dir))
        time.sleep(min(0.5, self.debounce_s))
        return before == _snapshot(Path(self.app.settings.corpus_dir))

    def _sync(self) -> None:
        try:
            report = self.app.sync()
        except AssistantError as e:
            log.warning("watch: sync failed: %s", e)
            return
        except Exception:  # keep watching: one bad round must not kill the watcher thread
            log.exception("watch: unexpected error during sync")
            return
        if self.on_sync is not None and report.changed:
            self.on_sync(report)


def _snapshot(corpus: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for p in corpus.rglob("*"):
        try:
            st = p.stat()
        except OSError:
            continue
        out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out
