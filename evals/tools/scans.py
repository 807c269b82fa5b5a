"""Render text into image-only ("scanned") PDFs with Pillow: A4 pages, a font with Vietnamese glyphs
(DejaVu Sans, shipped inside matplotlib, so no system font is needed), no text layer.

Used by tests/test_ocr.py (a small Vietnamese scan, real Tesseract) and evals/ocr_bench.py (the OCR
benchmark). `noisy=True` imitates a poor office scan: a slight rotation, blur, speckles and a
stamp-like blot over the text.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

A4_INCHES = (8.27, 11.69)
FONT_PT = 12


def font_path() -> Path:
    """DejaVu Sans from matplotlib's own data (it has every Vietnamese letter)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap to a pixel width."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + ([line] if line else [])


def render_pages(pages: list[list[str]], dpi: int = 300) -> list[Image.Image]:
    """Each page's paragraphs drawn as wrapped lines (a blank line between paragraphs); greyscale images.
    A paragraph that does not fit continues on a new page."""
    w, h = int(A4_INCHES[0] * dpi), int(A4_INCHES[1] * dpi)
    margin = dpi
    font = ImageFont.truetype(str(font_path()), round(FONT_PT * dpi / 72))
    step = round(FONT_PT * dpi / 72 * 1.45)
    images = []
    for paragraphs in pages:
        img, y = Image.new("L", (w, h), 255), margin
        draw = ImageDraw.Draw(img)
        for para in paragraphs:
            for line in _wrap(para, font, w - 2 * margin):
                if y + step > h - margin:
                    images.append(img)
                    img, y = Image.new("L", (w, h), 255), margin
                    draw = ImageDraw.Draw(img)
                draw.text((margin, y), line, font=font, fill=0)
                y += step
            y += step
        images.append(img)
    return images


def degrade(img: Image.Image, seed: int = 0) -> Image.Image:
    """A poor scan: rotated ~1 degree, blurred, speckled, with a round stamp-like blot over the text."""
    rnd = random.Random(seed)
    dpi_scale = img.width / 2481
    out = img.rotate(rnd.uniform(-1.2, 1.2), resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    draw = ImageDraw.Draw(out)
    cx, cy, r = int(out.width * 0.68), int(out.height * 0.22), int(260 * dpi_scale)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=110, width=max(3, int(14 * dpi_scale)))
    draw.ellipse(
        (cx - r * 0.72, cy - r * 0.72, cx + r * 0.72, cy + r * 0.72), outline=130, width=max(2, int(6 * dpi_scale))
    )
    star = ImageFont.truetype(str(font_path()), int(120 * dpi_scale))
    draw.text((cx - int(45 * dpi_scale), cy - int(70 * dpi_scale)), "★", font=star, fill=120)
    for _ in range(int(out.width * out.height / 4000)):
        x, y = rnd.randrange(out.width), rnd.randrange(out.height)
        draw.point((x, y), fill=rnd.choice((0, 90, 160)))
    return out.filter(ImageFilter.GaussianBlur(radius=0.8 * dpi_scale))


def to_pdf(images: list[Image.Image], dpi: int) -> bytes:
    """Images as an image-only PDF, one page each."""
    out = io.BytesIO()
    images[0].save(out, format="PDF", resolution=dpi, save_all=True, append_images=images[1:])
    return out.getvalue()


def scanned_pdf(pages: list[list[str]], dpi: int = 300, noisy: bool = False) -> bytes:
    """Paragraphs per page -> the bytes of an image-only PDF."""
    images = render_pages(pages, dpi)
    if noisy:
        images = [degrade(im, seed=i) for i, im in enumerate(images)]
    return to_pdf(images, dpi)


def cer(got: str, want: str) -> float:
    """Character error rate: edit distance / length of the source text, whitespace collapsed on both sides."""
    from rapidfuzz.distance import Levenshtein

    a, b = " ".join(got.split()), " ".join(want.split())
    return Levenshtein.distance(a, b) / max(1, len(b))
