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


# --- per-language analysis -------------------------------------------------------------------------

SWEDISH_DOC = """Om uppehållstillstånd för studier

Myndigheten prövar varje ansökan noggrant och skickar beslutet med post.

Vilka dokument behöver du? Du behöver ett giltigt pass och ett antagningsbesked.

Vilka regler gäller för studenter? Reglerna finns på webbplatsen och ändras ibland.
"""
TARGET = "Myndigheten prövar"


def test_swedish_and_english_inflections_match_in_their_language():
    lex = LexicalIndex()
    lex.add(["sv", "en", "vi"], [
        "Myndigheten prövar varje ansökan.",
        "The ambassador signed two agreements.",
        "Đại sứ ký hiệp định.",
    ], ["sv", "en", "vi"])
    assert lex.scores("myndigheterna", "sv").argmax() == 0 and lex.scores("myndigheterna", "sv")[[1, 2]].max() == 0
    assert lex.scores("agreement", "en").argmax() == 1
    assert lex.scores("agreement", "vi")[1] == 0  # a Vietnamese question has no English stems: only the plain token matches


def test_a_swedish_question_finds_a_swedish_paragraph_by_an_inflected_form(corpus, settings_for):
    from assistant.app import build
    from fakes import HashEmbedder

    (corpus / "sv_studier.txt").write_text(SWEDISH_DOC, encoding="utf-8")
    app = build(settings_for(corpus), embedder=HashEmbedder())
    app.sync()
    assert app.index.doc_meta["sv_studier.txt"].lang == "sv"
    for question in ("Vilka är myndigheterna?", "Vilka myndigheter finns?"):
        hits = app.ask(question, retrieval_mode="lexical").hits
        assert hits and hits[0].chunk.doc == "sv_studier.txt" and hits[0].chunk.text.startswith(TARGET), (question, hits[:2])


def _old_snapshot(index) -> None:
    """What the Vietnamese-only analysis left on disk: rows of unprefixed terms, no analysis recorded."""
    m = index.manifest
    chunks = m.all_chunks()
    old = LexicalIndex(analysis="")
    old.add([c.id for c in chunks], [c.text for c in chunks])  # no languages: the old terms
    old.save(index.dir / "lexical.npz", m.get("generation"))
    m.set("lexical_analysis", "")


def test_a_snapshot_of_another_analysis_is_never_scored_and_the_next_sync_rebuilds_it(corpus, settings_for):
    from assistant.app import build
    from assistant.text import analysis_id
    from fakes import HashEmbedder

    (corpus / "sv_studier.txt").write_text(SWEDISH_DOC, encoding="utf-8")
    settings = settings_for(corpus)
    build(settings, embedder=HashEmbedder()).sync()
    app = build(settings, embedder=HashEmbedder())
    _old_snapshot(app.index)
    path = app.index.dir / "lexical.npz"
    assert LexicalIndex.load(path)[0].analysis == ""

    reader = build(settings, embedder=HashEmbedder())  # a reader only: the old snapshot is rebuilt in memory
    hits = reader.ask("Vilka är myndigheterna?", retrieval_mode="lexical").hits
    assert hits and hits[0].chunk.text.startswith(TARGET)

    generation = app.index.manifest.get("generation")
    report = build(settings, embedder=HashEmbedder()).sync()  # nothing changed in corpus/, yet the snapshot is rewritten
    assert not (report.added or report.updated or report.removed)
    lex, saved = LexicalIndex.load(path)
    assert lex.analysis == analysis_id() and saved != generation and saved == app.index.manifest.get("generation")
    assert any(t.startswith("sv:") for t in lex.vocab) and app.index.manifest.get("lexical_analysis") == analysis_id()
    assert sorted(lex.ids) == sorted(app.index.manifest.chunk_ids())


def test_doctor_reports_and_repairs_a_snapshot_of_another_analysis(corpus, settings_for):
    from assistant.app import build
    from assistant.doctor import run
    from assistant.text import analysis_id
    from fakes import HashEmbedder

    settings = settings_for(corpus)
    app = build(settings, embedder=HashEmbedder())
    app.sync()
    _old_snapshot(app.index)
    model = HashEmbedder().model_id
    report = run(build(settings, embedder=HashEmbedder()), fix=True, model_id=model)
    assert [f.check for f in report.findings] == ["lexical"] and "text analysis" in report.findings[0].detail
    assert not report.remaining and "rebuilt" in report.findings[0].fix
    assert LexicalIndex.load(app.index.dir / "lexical.npz")[0].analysis == analysis_id()
    assert not run(build(settings, embedder=HashEmbedder()), fix=False, model_id=model).findings


def test_a_vietnamese_question_scores_exactly_as_before_in_a_mixed_corpus():
    """Swedish/English chunks get more terms (stems, 4-grams), but BM25 lengths count only the terms every
    language has: each chunk's score for a question without such terms is what the Vietnamese-only
    analysis gave, Swedish chunks included."""
    texts = [
        "Đại sứ Liên minh châu Âu tại Việt Nam, ông Julien Guerrier, phát biểu",
        "Kim ngạch thương mại Việt Nam - Ấn Độ năm 2025 đạt 16 tỷ USD",
        "EU:s ambassadör i Vietnam, Julien Guerrier, talade om arbetsmiljöfrågor och myndigheternas samarbete",
        "The EU ambassador Julien Guerrier signed two cooperation agreements",
    ]
    before = LexicalIndex()
    before.add(["a", "b", "c", "d"], texts)  # no languages: the Vietnamese-only analysis
    now = LexicalIndex()
    now.add(["a", "b", "c", "d"], texts, ["vi", "vi", "sv", "en"])
    assert now.own_terms and len(now.vocab) > len(before.vocab)
    for q in ["Đại sứ EU Julien Guerrier là ai?", "Kim ngạch thương mại năm 2025", "Guerrier 2025"]:
        assert (now.scores(q, "vi") == before.scores(q, "vi")).all(), q
