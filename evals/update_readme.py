"""Regenerate the settings table in README.md from the Settings object (run after changing settings)."""

import re
from pathlib import Path

from assistant.settings import settings_table

readme = Path(__file__).resolve().parent.parent / "README.md"
text = readme.read_text(encoding="utf-8")
text = re.sub(
    r"<!-- settings:start -->.*<!-- settings:end -->",
    lambda _: f"<!-- settings:start -->\n{settings_table()}\n<!-- settings:end -->",
    text,
    flags=re.S,
)
readme.write_text(text, encoding="utf-8")
