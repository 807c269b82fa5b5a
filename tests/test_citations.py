from assistant.citations import make_citation, verify
from assistant.types import Chunk

DOC = "Tiêu đề\n\nĐại sứ EU là ông Julien Guerrier. Ông phát biểu tại diễn đàn.\n\nĐoạn khác."


def chunk():
    start = DOC.index("Đại sứ")
    end = DOC.index("diễn đàn.") + len("diễn đàn.")
    return Chunk("id", "a.txt", 2, start, end, DOC[start:end])


def test_citation_offsets_locate_the_quote():
    c = make_citation(1, chunk(), 0, len("Đại sứ EU là ông Julien Guerrier."), 0.9)
    assert c.quote == "Đại sứ EU là ông Julien Guerrier."
    assert DOC[c.char_start : c.char_end] == c.quote
    assert verify(c, DOC, chunk().start, chunk().end)


def test_a_quote_not_in_the_paragraph_fails_verification():
    c = make_citation(1, chunk(), 0, len("Đại sứ EU là ông Julien Guerrier."), 0.9)
    c.quote = "Đại sứ EU là ông John Smith."
    assert not verify(c, DOC, chunk().start, chunk().end)


def test_a_quote_outside_the_cited_paragraph_fails_verification():
    c = make_citation(1, chunk(), 0, len("Đại sứ EU là ông Julien Guerrier."), 0.9)
    other_start = DOC.index("Đoạn khác")
    assert not verify(c, DOC, other_start, other_start + 10)
