# Task runner; CI runs `make test` (see .ci/run).
PY ?= .venv/bin/python
PIP ?= .venv/bin/pip

BENCH ?= ../shared/bench
SETS = vinewsqa-vi viquad2-vi swequad-mc-sv xquad-en-mixed-dev xquad-vi
EVAL_SAMPLE ?= 300
CI_SAMPLE ?= 150

.PHONY: install test fast lint eval eval-ci bench serve check-bench

install: .venv/.installed

.venv/.installed: pyproject.toml
	test -x $(PY) || python3.11 -m venv .venv
	$(PIP) install -q -e '.[dev]'
	touch $@

test: install lint
	$(PY) -m pytest -q
	$(MAKE) eval-ci

fast: install
	$(PY) -m pytest -q -m "not model and not browser and not slow"

lint: install
	$(PY) -m ruff check assistant tests evals ui.py
	$(PY) -m ruff format --check assistant tests evals ui.py
	$(PY) -m mypy assistant

check-bench:
	@test -d $(BENCH) || { echo "the development sets are not at $(BENCH): set BENCH=/path/to/shared/bench"; exit 1; }

# every set: the seed questions, then a fixed sample of each development set, against its committed baseline;
# each answerable question is asked again without its gold document (gold_removed_refusal, not gated)
eval: install check-bench
	.venv/bin/assistant eval evals/seed.jsonl --gold-removed --baseline evals/baselines/seed.json --fail-under 0.02
	for s in $(SETS); do .venv/bin/assistant eval $(BENCH)/$$s --sample $(EVAL_SAMPLE) --gold-removed --baseline evals/baselines/$$s.json --fail-under 0.02 || exit 1; done

# what CI gates on (make test): the seed set and a smaller fixed sample of each set (a regression > 0.02 fails)
eval-ci: install check-bench
	.venv/bin/assistant eval evals/seed.jsonl --baseline evals/baselines/seed.json --fail-under 0.02
	for s in $(SETS); do .venv/bin/assistant eval $(BENCH)/$$s --sample $(CI_SAMPLE) --baseline evals/baselines/ci-$$s.json --fail-under 0.02 || exit 1; done

bench: install
	.venv/bin/assistant bench

serve: install
	@command -v tesseract >/dev/null 2>&1 || echo "note: scanned PDFs need OCR: sudo apt-get install tesseract-ocr tesseract-ocr-vie tesseract-ocr-swe (macOS: brew install tesseract tesseract-lang)"
	.venv/bin/assistant serve
