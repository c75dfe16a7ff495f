"""Rosters: the bodies a supervising office oversees, uploaded as ``rosters/<division>.csv``.

A roster is a CSV file in UTF-8 (with or without BOM), GB18030 or UTF-16, comma- or
tab-separated, whose first non-blank line is a header. Columns, in any order, named in English
(case, spaces, ``_`` and ``-`` ignored) or Chinese:

============== ============ ======== =====================================================
column         Chinese      required value
============== ============ ======== =====================================================
body_id        机关编码     yes      the body's id: 1-64 characters, no spaces, not ``P:…``
name           机关名称     yes      the body's name, 1-64 characters
aliases        别名         no       other names, ``|``-separated (at most 20)
kind           类型         yes      人民政府 / 部门 / 乡镇 / 街道 / 其他
parent_body_id 上级机关编码 no       the body above it; empty for none
division       区划代码     yes      2-12 digits, starting with the roster's own division
sums_children  汇总下级     no       是/否, true/false, 1/0; empty is 否: the body's report
                                     covers the bodies below it (a government's summary)
============== ============ ======== =====================================================

A column named 备注 / note(s) / remark(s) / comment(s) is ignored; any other column refuses the
file, so that a misspelt optional column (``sum_children``) is not silently dropped.

``parse_roster`` never raises: a row that cannot be used is a ``RejectedRow`` saying why (in
Chinese, for the office), and a file that cannot be used at all is a ``Roster`` with ``refused``
set. Cell text is data: a name starting with ``=``, ``+``, ``-`` or ``@`` is kept as printed
and never evaluated (whoever writes it back to a spreadsheet must escape it).

A ``parent_body_id`` that is not in the file is accepted and kept: rosters are uploaded per
division by different offices, and the parent of a county roster's own government (or of a
township's government) lives in the city's or the county's roster. Requiring it here would make
a roster depend on another office's upload order; whoever holds all rosters can check such
references (``Roster.external_parents``). A body that is its own parent, or a cycle of parents
inside the file, is rejected.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from nianbao.bodies import normalize_name, valid_division
from nianbao.extract.document import ExtractError
from nianbao.extract.text import decode
from nianbao.sanitize import clean_text

MB = 1024 * 1024
MAX_BYTES = 5 * MB  # a province's roster is a few thousand rows: ~0.5 MB
MAX_ROWS = 20_000  # data rows, the header and blank lines not counted
MAX_ID = 64
MAX_NAME = 64  # the longest real names (自治州 + 自治县 + 人民政府办公室) are near 35 characters
MAX_ALIASES = 20
_RAW = 120  # characters of a rejected row's text kept
_VALUE = 40  # characters of a value quoted in a reason
_MAX_REPLACED = 0.01  # share of U+FFFD past which the decoding is wrong, not a few bad bytes


class BodyKind(StrEnum):
    GOVERNMENT = "人民政府"
    DEPARTMENT = "部门"
    TOWNSHIP = "乡镇"
    SUBDISTRICT = "街道"
    OTHER = "其他"


class Body(BaseModel):
    """A body that publishes an annual report, as a roster defines it."""

    model_config = ConfigDict(extra="forbid")

    body_id: Annotated[str, Field(min_length=1, max_length=MAX_ID)]
    name: Annotated[str, Field(min_length=1, max_length=MAX_NAME)]  # as printed in the roster
    aliases: list[str] = Field(default_factory=list)
    kind: BodyKind
    parent_body_id: str | None = None
    division: Annotated[str, Field(pattern=r"^[0-9]{2,12}$")]
    # Its report covers the bodies below it (a government's summary report for its jurisdiction).
    sums_children: bool = False


class RejectedRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    line: int  # 1-based line of the decoded file where the row starts
    text: str  # the row as printed, one line, shortened
    reason: str  # Chinese, for the office


class Roster(BaseModel):
    division: str  # from the file name, rosters/<division>.csv
    bodies: list[Body] = Field(default_factory=list)
    rejected: list[RejectedRow] = Field(default_factory=list)
    encoding: str | None = None  # as decoded; None when the bytes were not read as text
    rows: int = 0  # data rows read (the header and blank lines not counted)
    refused: str | None = None  # why the whole file was refused (Chinese); then there are no bodies

    @property
    def external_parents(self) -> list[str]:
        """Parent ids that no body of this roster has: bodies of other rosters, or typos."""
        ids = {body.body_id for body in self.bodies}
        return sorted({b.parent_body_id for b in self.bodies if b.parent_body_id and b.parent_body_id not in ids})


# --- columns -------------------------------------------------------------------------------------

_ZH = {
    "body_id": "机关编码",
    "name": "机关名称",
    "aliases": "别名",
    "kind": "类型",
    "parent_body_id": "上级机关编码",
    "division": "区划代码",
    "sums_children": "汇总下级",
}
_REQUIRED = ("body_id", "name", "kind", "division")
_IGNORED = frozenset({"备注", "note", "notes", "remark", "remarks", "comment", "comments"})
_HEADER_NOISE = re.compile(r"[\s_\-\ufeff]+")


def _header_key(cell: str) -> str:
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", cell).casefold())


_COLUMNS = {_header_key(english): english for english in _ZH} | {_header_key(zh): en for en, zh in _ZH.items()}
_COLUMNS["alias"] = "aliases"


def _column_list() -> str:
    return "、".join(f"{en}（{zh}）" for en, zh in _ZH.items())


# --- reading records -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Record:
    line: int  # first physical line
    end: int  # last physical line
    cells: list[str]
    raw: str
    error: str | None = None  # the csv module could not read it

    @property
    def blank(self) -> bool:
        return self.error is None and not any(cell.strip() for cell in self.cells)


def _records(text: str, delimiter: str) -> Iterator[_Record]:
    """The CSV records of ``text`` (stdlib csv), each with the physical lines it spans."""
    physical: list[str] = []

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            physical.append(line)
            yield line

    reader = csv.reader(lines(), delimiter=delimiter)
    start = 0
    while True:
        try:
            cells, error = next(reader), None
        except StopIteration:
            return
        except csv.Error:  # a cell over the csv module's size limit (131,072 characters)
            cells, error = [], "单元格过长，无法按 CSV 读取"
        end = max(reader.line_num, start + 1)
        yield _Record(start + 1, end, cells, "".join(physical[start:end]), error)
        start = end


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "\t" if "," not in first and "\t" in first else ","


# --- one row -------------------------------------------------------------------------------------

# control, format (zero-width, bidi), surrogate and unassigned code points; private use is allowed
# (Python's GB18030 codec maps a few rare characters there)
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn"})
_TRUE = frozenset({"是", "true", "1", "yes", "y"})
_FALSE = frozenset({"否", "false", "0", "no", "n", ""})
_ALIAS_SEPARATOR = re.compile(r"[|｜]")
_KINDS = "、".join(kind.value for kind in BodyKind)


def _quote(value: str) -> str:
    return f"“{clean_text(value, _VALUE)}”"


def _cell(value: str) -> str:
    """A cell as stored: trimmed, runs of whitespace (tabs, full-width spaces) made one space."""
    return " ".join(value.split())


def _code(value: str) -> str:
    """An id or a code as compared: full-width letters and digits made ASCII, trimmed."""
    return unicodedata.normalize("NFKC", value).strip()


@dataclass(slots=True)
class _Row:
    """One data row being checked; ``reasons`` collects every problem, not only the first."""

    line: int
    values: dict[str, str]
    roster_division: str
    reasons: list[str] = field(default_factory=list)

    def identifier(self, column: str, value: str) -> str | None:
        label = _ZH[column]
        if not value:
            return None
        if len(value) > MAX_ID:
            self.reasons.append(f"{label}超过{MAX_ID}个字符")
        elif any(ch.isspace() for ch in value):
            self.reasons.append(f"{label}{_quote(value)}中不能有空格")
        return value

    def name(self, value: str, label: str) -> None:
        if len(value) > MAX_NAME:
            self.reasons.append(f"{label}超过{MAX_NAME}个字符（{_quote(value)}）")
        elif not normalize_name(value):
            self.reasons.append(f"{label}{_quote(value)}中没有文字")

    def aliases(self, value: str, name: str) -> list[str]:
        aliases: list[str] = []
        keys = {normalize_name(name)}
        for alias in (_cell(a) for a in _ALIAS_SEPARATOR.split(value)):
            if not alias:
                continue
            self.name(alias, "别名")
            key = normalize_name(alias)
            if key and key not in keys:  # an alias equal to the name or to another alias adds nothing
                keys.add(key)
                aliases.append(alias)
        if len(aliases) > MAX_ALIASES:
            self.reasons.append(f"别名有{len(aliases)}个，超过{MAX_ALIASES}个的上限")
        return aliases

    def kind(self, value: str) -> BodyKind | None:
        text = _code(value)
        if not text:
            self.reasons.append("类型为空")
            return None
        try:
            return BodyKind(text)
        except ValueError:
            self.reasons.append(f"类型{_quote(value)}无法识别，应为{_KINDS}之一")
            return None

    def division(self, value: str) -> str | None:
        text = _code(value)
        if not text:
            self.reasons.append("区划代码为空")
            return None
        division = valid_division(text)
        if division is None:
            self.reasons.append(f"区划代码{_quote(value)}应为2至12位数字")
        elif not division.startswith(self.roster_division):
            self.reasons.append(f"区划代码{_quote(value)}不在本名册的区划“{self.roster_division}”之内")
            return None
        return division

    def flag(self, value: str) -> bool:
        text = _code(value).casefold()
        if text in _TRUE:
            return True
        if text not in _FALSE:
            self.reasons.append(f"汇总下级{_quote(value)}无法识别，应为 是/否、true/false 或 1/0")
        return False


def _unsafe(values: list[str]) -> str | None:
    text = "".join(values)
    if "\ufffd" in text:
        return "含有无法解码的字符（乱码）"
    if any(unicodedata.category(ch) in _UNSAFE_CATEGORIES for ch in text):
        return "含有控制字符或不可见的格式字符（如零宽空格）"
    return None


# --- the file ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Reader:
    roster: Roster
    columns: list[str | None]  # the field of each column; None: ignored
    ids: dict[str, int] = field(default_factory=dict)  # body_id -> first line it appears on
    keys: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)  # (division, key) -> line, name
    accepted: list[tuple[_Record, Body]] = field(default_factory=list)

    def reject(self, record: _Record, reason: str) -> None:
        self.roster.rejected.append(RejectedRow(line=record.line, text=clean_text(record.raw, _RAW), reason=reason))

    def read(self, record: _Record) -> None:
        reasons = self._shape(record)
        if reasons:
            self.reject(record, "；".join(reasons))
            return
        values = {
            column: _cell(cell) for column, cell in zip(self.columns, record.cells, strict=False) if column is not None
        }
        if unsafe := _unsafe(list(values.values())):
            self.reject(record, unsafe)
            return
        row = _Row(record.line, values, self.roster.division)
        body = self._body(row)
        if row.reasons or body is None:
            self.reject(record, "；".join(row.reasons))
            return
        self.accepted.append((record, body))

    def _shape(self, record: _Record) -> list[str]:
        if record.error:
            return [record.error]
        reasons = []
        if record.end > record.line:
            reasons.append(f"该行跨越第{record.line}至{record.end}行（单元格中有换行，或引号未闭合）")
        width, cells = len(self.columns), record.cells
        extra = cells[width:]
        if len(cells) < width or any(cell.strip() for cell in extra):
            reasons.append(f"列数不符：表头有{width}列，该行有{len(cells)}列")
        return reasons

    def _body(self, row: _Row) -> Body | None:
        values = row.values
        body_id = row.identifier("body_id", _code(values.get("body_id", "")))
        if body_id is None:
            row.reasons.append("机关编码为空")
        elif body_id.startswith("P:"):
            row.reasons.append("机关编码不能以“P:”开头（保留给名册之外的机关）")
        elif body_id in self.ids:
            row.reasons.append(f"机关编码{_quote(body_id)}与第{self.ids[body_id]}行重复")
        else:
            self.ids[body_id] = row.line
        name = values.get("name", "")
        if name:
            row.name(name, "机关名称")
        else:
            row.reasons.append("机关名称为空")
        aliases = row.aliases(values.get("aliases", ""), name)
        kind = row.kind(values.get("kind", ""))
        parent = row.identifier("parent_body_id", _code(values.get("parent_body_id", "")))
        if parent is not None and parent == body_id:
            row.reasons.append("上级机关编码不能是本机关自身")
        division = row.division(values.get("division", ""))
        sums_children = row.flag(values.get("sums_children", ""))
        if row.reasons or body_id is None or kind is None or division is None:
            return None
        self._distinct(row, division, [name, *aliases])
        if row.reasons:
            return None
        for key in {normalize_name(n) for n in [name, *aliases]}:
            self.keys[(division, key)] = (row.line, name)
        return Body(
            body_id=body_id,
            name=name,
            aliases=aliases,
            kind=kind,
            parent_body_id=parent,
            division=division,
            sums_children=sums_children,
        )

    def _distinct(self, row: _Row, division: str, names: list[str]) -> None:
        """Two bodies of one division whose names share a key could never be told apart."""
        for name in names:
            clash = self.keys.get((division, normalize_name(name)))
            if clash is not None:
                line, other = clash
                row.reasons.append(
                    f"名称或别名{_quote(name)}与第{line}行的机关{_quote(other)}相同（同一区划内无法区分）"
                )
                return

    def finish(self) -> None:
        """Accept the bodies, but for those on a cycle of parents."""
        cycles = _cycles({body.body_id: body.parent_body_id for _, body in self.accepted})
        for record, body in self.accepted:
            if body.body_id in cycles:
                self.reject(record, f"上级机关关系成环：{cycles[body.body_id]}")
            else:
                self.roster.bodies.append(body)
        self.roster.rejected.sort(key=lambda r: r.line)


def _cycles(parents: dict[str, str | None]) -> dict[str, str]:
    """The ids on a cycle of parents, each with the cycle written out (a → b → a)."""
    found: dict[str, str] = {}
    done: set[str] = set()
    for start in parents:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parents and node not in done and node not in path:
            path.append(node)
            node = parents[node]
        if node is not None and node in path:
            cycle = path[path.index(node) :]
            written = " → ".join(clean_text(n, _VALUE) for n in [*cycle, node])
            found.update(dict.fromkeys(cycle, written))
        done.update(path)
    return found


class _RefusedError(Exception):
    """The whole file cannot be used; the message (Chinese) says why."""


def _header(record: _Record) -> list[str | None]:
    """The field of each column (None: ignored)."""
    if record.error or record.end > record.line:
        raise _RefusedError(f"第{record.line}行的表头无法按 CSV 读取")
    cells = [cell.strip() for cell in record.cells]
    while cells and not cells[-1]:
        cells.pop()  # spreadsheets export trailing empty columns
    columns: list[str | None] = []
    unknown: list[str] = []
    problems: list[str] = []
    for position, cell in enumerate(cells, 1):
        key = _header_key(cell)
        column = _COLUMNS.get(key)
        if not key:
            problems.append(f"第{position}列没有列名")
        elif column is not None and column in columns:
            problems.append(f"列{_quote(cell)}重复")
        elif column is None and key not in _IGNORED:
            unknown.append(_quote(cell))
        columns.append(column)
    missing = [f"{column}（{_ZH[column]}）" for column in _REQUIRED if column not in columns]
    if missing:
        problems.append("缺少必需的列：" + "、".join(missing))
    if unknown:
        problems.append("无法识别的列：" + "、".join(unknown))
    if problems:
        raise _RefusedError(f"第{record.line}行的表头有误：{'；'.join(problems)}。可用的列为：{_column_list()}")
    return columns


def _text(data: bytes) -> tuple[str, str]:
    """The decoded file and its encoding."""
    if len(data) > MAX_BYTES:
        size = f"{len(data) / MB:.1f} MB"
        raise _RefusedError(f"名册文件有 {size}，超过 {MAX_BYTES // MB} MB 的上限；请按区划拆分后分别上传")
    try:
        text, encoding = decode(data)
    except ExtractError as exc:
        raise _RefusedError(f"{exc}；请将名册另存为 UTF-8 或 GB18030 编码的 CSV 文件") from None
    text = text.removeprefix("\ufeff")
    if text.count("\ufffd") > _MAX_REPLACED * max(len(text), 1):
        raise _RefusedError(f"名册按 {encoding} 解码后乱码过多；请将名册另存为 UTF-8 或 GB18030 编码的 CSV 文件")
    return text, encoding


def parse_roster(data: bytes, division: str) -> Roster:
    """Read a roster uploaded as ``rosters/<division>.csv``. Never raises on bad input: rows that
    cannot be used are ``rejected``; a file that cannot be used at all is ``refused`` (no bodies)."""
    own = valid_division(division)
    roster = Roster(division=own or clean_text(division, _VALUE))
    try:
        if own is None:
            raise _RefusedError(f"名册文件名中的区划代码{_quote(division)}应为2至12位数字")
        text, roster.encoding = _text(data)
        records = [record for record in _records(text, _delimiter(text)) if not record.blank]
        if not records:
            raise _RefusedError("名册为空：没有表头，也没有机关")
        columns = _header(records[0])
        roster.rows = len(records) - 1
        if roster.rows > MAX_ROWS:
            raise _RefusedError(f"名册有 {roster.rows} 行，超过 {MAX_ROWS} 行的上限；请按区划拆分后分别上传")
        reader = _Reader(roster, columns)
        for record in records[1:]:
            reader.read(record)
        reader.finish()
    except _RefusedError as refusal:
        roster.refused = str(refusal)
        roster.bodies.clear()
        roster.rejected.clear()
    return roster
