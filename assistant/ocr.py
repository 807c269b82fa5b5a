"""OCR of PDF pages that have no text layer: PDFium (pypdfium2) renders the page, Tesseract 5 (through
pytesseract) reads it into words with boxes (TSV). The only module that imports either.

Tesseract is an optional system program: `Ocr.unavailable()` says why it cannot run, with the exact
install command, and a scanned PDF is then skipped with that reason (and retried by the next sync once
Tesseract is there: `skip_may_clear`). A page's text is Tesseract's lines joined by newlines, its
paragraphs separated by a blank line, composed to NFC (Tesseract's Vietnamese output mixes composed and
decomposed marks); the loader re-joins the lines into paragraphs exactly as for a text PDF.

Each page read is cached by the file's content hash and the OCR recipe (Tesseract version, languages,
resolution) as soon as it is read: a re-ingest, a rename or an ingest interrupted halfway never reads a
page twice.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Callable, Protocol

from .chunking import content_hash
from .errors import SkipFile
from .loaders.pdf import SENTENCE_END

RECIPE_VERSION = "2"  # bump when what Tesseract is asked for changes (not page_text: it runs on cached rows)
PAGE_TIMEOUT_S = 300  # one page that takes longer is a hung Tesseract, not a slow one
MIN_LINE_CONF = 30.0  # a line whose words Tesseract is this unsure of is a stamp, a signature or a smudge
DEBIAN_BASE = "tesseract-ocr"
BREW = "brew install tesseract tesseract-lang"
NEEDS_TESSERACT = "OCR needs Tesseract"  # every reason that clears once Tesseract is installed says this
_LIMIT = re.compile(r"\d+ scanned pages need OCR, more than the ASSISTANT_OCR_MAX_PAGES limit of (\d+)")
_TESS_LOCK = threading.Lock()  # pytesseract keeps the program's path in a module global

OcrProgress = Callable[[str, int, int], None]  # (file, pages read so far, pages to read)


class OcrCache(Protocol):
    """Where read pages are kept (the manifest implements it)."""

    def ocr_cached(self, digest: str, recipe: str) -> dict[int, str]: ...

    def cache_ocr(self, digest: str, recipe: str, page: int, data: str) -> None: ...


Row = tuple[
    str, int, int, int, int, float, int, int, int
]  # word (NFC), left, top, width, height, confidence, block, paragraph, line
Box = tuple[str, int, int, int, int]  # word, left, top, width, height


@dataclass
class OcrPage:
    """One page as Tesseract read it (its word rows are what is cached); pixels of the page rendered at `dpi`.
    `text` and `words` (the kept words with their boxes) are derived from the rows by `page_text`."""

    page: int
    width: int
    height: int
    dpi: int
    seconds: float
    rows: list[Row] = field(default_factory=list)
    text: str = field(init=False)
    words: list[Box] = field(init=False)

    def __post_init__(self) -> None:
        self.text, self.words = page_text(self.rows)

    def to_json(self) -> str:
        d = asdict(self)
        del d["text"], d["words"]
        return json.dumps(d, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> "OcrPage":
        d = json.loads(data)
        d["rows"] = [tuple(r) for r in d["rows"]]
        return cls(**d)


def install_command(languages: list[str]) -> str:
    """The Debian/Ubuntu command that installs Tesseract with these language models."""
    packages = [DEBIAN_BASE] + [
        f"tesseract-ocr-{lang.lower().replace('_', '-')}" for lang in languages if lang not in ("eng", "osd")
    ]
    return "sudo apt-get install " + " ".join(packages)


class Ocr:
    """Reads scanned pages of one sync's PDFs; counts what it read and what came from the cache."""

    def __init__(
        self,
        languages: str,
        dpi: int,
        max_pages: int,
        cmd: str = "tesseract",
        cache: OcrCache | None = None,
        progress: OcrProgress | None = None,
    ):
        self.languages = [lang for lang in languages.split("+") if lang]
        self.dpi = dpi
        self.max_pages = max_pages
        self.cmd = cmd
        self.cache = cache
        self.progress = progress
        self.pages_read = 0
        self.pages_cached = 0
        self.seconds = 0.0
        self._checked: tuple[str | None, str] | None = None  # (reason it cannot run, Tesseract version)

    @classmethod
    def from_settings(cls, settings, cache: OcrCache | None = None, progress: OcrProgress | None = None) -> "Ocr":
        return cls(
            settings.ocr_languages, settings.ocr_dpi, settings.ocr_max_pages, settings.tesseract_cmd, cache, progress
        )

    # --- is Tesseract there ---------------------------------------------------------------------
    def unavailable(self) -> str | None:
        """Why OCR cannot run here (a reason naming the install command), or None."""
        return self._check()[0]

    def _check(self) -> tuple[str | None, str]:
        if self._checked is None:
            self._checked = self._probe()
        return self._checked

    def _probe(self) -> tuple[str | None, str]:
        install = install_command(self.languages)
        if shutil.which(self.cmd) is None:
            return (
                f"{NEEDS_TESSERACT}, which is not installed (no `{self.cmd}` program found): install it with "
                f"`{install}` (macOS: `{BREW}`), then sync again",
                "",
            )
        import pytesseract

        try:
            with _TESS_LOCK:
                pytesseract.pytesseract.tesseract_cmd = self.cmd
                version = str(pytesseract.get_tesseract_version())
                installed = set(pytesseract.get_languages())
        except Exception as e:  # a broken install: say what Tesseract said
            return f"{NEEDS_TESSERACT}, which does not run ({str(e).strip()[:200]}): reinstall it with `{install}`", ""
        missing = [lang for lang in self.languages if lang not in installed]
        if missing:
            have = ", ".join(sorted(installed - {"osd"})) or "none"
            return (
                f"{NEEDS_TESSERACT} language models that are not installed ({', '.join(missing)}): install them with "
                f"`{install_command(missing)}`, or set ASSISTANT_OCR_LANGUAGES to installed ones ({have}), then sync again",
                version,
            )
        return None, version

    @property
    def recipe(self) -> str:
        """What a cached page was read with: a change reads pages again."""
        return f"tesseract {self._check()[1]} {'+'.join(self.languages)} {self.dpi}dpi v{RECIPE_VERSION}"

    # --- reading pages --------------------------------------------------------------------------
    def read(self, data: bytes, pages: list[int], name: str = "") -> dict[int, OcrPage]:
        """OCR these 1-based pages of a PDF; nothing when OCR is off (the text pages alone are indexed);
        SkipFile when over the page limit or when OCR cannot run."""
        if self.max_pages == 0:
            return {}
        if len(pages) > self.max_pages:
            raise SkipFile(
                f"{len(pages)} scanned pages need OCR, more than the ASSISTANT_OCR_MAX_PAGES limit of {self.max_pages} "
                f"(OCR takes a few seconds a page): raise the setting or split the file"
            )
        reason = self.unavailable()
        if reason:
            raise SkipFile(f"no text layer on {_pages(pages)} (scanned/image-only PDF): {reason}")
        digest, recipe = content_hash(data), self.recipe
        cached = self.cache.ocr_cached(digest, recipe) if self.cache else {}
        out: dict[int, OcrPage] = {}
        todo = [n for n in pages if n not in cached]
        for n in pages:
            if n in cached:
                out[n] = OcrPage.from_json(cached[n])
                self.pages_cached += 1
        if self.progress:
            self.progress(name, len(out), len(pages))
        if todo:
            import pypdfium2

            # Tesseract's OpenMP threads made a page 2x slower on a busy 2-core machine (4.2 s vs 2.1 s): one each
            os.environ.setdefault("OMP_THREAD_LIMIT", "1")

            pdf = pypdfium2.PdfDocument(data)
            try:
                for n in todo:
                    out[n] = page = self._read_page(pdf, n)
                    if self.cache:
                        self.cache.cache_ocr(digest, recipe, n, page.to_json())
                    if self.progress:
                        self.progress(name, len(out), len(pages))
            finally:
                pdf.close()
        return out

    def _read_page(self, pdf, n: int) -> OcrPage:
        import pytesseract

        t0 = time.monotonic()
        image = render(pdf, n, self.dpi)
        try:
            with _TESS_LOCK:
                pytesseract.pytesseract.tesseract_cmd = self.cmd
                tsv = pytesseract.image_to_data(
                    image,
                    lang="+".join(self.languages),
                    config=f"--psm 3 --dpi {self.dpi}",
                    output_type=pytesseract.Output.DICT,
                    timeout=PAGE_TIMEOUT_S,
                )
        except RuntimeError as e:  # pytesseract's timeout
            raise SkipFile(f"OCR of page {n} did not finish within {PAGE_TIMEOUT_S} s ({e})") from None
        except pytesseract.TesseractError as e:
            raise SkipFile(f"Tesseract failed on page {n}: {str(e.message).strip()[:200]}") from None
        seconds = time.monotonic() - t0
        self.pages_read += 1
        self.seconds += seconds
        return OcrPage(n, image.width, image.height, self.dpi, round(seconds, 3), tsv_rows(tsv))


def render(pdf, n: int, dpi: int):
    """Page n (1-based) of an open pypdfium2 document as a greyscale PIL image at `dpi`."""
    page = pdf[n - 1]
    try:
        return page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
    finally:
        page.close()


def render_png(data: bytes, n: int, dpi: int) -> bytes:
    """Page n of a PDF as PNG bytes (the citation viewer shows it under the quoted words' boxes)."""
    import io

    import pypdfium2

    pdf = pypdfium2.PdfDocument(data)
    try:
        out = io.BytesIO()
        render(pdf, n, dpi).save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        pdf.close()


def tsv_rows(tsv: dict[str, list]) -> list[Row]:
    """The words of Tesseract's TSV (pytesseract's dict of columns), NFC, with their boxes and line ids."""
    return [
        (unicodedata.normalize("NFC", str(word).strip()), int(tsv["left"][i]), int(tsv["top"][i]), int(tsv["width"][i]),
         int(tsv["height"][i]), float(tsv["conf"][i]), int(tsv["block_num"][i]), int(tsv["par_num"][i]), int(tsv["line_num"][i]))
        for i, word in enumerate(tsv["text"])
        if int(tsv["level"][i]) == 5 and str(word).strip()
    ]  # fmt: skip


def page_text(rows: list[Row]) -> tuple[str, list[Box]]:
    """Word rows -> page text (lines by "\n", paragraphs by a blank line) and the kept words' boxes.

    A paragraph ends where Tesseract's does, and where the gap above a line is clearly wider than the
    page's usual line gap (a blank line between paragraphs that Tesseract's layout grouped, e.g. a
    title over a byline). A line Tesseract is unsure of as a whole (mean confidence under
    MIN_LINE_CONF) is dropped: on scans that is a stamp, a signature or a blot, not text."""
    lines: dict[tuple[int, int, int], list[Row]] = {}
    for r in rows:
        lines.setdefault((r[6], r[7], r[8]), []).append(r)
    kept = [(key, ws) for key, ws in lines.items() if sum(w[5] for w in ws) / len(ws) >= MIN_LINE_CONF]
    tops = [min(w[2] for w in ws) for _, ws in kept]
    bottoms = [max(w[2] + w[4] for w in ws) for _, ws in kept]
    heights = sorted(b - t for t, b in zip(tops, bottoms))
    gaps = sorted(tops[i + 1] - bottoms[i] for i in range(len(kept) - 1) if kept[i + 1][0][:2] == kept[i][0][:2])
    wide = (gaps[len(gaps) // 2] if gaps else 0) + 0.5 * (heights[len(heights) // 2] if heights else 0)
    out: list[str] = []
    words: list[Box] = []
    for i, (key, ws) in enumerate(kept):
        if (
            i
            and (key[:2] != kept[i - 1][0][:2] or tops[i] - bottoms[i - 1] > wide)
            and not _continues(out[-1], ws[0][0])
        ):
            out.append("")
        out.append(" ".join(w[0] for w in ws))
        words += [w[:5] for w in ws]
    return "\n".join(out), words


def _continues(line: str, next_word: str) -> bool:
    """A line without a sentence end followed by one starting in lower case is one sentence: Tesseract
    sometimes starts a new paragraph at a full line in the middle of one."""
    return not SENTENCE_END.search(line) and next_word[:1].islower()


def skip_may_clear(reason: str, ocr: Ocr) -> bool:
    """A recorded skip that a sync should try again although the file did not change: Tesseract (or a
    language model) was missing and is there now, OCR was off and is on, or the page limit changed."""
    if NEEDS_TESSERACT in reason or "it needs OCR" in reason:
        return ocr.max_pages > 0 and ocr.unavailable() is None
    m = _LIMIT.search(reason)
    return m is not None and int(m.group(1)) != ocr.max_pages


def _pages(pages: list[int]) -> str:
    """`page 3`, `pages 1-4`, `pages 2, 5, 7` (a long list is shortened)."""
    if len(pages) == 1:
        return f"page {pages[0]}"
    if pages == list(range(pages[0], pages[-1] + 1)):
        return f"pages {pages[0]}-{pages[-1]}"
    shown = ", ".join(str(p) for p in pages[:8])
    return f"pages {shown}" + (f" and {len(pages) - 8} more" if len(pages) > 8 else "")


_HYPHENS = ("-", "\u2010", "\u00ad")


def quote_boxes(words: list[tuple[str, int, int, int, int]], quote: str) -> list[tuple[int, int, int, int]]:
    """The boxes (left, top, width, height) of the page words that make up `quote`, in reading order; empty
    when the quote is not on the page. A word hyphenated across lines (`gover-` + `nance`) is both its parts;
    the quote's first and last word may be parts of a page word (a quote can start or end inside one)."""
    want = quote.split()
    texts = [w[0] for w in words]
    if not want:
        return []
    for i in range(len(texts)):
        j, k, hit = i, 0, []
        while k < len(want) and j < len(texts):
            t, w, last = texts[j], want[k], k == len(want) - 1
            pair = {t[:-1] + texts[j + 1], t + texts[j + 1]} if j + 1 < len(texts) and t.endswith(_HYPHENS) else set()
            if t == w or (k == 0 and t.endswith(w)) or (last and t.startswith(w)):
                hit.append(j)
                j += 1
            elif w in pair or (last and any(p.startswith(w) for p in pair)):
                hit += [j, j + 1]
                j += 2
            else:
                break
            k += 1
        if k == len(want):
            return [tuple(words[x][1:]) for x in hit]  # type: ignore[misc]
    return []
