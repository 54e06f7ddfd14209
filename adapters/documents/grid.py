"""The printed table every 台账 and 记录表 is: a title, a few lines saying what it is of, a header
(with departments' bands above their columns where a table has them), bordered rows, and the
lines a clerk signs. One `Grid` is written both as an XLSX sheet (openpyxl, widths and page
set for print) and as typst markup for its PDF, so the two never say different things.

Nothing here reads a clock or an unordered set: the press (press.py) packages the workbook and
compiles the typst with the document's own date, so the same log gives the same bytes. User
text reaches typst as data (data.json), never as source.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

FONT = "宋体"
"""What a county office's Excel shows Chinese in; the PDF embeds Noto instead."""
THIN = Side(style="thin", color="000000")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    """In Excel's characters (one Chinese character is about two)."""
    centred: bool = False


@dataclass(frozen=True)
class Band:
    """A header over `span` columns (a department over its 执法人员 and 手机号码); an empty
    label leaves its columns' own headers standing over both header rows."""

    label: str
    span: int


@dataclass(frozen=True)
class Grid:
    title: str
    sheet: str
    """The sheet's name in the workbook (Excel allows 31 characters)."""
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    meta: tuple[str, ...] = ()
    """Lines under the title: what task, which department, as of when."""
    bands: tuple[Band, ...] = ()
    footer: tuple[str, ...] = ()
    """Lines under the table: who filled it in, the date, the note of what it was made from."""
    landscape: bool = True
    empty: str = "（无记录）"
    """What the table says when there is no row, so that an empty table is not mistaken for a
    page cut off; none when empty (a table to be read back, where it would be a row)."""
    notes: tuple[str, ...] = field(default=())
    """说明 printed under the table (e.g. what a blank 联系电话 means)."""
    meta_above: bool = False
    """The lines go above the title (附件1 over a plan's table, as the county prints it)."""

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"{self.title}: 行有 {len(row)} 列，表头有 {len(self.columns)} 列")
        if self.bands and sum(b.span for b in self.bands) != len(self.columns):
            raise ValueError(f"{self.title}: 表头分组的列数与表头不符")

    def as_record(self) -> dict[str, Any]:
        """The grid as plain facts (what a document's `gather` returns and its PDF reads)."""
        return {
            "title": self.title,
            "sheet": self.sheet,
            "columns": [
                {"header": c.header, "width": c.width, "centred": c.centred} for c in self.columns
            ],
            "rows": [list(row) for row in self.rows],
            "meta": list(self.meta),
            "bands": [{"label": b.label, "span": b.span} for b in self.bands],
            "footer": list(self.footer),
            "landscape": self.landscape,
            "empty": self.empty,
            "notes": list(self.notes),
            "meta_above": self.meta_above,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Grid:
        return cls(
            title=str(record["title"]),
            sheet=str(record["sheet"]),
            columns=tuple(
                Column(str(c["header"]), float(c["width"]), bool(c["centred"]))
                for c in record["columns"]
            ),
            rows=tuple(tuple(str(v) for v in row) for row in record["rows"]),
            meta=tuple(record["meta"]),
            bands=tuple(Band(str(b["label"]), int(b["span"])) for b in record["bands"]),
            footer=tuple(record["footer"]),
            landscape=bool(record["landscape"]),
            empty=str(record["empty"]),
            notes=tuple(record["notes"]),
            meta_above=bool(record.get("meta_above", False)),
        )


# ---------------------------------------------------------------------------- XLSX
def workbook(grids: Sequence[Grid]) -> Workbook:
    """One sheet per grid; the press packages it reproducibly (press.xlsx)."""
    book = Workbook()
    first = book.active
    if first is not None:
        book.remove(first)
    for grid in grids:
        _write_sheet(book.create_sheet(grid.sheet[:31]), grid)
    return book


def _write_sheet(sheet: Worksheet, grid: Grid) -> None:
    last = get_column_letter(len(grid.columns))
    width = len(grid.columns)
    row = 0
    above, below = (grid.meta, ()) if grid.meta_above else ((), grid.meta)
    for line in above:
        row += 1
        sheet.merge_cells(f"A{row}:{last}{row}")
        sheet.cell(row, 1, line).font = Font(name=FONT, size=11)
    row += 1
    sheet.merge_cells(f"A{row}:{last}{row}")
    cell = sheet.cell(row, 1, grid.title)
    cell.font = Font(name=FONT, size=16, bold=True)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[row].height = 32
    for line in below:
        row += 1
        sheet.merge_cells(f"A{row}:{last}{row}")
        sheet.cell(row, 1, line).font = Font(name=FONT, size=11)
    header_top = row + 1
    if grid.bands:
        row += 1
        column = 1
        for band in grid.bands:
            end = column + band.span - 1
            if band.label:
                sheet.merge_cells(start_row=row, start_column=column, end_row=row, end_column=end)
                sheet.cell(row, column, band.label)
            else:
                for c in range(column, end + 1):
                    sheet.merge_cells(start_row=row, start_column=c, end_row=row + 1, end_column=c)
                    sheet.cell(row, c, grid.columns[c - 1].header)
            column = end + 1
    row += 1
    for c, col in enumerate(grid.columns, start=1):
        if sheet.cell(row, c).coordinate not in sheet.merged_cells:
            sheet.cell(row, c, col.header)
    for r in range(header_top, row + 1):
        for c in range(1, width + 1):
            head = sheet.cell(r, c)
            head.font = Font(name=FONT, size=11, bold=True)
            head.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            head.border = BOX
            head.fill = HEADER_FILL
    header_bottom = row
    body = grid.rows or (((grid.empty, *[""] * (width - 1)),) if grid.empty else ())
    for values in body:
        row += 1
        for c, (value, col) in enumerate(zip(values, grid.columns, strict=True), start=1):
            cell = sheet.cell(row, c, value)
            cell.font = Font(name=FONT, size=10)
            cell.border = BOX
            cell.alignment = Alignment(
                horizontal="center" if col.centred else "left", vertical="center", wrap_text=True
            )
    if body and not grid.rows:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
    for line in (*grid.notes, *grid.footer):
        row += 1
        sheet.merge_cells(f"A{row}:{last}{row}")
        sheet.cell(row, 1, line).font = Font(name=FONT, size=10)
    for c, col in enumerate(grid.columns, start=1):
        sheet.column_dimensions[get_column_letter(c)].width = col.width
    sheet.freeze_panes = sheet.cell(header_bottom + 1, 1)
    sheet.print_title_rows = f"{header_top}:{header_bottom}"
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = "landscape" if grid.landscape else "portrait"
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6


# ---------------------------------------------------------------------------- typst
TABLE = r"""
// A grid of grid.py, read from data: title, lines, table (bands above), notes, footer.
#let grid-table(g) = {
  let cols = g.columns
  let total = cols.map(c => c.width).sum()
  let head(body, ..args) = table.cell(fill: luma(235), align: center + horizon, ..args, strong(body))
  let cells = ()
  if g.bands.len() == 0 {
    cells = cols.map(c => head(c.header))
  } else {
    let i = 0
    for b in g.bands {
      if b.label == "" {
        for c in cols.slice(i, i + b.span) { cells.push(head(c.header, rowspan: 2)) }
      } else {
        cells.push(head(b.label, colspan: b.span))
      }
      i += b.span
    }
    i = 0
    for b in g.bands {
      if b.label != "" {
        for c in cols.slice(i, i + b.span) { cells.push(head(c.header)) }
      }
      i += b.span
    }
  }
  let body = if g.rows.len() == 0 and g.empty == "" { () } else if g.rows.len() == 0 {
    (table.cell(colspan: cols.len(), align: center, g.empty),)
  } else {
    g.rows.flatten().map(v => v.split("\n").join(linebreak()))
  }
  if g.meta_above { for line in g.meta { block(spacing: 0.45em, text(size: 10pt, line)) } }
  if g.title != "" { form-title(g.title) }
  if not g.meta_above { for line in g.meta { block(spacing: 0.45em, text(size: 10pt, line)) } }
  v(0.3em)
  table(
    columns: cols.map(c => c.width / total * 100%),
    align: cols.map(c => if c.centred { center + horizon } else { left + horizon }),
    inset: (x: 4pt, y: 4pt),
    table.header(repeat: true, ..cells),
    ..body,
  )
  for line in g.notes { block(spacing: 0.45em, text(size: 9pt, line)) }
  if g.footer.len() > 0 { v(0.8em) }
  for line in g.footer { block(spacing: 0.45em, text(size: 10pt, line)) }
}
"""

TEMPLATE = (
    '#import "ssj.typ": *\n#let data = json("data.json")\n'
    + TABLE
    + r"""
#show: house.with(title: data.title)
#set page(flipped: data.landscape, margin: if data.landscape {
  (top: 1.6cm, bottom: 3cm, x: 1.5cm)
} else { (top: 2cm, bottom: 3cm, x: 1.8cm) })
#set text(size: 9pt)
#set par(justify: false)
#grid-table(data)
"""
)
"""The PDF of one grid: the house style, landscape where the grid is wide."""
