"""The tiny evaluation set the `assistant eval` tests run: two short documents, two answerable questions
(gold paragraph 2 of each) and one the corpus does not answer."""

from __future__ import annotations

import json
from pathlib import Path

TINY = {
    "a.txt": "Hợp tác EU\n\nĐại sứ EU tại Việt Nam là ông Julien Guerrier.\n\nKim ngạch thương mại đạt 450 triệu USD năm 2025.\n",
    "b.txt": "Nhật Bản\n\nHơn 70 doanh nghiệp Việt Nam hoạt động tại Nhật Bản.\n",
}
QUESTIONS = [
    {
        "id": "1",
        "question": "Đại sứ EU tại Việt Nam là ai?",
        "answers": ["Julien Guerrier"],
        "doc": "a.txt",
        "paragraph": 2,
        "lang": "vi",
        "topic": "people",
    },
    {
        "id": "2",
        "question": "Bao nhiêu doanh nghiệp Việt Nam hoạt động tại Nhật Bản?",
        "answers": ["70 doanh nghiệp"],
        "doc": "b.txt",
        "paragraph": 2,
        "lang": "vi",
    },
    {"id": "3", "question": "Who won the 2022 World Cup?", "answers": [], "lang": "en"},
]  # fmt: skip  (`topic`: a field of the record's own, kept in the results)


def write_corpus(folder: Path) -> Path:
    """TINY's documents written into `folder` (created)."""
    folder.mkdir(parents=True)
    for name, text in TINY.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def write_questions(path: Path, lines: list[str] | None = None) -> Path:
    """QUESTIONS as a question file (or these raw lines)."""
    lines = lines if lines is not None else [json.dumps(q, ensure_ascii=False) for q in QUESTIONS]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
