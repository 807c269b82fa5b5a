"""DOCX via python-docx (the only module that imports it): body paragraphs and table cells in document order."""

from __future__ import annotations

import io
import zipfile

from ..errors import SkipFile
from ..types import Paragraph
from .base import MB, joined, mb, normalize, reason

DOCX_MAX_XML_BYTES = 64 * MB  # unpacked XML of a .docx; reading 30 MB of it took 620 MB of memory


def parse_docx(data: bytes) -> tuple[str, list[Paragraph], None]:
    """DOCX via python-docx: body paragraphs and table cells in document order."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise SkipFile("not a valid .docx (not a zip archive; an old .doc file must be saved as .docx)")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # python-docx holds every XML part in memory, ~20x its size
        xml = sum(i.file_size for i in archive.infolist() if i.filename.lower().endswith(".xml"))
    if xml > DOCX_MAX_XML_BYTES:
        raise SkipFile(
            f"the .docx unpacks to {mb(xml)} MB of XML, more than the {mb(DOCX_MAX_XML_BYTES)} MB that can be read "
            "safely (a zip bomb, or an enormous document): split it or save it as .txt"
        )
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        texts = _docx_texts(document)
    except Exception as e:
        raise SkipFile(f"not a valid .docx ({reason(e)})") from None
    text, paragraphs = joined([(normalize(t), None) for t in texts])
    if not paragraphs:
        raise SkipFile("empty document: no text in its paragraphs or tables")
    return text, paragraphs, None


def _docx_texts(container) -> list[str]:
    """Texts of the paragraphs of a document or table cell, descending into tables (each cell once)."""
    from docx.table import Table, _Cell

    texts: list[str] = []
    for item in container.iter_inner_content():
        if isinstance(item, Table):
            for tr in item._tbl.tr_lst:  # physical cells: merged cells are not repeated
                for tc in tr.tc_lst:
                    texts.extend(_docx_texts(_Cell(tc, item)))
        else:
            texts.append(item.text)
    return texts
