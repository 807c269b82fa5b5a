"""Document metadata (title, date, source, language) read from explicit text only: pure, no third-party imports.

Rules (missing metadata stays empty, never guessed):
- title: HTML `og:title` / `<title>`; else a leading markdown `# heading`; else the first "real" line
  among the first paragraphs, skipping date lines, site banners (`Vietnam.vn - Nền tảng…`, domain
  names) and short lines (< 20 chars or < 4 words: bylines, section names). That line is the title only if it is <= 150 chars and does not
  end with a period; otherwise, a short first paragraph of one line above the text ("Polis", "Sao Kim")
  is; otherwise the document opens with a lead paragraph and has no title line.
- date: HTML `article:published_time`; else a full date (with a year) that starts within the first
  60 chars of one of the first 5 paragraphs (a date line, `date 2025-10-21 …`, `Hà Nội, ngày 21/10/2025`);
  else an ISO date in the file name. Body dates (`ngày 27/10 tại Ninh Bình`) never count.
- source: HTML `og:site_name`; else the first label line `Nguồn: X`, `(Nguồn: X)`, `Source: X`,
  `Källa: X` (a URL stays a URL), or a short `Theo X` line; else the outlet name glued (no space)
  to a date line near the top (`Bộ Khoa học và Công nghệBộ Khoa học và Công nghệ27/10/2025`).
- lang: `detect_language` on the text.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Iterable

from .types import DocMeta, Paragraph

# Vietnamese letters with diacritics; the "distinct" ones do not occur in English or Swedish.
VI_LETTERS = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
_VI_DISTINCT = re.compile("[" + "".join(c for c in VI_LETTERS if c not in "àáèéìíòóùúý") + "]")
_SV_LETTERS = re.compile("[åäö]")
_WORD = re.compile(r"[^\W\d_]+")
_VI_WORDS = frozenset(
    "và của là các những được trong cho với này không có một người tại ai gì nào bao nhiêu đã sẽ "
    "cua va la cac nhung duoc voi khong mot tai gi nao nhu cung thi".split()
)
_SV_WORDS = frozenset(
    "och att det som för med är inte en ett på av till om har den de var vid vem vad hur från kan ska "
    "eller sig också när vilken vilka efter under mellan".split()
)
# German: not a corpus language, but told apart so that German text is not taken for Swedish (shared
# letters ä/ö) and a `--lang sv` filter or the cross-language checks do not treat it as Swedish
_DE_WORDS = frozenset(
    "der die das und ist nicht mit von zu den im auf für sich des dem auch als wurde werden eine einer "
    "wird sind wer wie welche welcher wann nach bei durch zum zur über".split()
)
_DE_LETTERS = re.compile("[üß]")
_EN_WORDS = frozenset(
    "the and of to is in who what a an are was were for on with that by how which does did this from "
    "at be it has have when where why".split()
)
_LANG_SAMPLE = 200_000  # characters; enough for any article, bounded for a 50 MB dump

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    "januari": 1, "februari": 2, "mars": 3, "maj": 5, "juni": 6, "juli": 7, "augusti": 8, "oktober": 10,
}  # fmt: skip
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_YEAR = r"(?P<y>(?:19|20)\d\d)"
_DATES = [
    re.compile(rf"(?<!\d){_YEAR}-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?!\d)"),
    re.compile(rf"(?<![\d/.])(?P<d>\d{{1,2}})[/.-](?P<m>\d{{1,2}})[/.-]{_YEAR}(?!\d)"),
    re.compile(rf"ngày\s+(?P<d>\d{{1,2}})\s+tháng\s+(?P<m>\d{{1,2}})\s+năm\s+{_YEAR}", re.I),
    re.compile(rf"(?<![^\W\d_])(?P<mn>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}(?!\d)", re.I),
    re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\.?\s+(?P<mn>{_MONTH})\.?,?\s+{_YEAR}(?!\d)", re.I),
]
_RELATIVE_DATE = re.compile(r"\d+\s+(?:ngày|giờ|phút|tuần|tháng)\s+trước|\d+\s+(?:hours?|days?|minutes?)\s+ago", re.I)
_DATE_PREFIX_NOT_OUTLET = re.compile(
    r"^(?:thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|chủ\s+nhật|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"måndag|tisdag|onsdag|torsdag|fredag|lördag|söndag|date|ngày|cập nhật|đăng|published|updated|posted|"
    r"publicerad|uppdaterad)\b",
    re.I,
)
_BANNER = re.compile(r"(?i)(?<![\w.])[\w-]+\.(?:vn|com|net|org|se|gov|info|io|eu)\b|\s-\s*Nền tảng")
_SOURCE_LABEL = re.compile(
    r"^[(\[]?\s*(?:nguồn(?:\s+tin)?|sources?|källa|källor)\s*[:：]\s*(?P<v>.+?)\s*[)\]]?\s*$", re.I
)
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_THEO = re.compile(r"^Theo\s+(?P<v>[^,;:.!?]{2,60})$")

HEAD_PARAGRAPHS = 5  # dates are only read from the top of a document
DATE_MAX_OFFSET = 60  # ... and only near the start of a paragraph
TITLE_SCAN = 8
TITLE_MAX = 150
_LINE_CAP = 400


def detect_language(text: str) -> str:
    """'vi', 'en', 'sv', 'de', or '' when there is too little evidence (heuristic, linear time)."""
    words = Counter(_WORD.findall(text[:_LANG_SAMPLE].lower()))
    if sum(len(w) * n for w, n in words.items()) < 3:
        return ""
    scores = {
        "vi": sum(n for w, n in words.items() if w in _VI_WORDS or _VI_DISTINCT.search(w)),
        "sv": sum(n for w, n in words.items() if w in _SV_WORDS or _SV_LETTERS.search(w)),
        "en": sum(n for w, n in words.items() if w in _EN_WORDS),
        "de": sum(n for w, n in words.items() if w in _DE_WORDS or _DE_LETTERS.search(w)),
    }
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    return best if ranked[0] > 0 and ranked[0] > ranked[1] else ""


def find_date(text: str) -> tuple[str, int, int] | None:
    """The earliest valid full date in `text` as (ISO date, start, end), or None."""
    found = []
    for pattern in _DATES:
        for m in pattern.finditer(text):
            iso = _iso(m)
            if iso:
                found.append((m.start(), m.end(), iso))
                break
    if not found:
        return None
    start, end, iso = min(found)
    return iso, start, end


def _iso(m: re.Match) -> str:
    """A regex match with y/m(or mn)/d groups -> 'yyyy-mm-dd', or '' when it is not a real day."""
    groups = m.groupdict()
    month = _MONTHS[groups["mn"].lower()] if groups.get("mn") else int(groups["m"])
    try:
        return date(int(groups["y"]), month, int(groups["d"])).isoformat()
    except ValueError:
        return ""


def extract_meta(doc_text: str, paragraphs: list[Paragraph], filename: str, html_meta: dict | None = None) -> DocMeta:
    """Title, ISO date, source and language of a document, each empty when not stated explicitly."""
    hm = {k: (v or "").strip() for k, v in (html_meta or {}).items()}
    texts = [p.text for p in paragraphs]
    return DocMeta(
        title=_html_title(hm) or _title(texts),
        date=_html_date(hm) or _date(texts) or _filename_date(filename),
        source=hm.get("og:site_name", "") or _source(texts),
        lang=detect_language(doc_text),
    )


def _html_title(hm: dict) -> str:
    """og:title, else <title> without a trailing ` | Site name`."""
    title = hm.get("og:title") or hm.get("title", "")
    site = hm.get("og:site_name", "")
    for sep in (" | ", " - ", " – ", " — "):
        if site and title.endswith(sep + site):
            title = title[: -len(sep + site)]
    return " ".join(title.split())


def _html_date(hm: dict) -> str:
    """The day of `article:published_time` (ISO 8601)."""
    found = find_date(hm.get("article:published_time", "")[:10])
    return found[0] if found else ""


def _filename_date(filename: str) -> str:
    """An ISO date written in the file name (`2025-10-21-forum.pdf`)."""
    m = _DATES[0].search(filename)
    return _iso(m) if m else ""


def _date(texts: list[str]) -> str:
    """A full date starting near the beginning of one of the first paragraphs."""
    for text in texts[:HEAD_PARAGRAPHS]:
        found = find_date(text[: DATE_MAX_OFFSET + 40])
        if found and found[1] <= DATE_MAX_OFFSET:
            return found[0]
    return ""


def _first_lines(texts: Iterable[str]) -> Iterable[str]:
    """First line of each paragraph, whitespace collapsed."""
    for text in texts:
        yield " ".join(text[:_LINE_CAP].split("\n", 1)[0].split())  # capped: a title is short, a dump line is not


def _is_date_line(line: str) -> bool:
    """A short line that is (mostly) a date: `Thứ tư, 29/10/2025 00:00 (GMT+7)`, `2 ngày trước`."""
    return len(line) <= 80 and bool(find_date(line) or _RELATIVE_DATE.search(line))


def _not_a_title(line: str) -> bool:
    """Lines skipped when looking for the title: dates, site banners, bylines and other short lines."""
    return _is_date_line(line) or bool(_BANNER.search(line)) or len(line) < 20 or len(line.split()) < 4


def _title(texts: list[str]) -> str:
    """The first real line if it looks like a title (<= 150 chars, no final period); else a short first
    paragraph of one line standing above the text (`_short_title`); else ''."""
    return _long_title(texts) or _short_title(texts)


def _short_title(texts: list[str]) -> str:
    """The document's first paragraph when it is one short line above more text, with no final period and
    no date or banner: "Polis", "Sao Kim", "Yuan dynasty", "Super Bowl 50" (encyclopaedia and authority
    pages). Read only when no longer line is the title, so a byline above the title stays a byline."""
    if len(texts) < 2 or "\n" in texts[0].strip():
        return ""
    line = " ".join(texts[0].split())
    if (
        not line
        or len(line) > TITLE_MAX
        or line.endswith((".", "…", ":", ",", ";"))
        or not any(c.isalpha() for c in line)
    ):
        return ""
    return "" if _is_date_line(line) or _BANNER.search(line) else line


def _long_title(texts: list[str]) -> str:
    for line in _first_lines(texts[:TITLE_SCAN]):
        heading = _MD_HEADING.match(line)
        if heading:  # an explicit markdown heading is a title whatever its length
            return line[heading.end() :] if len(line) <= TITLE_MAX else ""
        if _not_a_title(line):
            continue
        return line if len(line) <= TITLE_MAX and not line.endswith((".", "…")) else ""
    return ""


def _source(texts: list[str]) -> str:
    """An explicit source line anywhere, else the outlet glued to a date line near the top."""
    for text in texts:
        if len(text) <= 200:
            m = _SOURCE_LABEL.match(text) or _THEO.match(text)
            if m:
                value = m.group("v").strip()
                return value if "://" in value else value.rstrip(".").strip()
    return _outlet(texts[:HEAD_PARAGRAPHS])


def _outlet(texts: list[str]) -> str:
    """The outlet name glued to a date line (`Bộ Khoa học và Công nghệ27/10/2025`); `Hà Nội, ngày …` is a place."""
    for line in _first_lines(texts):
        found = find_date(line) if _is_date_line(line) else None
        if not found or found[1] == 0 or not line[found[1] - 1].isalpha():
            continue
        name = _undouble(line[: found[1]].strip())
        if name and not re.search(r"\d", name) and not _DATE_PREFIX_NOT_OUTLET.match(name) and len(name.split()) <= 8:
            return name
    return ""


def _undouble(name: str) -> str:
    """`XX` or `X X` -> `X`: web dumps often repeat the outlet name (logo alt text + label)."""
    half = len(name) // 2
    if len(name) % 2 == 0 and name[:half] == name[half:]:
        return name[:half]
    if len(name) % 2 == 1 and name[half].isspace() and name[:half] == name[half + 1 :]:
        return name[:half]
    return name


def meta_lines(paragraphs: list[Paragraph], meta: DocMeta) -> dict[str, tuple[int, int, int, int]]:
    """Where the date and source of `meta` are written: {"date"|"source": (paragraph n, start, end, at)},
    start:end the line of that paragraph's text holding the value (which starts at `at`), read by the same rules as
    `extract_meta` (a date near the start of one of the first paragraphs; a `Nguồn:`/`Källa:`/`Theo X`
    line, else the outlet glued to a date line near the top). A value that is not written in any
    paragraph (HTML meta tags, a date in the file name) has no entry."""
    out: dict[str, tuple[int, int, int, int]] = {}
    if meta.date:
        for p in paragraphs[:HEAD_PARAGRAPHS]:
            found = find_date(p.text[: DATE_MAX_OFFSET + 40])
            if found and found[1] <= DATE_MAX_OFFSET and found[0] == meta.date:
                out["date"] = (p.n, *_line_at(p.text, found[1]), found[1])
                break
    if meta.source:
        where = _source_line(paragraphs, meta.source)
        if where:
            out["source"] = where
    return out


def _source_line(paragraphs: list[Paragraph], source: str) -> tuple[int, int, int, int] | None:
    """The label line, the outlet line, else a short paragraph that holds `source` verbatim."""
    for p in paragraphs:
        if len(p.text) <= 200:
            m = _SOURCE_LABEL.match(p.text) or _THEO.match(p.text)
            if m and source in m.group("v"):
                return (p.n, *_line_at(p.text, m.start("v")), m.start("v"))
    for p in paragraphs[:HEAD_PARAGRAPHS]:
        if _outlet([p.text]) == source:
            at = p.text.find(source)
            if at >= 0:
                return (p.n, *_line_at(p.text, at), at)
    for p in paragraphs:
        at = p.text.find(source)
        if at >= 0 and len(p.text) <= 200:
            return (p.n, *_line_at(p.text, at), at)
    return None


def _line_at(text: str, pos: int) -> tuple[int, int]:
    """(start, end) of the line of `text` holding position `pos`, surrounding whitespace trimmed."""
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
