"""Shared fixtures: temp corpus/index folders, the fake embedder, the real model (tier `model`)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support import SEEDS

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture
def corpus(tmp_path) -> Path:
    """A temp corpus holding copies of the five seed documents."""
    d = tmp_path / "corpus"
    d.mkdir()
    for f in sorted(SEEDS.glob("*.txt")):
        shutil.copy2(f, d / f.name)
    return d


@pytest.fixture
def settings_for(tmp_path):
    from assistant.settings import Settings

    def make(corpus: Path, **kw) -> Settings:
        return Settings(corpus_dir=corpus, index_dir=tmp_path / "index", **kw)

    return make


@pytest.fixture
def fake_app(corpus, settings_for):
    """App over the seed copies with the deterministic hash embedder (no model)."""
    from assistant.app import build
    from tests.support.fakes import HashEmbedder

    return build(settings_for(corpus), embedder=HashEmbedder())


@pytest.fixture(scope="session")
def real_embedder():
    """The packaged default model on the default backend (rebuilt and exported once into the user cache)."""
    from assistant.embeddings import load_embedder
    from assistant.settings import Settings

    return load_embedder(Settings())


@pytest.fixture(scope="session")
def torch_embedder():
    """The packaged default model through sentence-transformers on torch (its transformers tokenizer, the reference)."""
    from assistant.embeddings import load_embedder
    from assistant.settings import Settings

    return load_embedder(Settings(embed_backend="torch"))


@pytest.fixture(scope="session")
def seed_app(tmp_path_factory, real_embedder):
    """App over the seed corpus with the real model, ingested once per test session."""
    from assistant.app import build
    from assistant.settings import Settings

    base = tmp_path_factory.mktemp("seedapp")
    corpus = base / "corpus"
    shutil.copytree(SEEDS, corpus)
    app = build(Settings(corpus_dir=corpus, index_dir=base / "index"), embedder=real_embedder)
    app.sync()
    return app
