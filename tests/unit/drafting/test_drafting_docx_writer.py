"""DocxWriter against python-docx: the same document, byte for byte, for any text.

The fixtures under ``tests/fixtures/rendering/`` are what the python-docx renderer made of the
rich sample before rendering was rewritten; the rewritten one must say exactly the same.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.drafting import render_document
from services.drafting.docx_writer import DocumentProperties, DocxWriter
from services.drafting.rendering import write_document
from services.text import xml_text
from tests.support.python_docx_writer import PythonDocxWriter
from tests.support.rendering_samples import AT, FIXTURES, RICH, RICH_FINAL

SAMPLES = [
    pytest.param(None, "rich-draft.docx", id="draft"),
    pytest.param(RICH_FINAL, "rich-final.docx", id="final"),
]


def parts(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert package.testzip() is None
        return [(info.filename, package.read(info)) for info in package.infolist()]


def described(data: bytes) -> dict[str, Any]:
    """What a reader sees: paragraphs with their style, tables with text and bold, properties."""
    document: Any = Document(io.BytesIO(data))
    core = document.core_properties
    return {
        "paragraphs": [(p.style.name, p.text) for p in document.paragraphs],
        "tables": [
            (
                t.style.name,
                [
                    [(c.text, [r.bold for r in c.paragraphs[0].runs]) for c in row.cells]
                    for row in t.rows
                ],
            )
            for t in document.tables
        ],
        "properties": (
            core.title,
            core.subject,
            core.author,
            core.last_modified_by,
            core.identifier,
            core.revision,
            core.created,
            core.modified,
        ),
    }


@pytest.mark.parametrize(("final", "fixture"), SAMPLES)
def test_the_rich_document_says_what_python_docx_wrote_before(final: Any, fixture: str) -> None:
    before = (FIXTURES / fixture).read_bytes()
    now = render_document(RICH, AT, final)
    assert described(now) == described(before)
    # Every part, uncompressed, in the same order: nothing the document shows has changed.
    assert parts(now) == parts(before)


@pytest.mark.parametrize(("final", "fixture"), SAMPLES)
def test_the_rich_document_is_python_docx_byte_for_byte(final: Any, fixture: str) -> None:
    assert render_document(RICH, AT, final) == write_document(PythonDocxWriter(), RICH, AT, final)


def test_the_rich_sample_exercises_every_section() -> None:
    seen = described(render_document(RICH, AT, RICH_FINAL))
    styles = {style for style, _ in seen["paragraphs"]}
    assert {"Title", "Heading 1", "Intense Quote", "Normal"} <= styles
    assert len(seen["tables"]) == 7  # summary, findings, columns, keys, indexes, approval, votes
    texts = [cell for _, rows in seen["tables"] for row in rows for cell, _ in row]
    assert any("\t" in text for text in texts) and any("\n" in text for text in texts)
    assert any(text != text.strip() for text in texts)


# Any text at all: markup, every control character, lone surrogates, astral characters.
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=30) | st.sampled_from(
    ["", " ", "\t", "\r\n", "a\rb", " x ", "\u00a0", "&lt;", "]]>", "\x00", "\ud800", "\ufffe"]
)
ROWS = st.integers(1, 4).flatmap(
    lambda n: st.tuples(
        st.lists(TEXT, min_size=n, max_size=n),
        st.lists(st.lists(TEXT, min_size=n, max_size=n), max_size=3),
    )
)
STEP = st.one_of(
    st.tuples(st.just("heading"), TEXT, st.integers(0, 3)),
    st.tuples(
        st.just("paragraph"), TEXT, st.sampled_from([None, "Intense Quote", "Title", "Heading 1"])
    ),
    st.tuples(st.just("table"), ROWS),
)
MOMENT = st.datetimes(
    min_value=datetime(1980, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
)


def build(writer: Any, steps: list[tuple[Any, ...]], props: DocumentProperties) -> bytes:
    for step in steps:
        if step[0] == "heading":
            writer.heading(step[1], step[2])
        elif step[0] == "paragraph":
            writer.paragraph(step[1], step[2])
        else:
            header, rows = step[1]
            writer.table(header, rows)
    return bytes(writer.save(props))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(STEP, max_size=6), title=TEXT, identifier=TEXT, moment=MOMENT)
def test_any_document_is_python_docx_byte_for_byte(
    steps: list[tuple[Any, ...]], title: str, identifier: str, moment: datetime
) -> None:
    props = DocumentProperties(
        title=title,
        subject="s",
        author="a",
        last_modified_by=title,
        identifier=identifier,
        revision=1,
        created=moment,
        modified=moment + timedelta(seconds=1),
    )
    assert build(DocxWriter(), steps, props) == build(PythonDocxWriter(), steps, props)


def test_characters_xml_cannot_hold_show_as_replacement_characters() -> None:
    # python-docx raised on these and failed the whole draft; now the document is written.
    writer = DocxWriter()
    writer.paragraph("bell\x07 nul\x00 vt\x0b surrogate\ud83d nonchar\uffff ok\x7f\x85")
    writer.table(["h\x01"], [["cell\x1f"]])
    props = DocumentProperties(
        title="t\x02",
        subject="",
        author="",
        last_modified_by="",
        identifier="",
        revision=1,
        created=AT,
        modified=AT,
    )
    seen = described(writer.save(props))
    assert seen["paragraphs"] == [
        ("Normal", "bell\ufffd nul\ufffd vt\ufffd surrogate\ufffd nonchar\ufffd ok\x7f\x85")
    ]
    assert seen["tables"][0][1] == [[("h\ufffd", [True])], [("cell\ufffd", [None])]]
    assert seen["properties"][0] == "t\ufffd"
    assert xml_text("tab\tLF\nCR\r fine") == "tab\tLF\nCR\r fine"


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="table row has 1 cells; the header has 2"):
        DocxWriter().table(["a", "b"], [["only one"]])


def test_an_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="style 'Fancy' is not one this writer knows"):
        DocxWriter().paragraph("x", "Fancy")
