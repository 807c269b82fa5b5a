"""ASSISTANT_EMBED_BACKEND=onnx / onnx-fp32: the same model exported once to ONNX Runtime (int8 or float32), run without torch."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import assistant.embeddings as emb
from assistant.errors import ModelUnavailable
from tests.support import ROOT

QUESTIONS = [
    "Đại sứ Liên minh châu Âu tại Việt Nam là ai?",
    "Việt Nam và Nhật Bản hợp tác trong lĩnh vực nào?",
    "Who is the EU ambassador to Vietnam?",
    "Vilka länder samarbetar med Vietnam?",
]


def _seed_paragraphs(n: int = 40) -> list[str]:
    paras = []
    for f in sorted((ROOT / "corpus").glob("*.txt")):
        paras += [p.strip() for p in f.read_text(encoding="utf-8").split("\n\n") if len(p.split()) >= 8]
    return paras[:n]


@pytest.fixture(scope="module")
def onnx_embedder():
    from assistant.settings import Settings

    return emb.load_embedder(Settings(embed_backend="onnx"))  # exports once into the model cache


@pytest.mark.model
def test_onnx_vectors_agree_with_torch(torch_embedder, onnx_embedder):
    assert onnx_embedder.model_id == torch_embedder.model_id + " [onnx int8]"  # never mixed in one index
    paras = _seed_paragraphs()
    for torch_vecs, onnx_vecs in (
        (torch_embedder.embed_passages(paras), onnx_embedder.embed_passages(paras)),
        (torch_embedder.embed_queries(QUESTIONS), onnx_embedder.embed_queries(QUESTIONS)),
    ):
        assert torch_vecs.shape == onnx_vecs.shape
        cos = (torch_vecs * onnx_vecs).sum(1) / np.linalg.norm(torch_vecs, axis=1) / np.linalg.norm(onnx_vecs, axis=1)
        assert cos.mean() >= 0.99 and cos.min() >= 0.97, (cos.mean(), cos.min())
    # each question's best paragraph under torch is among ONNX's best three, at most 0.01 below its best
    t = torch_embedder.embed_queries(QUESTIONS) @ torch_embedder.embed_passages(paras).T
    o = onnx_embedder.embed_queries(QUESTIONS) @ onnx_embedder.embed_passages(paras).T
    for q, best in enumerate(t.argmax(1)):
        assert best in np.argsort(-o[q])[:3] and o[q].max() - o[q, best] <= 0.01, (
            QUESTIONS[q],
            best,
            np.argsort(-o[q])[:3],
        )


@pytest.mark.model
def test_the_default_backend_onnx_fp32_gives_torchs_vectors(torch_embedder, real_embedder):
    """ASSISTANT_EMBED_BACKEND=onnx-fp32 (the default): the export unquantized, in its own file beside the int8 one."""
    fp32 = real_embedder
    assert (
        fp32.model_id == torch_embedder.model_id
    )  # the same vectors: the same id, an index built by either serves both
    assert (fp32.dim, fp32.max_tokens) == (torch_embedder.dim, torch_embedder.max_tokens)
    assert fp32._model._path.name == "model.onnx"
    paras = _seed_paragraphs()
    for torch_vecs, onnx_vecs in (
        (torch_embedder.embed_passages(paras), fp32.embed_passages(paras)),
        (torch_embedder.embed_queries(QUESTIONS), fp32.embed_queries(QUESTIONS)),
    ):
        assert np.abs(torch_vecs - onnx_vecs).max() < 1e-5  # measured 1.3e-7 (int8: cosine 0.996)


@pytest.mark.model
@pytest.mark.parametrize("backend", ["onnx", "onnx-fp32"])
def test_onnx_backend_answers_without_importing_torch(onnx_embedder, real_embedder, tmp_path, backend):
    """A process on an ONNX backend (the model already exported) never imports torch: that is its cold start."""
    script = (
        "import json, sys\n"
        "from assistant.embeddings import load_embedder\n"
        "from assistant.settings import Settings\n"
        f"e = load_embedder(Settings(embed_backend='{backend}'))\n"
        "v = e.embed_queries(['Đại sứ Liên minh châu Âu là ai?'])\n"
        "print(json.dumps({'torch': 'torch' in sys.modules, 'st': 'sentence_transformers' in sys.modules, 'shape': list(v.shape)}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got == {"torch": False, "st": False, "shape": [1, onnx_embedder.dim]}


def test_export_without_the_onnx_package_says_what_to_install(tmp_path, monkeypatch):
    from assistant.embeddings import onnx

    real = onnx._has_module
    monkeypatch.setattr(onnx, "_has_module", lambda name: False if name == "onnx" else real(name))
    with pytest.raises(ModelUnavailable, match=r"pip install onnx==.*ASSISTANT_EMBED_BACKEND=torch"):
        emb.export_onnx(tmp_path, tmp_path / "out" / "model.onnx")


@pytest.mark.parametrize(
    "modules, pooling, named",
    [
        (["Transformer", "Pooling", "Dense", "Normalize"], {"pooling_mode_mean_tokens": True}, "Dense"),
        (["Transformer", "Pooling"], {"pooling_mode_max_tokens": True}, "pooling_mode_max_tokens"),
    ],
)
def test_a_model_the_onnx_backend_would_embed_differently_is_refused_before_any_export(
    tmp_path, modules, pooling, named
):
    folder = tmp_path / "model"
    (folder / "1_Pooling").mkdir(parents=True)
    mods = [{"idx": i, "name": str(i), "path": "1_Pooling" if m == "Pooling" else f"{i}_{m}" if i else "",
             "type": f"sentence_transformers.models.{m}"} for i, m in enumerate(modules)]  # fmt: skip
    (folder / "modules.json").write_text(json.dumps(mods))
    (folder / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 8, **pooling}))
    with pytest.raises(ModelUnavailable, match=rf"{named}.*ASSISTANT_EMBED_BACKEND=torch"):
        emb.OnnxSentenceModel.load(str(folder), tmp_path / "cache", quantize=False)
    assert not (tmp_path / "cache").exists()  # refused before the minute-long export


@pytest.mark.slow
def test_onnx_gives_sentence_transformers_vectors_for_another_layout(tmp_path, monkeypatch):
    """CLS pooling, do_lower_case, no Normalize: the export of a small random BERT embeds as sentence-transformers does."""
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hà", "nội", "đại", "sứ", "việt", "nam", "eu", "là", "ai", "?"]
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    folder = tmp_path / "tiny"
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(words), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=64)  # fmt: skip
    BertModel(config).save_pretrained(folder)
    PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]"
    ).save_pretrained(folder)
    (folder / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]))  # fmt: skip
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 64, "do_lower_case": True}))
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 32, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False})
    )
    texts = ["Đại sứ EU là ai?", "HÀ NỘI", "việt nam hà nội"]
    want = SentenceTransformer(str(folder)).encode(texts, convert_to_numpy=True)
    model = emb.OnnxSentenceModel.load(str(folder), tmp_path / "cache", quantize=False)
    assert model.tokenizer.backend_tokenizer.encode("HÀ NỘI").ids == [2, 4, 5, 3]  # lowercased, not [UNK]
    got = model.encode(texts)
    assert got.shape == (3, 32) and np.abs(got - want).max() < 1e-4, np.abs(got - want).max()
    # one session for a question and for a batch: each session holds its own copy of the weights
    import onnxruntime as ort

    opened = []
    real = ort.InferenceSession
    monkeypatch.setattr(ort, "InferenceSession", lambda *a, **k: opened.append(a) or real(*a, **k))
    fresh = emb.OnnxSentenceModel.load(str(folder), tmp_path / "cache", quantize=False)
    one, batch = fresh.encode(texts[:1]), fresh.encode(texts * 10)
    assert len(opened) == 1 and np.abs(one[0] - batch[0]).max() < 1e-5
