"""Question files: parse and validate JSON lines, read a shared development set, take a fixed sample.

A question file has one JSON object a line: `id`, `question`, `answers` ([] = the corpus does not answer
it), optionally `doc` / `docs` (gold documents), `paragraph` (1-based, for `doc`) and `lang`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..errors import AssistantError, ConfigError


@dataclass
class Question:
    """One line of a question file; `fields` keeps the whole record, unknown keys included."""

    id: str
    question: str
    answers: list[str]
    docs: list[str] = field(default_factory=list)  # acceptable gold documents, `doc` first
    doc: str = ""
    paragraph: int | None = None  # 1-based, for `doc`
    lang: str = ""
    line: int = 0
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


def parse_question(record: Any, line: int) -> Question:
    """Validate one JSON record; ValueError with a message a user can act on."""
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object")
    for key in ("id", "question", "answers"):
        if key not in record:
            raise ValueError(f"missing field {key!r}")
    qid, text, answers = record["id"], record["question"], record["answers"]
    if not isinstance(qid, (str, int)) or isinstance(qid, bool) or str(qid) == "":
        raise ValueError("'id' must be a non-empty string or number")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("'question' must be a non-empty string")
    if not isinstance(answers, list) or not all(isinstance(a, str) and a.strip() for a in answers):
        raise ValueError("'answers' must be a list of non-empty strings ([] = the corpus does not answer it)")
    doc = record.get("doc", "")
    docs = record.get("docs", [])
    if not isinstance(doc, str) or not isinstance(docs, list) or not all(isinstance(d, str) and d for d in docs):
        raise ValueError("'doc' must be a file name and 'docs' a list of file names")
    paragraph = record.get("paragraph")
    if paragraph is not None:
        if not isinstance(paragraph, int) or isinstance(paragraph, bool) or paragraph < 1:
            raise ValueError("'paragraph' must be a 1-based integer")
        if not doc:
            raise ValueError("'paragraph' needs 'doc' (the document it numbers)")
    lang = record.get("lang", "")
    if not isinstance(lang, str):
        raise ValueError("'lang' must be a string")
    return Question(
        id=str(qid), question=text, answers=list(answers), docs=list(dict.fromkeys(([doc] if doc else []) + docs)),
        doc=doc, paragraph=paragraph, lang=lang, line=line, fields=dict(record),
    )  # fmt: skip


def parse_questions(lines: Iterable[str]) -> tuple[list[Question], list[str]]:
    """(questions, problems): a malformed line becomes `line N: why` and the rest still parse."""
    questions: list[Question] = []
    problems: list[str] = []
    seen: set[str] = set()
    for n, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            q = parse_question(json.loads(raw), n)
        except json.JSONDecodeError as e:
            problems.append(f"line {n}: not valid JSON ({e.msg} at column {e.colno})")
            continue
        except ValueError as e:
            problems.append(f"line {n}: {e}")
            continue
        if q.id in seen:
            problems.append(f"line {n}: duplicate id {q.id!r}; skipped")
            continue
        seen.add(q.id)
        questions.append(q)
    return questions, problems


def load_questions(path: Path) -> tuple[list[Question], list[str]]:
    """Read a JSON-lines question file (UTF-8, BOM tolerated)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise AssistantError(f"cannot read question file {path}: {e}") from e
    return parse_questions(text.splitlines())


def is_bench_folder(path: Path) -> bool:
    """A development set in the shared layout: questions.jsonl + corpus/ (+ manifest.json)."""
    path = Path(path)
    return path.is_dir() and (path / "questions.jsonl").is_file() and (path / "corpus").is_dir()


def load_bench(folder: Path) -> tuple[list[Question], list[str], Path]:
    """(questions, problems, corpus) of a shared development set (`../shared/bench/<name>/`).

    Its paragraph numbers count after the title line; ours count the title line as paragraph 1, so each
    gold paragraph moves by one (README of shared/; evals/README.md)."""
    folder = Path(folder)
    if not is_bench_folder(folder):
        raise ConfigError(f"{folder}: not a development set (expected questions.jsonl and corpus/ inside)")
    questions, problems = load_questions(folder / "questions.jsonl")
    for q in questions:
        if q.paragraph is not None:
            q.paragraph += 1
            q.fields["source_paragraph"] = q.fields.get("paragraph")
            q.fields["paragraph"] = q.paragraph
    return questions, problems, folder / "corpus"


def sample(questions: list[Question], n: int | None) -> list[Question]:
    """A fixed sample of n questions (by a hash of the id: the same questions on every run and machine,
    answerable and unanswerable ones in about their share), in file order."""
    if not n or n >= len(questions):
        return questions
    keep = set(sorted(range(len(questions)), key=lambda i: hashlib.sha1(questions[i].id.encode()).hexdigest())[:n])
    return [q for i, q in enumerate(questions) if i in keep]
