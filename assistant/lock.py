"""One writer at a time: an exclusive file lock on the index folder (fcntl, released on crash)."""

from __future__ import annotations

import fcntl
import os
import time
from pathlib import Path
from typing import Callable

from .errors import IndexBusy


class IndexLock:
    """`with IndexLock(dir, timeout):` waits for another writer, or raises IndexBusy after timeout."""

    def __init__(self, index_dir: Path, timeout: float, on_wait: Callable[[str], None] | None = None):
        self.path = Path(index_dir) / "ingest.lock"
        self.timeout = timeout
        self.on_wait = on_wait
        self.fd: int | None = None

    def __enter__(self) -> "IndexLock":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        told = False
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = self._holder()
                if time.monotonic() >= deadline:
                    os.close(self.fd)
                    self.fd = None
                    raise IndexBusy(
                        f"another ingest is running (pid {holder}) and holds {self.path}; "
                        "wait for it to finish or raise ASSISTANT_LOCK_TIMEOUT_S"
                    ) from None
                if not told and self.on_wait:
                    self.on_wait(f"another ingest is running (pid {holder}); waiting for it to finish…")
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
