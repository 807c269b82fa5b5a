"""Follow-up questions: whether a question leans on the previous one, and the text to widen retrieval with.

Pure. The page keeps the turns; `App.ask(question, context=...)` searches with the returned context too.
"""

from __future__ import annotations

import re

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
