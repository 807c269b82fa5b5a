"""Measurement, not the runtime path: `assistant eval` and `assistant bench`. Nothing here is imported
when answering a question or serving the page.

- `questions.py`: question files and development sets; `metrics.py`: the metrics (pure); `evaluate.py`:
  runs a question file through the pipeline; `results.py`: what a run returns (`EvalRun`, `QuestionResult`:
  dataclasses whose JSON is the `--json` output); `baseline.py`: llama-index's default pipeline to compare
  with; `report.py`: report.md, results.jsonl and plots
- `bench.py`: the speed benchmark, over `bench_corpus.py` (generated corpora; the packaged source in `data/`),
  `bench_probes.py` (vector cache, raw encoder, memory, cold start) and `bench_peer.py` (llama-index's ingest)
"""
