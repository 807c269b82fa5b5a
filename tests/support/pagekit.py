"""Helpers for the browser tests: start the page on a free loopback port, a tab wrapper, timings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from tests.support import ROOT, SEEDS
from tests.support.procs import free_port, stop

HERE = Path(__file__).resolve().parent
OUT = ROOT / "test-output"
SHOTS = OUT / "screenshots"
CHROMIUM = os.environ.get("ASSISTANT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LAPTOP = {"width": 1366, "height": 860}
PHONE = {"width": 390, "height": 844}

XSS_NAME = "xss-<img src=x onerror=alert(3)>.txt"
XSS_TEXT = """<script>alert("title")</script> Kế hoạch thử nghiệm an ninh tại Đà Nẵng
Source: javascript:alert(1)

Dự án thử nghiệm an ninh XSS tại Đà Nẵng có ngân sách 7 tỷ đồng <img src=x onerror=alert(1)> và kéo dài ba năm.

Xem thêm [liên kết](javascript:alert(1)) và <script>alert(2)</script> trong báo cáo về dự án thử nghiệm an ninh XSS.
"""
DELETE_ME = "xoá tôi.txt"


def make_corpus(base: Path, extra: dict[str, str] | None = None) -> Path:
    """The five seeds, the XSS document, a document the delete test removes, and `extra` files (name -> text)."""
    corpus = base / "corpus"
    corpus.mkdir(parents=True)
    for f in sorted(SEEDS.glob("*.txt")):
        shutil.copy2(f, corpus / f.name)
    (corpus / XSS_NAME).write_text(XSS_TEXT, encoding="utf-8")
    (corpus / DELETE_ME).write_text(
        "Tài liệu tạm để thử xoá\n\nĐoạn này chỉ tồn tại để kiểm tra nút xoá trong thư viện.\n", encoding="utf-8"
    )
    for name, text in (extra or {}).items():
        (corpus / name).write_text(text, encoding="utf-8")
    return corpus


@contextmanager
def running_page(
    base: Path,
    *,
    real: bool = False,
    user: str = "",
    password: str = "",
    llm_url: str = "",
    timeout: float = 240,
    extra: dict[str, str] | None = None,
):
    """Start serve_page.py; yield (url, corpus); stop it (this process only) afterwards."""
    corpus = make_corpus(base, extra)
    port = free_port()
    cmd = [sys.executable, str(HERE / "serve_page.py"), str(corpus), str(base / "index"), str(port)]
    if user:
        cmd += ["--user", user, "--password", password]
    if real:
        cmd.append("--real")
    if llm_url:
        cmd += ["--llm-url", llm_url]
    log = open(base / "server.log", "w")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the page did not start:\n{(base / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the page did not answer within {timeout} s:\n{(base / 'server.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, corpus
    finally:
        stop(proc)
        log.close()


class Tab:
    """A browser page plus what the tests check after every step: dialogs (XSS) and screenshots."""

    def __init__(self, page):
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def shot(self, name: str, full_page: bool = False) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def ask(self, question: str, n_done: int) -> dict:
        """Type a question, press Ask; wait until `n_done` answers are complete. Returns timings in ms."""
        pg = self.page
        pg.locator("#question textarea").fill(question)
        t0 = time.perf_counter()
        pg.click("#ask")
        pg.locator(f"#transcript .turn:nth-child({n_done}) .a:not(.pending)").wait_for(timeout=120_000)
        t1 = time.perf_counter()
        pg.wait_for_function(f"document.querySelectorAll('#transcript .turn.done').length >= {n_done}", timeout=120_000)
        t2 = time.perf_counter()
        return {"first_text_ms": round((t1 - t0) * 1000), "full_answer_ms": round((t2 - t0) * 1000)}


def record_timing(name: str, timings: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "page-timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = timings
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    print(f"{name}: {timings}")
