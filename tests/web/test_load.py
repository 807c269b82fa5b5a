"""Load: 20 simulated users asking questions at once through the running page's API, loopback only.

The page runs in a subprocess (tests/support/serve_page.py: seeds, hash embedder); each user is a thread
that POSTs /gradio_api/call/answer and reads the event stream until `complete`, again and again, for
ASSISTANT_LOAD_SECONDS (default 30, at most 60); ASSISTANT_LOAD_REAL=1 serves with the packaged model;
ASSISTANT_LOAD_QUESTIONS=seed adds the seed questions to the six fixed ones.
Every answer must equal the single-user answer to the same question (timings removed): a race in the
answer path (a shared cache, a reader view swapped mid-question) shows up as a different answer or citation.
Zero errors allowed; latency and throughput printed.
"""

from __future__ import annotations

import json
import os
import statistics
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.support import ROOT
from tests.support.pagekit import running_page
from tests.support.procs import ask_page as ask
from tests.support.values import seen_text

USERS = 20
SECONDS = min(60.0, float(os.environ.get("ASSISTANT_LOAD_SECONDS", "30")))
REAL_MODEL = os.environ.get("ASSISTANT_LOAD_REAL") == "1"  # the packaged model instead of the hash fake
FIXED = [
    "Ai là Đại sứ Liên minh Châu Âu tại Việt Nam?",
    "Diễn đàn Hợp tác Số Việt Nam - EU 2025 diễn ra khi nào?",
    "Who is the EU ambassador to Vietnam?",
    "Vem är biträdande minister för vetenskap och teknik?",
    "Việt Nam và Phần Lan hợp tác về lĩnh vực nào?",
    "What is the capital of Australia?",
]
# ASSISTANT_LOAD_QUESTIONS=seed: the users ask the seed questions (evals/seed.jsonl) too, so that few
# answers repeat and per-quote caches (corroboration) meet what a real team would ask, not six questions
SEED = ROOT / "evals" / "seed.jsonl"
QUESTIONS = FIXED + (
    [json.loads(line)["question"] for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    if os.environ.get("ASSISTANT_LOAD_QUESTIONS") == "seed"
    else []
)


def user(
    url: str,
    n: int,
    deadline: float,
    single: dict[str, str],
    latencies: list[float],
    errors: list[str],
    lock: threading.Lock,
) -> None:
    """Ask again and again; each answer must be exactly the one a single user got to the same question."""
    i = n
    while time.monotonic() < deadline:
        q = QUESTIONS[i % len(QUESTIONS)]
        i += 1
        t0 = time.perf_counter()
        try:
            out = ask(url, q, session=f"load-user-{n}")  # a user keeps one page (one session) open
            if seen_text(out) != single[q]:
                raise RuntimeError(
                    f"answer differs from the single-user one:\n  got  {seen_text(out)[:600]}\n  want {single[q][:600]}"
                )
        except (OSError, urllib.error.URLError, RuntimeError, ValueError, KeyError) as e:
            with lock:
                errors.append(f"user {n}, {q!r}: {type(e).__name__}: {e}")
            continue
        with lock:
            latencies.append(time.perf_counter() - t0)


@pytest.mark.slow
def test_twenty_users_asking_at_once_get_answers_without_errors(tmp_path):
    with running_page(tmp_path, real=REAL_MODEL) as (url, _):
        assert url.startswith("http://127.0.0.1:")
        single = {q: seen_text(ask(url, q)) for q in QUESTIONS}  # one user, one question at a time (also the warm-up)
        assert single == {q: seen_text(ask(url, q)) for q in QUESTIONS}, (
            "a single user gets different answers to the same question"
        )
        first = json.loads(single[QUESTIONS[0]])
        assert first["answered"] and any("Julien Guerrier" in c["quote"] for c in first["citations"]), first
        assert not json.loads(single["What is the capital of Australia?"])["answered"]
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        t0 = time.monotonic()
        deadline = t0 + SECONDS
        threads = [
            threading.Thread(target=user, args=(url, n, deadline, single, latencies, errors, lock))
            for n in range(USERS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=SECONDS + 120)
        elapsed = time.monotonic() - t0
    assert latencies, errors[:5]
    ms = sorted(x * 1000 for x in latencies)
    p50, p95 = statistics.median(ms), ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    print(
        f"\n{'packaged model' if REAL_MODEL else 'hash embedder'}, {USERS} users for {SECONDS:.0f} s: {len(ms)} answers, {len(errors)} errors, {len(ms) / elapsed:.1f} answers/s, "
        f"latency p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms"
    )
    assert not errors, "\n".join(errors[:10])
    assert len(ms) >= USERS
