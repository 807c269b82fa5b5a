"""Fixtures of the page's tests."""

import pytest


@pytest.fixture
def page_app(fake_app):
    """The fake app over the seeds, synced, at a refusal threshold the hash embedder's cosines reach."""
    fake_app.settings.min_score = 0.5  # the hash embedder's similarities are lower than the model's
    fake_app.sync()
    return fake_app
