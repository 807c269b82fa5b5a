"""No network: default commands open no outgoing connection, and the page listens on loopback only.

Each command runs in a network namespace with only loopback (`unshare -n`), and inside it with a socket
guard that refuses and reports any connection (or name lookup) to a non-loopback address, so an attempt
that the code would swallow still fails the test. Without `unshare` (no privileges) the guard alone runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import ROOT, SEEDS

SERVE_PAGE = ROOT / "tests" / "support" / "serve_page.py"

GUARD = textwrap.dedent(
    """
    import socket, sys

    def _local(addr):
        host = addr[0] if isinstance(addr, tuple) else addr
        return isinstance(host, (bytes, str)) and (str(host) in ("localhost", "::1", "0.0.0.0") or str(host).startswith("127."))

    def _guard(real):
        def connect(self, addr):
            if self.family in (socket.AF_INET, socket.AF_INET6) and not _local(addr):
                print(f"NETWORK-ATTEMPT connect {addr}", file=sys.stderr, flush=True)
                raise OSError(101, "network blocked by the test")
            return real(self, addr)
        return connect

    socket.socket.connect = _guard(socket.socket.connect)
    socket.socket.connect_ex = _guard(socket.socket.connect_ex)
    _getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *a, **k):
        if host is not None and not _local((host,)):
            print(f"NETWORK-ATTEMPT lookup {host}", file=sys.stderr, flush=True)
            raise socket.gaierror(-3, "name lookup blocked by the test")
        return _getaddrinfo(host, *a, **k)

    socket.getaddrinfo = getaddrinfo
    """
)

LOOPBACK_UP = textwrap.dedent(
    """
    import fcntl, socket, struct
    def loopback_up():  # a fresh network namespace has `lo` down
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, struct.pack("16sH", b"lo", 0))[:18])[1]
        fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", flags | 1))
        s.close()
    """
)


def netns_available() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def isolated(argv: list[str]) -> list[str]:
    return ["unshare", "-n", *argv] if netns_available() else argv


def guarded_cli(*args: str) -> list[str]:
    """`assistant ARGS` under the socket guard."""
    code = GUARD + f"\nimport sys\nsys.argv = ['assistant', *{list(args)!r}]\nfrom assistant.cli import main\nmain()\n"
    return [sys.executable, "-c", code]


def attempts(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("NETWORK-ATTEMPT")]


@pytest.mark.model
@pytest.mark.slow
def test_ingest_and_ask_with_the_default_model_need_no_network(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy2(SEEDS / "001_42eb7389f324bfd9.txt", corpus)
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(corpus), "ASSISTANT_INDEX_DIR": str(tmp_path / "index")}
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "GRADIO_ANALYTICS_ENABLED", "ANONYMIZED_TELEMETRY"):
        env.pop(var, None)  # the commands must set what they need themselves
    ingest = subprocess.run(
        isolated(guarded_cli("ingest", "--json")), env=env, capture_output=True, text=True, timeout=600
    )
    assert ingest.returncode == 0, ingest.stderr[-3000:]
    assert attempts(ingest.stderr) == []
    assert json.loads(ingest.stdout.splitlines()[-1])["added"] == ["001_42eb7389f324bfd9.txt"]
    ask = subprocess.run(
        isolated(guarded_cli("ask", "Đại sứ EU tại Việt Nam là ai?", "--json")),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ask.returncode == 0, ask.stderr[-3000:]
    assert attempts(ask.stderr) == []
    answer = json.loads(ask.stdout.splitlines()[-1])
    assert answer["answered"] and answer["citations"][0]["doc"] == "001_42eb7389f324bfd9.txt"
    print(f"\nnetwork namespace: {netns_available()}; answer: {answer['answer'][:120]}")


PAGE_DRIVER = LOOPBACK_UP + textwrap.dedent(
    """
    import json, socket, subprocess, sys, time, urllib.request
    corpus, index, serve_page, guard = sys.argv[1:5]
    if sys.argv[5] == "netns":
        loopback_up()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = guard + "\\nimport runpy, sys\\nsys.argv = [sys.argv[1], *sys.argv[2:]]\\nrunpy.run_path(sys.argv[0], run_name='__main__')\\n"
    proc = subprocess.Popen([sys.executable, "-c", code, serve_page, corpus, index, str(port)], stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    result = {"answer": None}
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                assert proc.poll() is None, "the page stopped"
                time.sleep(0.5)
        req = urllib.request.Request(url + "gradio_api/call/answer", data=json.dumps({"data": ["Ai là Đại sứ Liên minh Châu Âu tại Việt Nam?"]}).encode(),
                                     headers={"Content-Type": "application/json"})
        event = json.load(urllib.request.urlopen(req, timeout=30))["event_id"]
        lines = urllib.request.urlopen(f"{url}gradio_api/call/answer/{event}", timeout=60).read().decode().splitlines()
        result["answer"] = json.loads(lines[lines.index("event: complete") + 1].removeprefix("data: "))[0]
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        result["stderr"] = proc.stderr.read()
    print(json.dumps(result))
    """
)


@pytest.mark.slow
def test_the_page_serves_and_answers_without_network(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    mode = "netns" if netns_available() else "guard-only"
    argv = [
        sys.executable,
        "-c",
        PAGE_DRIVER,
        str(corpus),
        str(tmp_path / "index"),
        str(SERVE_PAGE),
        GUARD,
        mode,
    ]
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("GRADIO_ANALYTICS_ENABLED", "HF_HUB_OFFLINE", "ANONYMIZED_TELEMETRY")
    }
    proc = subprocess.run(isolated(argv), capture_output=True, text=True, timeout=400, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert attempts(result["stderr"]) == [], result["stderr"][-3000:]
    answer = result["answer"]
    assert answer and answer["question"] == "Ai là Đại sứ Liên minh Châu Âu tại Việt Nam?" and answer["answered"], (
        answer
    )
    # the seeds name the EU ambassador in 000 (a caption), 001 and 004 (evals/seed.jsonl: document-level gold)
    stating = {"000_b0dddf86d6f85ffe.txt", "001_42eb7389f324bfd9.txt", "004_03e94a76b2f901da.txt"}
    assert any(c["doc"] in stating and "Julien Guerrier" in c["quote"] for c in answer["citations"]), answer
    print(f"\n{mode}: the page answered with networking blocked")


def _listening(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket the process listens on (from /proc)."""
    inodes = set()
    for fd in (Path(f"/proc/{pid}/fd")).iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    out = []
    for table, v6 in (("/proc/net/tcp", False), ("/proc/net/tcp6", True)):
        for line in Path(table).read_text().splitlines()[1:]:
            f = line.split()
            if f[3] != "0A" or f[9] not in inodes:  # 0A = LISTEN
                continue
            hexaddr, hexport = f[1].split(":")
            raw = bytes.fromhex(hexaddr)
            if v6:
                words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
                import ipaddress

                addr = str(ipaddress.IPv6Address(b"".join(words)))
            else:
                addr = ".".join(str(b) for b in raw[::-1])
            out.append((addr, int(hexport, 16)))
    return out


@pytest.mark.slow
def test_the_page_listens_on_loopback_only_by_default(tmp_path, monkeypatch):
    from assistant.settings import Settings

    assert Settings().host == "127.0.0.1"
    from tests.support import pagekit

    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def spy(*a, **k):
        started.append(real_popen(*a, **k))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", spy)
    with pagekit.running_page(tmp_path) as (url, _):
        sockets = _listening(started[-1].pid)
    print(f"\nthe page listens on {sockets}")
    assert sockets, "the page listens on nothing?"
    assert all(addr in ("127.0.0.1", "::1") for addr, _ in sockets), sockets


@pytest.mark.slow
def test_with_auth_the_page_and_its_api_refuse_unauthenticated_requests(tmp_path):
    from tests.support import pagekit
    from tests.support.procs import http_status as status

    question = json.dumps({"data": ["Đại sứ EU tại Việt Nam là ai?"]}).encode()
    with pagekit.running_page(tmp_path, user="cán bộ", password="mật-khẩu-42") as (url, _):
        assert status(url + "config") in (401, 403)
        assert status(url + "gradio_api/info") in (401, 403)
        assert status(url + "gradio_api/call/answer", question) in (401, 403)
        assert status(url + "gradio_api/queue/join", question) != 200
