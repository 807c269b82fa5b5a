"""Integration: real Chroma + SQLite + lexical index on tmp_path, fake embedder."""

from __future__ import annotations

import os
import re
import shutil
import time

import pytest

from assistant.store import Filter
from assistant.types import Renamed


def test_first_ingest_indexes_all_seeds_with_exact_anchors(fake_app):
    r = fake_app.sync()
    assert sorted(r.added) == sorted(p.name for p in fake_app.settings.corpus_dir.iterdir())
    assert r.skipped == [] and r.chunks >= r.paragraphs > 50
    idx = fake_app.index
    for d in idx.documents():
        text = idx.document_text(d.path)
        raw = (fake_app.settings.corpus_dir / d.path).read_text(encoding="utf-8")
        for p in idx.paragraphs(d.path):
            assert text[p.start : p.end] == p.text and p.text in raw
    chroma_ids = set(fake_app.index.vector_ids())
    assert chroma_ids == idx.chunk_ids()
    assert set(fake_app.index.lexical_ids()) == chroma_ids


def test_second_ingest_changes_nothing(fake_app):
    fake_app.sync()
    r = fake_app.sync()
    assert not r.changed and r.unchanged == 5 and r.skipped == []


def test_touch_without_change_does_not_reembed(fake_app):
    fake_app.sync()
    f = next(fake_app.settings.corpus_dir.iterdir())
    os.utime(f, None)
    r = fake_app.sync()
    assert not r.changed and r.unchanged == 5


def test_changed_file_replaces_only_its_chunks(fake_app):
    fake_app.sync()
    corpus = fake_app.settings.corpus_dir
    f = corpus / "002_ac641c82a5bb9970.txt"
    others_before = {c for c in fake_app.index.chunk_ids() if not c.startswith(fake_app.index.documents()[2].hash[:20])}
    time.sleep(0.01)
    f.write_text(f.read_text(encoding="utf-8") + "\n\nĐoạn mới về hợp tác Việt Nam - Phần Lan.\n", encoding="utf-8")
    r = fake_app.sync()
    assert r.updated == [f.name] and r.added == [] and r.unchanged == 4
    assert others_before <= fake_app.index.chunk_ids()
    hits = fake_app.ask("hợp tác Việt Nam - Phần Lan", retrieval_mode="lexical").hits
    assert hits[0].chunk.doc == f.name
    assert set(fake_app.index.vector_ids()) == fake_app.index.chunk_ids()


def test_deleted_file_is_purged(fake_app):
    fake_app.sync()
    victim = fake_app.settings.corpus_dir / "004_03e94a76b2f901da.txt"
    victim.unlink()
    r = fake_app.sync()
    assert r.removed == [victim.name]
    ids = fake_app.index.chunk_ids()
    assert set(fake_app.index.vector_ids()) == ids
    assert all(c.doc != victim.name for c in fake_app.index.all_chunks())
    assert set(fake_app.index.lexical_ids()) == ids


def test_renamed_file_is_moved_not_reembedded(fake_app, monkeypatch):
    fake_app.sync()
    corpus = fake_app.settings.corpus_dir
    (corpus / "001_42eb7389f324bfd9.txt").rename(corpus / "eu-digital.txt")
    calls = []
    orig = fake_app.embedder.embed_passages
    monkeypatch.setattr(fake_app.embedder, "embed_passages", lambda t: calls.append(len(t)) or orig(t))
    idx = fake_app.index
    before = {d.path: d.n_chunks for d in idx.documents()}["001_42eb7389f324bfd9.txt"]
    ids_before = set(idx.doc_chunk_ids("001_42eb7389f324bfd9.txt"))
    r = fake_app.sync()
    assert r.renamed == [Renamed("001_42eb7389f324bfd9.txt", "eu-digital.txt")]
    assert r.to_json()["renamed"] == [{"from": "001_42eb7389f324bfd9.txt", "to": "eu-digital.txt"}]  # the --json shape
    assert calls == []
    docs = {d.path: d.n_chunks for d in idx.documents()}
    assert "001_42eb7389f324bfd9.txt" not in docs and docs["eu-digital.txt"] == before > 0
    got = fake_app.index.collection.get(where={"doc": "eu-digital.txt"}, include=["metadatas"])
    assert set(got["ids"]) == ids_before == set(idx.doc_chunk_ids("eu-digital.txt"))  # every vector moved, none re-made
    assert fake_app.index.collection.get(where={"doc": "001_42eb7389f324bfd9.txt"}, include=[])["ids"] == []
    assert fake_app.ask("D4D Hub", retrieval_mode="lexical").hits[0].chunk.doc == "eu-digital.txt"
    assert fake_app.ask("D4D Hub", retrieval_mode="dense").hits[0].chunk.doc == "eu-digital.txt"


def test_duplicate_content_is_skipped_with_reason(fake_app):
    corpus = fake_app.settings.corpus_dir
    shutil.copy(corpus / "000_b0dddf86d6f85ffe.txt", corpus / "copy.txt")
    r = fake_app.sync()
    assert [s.file for s in r.skipped] == ["copy.txt"]
    assert "same content as 000_b0dddf86d6f85ffe.txt" in r.skipped[0].reason
    assert r.to_json()["skipped"] == [{"file": "copy.txt", "reason": r.skipped[0].reason}]  # the --json shape


def test_bad_files_are_skipped_and_the_rest_indexes(fake_app):
    corpus = fake_app.settings.corpus_dir
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 garbage")
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "image.png").write_bytes(b"\x89PNG\r\n")
    (corpus / ".hidden.txt").write_text("x")
    r = fake_app.sync()
    skipped = {s.file: s.reason for s in r.skipped}
    assert set(skipped) == {"broken.pdf", "empty.txt", "image.png"}
    assert "empty" in skipped["empty.txt"] and "unsupported" in skipped["image.png"]
    assert len(r.added) == 5
    r2 = fake_app.sync()
    assert not r2.changed and {s.file for s in r2.skipped} == set(skipped)


DATED = {
    "000_b0dddf86d6f85ffe.txt": "2025-10-29",
    "002_ac641c82a5bb9970.txt": "2025-10-21",
    "004_03e94a76b2f901da.txt": "2025-10-27",
}
UNDATED = {"001_42eb7389f324bfd9.txt", "003_a6de01ab2ae2bfda.txt"}


def test_filters_restrict_retrieval(fake_app):
    fake_app.sync()
    assert {d: m.date for d, m in fake_app.index.doc_meta.items() if m.date} == DATED
    assert {d for d, m in fake_app.index.doc_meta.items() if not m.date} == UNDATED
    sv = fake_app.ask("Julien Guerrier", flt=Filter(lang="sv"), retrieval_mode="lexical").hits
    assert sv and all(h.chunk.doc == "004_03e94a76b2f901da.txt" for h in sv)
    one = fake_app.ask("Julien Guerrier", flt=Filter(docs=["001_42eb7389f324bfd9.txt"])).hits
    assert one and all(h.chunk.doc == "001_42eb7389f324bfd9.txt" for h in one)
    for mode in ("hybrid", "dense", "lexical"):
        dated = fake_app.ask(
            "Việt Nam EU hợp tác",
            flt=Filter(date_from="2025-10-28", date_to="2025-10-31"),
            retrieval_mode=mode,
            top_k=20,
        ).hits
        assert dated and {h.chunk.doc for h in dated} == {"000_b0dddf86d6f85ffe.txt"}, (
            mode
        )  # 10-27 and 10-21 are outside


@pytest.mark.parametrize(
    ("date_from", "date_to", "allowed"),
    [
        ("2025-10-27", "2025-10-27", {"004_03e94a76b2f901da.txt"}),  # both bounds inclusive: a one-day range
        ("2025-10-29", "", {"000_b0dddf86d6f85ffe.txt"}),  # the start day itself is in
        ("", "2025-10-21", {"002_ac641c82a5bb9970.txt"}),  # the end day itself is in
        ("2025-10-21", "2025-10-28", {"002_ac641c82a5bb9970.txt", "004_03e94a76b2f901da.txt"}),
        ("2025-10-22", "2025-10-26", set()),  # between two documents' dates: nothing
        ("", "2099-12-31", set(DATED)),  # any date filter leaves out the undated documents
    ],
)
def test_date_filter_bounds_are_inclusive_and_undated_documents_are_left_out(fake_app, date_from, date_to, allowed):
    fake_app.sync()
    flt = Filter(date_from=date_from, date_to=date_to)
    assert fake_app.index.allowed_docs(flt) == allowed
    for mode in ("hybrid", "dense", "lexical"):
        hits = fake_app.ask("Việt Nam EU hợp tác chuyển đổi số", flt=flt, retrieval_mode=mode, top_k=40).hits
        assert {h.chunk.doc for h in hits} <= allowed, mode
        assert bool(hits) == bool(allowed), mode


@pytest.mark.parametrize(
    "flt",
    [
        Filter(date_from="2030-01-01"),
        Filter(docs=["not-indexed.txt"]),
        Filter(lang="fr"),
        Filter(lang="sv", docs=["000_b0dddf86d6f85ffe.txt"]),
    ],
    ids=["future-date", "unknown-doc", "unknown-lang", "lang-and-doc-disagree"],
)
def test_a_filter_that_matches_nothing_refuses_without_citations(fake_app, flt):
    fake_app.sync()
    for mode in ("hybrid", "dense", "lexical"):
        a = fake_app.ask("Đại sứ EU tại Việt Nam là ai?", flt=flt, retrieval_mode=mode, min_score=0.0)
        assert a.hits == [] and not a.answered and a.citations == [], mode
        assert (
            "[1]" not in a.answer
            and a.answer == fake_app.ask("Đại sứ EU tại Việt Nam là ai?", flt=flt, retrieval_mode=mode).answer
        )


def _collections(settings) -> set[str]:
    from assistant.vectors import _client

    return {c.name if hasattr(c, "name") else c for c in _client(settings, settings.index_dir).list_collections()}


def test_model_change_reembeds_everything_and_drops_the_old_vectors(corpus, settings_for):
    from assistant.app import build
    from tests.support.fakes import HashEmbedder

    s = settings_for(corpus)
    first = build(s, embedder=HashEmbedder())
    first.sync()
    old_collection = first.index.collection.name
    assert old_collection in _collections(s)
    other = HashEmbedder(dim=128)
    other.model_id = "fake-hash-128"
    r = build(s, embedder=other).sync()
    assert sorted(r.added) == sorted(p.name for p in corpus.iterdir()) and r.unchanged == 0
    app = build(s, embedder=other)
    assert app.index.built_model() == "fake-hash-128"
    new_collection = app.index.collection.name
    assert new_collection != old_collection
    assert _collections(s) == {new_collection}  # the old model's vectors are gone from disk, not just unused
    assert len(app.index.vector_ids()) == r.chunks == len(app.index.chunk_ids())
    got = app.index.collection.get(limit=1, include=["embeddings"])
    assert len(got["embeddings"][0]) == 128
    assert app.ask("D4D Hub", retrieval_mode="dense").hits[0].chunk.doc == "001_42eb7389f324bfd9.txt"


def test_reset_for_model_forgets_documents_vectors_and_lexical_rows(corpus, settings_for):
    from assistant.app import build
    from assistant.store import Index
    from tests.support.fakes import HashEmbedder

    s = settings_for(corpus)
    app = build(s, embedder=HashEmbedder())
    app.sync()
    ident = app.index.index_id
    old_collection = app.index.collection.name
    idx = Index(s, "fake-other")
    assert idx.model_changed() and not Index(s, "fake-hash-256").model_changed()
    idx.reset_for_model()
    assert not idx.model_changed() and idx.built_model() == "fake-other"
    assert idx.documents() == [] and idx.chunk_ids() == set()
    assert not idx.interrupted() and idx.index_id == ident
    assert old_collection not in _collections(s)
    idx.refresh()
    assert len(idx.lexical_ids()) == 0 and len(idx.chunks) == 0


def _state(app):
    idx = app.index
    return (
        sorted((d.path, d.hash, d.n_chunks) for d in idx.documents()),
        sorted(idx.chunk_ids()),
        sorted(app.index.vector_ids()),
        sorted(app.index.lexical_ids()),
    )


def test_crash_mid_ingest_converges_to_clean_state(corpus, settings_for, tmp_path, monkeypatch):
    from assistant.app import build
    from assistant.manifest import Manifest
    from tests.support.fakes import HashEmbedder

    clean = build(settings_for(corpus).model_copy(update={"index_dir": tmp_path / "clean"}), embedder=HashEmbedder())
    clean.sync()
    want = _state(clean)

    app = build(settings_for(corpus), embedder=HashEmbedder())
    real_put = Manifest.put_document
    calls = {"n": 0}

    def crashing_put(self, *a, **kw):
        calls["n"] += 1
        if calls["n"] == 3:  # vectors of the 3rd document are in Chroma, its manifest row is not
            raise KeyboardInterrupt("simulated kill")
        return real_put(self, *a, **kw)

    monkeypatch.setattr(Manifest, "put_document", crashing_put)
    try:
        app.sync()
    except KeyboardInterrupt:
        pass
    monkeypatch.setattr(Manifest, "put_document", real_put)
    again = build(settings_for(corpus), embedder=HashEmbedder())
    r = again.sync()
    assert len(r.added) == 3
    got = _state(again)
    assert got[0] == want[0] and got[1] == got[2] == got[3] and len(got[1]) == len(want[1])


def test_second_writer_waits_or_reports_busy(fake_app, tmp_path):
    import pytest

    from assistant.errors import IndexBusy
    from assistant.lock import IndexLock

    fake_app.settings.index_dir.mkdir(parents=True, exist_ok=True)
    with IndexLock(fake_app.settings.index_dir, 0):
        quick = fake_app.settings.model_copy(update={"lock_timeout_s": 0.3})
        from assistant.app import build
        from tests.support.fakes import HashEmbedder

        with pytest.raises(IndexBusy, match="another ingest is running"):
            build(quick, embedder=HashEmbedder()).sync()


def test_the_ingest_command_reports_each_file_in_plain_words(corpus, tmp_path, monkeypatch):
    """`assistant ingest` (and watch, serve, the Library tab: SyncReport.lines) name every file and why one was skipped."""
    from click.testing import CliRunner

    import assistant.cli as cli
    from assistant.app import build
    from assistant.settings import Settings
    from tests.support.fakes import HashEmbedder

    (corpus / "notes.xyz").write_text("x", encoding="utf-8")
    app = build(Settings(corpus_dir=corpus, index_dir=tmp_path / "index"), embedder=HashEmbedder())
    monkeypatch.setattr(cli, "_app", lambda settings: app)
    first = CliRunner().invoke(cli.main, ["ingest"])
    assert first.exit_code == 0, first.output
    for f in sorted(corpus.glob("*.txt")):
        assert f"indexed {f.name}\n" in first.output
    assert "skipped notes.xyz: unsupported file type .xyz" in first.output
    assert "0 unchanged; the index holds" in first.output
    (corpus / sorted(corpus.glob("*.txt"))[0].name).unlink()
    again = CliRunner().invoke(cli.main, ["ingest"])
    assert "removed" in again.output and "from the index" in again.output and "4 unchanged" in again.output
    quiet = CliRunner().invoke(cli.main, ["ingest"])
    assert "nothing changed; 4 unchanged" in quiet.output


@pytest.mark.parametrize("race", ["table collections already exists", "Database error: (code: 5) database is locked"])
def test_a_store_created_by_another_process_at_the_same_instant_is_retried(tmp_path, monkeypatch, race):
    """Chroma's schema set-up races when two processes create a new embedded store at once; the loser retries."""
    import assistant.vectors as store
    from assistant.settings import Settings

    real = store._client
    calls = {"n": 0}

    class Racing:
        def get_or_create_collection(self, *a, **k):
            raise RuntimeError(f"error returned from database: {race}")

    def client(settings, index_dir):
        calls["n"] += 1
        return Racing() if calls["n"] < 3 else real(settings, index_dir)

    monkeypatch.setattr(store, "_client", client)
    settings = Settings(index_dir=tmp_path / "index", corpus_dir=tmp_path)
    assert store._open_collection(settings, tmp_path / "index", "chunks_x").count() == 0 and calls["n"] == 3

    monkeypatch.setattr(store, "_client", lambda settings, index_dir: Racing())
    with pytest.raises(RuntimeError, match=re.escape(race)):  # a store that keeps failing is not hidden
        store._open_collection(settings, tmp_path / "index", "chunks_x", attempts=2)


def test_the_reader_view_reads_chunk_texts_on_demand_exactly_as_indexed(fake_app, corpus):
    """Index.chunks holds ids and documents only; a chunk's text comes from the manifest when asked for."""
    fake_app.sync()
    index = fake_app.index
    index.refresh()
    every = {c.id: c for c in index.all_chunks()}
    assert set(index.chunks) == set(every) and len(index.chunks) == len(every)
    for cid, chunk in every.items():  # Vietnamese text: SQLite's substr must count characters as Python does
        assert index.chunks[cid] == chunk and index.chunks.doc_of(cid) == chunk.doc
    gone = next(cid for cid, c in every.items() if c.doc == sorted(p.name for p in corpus.glob("*.txt"))[0])
    (corpus / every[gone].doc).unlink()
    view = index.chunks
    fake_app.sync()
    assert view.get(gone) is None or view.get(gone) == every[gone]  # an old view: cached or absent, never wrong
    assert index.chunks.get(gone) is None and gone not in index.chunks


def _view(index) -> tuple[dict, dict, set, dict]:
    """What a reader's view holds: chunk id -> document, document -> metadata, chunk texts and document
    texts as read."""
    return (
        {cid: index.chunks.doc_of(cid) for cid in index.chunks},
        dict(index.doc_meta),
        {(cid, index.chunks[cid].text) for cid in index.chunks},
        {d: index.document_text(d) for d in index.doc_meta},
    )


def test_after_a_sync_the_view_reloads_only_the_changed_documents_and_equals_a_full_reload(
    fake_app, corpus, settings_for, monkeypatch
):
    """App.sync hands the reader what its commit changed (Index.last_change): the view then re-reads only
    those documents. After an edit, an added file, a rename and a delete it is what a fresh reader loads,
    and it reads no whole chunk table to get there."""
    from assistant.app import build
    from tests.support.fakes import HashEmbedder

    fake_app.sync()
    index = fake_app.index
    fake_app.ask("Ai là đại sứ EU tại Việt Nam?")  # the view is loaded
    _view(index)  # and holds every chunk and document text in its caches
    first, second, third = sorted(p.name for p in corpus.glob("*.txt"))[:3]
    steps = [
        lambda: (corpus / first).write_text((corpus / first).read_text(encoding="utf-8") + "\n\nMột đoạn mới được thêm.\n", encoding="utf-8"),
        lambda: (corpus / "new.txt").write_text("Tiêu đề mới\n\nMột tài liệu mới về hợp tác với Nhật Bản.\n", encoding="utf-8"),
        lambda: (corpus / second).rename(corpus / "renamed.txt"),
        lambda: (corpus / third).unlink(),
    ]  # fmt: skip
    full_reads = []
    real = index._manifest.chunk_docs
    monkeypatch.setattr(index._manifest, "chunk_docs", lambda docs=None: full_reads.append(docs) or real(docs))
    for step in steps:
        step()
        fake_app.sync()
        fresh = build(settings_for(corpus), embedder=HashEmbedder()).index
        fresh.refresh()
        assert _view(index) == _view(fresh)
        assert index.view_generation == fresh.view_generation
    assert full_reads and None not in full_reads  # every reload read only the changed documents' chunks
    assert "renamed.txt" in index.doc_meta and second not in index.doc_meta and third not in index.doc_meta


def test_a_view_another_writer_moved_past_is_reloaded_whole(fake_app, corpus, settings_for):
    """The reader reloads only the changed documents when its view is at the generation the commit started
    from; when another writer published in between, it reads everything again."""
    from assistant.app import build
    from tests.support.fakes import HashEmbedder

    fake_app.sync()
    index = fake_app.index
    index.refresh()
    name = sorted(p.name for p in corpus.glob("*.txt"))[0]
    (corpus / name).write_text("Tiêu đề\n\nNội dung khác hẳn của tệp đầu tiên.\n", encoding="utf-8")
    other = build(settings_for(corpus), embedder=HashEmbedder())
    other.sync()  # another writer's commit: the reader's view is one generation behind it
    (corpus / "late.txt").write_text("Tiêu đề\n\nMột tệp đến sau.\n", encoding="utf-8")
    writer = fake_app._writer or fake_app.index
    fake_app.sync()
    assert writer.last_change is not None and writer.last_change.docs == {"late.txt"}
    fresh = build(settings_for(corpus), embedder=HashEmbedder()).index
    fresh.refresh()
    assert _view(index) == _view(fresh)  # the first file's new text too, which the last commit did not touch


def test_an_index_gets_one_identity_whoever_opens_it_first(tmp_path):
    """The index id (its collection name on a shared Chroma server) is written once, with the manifest."""
    from assistant.manifest import Manifest

    first, second = Manifest(tmp_path / "manifest.sqlite"), Manifest(tmp_path / "manifest.sqlite")
    ident = first.get("index_id")
    assert len(ident) == 32 and second.get("index_id") == ident
    first.reset()  # forgetting the documents (a model change) keeps the identity
    assert Manifest(tmp_path / "manifest.sqlite").get("index_id") == ident
    assert Manifest(tmp_path / "other.sqlite").get("index_id") != ident


def test_index_gives_a_documents_text_and_paragraphs_without_reaching_into_its_manifest(fake_app):
    """Answers, citations, metadata and the page read documents through Index (issue 12: one closed
    store interface); what it gives is what was indexed, and nothing for a document it does not hold."""
    fake_app.sync()
    index = fake_app.index
    doc = next(iter(index.doc_meta))
    text, paras = index.document_text(doc), index.paragraphs(doc)
    assert text and paras and [p.n for p in paras] == sorted(p.n for p in paras)
    assert all(text[p.start : p.end] == p.text for p in paras)
    assert index.document_text("not-there.txt") is None and index.paragraphs("not-there.txt") == []


def test_questions_read_a_document_text_once_per_generation_and_an_edit_is_seen(fake_app, corpus, monkeypatch):
    """Every question reads the whole text of the documents it quotes (entity checks, citation checks):
    from the loaded view's memory after the first read (under 20 users it was ~9% of the page's CPU in
    SQLite), and a sync that changes the document gives the next view the new text."""
    fake_app.sync()
    idx = fake_app.index
    idx.refresh()
    doc = idx.documents()[0].path
    manifest = idx.manifest_for_tests
    reads: list[str] = []
    read = manifest.document_text
    monkeypatch.setattr(manifest, "document_text", lambda p: reads.append(p) or read(p))
    before = idx.document_text(doc)
    assert before and idx.document_text(doc) == before and reads == [doc]
    assert idx.document_text("no-such-document.txt") is None

    (corpus / doc).write_text(before + "\n\nMột đoạn mới được thêm vào sau cùng.\n", encoding="utf-8")
    fake_app.sync()
    idx.refresh()
    assert idx.document_text(doc).endswith("Một đoạn mới được thêm vào sau cùng.\n")


def test_scan_reads_each_files_extension_as_pathlib_does():
    """scan() works on plain strings (pathlib's objects were most of a no-op resync at 10,000 files):
    its extension is pathlib's, so a file is accepted or refused with the same reason as before."""
    from pathlib import PurePosixPath

    from assistant.ingest import _suffix

    for name in ("a.txt", "A.PDF", "notes.", ".bashrc", "archive.tar.gz", "noext", "..", "x..md", "rapport 2025.docx"):
        assert _suffix(name) == PurePosixPath(name).suffix, name


def test_scan_finds_files_in_subfolders_by_their_relative_path_and_skips_unsupported_ones(tmp_path):
    from assistant.ingest import scan

    (tmp_path / "eu" / "2025").mkdir(parents=True)
    (tmp_path / "eu" / "2025" / "mou.txt").write_text("x", encoding="utf-8")
    (tmp_path / "top.md").write_text("x", encoding="utf-8")
    (tmp_path / "eu" / "photo.xyz").write_text("x", encoding="utf-8")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "secret.txt").write_text("x", encoding="utf-8")
    found, skipped = scan(tmp_path)
    assert sorted(found) == ["eu/2025/mou.txt", "top.md"]
    assert [s.file for s in skipped] == ["eu/photo.xyz"] and ".xyz" in skipped[0].reason
