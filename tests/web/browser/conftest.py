"""Browser tests: the chat page in a subprocess on a free loopback port, driven by headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pagekit import CHROMIUM, CHROMIUM_ARGS, LAPTOP, Tab, running_page


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install the Debian packages chromium and chromium-driver")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The page over seeds + XSS doc with the hash embedder."""
    with running_page(tmp_path_factory.mktemp("page")) as s:
        yield s


@pytest.fixture
def tab(browser, request):
    viewport = getattr(request, "param", LAPTOP)
    ctx = browser.new_context(viewport=viewport)
    t = Tab(ctx.new_page())
    yield t
    ctx.close()
    assert t.dialogs == [], f"a dialog fired: {t.dialogs}"
