from assistant.settings import Settings, settings_table
from tests.support import ROOT

README = ROOT / "README.md"


def test_readme_settings_table_is_current():
    """The README embeds `assistant settings` output verbatim; regenerate it when a setting changes."""
    assert settings_table() in README.read_text(encoding="utf-8")


def test_every_setting_is_described():
    assert all(f.description for f in Settings.model_fields.values())


def test_env_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")
    s = Settings()
    assert s.corpus_dir == tmp_path / "c" and s.top_k == 7


def test_toml_file(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "assistant.toml").write_text('index_dir = "elsewhere"\nretrieval_mode = "dense"\n')
    s = Settings()
    assert str(s.index_dir) == "elsewhere" and s.retrieval_mode == "dense"
