"""Properties over random synthetic reports in every layout (hypothesis)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.contract import report_dict
from nianbao.rules.catalog import layout_spec
from nianbao.spec import TABLE3_COLUMNS, TABLE4, TABLE4_ROW, FormatVersion, relations
from tests.conftest import check_text
from tests.synth import Layout, Truth, blank_cells, only_totals, random_truth, render_text

pytestmark = pytest.mark.unit

BALANCE = ("T3_APPLICATION_BALANCE", "T3_RESULTS_TOTAL", "T3_ROW_TOTAL", "T4_TOTAL")
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

seeds = st.integers(min_value=0, max_value=2**32 - 1)
layouts = st.sampled_from(list(Layout))
versions = st.sampled_from([FormatVersion.V2019, FormatVersion.V2021])
blank_modes = st.sampled_from(["none", "interior", "placeholders", "totals"])


def truth_for(seed: int, version: FormatVersion, blanks: str) -> Truth:
    rng = random.Random(seed)
    truth = random_truth(rng, version=version, busy=rng.random())
    if blanks == "interior":
        truth = blank_cells(truth, rng, share=0.25, placeholders=False)
    elif blanks == "placeholders":
        truth = blank_cells(truth, rng, share=0.25, placeholders=True)
    elif blanks == "totals":
        truth = only_totals(truth)
    return truth


def balance_findings(truth: Truth, layout: Layout, seed: int) -> set[tuple[str, str | None, str | None]]:
    result = check_text(render_text(truth, layout, random.Random(seed)))
    return {(f.code, f.location.row, f.location.column) for f in result.findings if f.code in BALANCE}


@PROFILE
@given(seed=seeds, version=versions, layout=layouts, blanks=blank_modes)
def test_every_cell_is_read_back_in_every_layout(seed, version, layout, blanks):
    # Given a report with known cells, rendered in one of the layouts real reports come in
    truth = truth_for(seed, version, blanks)
    result = check_text(render_text(truth, layout, random.Random(seed)))
    # Then every cell of every table is recovered exactly, and the metadata with them
    assert report_dict(result)["tables"] == truth.expected_tables()
    assert (result.report.year, result.report.format, result.report.agency) == (truth.year, version, truth.agency)
    assert set(result.report.sections) == set(truth.sections)


@PROFILE
@given(seed=seeds, version=versions, layout=layouts, blanks=blank_modes)
def test_a_balanced_report_gives_no_balance_finding(seed, version, layout, blanks):
    truth = truth_for(seed, version, blanks)
    assert balance_findings(truth, layout, seed) == set()


def equations_reading(truth: Truth, table: str, row: str, column: str) -> set[tuple[str, str | None, str | None]]:
    """Every equation of the spec that reads cell (row, column): what a change there must break."""
    spec = layout_spec_for(truth)
    return {
        (relation.code, eq.row, eq.column)
        for relation in relations(spec.table3)
        if relation.table == table
        for eq in relation.equations
        if any((t.row, t.column) == (row, column) for t in (*eq.stated, *eq.parts))
    }


def layout_spec_for(truth: Truth):
    class _Report:
        format = truth.version
        year = truth.year

    return layout_spec(_Report)  # type: ignore[arg-type]


@PROFILE
@given(
    seed=seeds,
    version=versions,
    layout=layouts,
    delta=st.sampled_from([-3, -1, 1, 2, 7]),
    pick=st.integers(min_value=0, max_value=10_000),
    in_table4=st.booleans(),
)
def test_perturbing_one_cell_breaks_exactly_the_relations_it_takes_part_in(
    seed, version, layout, delta, pick, in_table4
):
    truth = truth_for(seed, version, "none")
    if in_table4:
        index = pick % len(TABLE4.columns)
        table, row, column = "table4", TABLE4_ROW, TABLE4.columns[index].key
        current = truth.table4[index]
    else:
        keys = list(truth.table3)
        row = keys[pick % len(keys)]
        index = (pick // len(keys)) % len(TABLE3_COLUMNS)
        table, column = "table3", TABLE3_COLUMNS[index].key
        current = truth.table3[row][index]
    assert isinstance(current, int)
    value = current + delta if current + delta >= 0 else current + abs(delta)
    changed = truth.with_cell(table, None if in_table4 else row, index, value)
    assert balance_findings(changed, layout, seed) == equations_reading(truth, table, row, column)
