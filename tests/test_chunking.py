from assistant.chunking import (
    QUOTABLE_KINDS,
    SHORT_KINDS,
    chunk_context,
    chunk_id,
    classify,
    make_chunks,
    passage_text,
    split_span,
)
from assistant.types import Chunk, Paragraph


def count_words(t: str) -> int:
    return len(t.split())


def paras(text: str) -> list[Paragraph]:
    out, pos = [], 0
    for i, line in enumerate(text.split("\n")):
        if line.strip():
            out.append(Paragraph(len(out) + 1, pos, pos + len(line), line))
        pos += len(line) + 1
    return out


def test_short_paragraph_is_one_chunk_with_its_anchor():
    text = "Tiêu đề ngắn\nĐây là một đoạn văn đầy đủ. Nó có hai câu."
    ps = classify(paras(text))
    chunks = make_chunks("a.txt", "h" * 64, text, ps, count_words, 50)
    assert [c.paragraph for c in chunks] == [1, 2]
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert chunks[1].heading == "Tiêu đề ngắn"


def test_long_paragraph_splits_at_sentences_and_keeps_anchor():
    sentence = "Câu này có đúng tám từ trong nó. "
    text = (sentence * 30).strip()
    ps = classify(paras(text))
    chunks = make_chunks("a.txt", "h" * 64, text, ps, count_words, 20)
    assert len(chunks) > 1
    assert all(c.paragraph == 1 for c in chunks)
    assert all(count_words(c.text) <= 20 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)  # cut at sentence ends
    assert all(text[c.start : c.end] == c.text for c in chunks)
    # nothing lost: every word of the paragraph is in some chunk, in order
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_sentence_longer_than_limit_is_cut_at_words_never_truncated():
    text = " ".join(f"w{i}" for i in range(1000))
    spans = split_span(text, 0, len(text), count_words, 64)
    assert all(count_words(text[s:e]) <= 64 for s, e in spans)
    assert " ".join(text[s:e] for s, e in spans) == text


def test_big_single_line_is_split_with_linear_token_counting():
    """A 900,000-character line without a sentence end: the (real: slow) token counter sees each distinct word
    once and the text a bounded number of times, never growing prefixes again and again (quadratic)."""
    text = "từ " * 300_000
    counted: list[int] = []

    def counting(t: str) -> int:
        counted.append(len(t))
        return count_words(t)

    spans = split_span(text, 0, len(text.rstrip()), counting, 500)
    assert len(spans) == 600 and all(count_words(text[s:e]) == 500 for s, e in spans)
    assert spans[0][0] == 0 and spans[-1][1] == len(text.rstrip())
    assert all(text[e:s2] == " " for (_, e), (s2, _) in zip(spans, spans[1:]))  # cut between words, nothing lost
    assert sum(counted) <= 3 * len(text)  # the whole line, its one sentence, the 600 pieces
    assert len(counted) <= len(spans) + 3  # the one distinct word counted once, not 300,000 times


def test_captions_and_headings_are_flagged():
    text = "\n".join(
        [
            "Việt Nam - Nhật Bản: Cùng tạo nên xung lực mới- Ảnh 1.",
            "Ảnh minh họa",
            "Ảnh minh họa",
            "Hai nền kinh tế có tính bổ sung",
            "Phó Thủ tướng và các đại biểu dự sự kiện tại Tokyo, trong không khí hợp tác và phấn khởi của hai bên. - Ảnh: VGP/Thu Sa",
            "Nhật Bản là một trong những đối tác hàng đầu của Việt Nam trong lĩnh vực công nghệ cao.",
        ]
    )
    kinds = [p.kind for p in classify(paras(text))]
    assert kinds == ["noise", "noise", "noise", "heading", "caption", "text"]


def test_captions_that_name_people_are_evidence_and_only_noise_is_short():
    """A caption carries names and titles (issue 11, class 1): it is quotable and not demoted; a bare
    credit, an alt text repeating the title and a repeated line are noise."""
    text = "\n".join(
        [
            "Đại diện chính phủ châu Âu và Việt Nam tại sự kiện. Từ trái qua: bà Kristina Buende, Trưởng phòng Hợp tác. Ảnh: D4D Hub",
            "Ảnh: VGP/Nhật Bắc",
            "Thủ tướng tiếp ông Celso Nunes Cio, Giám đốc sáng tạo của Alterosa MK - Ảnh: VGP/Nhật Bắc",
            "Thủ tướng tiếp ông Celso Nunes Cio, Giám đốc sáng tạo của Alterosa MK - Ảnh: VGP/Nhật Bắc",
        ]
    )
    kinds = [p.kind for p in classify(paras(text))]
    assert kinds == ["caption", "noise", "caption", "noise"]
    assert set(QUOTABLE_KINDS) == {"text", "caption"} and "caption" not in SHORT_KINDS


def test_chunk_context_is_title_and_heading_and_never_in_the_quote():
    """Contextual retrieval (issue 11, class 2): the encoder reads title + heading before the chunk; the
    chunk's own text (what is quoted) is unchanged and its offset in the encoder input is known."""
    chunk = Chunk(
        "c1",
        "d.txt",
        5,
        100,
        150,
        "Sự kiện được tổ chức lần đầu năm 2022 tại Hà Nội.",
        heading="Ngày Nghiên cứu và Đổi mới",
    )
    ctx = chunk_context(chunk, "Việt Nam - EU thúc đẩy hợp tác")
    assert ctx == "Việt Nam - EU thúc đẩy hợp tác. Ngày Nghiên cứu và Đổi mới"
    full, offset = passage_text(chunk, "Việt Nam - EU thúc đẩy hợp tác", lambda t: len(t.split()), 64)
    assert full[offset:] == chunk.text and full.startswith(ctx)
    # no room: the chunk alone, never cut
    assert passage_text(chunk, "Việt Nam - EU thúc đẩy hợp tác", lambda t: len(t.split()), 15) == (chunk.text, 0)
    # a title line is not its own context
    title = Chunk("c0", "d.txt", 1, 0, 30, "Việt Nam - EU thúc đẩy hợp tác", kind="heading")
    assert chunk_context(title, "Việt Nam - EU thúc đẩy hợp tác") == ""


def test_chunk_ids_follow_content_hash():
    assert chunk_id("abc" * 10, 3) == chunk_id("abc" * 10, 3)
    assert chunk_id("abc" * 10, 3) != chunk_id("abd" * 10, 3)
