"""A 抽查工作计划 from the workbook an office keeps, laid out as the county's tables are.

    plan = read_plan_workbook(Path("2024年度抽查计划.xlsx"), vocabulary, names)
    if not plan.ok:
        print(plan.render())   # 工作表「附件1」第 3 行 ratio（抽查比例及频次）：未写明抽查比例…

Each sheet whose header has 抽查任务名称, 抽查事项, 抽查对象范围, 抽查比例及频次, 抽查起止时间 is a
table of the plan: with 配合部门 it is the 部门联合 plan (发起部门 leads), without it the 内部 plan
(抽查检查主体, else 发起主体/指导单位, leads; 抽查类型 定向 takes every target). A title above the
header may give the plan's year (“2024年度”); the tables together are one plan, as the county's
document (城教函字〔2024〕4号) is one plan with two attachments. Two optional sheets say what the
tables' words mean: 「部门」(部门名称, 部门代码) and 「对象范围」(抽查对象范围, 类别, 区域, 标签).

Every bad cell is reported, each with its sheet, row and column; the caller registers nothing
from a workbook with errors.
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from adapters.importing import plan_cells
from adapters.importing.errors import HeaderError, ImportFileError, UnreadableFileError
from adapters.importing.plan_cells import CellError, Departments, ScopeWords, Vocabulary
from adapters.importing.readers import Row, find_header, header_name, read_rows
from adapters.importing.report import ImportReport
from adapters.importing.rows import CELL_ERROR, Column, Sheet, cell_text, reason_of
from adapters.plan_file import PlanFile, PlanItem, PlanScope, PlanTask
from domain.errors import InvalidValueError
from domain.values import department_code

JOINT_PREFIX, INTERNAL_PREFIX = "J", "N"
"""Item codes: J1-2 is item 2 of row 序号 1 of the 部门联合 plan, N1-1 of the 内部 plan."""


@dataclass(frozen=True)
class SheetReport:
    sheet: str
    report: ImportReport[Any]


@dataclass(frozen=True)
class PlanWorkbook:
    """What the workbook says, and everything wrong in it."""

    path: Path
    title: str
    year: int | None
    department: str | None
    document: str
    tasks: tuple[PlanTask, ...]
    sheets: tuple[SheetReport, ...]
    problems: tuple[str, ...] = ()
    """What is wrong with the workbook as a whole (no year, tasks of several departments…)."""

    @property
    def ok(self) -> bool:
        return not self.problems and all(s.report.ok for s in self.sheets)

    def plan(self) -> PlanFile:
        """The plan as `ssj plan create` registers one; only for a workbook without errors."""
        if not self.ok or self.year is None or self.department is None:
            raise ImportFileError(self.path, "工作簿有错误，不能登记：\n" + self.render())
        return PlanFile(
            department=self.department,
            year=self.year,
            title=self.title,
            document=self.document,
            definitions=[task.to_definition() for task in self.tasks],
        )

    def render(self) -> str:
        lines = list(self.problems)
        for sheet in self.sheets:
            lines.append(f"工作表「{sheet.sheet}」：" + sheet.report.render())
        return "\n".join(lines)


# ---------------------------------------------------------------------------- the sheets
def _columns(*columns: Column) -> tuple[Column, ...]:
    return columns


PLAN_COLUMNS = _columns(
    Column("number", "序号", ("编号",), required=False, counts_as_content=False),
    Column("name", "抽查任务名称", ("任务名称",)),
    Column("kind", "抽查类型", required=False),
    Column("items", "抽查事项", ("抽查内容",)),
    Column("scope", "抽查对象范围", ("抽查对象", "对象范围")),
    Column("ratio", "抽查比例及频次", ("抽查比例和频次", "抽查比例", "比例及频次")),
    Column("risk", "信用风险分类管理", ("信用风险分类", "风险分类管理"), required=False),
    Column("window", "抽查起止时间", ("起止时间", "抽查时间", "实施时间")),
    Column("lead", "发起部门", ("牵头部门",), required=False),
    Column("cooperating", "配合部门", ("协同部门",), required=False),
    Column("initiator", "发起主体/指导单位", ("发起主体", "指导单位"), required=False),
    Column("body", "抽查检查主体", ("检查主体", "实施主体"), required=False),
    Column(
        "exclusion", "排除期限（天）", ("近期已检查排除天数", "排除天数", "排除期"), required=False
    ),
)
DEPARTMENT_COLUMNS = _columns(
    Column("name", "部门名称", ("名称", "部门", "中文名称")),
    Column("code", "部门代码", ("代码",)),
)
SCOPE_COLUMNS = _columns(
    Column("text", "抽查对象范围", ("对象范围", "范围")),
    Column("category", "类别", ("对象类别",), required=False),
    Column("region", "区域", ("所属区域",), required=False),
    Column("tags", "标签", required=False),
)


@dataclass
class _Context:
    departments: Departments
    vocabulary: Vocabulary
    scopes: dict[str, ScopeWords]
    year: int | None
    joint: bool
    label: str


def _refuse(errors: Mapping[str, str]) -> ValidationError:
    details: list[InitErrorDetails] = [
        {
            "type": PydanticCustomError(CELL_ERROR, "{reason}", {"reason": r}),
            "loc": (f,),
            "input": "",
        }
        for f, r in errors.items()
    ]
    return ValidationError.from_exception_data("plan", details)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


# ---------------------------------------------------------------------------- one task row
_DOMAIN_FIELDS = {"name": "name", "lead": "lead", "cooperating": "cooperating", "items": "items"}
_DOMAIN_FIELDS |= {"ratios": "ratio", "window_end": "window", "window_start": "window"}
_DOMAIN_FIELDS |= {"exclusion_days": "exclusion"}


def _task_row(cells: Mapping[str, object], context: Mapping[str, object]) -> PlanTask:
    plan = cast(_Context, context["plan"])
    errors: dict[str, str] = {}
    text = {name: cell_text(value) for name, value in cells.items()}

    def read(name: str, reader: Any) -> Any:
        try:
            return reader(text.get(name, ""))
        except CellError as error:
            errors[name] = str(error)
            return None

    name = read("name", _needed("抽查任务名称"))
    directed = read("kind", _directed)
    ratio = None  # 定向 with its 比例 left empty: every target of the scope
    if not (directed and not text.get("ratio")):
        ratio = read("ratio", plan_cells.ratio)
        if directed and ratio is not None and not ratio.whole:
            errors["ratio"] = (
                f"定向抽查范围内全部对象：比例应为 100% 或留空（收到 {text['ratio']!r}）"
            )
    window = read("window", lambda t: plan_cells.window(t, plan.year))
    scope = read(
        "scope", lambda t: plan.scopes.get(_compact(t)) or plan_cells.scope(t, plan.vocabulary)
    )
    lead_field, lead, cooperating = _departments(plan, text, read)
    items = read("items", lambda t: _items(t, plan, lead, cooperating or [], context["row"], text))
    exclusion_days = read("exclusion", _days)
    if errors:
        raise _refuse(errors)
    notes = [f"{plan.label} 序号 {text.get('number') or context['row']}"]
    notes += [f"{label}：{text[key]}" for key, label in _NOTED if text.get(key)]
    task = PlanTask(
        name=name,
        lead=lead,
        cooperating=cooperating,
        directory=plan.vocabulary.directory,
        scope=PlanScope(category=scope.category, region=scope.region, tags=sorted(scope.tags)),
        ratios=dict(ratio.ratios) if ratio else {},
        directed=bool(directed) or bool(ratio and ratio.whole),
        window=window,
        frequency=(ratio.frequency if ratio else None) or "1次/年",
        exclusion_days=exclusion_days,
        items=items,
        notes="\n".join(notes),
    )
    try:
        task.to_definition()
    except InvalidValueError as error:
        where = _DOMAIN_FIELDS.get(error.field.split(".")[0], "name")
        raise _refuse({lead_field if where == "lead" else where: reason_of(error)}) from None
    return task


_NOTED = (
    ("scope", "抽查对象范围"),
    ("risk", "信用风险分类管理"),
    ("kind", "抽查类型"),
    ("initiator", "发起主体/指导单位"),
    ("body", "抽查检查主体"),
)


def _needed(expected: str) -> Any:
    def parse(text: str) -> str:
        if not text:
            raise CellError(f"不能为空，应填写{expected}")
        return text

    return parse


def _days(text: str) -> int | None:
    """排除期限（天）: 30, 30天 or 30日; empty: no exclusion period."""
    word = _compact(text).removesuffix("天").removesuffix("日")
    if not word:
        return None
    if word.isdigit() and int(word) >= 1:
        return int(word)
    raise CellError(
        f"应为天数（不小于 1 的整数，如 30 或 30天），留空为不设排除期（收到 {text!r}）"
    )


def _directed(text: str) -> bool:
    word = _compact(text)
    if word in ("", "不定向", "非定向", "随机"):
        return False
    if word == "定向":
        return True
    raise CellError(f"应为 定向 或 不定向（留空为不定向）（收到 {text!r}）")


def _departments(plan: _Context, text: Mapping[str, str], read: Any) -> tuple[str, Any, Any]:
    """The lead and the cooperating departments; the 内部 plan's lead is its 抽查检查主体, or
    its 发起主体 when that column is empty."""
    if plan.joint:
        lead = read("lead", _needed_department(plan, "发起部门"))
        return "lead", lead, read("cooperating", plan.departments.codes_of)
    lead_field = "body" if text.get("body") or "initiator" not in text else "initiator"
    return lead_field, read(lead_field, _needed_department(plan, "抽查检查主体")), []


def _needed_department(plan: _Context, expected: str) -> Any:
    def parse(text: str) -> str:
        if not text:
            raise CellError(f"不能为空，应填写{expected}（部门名称）")
        return plan.departments.code(text)

    return parse


def _items(
    text: str,
    plan: _Context,
    lead: str | None,
    cooperating: Sequence[str],
    row: object,
    cells: Mapping[str, str],
) -> dict[str, list[PlanItem]]:
    """Each item numbered in the cell; one naming its department (“（城区市场监管局）”) is that
    department's, the others every department of the task checks, as a joint table lists them."""
    listed = plan_cells.numbered(text)
    if not listed:
        raise CellError("不能为空，应填写抽查事项，多项时编号 1. 2. 3.")
    departments = [d for d in (lead, *cooperating) if d]
    number = cells.get("number", "")
    row_code = number if number.isdigit() else f"R{row}"
    prefix = JOINT_PREFIX if plan.joint else INTERNAL_PREFIX
    items: dict[str, list[PlanItem]] = {d: [] for d in departments}
    for n, item in enumerate(listed, start=1):
        marked, name = plan.departments.marked(item)
        code = f"{prefix}{row_code}-{n}"
        if marked is not None and marked not in departments:
            raise CellError(f"第 {n} 项注明的部门 {marked} 不是本任务的发起部门或配合部门")
        for department in [marked] if marked else departments:
            items[department].append(PlanItem(code=code, name=name))
    return items


# ---------------------------------------------------------------------------- small sheets
def _department_row(cells: Mapping[str, object], context: Mapping[str, object]) -> tuple[str, str]:
    name, code = cell_text(cells.get("name")), cell_text(cells.get("code"))
    errors = {}
    if not name:
        errors["name"] = "不能为空，应填写部门名称，如 城区教科局"
    try:
        department_code(code, "code")
    except InvalidValueError as error:
        errors["code"] = reason_of(error) + f"（收到 {code!r}），如 education、market"
    if errors:
        raise _refuse(errors)
    return name, code


def _scope_row(
    cells: Mapping[str, object], context: Mapping[str, object]
) -> tuple[str, ScopeWords]:
    vocabulary = cast(Vocabulary, context["vocabulary"])
    text = {name: cell_text(value) for name, value in cells.items()}
    tags = frozenset(t for t in re.split(r"[、,，;；\s]", text.get("tags", "")) if t)
    errors = {}
    known = (
        ("category", text.get("category"), vocabulary.categories, "类别"),
        ("region", text.get("region"), vocabulary.regions, "区域"),
    )
    for name, value, words, what in known:
        if value and value not in words:
            errors[name] = (
                f"名录库「{vocabulary.directory}」中没有{what} {value!r}；"
                f"现有{what}：{'、'.join(sorted(words)) or '（无）'}"
            )
    unknown = sorted(tags - vocabulary.tags)
    if unknown:
        errors["tags"] = (
            f"名录库「{vocabulary.directory}」中没有标签 {'、'.join(unknown)}；"
            f"现有标签：{'、'.join(sorted(vocabulary.tags)) or '（无）'}"
        )
    if not (text.get("category") or tags or text.get("region")):
        errors["category"] = "类别、区域、标签至少填写一项"
    if errors:
        raise _refuse(errors)
    return _compact(text["text"]), ScopeWords(
        text.get("category") or None, text.get("region") or None, tags
    )


def _sheet(what: str, columns: tuple[Column, ...], key: str, parse: Any) -> Sheet[Any]:
    return Sheet(what, columns, key, parse, _compact)


PLAN = _sheet("抽查任务", PLAN_COLUMNS, "name", _task_row)
DEPARTMENTS = _sheet("部门", DEPARTMENT_COLUMNS, "name", _department_row)
SCOPES = _sheet("对象范围", SCOPE_COLUMNS, "text", _scope_row)


# ---------------------------------------------------------------------------- the workbook
@dataclass
class _Found:
    name: str
    rows: list[Row]
    header: int
    positions: dict[str, int] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The title above the header (附件二 and such left out)."""
        texts = [cell_text(v) for row in self.rows[: self.header] for v in row if cell_text(v)]
        titled = [t for t in dict.fromkeys(texts) if "计划" in t]
        return re.sub(r"\s+", " ", titled[-1]).strip() if titled else ""


def read_plan_workbook(
    path: Path,
    vocabulary: Vocabulary,
    names: Mapping[str, str],
    known: Mapping[str, str] | None = None,
    *,
    year: int | None = None,
    title: str | None = None,
    document: str = "",
    department: str | None = None,
) -> PlanWorkbook:
    """Department names → codes: `names` (the import's --dept-name) before the workbook's 部门
    sheet, and that before `known` (the names ssj knows)."""
    sheets = _load(path)
    found: dict[str, list[_Found]] = {"plan": [], "departments": [], "scopes": []}
    for name, rows in sheets:
        kind, at = _classify(path, name, rows)
        if kind is not None and at is not None:
            found[kind].append(_Found(name, rows, *at))
    if not found["plan"]:
        raise HeaderError(
            path,
            "工作簿中没有抽查工作计划表：表头应含 抽查任务名称、抽查事项、抽查对象范围、"
            "抽查比例及频次、抽查起止时间，以及 发起部门、配合部门（部门联合计划）"
            "或 抽查检查主体（内部计划）",
        )
    reports: list[SheetReport] = []
    sheet_names: dict[str, str] = {}
    for table in found["departments"]:
        report = read_rows(table.rows, DEPARTMENTS, table.header, table.positions, {})
        reports.append(SheetReport(table.name, report))
        sheet_names.update(dict(report.good))
    scopes: dict[str, ScopeWords] = {}
    for table in found["scopes"]:
        context = {"vocabulary": vocabulary}
        report = read_rows(table.rows, SCOPES, table.header, table.positions, context)
        reports.append(SheetReport(table.name, report))
        scopes.update(dict(report.good))
    departments = Departments(names, sheet_names, known or {})
    titles = [table.title for table in found["plan"] if table.title]
    problems = []
    if year is None:
        years = {int(y) for t in titles for y in re.findall(r"(20\d{2})\s*年", t)}
        year = years.pop() if len(years) == 1 else None
        if year is None:
            problems.append(
                "无法确定计划年度：计划标题应含“2024年度”这样的年度，或导入时用 --year 指定"
            )
    tasks: list[PlanTask] = []
    for table in found["plan"]:
        joint = "cooperating" in table.positions
        label = table.title or table.name
        plan = _Context(departments, vocabulary, scopes, year, joint, label)
        report = read_rows(table.rows, PLAN, table.header, table.positions, {"plan": plan})
        reports.append(SheetReport(table.name, report))
        tasks.extend(report.good)
    plan_title = title or _plan_title(titles)
    if not plan_title:
        problems.append("无法确定计划名称：请在表头上方写明计划标题，或导入时用 --title 指定")
    leads = sorted({task.lead for task in tasks})
    if department is None and len(leads) == 1:
        department = leads[0]
    elif department is None and leads:
        problems.append(
            f"任务由多个部门发起（{'、'.join(leads)}）：一份计划由一个部门登记，"
            "请分别导入，或用 --dept 指明"
        )
    return PlanWorkbook(
        path, plan_title, year, department, document, tuple(tasks), tuple(reports), tuple(problems)
    )


def _plan_title(titles: Sequence[str]) -> str:
    """The document's own title: 晋城市城区教科局2024年度部门联合双随机抽查工作计划 and
    …内部双随机抽查工作计划 are the attachments of 晋城市城区教科局2024年度双随机抽查工作计划."""
    common = {
        re.sub(r"(部门联合|跨部门联合|联合|内部|系统内)(?=[^计]*计划)", "", t) for t in titles
    }
    return common.pop() if len(common) == 1 else (titles[0] if titles else "")


def _classify(
    path: Path, name: str, rows: Sequence[Row]
) -> tuple[str | None, tuple[int, dict[str, int]] | None]:
    """Which table a sheet holds, by its header; a sheet of something else is read past."""
    for kind, sheet in (("plan", PLAN), ("departments", DEPARTMENTS), ("scopes", SCOPES)):
        try:
            header, positions = find_header(path, rows, sheet)
        except HeaderError as error:
            if kind == "plan" and _looks_like_plan(name, rows):
                message = str(error).removeprefix(f"{path}：")
                raise HeaderError(path, f"工作表「{name}」：{message}", error.missing) from None
            continue
        if kind == "plan" and not {"lead", "body", "initiator"} & set(positions):
            raise HeaderError(
                path, f"工作表「{name}」缺少 发起部门（部门联合计划）或 抽查检查主体（内部计划）列"
            )
        if kind == "scopes" and not {"category", "region", "tags"} & set(positions):
            continue
        return kind, (header, positions)
    return None, None


def _looks_like_plan(name: str, rows: Sequence[Row]) -> bool:
    wanted = {header_name(c.label) for c in PLAN_COLUMNS if c.required}
    return any(len(wanted & {header_name(v) for v in row}) >= 3 for row in rows[:10])


def _load(path: Path) -> list[tuple[str, list[Row]]]:
    """Every sheet's rows, a merged cell's value in each cell it spans (offices merge
    信用风险分类管理 and 抽查起止时间 down the rows they share)."""
    if path.suffix.lower() != ".xlsx":
        raise ImportFileError(path, "计划工作簿应为 .xlsx 文件（.xls 请在 Excel 中另存为 .xlsx）")
    if not path.is_file():
        raise UnreadableFileError(path, "找不到该文件")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")
        try:
            workbook = openpyxl.load_workbook(path, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
            raise UnreadableFileError(
                path, f"不是有效的 .xlsx 工作簿（{type(error).__name__}），请用 Excel 重新保存"
            ) from error
    sheets: list[tuple[str, list[Row]]] = []
    for worksheet in workbook.worksheets:
        rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
        for merged in worksheet.merged_cells.ranges:
            value = rows[merged.min_row - 1][merged.min_col - 1]
            for r in range(merged.min_row - 1, min(merged.max_row, len(rows))):
                for c in range(merged.min_col - 1, merged.max_col):
                    if c < len(rows[r]):
                        rows[r][c] = value
        sheets.append((worksheet.title, [tuple(row) for row in rows]))
    workbook.close()
    return sheets
