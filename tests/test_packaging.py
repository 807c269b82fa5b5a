"""An installed wheel has every file the package reads: each non-Python file under assistant/ is package data."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path
from tests.support import ROOT


def _package_of(path: Path) -> Path:
    d = path.parent
    while not (d / "__init__.py").exists():
        d = d.parent
    return d


def test_every_data_file_of_the_package_is_declared_package_data():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert config["packages"]["find"]["include"] == ["assistant", "assistant.*"]  # subpackages found, not listed
    globs = config["package-data"]
    data = [p for p in (ROOT / "assistant").rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")]
    assert any(p.name == "page.css" for p in data)  # the walk saw the page's assets
    missing = []
    for p in data:
        pkg = _package_of(p)
        name = ".".join(pkg.relative_to(ROOT).parts)
        rel = p.relative_to(pkg).as_posix()
        if not any(fnmatch(rel, g) for g in globs.get(name, [])):
            missing.append(f"{name}: {rel}")
    assert missing == [], "add to [tool.setuptools.package-data] in pyproject.toml"
