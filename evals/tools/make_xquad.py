"""Copies XQuAD-vi from ../shared/bench/xquad-vi into evals/ in our paragraph numbering.

The source counts paragraphs after the title line; our loader counts every non-empty paragraph,
the title line included, so `paragraph` becomes paragraph + 1. Checks, with our loader, that each
question's gold answer occurs in the mapped paragraph, and prints the count.
Run from the project root: `.venv/bin/python evals/tools/make_xquad.py [SOURCE]`.
"""

import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from assistant.loaders import load_document  # noqa: E402

LICENSE = """# XQuAD-vi: license and attribution

`evals/xquad-vi.jsonl` and `evals/xquad-vi/corpus/` are derived from:

- **XQuAD** (Artetxe, Ruder and Yogatama, "On the Cross-lingual Transferability of Monolingual
  Representations", ACL 2020), {xquad}
- **XQuAD-R** sentence breaks (Roy et al., "LAReQA: Language-agnostic answer retrieval from a
  multilingual pool", EMNLP 2020), {lareqa}

both licensed under **Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)**,
https://creativecommons.org/licenses/by-sa/4.0/. XQuAD is a translation of a subset of SQuAD v1.1
(Rajpurkar et al., 2016), itself built from Wikipedia articles (CC BY-SA).

Changes: one text file per article (title on line 1, paragraphs separated by blank lines), questions
as JSON lines; `paragraph` renumbered so the title line is paragraph 1 (see evals/README.md).
Share-alike: these files, and anything derived from them, stay under CC BY-SA 4.0 with this attribution.

Source manifest note: {license}
"""


def main(source: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    dest = root / "evals" / "xquad-vi"
    corpus = dest / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    for f in sorted((source / "corpus").glob("*.txt")):
        shutil.copy2(f, corpus / f.name)
    src = manifest["source"]
    (dest / "LICENSE.md").write_text(
        LICENSE.format(xquad=src["xquad"], lareqa=src["xquad_r_sentence_breaks"], license=manifest["license"]),
        encoding="utf-8",
    )
    docs = {p.name: load_document(p, 50 * 2**20) for p in sorted(corpus.glob("*.txt"))}
    out, ok, bad = [], 0, []
    for line in (source / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        q["source_paragraph"] = q["paragraph"]
        q["paragraph"] = q["paragraph"] + 1  # our numbering: the title line is paragraph 1
        paras = docs[q["doc"]].paragraphs
        text = paras[q["paragraph"] - 1].text if q["paragraph"] <= len(paras) else ""
        if all(a in text for a in q["answers"]):
            ok += 1
        else:
            bad.append(q["id"])
        out.append(q)
    (root / "evals" / "xquad-vi.jsonl").write_text(
        "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in out), encoding="utf-8"
    )
    print(
        f"{len(docs)} articles, {sum(len(d.paragraphs) for d in docs.values())} paragraphs (titles included), {len(out)} questions"
    )
    print(
        f"gold answer found verbatim in the mapped paragraph: {ok}/{len(out)}" + (f"; not: {bad[:10]}" if bad else "")
    )


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[3] / "shared" / "bench" / "xquad-vi"
    )
