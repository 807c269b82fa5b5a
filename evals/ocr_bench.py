"""OCR benchmark: real Vietnamese (and one Swedish) text rendered into image-only PDFs, OCR'd by the app,
scored against the same text ingested as .txt.

Documents: the five seed documents (corpus/) and the first N XQuAD-vi articles (evals/xquad-vi/corpus),
each rendered (evals/tools/scans.py: A4, DejaVu Sans 12 pt) at 300 dpi, at 200 dpi, and at 300 dpi as a
poor scan (rotated ~1 degree, blurred, speckled, a stamp over the text). Every variant is indexed with the
app's defaults (OCR at ASSISTANT_OCR_DPI=300, vie+eng+swe) and the real embedding model.

Reported per variant: character error rate of each document's OCR text against its source text;
retrieval recall@5 and answer_contains of the seed questions and of the articles' XQuAD-vi questions,
next to the .txt corpus (a hit is relevant when most of its word pairs are the gold paragraph's: OCR
paragraphs are numbered differently, and a paragraph split by a page break is two); OCR seconds per page.

Run from the project root (minutes: it OCRs every page three times; nice it on a shared machine):
    nice -n 10 .venv/bin/python evals/ocr_bench.py --articles 3 --out evals/bench/ocr.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "evals" / "tools"))
from assistant.app import build  # noqa: E402
from assistant.measure.metrics import contains_gold  # noqa: E402
from assistant.measure.questions import load_questions  # noqa: E402
from assistant.loaders import load_document  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from scans import cer, render_pages, degrade, to_pdf  # noqa: E402

VARIANTS = {"300dpi": (300, False), "200dpi": (200, False), "300dpi-noisy": (300, True)}
RELEVANT = 0.5  # share of a hit's word pairs found in the gold paragraph
_WORD = re.compile(r"\w+")


def sources(articles: int) -> tuple[dict[str, Path], dict[str, list]]:
    """The .txt documents and their answerable questions by set: the seed set, the first `articles` XQuAD-vi articles."""
    seed = sorted((ROOT / "corpus").glob("*.txt"))
    xquad = sorted((ROOT / "evals" / "xquad-vi" / "corpus").glob("*.txt"))[:articles]
    docs = {p.name: p for p in seed + xquad}
    sets = {}
    for name, qfile in (("seed", ROOT / "evals" / "seed.jsonl"), ("xquad-vi", ROOT / "evals" / "xquad-vi.jsonl")):
        qs, _ = load_questions(qfile)
        sets[name] = [q for q in qs if q.answerable and q.doc in docs and q.paragraph is not None]
    return docs, sets


def pairs(text: str) -> set[tuple[str, str]]:
    words = _WORD.findall(text.lower())
    return set(zip(words, words[1:])) or {(w, "") for w in words}


def relevant(hit_text: str, gold_text: str) -> bool:
    hit = pairs(hit_text)
    return bool(hit) and len(hit & pairs(gold_text)) / len(hit) >= RELEVANT


def score(app, questions, gold: dict[tuple[str, int], str], suffix: str) -> dict:
    """recall@5 and answer_contains; documents are named `<stem><suffix>` in this corpus."""
    recall, contains = [], []
    for q in questions:
        doc = Path(q.doc).stem + suffix
        answer = app.ask(q.question)
        gold_text = gold[(q.doc, q.paragraph)]
        recall.append(any(h.chunk.doc == doc and relevant(h.chunk.text, gold_text) for h in answer.hits[:5]))
        contains.append(answer.answered and contains_gold(answer.answer, q.answers))
    n = len(questions)
    return {"questions": n, "recall@5": round(sum(recall) / n, 4), "answer_contains": round(sum(contains) / n, 4)}


def keep_ocr_cache(index: Path) -> None:
    """A fresh index folder that keeps only the OCR cache of the old one (paragraphing changes need no OCR)."""
    from assistant.manifest import Manifest

    old = index.with_name("index.old")
    shutil.rmtree(old, ignore_errors=True)
    index.rename(old)
    index.mkdir()
    m = Manifest(index / "manifest.sqlite")
    m.db.execute("ATTACH DATABASE ? AS old", (str(old / "manifest.sqlite"),))
    m.db.execute("INSERT INTO ocr_cache SELECT * FROM old.ocr_cache")
    m.db.execute("DETACH DATABASE old")
    m.close()
    shutil.rmtree(old)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--articles", type=int, default=3, help="XQuAD-vi articles rendered besides the five seed documents"
    )
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "assistant" / "ocr-bench")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--out", type=Path, help="write the results JSON here")
    ap.add_argument(
        "--reindex", action="store_true", help="index the PDFs again, their OCR'd pages from the earlier run's cache"
    )
    args = ap.parse_args()
    from assistant.embeddings import load_embedder

    embedder = load_embedder(Settings())
    docs, sets = sources(args.articles)
    loaded = {name: load_document(path, 50 * 2**20) for name, path in docs.items()}
    gold = {(name, p.n): p.text for name, d in loaded.items() for p in d.paragraphs}
    results: dict = {
        "articles": args.articles,
        "documents": len(docs),
        "variants": {},
        "host": {"cpus": os.cpu_count()},
    }

    txt_dir = args.work / "txt"
    if not txt_dir.exists():
        (txt_dir / "corpus").mkdir(parents=True)
        for name, path in docs.items():
            shutil.copy2(path, txt_dir / "corpus" / name)
    app = build(Settings(corpus_dir=txt_dir / "corpus", index_dir=txt_dir / "index"), embedder=embedder)
    app.sync()
    results["txt"] = {k: score(app, qs, gold, ".txt") for k, qs in sets.items()}
    print("txt", json.dumps(results["txt"]), file=sys.stderr, flush=True)

    for variant in args.variants.split(","):
        dpi, noisy = VARIANTS[variant]
        base = args.work / variant
        corpus = base / "corpus"
        pages = 0
        if not corpus.exists():
            corpus.mkdir(parents=True)
            for name, d in loaded.items():
                images = render_pages([[p.text for p in d.paragraphs]], dpi)
                images = [degrade(im, seed=i) for i, im in enumerate(images)] if noisy else images
                (corpus / (Path(name).stem + ".pdf")).write_bytes(to_pdf(images, dpi))
        if args.reindex and (base / "index").exists():
            keep_ocr_cache(base / "index")
        app = build(Settings(corpus_dir=corpus, index_dir=base / "index"), embedder=embedder)
        t0 = time.monotonic()
        report = app.sync(
            ocr_progress=lambda name, done, total: print(
                f"\r{variant} OCR {name} {done}/{total}", end="", file=sys.stderr, flush=True
            )
        )
        print(file=sys.stderr)
        pages = report.ocr_pages + report.ocr_cached_pages
        cers = {}
        for name, d in loaded.items():
            pdf = Path(name).stem + ".pdf"
            got = " ".join(p.text for p in app.index.paragraphs(pdf))
            cers[name] = round(cer(got, " ".join(p.text for p in d.paragraphs)), 4)
        seconds = [json.loads(app.index.ocr_page(d.hash, n) or "{}").get("seconds", 0.0)
                   for d in app.index.documents() for n in sorted(app.index.doc_ocr_pages(d.path))]  # fmt: skip
        results["variants"][variant] = {
            "dpi": dpi, "noisy": noisy, "pages": pages, "skipped": report.to_json()["skipped"],
            "ocr_seconds_per_page": round(sum(seconds) / max(1, len(seconds)), 2),
            "sync_seconds": round(time.monotonic() - t0, 1),
            "cer_mean": round(sum(cers.values()) / len(cers), 4),
            "cer_vi_mean": round(sum(v for k, v in cers.items() if loaded[k].meta.lang == "vi") / max(1, sum(d.meta.lang == "vi" for d in loaded.values())), 4),
            "cer": cers,
            **{k: score(app, qs, gold, ".pdf") for k, qs in sets.items()},
        }  # fmt: skip
        print(variant, json.dumps(results["variants"][variant], ensure_ascii=False), file=sys.stderr, flush=True)
    results["host"]["load_avg"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(results, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
