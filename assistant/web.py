"""The chat page (Gradio): ask, see the cited paragraph in its document, manage the library.

The only module that imports gradio. HTML is built by the pure `render_*` functions below from plain
data (Answer, Paragraph, DocMeta); every piece of document text, quote, title and file name goes
through `esc()` first, so a document can never inject markup or script into the page.

No `from __future__ import annotations` here: Gradio reads handler annotations (`evt: gr.EventData`)
at runtime, and string annotations naming the lazily imported `gr` would not resolve.
"""

import faulthandler
import html
import logging
import os
import re
import signal
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .errors import AssistantError, ConfigError
from .settings import Settings
from .store import Filter
from .types import Answer, DocMeta, Paragraph

if TYPE_CHECKING:
    import gradio as gr

log = logging.getLogger(__name__)

CONCURRENCY = 20  # users answered at once (App serialises index access; the rest waits in the queue)
QUEUE_MAX = 200  # requests waiting before new ones are turned away
NEIGHBOURS = 2  # paragraphs shown before and after a cited one
DOC_WINDOW = 300  # paragraphs rendered around the target in the whole-document view
STREAM_WORDS = 3  # words added per streamed update
STREAM_DELAY_S = 0.015

EXAMPLES = [
    "Đại sứ EU tại Việt Nam là ai?",
    "Diễn đàn Hợp tác Số Việt Nam - EU 2025 diễn ra khi nào?",
    "Who is the EU ambassador to Vietnam?",
    "Vem är biträdande minister för vetenskap och teknik?",
]
LANGUAGES = [("any language", ""), ("Tiếng Việt", "vi"), ("English", "en"), ("Svenska", "sv")]
NOT_IN_DOCS = "Not in the documents"


# --------------------------------------------------------------------------------------------- escaping


def esc(text: object) -> str:
    """HTML-escape anything shown on the page (quotes too, so it is safe inside attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def safe_url(url: str) -> str | None:
    """The URL if it is plain http(s), else None (a `javascript:` source is shown as text)."""
    u = (url or "").strip()
    return u if re.match(r"^https?://[^\s<>\"']+$", u, re.I) else None


# --------------------------------------------------------------------------------------------- follow-ups

_FOLLOWUP_OPENER = re.compile(
    r"^\s*(còn|vậy còn|thế còn|và|rồi|what about|how about|and|also|och|men|vad gäller|hur är det med)\b"
    r"|\b(thì sao|thế nào nữa|ra sao|thì thế nào|nữa không)\b",
    re.I,
)
_PRONOUN = re.compile(
    r"\b(như vậy|điều đó|việc đó|ông ấy|bà ấy|họ|nó|đó|ấy|này|they|them|their|it|its|he|she|his|her|that one|those|"
    r"there|dem|deras|den|det|han|hon|där|då)\b",
    re.I,
)
SHORT_QUESTION_WORDS = 5  # "Còn Thụy Điển?" / "What about Japan?" carry no topic of their own
PRONOUN_QUESTION_WORDS = 9  # a pronoun in a longer question is more often generic ("det", "này") than anaphoric


def is_followup(question: str) -> bool:
    """A short, follow-up-worded or pronoun-led question leans on the previous one ("còn Nhật Bản thì sao?")."""
    n = len(re.findall(r"\w+", question))
    if n <= SHORT_QUESTION_WORDS or _FOLLOWUP_OPENER.search(question):
        return True
    return n <= PRONOUN_QUESTION_WORDS and bool(_PRONOUN.search(question))


def followup_context(question: str, turns: list[dict]) -> str:
    """Text of the previous question(s) to widen retrieval with, or "" for a standalone question."""
    if not turns or not is_followup(question):
        return ""
    last = turns[-1]
    return " ".join(x for x in (last.get("context", ""), last["q"]) if x).strip()[-600:]


# --------------------------------------------------------------------------------------------- rendering

_MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")


def _paragraphs(n: int) -> str:
    return f"{n} paragraph" if n == 1 else f"{n} paragraphs"


def doc_label(doc: str, meta: DocMeta | None) -> str:
    return (meta.title if meta and meta.title else "") or doc


def render_answer_text(text: str, cited: dict[int, tuple[str, str]], turn: int) -> str:
    """Escaped answer text whose `[n]` markers become buttons; cited maps n -> (label, quote) for tooltips."""
    out, pos = [], 0
    safe = esc(text)
    for m in _MARKER.finditer(safe):
        nums = [int(x) for x in re.split(r"\s*,\s*", m.group(1))]
        if not all(n in cited for n in nums):
            continue
        out.append(safe[pos : m.start()])
        for n in nums:
            label, quote = cited[n]
            tip = esc(f"{html.unescape(label)}: “{html.unescape(quote)[:200]}”")
            out.append(
                f'<button type="button" class="cite" data-action="cite" data-turn="{turn}" data-n="{n}" '
                f'title="{tip}" aria-label="source {n}">[{n}]</button>'
            )
        pos = m.end()
    out.append(safe[pos:])
    return "".join(out)


def _where(doc: str, meta: DocMeta | None, paragraph: int, page: int | None) -> str:
    bits = [esc(doc_label(doc, meta))]
    if meta and meta.date:
        bits.append(esc(meta.date))
    bits.append(f"¶{paragraph}")
    if page:
        bits.append(f"p. {page}")
    return " · ".join(bits)


OCR_BADGE = (
    '<span class="badge ocr" title="quoted from text that OCR read on the scanned page: '
    'check names and numbers against the page image">OCR</span>'
)


def render_sources(answer: Answer, metas: dict[str, DocMeta], turn: int) -> str:
    """The panel under an answer: each citation with its document, paragraph and quote, clickable."""
    if not answer.citations:
        return ""
    items = []
    for c in answer.citations:
        items.append(
            f'<li><button type="button" class="src" data-action="cite" data-turn="{turn}" data-n="{c.n}">'
            f'<span class="cite-n">[{c.n}]</span> <span class="src-where">{_where(c.doc, metas.get(c.doc), c.paragraph, c.page)}</span>'
            f'{OCR_BADGE if c.ocr else ""}<span class="src-quote">“{esc(c.quote)}”</span></button></li>'
        )
    return f'<div class="sources"><div class="sources-h">Sources</div><ol>{"".join(items)}</ol></div>'


def render_nearest(answer: Answer, metas: dict[str, DocMeta], turn: int, limit: int = 3) -> str:
    """A refused answer: say so plainly, then list the nearest passages found (clickable)."""
    from .refusal import NEAREST

    head = f'<div class="refused-h">{NOT_IN_DOCS}; {esc(NEAREST.get(answer.language, NEAREST["en"]).lower())}:</div>'
    if not answer.hits:
        return f'<div class="sources refused">{head}<p class="muted">(no passages found)</p></div>'
    items = []
    for i, h in enumerate(answer.hits[:limit]):
        c = h.chunk
        snippet = c.text if len(c.text) <= 220 else c.text[:220].rsplit(" ", 1)[0] + " …"
        items.append(
            f'<li><button type="button" class="src" data-action="hit" data-turn="{turn}" data-n="{i}">'
            f'<span class="src-where">{_where(c.doc, metas.get(c.doc), c.paragraph, c.page)}</span>'
            f'<span class="src-quote">{esc(snippet)}</span></button></li>'
        )
    return f'<div class="sources refused">{head}<ol>{"".join(items)}</ol></div>'


def render_turn(i: int, turn: dict) -> str:
    """One question and its answer (possibly still streaming), sources or nearest passages."""
    q = f'<div class="q"><span class="who">?</span><div class="q-text">{esc(turn["q"])}</div></div>'
    if turn.get("context"):
        q += f'<div class="ctx muted">follow-up: also searched with “{esc(turn["context"][-160:])}”</div>'
    answer: Answer | None = turn.get("answer")
    metas: dict[str, DocMeta] = turn.get("metas", {})
    if turn.get("error"):
        body = f'<div class="a error"><strong>Error:</strong> {esc(turn["error"])}</div>'
        return f'<div class="turn done" id="turn-{i}">{q}{body}</div>'
    if answer is None:
        body = '<div class="a pending"><span class="dots">Searching the documents…</span></div>'
        return f'<div class="turn pending" id="turn-{i}">{q}{body}</div>'
    shown = turn.get("shown", answer.answer)
    streaming = len(shown) < len(answer.answer)
    cited = {c.n: (doc_label(c.doc, metas.get(c.doc)), c.quote) for c in answer.citations}
    text = render_answer_text(shown, cited, i)
    cls = "a" if answer.answered else "a refused"
    cursor = '<span class="cursor">▍</span>' if streaming else ""
    body = f'<div class="{cls}">{text}{cursor}</div>'
    if not streaming:
        body += render_sources(answer, metas, i) if answer.answered else render_nearest(answer, metas, i)
        total = answer.timings_ms.get("total")
        if total is not None:
            body += f'<div class="timing muted">{esc(answer.mode)} · {total:.0f} ms</div>'
    state = "streaming" if streaming else "done"
    return f'<div class="turn {state}" id="turn-{i}">{q}{body}</div>'


def render_transcript(turns: list[dict]) -> str:
    """The whole conversation, or a short hint when it is empty."""
    if not turns:
        return (
            '<div class="empty muted">Ask a question about the documents in Vietnamese, English or Swedish. '
            "Every answer quotes its sources: click a <span class=\"cite\">[1]</span> marker to see the "
            "paragraph in its document.</div>"
        )
    return '<div class="transcript">' + "".join(render_turn(i, t) for i, t in enumerate(turns)) + "</div>"


def highlight(text: str, start: int, end: int) -> str:
    """Escaped text with text[start:end] wrapped in <mark> (offsets clipped to the text)."""
    a, b = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if b <= a:
        return esc(text)
    return f"{esc(text[:a])}<mark>{esc(text[a:b])}</mark>{esc(text[b:])}"


@dataclass
class Target:
    """What the viewer shows: a paragraph of a document, optionally a quoted span (absolute offsets)."""

    doc: str
    paragraph: int
    start: int = -1
    end: int = -1
    label: str = ""  # "[1]" or "nearest passage"


def _para_html(p: Paragraph, target: Target, css: str) -> str:
    body = highlight(p.text, target.start - p.start, target.end - p.start) if p.n == target.paragraph else esc(p.text)
    kind = " heading" if p.kind == "heading" else ""
    page = f' data-page="{p.page}"' if p.page else ""
    return f'<div class="para {css}{kind}" id="para-{p.n}"{page}><span class="pn">¶{p.n}</span>{body}</div>'


def _doc_head(target: Target, meta: DocMeta | None, paragraphs: list[Paragraph], what: str, ocr_pages: frozenset[int] = frozenset()) -> str:
    title = doc_label(target.doc, meta)
    bits = []
    if meta and meta.date:
        bits.append(f"<span>{esc(meta.date)}</span>")
    if meta and meta.source:
        url = safe_url(meta.source)
        src = f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer nofollow">{esc(meta.source)}</a>' if url else esc(meta.source)
        bits.append(f"<span>{src}</span>")
    if meta and meta.lang:
        bits.append(f"<span>{esc(meta.lang)}</span>")
    bits.append(f'<span class="file">{esc(target.doc)}</span>')
    p = next((x for x in paragraphs if x.n == target.paragraph), None)
    loc = f"¶{target.paragraph} of {len(paragraphs)}"
    if p is not None and p.page:
        loc += f" · page {p.page}"
        if p.page in ocr_pages:
            loc += f" {OCR_BADGE} text read by OCR from the scanned page"
    return (
        f'<div class="pv-head"><div class="pv-label">{esc(target.label)} {what}</div>'
        f'<div class="pv-title">{esc(title)}</div><div class="pv-meta">{" · ".join(bits)}</div>'
        f'<div class="pv-loc">{loc}</div></div>'
    )


def _position(target: Target, paragraphs: list[Paragraph]) -> int | None:
    """Where the cited paragraph is in the document's list, None when it is gone."""
    return next((i for i, p in enumerate(paragraphs) if p.n == target.paragraph), None)


def _missing(target: Target, where: str = "") -> str:
    return f'<div class="pv missing">{esc(target.doc)}{esc(where)} is no longer in the library (deleted or changed).</div>'


def render_paragraph_view(target: Target, meta: DocMeta | None, paragraphs: list[Paragraph], radius: int = NEIGHBOURS,
                          ocr_pages: frozenset[int] = frozenset()) -> str:
    """The cited paragraph with its quote highlighted and `radius` neighbours each side, plus the document's details."""
    i = _position(target, paragraphs)
    if i is None:
        return _missing(target, f" ¶{target.paragraph}")
    shown = paragraphs[max(0, i - radius) : i + radius + 1]
    before = f'<div class="more muted">… {_paragraphs(i - radius)} before</div>' if i - radius > 0 else ""
    after_n = len(paragraphs) - (i + radius + 1)
    after = f'<div class="more muted">… {_paragraphs(after_n)} after</div>' if after_n > 0 else ""
    body = "".join(_para_html(p, target, "target" if p.n == target.paragraph else "ctx") for p in shown)
    return (
        f'<div class="pv">{_doc_head(target, meta, paragraphs, "in its document", ocr_pages)}'
        f'<div class="pv-scroll">{before}{body}{after}</div>'
        f'<div class="pv-actions"><button type="button" class="btn-doc" data-action="doc">'
        f"Open the whole document at ¶{target.paragraph}</button></div></div>"
    )


def render_document_view(target: Target, meta: DocMeta | None, paragraphs: list[Paragraph], window: int = DOC_WINDOW,
                         ocr_pages: frozenset[int] = frozenset()) -> str:
    """The whole document (up to `window` paragraphs each side), scrolled to and highlighting the target."""
    i = _position(target, paragraphs)
    if i is None:
        return _missing(target)
    lo, hi = max(0, i - window), i + window + 1
    parts, page = [], None
    if lo > 0:
        parts.append(f'<div class="more muted">… {_paragraphs(lo)} before</div>')
    for p in paragraphs[lo:hi]:
        if p.page and p.page != page:
            scanned = " · scanned, text read by OCR" if p.page in ocr_pages else ""
            parts.append(f'<div class="page-break muted">page {p.page}{scanned}</div>')
            page = p.page
        parts.append(_para_html(p, target, "target" if p.n == target.paragraph else "ctx"))
    if hi < len(paragraphs):
        parts.append(f'<div class="more muted">… {_paragraphs(len(paragraphs) - hi)} after</div>')
    return (
        f'<div class="pv whole">{_doc_head(target, meta, paragraphs, "· whole document", ocr_pages)}'
        f'<div class="pv-scroll tall">{"".join(parts)}</div>'
        f'<div class="pv-actions"><button type="button" class="btn-doc" data-action="passage">'
        f"Back to the passage</button></div></div>"
    )


def render_scan(page, png: bytes, quote: str, doc: str) -> str:
    """A scanned page's image with the quoted words' boxes (from Tesseract) outlined over it."""
    import base64

    from .ocr import quote_boxes

    boxes = quote_boxes(page.words, quote)
    marks = "".join(
        f'<span class="scan-box" style="left:{100 * x / page.width:.2f}%;top:{100 * y / page.height:.2f}%;'
        f'width:{100 * w / page.width:.2f}%;height:{100 * h / page.height:.2f}%"></span>'
        for x, y, w, h in boxes
    )
    note = "the quoted words are outlined" if boxes else "the quote's words were not found among the page's OCR words"
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return (
        f'<div class="scan"><div class="scan-h muted">page {page.page} as scanned · {note}</div>'
        f'<div class="scan-page"><img src="{src}" alt="{esc(doc)}, page {page.page}">{marks}</div></div>'
    )


def render_library(rows: list[dict]) -> str:
    """The documents table: title, date, language, paragraphs, status and skip reason."""
    if not rows:
        return '<div class="muted">No documents yet: upload files below, or put them into corpus/ and press Re-sync.</div>'
    trs = []
    for r in rows:
        status = "indexed" if r["status"] == "indexed" else "skipped"
        reason = f'<div class="reason">{esc(r.get("reason", ""))}</div>' if r.get("reason") else ""
        ocr = ""
        if r.get("ocr_pages"):
            ocr = '<span class="badge ocr" title="scanned PDF: its text was read by OCR">OCR</span>'
            reason += f'<div class="reason ocr">text read by OCR on {esc(_page_list(r["ocr_pages"]))}</div>'
        trs.append(
            f'<tr class="{status}"><td class="file">{esc(r["name"])}</td><td>{esc(r.get("title", ""))}</td>'
            f'<td>{esc(r.get("date", "") or "–")}</td><td>{esc(r.get("lang", "") or "–")}</td>'
            f'<td class="num">{esc(r.get("paragraphs", 0))}</td><td><span class="badge {status}">{status}</span>{ocr}{reason}</td></tr>'
        )
    n_ok = sum(r["status"] == "indexed" for r in rows)
    return (
        f'<div class="lib-count muted">{n_ok} indexed, {len(rows) - n_ok} skipped</div>'
        '<div class="table-wrap"><table class="library"><thead><tr><th>File</th><th>Title</th><th>Date</th>'
        f'<th>Lang</th><th>¶</th><th>Status</th></tr></thead><tbody>{"".join(trs)}</tbody></table></div>'
    )


def _page_list(pages: list[int]) -> str:
    return f"page {pages[0]}" if len(pages) == 1 else f"{len(pages)} scanned pages ({', '.join(map(str, pages[:12]))}{' …' if len(pages) > 12 else ''})"


def render_sync_report(report, saved: list[str] | None = None, rejected: list[dict] | None = None) -> str:
    """What an upload / delete / re-sync did, in plain words."""
    lines = []
    for name in saved or []:
        lines.append(f'<li class="ok">saved <b>{esc(name)}</b> into corpus/</li>')
    for r in rejected or []:
        lines.append(f'<li class="bad">not saved: {esc(r["reason"])}</li>')
    if report is not None:
        lines += [f'<li class="{"ok" if ok else "bad"}">{esc(line)}</li>' for ok, line in report.lines()]
        lines.append(f'<li class="muted">{esc(report.summary())}</li>')
    return f'<ul class="report">{"".join(lines)}</ul>' if lines else ""


def render_message(text: str, kind: str = "info") -> str:
    return f'<div class="msg {esc(kind)}">{esc(text)}</div>'


# --------------------------------------------------------------------------------------------- page logic


def parse_date(value: str, name: str) -> str:
    """'' or a valid ISO day; anything else is a message the user can act on."""
    v = (value or "").strip()
    if not v:
        return ""
    try:
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise AssistantError(f"{name} must look like 2025-10-29 (year-month-day), not {v!r}") from None


def make_filter(docs, lang, date_from, date_to) -> Filter:
    return Filter(list(docs or []), lang or "", parse_date(date_from, "date from"), parse_date(date_to, "date to"))


def stream_steps(text: str, words_per_step: int = STREAM_WORDS) -> Iterator[str]:
    """Growing prefixes of text, a few words at a time (never splitting a `[n]` marker)."""
    tokens = re.findall(r"\S+\s*", text)
    for i in range(words_per_step, len(tokens), words_per_step):
        yield "".join(tokens[:i])
    yield text


def _metas(app, answer: Answer) -> dict[str, DocMeta]:
    docs = {c.doc for c in answer.citations} | {h.chunk.doc for h in answer.hits}
    known = app.index.doc_meta
    return {d: known[d] for d in docs if d in known}


def _doc_meta(app, doc: str) -> DocMeta | None:
    meta = app.index.doc_meta.get(doc)
    if meta is None:
        for r in app.documents():
            if r["name"] == doc and r["status"] == "indexed":
                return DocMeta(r["title"], r["date"], r["source"], r["lang"])
    return meta


def _error_text(e: Exception, settings: Settings) -> str:
    if isinstance(e, AssistantError):
        return str(e)
    log.exception("unexpected error on the page")
    if settings.debug:
        return "".join(traceback.format_exception(e))
    return f"unexpected error ({type(e).__name__}: {e}); set ASSISTANT_DEBUG=1 for details"


def _doc_choices(app) -> list[tuple[str, str]]:
    out = []
    for r in app.documents():
        if r["status"] == "indexed":
            label = f'{r["title"][:70]} ({r["name"]})' if r["title"] else r["name"]
            out.append((label, r["name"]))
    return out


# --------------------------------------------------------------------------------------------- the page

TRANSCRIPT_JS = """
element.addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-action]');
  if (!b || !element.contains(b)) return;
  ev.preventDefault();
  element.querySelectorAll('.active').forEach(x => x.classList.remove('active'));
  b.classList.add('active');
  trigger('click', {action: b.dataset.action, turn: b.dataset.turn, n: b.dataset.n});
});
"""

VIEWER_JS = """
element.addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-action]');
  if (!b || !element.contains(b)) return;
  ev.preventDefault();
  trigger('click', {action: b.dataset.action});
});
const reveal = () => {
  const box = element.querySelector('.pv-scroll');
  const t = element.querySelector('.para.target');
  if (box && t) box.scrollTop = Math.max(0, t.offsetTop - box.offsetTop - box.clientHeight / 3);
  if (element.querySelector('.pv') && window.innerWidth < 900) element.scrollIntoView({behavior: 'smooth', block: 'start'});
};
watch('value', reveal);
"""

CSS = """
.gradio-container { max-width: 1400px !important; }
#chat-col, #viewer-col { min-width: min(340px, 100%) !important; }
#transcript { min-height: 200px; }
#transcript .transcript, #viewer .pv { font-size: 15px; line-height: 1.55; }
#transcript .turn { padding: 10px 0 14px; border-bottom: 1px solid var(--border-color-primary); }
#transcript .q { display: flex; gap: 8px; font-weight: 600; }
#transcript .q .who { flex: none; width: 22px; height: 22px; border-radius: 50%; text-align: center; line-height: 22px;
  background: var(--color-accent-soft); color: var(--color-accent); font-size: 13px; }
#transcript .q-text, #transcript .a, .src-quote, .para { white-space: pre-wrap; overflow-wrap: anywhere; }
#transcript .a { margin: 6px 0 0 30px; }
#transcript .ctx, #transcript .sources, #transcript .timing { margin-left: 30px; }
#transcript .a.refused { font-weight: 600; }
#transcript .a.error { color: var(--error-text-color, #b91c1c); }
#transcript .ctx, .muted { color: var(--body-text-color-subdued); font-size: 13px; }
button.cite { display: inline; border: 1px solid var(--color-accent); color: var(--color-accent); background: var(--color-accent-soft);
  border-radius: 6px; padding: 0 4px; margin: 0 1px; font-size: 0.8em; font-weight: 700; cursor: pointer; line-height: 1.3;
  vertical-align: super; }
span.cite { color: var(--color-accent); font-weight: 700; }
button.cite:hover, button.cite.active { background: var(--color-accent); color: white; }
.sources { margin-top: 8px; padding: 6px 10px; border-left: 3px solid var(--color-accent); background: var(--background-fill-secondary);
  border-radius: 4px; }
.sources.refused { border-left-color: #d97706; }
.sources-h, .refused-h { font-size: 13px; font-weight: 700; text-transform: none; margin-bottom: 2px; }
.sources ol { margin: 0; padding-left: 0; list-style: none; }
.sources li { margin: 2px 0; }
button.src { all: unset; display: block; cursor: pointer; padding: 4px 6px; border-radius: 4px; font-size: 13.5px; width: 100%;
  box-sizing: border-box; }
button.src:hover, button.src.active { background: var(--color-accent-soft); }
.cite-n { color: var(--color-accent); font-weight: 700; }
.src-where { font-weight: 600; }
.src-quote { display: block; color: var(--body-text-color-subdued); }
.cursor { animation: blink 1s steps(2) infinite; }
@keyframes blink { to { opacity: 0; } }
.pending .dots { color: var(--body-text-color-subdued); font-style: italic; }
#viewer .pv { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; }
.pv-label { font-size: 12px; color: var(--body-text-color-subdued); text-transform: uppercase; letter-spacing: .03em; }
.pv-title { font-weight: 700; font-size: 16px; margin: 2px 0; overflow-wrap: anywhere; }
.pv-meta, .pv-loc { font-size: 13px; color: var(--body-text-color-subdued); overflow-wrap: anywhere; }
.pv-meta span + span::before { content: ""; }
.pv-scroll { max-height: 52vh; overflow-y: auto; margin-top: 8px; padding-right: 4px; }
.pv-scroll.tall { max-height: 68vh; }
.para { padding: 6px 8px; margin: 4px 0; border-radius: 6px; }
.para.ctx { color: var(--body-text-color-subdued); }
.para.target { background: var(--background-fill-secondary); border-left: 3px solid var(--color-accent); color: var(--body-text-color); }
.para.heading { font-weight: 700; }
.para .pn { font-size: 11px; color: var(--body-text-color-subdued); margin-right: 6px; user-select: none; }
.para mark { background: #fde047; color: #111; padding: 0 1px; border-radius: 2px; }
.page-break { text-align: center; border-top: 1px dashed var(--border-color-primary); margin: 8px 0; font-size: 12px; }
.pv-actions { margin-top: 8px; }
button.btn-doc { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 4px 10px; cursor: pointer;
  background: var(--background-fill-primary); font-size: 13px; }
button.btn-doc:hover { border-color: var(--color-accent); }
.table-wrap { overflow-x: auto; }
table.library { border-collapse: collapse; width: 100%; min-width: 560px; font-size: 14px; }
table.library td:nth-child(n+3), table.library th { white-space: nowrap; overflow-wrap: normal; }
#delete-row { align-items: flex-end; }
table.library th, table.library td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--border-color-primary);
  vertical-align: top; overflow-wrap: anywhere; }
table.library td.file { font-family: var(--font-mono); font-size: 12.5px; max-width: 260px; }
.badge { font-size: 12px; padding: 1px 6px; border-radius: 8px; }
.badge.indexed { background: #dcfce7; color: #166534; }
.badge.skipped { background: #fef3c7; color: #92400e; }
.badge.ocr { background: #e0e7ff; color: #3730a3; margin: 0 4px; }
.scan { margin-top: 10px; }
.scan-page { position: relative; display: inline-block; max-width: 100%; border: 1px solid var(--border-color-primary); }
.scan-page img { display: block; width: 100%; height: auto; }
.scan-box { position: absolute; background: rgba(250, 204, 21, 0.35); outline: 2px solid #ca8a04; }
.reason { font-size: 12.5px; color: var(--body-text-color-subdued); }
ul.report { margin: 0; padding-left: 18px; font-size: 14px; }
ul.report li.bad { color: #b45309; }
.msg.warn { color: #b45309; } .msg.error { color: #b91c1c; }
@media (max-width: 640px) {
  .gradio-container { padding: 4px !important; }
  #transcript .a, #transcript .ctx, #transcript .sources, #transcript .timing { margin-left: 0; }
  .pv-scroll, .pv-scroll.tall { max-height: none; }
}
"""


def build_page(app) -> "gr.Blocks":
    """The page over one App: chat with citations and paragraph viewer, filters, library."""
    import gradio as gr

    settings: Settings = app.settings

    # delete_cache: uploads copied into corpus/ leave Gradio's temp copies behind; drop them after an hour
    with gr.Blocks(title="Document assistant", analytics_enabled=False, delete_cache=(3600, 3600)) as page:
        turns_state = gr.State([])
        target_state = gr.State(None)
        gr.HTML(
            "<div class='app-head'><h2 style='margin:0'>Document assistant</h2>"
            "<div class='muted'>Answers quote the documents; click a [n] marker to see the paragraph.</div></div>",
            js_on_load=None,
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, elem_id="chat-col"):
                        transcript = gr.HTML(
                            render_transcript([]), elem_id="transcript", js_on_load=TRANSCRIPT_JS,
                            autoscroll=True, padding=False,
                            max_height="64vh",  # type: ignore[arg-type]  # gradio documents CSS units, annotates int
                        )
                        with gr.Row(equal_height=True):
                            question = gr.Textbox(
                                placeholder="Ask a question (Tiếng Việt, English, Svenska)…", show_label=False,
                                lines=1, max_lines=4, scale=5, min_width=180, elem_id="question", autofocus=True,
                                container=False,
                            )
                            ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=70, elem_id="ask", size="md")
                        gr.Examples(EXAMPLES, inputs=question, label="Examples")
                        with gr.Accordion("Filters and settings", open=False, elem_id="filters"):
                            docs_filter = gr.Dropdown(
                                choices=_doc_choices(app), multiselect=True, label="Only these documents", elem_id="f-docs"
                            )
                            with gr.Row():
                                lang_filter = gr.Dropdown(choices=LANGUAGES, value="", label="Language", min_width=120)
                                date_from = gr.Textbox(label="Date from", placeholder="YYYY-MM-DD", min_width=120)
                                date_to = gr.Textbox(label="Date to", placeholder="YYYY-MM-DD", min_width=120)
                            with gr.Row():
                                mode = gr.Radio(
                                    [("extractive (offline quotes)", "extractive"),
                                     ("LLM" if settings.llm_model else "LLM (not configured: set ASSISTANT_LLM_MODEL)", "llm")],
                                    value=settings.answer_mode, label="Answer mode", min_width=200,
                                )
                                top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label="Passages retrieved", min_width=160)
                        clear_btn = gr.Button("New conversation", size="sm", variant="secondary")
                    with gr.Column(scale=2, elem_id="viewer-col"):
                        viewer = gr.HTML(
                            '<div class="muted">The cited paragraph appears here, highlighted in its document.</div>',
                            elem_id="viewer", js_on_load=VIEWER_JS, padding=False,
                        )
            with gr.Tab("Library", id="library") as lib_tab:
                suffixes = sorted(_suffixes())
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        upload = gr.File(file_count="multiple", elem_id="upload", height=150, label="Upload documents")
                        gr.HTML(
                            f'<div class="muted">{esc(", ".join(suffixes))}; up to {settings.upload_max_mb:g} MB each. '
                            "Files are saved into corpus/ and indexed at once.</div>",
                            js_on_load=None,
                        )
                    with gr.Column(scale=2, min_width=300):
                        with gr.Row(equal_height=False, elem_id="delete-row"):
                            delete_pick = gr.Dropdown(
                                choices=_doc_choices(app), label="Document to delete", elem_id="delete-pick", scale=3, min_width=160
                            )
                            delete_btn = gr.Button("Delete…", variant="stop", elem_id="delete", scale=1, min_width=90, size="md")
                        with gr.Group(visible=False, elem_id="confirm-box") as confirm_box:
                            confirm_text = gr.HTML("", js_on_load=None, elem_id="confirm-text", padding=True)
                            with gr.Row():
                                confirm_btn = gr.Button("Yes, delete it", variant="stop", elem_id="confirm-delete", size="sm")
                                cancel_btn = gr.Button("Cancel", elem_id="cancel-delete", size="sm")
                        resync_btn = gr.Button("Re-sync corpus/ (files added or removed by hand)", elem_id="resync", size="sm")
                lib_status = gr.HTML("", elem_id="lib-status", js_on_load=None)
                lib_table = gr.HTML(render_library(app.documents()), elem_id="lib-table", js_on_load=None)

        # ---- chat
        def respond(q, turns, docs, lang, dfrom, dto, answer_mode, k):
            q = (q or "").strip()
            if not q:
                yield gr.skip(), gr.skip(), gr.skip()
                return
            turns = list(turns or [])
            turn = {"q": q, "context": followup_context(q, turns), "answer": None, "error": ""}
            turns.append(turn)
            yield render_transcript(turns), turns, ""
            try:
                flt = make_filter(docs, lang, dfrom, dto)
                answer = app.ask(q, flt=flt, context=turn["context"], answer_mode=answer_mode, top_k=int(k))
                turn["metas"] = _metas(app, answer)
            except Exception as e:  # the page's boundary: show the message in the conversation
                turn["error"] = _error_text(e, settings)
                yield render_transcript(turns), turns, gr.skip()
                return
            turn["answer"] = answer
            for prefix in stream_steps(answer.answer):
                turn["shown"] = prefix
                yield render_transcript(turns), turns, gr.skip()
                if prefix != answer.answer:
                    time.sleep(STREAM_DELAY_S)
            turn.pop("shown", None)
            yield render_transcript(turns), turns, gr.skip()

        ask_inputs = [question, turns_state, docs_filter, lang_filter, date_from, date_to, mode, top_k]
        ask_outputs = [transcript, turns_state, question]
        ask_btn.click(respond, ask_inputs, ask_outputs, show_progress="hidden", api_name="ask")
        question.submit(respond, ask_inputs, ask_outputs, show_progress="hidden", api_visibility="private")

        def clear():
            return render_transcript([]), [], None, '<div class="muted">The cited paragraph appears here.</div>'

        def answer(question: str) -> dict:
            """One question answered as JSON (the `assistant ask --json` contract), for scripts and load tests."""
            try:
                return app.ask(question).to_json()
            except AssistantError as e:
                raise gr.Error(str(e)) from e

        gr.api(answer, api_name="answer")

        clear_btn.click(clear, None, [transcript, turns_state, target_state, viewer], api_visibility="private")

        def _view(target: Target, whole: bool) -> str:
            try:
                paragraphs = app.index.manifest.paragraphs(target.doc)
                meta = _doc_meta(app, target.doc)
                ocr_pages = frozenset(app.ocr_pages(target.doc))
            except Exception as e:
                return render_message(_error_text(e, settings), "error")
            if whole:
                return render_document_view(target, meta, paragraphs, ocr_pages=ocr_pages)
            return render_paragraph_view(target, meta, paragraphs, ocr_pages=ocr_pages) + _scan_html(target, paragraphs, ocr_pages)

        def _scan_html(target: Target, paragraphs: list[Paragraph], ocr_pages: frozenset[int]) -> str:
            """Under a cited paragraph of a scanned page: the page image, the quote's words outlined."""
            p = next((x for x in paragraphs if x.n == target.paragraph), None)
            if p is None or p.page not in ocr_pages:
                return ""
            try:
                scan = app.scan_page(target.doc, p.page)
            except Exception as e:  # the text view stands without the image
                log.warning("cannot show the scanned page: %s", e)
                return ""
            if scan is None:
                return ""
            quote = p.text[target.start - p.start : target.end - p.start] if target.start >= p.start else p.text
            return render_scan(scan[0], scan[1], quote, target.doc)

        def on_transcript_click(turns, evt: gr.EventData):
            data = getattr(evt, "_data", None) or {}
            try:
                t, n = int(data.get("turn", -1)), int(data.get("n", -1))
                answer: Answer | None = turns[t].get("answer") if 0 <= t < len(turns) else None
            except (TypeError, ValueError):
                return gr.skip(), gr.skip()
            if answer is None:
                return gr.skip(), gr.skip()
            if data.get("action") == "cite":
                c = next((c for c in answer.citations if c.n == n), None)
                if c is None:
                    return gr.skip(), gr.skip()
                target = Target(c.doc, c.paragraph, c.char_start, c.char_end, f"[{c.n}]")
            elif data.get("action") == "hit" and 0 <= n < len(answer.hits):
                ch = answer.hits[n].chunk
                target = Target(ch.doc, ch.paragraph, label="nearest passage")
            else:
                return gr.skip(), gr.skip()
            return _view(target, whole=False), target

        transcript.click(on_transcript_click, [turns_state], [viewer, target_state], show_progress="hidden", api_visibility="private")

        def on_viewer_click(target, evt: gr.EventData):
            data = getattr(evt, "_data", None) or {}
            if target is None or data.get("action") not in ("doc", "passage"):
                return gr.skip()
            return _view(target, whole=data["action"] == "doc")

        viewer.click(on_viewer_click, [target_state], [viewer], show_progress="hidden", api_visibility="private")

        # ---- library
        def lists():
            choices = _doc_choices(app)
            return render_library(app.documents()), gr.update(choices=choices), gr.update(choices=choices, value=None)

        lib_outputs = [lib_table, docs_filter, delete_pick]

        def on_upload(files, progress=gr.Progress()):
            from .library import add_uploads

            if not files:
                return (gr.skip(),) * 5
            paths = [Path(f if isinstance(f, str) else f.name) for f in files]
            try:
                res = add_uploads(app, [(p, p.name) for p in paths], progress=_progress(progress, "indexing"), ocr_progress=_ocr_progress(progress))
                status = render_sync_report(res.report, res.saved, res.rejected)
            except Exception as e:
                status = render_message(_error_text(e, settings), "error")
            return (status, *lists(), None)

        upload.upload(on_upload, [upload], [lib_status, *lib_outputs, upload], api_visibility="private", concurrency_limit=1)

        def on_resync(progress=gr.Progress()):
            from .library import resync

            try:
                status = render_sync_report(resync(app, progress=_progress(progress, "indexing"), ocr_progress=_ocr_progress(progress)))
            except Exception as e:
                status = render_message(_error_text(e, settings), "error")
            return (status, *lists())

        resync_btn.click(on_resync, None, [lib_status, *lib_outputs], api_visibility="private", concurrency_limit=1)

        def ask_delete(name):
            if not name:
                return render_message("Choose a document to delete first.", "warn"), gr.update(visible=False), ""
            text = render_message(
                f"Delete {name}? The file is removed from corpus/ and from the index; this cannot be undone.", "warn"
            )
            return "", gr.update(visible=True), text

        delete_btn.click(ask_delete, [delete_pick], [lib_status, confirm_box, confirm_text], api_visibility="private")
        cancel_btn.click(lambda: gr.update(visible=False), None, [confirm_box], api_visibility="private")

        def do_delete(name, progress=gr.Progress()):
            from .library import delete_document

            if not name:
                return (gr.skip(), gr.update(visible=False), *lists())
            try:
                report = delete_document(app, name, progress=_progress(progress, "updating the index"))
                status = render_message(f"Deleted {name}.", "info") + render_sync_report(report)
            except Exception as e:
                status = render_message(_error_text(e, settings), "error")
            return (status, gr.update(visible=False), *lists())

        confirm_btn.click(do_delete, [delete_pick], [lib_status, confirm_box, *lib_outputs], api_visibility="private", concurrency_limit=1)
        lib_tab.select(lists, None, lib_outputs, api_visibility="private", show_progress="hidden")
    return page


def _suffixes() -> set[str]:
    try:
        from .library import supported_suffixes

        return set(supported_suffixes())
    except ImportError:
        return set()


def _progress(progress, desc: str):
    def update(done: int, total: int) -> None:
        if total:
            progress((done, total), desc=desc, unit="passages")

    return update


def _ocr_progress(progress):
    """Per-page progress of OCR on the page's bar: `OCR scan.pdf` n/total pages."""

    def update(name: str, done: int, total: int) -> None:
        if total:
            progress((done, total), desc=f"OCR {name}", unit="pages")

    return update


# --------------------------------------------------------------------------------------------- serving


def auth_pair(settings: Settings) -> tuple[str, str] | None:
    """(user, password) when both are set; refuse a half-configured auth instead of serving unprotected."""
    if settings.auth_user and settings.auth_password:
        return (settings.auth_user, settings.auth_password)
    if settings.auth_user or settings.auth_password:
        raise ConfigError("set both ASSISTANT_AUTH_USER and ASSISTANT_AUTH_PASSWORD (or neither)")
    return None


def launch(app, *, block: bool = True, quiet: bool = False):
    """Start the page for `app` on settings.host:port; returns the Blocks (running in the background if not block)."""
    settings: Settings = app.settings
    auth = auth_pair(settings)
    if settings.host not in ("127.0.0.1", "localhost", "::1") and auth is None:
        print(f"warning: the page listens on {settings.host} without a password; set ASSISTANT_AUTH_USER/PASSWORD", file=sys.stderr)
    page = build_page(app)
    page.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_MAX)
    page.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=auth,
        auth_message="Document assistant: sign in" if auth else None,
        max_threads=CONCURRENCY * 2,
        max_file_size=int(settings.upload_max_mb * 1024 * 1024),
        prevent_thread_lock=not block,
        quiet=quiet,
        show_error=True,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        run_history=False,  # no per-browser copies of answers, no "save runs to a bucket" option
        footer_links=["api", "settings"],
        css=CSS,
    )
    return page


def serve(settings: Settings) -> None:
    """`assistant serve`: index corpus/ (progress on the terminal), watch it, and run the page."""
    from .app import build

    app = build(settings)
    auth_pair(settings)  # fail before the slow start when auth is half-configured
    print(f"indexing {settings.corpus_dir} …", file=sys.stderr)
    terminal = _TerminalProgress()
    report = app.sync(progress=terminal, log=lambda m: print(m, file=sys.stderr), ocr_progress=terminal.ocr)
    for _, line in report.lines():
        print(f"  {line}", file=sys.stderr)
    print(f"index ready: {report.summary()}", file=sys.stderr)
    watcher = _start_watcher(app) if settings.watch else None
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _interrupted)
    try:
        print(f"chat page on http://{settings.host}:{settings.port} (Ctrl+C stops it)", file=sys.stderr)
        launch(app, block=True, quiet=True)
    finally:
        if watcher is not None:
            watcher.stop()


SHUTDOWN_GRACE_S = 10.0  # after Ctrl+C, how long threads may hold the process (an ingest cut short is recovered at the next start)


def _interrupted(signum, frame) -> None:
    """Ctrl+C: stop as Python does (KeyboardInterrupt in the main thread), with a bound on the shutdown."""
    exit_when_stuck(SHUTDOWN_GRACE_S)
    raise KeyboardInterrupt


def exit_when_stuck(grace_s: float) -> threading.Timer:
    """Ctrl+C must stop the page: if the process is still alive `grace_s` from now (a server thread waiting
    on a client that keeps its connection open, a worker that does not return), say which threads hold it,
    with their stacks, and exit. A daemon timer: a shutdown that finishes in time never sees it."""

    def force() -> None:
        held = [t.name for t in threading.enumerate() if t not in (threading.current_thread(), threading.main_thread())]
        print(f"shutdown: still waiting after {grace_s:g} s on threads {', '.join(held)}; their stacks:", file=sys.stderr)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        sys.stderr.flush()
        os._exit(0)

    timer = threading.Timer(grace_s, force)
    timer.daemon = True
    timer.start()
    return timer


def _start_watcher(app):
    try:
        from .watch import CorpusWatcher
    except ImportError as e:
        print(f"watch mode unavailable ({e}); use Re-sync on the Library tab after changing corpus/", file=sys.stderr)
        return None

    def on_sync(report) -> None:
        for _, line in report.lines():
            print(f"watch: {line}", file=sys.stderr)

    watcher = CorpusWatcher(app, debounce_s=app.settings.watch_debounce_s, on_sync=on_sync)
    watcher.start()
    print(f"watching {app.settings.corpus_dir} for changes", file=sys.stderr)
    return watcher


class _TerminalProgress:
    """A one-line progress counter on stderr for the initial sync."""

    def __call__(self, done: int, total: int) -> None:
        if total:
            print(f"\r  embedding {done}/{total} passages", end="" if done < total else "\n", file=sys.stderr, flush=True)

    def ocr(self, name: str, done: int, total: int) -> None:
        if total:
            print(f"\r  OCR {name}: page {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)
