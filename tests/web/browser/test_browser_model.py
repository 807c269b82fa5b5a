"""End-to-end with the real packaged embedding model: the seed questions answered and cited in the page."""

from __future__ import annotations

import pytest
from tests.support.pagekit import record_timing, running_page

pytestmark = [pytest.mark.browser, pytest.mark.model]


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    with running_page(tmp_path_factory.mktemp("model-page"), real=True, timeout=600) as s:
        yield s


@pytest.mark.parametrize(
    ("n", "question", "expect"),
    [
        (1, "Đại sứ EU tại Việt Nam là ai?", "Julien Guerrier"),
        (2, "Who is the EU ambassador to Vietnam?", "Julien Guerrier"),
        (3, "Vem är biträdande minister för vetenskap och teknik?", "Bui The Duy"),
    ],
)
def test_seed_question_with_the_real_model(tab, model_server, n, question, expect):
    url, _ = model_server
    pg = tab.page
    pg.goto(url)
    pg.locator("#question textarea").wait_for()
    tab.ask(question, 1)  # warm-up: the first question after start pays for lazy loading
    pg.click("text=New conversation")
    pg.locator("#transcript .empty").wait_for()
    timings = tab.ask(question, 1)
    record_timing(f"real model: {question}", timings)
    turn = pg.locator("#transcript .turn").first
    assert expect in turn.locator(".a").inner_text()
    turn.locator("button.cite").first.click()
    pg.locator("#viewer mark").wait_for()
    assert expect in pg.locator("#viewer .para.target").inner_text()
    tab.shot(f"2{n}-real-model-citation")
