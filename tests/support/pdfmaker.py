"""Minimal, valid PDFs with a real text layer, built by hand (no PDF library needed to write them), and the
two pages of a small English report the loader and OCR tests read."""

from __future__ import annotations


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[list[str]], *, paragraph_per_line: bool = True) -> bytes:
    """One PDF page per list of lines (Latin-1 text, Helvetica 11 pt). Each line is a paragraph (a blank line
    follows it), or with `paragraph_per_line=False` the lines run on like a hard-wrapped text."""
    objects: list[bytes] = []
    n_pages = len(pages)
    font_id = 3 + 2 * n_pages
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    next_line = "T* T*" if paragraph_per_line else "T*"
    for i, lines in enumerate(pages):
        content_id = 4 + 2 * i
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 {font_id} 0 R >> >> "
            f"/Contents {content_id} 0 R >>".encode()
        )
        ops = ["BT", "/F1 11 Tf", "14 TL", "50 790 Td"]
        for line in lines:
            ops.append(f"({_escape(line)}) Tj {next_line}")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# a report hard-wrapped over two pages (a word hyphenated across lines): make_pdf(..., paragraph_per_line=False)
PAGE1 = [
    "Viet Nam and EU digital cooperation report",
    "The European Union and Viet Nam agreed on Tuesday to deepen their digital",
    "cooperation on artificial intelligence, semiconductors and data gover-",
    "nance during the forum held in Ninh Binh province in October 2025.",
]
PAGE2 = [
    "The ambassador said the partnership builds on thirty years of diplomatic",
    "relations between the two sides and on shared values.",
    "A research and innovation day followed the forum, bringing together the",
    "universities, institutes and companies of both regions.",
]
