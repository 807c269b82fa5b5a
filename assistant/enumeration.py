"""Enumerated items: the "Thứ nhất, …", "Thứ hai, …" (First, … / För det första, … / 1. …) sentences
after one that introduces them ("Phó Thủ tướng đưa ra một số khuyến nghị."). An item names its place in
the list only by its ordinal, which neither the words nor the model match to a question asking for it
("Khuyến nghị thứ năm …", "the fifth recommendation", "vice premiärministerns fjärde rekommendation"):
such a question is answered from item n of the list a top retrieved passage belongs to. Pure but for
reading the document's chunks from the index."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .extractive import quote_spans
from .store import Index
from .types import Chunk, Hit

_VI = {"nhất": 1, "hai": 2, "ba": 3, "tư": 4, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "mười": 10}
_VI_LA = {"một": 1, "hai": 2, "ba": 3, "bốn": 4, "năm": 5, "sáu": 6, "bảy": 7, "tám": 8, "chín": 9, "mười": 10}
_EN = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip
_SV = {
    "första": 1, "andra": 2, "tredje": 3, "fjärde": 4, "femte": 5,
    "sjätte": 6, "sjunde": 7, "åttonde": 8, "nionde": 9, "tionde": 10,
}  # fmt: skip


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


# In a question: "<noun> thứ năm" (not a weekday: "vào thứ năm", "sáng thứ hai"; not "lần thứ hai", a time),
# "the fifth <noun>" / "its fifth", "den / premiärministerns fjärde <noun>" (a determiner or genitive:
# "andra" alone is "other").
_Q_VI = re.compile(rf"(\w+)\s+thứ\s+({_alt(_VI)}|[1-9]|10)\b", re.I)
_NOT_VI = {"vào", "ngày", "hôm", "sáng", "chiều", "tối", "trưa", "đêm", "lần", "từ", "đến", "các", "những"}
_Q_EN = re.compile(rf"\b(?:the|its|his|her|their|\w+['’]s)\s+({_alt(_EN)})\s+(\w+)", re.I)
_Q_SV = re.compile(rf"\b(?:den|det|dess|sin|sitt|hans|hennes|deras|\w+s)\s+({_alt(_SV)})\s+(\w+)", re.I)
_NOT_NOUN = re.compile(r"^(times?|gången|time|year|years|året|\w+est|\w+sta|most|mest|largest|största)$", re.I)

# At the start of a sentence: the item's marker, then a comma, colon or full stop.
_ITEM = (
    ("vi", re.compile(rf"Thứ\s+({_alt(_VI)})\s*[,:.]", re.I), _VI),
    ("vi-la", re.compile(rf"({_alt(_VI_LA)})\s+là\s*[,:]", re.I), _VI_LA),
    ("en", re.compile(rf"({_alt(_EN)})(?:ly)?\s*[,:]", re.I), _EN),
    ("sv", re.compile(rf"För\s+det\s+({_alt(_SV)})\s*[,:]?", re.I), _SV),
    ("num", re.compile(r"([1-9]|10)[.)](?:\s|$)"), None),
)
TOP_HITS = 3  # a list counts when one of these hits is its introduction or one of its items


def asked_ordinal(question: str) -> int | None:
    """The n of a question asking for the n-th item of a list, else None."""
    for m in _Q_VI.finditer(question):
        if m.group(1).lower() not in _NOT_VI:
            word = m.group(2).lower()
            return int(word) if word.isdigit() else _VI[word]
    for pattern, table in ((_Q_EN, _EN), (_Q_SV, _SV)):
        for m in pattern.finditer(question):
            if not _NOT_NOUN.match(m.group(2)):
                return table[m.group(1).lower()]
    return None


def _marker(text: str) -> tuple[str, int] | None:
    for style, pattern, table in _ITEM:
        m = pattern.match(text)
        if m:
            word = m.group(1).lower()
            return style, (int(word) if table is None else table[word])
    return None


@dataclass(frozen=True)
class Item:
    """Item `n` of a list: its chunk and its span there (to the next item's start or the chunk's end)."""

    chunk: Chunk
    start: int
    end: int
    n: int


def lists(chunks: list[Chunk]) -> list[tuple[list[str], list[Item]]]:
    """The enumerations of one document's chunks (in document order): for each, the ids of the chunks it
    spans (the one introducing it, through the last item's) and its items 1, 2, … (two at least)."""
    found: list[tuple[list[str], list[Item]]] = []
    run: list[Item] = []
    style = ""
    members: list[str] = []
    prev_id = ""

    def close() -> None:
        if len(run) >= 2:
            spanned = list(dict.fromkeys(members))
            found.append((spanned[: spanned.index(run[-1].chunk.id) + 1], list(run)))

    for chunk in chunks:
        for s, e in quote_spans(chunk.text):
            mark = _marker(chunk.text[s:e])
            if mark is None:
                continue
            st, n = mark
            if n == 1:
                close()
                run, style = [], st
                members = [prev_id or chunk.id] if s == 0 else [chunk.id]
            elif not run or st != style or n != run[-1].n + 1:
                continue
            if run and run[-1].chunk.id == chunk.id:
                run[-1] = Item(chunk, run[-1].start, s, run[-1].n)
            run.append(Item(chunk, s, len(chunk.text), n))
            members.append(chunk.id)
        if run and members[-1] != chunk.id and chunk.kind == "text":
            members.append(chunk.id)  # a paragraph inside the list ("Theo đó, …" after item one)
        prev_id = chunk.id if chunk.kind == "text" else prev_id
    close()
    return found


def asked_item(question: str, hits: list[Hit], index: Index) -> Item | None:
    """Item n of the list that one of the TOP_HITS hits introduces or belongs to, when the question asks for
    the n-th item (asked_ordinal) and that list has one; the list of the best-ranked such hit."""
    n = asked_ordinal(question)
    if n is None:
        return None
    found: dict[str, list[tuple[list[str], list[Item]]]] = {}  # the top hits often share a document
    for hit in hits[:TOP_HITS]:
        doc = hit.chunk.doc
        if doc not in found:
            found[doc] = lists(index.document_chunks(doc))
        for members, items in found[doc]:
            if hit.chunk.id in members and len(items) >= n:
                return items[n - 1]
    return None
