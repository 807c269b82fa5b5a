from assistant.lexical import LexicalIndex


def test_bm25_finds_vietnamese_and_folded_forms(tmp_path):
    lex = LexicalIndex()
    lex.add(["a", "b", "c"], [
        "Thứ trưởng Bùi Thế Duy phát biểu tại diễn đàn",
        "Đại sứ EU Julien Guerrier",
        "an ninh mạng là yếu tố sống còn",
    ])
    s = lex.scores("Bui The Duy")
    assert s.argmax() == 0 and s[1] == 0
    assert lex.scores("an ninh").argmax() == 2
    assert lex.scores("Đại sứ").argmax() == 1


def test_incremental_add_remove_and_persist(tmp_path):
    lex = LexicalIndex()
    lex.add(["a", "b"], ["hợp tác số", "chuyển đổi xanh"])
    lex.remove({"a"})
    lex.add(["c"], ["hợp tác khoa học"])
    assert lex.ids == ["b", "c"]
    assert lex.scores("hợp tác").argmax() == 1
    lex.save(tmp_path / "l.npz", "g1")
    back, gen = LexicalIndex.load(tmp_path / "l.npz")
    assert gen == "g1" and back.ids == ["b", "c"]
    assert (back.scores("hợp tác") == lex.scores("hợp tác")).all()


def test_empty_index_scores_nothing(tmp_path):
    lex = LexicalIndex()
    assert lex.scores("gì").size == 0
    lex.save(tmp_path / "e.npz", "g0")
    back, _ = LexicalIndex.load(tmp_path / "e.npz")
    assert back.ids == []
