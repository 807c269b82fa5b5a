# Task runner; CI runs `make test` (see .ci/run).
PY ?= .venv/bin/python
PIP ?= .venv/bin/pip

.PHONY: install test fast lint eval bench serve

install: .venv/.installed

.venv/.installed: pyproject.toml
	test -x $(PY) || python3.11 -m venv .venv
	$(PIP) install -q -e '.[dev]'
	touch $@

test: install
	$(PY) -m pytest -q

fast: install
	$(PY) -m pytest -q -m "not model and not browser and not slow"

lint: install
	$(PY) -m ruff check assistant tests || true

eval: install
	.venv/bin/assistant eval evals/seed.jsonl --baseline evals/baselines/seed.json --fail-under 0.02
	.venv/bin/assistant eval evals/xquad-vi.jsonl --corpus evals/xquad-vi/corpus --baseline evals/baselines/xquad-vi.json --fail-under 0.02

bench: install
	.venv/bin/assistant bench

serve: install
	.venv/bin/assistant serve
