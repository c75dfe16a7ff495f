"""Word (.docx) through python-docx: paragraphs and tables in document order, real table cells.

python-docx repeats a merged cell at every grid position it covers (across and down); only the
first position keeps its text, the others become empty cells, as in a printed table.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from nianbao.extract.document import Document, ExtractError, Line, grid_line


def _table_rows(table: Any) -> list[list[str]]:
    rows: list[list[str]] = []
    above: list[Any] = []
    for row in table.rows:
        elements = [cell._tc for cell in row.cells]
        texts = []
        for index, (cell, element) in enumerate(zip(row.cells, elements, strict=True)):
            merged_across = index > 0 and element is elements[index - 1]
            merged_down = index < len(above) and element is above[index]
            texts.append("" if merged_across or merged_down else cell.text)
        rows.append(texts)
        above = elements
    return rows


def extract_docx(data: bytes, source: str) -> Document:
    """Read a .docx into a Document, or raise ``ExtractError`` saying why it cannot be read."""
    import docx  # noqa: PLC0415 - only Word files pay for it

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ExtractError("Word 文件已损坏或不完整，无法打开") from error
    except Exception as error:
        raise ExtractError(f"Word 文件无法解析（{type(error).__name__}）") from error
    lines: list[Line] = []
    for item in document.iter_inner_content():
        if hasattr(item, "rows"):
            rows = _table_rows(item)
            for cells in rows:
                lines.append(grid_line(len(lines) + 1, [" ".join(c.split()) for c in cells], positioned=len(rows) > 1))
        else:
            for text in item.text.splitlines() or [""]:
                lines.append(Line(len(lines) + 1, text))
    return Document(source=source, kind="docx", lines=lines)
