"""The extractive answer: which sentences of the retrieved passages are quoted (where a query's answer
sentence is scored).

Every sentence of the best passages is a candidate (captions included: they name the people in a photo;
noise lines only when nothing else was retrieved). Each gets features (`featurize`):
- `sim`: cosine of the question with the sentence's own vector (the model, in every language), `sim_gap`
  its distance below the best sentence's, `top_sim` / `second_sim` its place in that order;
- `passage`: its passage's retrieval score relative to the best one, `best_passage` (the retrieval evidence);
- `coverage`: share of the question's content terms in the sentence, counted only when question and
  document share a language (an English question's words in a Swedish sentence are no evidence for it;
  names and numbers are, through `anchors`);
- `anchors`: share of the question's names and numbers found in the sentence (any language);
- `kind_match`: the sentence holds the kind of thing asked for (a number for "how many", a date for
  "when", a new person's name for "who");
- `echo` / `novel` / `length`: how much of the question the sentence repeats and how much it adds;
- its neighbours in the passage: `prev_gap` / `next_gap` (their `sim_gap`), `prev_echo`, `opens` (first
  sentence). (Neighbours across into the next retrieved paragraph of the same document were measured
  and left out: seed answer contains .743 -> .713, vinewsqa .717 -> .707.) The answer often follows the sentence that sets it up ("Cuối buổi, một văn kiện đã được
  công bố." then which one), so a sentence after one close to the question gains.

`rank_score` weighs them with a listwise model fitted on the development sets (sentence_model.json,
evals/tools/fit_sentences.py); the best sentence is quoted, and a second one when its score is within
the model's `window` of the first. `score` is the evidence score the refusal model was fitted on (the
quoted sentence's strength), kept apart so that choosing what to quote does not move refusals.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np

from .chunking import QUOTABLE_KINDS
from .retrieve import CROSS_LANGUAGE_BONUS
from .support import anchor_share, anchor_terms, coverage, is_alias
from .text import fold, sentence_spans, word_runs, words
from .types import Hit

PASSAGES = 5  # passages whose sentences compete
# weights of score(), the evidence score; fitted on the development sets (evals/tools/fit_answer.py, README "Quality")
# sentences quoted that hold a gold answer (development sets, 2,700 answerable questions): first guess
# (passage .25, coverage .2, anchors .1, kind .08) -> fitted: seed .564 -> .604, xquad-en-mixed .702 -> .736,
# viquad2 .740 -> .802, vinewsqa .658 -> .686, swequad .704 -> .718, xquad-vi .856 -> .894
WEIGHTS = {"sim": 1.0, "passage": 0.1, "coverage": 0.1, "anchors": 0.0, "kind_match": 0.06, "short": 0.1}

# "ai" (who) but not "AI" (artificial intelligence): the Vietnamese word is never written in capitals
# and a person asked for by role: "Lãnh đạo nào …?", "Which official …?", "Vilken minister …?"
_WHO = re.compile(
    r"(\b[Aa]i\b|(?i:\bwho\b|\bwhom\b|\bvem\b|(người|vị|ông|bà|lãnh đạo|quan chức|nhân vật|diễn giả) nào"
    r"|\bwhich (official|leader|minister|ambassador|person|politician|speaker|spokesperson)s?\b"
    r"|\bvilken (minister|ledare|person|ambassadör|talesperson)\b))"
)
_HOW_MANY = re.compile(r"(bao nhiêu|\bmấy\b|how many|how much|what percentage|hur många|hur mycket|hur stor)", re.I)
# "when" / "när" ask for a time only as the question word: opening the question ("När hölls …?"), before an
# inverted auxiliary ("… and when did it end?") or closing it ("… ended when?"). Inside a question they are
# conjunctions that ask for nothing of the kind: "What was the tribe of the woman Temüjin married when he
# was around 16?", "Vad ska du ta med när du hämtar ditt beslut?" (34 such questions in the development
# sets, 23 of them Swedish, were answered with the sentence that held a date).
_WHEN = re.compile(
    r"(năm nào|ngày nào|tháng nào|khi nào|bao giờ|lúc nào|thời gian nào|what year|which year|what date|vilket år|vilken dag"
    r"|^\W*((and|but|so|och|men|så)\s+)?(when|när)\b|\b(when|när)\s*\?"
    r"|\bwhen\s+(did|was|were|is|are|does|do|will|would|has|have|had|can|could|should|might|may|must)\b)",
    re.I,
)
_DATE = re.compile(r"(\b(1[0-9]|20)\d\d\b|\b\d{1,2}/\d{1,2}\b|\btháng \d|\bngày \d|\bnăm \d)", re.I)
_DIGIT = re.compile(r"\d")
_NUMERAL = re.compile(r"(?<![^\W_])\d")  # a digit that does not end a word's letters ("D4D", "COP26" are names)
# the numerals of a date (27/10, ngày 27/10/2025, tháng 11, năm 2024, a year standing alone): not an amount
_DATE_NUMERALS = re.compile(
    r"\b((ngày|tháng|năm|quý)\s+)?(\d{1,2}\s*(và|,|-|–|đến|and|och)\s*)*\d{1,2}/\d{1,2}(/\d{2,4})?\b"
    r"|\b(ngày|tháng|năm|quý)\s+\d+\b|\b(1[5-9]|20)\d\d(-\d{1,2}-\d{1,2})?\b",
    re.I,
)
# number words that are nothing else: not "hai nước" / "hai bên" (both countries, both sides), not a name's
# first word ("Ba Lan", "Ba Đình"); "một" (also "a"), "năm" ("year"), "one", "en"/"ett" ("a") are amounts only
# before the unit the question asks about ("cao mấy mét?" -> "một mét")
_NUMBER_WORD = re.compile(
    r"\b(hai|ba|bốn|sáu|bảy|tám|chín|mười|chục|trăm|nghìn|ngàn|triệu|tỷ|tỉ|nửa|two|three|four|five|six|seven"
    r"|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?|millions?|billions?|half|twice|två|tre|fyra|fem"
    r"|sex|sju|åtta|nio|tio|elva|tolv|hundra|tusen|miljoner|miljon|miljarder|miljard|halva|hälften)\b"
    r"(?!\s+(?:nước|bên|phía)\b)(?!\s+(?-i:[A-ZÀ-ỸĐ]))",
    re.I,
)
_AMBIGUOUS_NUMBER = r"(một|năm|tư|one|an?|en|ett)"
_ASKED_UNIT = re.compile(r"(?:bao nhiêu|\bmấy|how many|how much|hur många|hur mycket)\s+(\w+)", re.I)
# a question about money ("Giá vé là bao nhiêu?", "how much does it cost") is answered only with a sum of
# money: an amount in a currency, not "30 năm" or "200 đại biểu"
_MONEY_ASKED = re.compile(
    r"\b(giá|chi phí|kinh phí|lệ phí|phí|kim ngạch|doanh thu|doanh số|vốn|ngân sách|trị giá|giá trị|lương|thu nhập"
    r"|price|cost|costs|fee|fees|budget|worth|revenue|turnover|salary|kostar|kostnad|kostnaden|pris|priset|avgift"
    r"|avgiften|budgeten|värde|värdet|omsättning|lön)\b",
    re.I,
)
_CURRENCY = r"(đồng|VNĐ|VND|USD|EUR|euro|euros|yên|yen|JPY|đô la|dollars?|kronor|kr|SEK|reais|BRL|pounds?|GBP)"
# a sum: a number, up to two words ("500 triệu", "1,2 tỷ"), a currency; or a currency sign by a number
_SUM = re.compile(rf"(?<![^\W\d_])\d[\d.,]*\s*(\w+\s+){{0,2}}?{_CURRENCY}\b|[$€¥£₫]\s?\d|\d\s?[$€¥£₫]", re.I)
MONEY = "<money>"  # asked_unit() of a question about money
# verbs that follow "how much" / "bao nhiêu … là": the question names no unit ("Giá vé là bao nhiêu?")
_NOT_A_UNIT = frozenset({"là", "is", "are", "was", "were", "does", "did", "do", "är", "var", "har", "has"})
PERCENT = "<percent>"  # asked_unit() of a question asking for a share ("bao nhiêu phần trăm", "what percentage")
_PERCENT_ASKED = re.compile(r"(phần trăm|\bpercent|\bpercentage|\bprocent|%)", re.I)
_PERCENT = re.compile(r"\d\s?(%|phần trăm\b|percent\b|procent\b)", re.I)
# a question asking for a population or an area names no unit ("Dân số Warsaw năm 1901 là bao nhiêu?",
# "What is the population of Japan?", "Hur stor är Sveriges yta?"): it is answered with an amount of people
# or of surface, not with "5.000 kỹ sư IT" or "30 năm" (seen: the population of Japan answered with the
# number of Vietnamese engineers working there)
POPULATION = "<population>"  # asked_unit() of a question asking for a population
AREA = "<area>"  # asked_unit() of a question asking for an area
_POPULATION_WORDS = r"(dân số|population|befolkning(en)?|folkmängd(en)?)"  # asked for, or beside its amount
_POPULATION_ASKED = re.compile(rf"\b{_POPULATION_WORDS}\b", re.I)
_AREA_ASKED = re.compile(r"\b(diện tích|area|yta|ytan|areal(en)?)\b", re.I)
# a rate or a share of a population or an area ("tốc độ tăng trưởng dân số", "tỷ lệ dân số", "hur stor andel
# av befolkningen") is asked as a number of any unit, most often a percentage
_RATE_ASKED = re.compile(
    r"\b(tỷ lệ|tỉ lệ|tốc độ|tăng trưởng|mật độ|bao nhiêu lần|rate|share|growth|density|proportion|andel(en)?"
    r"|tillväxt(en)?|täthet(en)?)\b",
    re.I,
)
# "what is the (estimated) population of", "what was the land area?", "how populous", "vad är Sveriges
# befolkning": the English and Swedish ways to ask for one without "how many" (not "what is the area called")
_MEASURE_QUESTION = re.compile(
    r"\b(what|which)\s+(is|was|are|were)\s+(the\s+|\w+'s\s+)?(\w+\s+)?(population|area)(\s+(of|in)\b|\s*\?|\s+as\b)"
    r"|\bhow populous\b"
    r"|\bvad\s+(är|var)\s+(\w+:?s\s+)?(\w+\s+)?(befolkning|folkmängd|yta|areal)\b"
    r"|\bhur\s+stor\s+(är|var)\s+(\w+:?s\s+)?(befolkningen|folkmängden|ytan|arealen)\b",
    re.I,
)
_PEOPLE = (
    r"(người|dân|cư dân|nhân khẩu|people|persons|inhabitants|residents|citizens|invånare|människor|personer"
    rf"|{_POPULATION_WORDS})"
)
_AREA_UNIT = (
    r"(km2|km²|km vuông|ki-lô-mét vuông|kilômét vuông|m2|m²|mét vuông|ha|hecta|héc-ta|hécta|hectares?|acres?"
    r"|square\s+(kilomet(re|er)s?|miles?|met(re|er)s?|feet)|sq\.?\s*(km|mi)|kvadratkilomet(er|rar)|kvadratmeter|hektar)"
)
_MULTIPLIER = (
    r"((nghìn|ngàn|triệu|tỷ|tỉ|thousand|million|billion|tusen|miljoner|miljon|miljarder)\s+)"  # "1,4 triệu km²"
)
_AREA_UNITS = re.compile(rf"^{_AREA_UNIT}$", re.I)
_AREA_AMOUNT = rf"\d\s*{_MULTIPLIER}?{_AREA_UNIT}(?!\w)"  # "1,4 triệu km²", "505,990 square kilometres"
# what a sentence holding a population or an area speaks of, beside its amount
_MEASURE_WORDS = {POPULATION: rf"\b{_PEOPLE}\b", AREA: rf"({_AREA_AMOUNT}|\b(diện tích|area|yta|areal)\b)"}
_ORG_START = {
    fold(w)
    for w in "Bộ Ban Viện Hội Trung Phái Quỹ Liên Diễn Ngày Tuần Chương Hiệp Luật Sở Cục Tổng Phó Thủ Thứ Đại".split()
}


def answer_kind(question: str) -> str:
    """What the question asks for: "name", "number", "date" or "" (anything)."""
    if _WHEN.search(question):
        return "date"
    if _HOW_MANY.search(question) or _MEASURE_QUESTION.search(question):
        return "number"
    if _WHO.search(question):
        return "name"
    return ""


def kind_match(kind: str, sentence: str, q_words: set[str], unit: str = "", strict: bool = True) -> bool:
    """Does the sentence hold what an answer of this kind needs? (`unit`: asked_unit of the question.)
    `strict=False` is the looser check the evidence score and the refusal model were fitted on: any digit
    for a number, a name of two to four capitalised words for a person."""
    if kind == "date":
        return bool(_DATE.search(sentence))
    if kind == "number":
        return amount(sentence, unit) if strict else bool(_DIGIT.search(sentence))
    if kind == "name":
        return new_names(sentence, q_words, addressed=strict)
    return False


def asked_unit(question: str) -> str:
    """The word after "bao nhiêu" / "mấy" / "how many": what the amount counts ("mét", "MOU", "người");
    MONEY for a how-much question about a price, a cost or a value that names no unit."""
    m = _ASKED_UNIT.search(question)
    unit = m.group(1).lower() if m else ""
    if _PERCENT_ASKED.search(question):
        return PERCENT
    if unit in {"tiền", "money", "pengar"} or _MONEY_ASKED.fullmatch(unit):
        return MONEY
    if _AREA_UNITS.match(unit):
        return AREA
    if unit and unit not in _NOT_A_UNIT:
        return unit
    if _MONEY_ASKED.search(question) and _HOW_MANY.search(question):
        return MONEY
    if answer_kind(question) == "number" and (measure := _measure_asked(question)):
        return measure
    return ""


def _measure_asked(question: str) -> str:
    """POPULATION or AREA when the question asks for one (the first named, when it names both), not for its
    rate or share; else ""."""
    if _RATE_ASKED.search(question):
        return ""
    found = [
        (m.start(), kind)
        for kind, rx in ((POPULATION, _POPULATION_ASKED), (AREA, _AREA_ASKED))
        if (m := rx.search(question))
    ]
    return min(found)[1] if found else ""


def amount(sentence: str, unit: str = "") -> bool:
    """The sentence states an amount: a numeral that is not part of a date ("ngày 27/10", "năm 2024" do
    not answer "bao nhiêu?"), a number word, or an ambiguous one ("một", "năm") before the asked unit;
    for a question about money (unit MONEY), only with a currency."""
    if unit == MONEY:
        return _SUM.search(sentence) is not None
    if unit in (POPULATION, AREA):
        return amount(sentence) and re.search(_MEASURE_WORDS[unit], sentence, re.I) is not None
    if _NUMERAL.search(_DATE_NUMERALS.sub(" ", sentence)) or _NUMBER_WORD.search(sentence):
        return True
    return bool(unit) and re.search(rf"\b{_AMBIGUOUS_NUMBER}\s+{re.escape(unit)}\b", sentence, re.I) is not None


# a person named by one word after a form of address: "ông Serrano", "bà Tuyết", "Mr. Guerrier"
_ADDRESSED = re.compile(r"\b(?:[ÔôBb]à|[Ôô]ng|[Aa]nh|[Cc]hị|Mr|Mrs|Ms|Dr|[Hh]err|[Ff]ru)\.?\s+([A-ZÀ-ỸĐ][\w-]+)")


def counts_unit(sentence: str, unit: str) -> bool:
    """The sentence puts a numeral or a number word right before the asked unit ("5 MOU", "hơn 200 đại
    biểu", "ba triệu người"; plural s ignored): the amount counts what was asked, not something else."""
    if unit == PERCENT:
        return _PERCENT.search(sentence) is not None
    if unit == MONEY:
        return amount(sentence, MONEY)
    if not unit:
        return False
    number = rf"(\d[\d.,]*|{_NUMBER_WORD.pattern}|{_AMBIGUOUS_NUMBER})"
    if unit == POPULATION:  # "125 triệu người", "dân số khoảng 711.988", "a population of 1.3 million"
        return re.search(
            rf"{number}\s+(\w+\s+)?{_PEOPLE}\b|\b(dân số|population|befolkning|folkmängd)\b\W+(\w+\W+){{0,8}}\d",
            sentence, re.I,
        ) is not None  # fmt: skip
    if unit == AREA:  # "7.000.000 km vuông", "an area of 450,000 square kilometres"
        return re.search(_AREA_AMOUNT, sentence, re.I) is not None
    u = re.escape(unit.rstrip("s") if len(unit) > 3 else unit)
    return re.search(rf"{number}\s+(\w+\s+)?{u}s?\b", sentence, re.I) is not None


def kind_grade(kind: str, sentence: str, q_words: set[str], unit: str = "") -> int:
    """How fully the sentence holds the kind of answer asked for: 2 an amount of the asked unit, 1 the
    kind (kind_match, strict), 0 neither or no kind asked."""
    if not kind or not kind_match(kind, sentence, q_words, unit):
        return 0
    return 2 if kind == "number" and counts_unit(sentence, unit) else 1


def new_names(sentence: str, q_words: set[str], addressed: bool = True) -> bool:
    """True when the sentence names a person the question does not (what a who-question wants):
    2-4 capitalised words, no acronym, not starting like an organisation or title, not a known place;
    or one capitalised word after a form of address ("ông Serrano")."""
    for m in _ADDRESSED.finditer(sentence) if addressed else ():
        if fold(m.group(1)) not in q_words and not is_alias(m.group(1)):
            return True
    for run in _without_acronyms(word_runs(sentence)):
        if not 2 <= len(run) <= 4 or fold(run[0]) in _ORG_START:
            continue
        if {fold(t) for t in run} - q_words and not is_alias(" ".join(run)):
            return True
    return False


def _without_acronyms(runs: list[list[str]]) -> list[list[str]]:
    """Each run of capitalised words cut at its acronyms, which are no part of a person's name: "Tập đoàn
    Công nghệ CMC Hồ Thanh Tùng" holds the person "Hồ Thanh Tùng" (seen: the run with CMC counted as none)."""
    out: list[list[str]] = []
    for run in runs:
        part: list[str] = []
        for t in run:
            if t.isupper():
                out.append(part)
                part = []
            else:
                part.append(t)
        out.append(part)
    return [r for r in out if r]


# a who-question that names an office asks for a person ("Đại sứ Nhật Bản tại Việt Nam là ai?", "Who is the
# president of TUMAS?", "Vem är Sveriges statsminister?"); other who-questions are often answered by an
# organisation ("Vem ansvarar för tillsynen?" -> a public authority)
def asks_for_person(question: str) -> bool:
    """The question asks who holds an office: its answer names a person (answer.person_found)."""
    return answer_kind(question) == "name" and bool(asked_offices(question))


# one office in Vietnamese, English and Swedish, the most specific first: a question's office is looked for
# in the text in any of its languages ("ambassador" is "đại sứ" in a Vietnamese article)
_OFFICES = tuple(
    re.compile(rf"\b(?:{alternatives})\b", re.I)
    for alternatives in (
        r"phó thủ tướng|deputy prime ministers?|vice premiärminister\w*|vice statsminister\w*",
        r"thủ tướng|prime ministers?|premiers?|premiärminister\w*|statsminister\w*",
        r"phó tổng thống|vice presidents?|vicepresident\w*",
        r"thứ trưởng|deputy ministers?|vice ministers?|biträdande minister\w*",
        r"bộ trưởng|ministers?|minister\w*",
        r"đại sứ|ambassadors?|ambassadör\w*",
        r"tổng bí thư|tổng thư ký|secretary-general|general secretary|generalsekreterare\w*",
        r"tổng giám đốc|giám đốc|directors?(?:-general)?|ceo|chief executive|generaldirektör\w*|direktör\w*|vd",
        r"thị trưởng|mayors?|borgmästare\w*",
        r"chủ tịch|tổng thống|presidents?|chair(?:man|woman|person)?|ordförande\w*|president\w*",
    )
)


def asked_offices(question: str) -> list[re.Pattern[str]]:
    """The offices (_OFFICES) a who-holds-it question names; a more specific one hides the ones inside it
    ("prime minister" is not also "minister", "phó thủ tướng" not also "thủ tướng")."""
    found, rest = [], question
    for office in _OFFICES:
        if office.search(rest):
            found.append(office)
            rest = office.sub(" ", rest)
    return found


@dataclass
class Candidate:
    """One sentence of a retrieved passage, offsets relative to the chunk text."""

    hit: Hit
    rank: int  # of its passage, 0 = best
    start: int
    end: int
    sim: float = 0.0
    passage: float = 0.0
    coverage: float = 0.0
    anchors: float = 0.0
    kind_match: float = 0.0
    kind_loose: float = 0.0  # kind_match(strict=False): what the evidence score and the refusal model read
    kind_grade: int = 0  # kind_grade(): choose() quotes the fullest kind of answer near the top
    short: float = 0.0
    cross: float = (
        0.0  # 1 when the cross-language bonus applies to the sentence (retrieve.lifted, CROSS_LANGUAGE_BONUS)
    )
    sim_gap: float = 0.0
    top_sim: float = 0.0
    second_sim: float = 0.0
    best_passage: float = 0.0
    echo: float = 0.0
    novel: float = 0.0
    length: float = 0.0
    prev_gap: float = 0.0
    next_gap: float = 0.0
    prev_echo: float = 0.0
    opens: float = 0.0
    score: float = 0.0  # the evidence score (score())
    ranking: float = 0.0  # rank_score(): what decides the quote

    @property
    def text(self) -> str:
        return self.hit.chunk.text[self.start : self.end]


# A sentence end glued to the next sentence ("… hai nền kinh tế.Đánh giá cao …"): web pages flattened
# into one line do this (a seed paragraph runs 6,600 characters so). A lower-case letter or digit, the
# mark, then a capital: "TP.HCM", "U.S." and "3.5" stay whole.
_GLUED_END = re.compile(r"(?<=[a-zà-ỹđ0-9)\"”’])[.!?…](?=[A-ZÀ-ỸĐ])")


# a photo credit after a caption's full stop ("… tháng 10/2025. Ảnh: Lưu Quý"): part of the caption
_CREDIT = re.compile(r"\s*[-–]?\s*(Ảnh|Nguồn ảnh|Photo|Foto|Bild)\s*:", re.I)


def quote_spans(text: str) -> list[tuple[int, int]]:
    """The sentences an answer may quote: text.sentence_spans, also cut where a sentence end is glued to
    the next sentence, and with a photo credit kept on the sentence before it (who took the photo is
    the caption's to say). (Ingest embeds text.sentence_spans; a piece made here is embedded when first
    asked.)"""
    out: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        cut = s
        for m in _GLUED_END.finditer(text, s, e):
            out.append((cut, m.end()))
            cut = m.end()
        out.append((cut, e))
    spans: list[tuple[int, int]] = []
    for s, e in out:
        if not text[s:e].strip():
            continue
        if spans and _CREDIT.match(text, s):
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return spans


def candidates(hits: list[Hit]) -> list[Candidate]:
    """The sentences of the best quotable passages (noise and headings only if nothing else)."""
    passages = [h for h in hits if h.chunk.kind in QUOTABLE_KINDS][:PASSAGES] or hits[:1]
    return [Candidate(h, r, s, e) for r, h in enumerate(passages) for s, e in quote_spans(h.chunk.text)]


def featurize(
    question: str,
    cands: list[Candidate],
    sims: np.ndarray | None,
    same_lang: list[bool],
    lift: list[bool] | None = None,
) -> None:
    """Fill each candidate's features (pure; `sims` = sentence-question cosines, None without a model;
    `lift`: the cross-language bonus applies (retrieve.lifted), default: wherever the language differs)."""
    if not cands:
        return
    best = max(c.hit.score for c in cands) or 1.0
    kind = answer_kind(question)
    unit = asked_unit(question)
    q_words = {fold(w) for w in words(question)}
    anchors = anchor_terms(question)
    for i, c in enumerate(cands):
        t = c.text
        c.sim = float(sims[i]) if sims is not None else 0.0
        c.passage = c.hit.score / best
        c.coverage = coverage(question, t) if same_lang[i] else 0.0
        c.cross = 1.0 if (lift[i] if lift is not None else not same_lang[i]) else 0.0
        if anchors:
            c.anchors = anchor_share(anchors, [t])
        c.kind_grade = kind_grade(kind, t, q_words, unit)
        c.kind_match = 1.0 if c.kind_grade else 0.0
        c.kind_loose = 1.0 if kind and kind_match(kind, t, q_words, unit, strict=False) else 0.0
        c.short = 1.0 if len(t) < 25 else 0.0
        c.best_passage = 1.0 if c.rank == 0 else 0.0
        s_words = [fold(w) for w in words(t)]
        c.echo = len(q_words & set(s_words)) / len(q_words) if q_words else 0.0
        c.novel = sum(1 for w in s_words if w not in q_words) / len(s_words) if s_words else 0.0
        c.length = math.log1p(len(s_words))
    _context(cands, sims is not None)


NO_NEIGHBOUR = -0.3  # prev_gap / next_gap of a sentence with no neighbour on that side (far below any real one)


def _context(cands: list[Candidate], have_sims: bool) -> None:
    """The features that compare a sentence with the others: its place in the cosine order, and its
    neighbours in its passage (the sentences before and after it)."""
    top = max(c.sim for c in cands)
    if have_sims:
        order = sorted(range(len(cands)), key=lambda i: -cands[i].sim)
        cands[order[0]].top_sim = 1.0
        if len(order) > 1:
            cands[order[1]].second_sim = 1.0
    by_passage: dict[str, list[Candidate]] = {}
    for c in cands:
        c.sim_gap = c.sim - top
        by_passage.setdefault(c.hit.chunk.id, []).append(c)
    for group in by_passage.values():
        group.sort(key=lambda c: c.start)
        for prev, c in zip([None, *group], group):
            c.prev_gap = prev.sim - top if prev is not None else NO_NEIGHBOUR
            c.prev_echo = prev.echo if prev is not None else 0.0
            c.opens = 0.0 if prev is not None else 1.0
        for c, nxt in zip(group, [*group[1:], None]):
            c.next_gap = nxt.sim - top if nxt is not None else NO_NEIGHBOUR


def score(c: Candidate, weights: dict[str, float] = WEIGHTS, bonus: float = CROSS_LANGUAGE_BONUS) -> float:
    """How well the sentence answers: its cosine (plus the cross-language bonus), its passage's score,
    word coverage, names and numbers, answer kind; a very short sentence is demoted."""
    return (
        weights["sim"] * (c.sim + bonus * c.cross) + weights["passage"] * c.passage + weights["coverage"] * c.coverage
        + weights["anchors"] * c.anchors + weights["kind_match"] * c.kind_loose - weights["short"] * c.short
    )  # fmt: skip


RANK_FEATURES = (
    "sim", "sim_gap", "top_sim", "second_sim", "passage", "best_passage", "coverage", "anchors", "kind_match", "short", "cross",
    "echo", "novel", "length", "prev_gap", "next_gap", "prev_echo", "opens",
)  # fmt: skip
_MODEL_FILE = Path(__file__).with_name("sentence_model.json")


@dataclass(frozen=True)
class SentenceModel:
    """Which sentence to quote: a linear score over `RANK_FEATURES` (a softmax over the candidates of a
    question, fitted listwise on the development sets by evals/tools/fit_sentences.py); a second sentence
    is quoted when its score is within `window` of the best (within a factor e^-window in probability)."""

    weights: dict[str, float]
    window: float

    @classmethod
    def load(cls, path: Path = _MODEL_FILE) -> SentenceModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls({k: float(data["weights"].get(k, 0.0)) for k in RANK_FEATURES}, float(data["window"]))


@lru_cache(maxsize=1)
def sentence_model() -> SentenceModel:
    """The packaged sentence model (read once)."""
    return SentenceModel.load()


def rank_score(c: Candidate, model: SentenceModel | None = None) -> float:
    """How likely the sentence is the one that answers: the sentence model's weighted sum of its features."""
    w = (model or sentence_model()).weights
    return sum(w[k] * getattr(c, k) for k in RANK_FEATURES)


def evidence(
    cands: list[Candidate],
    weights: dict[str, float] = WEIGHTS,
    bonus: float = CROSS_LANGUAGE_BONUS,
) -> Candidate | None:
    """The sentence the refusal model reads (support.answerability_features): the best by the evidence
    score (score()), which the refusal model was fitted on. Sets each candidate's `score`."""
    for c in cands:
        c.score = score(c, weights, bonus)
    return max(cands, key=lambda c: c.score, default=None)


KIND_MARGIN = 6.0  # in the sentence model's log-odds: a kind-holding sentence up to e^-6 as likely as the best
# a sentence that opens by referring back to the one before it: a pronoun for a person or thing ("Ông cũng
# mô tả …", "He also …", "Hon …", "Nó …"; "Ông Nguyễn …" is a title before a name, not a reference) or
# "this / that <noun>" ("Điều này …", "Đây là …", "Detta …")
_REFERS_BACK = re.compile(
    r"[\W_]*(?:"
    r"(?:Ông|Bà|Anh|Chị|Cô|Cậu|Họ|Nó|Chúng|Hắn)(?:\s+(?:ấy|ta|này))?\s+(?=[a-zà-ỹđ])"
    r"|(?:Điều|Việc|Người|Loại|Bệnh|Phương\s+pháp|Chất|Thuốc)\s+(?:này|đó|ấy)\b"
    r"|(?:Đây|Đó)\s+(?=[a-zà-ỹđ])"
    r"|(?:He|She|It|They|This|These|Those|His|Her|Its|Their)\b"
    r"|(?:Han|Hon|Den|Det|De|Dessa|Detta|Hans|Hennes|Dess|Deras)\b"
    r")"
)


def refers_back(sentence: str) -> bool:
    """The sentence opens by referring to what the one before it names (_REFERS_BACK)."""
    return _REFERS_BACK.match(sentence) is not None


def choose(
    cands: list[Candidate], max_sentences: int, model: SentenceModel | None = None, follow: bool = False
) -> list[Candidate]:
    """The best sentence by the sentence model, plus up to max_sentences - 1 more within its window, in
    document order. A question that asks for a kind of answer (a number, a date, a name) is answered with
    a sentence that holds it: the first quote is the best of the sentences with the fullest kind
    (kind_grade) among those within KIND_MARGIN of the best score. `follow` (a question asking for no
    kind: what, why, how) and max_sentences >= 2: the first quote runs on into the sentence after it in its
    passage (one citation, so max_sentences counts quotes): the sentence closest to the question often only
    sets up the answer ("Sedan 1987 finns ett avtal som kallas Montrealprotokollet." then what it does).
    A quote that refers back (`refers_back`: "Ông cũng mô tả …", "It was …") starts at the sentence before
    it in its passage, which names who or what it is about (_with_leaders). Measured alone on the
    300-question samples: answer contains xquad-en-mixed-dev .737 -> .747, xquad-vi .870 -> .877; seed,
    vinewsqa-vi, viquad2-vi and swequad-mc-sv unchanged; no answer lost.
    Sets each candidate's `ranking`."""
    if not cands:
        return []
    m = model or sentence_model()
    for c in cands:
        c.ranking = rank_score(c, m)
    ranked = sorted(cands, key=lambda c: -c.ranking)
    near = [c for c in ranked if c.ranking >= ranked[0].ranking - KIND_MARGIN]
    grade = max(c.kind_grade for c in near)
    first = next(c for c in near if c.kind_grade == grade)
    rest = [c for c in ranked if c is not first]
    chosen = [first] + [c for c in rest[: max_sentences - 1] if c.ranking >= first.ranking - m.window]
    follower = next_sentence(first, cands) if follow and max_sentences >= 2 else None
    if follower is not None:  # part of the first quote (if it was the second choice too, it is quoted once)
        chosen = [replace(first, end=follower.end)] + [c for c in chosen[1:] if c is not follower]
    return sorted(_with_leaders(chosen, cands), key=lambda c: (c.hit.chunk.doc, c.hit.chunk.start + c.start))


def _with_leaders(chosen: list[Candidate], cands: list[Candidate]) -> list[Candidate]:
    """Each quote that refers back starts at the sentence before it in its passage; that sentence, if it
    was a quote of its own, is quoted once, inside this one (if it lies inside a longer quote, no change)."""
    out = list(chosen)
    for c in chosen:
        leader = previous_sentence(c, cands) if refers_back(c.text) else None
        if leader is None or c not in out:
            continue
        inside = [o for o in out if o.hit.chunk.id == c.hit.chunk.id and o.start <= leader.start < o.end]
        if any((o.start, o.end) != (leader.start, leader.end) for o in inside):
            continue
        out = [replace(c, start=leader.start) if o is c else o for o in out if o not in inside]
    return out


def previous_sentence(c: Candidate, cands: list[Candidate]) -> Candidate | None:
    """The candidate that precedes `c` in its passage, if any."""
    before = [o for o in cands if o.hit.chunk.id == c.hit.chunk.id and o.end <= c.start]
    return max(before, key=lambda o: o.start, default=None)


def next_sentence(c: Candidate, cands: list[Candidate]) -> Candidate | None:
    """The candidate that follows `c` in its passage, if any."""
    after = [o for o in cands if o.hit.chunk.id == c.hit.chunk.id and o.start >= c.end]
    return min(after, key=lambda o: o.start, default=None)
