"""What the assistant says when the documents do not answer, in the question's language (one home for
the refusal texts: the answer path, the LLM path, the CLI and the page read them here)."""

from __future__ import annotations

from .metadata import detect_language
from .types import Answer, Hit

REFUSALS = {
    "vi": "Các tài liệu không chứa câu trả lời cho câu hỏi này.",
    "en": "The documents do not contain an answer to this question.",
    "sv": "Dokumenten innehåller inget svar på den frågan.",
}
LANGUAGE_NAMES = {"vi": "Vietnamese", "en": "English", "sv": "Swedish"}  # in prompts to an LLM
NEAREST = {"vi": "Đoạn gần nhất tìm được", "en": "Nearest passages found", "sv": "Närmaste stycken"}
# the heading over a refusal's nearest passages, in the answer's language like the rest of it
NOT_IN_DOCS = {"vi": "Không có trong tài liệu", "en": "Not in the documents", "sv": "Finns inte i dokumenten"}


def question_language(question: str) -> str:
    return detect_language(question) or "vi"


def refusal(question: str, lang: str, hits: list[Hit], timings: dict[str, float], mode: str) -> Answer:
    """The answer that says the documents do not answer (the hits stay, for "nearest passages")."""
    return Answer(question, False, REFUSALS.get(lang, REFUSALS["en"]), lang, [], mode, timings, hits)
