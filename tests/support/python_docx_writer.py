"""The reference ``DocumentWriter``: python-docx's object model, as rendering used it before.

``DocxWriter`` must produce exactly what this does (the tests compare the bytes): a document
from python-docx's default template, saved, then rewritten with fixed zip entry times. Text
goes through ``xml_text`` first, which is the one thing ``DocxWriter`` does that python-docx
does not (python-docx raises on such characters).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from docx import Document

from services.drafting.docx_writer import ZIP_TIME, DocumentProperties, set_core_properties
from services.text import xml_text

__all__ = ["PythonDocxWriter"]


class PythonDocxWriter:
    def __init__(self) -> None:
        self._document: Any = Document()

    def heading(self, text: str, level: int) -> None:
        self._document.add_heading(xml_text(text), level=level)

    def paragraph(self, text: str, style: str | None = None) -> None:
        self._document.add_paragraph(xml_text(text), style=style)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        table = self._document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header, strict=True):
            cell.text = xml_text(text)
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in rows:
            for cell, text in zip(table.add_row().cells, row, strict=True):
                cell.text = xml_text(text)

    def save(self, properties: DocumentProperties) -> bytes:
        set_core_properties(self._document.core_properties, properties)
        saved = io.BytesIO()
        self._document.save(saved)
        repeatable = io.BytesIO()
        with (
            zipfile.ZipFile(saved) as source,
            zipfile.ZipFile(repeatable, "w", zipfile.ZIP_DEFLATED) as target,
        ):
            for entry in source.infolist():
                info = zipfile.ZipInfo(entry.filename, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = entry.external_attr
                target.writestr(info, source.read(entry.filename))
        return repeatable.getvalue()
