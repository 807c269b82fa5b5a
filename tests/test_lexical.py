import logging
import math
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant.lexical import B, COMPACT_AT, K1, LexicalError, LexicalIndex, identity
from assistant.text import is_language_term, lexical_terms
from tests.support import ROOT


def _index(texts: dict[str, str], path: Path | None = None, langs: dict[str, str] | None = None) -> LexicalIndex:
    lex = LexicalIndex(path)
    lex.add(
        list(texts), [f"{cid}.txt" for cid in texts], list(texts.values()), [(langs or {}).get(c, "") for c in texts]
    )
    lex.commit()
    return lex


def _scores(lex: LexicalIndex, query: str, lang: str = "") -> dict[str, float]:
    return dict(lex.search(query, lang, 1000))


def reference_bm25(texts: dict[str, str], query: str, counted: dict[str, str] | None = None) -> dict[str, float]:
    """Textbook BM25 (k1, b, idf ln(1 + (N - n + .5) / (n + .5))) over the shared terms, the long way; the
    statistics (N, n, avgdl) over `counted` (default: the chunks scored)."""
    stats = {k: Counter(t for t in lexical_terms(v) if not is_language_term(t)) for k, v in (counted or texts).items()}
    docs = {k: Counter(t for t in lexical_terms(v) if not is_language_term(t)) for k, v in texts.items()}
    avgdl = sum(sum(c.values()) for c in stats.values()) / len(stats)
    out = {}
    for cid, terms in docs.items():
        dl, score = sum(terms.values()), 0.0
        for t in set(lexical_terms(query)):
            df = sum(1 for c in stats.values() if t in c)
            if terms[t]:
                idf = math.log(1 + (len(stats) - df + 0.5) / (df + 0.5))
                score += idf * terms[t] * (K1 + 1) / (terms[t] + K1 * (1 - B + B * dl / avgdl))
        if score:
            out[cid] = score
    return out


SHORT = {  # under 40 terms each: tantivy stores these lengths exactly
    "a": "Việt Nam và Nhật Bản ký kết hợp tác về năng lượng sạch",
    "b": "Hợp tác năng lượng giữa Việt Nam và EU, năng lượng tái tạo",
    "c": "Đại sứ Brazil thăm Hà Nội",
    "d": "Thủ tướng tiếp Đại sứ Nhật Bản tại Hà Nội về hợp tác",
}
QUERIES = ["hợp tác năng lượng", "Đại sứ Nhật Bản", "Ha Noi", "không có từ nào"]


def test_bm25_finds_vietnamese_and_folded_forms():
    lex = _index(
        {
            "a": "Thứ trưởng Bùi Thế Duy phát biểu tại diễn đàn",
            "b": "Đại sứ EU Julien Guerrier",
            "c": "an ninh mạng là yếu tố sống còn",
        }
    )
    assert [cid for cid, _ in lex.search("Bui The Duy", "vi", 10)] == ["a"]
    assert lex.search("an ninh", "vi", 10)[0][0] == "c"
    assert lex.search("Đại sứ", "vi", 10)[0][0] == "b"
    assert lex.search("gì", "vi", 10) == [] and LexicalIndex().search("gì", "vi", 10) == []


def test_scores_equal_a_reference_bm25_and_survive_a_reopen(tmp_path):
    """Parity: chunks up to 40 terms score exactly (float32) as textbook BM25, from disk and reopened."""
    lex = _index(SHORT, tmp_path / "lx")
    back = LexicalIndex.open(tmp_path / "lx")
    assert sorted(back.ids()) == sorted(SHORT) and back.num_docs() == 4 and back.dead() == 0
    for query in QUERIES:
        want = reference_bm25(SHORT, query)
        for index in (lex, back):
            got = _scores(index, query)
            assert got.keys() == want.keys(), query
            assert all(got[c] == pytest.approx(want[c], rel=1e-5) for c in want), (query, got, want)


def test_long_chunks_score_within_the_documented_tolerance():
    """Longer chunks' lengths are stored in one byte (buckets ~8% apart): each score within 9% of the
    reference, on average within 3%, and the best chunk of every question the same."""
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt")))
    sentences = [s.strip() for s in text.replace("\n", " ").split(". ") if len(s.split()) > 5]
    texts = {f"c{i}": ". ".join(sentences[i : i + 4]) for i in range(0, min(len(sentences), 160), 4)}
    assert len(texts) > 20 and np.mean([len(lexical_terms(t)) for t in texts.values()]) > 150
    lex = _index(texts)
    rel = []
    for query in [
        "Hợp tác số EU Việt Nam",
        "đổi mới sáng tạo khoa học công nghệ",
        "Đại sứ",
        "năng lượng tái tạo",
        "Ninh Bình ngày 27/10",
    ]:
        want, got = reference_bm25(texts, query), _scores(lex, query)
        assert got.keys() == want.keys() and want, query
        rel += [abs(got[c] - want[c]) / want[c] for c in want]
        assert max(got, key=got.__getitem__) == max(want, key=want.__getitem__), query
    assert max(rel) < 0.09 and float(np.mean(rel)) < 0.03, (max(rel), np.mean(rel))


def test_deleted_chunks_never_come_back_and_their_statistics_go_at_compaction(tmp_path):
    """A delete hides the chunk at once; until compaction it still counts in N, n and avgdl (exactly as the
    reference computed with it); a rebuild (what Index.commit does past COMPACT_AT) makes them exact."""
    doomed = {"x": "Dự án kangaroo về năng lượng tại Canberra"}
    lex = _index({**SHORT, **doomed}, tmp_path / "lx")
    lex.remove(["x"])
    lex.commit()
    assert sorted(lex.ids()) == sorted(SHORT) and lex.search("kangaroo Canberra", "vi", 10) == []
    assert lex.dead() == 1 and lex.needs_compaction() == (1 > COMPACT_AT * 4)
    for query in QUERIES:
        want = reference_bm25(SHORT, query, counted={**SHORT, **doomed})
        assert _scores(lex, query) == pytest.approx(want, rel=1e-5), query
    lex.clear()
    lex.add(list(SHORT), [f"{c}.txt" for c in SHORT], list(SHORT.values()))
    lex.commit()
    assert lex.dead() == 0 and not lex.needs_compaction()
    for query in QUERIES:
        assert _scores(lex, query) == pytest.approx(reference_bm25(SHORT, query), rel=1e-5), query


def test_a_reader_keeps_its_commit_until_it_reloads_and_one_writer_holds_the_lock(tmp_path):
    writer = _index({"a": "hợp tác số"}, tmp_path / "lx")
    reader = LexicalIndex.open(tmp_path / "lx")
    writer.add(["b"], ["b.txt"], ["hợp tác khoa học"])
    other = LexicalIndex(tmp_path / "lx")
    with pytest.raises(LexicalError, match="another writer"):
        other.add(["c"], ["c.txt"], ["x"])
    writer.commit()  # releases tantivy's lock
    other.add(["c"], ["c.txt"], ["hợp tác xanh"])
    other.close()  # not committed: dropped
    assert [c for c, _ in reader.search("hợp tác", "vi", 10)] == ["a"]
    reader.reload()
    assert sorted(c for c, _ in reader.search("hợp tác", "vi", 10)) == ["a", "b"]


def test_a_filter_keeps_only_its_documents_and_adds_nothing_to_the_score():
    lex = _index(SHORT)
    full = _scores(lex, "Đại sứ Hà Nội")
    only = dict(lex.search("Đại sứ Hà Nội", "vi", 10, {"d.txt", "b.txt"}))
    assert only == {"d": full["d"]} and lex.search("Đại sứ", "vi", 10, set()) == []


def test_an_unreadable_folder_is_an_error_not_an_empty_index(tmp_path):
    with pytest.raises(LexicalError):
        LexicalIndex.open(tmp_path / "missing")
    _index({"a": "x"}, tmp_path / "lx")
    (tmp_path / "lx" / "meta.json").write_text("garbage")
    with pytest.raises(LexicalError):
        LexicalIndex.open(tmp_path / "lx")
    assert LexicalIndex.recreate(tmp_path / "lx").num_docs() == 0


# --- per-language analysis -------------------------------------------------------------------------

SWEDISH_DOC = """Om uppehållstillstånd för studier

Myndigheten prövar varje ansökan noggrant och skickar beslutet med post.

Vilka dokument behöver du? Du behöver ett giltigt pass och ett antagningsbesked.

Vilka regler gäller för studenter? Reglerna finns på webbplatsen och ändras ibland.
"""
TARGET = "Myndigheten prövar"


def test_swedish_and_english_inflections_match_in_their_language():
    lex = _index(
        {
            "sv": "Myndigheten prövar varje ansökan.",
            "en": "The ambassador signed two agreements.",
            "vi": "Đại sứ ký hiệp định.",
        },
        langs={"sv": "sv", "en": "en", "vi": "vi"},
    )
    assert [c for c, _ in lex.search("myndigheterna", "sv", 10)] == ["sv"]
    assert [c for c, _ in lex.search("agreement", "en", 10)] == ["en"]
    assert (
        lex.search("agreement", "vi", 10) == []
    )  # a Vietnamese question has no English stems: only the plain token matches


def test_a_vietnamese_question_scores_exactly_as_without_languages_in_a_mixed_corpus():
    """Swedish/English chunks get more terms (stems, 4-grams) in their own field: BM25 lengths over the
    terms every language has are unchanged, so a question without such terms scores every chunk as the
    Vietnamese-only analysis does, Swedish chunks included."""
    texts = {
        "a": "Đại sứ Liên minh châu Âu tại Việt Nam, ông Julien Guerrier, phát biểu",
        "b": "Kim ngạch thương mại Việt Nam - Ấn Độ năm 2025 đạt 16 tỷ USD",
        "c": "EU:s ambassadör i Vietnam, Julien Guerrier, talade om arbetsmiljöfrågor och myndigheternas samarbete",
        "d": "The EU ambassador Julien Guerrier signed two cooperation agreements",
    }
    before, now = _index(texts), _index(texts, langs={"a": "vi", "b": "vi", "c": "sv", "d": "en"})
    assert _scores(now, "arbetsmiljö", "sv") and not _scores(before, "arbetsmiljö", "sv")
    for q in ["Đại sứ EU Julien Guerrier là ai?", "Kim ngạch thương mại năm 2025", "Guerrier 2025"]:
        assert _scores(now, q, "vi") == _scores(before, q, "vi"), q


def test_a_swedish_question_finds_a_swedish_paragraph_by_an_inflected_form(corpus, settings_for):
    from assistant.app import build
    from tests.support.fakes import HashEmbedder

    (corpus / "sv_studier.txt").write_text(SWEDISH_DOC, encoding="utf-8")
    app = build(settings_for(corpus), embedder=HashEmbedder())
    app.sync()
    assert app.index.doc_meta["sv_studier.txt"].lang == "sv"
    for question in ("Vilka är myndigheterna?", "Vilka myndigheter finns?"):
        hits = app.ask(question, retrieval_mode="lexical").hits
        assert hits and hits[0].chunk.doc == "sv_studier.txt" and hits[0].chunk.text.startswith(TARGET), (
            question,
            hits[:2],
        )


# --- through the store: deletes, renames, an index of the previous version ------------------------


def test_a_deleted_or_rewritten_document_leaves_no_trace_in_lexical_results(corpus, settings_for):
    from assistant.app import build
    from tests.support.fakes import HashEmbedder

    (corpus / "kangaroo.txt").write_text(
        "Dự án kangaroo về lúa gạo tại Canberra trị giá 42 triệu đô la Úc.\n", encoding="utf-8"
    )
    (corpus / "wombat.txt").write_text("Dự án wombat về cà phê tại Đắk Lắk.\n", encoding="utf-8")
    app = build(settings_for(corpus), embedder=HashEmbedder())
    app.sync()

    def docs(q: str, **kw) -> list[str]:
        return [h.chunk.doc for h in app.ask(q, retrieval_mode="lexical", **kw).hits]

    assert docs("kangaroo Canberra")[0] == "kangaroo.txt" and docs("wombat Đắk Lắk")[0] == "wombat.txt"
    (corpus / "kangaroo.txt").unlink()
    (corpus / "wombat.txt").write_text("Dự án thú có túi về hồ tiêu tại Gia Lai.\n", encoding="utf-8")
    app.sync()
    for q in ("kangaroo Canberra", "wombat Đắk Lắk"):
        assert not any(
            "kangaroo" in h.chunk.text or "wombat" in h.chunk.text for h in app.ask(q, retrieval_mode="lexical").hits
        ), q
    assert docs("thú có túi hồ tiêu Gia Lai")[0] == "wombat.txt"
    assert (
        sorted(app.index.lexical_ids()) == sorted(app.index.chunk_ids())
        and app.index.lexical_problem(thorough=True) is None
    )


def test_a_renamed_document_is_found_under_its_new_name_by_a_filter(corpus, settings_for):
    from assistant.app import build
    from assistant.store import Filter
    from tests.support.fakes import HashEmbedder

    (corpus / "kangaroo.txt").write_text("Dự án kangaroo về lúa gạo tại Canberra.\n", encoding="utf-8")
    app = build(settings_for(corpus), embedder=HashEmbedder())
    app.sync()
    (corpus / "kangaroo.txt").rename(corpus / "canberra.txt")
    assert app.sync().renamed
    hits = app.ask("kangaroo Canberra", retrieval_mode="lexical", flt=Filter(docs=["canberra.txt"])).hits
    assert hits and {h.chunk.doc for h in hits} == {"canberra.txt"}
    assert not app.ask("kangaroo Canberra", retrieval_mode="lexical", flt=Filter(docs=["kangaroo.txt"])).hits


def _previous_version(index) -> None:
    """What the version before tantivy left on disk: lexical.npz, no lexical/ folder, the analysis alone recorded."""
    from assistant.text import analysis_id

    shutil.rmtree(index.dir / "lexical")
    with open(index.dir / "lexical.npz", "wb") as f:
        np.savez(
            f,
            data=np.zeros(3, np.float32),
            ids=np.array(["a", "b"]),
            generation=np.array(index.manifest_for_tests.get("generation")),
        )
    index.manifest_for_tests.set("lexical_analysis", analysis_id())


def test_an_index_of_the_previous_version_is_read_at_once_and_rebuilt_by_the_next_sync(corpus, settings_for, caplog):
    from assistant.app import build
    from tests.support.fakes import HashEmbedder

    (corpus / "sv_studier.txt").write_text(SWEDISH_DOC, encoding="utf-8")
    settings = settings_for(corpus)
    app = build(settings, embedder=HashEmbedder())
    app.sync()
    _previous_version(app.index)

    reader = build(settings, embedder=HashEmbedder())  # a reader only: it answers from a rebuild in memory, and says so
    with caplog.at_level(logging.WARNING, logger="assistant.lexical_store"):
        hits = reader.ask("Vilka är myndigheterna?", retrieval_mode="lexical").hits
    assert hits and hits[0].chunk.text.startswith(TARGET)
    assert "previous version (lexical.npz)" in caplog.text and "in memory" in caplog.text
    assert not (app.index.dir / "lexical").exists()  # a reader writes nothing

    logs: list[str] = []
    report = build(settings, embedder=HashEmbedder()).sync(
        log=logs.append
    )  # nothing changed in corpus/, yet the index is rebuilt
    assert not (report.added or report.updated or report.removed)
    assert logs == [
        "lexical index rebuilt (the lexical index was built by a previous version (lexical.npz) and is rebuilt as a tantivy index (lexical/))"
    ]
    assert (
        not (app.index.dir / "lexical.npz").exists()
        and app.index.manifest_for_tests.get("lexical_analysis") == identity()
    )
    assert sorted(LexicalIndex.open(app.index.dir / "lexical").ids()) == sorted(app.index.chunk_ids())
    again = build(settings, embedder=HashEmbedder())
    assert again.ask("Vilka är myndigheterna?", retrieval_mode="lexical").hits[0].chunk.text.startswith(TARGET)
    assert build(settings, embedder=HashEmbedder()).index.lexical_problem(thorough=True) is None


def test_doctor_reports_and_repairs_an_index_of_the_previous_version(corpus, settings_for):
    from assistant.app import build
    from assistant.doctor import run
    from tests.support.fakes import HashEmbedder

    settings = settings_for(corpus)
    app = build(settings, embedder=HashEmbedder())
    app.sync()
    _previous_version(app.index)
    model = HashEmbedder().model_id
    report = run(build(settings, embedder=HashEmbedder()), fix=True, model_id=model)
    assert [f.check for f in report.findings] == ["lexical"] and "previous version" in report.findings[0].detail
    assert not report.remaining and "rebuilt" in report.findings[0].fix
    assert not run(build(settings, embedder=HashEmbedder()), fix=False, model_id=model).findings


def test_many_replaced_chunks_trigger_a_rebuild_at_commit(corpus, settings_for):
    """Past COMPACT_AT dead chunks, Index.commit rebuilds: the statistics hold only live chunks again."""
    from assistant.app import build
    from tests.support.fakes import HashEmbedder

    app = build(settings_for(corpus), embedder=HashEmbedder())
    app.sync()
    first = sorted(corpus.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nMột đoạn mới về hợp tác.\n", encoding="utf-8")
    app.sync()  # one document of five rewritten: well past 10% of the chunks
    lex = LexicalIndex.open(app.index.dir / "lexical")
    assert lex.dead() == 0 and sorted(lex.ids()) == sorted(app.index.chunk_ids())


def test_language_terms_score_with_the_shared_length_as_before():
    """Stems and 4-grams live in their own field, normalised by the chunk's shared length (the padding),
    averaged over every chunk: a Swedish stem scores as textbook BM25 with that length, in a mixed corpus."""
    texts = {
        **SHORT,
        "s": "Nu prövar myndigheten varje ansökan och svar på den kommer med post",
        "t": "Vi har fått ett nytt beslut från myndigheten i dag och vi ska läsa det",
    }  # fewer own terms than shared
    langs = {"s": "sv", "t": "sv"}
    lex = _index(texts, langs=langs)
    analysed = {k: lexical_terms(v, langs.get(k, "")) for k, v in texts.items()}
    shared = {k: [t for t in v if not is_language_term(t)] for k, v in analysed.items()}
    assert all(len(v) - len(shared[k]) < len(shared[k]) for k, v in analysed.items())
    avgdl = sum(map(len, shared.values())) / len(texts)
    for q in ["myndigheterna", "beslut"]:
        want: dict[str, float] = {}
        for t in set(lexical_terms(q, "sv")):
            df = sum(t in v for v in analysed.values())
            for k, v in analysed.items():
                if t in v:
                    tf, dl = v.count(t), len(shared[k])
                    idf = math.log(1 + (len(texts) - df + 0.5) / (df + 0.5))
                    want[k] = want.get(k, 0.0) + idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * dl / avgdl))
        assert _scores(lex, q, "sv") == pytest.approx(want, rel=1e-5), q
