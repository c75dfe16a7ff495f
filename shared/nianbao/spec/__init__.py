"""The report formats as data: sections, tables, rows, columns, label variants and relations.

The parser and the rules read this package; nothing else repeats what it says.
"""

from nianbao.spec.formats import (
    FORMAT_2019,
    FORMAT_2021,
    FORMATS,
    Equation,
    FormatSpec,
    FormatVersion,
    Relation,
    Term,
    format_for_year,
    relations,
)
from nianbao.spec.sections import ORDINALS, SECTIONS, SectionSpec, section
from nianbao.spec.tables import (
    TABLE3_ALL_ROWS,
    TABLE3_APPLICANT_COLUMNS,
    TABLE3_COLUMNS,
    TABLE4,
    TABLE4_ROW,
    BlockSpec,
    ColumnSpec,
    RowSpec,
    Table2Spec,
    Table3Spec,
    Table4Spec,
    ValueKind,
)

__all__ = [
    "FORMATS",
    "FORMAT_2019",
    "FORMAT_2021",
    "ORDINALS",
    "SECTIONS",
    "TABLE3_ALL_ROWS",
    "TABLE3_APPLICANT_COLUMNS",
    "TABLE3_COLUMNS",
    "TABLE4",
    "TABLE4_ROW",
    "BlockSpec",
    "ColumnSpec",
    "Equation",
    "FormatSpec",
    "FormatVersion",
    "Relation",
    "RowSpec",
    "SectionSpec",
    "Table2Spec",
    "Table3Spec",
    "Table4Spec",
    "Term",
    "ValueKind",
    "format_for_year",
    "relations",
    "section",
]
