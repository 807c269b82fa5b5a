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


def test_scores_are_textbook_bm25_after_adds_removes_and_a_reload(tmp_path):
    """Scores computed per question from the term columns equal BM25 computed the long way."""
    import math
    from collections import Counter

    from assistant.lexical import B, K1
    from assistant.text import lexical_terms

    texts = {
        "a": "Việt Nam và Nhật Bản ký kết hợp tác về năng lượng sạch",
        "b": "Hợp tác năng lượng giữa Việt Nam và EU được đẩy mạnh, năng lượng tái tạo",
        "c": "Đại sứ Brazil thăm Hà Nội",
        "d": "Thủ tướng tiếp Đại sứ Nhật Bản tại Hà Nội về hợp tác",
    }
    lex = LexicalIndex()
    lex.add(["a", "b", "x"], [texts["a"], texts["b"], "một đoạn sẽ bị xoá"])
    lex.remove({"x"})
    lex.add(["c", "d"], [texts["c"], texts["d"]])
    lex.save(tmp_path / "l.npz", "g")
    back, _ = LexicalIndex.load(tmp_path / "l.npz")

    docs = {k: Counter(lexical_terms(t)) for k, t in texts.items()}
    avgdl = sum(sum(c.values()) for c in docs.values()) / len(docs)
    for query in ["hợp tác năng lượng", "Đại sứ Nhật Bản", "Ha Noi", "không có từ nào"]:
        want = []
        for cid in back.ids:
            dl, score = sum(docs[cid].values()), 0.0
            for t in set(lexical_terms(query)):
                df = sum(1 for c in docs.values() if t in c)
                if not df or not docs[cid][t]:
                    continue
                idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
                tf = docs[cid][t]
                score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))
            want.append(score)
        for index in (lex, back):
            assert list(index.ids) == ["a", "b", "c", "d"]
            assert [round(float(x), 4) for x in index.scores(query)] == [round(x, 4) for x in want], query
