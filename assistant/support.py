"""Does the retrieved text support answering at all? (pure) — the refusal side of scoring.

Two checks, both needed to answer:
1. support score = dense similarity of the best passage + TERM_WEIGHT x its share of the question's
   content terms, against a threshold calibrated on answerable vs unanswerable questions;
2. every named entity of the question (a country/organisation from the multilingual table below, or a
   capitalised name, of which any one word suffices) occurs in the retrieved passages: "Who is the Korean ambassador?" must not be
   answered from a paragraph about the EU ambassador.
"""

from __future__ import annotations

import re

from .text import fold, words
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
    ["nhật bản", "japan", "japanese", "japanska"],
    ["hàn quốc", "korea", "korean", "sydkorea", "koreansk"],
    ["trung quốc", "china", "chinese", "kina", "kinesisk"],
    ["hoa kỳ", "united states", "usa", "america", "american", "förenta staterna"],
    ["brazil", "brasil", "brazilian"],
    ["algeria", "algeriet"],
    ["chile", "chilean"],
    ["ấn độ", "india", "indien"],
    # one-syllable Vietnamese names (Nga, Pháp, Đức, Anh, Úc, Mỹ, Lào) are left out: folded, they
    # collide with common words (ngã, pháp lý, đạo đức, ảnh, lao động)
    ["russia", "ryssland"],
    ["france", "frankrike", "french"],
    ["germany", "tyskland", "german"],
    ["united kingdom", "britain", "storbritannien"],
    ["australia", "australien"],
    ["thụy điển", "sweden", "sverige", "swedish"],
    ["singapore"],
    ["thái lan", "thailand"],
    ["laos"],
    ["campuchia", "cambodia", "kambodja"],
    ["indonesia", "indonesien"],
    ["canada", "kanada"],
    ["hà nội", "hanoi"],
    ["hồ chí minh", "ho chi minh", "tp hcm", "hcm", "tphcm", "sài gòn", "saigon"],
    ["tokyo"],
    ["ninh bình", "ninh binh"],
]
_ALIAS_GROUP = {fold(a): i for i, group in enumerate(ALIASES) for a in group}
_QUESTION_WORDS = {fold(w) for w in "who what which when where how why whom whose vem vad vilken vilka när var hur varför ai gì nào đâu bao".split()}
# Title-cased English/Swedish words that name roles or kinds of thing, not an entity.
_TITLE_WORDS = set(
    "prime minister deputy vice president ambassador minister city group forum day week act law "
    "program programme initiative ceo chairman director head the of and for statsminister minister".split()
)
_TOKEN = re.compile(r"\w+")


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
    folded = " " + " ".join(fold(w) for w in words(question)) + " "
    found: list[set[str]] = []
    covered: set[str] = set()
    for alias, group in sorted(_ALIAS_GROUP.items(), key=lambda kv: -len(kv[0])):
        if f" {alias} " in folded and alias not in covered:
            forms = {fold(a) for a in ALIASES[group]}
            covered |= {w for a in forms for w in a.split()}
            if forms not in found:
                found.append(forms)
    for name in capitalised_runs(question, names_only=cross_lingual):
        parts = [p for p in name.split() if p not in covered and p not in _QUESTION_WORDS and p not in _TITLE_WORDS]
        if parts:
            # any one word of a run counts: "Prime Minister Ishiba" is "Thủ tướng Ishiba" in Vietnamese
            found.append(set(parts))
    return found


def capitalised_runs(text: str, names_only: bool = False) -> list[str]:
    """Folded runs of capitalised words that do not start a sentence (names, organisations)."""
    runs: list[list[str]] = []
    prev_end = -2
    for m in _TOKEN.finditer(text):
        tok = m.group()
        initial = not text[: m.start()].strip() or text[: m.start()].rstrip().endswith((".", "?", "!", ":"))
        name_shaped = len(tok) > 1 and any(c.isupper() for c in tok[1:])
        if tok[0].isupper() and not initial and (name_shaped or not names_only):
            if runs and text[prev_end : m.start()] in (" ", "-"):
                runs[-1].append(fold(tok))
            else:
                runs.append([fold(tok)])
            prev_end = m.end()
    return [" ".join(r) for r in runs]


def missing_entities(question: str, passages: list[str], cross_lingual: bool = False) -> list[str]:
    """Entities of the question that none of the passages mention."""
    text = " " + " ".join(fold(w) for p in passages for w in words(p)) + " "
    return [" ".join(sorted(forms)) for forms in entities(question, cross_lingual) if not any(f" {f} " in text for f in forms)]
