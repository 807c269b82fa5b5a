"""Briefs: answers with their quotes and references, to hand on (pure core: answers -> `Brief` -> Markdown
text or a DOCX file; only `write_docx` imports python-docx, only `export` touches the disk).

A quote is copied verbatim from the citation (itself verified against the source text), with where it
stands: document title, outlet, date, URL, paragraph, page, and its permalink: `<base>/?doc=<file>&p=<n>`
opens the page at that paragraph, `&q=<start>-<end>` highlights the quote (its `char_start`/`char_end`, offsets in
the document's text as in `ask --json`).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote as urlquote
from urllib.parse import urlencode, urlsplit

from .errors import AssistantError
from .types import Answer, DocMeta

FORMATS = (".docx", ".md")


class ExportError(AssistantError):
    """A brief cannot be written where it was asked for; the message says what to do."""


@dataclass(frozen=True)
class Reference:
    """One document the brief quotes, numbered in order of first quote."""

    n: int
    doc: str
    title: str
    outlet: str
    date: str
    url: str


@dataclass(frozen=True)
class BriefQuote:
    n: int  # the answer's [n] marker
    ref: int  # Reference.n
    quote: str  # verbatim
    doc: str
    paragraph: int
    page: int | None
    permalink: str
    ocr: bool = False
    also_in: tuple[str, ...] = ()  # "004_….txt ¶3 (sv)": other documents stating it


@dataclass(frozen=True)
class BriefItem:
    question: str
    answer: str
    answered: bool
    quotes: tuple[BriefQuote, ...]


@dataclass
class Brief:
    title: str
    items: list[BriefItem] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


def permalink(base_url: str, doc: str, paragraph: int, span: tuple[int, int] | None = None) -> str:
    """The page's link to a paragraph (and a quote inside it: document offsets, `char_start`-`char_end`)."""
    return f"{base_url.rstrip('/')}/{link_query(doc, paragraph, span)}"


def link_query(doc: str, paragraph: int, span: tuple[int, int] | None = None) -> str:
    """`?doc=<file>&p=<n>[&q=<start>-<end>]`: a permalink relative to the page it is on."""
    params = {"doc": doc, "p": str(paragraph)}
    if span is not None:
        params["q"] = f"{span[0]}-{span[1]}"
    return "?" + urlencode(params, quote_via=urlquote)


def parse_span(value: str) -> tuple[int, int] | None:
    """`12-40` -> (12, 40); anything else (missing, reversed, not numbers) -> None."""
    start, sep, end = (value or "").partition("-")
    if not sep or not start.isdigit() or not end.isdigit() or int(start) >= int(end):
        return None
    return int(start), int(end)


def outlet_and_url(source: str) -> tuple[str, str]:
    """A document's source line split into (outlet, URL): a URL names its host as the outlet."""
    if source.startswith(("http://", "https://")):
        return urlsplit(source).hostname or source, source
    return source, ""


def also_in_label(doc: str, paragraph: int, lang: str) -> str:
    return f"{doc} ¶{paragraph}" + (f" ({lang})" if lang else "")


def build_brief(answers: Sequence[Answer], metas: Mapping[str, DocMeta], base_url: str, title: str = "Brief") -> Brief:
    """Each answer with its quotes (verbatim, with permalinks) and one reference list for them all."""
    brief = Brief(title)
    refs: dict[str, Reference] = {}
    for a in answers:
        quotes = []
        for c in a.citations if a.answered else []:
            if c.doc not in refs:
                meta = metas.get(c.doc) or DocMeta()
                outlet, url = outlet_and_url(meta.source)
                refs[c.doc] = Reference(len(refs) + 1, c.doc, meta.title, outlet, meta.date, url)
            link = permalink(base_url, c.doc, c.paragraph, (c.char_start, c.char_end))
            also = tuple(also_in_label(o.doc, o.paragraph, o.lang) for o in c.corroborated_by)
            quotes.append(BriefQuote(c.n, refs[c.doc].n, c.quote, c.doc, c.paragraph, c.page, link, c.ocr, also))
        brief.items.append(BriefItem(a.question, a.answer, a.answered, tuple(quotes)))
    brief.references = sorted(refs.values(), key=lambda r: r.n)
    return brief


def where(q: BriefQuote, ref: Reference) -> str:
    """`Title — outlet, 2025-10-27, ¶10, p. 2`: where a quote stands, in words."""
    bits = [ref.title or ref.doc]
    bits += [b for b in (ref.outlet, ref.date) if b]
    bits.append(f"¶{q.paragraph}")
    if q.page:
        bits.append(f"p. {q.page}")
    return ", ".join(bits)


def reference_line(r: Reference) -> str:
    bits = [r.title or r.doc, r.outlet, r.date, r.url, f"file {r.doc}"]
    return ". ".join(b for b in bits if b) + "."


def to_markdown(brief: Brief) -> str:
    """The brief as Markdown text."""
    refs = {r.n: r for r in brief.references}
    out = [f"# {brief.title}", ""]
    for i, item in enumerate(brief.items, 1):
        out += [f"## {i}. {item.question}", "", item.answer, ""]
        for q in item.quotes:
            out.append(f"> {q.quote}")
            out.append(">")
            ocr = " (OCR text of the scanned page)" if q.ocr else ""
            out.append(
                f"> — [{q.n}] {where(q, refs[q.ref])}{ocr} (reference {q.ref}). [Open the paragraph]({q.permalink})"
            )
            if q.also_in:
                out.append(f">\n> Also in: {', '.join(q.also_in)}")
            out.append("")
    out += ["## References", ""]
    out += [f"{r.n}. {reference_line(r)}" for r in brief.references]
    return "\n".join(out) + "\n"


def write_docx(brief: Brief, path: Path) -> None:
    """The brief as a Word document (python-docx): headings, the quotes as quoted paragraphs with links."""
    import docx

    d = docx.Document()
    d.add_heading(brief.title, level=0)
    refs = {r.n: r for r in brief.references}
    for i, item in enumerate(brief.items, 1):
        d.add_heading(f"{i}. {item.question}", level=1)
        d.add_paragraph(item.answer)
        for q in item.quotes:
            d.add_paragraph(q.quote, style="Quote")
            ocr = " (OCR text of the scanned page)" if q.ocr else ""
            src = d.add_paragraph(f"[{q.n}] {where(q, refs[q.ref])}{ocr} (reference {q.ref}). ")
            _hyperlink(src, q.permalink, "Open the paragraph")
            if q.also_in:
                d.add_paragraph(f"Also in: {', '.join(q.also_in)}")
    d.add_heading("References", level=1)
    for r in brief.references:
        d.add_paragraph(f"{r.n}. {reference_line(r)}")
    d.save(str(path))


def _hyperlink(paragraph, url: str, text: str) -> None:
    """A clickable link (python-docx has no API for one: the relationship and run are added by hand)."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    rid = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), rid)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    props.append(style)
    run.append(props)
    t = OxmlElement("w:t")
    t.text = text
    run.append(t)
    link.append(run)
    paragraph._p.append(link)


def check_target(path: Path) -> None:
    """Fail before any work when a brief cannot be written to `path` (format, folder)."""
    if path.suffix.lower() not in FORMATS:
        raise ExportError(
            f"cannot export a brief as {path.name!r}: give a file name ending in .docx (Word) or .md (Markdown)"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: the folder {folder} does not exist; create it or choose another path")
    if not os.access(folder, os.W_OK):
        raise ExportError(f"cannot write {path}: the folder {folder} is not writable; choose another path")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder; give a file name ending in .docx or .md")


def export(brief: Brief, path: Path) -> Path:
    """Write the brief in the format its file name says, atomically (a failed write leaves any old file whole)."""
    path = Path(path)
    check_target(path)
    fd, tmp_name = tempfile.mkstemp(prefix=".brief-", suffix=path.suffix, dir=path.parent if str(path.parent) else ".")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        if path.suffix.lower() == ".md":
            tmp.write_text(to_markdown(brief), encoding="utf-8")
        else:
            write_docx(brief, tmp)
        os.replace(tmp, path)
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror or e}; choose another path") from e
    finally:
        tmp.unlink(missing_ok=True)
    return path
