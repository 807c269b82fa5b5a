"""The bench's corpus: real Vietnamese sentences recombined into distinct paragraphs, and its questions.

The source is an argument: folders of .txt files (`source_sentences`) and a question file, or by default
the packaged `data/bench_source.json` (the Vietnamese paragraphs, split into sentences, of evals/xquad-vi/corpus
and the seed corpus, and the questions of evals/xquad-vi.jsonl; `evals/tools/make_bench_source.py` writes it).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

PARAS_PER_DOC = 10


@dataclass
class BenchSource:
    """What the bench's corpora and questions are made of."""

    paragraphs: list[list[str]]  # each a list of sentences
    questions: list[str]


def packaged_source() -> BenchSource:
    """The default source, shipped with the package (so `assistant bench` runs from an installed wheel)."""
    data = json.loads(files(__package__).joinpath("data", "bench_source.json").read_text(encoding="utf-8"))
    return BenchSource(data["paragraphs"], data["questions"])


def load_source(folders: Sequence[Path] | None = None, question_file: Path | None = None) -> BenchSource:
    """Paragraphs from `folders` and questions from `question_file`; the packaged source for what is not given."""
    if folders is None or question_file is None:
        default = packaged_source()
        paragraphs, questions = default.paragraphs, default.questions
    if folders is not None:
        paragraphs = source_sentences(folders)
    if question_file is not None:
        questions = read_questions(question_file)
    return BenchSource(paragraphs, questions)


def source_sentences(sources: Sequence[Path]) -> list[list[str]]:
    """Vietnamese paragraphs of the sources, each as its sentences (paragraphs of 2+ sentences only)."""
    from ..metadata import detect_language
    from ..text import sentence_spans

    paragraphs: list[list[str]] = []
    for folder in sources:
        for f in sorted(Path(folder).glob("*.txt")):
            for para in re.split(r"\n\s*\n", f.read_text(encoding="utf-8")):
                para = " ".join(para.split())
                if len(para.split()) < 25 or detect_language(para) != "vi":
                    continue
                sents = [para[s:e] for s, e in sentence_spans(para)]
                sents = [s for s in sents if 4 <= len(s.split()) <= 80]
                if len(sents) >= 2:
                    paragraphs.append(sents)
    if not paragraphs:
        raise FileNotFoundError(f"no Vietnamese paragraphs found under {', '.join(map(str, sources))}")
    return paragraphs


def paragraphs_stream(pool: list[list[str]], seed: int = 6) -> Iterator[str]:
    """Endless distinct paragraphs: 2-4 sentences of one source paragraph, shuffled, often with one
    sentence of another. The same seed gives the same sequence, so a smaller size is a prefix of a
    larger one and cached vectors carry over between sizes and runs."""
    rng = random.Random(seed)
    seen: set[str] = set()
    n = 0
    while True:
        base = pool[rng.randrange(len(pool))]
        k = min(len(base), rng.randint(2, 4))
        start = rng.randrange(len(base) - k + 1)
        sents = base[start : start + k]
        rng.shuffle(sents)
        if rng.random() < 0.5:
            other = pool[rng.randrange(len(pool))]
            sents.insert(rng.randrange(len(sents) + 1), other[rng.randrange(len(other))])
        text = " ".join(sents)
        if text in seen:
            n += 1
            text = f"{text} (Bản {n}.)"  # a numbered variant: still distinct text
        seen.add(text)
        yield text


def write_corpus(dest: Path, n_chunks: int, pool: list[list[str]]) -> list[Path]:
    """n_chunks paragraphs written as documents of PARAS_PER_DOC paragraphs each; returns the files."""
    dest.mkdir(parents=True, exist_ok=True)
    stream = paragraphs_stream(pool)
    files = []
    for d in range(0, n_chunks, PARAS_PER_DOC):
        paras = [next(stream) for _ in range(min(PARAS_PER_DOC, n_chunks - d))]
        f = dest / f"doc_{d // PARAS_PER_DOC:06d}.txt"
        f.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
        files.append(f)
    return files


def read_questions(path: Path) -> list[str]:
    """The question texts of a JSON-lines question file, in file order."""
    return [
        json.loads(line)["question"] for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def bench_questions(n: int, questions: list[str]) -> list[str]:
    """n questions spread over the list."""
    step = max(1, len(questions) // n)
    return questions[::step][:n]
