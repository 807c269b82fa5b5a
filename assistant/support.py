"""Does the retrieved text support answering at all? (pure) — the refusal side of scoring.

Two checks, both needed to answer:
1. support score = dense similarity of the best passage + TERM_WEIGHT x its share of the question's
   content terms, against a threshold calibrated on answerable vs unanswerable questions;
2. every named entity of the question (a country/organisation from the multilingual table below, or a
   capitalised name, of which any one word suffices) occurs in the retrieved passages: "Who is the Korean ambassador?" must not be
   answered from a paragraph about the EU ambassador.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .text import fold, word_runs, words
from .types import Hit

TERM_WEIGHT = 0.15

# Function words that carry no topic: ignored when measuring term coverage.
STOPWORDS = set(
    "là ai gì nào đâu bao nhiêu khi sao thế có không của và các những được với cho trong tại về này đó một "
    "the a an of to in is are was were who what which when where how why does did do for on at by with and or "
    "vem vad vilken vilka när var hur varför är och i på av för med som det den en ett till om".split()
)

# Names that differ across languages: any alias found counts as the entity being present (folded).
ALIASES: list[list[str]] = [
    ["việt nam", "vietnam", "viet nam", "vietnamese", "vietnamesiska", "vietnams"],
    ["eu", "liên minh châu âu", "european union", "europeiska unionen", "châu âu", "europe", "europa"],
    ["nhật bản", "japan", "japanese", "japanska", "japansk"],
    ["hàn quốc", "korea", "korean", "sydkorea", "koreansk"],
    ["trung quốc", "china", "chinese", "kina", "kinesisk"],
    ["hoa kỳ", "united states", "usa", "america", "american", "förenta staterna", "amerikansk", "amerikanska"],
    ["brazil", "brasil", "brasilien", "brazilian", "brasiliansk", "brasilianska"],
    ["algeria", "algeriet", "algerian"],
    ["chile", "chilean", "chilensk"],
    ["ấn độ", "india", "indien", "indian", "indisk", "indiska"],
    # one-syllable Vietnamese names (Nga, Pháp, Đức, Anh, Úc, Mỹ, Lào) are left out: folded, they
    # collide with common words (ngã, pháp lý, đạo đức, ảnh, lao động); so do "lao" and "thai" (thai kỳ)
    ["russia", "ryssland", "russian", "rysk", "ryska"],
    ["france", "frankrike", "french", "fransk", "franska"],
    ["germany", "tyskland", "german", "tysk", "tyska"],
    ["united kingdom", "britain", "storbritannien", "british", "brittisk", "brittiska"],
    ["australia", "australien", "australian"],
    ["thụy điển", "sweden", "sverige", "swedish"],
    ["singapore", "singaporean"],
    ["thái lan", "thailand"],
    ["laos", "laotian"],
    ["campuchia", "cambodia", "kambodja", "cambodian"],
    ["indonesia", "indonesien", "indonesian"],
    ["canada", "kanada", "canadian"],
    ["hà nội", "hanoi"],
    ["hồ chí minh", "ho chi minh", "tp hcm", "hcm", "tphcm", "sài gòn", "saigon"],
    ["tokyo"],
    ["ninh bình", "ninh binh"],
]
_ALIAS_GROUP = {fold(a): i for i, group in enumerate(ALIASES) for a in group}
_VIETNAM = _ALIAS_GROUP["viet nam"]
# the groups that are countries (not the EU, not cities): a rival is another country
_COUNTRIES = {
    i for i, group in enumerate(ALIASES) if fold(group[0]) not in {"eu", "ha noi", "ho chi minh", "tokyo", "ninh binh"}
} - {_VIETNAM}
_QUESTION_WORDS = {
    fold(w)
    for w in "who what which when where how why whom whose vem vad vilken vilka när var hur varför ai gì nào đâu bao".split()
}
# Title-cased English/Swedish words that name roles or kinds of thing, not an entity.
_TITLE_WORDS = set(
    "prime minister deputy vice president ambassador minister city group forum day week act law "
    "program programme initiative ceo chairman director head the of and for statsminister minister".split()
)
_TOKEN = re.compile(r"\w+")


def _base_alias(word: str) -> str:
    """`koreas` -> `korea` when the word without its genitive s is a known alias (`vietnams` is itself one)."""
    return word[:-1] if word.endswith("s") and word not in _ALIAS_GROUP and word[:-1] in _ALIAS_GROUP else word


@lru_cache(maxsize=1)
def alias_words() -> frozenset[str]:
    """Every folded word of the alias table ("europeiska", "unionen", "ha", "noi"): not a person's name."""
    return frozenset(w for a in _ALIAS_GROUP for w in a.split())


def is_alias(name: str) -> bool:
    """True for a country/place/organisation of the alias table (in any of its languages)."""
    return " ".join(fold(w) for w in words(name)) in _ALIAS_GROUP


def content_terms(text: str) -> set[str]:
    """Folded content words of a question (stopwords removed)."""
    return {fold(w) for w in words(text) if (w not in STOPWORDS and len(w) > 1) or w.isdigit()}


def coverage(question: str, passage: str) -> float:
    """Share of the question's content terms found in the passage (folded, so diacritics don't matter)."""
    q = content_terms(question)
    if not q:
        return 0.0
    p = {fold(w) for w in words(passage)}
    return len(q & p) / len(q)


def support(question: str, hit: Hit) -> float:
    """How well one passage supports answering: dense similarity, plus term coverage."""
    dense = hit.dense if hit.dense is not None else 0.0
    return dense + TERM_WEIGHT * coverage(question, hit.chunk.text)


def entities(question: str, cross_lingual: bool = False) -> list[set[str]]:
    """The question's named entities, each as the set of folded forms that would count as present.

    Across languages a title-cased phrase is usually translated ("Research and Innovation Day" is
    "Ngày Nghiên cứu và Đổi mới sáng tạo"), so only the alias table and name-shaped tokens (VinFast,
    FIRJAN: inner capitals or all caps) are checked then."""
    # a Swedish genitive names the country too: "Koreas ambassadör" is Korea's
    folded = " " + " ".join(_base_alias(fold(w)) for w in words(question)) + " "
    found: list[set[str]] = []
    covered: set[str] = set()
    for alias, group in sorted(_ALIAS_GROUP.items(), key=lambda kv: -len(kv[0])):
        if f" {alias} " in folded and alias not in covered:
            forms = {fold(a) for a in ALIASES[group]}
            covered |= {w for a in forms for w in a.split()}
            if forms not in found:
                found.append(forms)
    runs = capitalised_runs(question, names_only=cross_lingual)
    if cross_lingual:  # a Vietnamese name written without its marks is no translation: "Da Nang" is "Đà Nẵng"
        runs += [r for r in capitalised_runs(question) if r not in runs and vietnamese_name(r)]
    for name in runs:
        parts = [p for p in name.split() if p not in covered and p not in _QUESTION_WORDS and p not in _TITLE_WORDS]
        if cross_lingual and len(parts) > 1 and vietnamese_name(" ".join(parts)) and " ".join(parts) in name:
            # a Vietnamese name without its marks counts whole: "Da Nang" is not found in "đã" + "nẵng".
            # (In a Vietnamese question any word still counts: "Đảng Nhân dân Cách mạng" is also written
            # "Đảng Cách mạng Nhân dân", "Liên Hợp Quốc" "Liên hiệp quốc".)
            found.append({" ".join(parts)})
        elif not cross_lingual and len(parts) == 2 and " ".join(parts) == name and vietnamese_name(name):
            # two Vietnamese syllables: each must be written as a name (capitalised) in the passages, so
            # that "Phần Lan" (Finland) is not found in "một phần" and "lan tỏa"; in any order, as above
            found.append({AS_NAME + p for p in parts})
        elif parts:
            # any one word of a run counts: "Prime Minister Ishiba" is "Thủ tướng Ishiba" in Vietnamese
            found.append(set(parts))
    return found


# a Vietnamese syllable once folded: onset, one to three vowels, coda ("nguyen", "dung", "thanh")
_VI_SYLLABLE = re.compile(r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(ng|nh|ch|[cmnpt])?")


def vietnamese_syllable(word: str) -> bool:
    """A folded word that is a Vietnamese syllable ("nguyen", "duy"), so no foreign name ("guerrier")."""
    return bool(_VI_SYLLABLE.fullmatch(word))


def vietnamese_name(run: str) -> bool:
    """A folded run of two to four capitalised words that are all Vietnamese syllables ("nguyen chi dung",
    "da nang", "bui the duy"): a name, in any language's question, that must be found as written."""
    parts = run.split()
    return 2 <= len(parts) <= 4 and all(_VI_SYLLABLE.fullmatch(p) for p in parts)


_YEAR = re.compile(r"(?<![\d.,])(1[5-9]\d\d|20\d\d)(?!\d|[.,]\d)")  # not inside 1.2024 or 20245; 27/10/2025 is


def years(text: str) -> set[str]:
    """The years a text names (1500-2099)."""
    return set(_YEAR.findall(text))


def conflicting_years(question: str, passages: list[str]) -> list[str]:
    """Years the question asks about that no passage names while the passages name other years: "textile
    exports in 2024" is not answered by "8 tháng đầu năm 2025 ... đạt 30,7 tỷ USD". Passages that name no
    year at all are no conflict (the year is often implied by the article: "mùa giải", "năm nay")."""
    asked = years(question)
    if not asked:
        return []
    seen = set().union(*(years(p) for p in passages)) if passages else set()
    return sorted(asked - seen) if seen and asked - seen else []


def countries(text: str) -> set[int]:
    """The countries of the alias table that `text` names (any language), Vietnam left out: every
    document names it."""
    folded = " " + " ".join(_base_alias(fold(w)) for w in words(text)) + " "
    return {g for alias, g in _ALIAS_GROUP.items() if g in _COUNTRIES and f" {alias} " in folded}


# The one-syllable Vietnamese names the alias table leaves out (they collide with common words once
# folded), matched as written, capitalised: a rival check must not take "Pháp giành quyền kiểm soát
# Algeria" for a passage that does not name France.
_VI_SHORT = {_ALIAS_GROUP[k]: re.compile(rf"\b{v}\b") for k, v in (
    ("france", "Pháp"), ("russia", "Nga"), ("germany", "Đức"), ("united kingdom", "Anh"), ("australia", "Úc"),
    ("laos", "Lào"), ("hoa ky", "Mỹ"),
)}  # fmt: skip


def names_a_rival(question_groups: set[int], passage: str) -> bool:
    """The passage names another country and none of those the question names: "trade between Vietnam
    and Brazil" is not answered by "Việt Nam - Algeria đạt 450 triệu USD", whatever else the retrieved
    passages say about Brazil."""
    if not question_groups:
        return False
    named = countries(passage) | {g for g in question_groups if g in _VI_SHORT and _VI_SHORT[g].search(passage)}
    return bool(named) and not (named & question_groups)


def capitalised_runs(text: str, names_only: bool = False) -> list[str]:
    """Folded runs of capitalised words that do not start a sentence (names, organisations), joined across a
    space or a hyphen; `names_only`: words with a capital inside too (acronyms, CamelCase)."""

    def keep(word: str, start: int) -> bool:
        if word == "I" or not word[0].isupper():  # the English pronoun, not a name
            return False
        before = text[:start].rstrip()
        initial = not before or before.endswith((".", "?", "!", ":"))
        name_shaped = len(word) > 1 and any(c.isupper() for c in word[1:])
        return not initial and (name_shaped or not names_only)

    return [" ".join(fold(w) for w in run) for run in word_runs(text, keep, joiners=(" ", "-"))]


def anchor_terms(question: str) -> set[str]:
    """The question's names and numbers (folded): what must match across languages."""
    terms = {fold(w) for w in words(question) if any(c.isdigit() for c in w)}
    for run in capitalised_runs(question):
        terms |= {w for w in run.split() if len(w) > 1}
    return terms


def anchor_share(anchors: set[str], texts: list[str]) -> float:
    """The share of the anchors (anchor_terms) that the texts hold as words, folded; 1.0 when there are none."""
    if not anchors:
        return 1.0
    found = {fold(w) for t in texts for w in words(t)}
    return len(anchors & found) / len(anchors)


AS_NAME = "^"  # marks an entity's word that counts only where a passage writes it capitalised (entities)


def _present(forms: set[str], text: str, capitalised: set[str]) -> bool:
    """Any form of the entity is in the folded text; a group marked AS_NAME (a two-syllable Vietnamese
    name) when the passages write all its words capitalised, or the two together ("quốc ca" for the
    question's "Quốc Ca")."""
    named = {f[len(AS_NAME) :] for f in forms if f.startswith(AS_NAME)}
    if named:
        return named <= capitalised or any(f" {a} {b} " in text for a in named for b in named if a != b)
    return any(f" {f} " in text for f in forms)


def missing_entities(
    question: str, passages: list[str], cross_lingual: bool = False, languages: frozenset[str] = frozenset()
) -> list[str]:
    """Entities of the question that none of the passages mention. A language the question names for a
    document ("the Swedish-language article", "bài báo tiếng Việt") is present when one of the passages'
    documents is in it (`languages`): the Swedish article need not name Sweden."""
    groups = entities(question, cross_lingual)
    text = " " + " ".join(folded_text(p) for p in passages) + " "
    capitalised = (  # read only for a name that must be written as one (most questions have none)
        {fold(w) for p in passages for w in _TOKEN.findall(p) if w[:1].isupper()}
        if any(f.startswith(AS_NAME) for forms in groups for f in forms)
        else set()
    )
    spoken = {_LANGUAGE_GROUP[lang] for lang in document_languages(question) & languages}
    acronyms = {fold(w) for w in _TOKEN.findall(question) if w.isupper() and w.isalpha() and 3 <= len(w) <= 6}
    return [
        " ".join(sorted(f.removeprefix(AS_NAME) for f in forms))
        for forms in groups
        if forms not in spoken
        and not _present(forms, text, capitalised)
        and not _named_short(forms, passages)
        and not any(spelled_out(f, p) for f in forms & acronyms for p in passages)
    ]


_LINKS = {"va", "and", "of", "for", "the", "och"}  # words an acronym's letters skip: "Khoa học và Công nghệ" is KHCN


def spelled_out(acronym: str, text: str) -> bool:
    """The text writes the (folded) acronym out, from a capitalised word on: "Ủy ban Nhân dân" for UBND,
    "Memorandum of Understanding" for MOU (a word per letter, linking words skipped)."""
    toks = [(fold(t), t[0].isupper()) for t in _TOKEN.findall(text)]
    for i, (first, upper) in enumerate(toks):
        if not upper or first[0] != acronym[0]:
            continue
        k, j = 1, i + 1
        while k < len(acronym) and j < len(toks):
            word = toks[j][0]
            if word[0] == acronym[k]:
                k += 1
            elif word not in _LINKS:
                break
            j += 1
        if k == len(acronym):
            return True
    return False


@lru_cache(maxsize=64)
def folded_text(text: str) -> str:
    """The text's words, folded, space-separated: what entity names are looked up in. Cached, as whole
    documents are read for every question (answer.about_the_question) and folding them is the cost."""
    return " ".join(fold(w) for w in words(text))


def _named_short(forms: set[str], passages: list[str]) -> bool:
    """The passages name the country by its one-syllable Vietnamese name, as written ("Russia" is "Nga")."""
    groups = {_ALIAS_GROUP[f] for f in forms if f in _ALIAS_GROUP}
    return any(g in _VI_SHORT and any(_VI_SHORT[g].search(p) for p in passages) for g in groups)


# "the Swedish-language article", "in Vietnamese", "bài báo tiếng Thụy Điển", "på svenska", "svenskspråkig"
_LANGUAGE_PHRASES = {
    "sv": re.compile(r"\bswedish[- ]language\b|\bin swedish\b|tiếng thụy điển|\bpå svenska\b|\bsvenskspråkig", re.I),
    "vi": re.compile(
        r"\bvietnamese[- ]language\b|\bin vietnamese\b|tiếng việt|\bpå vietnamesiska\b|\bvietnamesiskspråkig", re.I
    ),
    "de": re.compile(r"\bgerman[- ]language\b|\bin german\b|tiếng đức|\bpå tyska\b|\btyskspråkig", re.I),
}
_LANGUAGE_GROUP = {
    lang: frozenset(fold(a) for a in ALIASES[_ALIAS_GROUP[key]])
    for lang, key in (("sv", "sverige"), ("vi", "viet nam"), ("de", "germany"))
}


def document_languages(question: str) -> set[str]:
    """The languages the question names for a document (codes of `_LANGUAGE_PHRASES`)."""
    return {lang for lang, pattern in _LANGUAGE_PHRASES.items() if pattern.search(question)}


# ---------------------------------------------------------------- answerability (the refusal model)

FEATURES = ("dense", "sentence", "coverage", "sentence_coverage", "anchors", "kind_match", "cross", "margin", "bias")
_MODEL_FILE = Path(__file__).with_name("answerability.json")


def answerability_features(
    question: str, hits: list[Hit], best_sentence: Any | None, cross: bool, same_lang: bool
) -> dict[str, float]:
    """What the retrieval and the chosen sentence say about whether the documents answer the question.

    dense: best passage cosine; sentence: the quoted sentence's cosine; coverage / sentence_coverage:
    share of the question's content terms in the best passage / the sentence (0 across languages, where
    words differ whatever the answer); anchors: share of the question's names and numbers found in the
    retrieved passages; kind_match: the sentence holds what is asked for (a number, a date, a name);
    cross: the question is not in the best passage's language; margin: how far the best passage's
    cosine stands above the fifth's (a flat ranking means nothing stands out)."""
    dense = [h.dense for h in hits if h.dense is not None]
    top = hits[0].chunk.text if hits else ""
    anchors = anchor_terms(question)
    return {
        "dense": max(dense, default=0.0),
        "sentence": best_sentence.sim if best_sentence is not None else 0.0,
        "coverage": coverage(question, top) if same_lang else 0.0,
        "sentence_coverage": best_sentence.coverage if best_sentence is not None else 0.0,
        "anchors": anchor_share(anchors, [h.chunk.text for h in hits]),
        "kind_match": best_sentence.kind_loose if best_sentence is not None else 0.0,  # as the model was fitted
        "cross": 1.0 if cross else 0.0,
        "margin": (max(dense) - sorted(dense, reverse=True)[min(4, len(dense) - 1)]) if dense else 0.0,
        "bias": 1.0,
    }


@dataclass(frozen=True)
class AnswerabilityModel:
    """Logistic regression over `FEATURES`, fitted out of sample on the development sets
    (evals/tools/fit_answerability.py); `threshold` is the operating point picked on its curve."""

    weights: dict[str, float]
    threshold: float
    about: dict[str, Any]

    def probability(self, features: dict[str, float]) -> float:
        z = sum(self.weights.get(k, 0.0) * features.get(k, 0.0) for k in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@lru_cache(maxsize=1)
def answerability_model(path: Path = _MODEL_FILE) -> AnswerabilityModel:
    """The committed model (a package file: a broken install says so instead of answering everything)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return AnswerabilityModel(dict(raw["weights"]), float(raw["threshold"]), dict(raw.get("about", {})))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise RuntimeError(
            f"the refusal model {path} is missing or unreadable ({e}): reinstall the package (pip install -e .)"
        ) from e


# ---------------------------------------------------------------- instructions inside documents

_INSTRUCTION = re.compile(
    r"(ignore|disregard|forget)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|your)\s+(instructions|prompts?|rules)"
    r"|\byou are now (a|an|in|the)\b(?! position)|\bdeveloper mode\b|\bsystem prompt\b|<\s*/?\s*source\b|\bcite source\s*\[\d+\]"
    r"|bỏ qua\s+(mọi|tất cả)(\s+các)?\s*(hướng dẫn|chỉ dẫn|chỉ thị)|hãy bỏ qua"
    r"|bỏ qua\s+(các\s+)?(hướng dẫn|chỉ dẫn|chỉ thị)\s+(trước|trước đó|trên|của bạn)"
    r"|ignorera\s+(alla\s+)?(tidigare|föregående)\s+instruktioner",
    re.I,
)


def gives_instructions(text: str) -> bool:
    """True when a passage addresses the assistant (prompt injection: "ignore previous instructions",
    a fake source tag, "cite source [7]"). Such a passage is still data: it can be quoted verbatim when
    asked about, but an LLM sentence backed only by it is dropped (llm_answer.py)."""
    return bool(_INSTRUCTION.search(text))
