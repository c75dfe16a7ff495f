import pytest

from nianbao.extract import lines_from_text
from nianbao.parse.tables import build_table2, is_standard, last_segment, parse_table3, parse_table4, read_table2
from nianbao.spec import FORMAT_2019, FORMAT_2021, TABLE4_ROW

pytestmark = pytest.mark.unit


def t3(text: str):
    lines = lines_from_text(text)
    table, _ = parse_table3(lines, 0, len(lines), 3)
    return table


def test_last_segment_cuts_at_the_last_ordinal():
    assert last_segment("三、本年度办理结果(一)予以公开") == "(一)予以公开"
    assert last_segment("(三)不予公开1.属于国家秘密") == "1.属于国家秘密"
    assert last_segment("理其政府信息公开申请请3.其他") == "3.其他"
    assert (
        last_segment("部分公开(区分处理的,只计这一情形,不计其他情形)")
        == "部分公开(区分处理的,只计这一情形,不计其他情形)"
    )


def test_rows_are_recognised_however_labels_wrap():
    # Given seed 004's layout: a group label one character per line, labels wrapped before values,
    # and the tail of one label printed after its values
    text = "\n".join(
        [
            "申请人情况", "自然", "人", "总计",
            "一、本年新收政府信息公开申请数量 1 0 0 0 0 0 1",
            "三", "、", "本", "年", "度", "办", "理", "结", "果",
            "（一）予以公开 1 0 0 0 0 0 1",
            "2.其他法律行政法规", "禁止公开", "0 0 0 0 0 0 0",
            "2.申请人逾期未按收", "费通知要求缴纳费", "用、行政机关不再处", "0 0 0 0 0 0 0",
            "理其政府信息公开申", "请",
            "3.其他 0 0 0 0 0 0 0",
            "四、结转下年继续办理 0 0 0 0 0 0 0",
            "五、存在的主要问题及改进情况",
        ]
    )  # fmt: skip
    table = t3(text)
    assert list(table.rows) == ["new", "granted", "denied_2", "other_2", "other_3", "carried_out"]
    assert table.rows["granted"].values() == [1, 0, 0, 0, 0, 0, 1]
    assert table.rows["denied_2"].origin.line == 18  # the line holding the values, not the label
    # a wording variant is noted, a wrapped standard label is not
    assert [(n.row, n.printed) for n in table.notes] == [("carried_out", "四、结转下年继续办理")]


def test_table3_stops_after_the_carried_out_row():
    text = "四、结转下年度继续办理\t0\t0\t0\t0\t0\t0\t0\n后文\t1\t2\n"
    lines = lines_from_text(text)
    table, end = parse_table3(lines, 0, len(lines), 3)
    assert end == 1
    assert list(table.rows) == ["carried_out"]


def test_2019_other_row_and_2021_sub_items_are_told_apart():
    assert list(t3("(六) 其他处理\t0\t0\t0\t0\t0\t0\t0").rows) == ["other"]
    text = "\t(六) 其他处理\t1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请\t0\t0\t0\t0\t0\t0\t0"
    assert list(t3(text).rows) == ["other_1"]


def test_nonstandard_column_labels_are_noted():
    table = t3(
        "\t\t商业企业\t科研机构\t社会组织\t法律服务机构\t其他\n一、本年新收政府信息公开申请数量\t0\t0\t0\t0\t0\t0\t0"
    )
    assert [(n.column, n.printed, n.standard) for n in table.notes] == [("public_welfare", "社会组织", "社会公益组织")]


def test_is_standard_accepts_wraps_but_not_rewordings():
    assert is_standard("(一)予以公开", "（一）予以公开")
    assert is_standard(
        "1.申请人无正当理由逾期不补正、", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"
    )
    assert not is_standard("3.危三安全--稳定", "3.危及“三安全一稳定”")


def test_table4_read_over_several_lines():
    lines = lines_from_text("行政复议\n1 0 0 0 1\n0 0 0 0 0\n0 0 0 1 1\n这是正文。")
    table, end = parse_table4(lines, 0, len(lines), 4)
    assert table.rows[TABLE4_ROW].values() == [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    assert end == 4


def test_table4_with_no_numbers_has_no_values():
    lines = lines_from_text("行政复议\t行政诉讼\n------\t------\n")
    table, _ = parse_table4(lines, 0, len(lines), 4)
    assert not table.has_values


def test_table2_blocks_map_rows_to_the_formats_columns():
    text = "\n".join(
        [
            "第二十条第（一）项\t\t\t",
            "信息内容\t本年制发件数\t本年废止件数\t现行有效件数",
            "规章\t1\t0\t5",
            "规范性文件\t2\t1\t9",
            "第二十条第（五）项\t\t\t",
            "行政许可\t34\t\t",
            "第二十条第（八）项",
            "行政事业性收费 12.50",
        ]
    )
    lines = lines_from_text(text)
    raw = read_table2(lines, 0, len(lines))
    table = build_table2(raw, FORMAT_2021.table2, 2)
    assert {k: r.values() for k, r in table.rows.items()} == {
        "regulations": [1, 0, 5],
        "normative_documents": [2, 1, 9],
        "licensing": [34],
        "fees": [pytest.approx(12.5)],
    }
    assert [n.printed for n in table.notes] == ["规范性文件"]


def test_table2_2019_blocks_keep_blank_cells_in_place():
    text = "第二十条第(五)项\n信息内容\t上一年项目数量\t本年增/减\t处理决定数量\n行政许可\t\t-1\t5\n"
    lines = lines_from_text(text)
    table = build_table2(read_table2(lines, 0, len(lines)), FORMAT_2019.table2, 2)
    assert table.rows["licensing"].values() == [None, -1, 5]
