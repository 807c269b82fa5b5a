"""What the tests share: fakes, the scripted LLM server, file makers, subprocess and page helpers, the repo's paths."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
SEEDS = ROOT / "corpus"  # the five seed documents
