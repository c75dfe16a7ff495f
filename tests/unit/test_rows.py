import pytest

from nianbao.extract import Line
from nianbao.model import CellKind
from nianbao.parse.rows import MAX_PLACEMENTS, Layout, PrintedRow, place, split_row

pytestmark = pytest.mark.unit


def line(text: str) -> Line:
    return Line(1, text, text.split("\t") if "\t" in text else None)


def row_of(text: str) -> PrintedRow:
    row = split_row(line(text))
    assert row is not None
    return row


def test_split_tab_row_into_label_and_values():
    row = split_row(line("\t(三) 不予公开\t1. 属于国家秘密\t0\t1\t\t2"))
    assert row is not None
    assert row.label == "(三) 不予公开1. 属于国家秘密"
    assert row.values == ["0", "1", "", "2"]
    assert row.explicit
    assert row.has_interior_blank


def test_split_space_row_joins_a_number_with_its_unit():
    row = split_row(line("政府集中采购 16 816.44 万元"))
    assert row is not None
    assert row.values == ["16", "816.44万元"]
    assert row.label == "政府集中采购"
    assert not row.explicit


def test_lines_without_values_are_not_rows():
    assert split_row(line("信息内容\t本年制发件数\t本年废止件数")) is None
    assert split_row(line("2.其他法律行政法规")) is None
    assert split_row(line("四 无 法 提 供")) is None  # a placeholder-looking word inside a label


def test_exact_row_is_placed_as_printed():
    row = row_of("一、本年新收\t\t1\t0\t0\t0\t0\t0\t1\t")  # a trailing tab, as exporters leave
    placements, printed = place(row, 7, Layout(label_columns=3, keeps_blanks=False))
    assert printed == 7
    assert len(placements) == 1
    assert [c.value for c in placements[0]] == [1, 0, 0, 0, 0, 0, 1]


def test_a_table_that_keeps_blanks_right_aligns_short_rows():
    # Given seed 003's layout: only the 总计 column printed, the empty fields before it kept
    row = row_of("一、本年新收\t\t\t\t\t\t\t\t0\t")
    layout = Layout.of([row])
    assert layout.keeps_blanks
    placements, printed = place(row, 7, layout)
    assert printed == 7
    assert [c.kind for c in placements[0]] == [CellKind.BLANK] * 6 + [CellKind.NUMBER]


def test_a_dense_table_short_row_is_ambiguous_with_every_placement():
    # Given seed 002: six numbers printed where seven are due, nothing telling which is missing
    row = row_of("三、本年度办理结果\t(一) 予以公开\t6\t0\t0\t0\t0\t0")
    placements, printed = place(row, 7, Layout(label_columns=2, keeps_blanks=False))
    assert printed == 6
    assert len(placements) == 7
    gaps = {next(i for i, c in enumerate(p) if c.kind is CellKind.MISSING) for p in placements}
    assert gaps == set(range(7))


def test_too_many_values_drop_one_each_way_and_identical_placements_merge():
    row = row_of("\t".join(["0"] * 16))
    placements, printed = place(row, 15, Layout(0, False))
    assert printed == 16
    assert len(placements) == 1  # every way of dropping a zero gives the same row


def test_rows_with_too_many_placements_are_unplaceable():
    row = row_of("1 2")
    placements, _ = place(row, 15, Layout(0, False))
    assert len(placements) == 1  # C(15, 2) = 105 > MAX_PLACEMENTS
    assert all(c.kind is CellKind.MISSING for c in placements[0])
    assert MAX_PLACEMENTS < 105
