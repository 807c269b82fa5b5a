"""End-to-end in headless Chromium: "also in" under a source stated by two documents (a syndicated copy of a
seed article), the export button downloading a DOCX brief whose quotes are verified against the source
files, and a permalink opening its paragraph highlighted. Screenshots in test-output/screenshots/3*.png."""

from __future__ import annotations

import unicodedata
from urllib.parse import parse_qs, urlsplit

import docx
import pytest
from tests.support.pagekit import SEEDS, running_page

pytestmark = pytest.mark.browser

ORIGINAL = "001_42eb7389f324bfd9.txt"
COPY = "005_tintuc-syndicated.txt"  # the same article republished by another outlet, a source line on top
QUESTION = "Diễn đàn Hợp tác số EU - Việt Nam sẽ diễn ra ngày nào tại Ninh Bình?"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    copy = "Nguồn: Báo Tin Tức\n\n" + (SEEDS / ORIGINAL).read_text(encoding="utf-8")
    with running_page(tmp_path_factory.mktemp("brief-page"), extra={COPY: copy}) as s:
        yield s


def _text(corpus, doc: str) -> str:
    return unicodedata.normalize("NFC", (corpus / doc).read_text(encoding="utf-8"))


def test_also_in_then_export_a_verified_docx_then_a_permalink_opens_the_paragraph(tab, server, tmp_path):
    url, corpus = server
    pg = tab.page
    pg.goto(url)
    pg.locator("#question textarea").wait_for()
    tab.ask(QUESTION, 1)
    turn = pg.locator("#transcript .turn").first
    also = turn.locator(".sources .also-in").first
    also.wait_for()
    text = also.inner_text()
    assert text.startswith("also in:") and (COPY in text or ORIGINAL in text), text
    tab.shot("31-also-in")

    # the brief of the conversation, downloaded from the button, every quote verbatim in its source file
    with pg.expect_download() as dl:
        pg.locator("#export").click()
    path = tmp_path / "brief.docx"
    dl.value.save_as(path)
    assert dl.value.suggested_filename.endswith(".docx")
    d = docx.Document(str(path))
    quotes = [p.text for p in d.paragraphs if p.style.name == "Quote"]
    links = [r.target_ref for r in d.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert quotes and len(links) == len(quotes)
    for quote, link in zip(quotes, links):
        q = parse_qs(urlsplit(link).query)
        start, end = map(int, q["q"][0].split("-"))
        assert _text(corpus, q["doc"][0])[start:end] == quote
    assert QUESTION in [p.text.split(". ", 1)[-1] for p in d.paragraphs]
    tab.shot("32-brief-exported")

    # a source's permalink opens the page at its paragraph, the quote marked
    first = turn.locator(".sources li").first
    quote = first.locator(".src-quote").inner_text().strip("“”")
    href = first.locator("a.permalink").first.get_attribute("href")
    params = parse_qs(urlsplit(href).query)
    pg.goto(url + href)
    mark = pg.locator("#viewer .para.target mark")
    mark.wait_for(timeout=30_000)
    assert mark.inner_text() == quote
    assert pg.locator("#viewer .para.target").get_attribute("id") == f"para-{params['p'][0]}"
    assert params["doc"][0] in pg.locator("#viewer .pv-head").inner_text()
    tab.shot("33-permalink-paragraph")
    assert not tab.errors, tab.errors
