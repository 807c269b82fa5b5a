"""Helpers for tests that run servers as child processes (the page, `chroma run`)."""

from __future__ import annotations

import json
import socket
import subprocess
import urllib.error
import urllib.request


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Terminate a child process, kill it when it does not exit within `timeout` seconds, and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def ask_page(url: str, question: str, timeout: float = 60, session: str = "") -> dict:
    """One question through the chat page's API (POST, then read the event stream); the answer JSON.
    `session`: the page session to ask in (a browser keeps one per open page); none: a new one per call."""
    body: dict = {"data": [question]} | ({"session_hash": session} if session else {})
    req = urllib.request.Request(
        url + "gradio_api/call/answer",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=timeout) as r:
        event = json.load(r)["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call/answer/{event}", timeout=timeout) as r:
        lines = r.read().decode().splitlines()
    if "event: complete" not in lines:
        raise RuntimeError(f"no answer: {lines[:6]}")  # test_load records it per thread; elsewhere it fails the test
    return json.loads(lines[lines.index("event: complete") + 1].removeprefix("data: "))[0]


def http_status(url: str, body: bytes | None = None) -> int:
    """The status of one request (a POST of the JSON `body` when given, else a GET); an error status is returned."""
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
