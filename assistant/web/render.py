"""HTML for the conversation and the library, built from plain data (Answer, DocMeta, library rows, SyncReport).

Pure: no gradio, no app. Every piece of document text, quote, title and file name goes through `esc()`
first, so a document can never inject markup or script into the page.
"""

from __future__ import annotations

import html
import re

from ..brief import also_in_label, link_query
from ..corroborate import copies
from ..gloss import LABEL as GLOSS_LABEL
from ..types import Answer, Citation, DocMeta, DocumentRow, Skipped, SyncReport


def esc(text: object) -> str:
    """HTML-escape anything shown on the page (quotes too, so it is safe inside attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def safe_url(url: str) -> str | None:
    """The URL if it is plain http(s), else None (a `javascript:` source is shown as text)."""
    u = (url or "").strip()
    return u if re.match(r"^https?://[^\s<>\"']+$", u, re.I) else None


_MARKER = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")


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


def _link(doc: str, paragraph: int, span: tuple[int, int] | None, text: str, title: str) -> str:
    """A permalink on the page (relative: it works at whatever address the page is reached)."""
    return (
        f'<a class="permalink" href="{esc(link_query(doc, paragraph, span))}" target="_blank" rel="noopener" '
        f'title="{esc(title)}">{text}</a>'
    )


def _source_item(c: Citation, metas: dict[str, DocMeta], turn: int, copies_of: list[Citation]) -> str:
    """One source: its quote, its permalink, and "also in": the other documents stating it, a copy cited in
    the same answer marked with its [n] (it is listed here, not as a source of its own). A second quote of
    the same paragraph is one more quote of this source, with its own [n] and permalink, not an "also in"
    (a paragraph does not corroborate itself)."""
    same = [k for k in copies_of if (k.doc, k.paragraph) == (c.doc, c.paragraph)]
    copies_of = [k for k in copies_of if k not in same]
    places = [
        (o.doc, o.paragraph, o.lang, f"the same fact in {o.doc} (similarity {o.score:.2f})") for o in c.corroborated_by
    ]
    places += [
        (k.doc, k.paragraph, "", f"the same story in {k.doc}")
        for k in copies_of
        if not any((k.doc, k.paragraph) == (d, n) for d, n, *_ in places)
    ]
    also = []
    for doc, n, lang, tip in places:
        cited = [k for k in copies_of if (k.doc, k.paragraph) == (doc, n)]
        marks = "".join(
            f' <button type="button" class="src-copy" data-action="cite" data-turn="{turn}" data-n="{k.n}" '
            f'title="cited as [{k.n}]: “{esc(k.quote[:200])}”">[{k.n}]</button>'
            for k in cited
        )
        span = (cited[0].char_start, cited[0].char_end) if cited else None
        also.append(_link(doc, n, span, esc(also_in_label(doc, n, lang)), tip) + marks)
    extra = f'<div class="also-in muted">also in: {", ".join(also)}</div>' if also else ""
    where = f'<span class="src-where">{_where(c.doc, metas.get(c.doc), c.paragraph, c.page)}</span>'
    quotes = "".join(
        f'<button type="button" class="src{" src-more" if k is not c else ""}" data-action="cite" data-turn="{turn}" '
        f'data-n="{k.n}"><span class="cite-n">[{k.n}]</span> {where if k is c else ""}'
        f'{OCR_BADGE if k.ocr else ""}<span class="src-quote">“{esc(k.quote)}”</span>{render_gloss(k.gloss)}</button>'
        f'<div class="src-links">{_permalink(k)}</div>'
        for k in (c, *same)
    )
    return f"<li>{quotes}{extra}</li>"


def _permalink(c: Citation) -> str:
    return _link(
        c.doc,
        c.paragraph,
        (c.char_start, c.char_end),
        "link",
        f"permalink to ¶{c.paragraph} of {c.doc}, the quote highlighted",
    )


def render_sources(answer: Answer, metas: dict[str, DocMeta], turn: int) -> str:
    """The panel under an answer: each citation with its document, paragraph, quote and permalink, clickable,
    where else it is stated ("also in"), and the copies of the same story among the citations under it."""
    if not answer.citations:
        return ""
    repeats = copies(answer.citations)
    items = [
        _source_item(c, metas, turn, [k for k in answer.citations if repeats.get(k.n) == c.n])
        for c in answer.citations
        if c.n not in repeats
    ]
    return f'<div class="sources"><div class="sources-h">Sources</div><ol>{"".join(items)}</ol></div>'


def render_gloss(gloss: str | None) -> str:
    """The LLM's translation under a quote, labelled as such (the quote above stays the citation)."""
    if not gloss:
        return ""
    return f'<span class="gloss"><span class="gloss-label">{GLOSS_LABEL}:</span> {esc(gloss)}</span>'


def render_removed(answer: Answer) -> str:
    """What the citation check took out of an LLM answer, struck through with the reason: never dropped unseen."""
    if not answer.removed:
        return ""
    items = []
    for r in answer.removed:
        markers = "".join(f"[{n}]" for n in r.markers)
        if r.sentence_kept:
            what = f'{esc(r.text)} <del class="removed-marker">{esc(markers)}</del>'
            note = f"marker removed: {r.reason}"
        else:
            what = f"<del>{esc(r.text)}{' ' + esc(markers) if markers else ''}</del>"
            note = f"removed: {r.reason}"
        items.append(f'<li>{what} <span class="removed-note">{esc(note)}</span></li>')
    return f'<div class="removed"><div class="removed-h">Taken out by the citation check</div><ul>{"".join(items)}</ul></div>'


def render_draft(text: str) -> str:
    """An LLM answer while it streams: the model's own text, escaped, not yet checked."""
    return f'<div class="a draft">{esc(text)}<span class="cursor">▍</span></div><div class="draft-note muted">checking citations when the answer is complete…</div>'


def render_nearest(answer: Answer, metas: dict[str, DocMeta], turn: int, limit: int = 3) -> str:
    """A refused answer: say so plainly, then list the nearest passages found (clickable)."""
    from ..refusal import NEAREST, NOT_IN_DOCS

    lang = answer.language if answer.language in NEAREST else "en"
    head = f'<div class="refused-h">{esc(NOT_IN_DOCS[lang])}; {esc(NEAREST[lang].lower())}:</div>'
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
    if answer is None and turn.get("draft"):
        return f'<div class="turn streaming" id="turn-{i}">{q}{render_draft(turn["draft"])}</div>'
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
        body += render_removed(answer)
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
            'Every answer quotes its sources: click a <span class="cite">[1]</span> marker to see the '
            "paragraph in its document.</div>"
        )
    return '<div class="transcript">' + "".join(render_turn(i, t) for i, t in enumerate(turns)) + "</div>"


def render_library(rows: list[DocumentRow]) -> str:
    """The documents table: title, date, language, paragraphs, status and skip reason."""
    if not rows:
        return (
            '<div class="muted">No documents yet: upload files below, or put them into corpus/ and press Re-sync.</div>'
        )
    trs = []
    for r in rows:
        status = "indexed" if r.indexed else "skipped"
        reason = f'<div class="reason">{esc(r.reason)}</div>' if r.reason else ""
        ocr = ""
        if r.ocr_pages:
            ocr = '<span class="badge ocr" title="scanned PDF: its text was read by OCR">OCR</span>'
            reason += f'<div class="reason ocr">text read by OCR on {esc(_page_list(r.ocr_pages))}</div>'
        trs.append(
            f'<tr class="{status}"><td class="file">{esc(r.name)}</td><td>{esc(r.title)}</td>'
            f"<td>{esc(r.date or '–')}</td><td>{esc(r.lang or '–')}</td>"
            f'<td class="num">{esc(r.paragraphs)}</td><td><span class="badge {status}">{status}</span>{ocr}{reason}</td></tr>'
        )
    n_ok = sum(r.indexed for r in rows)
    return (
        f'<div class="lib-count muted">{n_ok} indexed, {len(rows) - n_ok} skipped</div>'
        '<div class="table-wrap"><table class="library"><thead><tr><th>File</th><th>Title</th><th>Date</th>'
        f"<th>Lang</th><th>¶</th><th>Status</th></tr></thead><tbody>{''.join(trs)}</tbody></table></div>"
    )


def _page_list(pages: list[int]) -> str:
    return (
        f"page {pages[0]}"
        if len(pages) == 1
        else f"{len(pages)} scanned pages ({', '.join(map(str, pages[:12]))}{' …' if len(pages) > 12 else ''})"
    )


def render_sync_report(
    report: SyncReport | None, saved: list[str] | None = None, rejected: list[Skipped] | None = None
) -> str:
    """What an upload / delete / re-sync did, in plain words."""
    lines = []
    for name in saved or []:
        lines.append(f'<li class="ok">saved <b>{esc(name)}</b> into corpus/</li>')
    for r in rejected or []:
        lines.append(f'<li class="bad">not saved: {esc(r.reason)}</li>')
    if report is not None:
        lines += [f'<li class="{"ok" if ok else "bad"}">{esc(line)}</li>' for ok, line in report.lines()]
        lines.append(f'<li class="muted">{esc(report.summary())}</li>')
    return f'<ul class="report">{"".join(lines)}</ul>' if lines else ""


def render_message(text: str, kind: str = "info") -> str:
    return f'<div class="msg {esc(kind)}">{esc(text)}</div>'
