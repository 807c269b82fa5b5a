from assistant.retrieve import fuse


def test_fusion_weights_both_signals():
    dense = [("a", 0.90), ("c", 0.88), ("b", 0.85)]
    lexical = [("c", 12.0), ("b", 6.0)]
    got = fuse(dense, lexical, 0.5)
    assert [r[0] for r in got] == ["c", "a", "b"]  # strong on both beats best on one


def test_dense_weight_one_is_dense_order():
    dense = [("a", 0.9), ("b", 0.8)]
    lexical = [("b", 10.0), ("z", 9.0)]
    assert [r[0] for r in fuse(dense, lexical, 1.0)][:2] == ["a", "b"]


def test_dense_weight_zero_is_lexical_order():
    dense = [("a", 0.9), ("b", 0.8)]
    lexical = [("b", 10.0), ("z", 9.0)]
    assert [r[0] for r in fuse(dense, lexical, 0.0)][:2] == ["b", "z"]


def test_one_side_empty_uses_the_other():
    assert [r[0] for r in fuse([], [("x", 3.0), ("y", 1.0)], 0.7)] == ["x", "y"]
    assert [r[0] for r in fuse([("x", 0.5), ("y", 0.9)], [], 0.7)] == ["y", "x"]
    assert fuse([], [], 0.7) == []


def test_raw_scores_are_kept():
    got = {r[0]: r for r in fuse([("a", 0.9)], [("b", 2.0)], 0.5)}
    assert got["a"][2] == 0.9 and got["a"][3] is None
    assert got["b"][2] is None and got["b"][3] == 2.0
