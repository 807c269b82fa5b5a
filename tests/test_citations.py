from assistant.citations import make_citation, numbered, verify
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


def test_numbered_gives_one_number_per_quoted_span_in_order_of_first_use():
    c = chunk()
    a, b = make_citation(0, c, 0, 10, 0.5), make_citation(0, c, 12, 20, 0.4)
    again = make_citation(7, c, 0, 10, 0.9)  # the same span as `a`, cited by a later sentence
    markers, cits = numbered([[b], [], [a, again, b]])
    assert markers == [[1], [], [2, 1]]
    assert [(x.n, x.char_start) for x in cits] == [(1, b.char_start), (2, a.char_start)]
    assert (a.n, b.n, again.n) == (0, 0, 7)  # copies: the inputs are not renumbered
