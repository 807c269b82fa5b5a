"""Exclusive file locks (fcntl, released on crash): one writer of an index, one rebuild of a model."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Callable

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
