"""Enumerated items (assistant/enumeration.py): a question asking for the n-th item of a list is answered
from that item. Seen on the seeds: "Khuyến nghị thứ năm của Phó Thủ tướng …?" quoted the paragraph that
introduces the recommendations, and "… khuyến nghị thứ hai …" a photo caption, because an item names its
place only by "Thứ năm, …"."""

from __future__ import annotations

import pytest

from assistant import answer as answer_mod
from assistant.enumeration import asked_item, asked_ordinal, lists
from assistant.types import Chunk, Hit


@pytest.mark.parametrize(
    ("question", "n"),
    [
        ("Khuyến nghị thứ năm của Phó Thủ tướng liên quan đến lĩnh vực nào?", 5),
        ("Đề xuất thứ 2 là gì?", 2),
        ("Nội dung thứ tư của bản ghi nhớ là gì?", 4),
        ("What is the Deputy Prime Minister's second recommendation?", 2),
        ("What does the third point say?", 3),
        ("Vilken klimatkonferens hänvisar vice premiärministerns fjärde rekommendation till?", 4),
        ("Vad handlar den femte punkten om?", 5),
        # a weekday, a time, "other", a superlative: no item asked for
        ("Cuộc họp diễn ra vào thứ năm?", None),
        ("Sáng thứ hai đoàn đến đâu?", None),
        ("Hội nghị lần thứ hai tổ chức ở đâu?", None),
        ("Vilka andra länder deltog?", None),
        ("Vad hände den första gången?", None),
        ("What is the second largest city?", None),
        ("Đại sứ EU là ai?", None),
    ],
)
def test_asked_ordinal(question, n):
    assert asked_ordinal(question) == n


def _chunks(*texts: str, kinds: dict[int, str] | None = None) -> list[Chunk]:
    out, pos = [], 0
    for i, t in enumerate(texts, 1):
        out.append(Chunk(f"d#{i:03d}", "d.txt", i, pos, pos + len(t), t, kind=(kinds or {}).get(i, "text")))
        pos += len(t) + 2
    return out


def test_lists_finds_each_run_its_introduction_and_items_split_inside_a_paragraph():
    chunks = _chunks(
        "Bối cảnh chung của hợp tác.",
        "Phó Thủ tướng đưa ra một số khuyến nghị.",
        "Thứ nhất, tăng cường nghiên cứu.",
        "Theo đó, đề nghị các viện hợp tác.",
        "Ảnh: VGP",
        "Thứ hai, đào tạo nhân lực. Thứ ba, thu hút đầu tư.",
        "Đoạn kết không thuộc danh sách.",
        "Hai bên nêu hai điểm. 1. Mở rộng thương mại. 2. Hợp tác số.",
        kinds={5: "caption"},
    )
    (members, items), (members2, items2) = lists(chunks)
    assert [i.n for i in items] == [1, 2, 3]
    assert members == ["d#002", "d#003", "d#004", "d#006"]  # the caption and the closing paragraph are not in it
    two, three = items[1], items[2]
    assert two.chunk.text[two.start : two.end].strip() == "Thứ hai, đào tạo nhân lực."
    assert three.chunk.text[three.start : three.end] == "Thứ ba, thu hút đầu tư."
    assert [i.n for i in items2] == [1, 2] and members2 == ["d#008"]
    # a lone "Thứ hai, …" (no item one) or a run out of order is no list
    assert lists(_chunks("Thứ hai, một ý.", "Thứ tư, ý khác.")) == []


def test_the_asked_item_comes_from_a_list_a_top_hit_belongs_to():
    chunks = _chunks("Phó Thủ tướng đưa ra một số khuyến nghị.", "Thứ nhất, nghiên cứu.", "Thứ hai, nhân lực.")

    class View:
        def __init__(self):
            self.chunks = {c.id: c for c in chunks}

        def document_chunks(self, doc):
            return [self.chunks[cid] for cid in sorted(self.chunks)]

    head = Hit(chunks[0], 0.9)
    item = asked_item("Khuyến nghị thứ hai là gì?", [head], View())  # type: ignore[arg-type]
    assert item is not None and item.chunk.id == "d#003" and item.n == 2
    assert asked_item("Khuyến nghị thứ ba là gì?", [head], View()) is None  # the list has two  # type: ignore[arg-type]
    assert asked_item("Khuyến nghị nào là gì?", [head], View()) is None  # type: ignore[arg-type]
    other = Hit(Chunk("e#001", "e.txt", 1, 0, 10, "Khác hẳn."), 0.95)
    far = [other, other, other, head]  # the list's introduction is not among the top hits
    assert asked_item("Khuyến nghị thứ hai là gì?", far, View()) is None  # type: ignore[arg-type]


def test_the_fifth_recommendation_of_the_seed_is_quoted_from_item_five(fake_app):
    fake_app.sync()
    q = "Khuyến nghị thứ năm của Phó Thủ tướng về hợp tác Việt - Nhật liên quan đến lĩnh vực nào?"
    s = fake_app.settings
    ev = answer_mod.gather(q, fake_app.embedder, fake_app.index, k=s.top_k)
    assert ev.hits[0].chunk.text.startswith("Thứ năm, tăng cường phối hợp trong đảm bảo an toàn và an ninh mạng.")
    a = fake_app.ask(q, min_score=0.0)
    assert a.answered and a.citations[0].quote.startswith("Thứ năm, tăng cường phối hợp")
    assert a.citations[0].doc == "003_a6de01ab2ae2bfda.txt"
