"""Write the bench's packaged source (assistant/measure/data/bench_source.json) from the repository's texts:
the Vietnamese paragraphs of evals/xquad-vi/corpus and corpus/ (split into sentences) and the questions of
evals/xquad-vi.jsonl. Run it after changing those files: `python evals/tools/make_bench_source.py`."""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from assistant.measure.bench_corpus import read_questions, source_sentences  # noqa: E402

FOLDERS = (ROOT / "evals" / "xquad-vi" / "corpus", ROOT / "corpus")
QUESTION_FILE = ROOT / "evals" / "xquad-vi.jsonl"
OUT = ROOT / "assistant" / "measure" / "data" / "bench_source.json"
LICENSE = (
    "Derived from XQuAD (Artetxe et al. 2020, https://github.com/google-deepmind/xquad) with XQuAD-R sentence breaks "
    "(https://github.com/google-research-datasets/lareqa), licensed CC BY-SA 4.0 "
    "(https://creativecommons.org/licenses/by-sa/4.0/): this file stays under CC BY-SA 4.0 with this attribution. "
    "Also sentences of the repository's seed corpus (corpus/)."
)


def render(paragraphs: list[list[str]], questions: list[str]) -> str:
    """One paragraph or question a line, so a change reads as a diff."""

    def lines(items: list) -> str:
        return ",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in items)

    return (
        '{"license": '
        + json.dumps(LICENSE)
        + ',\n"paragraphs": [\n'
        + lines(paragraphs)
        + '\n], "questions": [\n'
        + lines(questions)
        + "\n]}\n"
    )


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(render(source_sentences(FOLDERS), read_questions(QUESTION_FILE)), encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
