"""Questions about a document itself ("where / when was the article about X published?"): answered from
its metadata (metadata.py), quoting, verbatim, the line the date or source was read from.

`metadata_answer` returns None (the normal answer path) unless the question asks for a document's source
or publication date, the document it is about has that value, and the value is written in one of its
paragraphs: a value from HTML meta tags or a file name has no line to cite, and nothing is said without
a verified citation (citations.verify).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .citations import make_citation, verify
from .retrieve import CROSS_LANGUAGE_BONUS, lifted
from .metadata import _EN_WORDS, _SV_WORDS, _VI_WORDS, detect_language, meta_lines
from .support import missing_entities
from .text import fold, sentence_spans, words
from .types import Answer, Chunk, Citation, DocMeta, Hit, doc_language

MAX_LINE = 300  # a longer line (a glued web dump) is narrowed to the sentence holding the value

# words naming the document itself
_DOC_VI = r"(?:bài\s+báo|bài\s+viết|bài\s+đăng|bản\s+tin|tin\s+bài|mẩu\s+tin|tài\s+liệu|văn\s+bản|thông\s+cáo|bài)"
_DOC_EN = r"(?:article|document|story|report|news\s+item|press\s+release|piece|post|text)"
_DOC_SV = r"(?:artikel(?:n|ns)?|dokument(?:et|ets)?|text(?:en|ens)?|nyhet(?:en|ens)?|rapport(?:en|ens)?|pressmeddelande(?:t|ts)?|inlägg(?:et|ets)?)"
_PUB_VI = r"(?:đăng(?!\s+(?:cai|ký|kí))|xuất\s+bản|phát\s+hành|đăng\s+tải)"
_WHEN_VI = r"(?:ngày\s+nào|ngày\s+bao\s+nhiêu|hôm\s+nào|khi\s+nào|bao\s+giờ|lúc\s+nào|thời\s+(?:gian|điểm)\s+nào)"
_OUTLET_VI = r"(?:trang(?:\s+web|\s+báo|\s+tin)?|báo|website|cơ\s+quan|kênh|đơn\s+vị|tờ\s+báo)"
_PUB_EN = r"(?:published|posted|released|issued|dated|written|put\s+out|come\s+out|came\s+out|appear(?:ed)?)"
_OUTLET_EN = r"(?:website|web\s*site|site|outlet|newspaper|paper|publication|publisher|portal|source|media(?:\s+outlet)?|news\s+agency|agency)"
_PUB_SV = r"(?:publicera\w*|skrevs|skriven|daterad\w*|utgiven|utkom|postad\w*|gavs\s+ut)"
_OUTLET_SV = r"(?:webbplats(?:en)?|sajt(?:en)?|tidning(?:en)?|källa(?:n)?|publikation(?:en)?|utgivare(?:n)?|nyhetsbyrå(?:n)?|medi(?:um|et))"

_I = re.I | re.S
PATTERNS: dict[str, dict[str, list[re.Pattern]]] = {
    "vi": {
        "source": [
            re.compile(rf"nguồn(?:\s+(?:tin|gốc))?\s+(?:của\s+)?{_DOC_VI}\b", _I),
            re.compile(rf"\b{_DOC_VI}\b.*\bnguồn(?:\s+(?:tin|gốc))?\s*(?:nào|gì|là\s+gì|ở\s+đâu|từ\s+đâu|\?|$)", _I),
            re.compile(rf"\b{_DOC_VI}\b.*\b(?:lấy|trích)\s+(?:từ|nguồn)\b", _I),
            re.compile(
                rf"\b{_DOC_VI}\b.*\b{_PUB_VI}(?:\s+\w+){{0,3}}?\s+(?:trên|ở|tại|bởi|của)\s+(?:{_OUTLET_VI}|đâu)\b", _I
            ),
            re.compile(rf"\b{_DOC_VI}\b.*\b(?<!bài\s){_OUTLET_VI}\s+nào\b", _I),  # "bài báo nào" asks which article
            re.compile(rf"\b(?:ai|{_OUTLET_VI}\s+nào)\s+(?:đã\s+)?{_PUB_VI}\b.*\b{_DOC_VI}\b", _I),
        ],
        "date": [
            re.compile(rf"\b{_DOC_VI}\b.*\b{_PUB_VI}\b.*{_WHEN_VI}", _I),
            re.compile(rf"\bngày\s+{_PUB_VI}\b", _I),
        ],
    },
    "en": {
        "source": [
            re.compile(rf"\bsource\s+(?:of|for)\s+(?:the|this|that)\s+(?:[\w-]+\s+){{0,2}}{_DOC_EN}\b", _I),
            re.compile(rf"\b{_DOC_EN}['’]s\s+(?:source|outlet|publisher)\b", _I),
            re.compile(rf"\b(?:which|what)\s+{_OUTLET_EN}\b.*\b{_DOC_EN}\b", _I),
            re.compile(rf"\b{_DOC_EN}\b.*\b(?:by|in|on|from)\s+(?:which|what)\s+{_OUTLET_EN}\b", _I),
            re.compile(rf"\b{_DOC_EN}\b.*\b(?:published|posted|released|issued)\s+by\s+(?:whom|which|what)\b", _I),
            re.compile(rf"\bwho\s+(?:published|posted|released|issued)\b.*\b{_DOC_EN}\b", _I),
            re.compile(
                rf"\bwhere\b.*\b{_DOC_EN}\b.*\b(?:published|posted|appear(?:ed)?|come\s+from|taken\s+from)\b", _I
            ),
        ],
        "date": [
            re.compile(
                rf"\b(?:when|what\s+date|which\s+date|what\s+day|which\s+day|on\s+what\s+(?:date|day))\b.*\b{_DOC_EN}\b.*\b{_PUB_EN}\b",
                _I,
            ),
            re.compile(rf"\b(?:publication|publishing|release|posting)\s+date\b.*\b{_DOC_EN}\b", _I),
            re.compile(rf"\b{_DOC_EN}\b.*\b(?:publication|publishing|release|posting)\s+date\b", _I),
            re.compile(
                rf"\bdate\s+of\s+(?:publication\s+of\s+)?(?:the|this|that)\s+(?:[\w-]+\s+){{0,2}}{_DOC_EN}\b", _I
            ),
            re.compile(rf"\b{_DOC_EN}['’]s\s+(?:publication\s+)?date\b", _I),
        ],
    },
    "sv": {
        "source": [
            re.compile(rf"\bkälla(?:n)?\s+(?:till|för)\s+{_DOC_SV}\b", _I),
            re.compile(rf"\b{_DOC_SV}s?\s+källa\b", _I),
            re.compile(rf"\bvilken\s+{_OUTLET_SV}\b.*\b{_DOC_SV}\b", _I),
            re.compile(rf"\b{_DOC_SV}\b.*\b(?:av|på|i|från|ur)\s+vilken\s+{_OUTLET_SV}\b", _I),
            re.compile(rf"\bvem\s+(?:publicerade|gav\s+ut)\b.*\b{_DOC_SV}\b", _I),
            re.compile(rf"\b{_DOC_SV}\b.*\bpublicera\w*\s+av\s+vem\b", _I),
            re.compile(rf"\bvar\s+(?:publicerades|publicerad|kom)\b.*\b{_DOC_SV}\b", _I),
            re.compile(rf"\bvar\b.*\b{_DOC_SV}\b.*\b(?:publicerad\w*|kommer\s+från|hämtad)\b", _I),
        ],
        "date": [
            re.compile(
                rf"\b(?:när|vilket\s+datum|vilken\s+dag)\b.*\b(?:{_PUB_SV}\b.*\b{_DOC_SV}|{_DOC_SV}\b.*\b{_PUB_SV})\b",
                _I,
            ),
            re.compile(r"\bpubliceringsdatum\b", _I),
            re.compile(rf"\bdatum(?:et)?\s+(?:för|på)\s+{_DOC_SV}\b", _I),
            re.compile(rf"\b{_DOC_SV}s\s+datum\b", _I),
        ],
    },
}

# words that say what is asked, not which document: left out when matching a question to a title
_ASKING_TEXT = (
    "bài báo viết đăng tải trang web website nguồn tin gốc ngày nào khi bao giờ lúc hôm xuất bản phát hành "
    "về trên ở tại bởi đâu đã được "
    "article document story report source outlet published posted date when which what where who about "
    "website site newspaper publication publisher "
    "artikel artikeln dokument dokumentet källa källan publicerades publicerad datum vilket vilken när om var"
)
_ASKING_WORDS = frozenset(fold(w) for w in _ASKING_TEXT.split())
_ASKING = _ASKING_WORDS | {fold(w) for w in _VI_WORDS | _EN_WORDS | _SV_WORDS}


def asked_fields(question: str) -> list[str]:
    """Which of "source" and "date" the question asks for about a document (any of vi/en/sv patterns,
    whatever the detected language: a mixed question is still recognised); [] for other questions."""
    q = " ".join(question.split())
    return [f for f in ("source", "date") if any(p.search(q) for pats in PATTERNS.values() for p in pats[f])]


def _terms(text: str) -> set[str]:
    return {w for w in (fold(w) for w in words(text)) if len(w) > 1 and w not in _ASKING}


def pick_document(
    question: str,
    hits: list[Hit],
    metas: dict[str, DocMeta],
    head: dict[str, str],
    similarity: Callable[[list[str]], Sequence[float]] | None = None,
    texts: dict[str, str] | None = None,
) -> str:
    """The document the question is about, among the retrieved ones. With `similarity` (the model's cosine
    of the question with each text), the one whose title (or opening line) is closest to the question: an
    English question names a Vietnamese article by a translation of its title. Without it, the best hit's,
    unless another document's title shares more of the question's words. With the documents' `texts`, only
    those that name every entity of the question compete (when any does)."""
    docs = list(dict.fromkeys(h.chunk.doc for h in hits))
    lang = detect_language(question) or "vi"
    if texts:  # "the article about the Tokyo forum" is one that names Tokyo (support.missing_entities)
        docs = [
            d for d in docs if not missing_entities(question, [texts.get(d, "")], doc_language(metas, d, lang) != lang)
        ] or docs

    def heading(doc: str) -> str:
        return f"{(metas.get(doc) or DocMeta()).title} {head.get(doc, '')}".strip()

    if similarity is not None and len(docs) > 1 and all(heading(d) for d in docs):
        # calibrated across languages as retrieval is (retrieve.lifted): an English question is nearer a
        # Swedish title than the Vietnamese one it translates
        sims = [
            s + (CROSS_LANGUAGE_BONUS if lifted(lang, doc_language(metas, d, lang)) else 0.0)
            for d, s in zip(docs, similarity([heading(d) for d in docs]))
        ]
        return docs[max(range(len(docs)), key=lambda i: (sims[i], -i))]
    q = _terms(question)

    def overlap(doc: str) -> int:
        return len(q & _terms(heading(doc)))

    best = max(docs, key=lambda d: (overlap(d), -docs.index(d)))
    return best if overlap(best) >= 2 and overlap(best) > overlap(docs[0]) else docs[0]


def metadata_answer(
    question: str, lang: str, hits: list[Hit], index, similarity: Callable[[list[str]], Sequence[float]] | None = None
) -> Answer | None:
    """A cited answer to "what is the source / publication date of the document about X?", else None
    (`similarity`: see pick_document)."""
    fields = asked_fields(question)
    if not fields or not hits:
        return None
    metas: dict[str, DocMeta] = getattr(index, "doc_meta", {}) or {}
    docs = list(dict.fromkeys(h.chunk.doc for h in hits))
    paragraphs = {d: index.paragraphs(d) for d in docs}
    head = {d: (ps[0].text[:200] if ps else "") for d, ps in paragraphs.items()}
    texts = {d: index.document_text(d) or "" for d in docs}
    doc = pick_document(question, hits, metas, head, similarity, texts)
    meta = metas.get(doc)
    text = texts[doc]
    if meta is None or not text:
        return None
    paras = {p.n: p for p in paragraphs[doc]}
    where = meta_lines(paragraphs[doc], meta)
    citations: list[Citation] = []
    parts, seen = [], set()
    for field in fields:
        if field not in where:
            continue
        n, start, end, at = where[field]
        p = paras[n]
        if end - start > MAX_LINE:  # quote the sentence holding the value, not a 6,000-character line
            start, end = next(((s, e) for s, e in sentence_spans(p.text) if s <= at < e), (start, end))
        if (n, start, end) in seen:
            continue
        chunk = Chunk(f"{doc}#meta-{n}", doc, n, p.start, p.end, text[p.start : p.end], p.page, p.kind)
        cit = make_citation(len(citations) + 1, chunk, start, end, 1.0)
        if not verify(cit, text, p.start, p.end):
            continue
        seen.add((n, start, end))
        citations.append(cit)
        parts.append(f"{cit.quote} [{cit.n}]")
    if not citations:
        return None
    return Answer(question, True, " ".join(parts), lang, citations, "extractive", {}, hits)
