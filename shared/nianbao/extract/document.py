"""What every extractor produces: lines in reading order, with cells where a table gave them."""

from __future__ import annotations

from dataclasses import dataclass, field

from nianbao.normalize import nfkc, squeeze


class ExtractError(Exception):
    """The input cannot be read as a report; ``reason`` says why, in Chinese, for the official."""

    def __init__(self, reason: str, *, code: str = "INPUT_UNREADABLE") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(slots=True)
class Line:
    number: int  # 1-based position in the extracted text
    raw: str  # as extracted
    cells: list[str] | None = None  # explicit cell boundaries: tab-separated text or a table row
    page: int | None = None
    text: str = field(init=False)  # NFKC, stripped: what the parser reads
    key: str = field(init=False)  # whitespace, quotes and markers removed: what labels are matched in

    def __post_init__(self) -> None:
        self.text = nfkc(self.raw).strip()
        self.key = squeeze(self.text)


@dataclass(slots=True)
class Document:
    source: str
    kind: str  # text | pdf | docx | html
    lines: list[Line]
    encoding: str | None = None


def lines_from_text(text: str) -> list[Line]:
    """Split extracted text into lines; a tab marks cell boundaries (blank cells kept)."""
    return [
        Line(number, raw, raw.split("\t") if "\t" in raw else None)
        for number, raw in enumerate(text.splitlines(), start=1)
    ]
