"""Values the tests build by hand or compare: a retrieved passage (`hit`), an answer as its user sees it."""

from __future__ import annotations

import json

from assistant.types import Answer, Chunk, Hit


def hit(
    text: str, *, doc: str = "a.txt", n: int = 1, start: int = 0, kind: str = "text", score: float = 1.0,
    dense: float | None = 0.5,
) -> Hit:  # fmt: skip
    """A retrieved chunk of `text`: paragraph `n` of `doc` from offset `start`, with its fused and dense scores."""
    return Hit(Chunk(f"{doc}#{n}#{start}", doc, n, start, start + len(text), text, kind=kind), score, dense=dense)


def as_seen(answer: Answer | dict) -> dict:
    """An answer as its user sees it (text, refusal, citations, scores): its JSON without the timings."""
    d = answer if isinstance(answer, dict) else answer.to_json()
    return {k: v for k, v in d.items() if k != "timings_ms"}


def seen_text(answer: Answer | dict) -> str:
    """`as_seen` as one canonical string, to compare answers across threads and processes."""
    return json.dumps(as_seen(answer), ensure_ascii=False, sort_keys=True)
