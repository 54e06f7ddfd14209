"""A department's 随机抽查事项清单 from the CSV or Excel file it publishes.

The columns are the lists' own: 事项编号 (or 序号), 抽查事项, 检查依据, 检查对象, 检查方式, 抽查比例,
抽查频次. Every bad row is reported with the row number Excel shows; nothing is registered from a
file with errors (the caller's rule, as for the directories).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from adapters.importing.readers import _load, find_header, read_rows
from adapters.importing.report import ImportReport
from adapters.importing.rows import Column, Sheet, cell_text
from domain.item_catalogue import ListedItem
from domain.publicity import InspectionMethod


def _parse(cells: Mapping[str, object], context: Mapping[str, object]) -> ListedItem:
    return ListedItem(
        code=cell_text(cells.get("code")),
        name=cell_text(cells.get("name")),
        legal_basis=cell_text(cells.get("legal_basis")),
        subject=cell_text(cells.get("subject")),
        methods=InspectionMethod.parse_all(cell_text(cells.get("methods")), "methods"),
        ratio=cell_text(cells.get("ratio")),
        frequency=cell_text(cells.get("frequency")),
    )


ITEMS: Sheet[ListedItem] = Sheet(
    what="抽查事项清单",
    columns=(
        Column("code", "事项编号", ("编号", "事项代码"), fallbacks=("序号",)),
        Column("name", "抽查事项", ("事项名称", "抽查事项名称", "检查事项")),
        Column("legal_basis", "检查依据", ("抽查依据", "依据")),
        Column("subject", "检查对象", ("抽查对象",)),
        Column("methods", "检查方式", ("抽查方式", "核查方式")),
        Column("ratio", "抽查比例", (), required=False),
        Column("frequency", "抽查频次", (), required=False),
    ),
    key="code",
    parse=_parse,
    normalise_key=str.strip,
)


def read_item_list(path: Path) -> ImportReport[ListedItem]:
    """随机抽查事项清单 from a .csv or .xlsx file."""
    rows = _load(path)
    header_index, positions = find_header(path, rows, ITEMS)
    return read_rows(rows, ITEMS, header_index, positions, {})
