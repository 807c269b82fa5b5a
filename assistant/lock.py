"""Locks: exclusive file locks (fcntl, released on crash) for one writer of an index and one rebuild of a
model; a readers-writer lock for the threads of one process that read one index view."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import IndexBusy


class FileLock:
    """`with FileLock(path):` holds an exclusive lock on `path` (created, with the holder's pid in it);
    waits up to `timeout` seconds for another holder (None: as long as it takes), then raises `busy()`."""

    def __init__(self, path: Path, timeout: float | None = None, on_wait: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.timeout = timeout
        self.on_wait = on_wait
        self.fd: int | None = None

    def busy(self, holder: str) -> Exception:
        """The error raised when the lock is still held after `timeout`."""
        return TimeoutError(f"process {holder} still holds {self.path} after {self.timeout} s")

    def waiting(self, holder: str) -> str:
        """What `on_wait` is told once, when the lock is held by another process."""
        return f"process {holder} holds {self.path}; waiting for it…"

    def __enter__(self) -> "FileLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        told = False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self._holder()
                if deadline is not None and time.monotonic() >= deadline:
                    os.close(self.fd)
                    self.fd = None
                    raise self.busy(holder) from None
                if not told and self.on_wait:
                    self.on_wait(self.waiting(holder))
                    told = True
                time.sleep(0.2)
        os.ftruncate(self.fd, 0)
        os.write(self.fd, str(os.getpid()).encode())
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def _holder(self) -> str:
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"


class IndexLock(FileLock):
    """`with IndexLock(dir, timeout):` one writer of the index folder; raises IndexBusy after timeout."""

    def __init__(self, index_dir: Path, timeout: float, on_wait: Callable[[str], None] | None = None):
        super().__init__(Path(index_dir) / "ingest.lock", timeout, on_wait)

    def busy(self, holder: str) -> Exception:
        return IndexBusy(
            f"another ingest is running (pid {holder}) and holds {self.path}; "
            "wait for it to finish or raise ASSISTANT_LOCK_TIMEOUT_S"
        )

    def waiting(self, holder: str) -> str:
        return f"another ingest is running (pid {holder}); waiting for it to finish…"


class ReadWriteLock:
    """Many readers at once, or one writer: questions read one index view together, a reload of the view
    waits for the questions in flight and holds new ones back until it is done (a waiting writer goes
    before readers that arrive after it, so a steady stream of questions cannot starve a reload)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if not self._readers:
                    self._cond.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()
