"""The page's library services: save uploads into corpus/ safely, delete documents, then sync.

No gradio here: the page (`web/page.py`) calls these and shows their results. File names are sanitised so an upload
can never write outside corpus/ or overwrite an existing file (a clash gets a numeric suffix).
"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .errors import AssistantError
from .types import Skipped, SyncReport

if TYPE_CHECKING:
    from .app import App

MAX_NAME_CHARS = 120  # stem length kept; long names are cut, the suffix is preserved
_RESERVED = re.compile(r'[<>:"/\\|?*]')  # invalid on Windows or a path separator
_WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


class UploadRejected(AssistantError):
    """An uploaded file is not saved; the message says why and what to do."""


@dataclass
class UploadResult:
    """What happened to each uploaded file, and the sync that indexed the saved ones."""

    saved: list[str] = field(default_factory=list)  # names inside corpus/
    rejected: list[Skipped] = field(default_factory=list)  # by original name
    report: SyncReport | None = None


def supported_suffixes() -> frozenset[str]:
    """File types the loaders read (lower-case, with the dot)."""
    from .loaders import SUPPORTED_SUFFIXES

    return frozenset(s.lower() for s in SUPPORTED_SUFFIXES)


def sanitize_filename(name: str) -> str:
    """A safe file name from a user's: no directories, `..`, control characters, leading dots/dashes.

    Letters of any script (Vietnamese diacritics included) are kept; returns "" when nothing usable is left.
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[/\\]", name)[-1]  # strip directories, both separator styles
    name = "".join(" " if unicodedata.category(ch).startswith("Z") else ch for ch in name)
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))  # control, format, private
    name = _RESERVED.sub("_", name)
    name = re.sub(r"\.{2,}", ".", name)
    name = re.sub(r"\s+", " ", name)
    name = name.lstrip(" .-~").rstrip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.lstrip(" .-~").rstrip(" .")
    if stem.lower() in _WINDOWS_DEVICES:
        stem += "_"
    stem = stem[:MAX_NAME_CHARS].rstrip(" .")
    if not stem:
        return ""
    return f"{stem}.{suffix}" if suffix else stem


def check_upload(original_name: str, size: int, max_mb: float) -> str:
    """The safe name an upload will be saved under, or UploadRejected with the reason."""
    shown = original_name or "(no name)"
    safe = sanitize_filename(original_name)
    if not safe:
        raise UploadRejected(f"{shown}: the file name has no usable characters; rename it and upload again")
    suffix = Path(safe).suffix.lower()
    if suffix not in supported_suffixes():
        from .loaders import unsupported_type

        raise UploadRejected(f"{shown}: {unsupported_type(suffix)}")
    if size > max_mb * 1024 * 1024:
        raise UploadRejected(
            f"{shown}: {size / 1024 / 1024:.1f} MB is over the upload limit of {max_mb:g} MB "
            "(setting ASSISTANT_UPLOAD_MAX_MB)"
        )
    if size == 0:
        raise UploadRejected(f"{shown}: the file is empty")
    return safe


def candidate_names(name: str):
    """`name`, then `stem-2.ext`, `stem-3.ext`, ... for name clashes."""
    yield name
    p = Path(name)
    n = 2
    while True:
        yield f"{p.stem}-{n}{p.suffix}"
        n += 1


def save_upload(src: Path, original_name: str, corpus_dir: Path, max_mb: float) -> Path:
    """Copy an uploaded file into corpus/ under its sanitised name, never overwriting; returns the new path.

    The copy is written to a hidden `.part` file (ignored by ingest and the watcher) and then
    hard-linked to its final name, which fails instead of replacing a file created meanwhile.
    """
    src = Path(src)
    safe = check_upload(original_name, src.stat().st_size, max_mb)
    root = Path(corpus_dir)
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    tmp = root / f".upload-{uuid.uuid4().hex}.part"
    shutil.copyfile(src, tmp)
    try:
        for name in candidate_names(safe):
            target = root / name
            if target.parent != root:  # cannot happen after sanitising; refuse rather than trust it
                raise UploadRejected(f"{original_name}: unsafe file name")
            if target.exists() or target.is_symlink():
                continue
            try:
                os.link(tmp, target)
            except FileExistsError:
                continue
            except OSError:  # a file system without hard links: exclusive create + copy
                try:
                    with open(target, "xb") as out, open(tmp, "rb") as inp:
                        shutil.copyfileobj(inp, out)
                except FileExistsError:
                    continue
            return target
    finally:
        tmp.unlink(missing_ok=True)
    raise AssertionError("unreachable")  # candidate_names is infinite


def add_uploads(
    app: App,
    files: list[tuple[Path, str]],
    progress: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] | None = None,
    ocr_progress: Callable[[str, int, int], None] | None = None,
) -> UploadResult:
    """Save uploaded files (path, original name) into corpus/ and index them with one sync."""
    result = UploadResult()
    settings = app.settings
    for src, original in files:
        try:
            result.saved.append(
                save_upload(Path(src), original, Path(settings.corpus_dir), settings.upload_max_mb).name
            )
        except UploadRejected as e:
            result.rejected.append(Skipped(original, str(e)))
        except OSError as e:
            result.rejected.append(Skipped(original, f"{original}: could not be saved ({e.strerror or e})"))
    if result.saved:
        result.report = app.sync(progress=progress, log=log, ocr_progress=ocr_progress)
    return result


def document_path(corpus_dir: Path, name: str) -> Path:
    """The file behind an indexed document name, refusing any name that points outside corpus/."""
    root = Path(corpus_dir).resolve()
    parts = Path(name).parts
    if not name or Path(name).is_absolute() or any(p in ("..", "") for p in parts):
        raise AssistantError(f"{name!r} is not a document of the library")
    target = root / name
    # the final component may be a symlink (removing it never touches its target); its folder must be inside
    if not target.parent.resolve().is_relative_to(root):
        raise AssistantError(f"{name!r} is not a document of the library")
    return target


def delete_document(app: App, name: str, progress: Callable[[int, int], None] | None = None) -> SyncReport:
    """Remove a document's file from corpus/, then sync so it leaves the index too."""
    target = document_path(Path(app.settings.corpus_dir), name)
    if not (target.exists() or target.is_symlink()):
        known = {r.name for r in app.documents()}
        if name not in known:
            raise AssistantError(f"{name} is not in the library (already deleted?)")
    elif target.is_dir() and not target.is_symlink():
        raise AssistantError(f"{name} is a folder, not a document")
    else:
        target.unlink()
    return app.sync(progress=progress)


def resync(
    app: App,
    progress: Callable[[int, int], None] | None = None,
    ocr_progress: Callable[[str, int, int], None] | None = None,
) -> SyncReport:
    """Index files dropped into corpus/ by hand (and purge removed ones); `ocr_progress` hears of each scanned page."""
    return app.sync(progress=progress, ocr_progress=ocr_progress)
