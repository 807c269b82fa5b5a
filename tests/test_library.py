"""Library services behind the page: safe upload names, size/type checks, no overwrite, delete + sync."""

from __future__ import annotations

import pytest

from assistant.errors import AssistantError
from assistant.library import (
    UploadRejected,
    add_uploads,
    candidate_names,
    check_upload,
    delete_document,
    document_path,
    sanitize_filename,
    save_upload,
)


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("báo cáo hợp tác Việt Nam.pdf", "báo cáo hợp tác Việt Nam.pdf"),
        ("Đại sứ – EU.docx", "Đại sứ – EU.docx"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\win.ini.txt", "win.ini.txt"),
        ("/abs/path/notes.md", "notes.md"),
        ("--rm -rf.txt", "rm -rf.txt"),
        ("...hidden.txt", "hidden.txt"),
        (".bashrc", "bashrc"),
        ("a\x00b\x1fc\u200b.txt", "abc.txt"),
        ("line\nbreak\r.txt", "linebreak.txt"),
        ("x..txt", "x.txt"),
        ('what<>:"|?*.html', "what_______.html"),
        ("~$draft.docx", "$draft.docx"),
        ("CON.txt", "CON_.txt"),
        ("  spaced   name .txt ", "spaced name.txt"),
        ("n\u0303am.txt", "ñam.txt"),  # NFD in, NFC out
        ("..", ""),
        ("///", ""),
        ("", ""),
    ],
)
def test_sanitize_filename(raw, safe):
    assert sanitize_filename(raw) == safe


def test_sanitized_names_never_leave_the_folder():
    for raw in ["../x.txt", "a/../../b.txt", "\\\\server\\share\\c.txt", "C:\\x\\d.txt", "....//e.txt", "-", ". ."]:
        name = sanitize_filename(raw)
        assert "/" not in name and "\\" not in name and ".." not in name and not name.startswith((".", "-"))


def test_long_names_keep_their_suffix():
    name = sanitize_filename("a" * 500 + ".pdf")
    assert name.endswith(".pdf") and len(name) <= 130


def test_check_upload_refuses_unsupported_types_and_big_files():
    assert check_upload("tài liệu.PDF", 10, 1) == "tài liệu.PDF"
    with pytest.raises(UploadRejected, match=r"unsupported file type \.exe.*\.pdf"):
        check_upload("setup.exe", 10, 1)
    with pytest.raises(UploadRejected, match=r"unsupported file type \(none\)"):
        check_upload("README", 10, 1)
    with pytest.raises(UploadRejected, match=r"2\.0 MB is over the upload limit of 1 MB.*UPLOAD_MAX_MB"):
        check_upload("big.txt", 2 * 1024 * 1024, 1)
    with pytest.raises(UploadRejected, match="empty"):
        check_upload("empty.txt", 0, 1)
    with pytest.raises(UploadRejected, match="no usable characters"):
        check_upload("../..", 10, 1)


def test_candidate_names_add_a_numeric_suffix():
    it = candidate_names("báo cáo.pdf")
    assert [next(it) for _ in range(3)] == ["báo cáo.pdf", "báo cáo-2.pdf", "báo cáo-3.pdf"]


def test_save_upload_never_overwrites_and_stays_in_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("old", encoding="utf-8")
    src = tmp_path / "upload"
    src.write_text("new text", encoding="utf-8")
    first = save_upload(src, "../../note.txt", corpus, 1)
    second = save_upload(src, "note.txt", corpus, 1)
    assert (first.name, second.name) == ("note-2.txt", "note-3.txt")
    assert (corpus / "note.txt").read_text(encoding="utf-8") == "old"
    assert first.parent == corpus.resolve() and first.read_text(encoding="utf-8") == "new text"
    assert not list(corpus.glob(".upload-*")), "the temporary .part copy is removed"
    assert not (tmp_path / "note.txt").exists()


def test_save_upload_does_not_follow_a_symlink_in_the_way(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    outside = tmp_path / "outside.txt"
    outside.write_text("precious", encoding="utf-8")
    (corpus / "doc.txt").symlink_to(outside)
    src = tmp_path / "upload"
    src.write_text("new", encoding="utf-8")
    saved = save_upload(src, "doc.txt", corpus, 1)
    assert saved.name == "doc-2.txt" and outside.read_text(encoding="utf-8") == "precious"


def test_document_path_refuses_names_outside_corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    assert document_path(corpus, "sub/a.txt") == corpus.resolve() / "sub" / "a.txt"
    for bad in ["../x.txt", "/etc/passwd", "", "a/../../x.txt"]:
        with pytest.raises(AssistantError):
            document_path(corpus, bad)


def test_upload_is_saved_indexed_and_bad_files_are_reported(fake_app, tmp_path):
    fake_app.sync()
    good = tmp_path / "in" / "ignored-dir-name.txt"
    good.parent.mkdir()
    good.write_text("Dự án thí điểm hợp tác Mekong bắt đầu năm 2026 tại Cần Thơ.\n\nĐoạn thứ hai.", encoding="utf-8")
    bad = tmp_path / "in" / "virus.exe"
    bad.write_bytes(b"MZ")
    progress = []
    res = add_uploads(
        fake_app, [(good, "../Mekong – Cần Thơ.txt"), (bad, "virus.exe")], progress=lambda d, t: progress.append((d, t))
    )
    assert res.saved == ["Mekong – Cần Thơ.txt"]
    assert res.rejected and "unsupported file type .exe" in res.rejected[0].reason
    assert res.report is not None and res.report.added == ["Mekong – Cần Thơ.txt"]
    assert progress and progress[-1][0] == progress[-1][1]
    names = {r.name for r in fake_app.documents()}
    assert "Mekong – Cần Thơ.txt" in names and not (fake_app.settings.corpus_dir / "virus.exe").exists()


def test_nothing_saved_means_no_sync(fake_app, tmp_path):
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"PK")
    res = add_uploads(fake_app, [(bad, "x.zip")])
    assert res.saved == [] and res.report is None


def test_delete_removes_file_and_index_entry(fake_app):
    fake_app.sync()
    name = sorted(r.name for r in fake_app.documents())[0]
    report = delete_document(fake_app, name)
    assert report.removed == [name]
    assert not (fake_app.settings.corpus_dir / name).exists()
    assert name not in {r.name for r in fake_app.documents()}
    with pytest.raises(AssistantError, match="not in the library"):
        delete_document(fake_app, name)


def test_delete_refuses_traversal(fake_app, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    with pytest.raises(AssistantError):
        delete_document(fake_app, "../victim.txt")
    assert victim.exists()
