"""Row labels printed with a character wrong: the row is still the row it stands for.

Published tables carry typos ("予以公幵", "属于国家泌密"). A misprinted label in its place in the
table is that row, read cell for cell, with LABEL_NONSTANDARD (info) quoting it; never
ROW_MISSING and lost numbers.
"""

from __future__ import annotations

import random

import pytest

from nianbao.contract import report_dict
from nianbao.normalize import display, squeeze
from nianbao.spec import FormatVersion
from tests.conftest import check_text
from tests.synth import Layout, random_truth
from tests.synth.render import Renderer

pytestmark = pytest.mark.unit


def _table3(truth) -> dict[str, list[int | None]]:
    return truth.expected_tables()["table3"]  # type: ignore[no-any-return]


def _misprinted_report(seed: int, layout: Layout, version: FormatVersion):
    rng = random.Random(seed)
    truth = random_truth(rng, version=version, busy=rng.random())
    renderer = Renderer(truth, layout, random.Random(seed), misprints=rng.randint(1, 3))
    return truth, renderer.render(), renderer.misprinted


@pytest.mark.parametrize("layout", list(Layout))
@pytest.mark.parametrize("version", [FormatVersion.V2019, FormatVersion.V2021])
def test_a_misprinted_row_label_keeps_its_row_and_numbers(layout, version):
    for seed in range(12):
        # Given a report whose Table 3 prints one to three row labels with a character wrong
        truth, text, misprinted = _misprinted_report(seed, layout, version)
        assert misprinted
        # When it is checked
        result = check_text(text)
        # Then every cell is read back, no row is missing, and each misprint is quoted as such
        assert report_dict(result)["tables"] == truth.expected_tables(), (seed, misprinted)
        codes = [f.code for f in result.findings]
        assert "ROW_MISSING" not in codes, (seed, misprinted)
        noted = {
            f.location.row: f.evidence
            for f in result.findings
            if f.code == "LABEL_NONSTANDARD" and f.location.table == "table3"
        }
        for row, label in misprinted.items():
            assert noted.get(row) == display(squeeze(label)), (seed, row, noted)
        assert not [f for f in result.findings if f.severity == "error"], (seed, misprinted)


def test_the_misprint_is_quoted_in_the_finding():
    # Given the Table 3 of a real-format report whose 予以公开 row is printed 予以公幵
    rng = random.Random(5)
    truth = random_truth(rng, version=FormatVersion.V2021, year=2023)
    text = Renderer(truth, Layout.TABS, random.Random(5), variants=False, half_width=False).render()
    text = text.replace(" ", "").replace("\t（一）予以公开\t", "\t（一）予以公幵\t", 1)  # no stray spaces
    assert "予以公幵" in text
    # When it is checked
    result = check_text(text)
    # Then the row keeps its numbers and the office is told of the wording, as information
    notes = [f for f in result.findings if f.code == "LABEL_NONSTANDARD" and f.location.row == "granted"]
    assert [n.message for n in notes] == ["表三的行“（一）予以公幵”与标准格式的“（一）予以公开”措辞不同。"]
    assert notes[0].severity == "info"
    assert report_dict(result)["tables"]["table3"]["granted"] == _table3(truth)["granted"]


@pytest.mark.parametrize(
    ("printed", "row"),
    [
        ("1.属于国家泌密", "denied_1"),
        ("2.重夏申请", "refused_2"),
        ("1.本机关不拿握相关政府信息", "unable_1"),
        ("二、上年接转政府信息公开申请数量", "carried_in"),
    ],
)
def test_each_hand_typed_misprint_lands_on_its_row(printed, row):
    # Given the standard label of ``row`` replaced by a misprint typed by hand
    rng = random.Random(11)
    truth = random_truth(rng, version=FormatVersion.V2021, year=2023)
    text = Renderer(truth, Layout.TABS, random.Random(11), variants=False, half_width=False).render()
    text = text.replace(" ", "")  # the renderer's stray spaces (tabs separate the cells)
    standard = {
        "denied_1": "1.属于国家秘密",
        "refused_2": "2.重复申请",
        "unable_1": "1.本机关不掌握相关政府信息",
        "carried_in": "二、上年结转政府信息公开申请数量",
    }[row]
    assert standard in text
    result = check_text(text.replace(standard, printed, 1))
    # Then that row is read with its numbers and no row is missing
    assert report_dict(result)["tables"]["table3"][row] == _table3(truth)[row]
    assert "ROW_MISSING" not in {f.code for f in result.findings}


def test_a_row_truly_missing_is_still_missing_next_to_a_misprint():
    # Given a table that leaves out 2.重复申请 and misprints the row after it
    rng = random.Random(4)
    truth = random_truth(rng, version=FormatVersion.V2021, year=2023)
    text = Renderer(truth, Layout.TABS, random.Random(4), variants=False, half_width=False).render()
    lines = text.replace(" ", "").splitlines()
    lines = [line for line in lines if "2.重复申请" not in line]
    assert len(lines) == len(text.splitlines()) - 1
    text = "\n".join(lines).replace("3.要求提供公开出版物", "3.要求提供公开出版初", 1)
    assert "出版初" in text
    # When it is checked
    result = check_text(text)
    # Then the missing row is named, and the misprinted one is not taken for it
    missing = [f.location.row for f in result.findings if f.code == "ROW_MISSING"]
    assert missing == ["refused_2"]
    assert report_dict(result)["tables"]["table3"]["refused_3"] == _table3(truth)["refused_3"]


def test_a_misprint_goes_to_the_row_it_resembles_most_not_the_first_due():
    # Given a table without its 本年新收 row, whose 上年结转 row is misprinted 上年接转: the two
    # labels differ in two characters only, and 本年新收 is the row due first
    rng = random.Random(8)
    truth = random_truth(rng, version=FormatVersion.V2021, year=2023)
    text = Renderer(truth, Layout.TABS, random.Random(8), variants=False, half_width=False).render().replace(" ", "")
    lines = [line for line in text.splitlines() if not line.startswith("一、本年新收")]
    assert len(lines) == len(text.splitlines()) - 1
    text = "\n".join(lines).replace("二、上年结转政府信息", "二、上年接转政府信息", 1)
    # When it is checked
    result = check_text(text)
    # Then the misprinted row is 上年结转 with its numbers, and 本年新收 is the row missing
    assert report_dict(result)["tables"]["table3"]["carried_in"] == _table3(truth)["carried_in"]
    assert [f.location.row for f in result.findings if f.code == "ROW_MISSING"] == ["new"]
