"""Corroboration with the real model over the seeds: a Vietnamese fact found in the Swedish version, and the
labelled pairs measured (evals/corroboration_pairs.jsonl) at no less than the README's precision and recall."""

from __future__ import annotations

import sys

import pytest
from tests.support import ROOT

pytestmark = pytest.mark.model

sys.path.insert(0, str(ROOT / "evals"))


def test_the_list_of_strategic_technologies_is_also_in_the_swedish_version(seed_app):
    answer = seed_app.ask("Chính phủ ban hành danh sách bao nhiêu công nghệ chiến lược quốc gia?")
    cit = next(c for c in answer.citations if "11 công nghệ" in c.quote)
    assert (cit.doc, cit.paragraph) == ("000_b0dddf86d6f85ffe.txt", 10)
    assert [(o.doc, o.paragraph, o.lang) for o in cit.corroborated_by] == [("004_03e94a76b2f901da.txt", 11, "sv")]


def test_precision_and_recall_on_the_labelled_pairs(seed_app):
    from corroboration import load_pairs, measure

    pairs = load_pairs(ROOT / "evals" / "corroboration_pairs.jsonl")
    seed_app.index.refresh()
    got = measure(seed_app, pairs, 0.815)
    assert got["precision"] >= 0.73 and got["recall"] >= 0.73, got
