"""A .docx writer that emits python-docx's own XML directly, in one zip pass.

The data-dictionary document is headings, styled paragraphs and "Table Grid" tables. Built
through python-docx's object model it cost about 65 ms per render: every styled paragraph
looked its style up by name with XPath over the 800 KB of styles, every cell was filled through
a dozen XPath queries, the template was parsed again each time, and the package was deflated
twice (python-docx's save, then the rewrite with fixed entry times). This writer asks
python-docx once per process for the template (its parts as saved, deflated once), the style
ids and the table geometry, then writes the body as text, the core properties through
python-docx's own element, and the zip with the template's parts as already compressed.

The result is the very bytes python-docx plus the fixed-time rewrite produced (held against
python-docx byte for byte by ``tests/unit/drafting/test_drafting_docx_writer.py``), with one
difference: a character XML cannot hold (a C0 control other than tab, LF and CR, a lone
surrogate, U+FFFE, U+FFFF) is written as U+FFFD, where python-docx raised and failed the
whole document.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from docx import Document
from docx.opc.coreprops import CoreProperties
from docx.opc.oxml import serialize_part_xml
from docx.oxml.parser import parse_xml

from services.text import xml_text

__all__ = ["ZIP_TIME", "DocumentProperties", "DocxWriter", "set_core_properties"]

# The zip entries' fixed time (the DOS epoch), so the same content gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_TABLE_STYLE = "Table Grid"
_DOCUMENT_PART = "word/document.xml"
_CORE_PART = "docProps/core.xml"
_RUN_BREAKS = re.compile("([\t\r\n])")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_SPECIAL = re.compile("[\t\r\n&<>]")


@dataclass(frozen=True)
class DocumentProperties:
    """The package's core properties (``docProps/core.xml``)."""

    title: str
    subject: str
    author: str
    last_modified_by: str
    identifier: str
    revision: int
    created: datetime
    modified: datetime


@dataclass(frozen=True)
class _Entry:
    name: str
    crc: int
    size: int
    deflated: bytes


@dataclass(frozen=True)
class _Template:
    """python-docx's default template as it saves it, ready to be written again."""

    entries: tuple[_Entry | str, ...]  # a str names a part written per document
    body_start: str  # document.xml up to where the body's content goes
    body_end: str  # the final section properties and the closing tags
    core_xml: bytes
    style_ids: dict[str, str]
    block_width_emu: int


@functools.cache
def _template() -> _Template:
    document: Any = Document()
    saved = io.BytesIO()
    document.save(saved)
    entries: list[_Entry | str] = []
    with zipfile.ZipFile(saved) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    for name, data in parts.items():
        entries.append(
            name
            if name in (_DOCUMENT_PART, _CORE_PART)
            else _Entry(name, zlib.crc32(data), len(data), _deflate(data))
        )
    xml = parts[_DOCUMENT_PART].decode("utf-8")
    # python-docx inserts new content before the body's last sectPr.
    cut = xml.rindex("<w:sectPr")
    section = document.sections[-1]
    return _Template(
        entries=tuple(entries),
        body_start=xml[:cut],
        body_end=xml[cut:],
        core_xml=parts[_CORE_PART],
        style_ids={
            name: document.styles[name].style_id
            for name in (
                "Title",
                "Heading 1",
                "Heading 2",
                "Heading 3",
                "Intense Quote",
                _TABLE_STYLE,
            )
        },
        block_width_emu=int(section.page_width - section.left_margin - section.right_margin),
    )


def _deflate(data: bytes) -> bytes:
    # What zipfile writes for ZIP_DEFLATED at the default level: a raw deflate stream.
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def _run_content(text: str) -> str:
    """A run's children for ``text``, as python-docx writes them (tab, break, text)."""
    if not _SPECIAL.search(text):
        return _t(text)
    parts = []
    for piece in _RUN_BREAKS.split(text):
        if piece == "\t":
            parts.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            parts.append("<w:br/>")
        elif piece:
            parts.append(_t(piece.translate(_TEXT_ESCAPES)))
    return "".join(parts)


def _t(escaped: str) -> str:
    # The leading/trailing test runs on the escaped text, which has the same ends.
    if len(escaped.strip()) < len(escaped):
        return f'<w:t xml:space="preserve">{escaped}</w:t>'
    return f"<w:t>{escaped}</w:t>"


def _run(text: str, bold: bool = False) -> str:
    props = "<w:rPr><w:b/></w:rPr>" if bold else ""
    if not text:
        return f"<w:r>{props}</w:r>" if props else "<w:r/>"
    return f"<w:r>{props}{_run_content(xml_text(text))}</w:r>"


class DocxWriter:
    """Builds one document: ``heading``, ``paragraph`` and ``table`` in order, then ``save``."""

    def __init__(self) -> None:
        self._template = _template()
        self._body: list[str] = []

    def heading(self, text: str, level: int) -> None:
        """A heading, as python-docx's ``add_heading``: level 0 is the title."""
        self.paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def paragraph(self, text: str, style: str | None = None) -> None:
        """A paragraph of one run (none for empty text), in ``style`` if given."""
        props = ""
        if style is not None:
            props = f'<w:pPr><w:pStyle w:val="{self._style_id(style)}"/></w:pPr>'
        run = _run(text) if text else ""
        self._body.append(f"<w:p>{props}{run}</w:p>" if props or run else "<w:p/>")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        """A "Table Grid" table over the text width, the header row in bold."""
        columns = len(header)
        # python-docx: the width split evenly in EMU, then written in twips (635 EMU each).
        width = round((self._template.block_width_emu // columns) / 635)
        cell = f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr><w:p>'
        out = [
            f'<w:tbl><w:tblPr><w:tblStyle w:val="{self._style_id(_TABLE_STYLE)}"/>'
            '<w:tblW w:type="auto" w:w="0"/><w:tblLook w:firstColumn="1" w:firstRow="1"'
            ' w:lastColumn="0" w:lastRow="0" w:noHBand="0" w:noVBand="1" w:val="04A0"/>'
            "</w:tblPr><w:tblGrid>",
            f'<w:gridCol w:w="{width}"/>' * columns,
            "</w:tblGrid><w:tr>",
        ]
        out.extend(f"{cell}{_run(text, bold=True)}</w:p></w:tc>" for text in header)
        out.append("</w:tr>")
        for row in rows:
            if len(row) != columns:
                raise ValueError(f"table row has {len(row)} cells; the header has {columns}")
            out.append("<w:tr>")
            out.extend(f"{cell}{_run(text)}</w:p></w:tc>" for text in row)
            out.append("</w:tr>")
        out.append("</w:tbl>")
        self._body.append("".join(out))

    def save(self, properties: DocumentProperties) -> bytes:
        """The package's bytes: the same content and properties always give the same."""
        template = self._template
        document = "".join((template.body_start, *self._body, template.body_end))
        made = {_DOCUMENT_PART: document.encode("utf-8"), _CORE_PART: _core_xml(properties)}
        return _zip(
            entry
            if isinstance(entry, _Entry)
            else _Entry(entry, zlib.crc32(made[entry]), len(made[entry]), _deflate(made[entry]))
            for entry in template.entries
        )

    def _style_id(self, name: str) -> str:
        try:
            return self._template.style_ids[name]
        except KeyError:
            raise ValueError(f"style {name!r} is not one this writer knows") from None


def _core_xml(properties: DocumentProperties) -> bytes:
    """core.xml through python-docx's own element, as its save would write it."""
    element = parse_xml(_template().core_xml)
    set_core_properties(CoreProperties(element), properties)
    return bytes(serialize_part_xml(element))


def set_core_properties(core: Any, properties: DocumentProperties) -> None:
    """Set python-docx ``CoreProperties`` from ``properties`` (text made XML-safe)."""
    core.title = xml_text(properties.title)
    core.subject = xml_text(properties.subject)
    core.author = xml_text(properties.author)
    core.last_modified_by = xml_text(properties.last_modified_by)
    core.identifier = xml_text(properties.identifier)
    core.revision = properties.revision
    core.created = properties.created
    core.modified = properties.modified


# The zip format as zipfile writes it for these entries (deflated, no data descriptor, no
# zip64, the DOS epoch, version 2.0 made on Unix, mode 0600), so the bytes are the same.
_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_DOS_TIME = (ZIP_TIME[3] << 11) | (ZIP_TIME[4] << 5) | (ZIP_TIME[5] // 2)
_DOS_DATE = ((ZIP_TIME[0] - 1980) << 9) | (ZIP_TIME[1] << 5) | ZIP_TIME[2]
_VERSION, _UNIX, _DEFLATED, _MODE = 20, 3, 8, 0o600 << 16


def _zip(entries: Iterable[_Entry]) -> bytes:
    out: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    count = 0
    for entry in entries:
        name = entry.name.encode("ascii")
        local = _LOCAL.pack(
            b"PK\x03\x04",
            _VERSION,
            0,
            0,
            _DEFLATED,
            _DOS_TIME,
            _DOS_DATE,
            entry.crc,
            len(entry.deflated),
            entry.size,
            len(name),
            0,
        )
        out += (local, name, entry.deflated)
        directory.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                _VERSION,
                _UNIX,
                _VERSION,
                0,
                0,
                _DEFLATED,
                _DOS_TIME,
                _DOS_DATE,
                entry.crc,
                len(entry.deflated),
                entry.size,
                len(name),
                0,
                0,
                0,
                0,
                _MODE,
                offset,
            )
            + name
        )
        offset += len(local) + len(name) + len(entry.deflated)
        count += 1
    size = sum(len(record) for record in directory)
    return b"".join(
        (*out, *directory, _END.pack(b"PK\x05\x06", 0, 0, count, count, size, offset, 0))
    )
